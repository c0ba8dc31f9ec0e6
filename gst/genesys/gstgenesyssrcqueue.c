/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc: the queue of items from the loop threads to the streaming
 * thread, and what the streaming thread outputs of them (audio, gaps,
 * silence, DTMF events); the session-name channel every mode joins. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgenesyssrcpriv.h"

GST_DEBUG_CATEGORY (genesyssrc_debug);

/* The one category of every genesyssrc file: made at the element's
 * registration and, for an element made without it, in class_init, which
 * runs before any instance can log. Categories are unique by name: a
 * second call gives the same one. */
void
gst_genesys_src_ensure_debug_category (void)
{
  GST_DEBUG_CATEGORY_INIT (genesyssrc_debug, "genesyssrc", 0,
      "Genesys AudioHook source");
}

/* ---- items ---- */

void
src_item_free (Item * item)
{
  if (item->data)
    g_bytes_unref (item->data);
  g_free (item->digit);
  g_free (item->session_id);
  g_free (item);
}

Item *
src_item_new (ItemType type)
{
  Item *item = g_new0 (Item, 1);

  item->type = type;
  item->arrival = GST_CLOCK_TIME_NONE;
  if (type == ITEM_END)
    item->position = G_MAXUINT64;
  return item;
}

/* ---- time and the bus ---- */

GstClockTime
src_current_running_time (GstGenesysSrc * self)
{
  GstClock *clock;
  GstClockTime now, base;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self) ? gst_object_ref (GST_ELEMENT_CLOCK (self))
      : NULL;
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

void
src_post_element_message (GstGenesysSrc * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* ---- queue to the streaming thread (under lock) ---- */

void
src_push_item_locked (GstGenesysSrc * self, Item * item)
{
  if (item->type == ITEM_AUDIO) {
    GstClockTime queued = gst_util_uint64_scale_int (self->queued_samples,
        GST_SECOND, AH_RATE);
    if (queued > MAX_QUEUED_TIME) {
      /* The streaming thread is stuck: keep the timeline, drop the audio. */
      Item *tail = g_queue_peek_tail (&self->items);
      self->stats.dropped_samples += item->samples;
      if (tail && tail->type == ITEM_GAP
          && tail->position + tail->samples == item->position) {
        tail->samples += item->samples;
        src_item_free (item);
        return;
      }
      g_bytes_unref (item->data);
      item->data = NULL;
      item->type = ITEM_GAP;
    } else {
      self->queued_samples += item->samples;
    }
  }
  g_queue_push_tail (&self->items, item);
  /* loop pushing: the loop thread delivers it itself (src_loop_deliver)
   * and the streaming thread sleeps on */
  if (!self->loop_active || !src_item_loop_deliverable (item))
    g_cond_broadcast (&self->cond);
}

/* What a loop thread may turn into output itself (push-mode loop):
 * no caps to negotiate, no end of stream. */
gboolean
src_item_loop_deliverable (const Item * item)
{
  return item->type == ITEM_AUDIO || item->type == ITEM_GAP
      || item->type == ITEM_RESUME || item->type == ITEM_DTMF;
}

/* Client modes: @samples whole samples of @data at the next position of
 * the connection (or utterance). Under lock. */
void
src_push_client_audio_locked (GstGenesysSrc * self, GBytes * data,
    guint64 samples, guint frame, GstClockTime arrival)
{
  gsize size = g_bytes_get_size (data);
  Item *item = src_item_new (ITEM_AUDIO);

  item->data = samples * frame == size ? g_bytes_ref (data) :
      g_bytes_new_from_bytes (data, 0, samples * frame);
  item->position = self->client_position;
  item->samples = samples;
  item->arrival = arrival;
  self->client_position += samples;
  self->stats.frames++;
  self->stats.bytes += size;
  self->stats.samples += samples;
  src_push_item_locked (self, item);
}

/* ---- output (streaming thread) ---- */

/* Output state for a new run. */
void
src_reset_output (GstGenesysSrc * self)
{
  gst_genesys_timeline_init (&self->timeline, AH_RATE);
  GST_OBJECT_LOCK (self);
  gst_genesys_timeline_set_latency (&self->timeline, self->latency,
      self->drop_on_latency);
  gst_genesys_timeline_set_origin (&self->timeline, self->start_position);
  GST_OBJECT_UNLOCK (self);
  self->late_run = FALSE;
  memset (&self->silence, 0, sizeof (self->silence));
  self->have_media = FALSE;
  self->need_discont = TRUE;
  self->output_started = FALSE;
}

/* ---- session-name: the channel to a genesyssink (every mode) ---- */

gboolean
src_join_channel (GstGenesysSrc * self, GstGenesysChannelFunc func)
{
  GError *error = NULL;
  gchar *name;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->session_name);
  GST_OBJECT_UNLOCK (self);
  if (!name || !*name) {
    g_free (name);
    return TRUE;
  }
  self->channel = gst_genesys_channel_join (name, GST_GENESYS_CHANNEL_SRC,
      func, self, &error);
  g_free (name);
  if (!self->channel) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
}

