/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc, paired client mode (client mode without a uri, with a
 * session-name): the bot audio the server sends back on the session of
 * the genesyssink of that name, played in real time. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgenesyssrcpriv.h"

/* ---- bot audio: the channel's events ---- */

/* Audio the server sent back. The client plays it in real time from its
 * arrival: audio that comes while the playout is idle starts an utterance
 * placed where it arrives (the silence before it is a gap); audio that
 * comes while earlier audio still plays follows it. */
static void
on_bot_audio (GstGenesysSrc * self, GBytes * data)
{
  guint frame = ah_media_frame_size (&self->client_media);
  gsize size = g_bytes_get_size (data);
  guint64 samples = frame ? size / frame : 0;
  GstClockTime arrival = src_current_running_time (self), duration;
  Item *item;

  if (samples == 0 || !GST_CLOCK_TIME_IS_VALID (arrival))
    return;
  duration = gst_genesys_samples_to_time (samples);
  g_mutex_lock (&self->lock);
  if (!self->started) {
    g_mutex_unlock (&self->lock);
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->playout_end)
      || arrival > self->playout_end) {
    item = src_item_new (ITEM_OPENED);
    item->media = self->client_media;
    src_push_item_locked (self, item);
    self->client_position = 0;
    self->playout_end = arrival;
    self->stats.sessions++;
  }
  /* arrival: when its last sample plays */
  self->playout_end += duration;
  src_push_client_audio_locked (self, data, samples, frame, self->playout_end);
  g_mutex_unlock (&self->lock);
}

/* The server's barge_in: what was received but not played yet goes. */
static void
on_bot_barge_in (GstGenesysSrc * self)
{
  GList *l, *next;

  g_mutex_lock (&self->lock);
  for (l = self->items.head; l; l = next) {
    Item *item = l->data;
    next = l->next;
    if (item->type == ITEM_AUDIO) {
      self->barge_in_samples += item->samples;
      self->queued_samples -= item->samples;
      src_item_free (item);
      g_queue_delete_link (&self->items, l);
    }
  }
  self->barge_in = TRUE;
  self->playout_end = GST_CLOCK_TIME_NONE;
  self->stats.barge_ins++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_paired_event (GstGenesysChannel * channel,
    const GstGenesysChannelEvent * ev, gpointer user_data)
{
  GstGenesysSrc *self = user_data;

  switch (ev->type) {
    case GST_GENESYS_CHANNEL_EVENT_OPENED:{
      Item *item = src_item_new (ITEM_PREROLL);
      item->media = *ev->media;
      g_mutex_lock (&self->lock);
      self->client_media = *ev->media;
      self->playout_end = GST_CLOCK_TIME_NONE;
      if (self->started)
        src_push_item_locked (self, item);
      else
        src_item_free (item);
      g_mutex_unlock (&self->lock);
      break;
    }
    case GST_GENESYS_CHANNEL_EVENT_AUDIO:
      on_bot_audio (self, ev->data);
      break;
    case GST_GENESYS_CHANNEL_EVENT_BARGE_IN:
      on_bot_barge_in (self);
      break;
    case GST_GENESYS_CHANNEL_EVENT_ENDED:
      g_mutex_lock (&self->lock);
      if (self->started)
        src_push_item_locked (self, src_item_new (ITEM_END));
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
}

/* ---- start ---- */

gboolean
src_paired_start (GstGenesysSrc * self)
{
  src_reset_output (self);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->client_stats, gst_structure_free);
  memset (&self->client_media, 0, sizeof (self->client_media));
  self->client_failed = FALSE;
  self->client_position = 0;
  self->playout_end = GST_CLOCK_TIME_NONE;
  self->barge_in = FALSE;
  self->barge_in_samples = 0;
  self->started = TRUE;
  self->ended = FALSE;
  self->flushing = FALSE;
  memset (&self->stats, 0, sizeof (self->stats));
  g_mutex_unlock (&self->lock);
  self->paired = TRUE;
  if (!src_join_channel (self, on_paired_event)) {
    self->paired = FALSE;
    return FALSE;
  }
  GST_INFO_OBJECT (self, "client mode: the audio sent back on the session "
      "of the genesyssink named %s", self->session_name);
  return TRUE;
}
