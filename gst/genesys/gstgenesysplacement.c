/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>
#include "gstgenesysplacement.h"

static gboolean
parse_number (const gchar * text, guint max, guint * value)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    return FALSE;
  *value = v;
  return TRUE;
}

gboolean
gst_genesys_registry_url_parse (const gchar * url, gchar ** host,
    guint * port, guint * db, GError ** error)
{
  const gchar *rest, *slash, *colon;
  gchar *hostport = NULL, *bad = NULL;

  *port = 6379;
  *db = 0;
  *host = NULL;
  if (!url || !g_str_has_prefix (url, "redis://")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "registry '%s': not redis://HOST[:PORT][/DB]", url ? url : "");
    return FALSE;
  }
  rest = url + strlen ("redis://");
  slash = strchr (rest, '/');
  hostport = slash ? g_strndup (rest, slash - rest) : g_strdup (rest);
  if (slash && slash[1] && !parse_number (slash + 1, 15, db))
    bad = g_strdup_printf ("database '%s' is not 0 to 15", slash + 1);
  if (hostport[0] == '[') {
    /* [ADDR] or [ADDR]:PORT */
    const gchar *close = strchr (hostport, ']');
    colon = close && close[1] == ':' ? close + 1 : NULL;
    if (!bad && (!close || (close[1] != '\0' && close[1] != ':')))
      bad = g_strdup ("an IPv6 address is [ADDR] or [ADDR]:PORT");
  } else {
    colon = strchr (hostport, ':');
    if (!bad && colon && strchr (colon + 1, ':'))
      bad = g_strdup ("an IPv6 address needs brackets: [ADDR]:PORT");
  }
  if (!bad && colon && (colon[1] == '\0' || !parse_number (colon + 1, 65535,
              port) || *port == 0))
    bad = g_strdup_printf ("port '%s' is not 1 to 65535", colon + 1);
  if (!bad) {
    gsize len = colon ? (gsize) (colon - hostport) : strlen (hostport);
    if (len >= 2 && hostport[0] == '[' && hostport[len - 1] == ']')
      *host = g_strndup (hostport + 1, len - 2);
    else
      *host = g_strndup (hostport, len);
    if (**host == '\0')
      bad = g_strdup ("no host");
  }
  g_free (hostport);
  if (bad) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "registry '%s': %s", url, bad);
    g_free (bad);
    g_clear_pointer (host, g_free);
    return FALSE;
  }
  return TRUE;
}

void
gst_genesys_session_record_clear (GstGenesysSessionRecord * record)
{
  g_free (record->call_id);
  g_free (record->instance);
  g_free (record->relay_url);
  memset (record, 0, sizeof (*record));
}

GstGenesysPlacement
gst_genesys_placement_decide (const GstGenesysSessionRecord * record,
    const gchar * self)
{
  if (!record->found || !record->call_id)
    return GST_GENESYS_PLACE_NEW;
  if (record->closed)
    return GST_GENESYS_PLACE_CLOSED;
  /* an owner that is this instance no longer has the call (it would have
   * been found here): it restarted; draining or gone, the call moves */
  if (record->owner == GST_GENESYS_OWNER_UP
      && g_strcmp0 (record->instance, self) != 0)
    return GST_GENESYS_PLACE_RELAY;
  return GST_GENESYS_PLACE_MOVE;
}