void
src_leave_channel (GstGenesysSrc * self)
{
  if (self->channel) {
    gst_genesys_channel_leave (self->channel, GST_GENESYS_CHANNEL_SRC);
    self->channel = NULL;
  }
  self->paired = FALSE;
}

static GstBuffer *
make_silence (GstGenesysSrc * self, const GstGenesysSpan * span)
{
  guint frame = ah_media_frame_size (&self->media);
  gsize size = span->samples * frame;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, self->media.format == AH_FORMAT_PCMU ? 0xff : 0x00, size);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = span->pts;
  GST_BUFFER_DURATION (buf) = span->duration;
  GST_BUFFER_OFFSET (buf) = span->offset;
  GST_BUFFER_OFFSET_END (buf) = span->offset + span->samples;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  return buf;
}

/* The channel's transcribers map running time back to session positions
 * through the spans output (audio and gaps alike). Output owner only. */
static void
note_span (GstGenesysSrc * self, const GstGenesysSpan * span, gboolean gap)
{
  gint64 position;

  if (!self->channel || span->samples == 0)
    return;
  position = (gint64) span->offset - self->timeline.session_offset;
  if (position >= 0)
    gst_genesys_channel_add_span (self->channel, span->pts, span->duration,
        (guint64) position, span->samples, gap);
}

/* Emits a span without audio, as a GAP event or as silence. */
void
src_output_gap (GstGenesysSrc * self, const GstGenesysSpan * span)
{
  GstGenesysGapMode mode;

  if (span->samples == 0)
    return;
  note_span (self, span, TRUE);
  GST_OBJECT_LOCK (self);
  mode = self->gap_mode;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "gap at %" GST_TIME_FORMAT " for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (span->pts), GST_TIME_ARGS (span->duration));
  /* every gap that is output counts: reported ones, holes in positions,
   * outages, frozen pauses, late audio dropped */
  g_mutex_lock (&self->lock);
  self->stats.gaps++;
  self->stats.gap_samples += span->samples;
  g_mutex_unlock (&self->lock);
  src_post_element_message (self, gst_structure_new ("genesys-gap",
          "timestamp", G_TYPE_UINT64, span->pts,
          "duration", G_TYPE_UINT64, span->duration, NULL));

  /* Before the first buffer the segment is not out yet: use silence. */
  if (mode == GST_GENESYS_GAP_MODE_SILENCE || (!self->output_started
          && g_queue_is_empty (&self->out)) || self->silence.samples) {
    /* out a second at a time as the streaming thread gets to it: never
     * materialised ahead */
    if (self->silence.samples
        && self->silence.offset + self->silence.samples == span->offset) {
      self->silence.samples += span->samples;
      self->silence.duration += span->duration;
    } else {
      g_warn_if_fail (self->silence.samples == 0);
      self->silence = *span;
      self->silence_discont = TRUE;
    }
  } else {
    gst_pad_push_event (GST_BASE_SRC_PAD (self),
        gst_event_new_gap (span->pts, span->duration));
  }
  self->need_discont = TRUE;
}

