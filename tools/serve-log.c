/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <gst/gst.h>
#include "serve-log.h"

static ServeLogFormat log_format = SERVE_LOG_TEXT;
/* lines from several threads (GStreamer's log) stay whole */
static GMutex log_lock;

gboolean
serve_log_format_from_name (const gchar * name, ServeLogFormat * format)
{
  if (g_strcmp0 (name, "text") == 0)
    *format = SERVE_LOG_TEXT;
  else if (g_strcmp0 (name, "json") == 0)
    *format = SERVE_LOG_JSON;
  else
    return FALSE;
  return TRUE;
}

static void
member (JsonBuilder * b, const gchar * name, const gchar * value)
{
  if (!value)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

gchar *
serve_log_json_line (gint64 real_time_us, const gchar * level,
    const gchar * event, const ServeLogIds * ids, JsonObject * extra,
    const gchar * message)
{
  JsonBuilder *b = json_builder_new ();
  GDateTime *dt = g_date_time_new_from_unix_utc (real_time_us / G_USEC_PER_SEC);
  gchar *when = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  gchar *time = g_strdup_printf ("%s.%03dZ", when,
      (gint) (real_time_us % G_USEC_PER_SEC / 1000));
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  gchar *line;

  json_builder_begin_object (b);
  member (b, "time", time);
  member (b, "level", level);
  member (b, "event", event);
  if (ids) {
    member (b, "conversation_id", ids->conversation_id);
    member (b, "session_id", ids->session_id);
    member (b, "call_id", ids->call_id);
  }
  member (b, "message", message);
  if (extra) {
    GList *names = json_object_get_members (extra), *l;
    for (l = names; l; l = l->next) {
      json_builder_set_member_name (b, l->data);
      json_builder_add_value (b, json_node_copy (json_object_get_member
              (extra, l->data)));
    }
    g_list_free (names);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  line = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  g_free (time);
  g_free (when);
  g_date_time_unref (dt);
  return line;
}

static void
emit (const gchar * level, const gchar * event, const ServeLogIds * ids,
    JsonObject * extra, const gchar * message)
{
  g_mutex_lock (&log_lock);
  if (log_format == SERVE_LOG_JSON) {
    gchar *line = serve_log_json_line (g_get_real_time (), level, event, ids,
        extra, message);
    fprintf (stdout, "%s\n", line);
    fflush (stdout);
    g_free (line);
  } else if (g_strcmp0 (level, "info") == 0) {
    fprintf (stdout, "%s\n", message);
    fflush (stdout);
  } else {
    fprintf (stderr, "%s\n", message);
  }
  g_mutex_unlock (&log_lock);
}

void
serve_log (const gchar * level, const gchar * event, const ServeLogIds * ids,
    JsonObject * extra, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  emit (level, event, ids, extra, message);
  g_free (message);
}

static const gchar *
level_name (GstDebugLevel level)
{
  switch (level) {
    case GST_LEVEL_ERROR:
      return "error";
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME:
      return "warning";
    case GST_LEVEL_INFO:
      return "info";
    default:
      return "debug";
  }
}

/* GStreamer's debug log as JSON lines: event "gstreamer", the category,
 * the object and the source line as members. */
static void
gst_log_json (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  JsonObject *extra;
  gchar *where;

  if (level > gst_debug_category_get_threshold (category))
    return;
  extra = json_object_new ();
  json_object_set_string_member (extra, "category",
      gst_debug_category_get_name (category));
  where = g_strdup_printf ("%s:%d:%s", file, line, function);
  json_object_set_string_member (extra, "source", where);
  g_free (where);
  if (GST_IS_OBJECT (object) && GST_OBJECT_NAME (object))
    json_object_set_string_member (extra, "object", GST_OBJECT_NAME (object));
  emit (level_name (level), "gstreamer", NULL, extra,
      gst_debug_message_get (message));
  json_object_unref (extra);
}

void
serve_log_set_format (ServeLogFormat format)
{
  log_format = format;
  if (format == SERVE_LOG_JSON) {
    gst_debug_remove_log_function (gst_debug_log_default);
    gst_debug_add_log_function (gst_log_json, NULL, NULL);
  }
}
