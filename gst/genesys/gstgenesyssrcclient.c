/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc, client mode: a WebSocket that pushes audio of the caps
 * property (no AudioHook), reconnected with backoff by a
 * GstGenesysRawClient. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgenesyssrcpriv.h"

/* Client mode: connecting may take this long; a connection that stays
 * up this long resets the backoff. */
#define CLIENT_CONNECT_TIMEOUT (10 * GST_SECOND)
#define CLIENT_STABLE_TIME (10 * GST_SECOND)

/* ---- client mode (events on the client's loop thread) ---- */

static void
on_client_event (const GstGenesysClientEvent * ev, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  gboolean started, connected;

  g_mutex_lock (&self->lock);
  started = self->started;
  g_mutex_unlock (&self->lock);
  /* stopping: the connection going away is no news */
  if (!started)
    return;

  switch (ev->type) {
    case GST_GENESYS_CLIENT_EVENT_CONNECTED:
      GST_INFO_OBJECT (self, "connected");
      g_mutex_lock (&self->lock);
      self->client_connected = TRUE;
      self->client_position = 0;
      g_mutex_unlock (&self->lock);
      break;
    case GST_GENESYS_CLIENT_EVENT_DISCONNECTED:
      g_mutex_lock (&self->lock);
      self->client_dropped = TRUE;
      self->client_position = 0;
      g_mutex_unlock (&self->lock);
      src_post_element_message (self, gst_structure_new ("genesys-disconnected",
              "code", G_TYPE_UINT, (guint) ev->code,
              "reason", G_TYPE_STRING, ev->reason ? ev->reason : "",
              "clean", G_TYPE_BOOLEAN, ev->clean,
              "cause", G_TYPE_STRING, ev->cause, NULL));
      break;
    case GST_GENESYS_CLIENT_EVENT_RECONNECTING:
      g_mutex_lock (&self->lock);
      self->client_attempts = ev->attempt;
      connected = self->client_connected;
      g_mutex_unlock (&self->lock);
      if (connected)
        GST_ELEMENT_WARNING (self, RESOURCE, READ,
            ("The WebSocket connection was lost; reconnecting."),
            ("%s; attempt %u in %" GST_TIME_FORMAT, ev->cause, ev->attempt,
                GST_TIME_ARGS (ev->delay)));
      else
        GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
            ("Could not connect to the AudioHook server; retrying."),
            ("%s; attempt %u in %" GST_TIME_FORMAT, ev->cause, ev->attempt,
                GST_TIME_ARGS (ev->delay)));
      src_post_element_message (self, gst_structure_new ("genesys-reconnecting",
              "attempt", G_TYPE_UINT, ev->attempt,
              "delay", G_TYPE_UINT64, ev->delay,
              "cause", G_TYPE_STRING, ev->cause, NULL));
      break;
    case GST_GENESYS_CLIENT_EVENT_CLOSED:
      GST_INFO_OBJECT (self, "the server ended the stream (%d)", ev->code);
      g_mutex_lock (&self->lock);
      self->ended = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_GENESYS_CLIENT_EVENT_ERROR:
      gst_genesys_client_props_post_error (GST_ELEMENT (self), ev->error);
      g_mutex_lock (&self->lock);
      self->client_failed = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
}

static void
on_client_frame (gboolean text, GBytes * data, const gchar * text_str,
    gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  guint frame = ah_media_frame_size (&self->client_media);
  gsize size = g_bytes_get_size (data);
  guint64 samples = size / frame;
  GstClockTime arrival, gap = GST_CLOCK_TIME_NONE;
  guint attempts = 0;
  gboolean first;
  Item *item;

  if (text) {
    GST_DEBUG_OBJECT (self, "text frame of %" G_GSIZE_FORMAT " bytes", size);
    src_post_element_message (self, gst_structure_new ("genesys-text",
            "text", G_TYPE_STRING, text_str, NULL));
    return;
  }
  if (samples * frame != size)
    GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes of a partial sample "
        "frame dropped", size - samples * frame);
  if (samples == 0)
    return;

  arrival = src_current_running_time (self);
  g_mutex_lock (&self->lock);
  if (!self->started) {
    g_mutex_unlock (&self->lock);
    return;
  }
  first = self->client_position == 0;
  if (first && self->client_dropped) {
    /* The outage: from the last sample before the drop to the first
     * sample of this frame (which arrived with its last). */
    GstClockTime start = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (arrival))
      start = arrival - MIN (arrival, gst_genesys_samples_to_time (samples));
    gap = 0;
    if (GST_CLOCK_TIME_IS_VALID (self->last_arrival)
        && GST_CLOCK_TIME_IS_VALID (start) && start > self->last_arrival)
      gap = start - self->last_arrival;
    attempts = self->client_attempts;
    self->client_dropped = FALSE;
  }
  g_mutex_unlock (&self->lock);

  /* Before the audio goes to the streaming thread: the message comes
   * ahead of the genesys-gap it causes. */
  if (GST_CLOCK_TIME_IS_VALID (gap)) {
    GST_INFO_OBJECT (self, "audio again after %u attempt(s), gap of %"
        GST_TIME_FORMAT, attempts, GST_TIME_ARGS (gap));
    src_post_element_message (self, gst_structure_new ("genesys-reconnected",
            "attempts", G_TYPE_UINT, attempts,
            "gap", G_TYPE_UINT64, gap, NULL));
  }

  g_mutex_lock (&self->lock);
  if (first) {
    /* A connection's first audio: its positions restart, and it is placed
     * where it arrives, so the outage becomes a gap of its length. */
    item = src_item_new (ITEM_OPENED);
    item->media = self->client_media;
    src_push_item_locked (self, item);
    self->stats.sessions++;
  }
  self->last_arrival = arrival;
  src_push_client_audio_locked (self, data, samples, frame, arrival);
  g_mutex_unlock (&self->lock);
}

