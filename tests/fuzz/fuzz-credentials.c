/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The credentials loader (a JSON file of API keys and base64 secrets)
 * under any file content: it either fails with a message or loads exactly
 * the keys and secrets the object holds (checked against a verifier built
 * member by member), and the open-door checks of gst_genesys_verifier_new()
 * never let a file without keys through. */

#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <json-glib/json-glib.h>
#include "gstgenesyscredentials.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static const gchar *const names[3] = { "api-key", "client-secret",
    "credentials-file"
  };
  gint fd = memfd_create ("credentials", 0);
  gchar *path = g_strdup_printf ("/proc/self/fd/%d", fd);
  AhVerifier *loaded = ah_verifier_new (), *verifier;
  GError *error = NULL;
  gboolean ok, open_door = FALSE;

  g_assert (fd >= 0);
  g_assert (write (fd, data, size) == (gssize) size);
  ok = gst_genesys_load_credentials (loaded, path, &error);
  g_assert (ok == (error == NULL));
  if (!ok) {
    g_assert (error->message && *error->message);
    g_clear_error (&error);
  } else {
    /* the same as adding the object's members one by one */
    JsonParser *parser = json_parser_new ();
    AhVerifier *expect = ah_verifier_new ();
    JsonObject *obj;
    GList *members, *l;

    g_assert (json_parser_load_from_data (parser, (const gchar *) data, size,
            NULL));
    obj = json_node_get_object (json_parser_get_root (parser));
    members = json_object_get_members (obj);
    for (l = members; l; l = l->next)
      g_assert (ah_verifier_add_key (expect, l->data,
              json_object_get_string_member (obj, l->data), NULL));
    g_assert (ah_verifier_same_keys (loaded, expect));
    g_list_free (members);
    ah_verifier_free (expect);
    g_object_unref (parser);
  }

  verifier = gst_genesys_verifier_new (NULL, NULL, path, NULL, names,
      &open_door, &error);
  g_assert (!open_door);
  if (verifier) {
    g_assert (ok && ah_verifier_has_keys (verifier));
    ah_verifier_free (verifier);
  } else {
    g_assert (error != NULL);
    g_clear_error (&error);
  }
  ah_verifier_free (loaded);
  close (fd);
  g_free (path);
  return 0;
}
