/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include "gstgenesyscredentials.h"
#include <json-glib/json-glib.h>

gboolean
gst_genesys_load_credentials (AhVerifier * verifier, const gchar * file,
    GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;
  GList *members, *l;
  gboolean ok = TRUE;

  if (!json_parser_load_from_file (parser, file, error)) {
    g_object_unref (parser);
    return FALSE;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: expected a JSON object mapping API keys to client secrets", file);
    g_object_unref (parser);
    return FALSE;
  }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (l = members; l && ok; l = l->next) {
    JsonNode *value = json_object_get_member (obj, l->data);
    if (!JSON_NODE_HOLDS_VALUE (value)
        || json_node_get_value_type (value) != G_TYPE_STRING) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s: the secret of API key '%s' is not a string", file,
          (const gchar *) l->data);
      ok = FALSE;
      break;
    }
    ok = ah_verifier_add_key (verifier, l->data,
        json_node_get_string (value), error);
  }
  g_list_free (members);
  g_object_unref (parser);
  return ok;
}

AhVerifier *
gst_genesys_verifier_new (const gchar * api_key, const gchar * client_secret,
    const gchar * credentials_file, const gchar * authority,
    const gchar * const names[3], gboolean * open_door, GError ** error)
{
  AhVerifier *verifier;

  *open_door = FALSE;
  if (api_key && !*api_key) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s is empty", names[0]);
    return NULL;
  }
  if (client_secret && *client_secret && !api_key) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s is set without %s: the secret belongs to an API key", names[1],
        names[0]);
    return NULL;
  }
  if (credentials_file) {
    /* a file that holds no key would leave the door open */
    AhVerifier *probe = ah_verifier_new ();
    gboolean any;

    if (!gst_genesys_load_credentials (probe, credentials_file, error)) {
      ah_verifier_free (probe);
      return NULL;
    }
    any = ah_verifier_has_keys (probe);
    ah_verifier_free (probe);
    if (!any) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s %s holds no API key: it would accept every connection",
          names[2], credentials_file);
      return NULL;
    }
  }
  if (!api_key && !credentials_file) {
    *open_door = TRUE;
    return NULL;
  }

  verifier = ah_verifier_new ();
  if (authority)
    ah_verifier_set_authority (verifier, authority);
  if ((api_key && !ah_verifier_add_key (verifier, api_key, client_secret,
              error)) || (credentials_file
          && !gst_genesys_load_credentials (verifier, credentials_file,
              error))) {
    ah_verifier_free (verifier);
    return NULL;
  }
  return verifier;
}