/* ---- start and stop ---- */

/* The media of @caps, for client mode. */
static gboolean
client_media_from_caps (const GstCaps * caps, AhMedia * media, GError ** error)
{
  const GstStructure *s;
  const gchar *layout;
  gint rate = 0, channels = 0;
  gchar *str;

  memset (media, 0, sizeof (*media));
  if (caps == NULL || gst_caps_get_size (caps) != 1
      || !gst_caps_is_fixed (caps))
    goto bad;
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, "audio/x-mulaw")) {
    media->format = AH_FORMAT_PCMU;
  } else if (gst_structure_has_name (s, "audio/x-raw")
      && g_strcmp0 (gst_structure_get_string (s, "format"), "S16LE") == 0
      && ((layout = gst_structure_get_string (s, "layout")) == NULL
          || strcmp (layout, "interleaved") == 0)) {
    media->format = AH_FORMAT_L16;
  } else {
    goto bad;
  }
  if (!gst_structure_get_int (s, "rate", &rate) || rate != AH_RATE
      || !gst_structure_get_int (s, "channels", &channels)
      || channels < 1 || channels > 2)
    goto bad;
  media->rate = AH_RATE;
  media->n_channels = channels;
  media->channels[0] = AH_CHANNEL_EXTERNAL;
  media->channels[1] = channels == 2 ? AH_CHANNEL_INTERNAL : AH_CHANNEL_UNKNOWN;
  return TRUE;

bad:
  str = caps ? gst_caps_to_string (caps) : g_strdup ("none");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "caps '%s' are not supported: client mode takes audio/x-mulaw or "
      "audio/x-raw,format=S16LE (interleaved), rate 8000, 1 or 2 channels",
      str);
  g_free (str);
  return FALSE;
}

gboolean
src_client_start (GstGenesysSrc * self)
{
  GstGenesysDialerConfig config = { 0 };
  GstGenesysRawClient *client = NULL;
  GstGenesysClientProps props;
  GError *error = NULL;
  AhMedia media;
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  gst_genesys_client_props_copy (&props, &self->client_props);
  caps = self->caps ? gst_caps_ref (self->caps) : NULL;
  GST_OBJECT_UNLOCK (self);
  gst_genesys_client_props_to_dialer (&props, &config);
  config.user_agent = "gst-genesys/" VERSION " (genesyssrc)";
  config.credentials_hint = "the credentials in extra-headers";
  config.connect_timeout = CLIENT_CONNECT_TIMEOUT;
  config.stable_time = CLIENT_STABLE_TIME;

  if (props.uri_error)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
        props.uri_error);
  else if (config.uri == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "client mode needs a ws:// or wss:// uri");
  else if (client_media_from_caps (caps, &media, &error))
    client = gst_genesys_raw_client_new (&config, on_client_event,
        on_client_frame, self, &error);
  gst_clear_caps (&caps);
  if (client == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid configuration: %s", error->message), (NULL));
    g_clear_error (&error);
    gst_genesys_client_props_clear (&props);
    return FALSE;
  }

  src_reset_output (self);
  g_mutex_lock (&self->lock);
  self->client = client;
  g_clear_pointer (&self->client_stats, gst_structure_free);
  self->client_media = media;
  self->client_failed = FALSE;
  self->client_position = 0;
  self->client_dropped = FALSE;
  self->client_attempts = 0;
  self->client_connected = FALSE;
  self->last_arrival = GST_CLOCK_TIME_NONE;
  self->started = TRUE;
  self->ended = FALSE;
  self->flushing = FALSE;
  memset (&self->stats, 0, sizeof (self->stats));
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "client mode: connecting to %s", props.uri);
  gst_genesys_client_props_clear (&props);
  gst_genesys_raw_client_start (client);
  return TRUE;
}

void
src_client_stop (GstGenesysSrc * self)
{
  GstGenesysRawClient *client;

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  client = self->client;
  g_mutex_unlock (&self->lock);
  if (client == NULL)
    return;
  gst_genesys_raw_client_stop (client);
  g_mutex_lock (&self->lock);
  self->client = NULL;
  g_clear_pointer (&self->client_stats, gst_structure_free);
  self->client_stats = gst_genesys_raw_client_get_stats (client);
  g_mutex_unlock (&self->lock);
  gst_genesys_raw_client_free (client);
}