/* The next second (at most) of the pending silence. */
GstBuffer *
src_next_silence (GstGenesysSrc * self)
{
  GstGenesysSpan part, *rest = &self->silence;
  GstBuffer *buf;

  part.samples = MIN (rest->samples, AH_RATE);
  part.offset = rest->offset;
  part.pts = rest->pts;
  part.duration = gst_util_uint64_scale (rest->duration, part.samples,
      rest->samples);
  buf = make_silence (self, &part);
  if (self->silence_discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->silence_discont = FALSE;
  rest->pts += part.duration;
  rest->duration -= part.duration;
  rest->offset += part.samples;
  rest->samples -= part.samples;
  return buf;
}

static void
swap_channels (GstGenesysSrc * self, guint8 * data, gsize size)
{
  gsize i;

  if (self->media.format == AH_FORMAT_PCMU) {
    for (i = 0; i + 1 < size; i += 2) {
      guint8 t = data[i];
      data[i] = data[i + 1];
      data[i + 1] = t;
    }
  } else {
    for (i = 0; i + 3 < size; i += 4) {
      guint8 t0 = data[i], t1 = data[i + 1];
      data[i] = data[i + 2];
      data[i + 1] = data[i + 3];
      data[i + 2] = t0;
      data[i + 3] = t1;
    }
  }
}

void
src_output_audio (GstGenesysSrc * self, Item * item)
{
  GstGenesysSpan span, gap;
  guint64 skip;
  guint frame = ah_media_frame_size (&self->media);
  GstBuffer *buf;
  gsize size;
  const guint8 *data = g_bytes_get_data (item->data, &size);

  GstGenesysSpan late;
  GstClockTime now;
  guint64 n_late;

  if (!gst_genesys_timeline_audio (&self->timeline, item->position,
          item->samples, item->arrival, &span, &gap, &skip))
    return;
  src_output_gap (self, &gap);

  /* Audio that leaves later than PTS + latency is late: kept (and
   * counted), or with drop-on-latency a gap of its length. */
  now = src_current_running_time (self);
  n_late = gst_genesys_timeline_late (&self->timeline, now, &span, &late);
  if (n_late && !self->late_run) {
    GST_INFO_OBJECT (self, "audio at %" GST_TIME_FORMAT " leaves %"
        GST_TIME_FORMAT " after its PTS, beyond the latency of %"
        GST_TIME_FORMAT "%s", GST_TIME_ARGS (span.pts + late.duration),
        GST_TIME_ARGS (now - (late.samples ? late.pts : span.pts)),
        GST_TIME_ARGS (self->timeline.latency),
        late.samples ? ": dropped (drop-on-latency)" : "");
    src_post_element_message (self, gst_structure_new ("genesys-late",
            "timestamp", G_TYPE_UINT64, late.samples ? late.pts : span.pts,
            "duration", G_TYPE_UINT64, gst_genesys_samples_to_time (n_late),
            "lateness", G_TYPE_UINT64,
            now - (late.samples ? late.pts : span.pts),
            "dropped", G_TYPE_BOOLEAN, late.samples > 0, NULL));
  }
  self->late_run = n_late > 0;
  if (late.samples) {
    src_output_gap (self, &late);
    skip += late.samples;
  }

  g_mutex_lock (&self->lock);
  self->stats.late_samples = self->timeline.late_samples;
  self->stats.late_dropped_samples = self->timeline.late_dropped_samples;
  self->stats.reanchors = self->timeline.reanchors;
  self->stats.skew_ppb = self->timeline.est_ppb;
  self->stats.lateness = self->timeline.lateness;
  g_mutex_unlock (&self->lock);

  if (span.samples == 0)
    return;
  note_span (self, &span, FALSE);
  data += skip * frame;
  buf = gst_buffer_new_memdup (data, span.samples * frame);
  if (self->swap) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    swap_channels (self, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  GST_BUFFER_PTS (buf) = span.pts;
  GST_BUFFER_DURATION (buf) = span.duration;
  GST_BUFFER_OFFSET (buf) = span.offset;
  GST_BUFFER_OFFSET_END (buf) = span.offset + span.samples;
  g_queue_push_tail (&self->out, buf);
}

/* Paired mode: drops what a barge-in flushed, posts how much. Streaming
 * thread. */
void
src_handle_barge_in (GstGenesysSrc * self)
{
  GstClockTime flushed;
  guint64 samples;
  GstBuffer *buf;

  g_mutex_lock (&self->lock);
  if (!self->barge_in) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->barge_in = FALSE;
  samples = self->barge_in_samples;
  self->barge_in_samples = 0;
  g_mutex_unlock (&self->lock);

  flushed = gst_genesys_samples_to_time (samples);
  while ((buf = g_queue_pop_head (&self->out))) {
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
      flushed += GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  g_mutex_lock (&self->lock);
  self->stats.barge_in_samples += gst_util_uint64_scale_int (flushed, AH_RATE,
      GST_SECOND);
  g_mutex_unlock (&self->lock);
  self->need_discont = TRUE;
  GST_INFO_OBJECT (self, "barge-in: %" GST_TIME_FORMAT " not played dropped",
      GST_TIME_ARGS (flushed));
  src_post_element_message (self, gst_structure_new ("genesys-barge-in",
          "flushed", G_TYPE_UINT64, flushed, NULL));
}

/* Paired mode: the client plays bot audio when it is due, not before, so a
 * barge-in drops what is still to come. FALSE when flushing. */
gboolean
src_wait_due (GstGenesysSrc * self, GstClockTime pts)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !self->barge_in) {
    GstClockTime now;
    gint64 deadline;

    g_mutex_unlock (&self->lock);
    now = src_current_running_time (self);
    g_mutex_lock (&self->lock);
    if (!GST_CLOCK_TIME_IS_VALID (now) || now >= pts)
      break;
    deadline = g_get_monotonic_time () + (gint64) ((pts - now) / 1000);
    g_cond_wait_until (&self->cond, &self->lock, deadline);
  }
  ok = !self->flushing;
  g_mutex_unlock (&self->lock);
  return ok;
}

void
src_push_dtmf (GstGenesysSrc * self, Item * item)
{
  GstClockTime rt = gst_genesys_timeline_position_time (&self->timeline,
      item->position);
  GstStructure *s;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = item->arrival;
  s = gst_structure_new ("GstGenesysDTMF",
      "digit", G_TYPE_STRING, item->digit,
      "position", G_TYPE_UINT64, gst_genesys_samples_to_time (item->position),
      "running-time", G_TYPE_UINT64, rt, NULL);
  GST_DEBUG_OBJECT (self, "DTMF event %" GST_PTR_FORMAT, s);
  gst_pad_push_event (GST_BASE_SRC_PAD (self),
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
}
