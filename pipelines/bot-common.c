/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/app/gstappsink.h>
#include "bot-common.h"

GstClockTime
bot_running_time (GstElement * e)
{
  GstClock *clock = gst_element_get_clock (e);
  GstClockTime now;

  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock) - gst_element_get_base_time (e);
  gst_object_unref (clock);
  return now;
}

gdouble
bot_seconds (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? (gdouble) t / GST_SECOND : -1.0;
}

GBytes *
bot_collect (const gchar * desc, const gchar * text, GError ** error)
{
  GstElement *p = gst_parse_launch (desc, error);
  GstElement *out, *tts;
  GByteArray *data = g_byte_array_new ();
  GstSample *sample;
  GstMessage *msg;

  if (p == NULL) {
    g_byte_array_unref (data);
    return NULL;
  }
  tts = gst_bin_get_by_name (GST_BIN (p), "tts");
  if (tts) {
    g_object_set (tts, "text", text, NULL);
    gst_object_unref (tts);
  }
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  gst_element_set_state (p, GST_STATE_PLAYING);
  /* an engine that hangs must not hang the bot */
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
              5 * GST_SECOND))) {
    GstMapInfo map;
    GstBuffer *buf = gst_sample_get_buffer (sample);
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      g_byte_array_append (data, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    gst_sample_unref (sample);
  }
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (p), GST_MESSAGE_ERROR);
  if (msg) {
    gst_message_parse_error (msg, error, NULL);
    gst_message_unref (msg);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
  if (*error || data->len == 0) {
    if (*error == NULL)
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
          "no audio from \"%s\"", text ? text : desc);
    g_byte_array_unref (data);
    return NULL;
  }
  return g_byte_array_free_to_bytes (data);
}

gboolean
bot_bus_common (GstMessage * msg, GMainLoop * loop, gboolean * failed)
{
  GError *err = NULL;
  gchar *dbg = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      return TRUE;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      *failed = TRUE;
      g_main_loop_quit (loop);
      return TRUE;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      return TRUE;
    default:
      return FALSE;
  }
}
