/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include "checkutil.h"

void
check_set_props (GstElement * e, const gchar * props)
{
  gchar **kv, **p;

  kv = g_strsplit (props ? props : "", " ", -1);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
}

GstStructure *
check_wait_element (GstBus * bus, const gchar * name, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (TRUE) {
    gint64 left = end - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      return NULL;
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (!msg)
      return NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err;
      gchar *dbg;
      gst_message_parse_error (msg, &err, &dbg);
      g_error ("error while waiting for %s: %s (%s)", name, err->message, dbg);
    }
    if (gst_structure_has_name (gst_message_get_structure (msg), name)) {
      GstStructure *s = gst_structure_copy (gst_message_get_structure (msg));
      gst_message_unref (msg);
      return s;
    }
    gst_message_unref (msg);
  }
}

GstStructure *
check_expect_element (GstBus * bus, const gchar * name, guint timeout_ms)
{
  GstStructure *s = check_wait_element (bus, name, timeout_ms);

  if (!s)
    g_error ("no %s message within %u ms", name, timeout_ms);
  return s;
}

guint64
check_stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *stats;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &stats, NULL);
  if (!gst_structure_get_uint64 (stats, field, &v)) {
    gchar *str = gst_structure_to_string (stats);
    g_error ("no %s in %s", field, str);
  }
  gst_structure_free (stats);
  return v;
}

GstEvent *
check_pull_event_of_type (GstHarness * h, GstEventType type)
{
  while (TRUE) {
    GstEvent *ev = gst_harness_pull_event (h);
    if (!ev)
      return NULL;
    if (GST_EVENT_TYPE (ev) == type)
      return ev;
    gst_event_unref (ev);
  }
}

static gchar *tls_dir;
static gboolean tls_made;

const gchar *
check_tls_dir (void)
{
  gchar *cmd;
  gint status = -1;

  if (tls_dir)
    return tls_made ? tls_dir : NULL;
  tls_dir = g_dir_make_tmp ("genesys-check-tls-XXXXXX", NULL);
  g_assert_nonnull (tls_dir);
  cmd = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes "
      "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1", tls_dir, tls_dir);
  tls_made = g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL);
  g_free (cmd);
  return tls_made ? tls_dir : NULL;
}

void
check_tls_dir_remove (void)
{
  gchar *cert, *key;

  if (!tls_dir)
    return;
  cert = g_build_filename (tls_dir, "cert.pem", NULL);
  key = g_build_filename (tls_dir, "key.pem", NULL);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (tls_dir);
  g_free (cert);
  g_free (key);
  g_clear_pointer (&tls_dir, g_free);
  tls_made = FALSE;
}
