/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-genesystranscript
 * @title: genesystranscript
 *
 * Sends speech recognition results as AudioHook `transcript` events on the
 * session a genesyssrc with the same #GstGenesysTranscript:session-name
 * serves (a Transcription Connector). No JSON and no offset arithmetic by
 * hand: each result becomes one event entity with
 *
 * - `channelId`: the index, in the session's negotiated channel list, of
 *   genesyssrc's output channel #GstGenesysTranscript:channel (genesyssrc
 *   outputs the external party first whatever the negotiated order);
 * - `offset` and `duration` in stream positions, found by mapping the
 *   result's running times back through the spans genesyssrc output
 *   (audio and gaps, each with the position it stands for), so they stay
 *   true across pauses, discarded spans and continuations;
 * - `isFinal` false for partial results, word tokens with their own offsets
 *   where the engine gives them, `confidence` clamped to [0, 1], and the
 *   language of the session's `open` (or `update`), or
 *   #GstGenesysTranscript:language.
 *
 * Two inputs:
 *
 * - #GstGenesysTranscript:recognizer: a bin description of the recogniser,
 *   which the element contains: audio goes in on the element's sink pad.
 *   The `pocketsphinx` element's messages (named `pocketsphinx`:
 *   `hypothesis`, `confidence` as a log posterior, `final`) become results
 *   placed by the audio the recogniser was processing when it posted them:
 *   a final result ends #GstGenesysTranscript:recognizer-hangover before
 *   the end of that audio (pocketsphinx declares the end of speech after
 *   that much silence; at EOS nothing is taken off), and an utterance
 *   starts where its first partial result came (or where the audio after
 *   the previous result started). The messages go on up the bus.
 * - Without a recogniser (or behind one that outputs text), `text/x-raw`
 *   buffers, one utterance each: PTS and DURATION are its span. A
 *   #GstCustomMeta named `GstGenesysTranscriptMeta` may say `final`
 *   (boolean, default true), `confidence` (double, default 1) and `words`
 *   (a list of `word` structures: `value`, `pts`, `duration`,
 *   `confidence`). Other buffers (pocketsphinx's own `text/plain` output)
 *   are ignored.
 *
 * Events go out in the order results come, numbered as the session's other
 * messages. When the client closes the session, its `closed` waits (at most
 * 5 s) until every genesystranscript on the session saw EOS, which
 * genesyssrc sends after the close (with keep-listening, its
 * `GstGenesysSessionEnd` event): final results of the last words still go
 * out, before `closed`.
 *
 * For each event sent the element posts `genesys-transcript` with the
 * latency from the end of the speech (the running time of the result's
 * end) to the moment the event went out; #GstGenesysTranscript:stats counts
 * them.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 genesyssrc port=9000 api-key=K client-secret=S session-name=call ! \
 *     mulawdec ! audioconvert ! audioresample ! audio/x-raw,rate=16000 ! \
 *     genesystranscript session-name=call recognizer=pocketsphinx
 * ]|
 * Stereo, one recogniser per channel:
 * |[
 * gst-launch-1.0 genesyssrc port=9000 api-key=K client-secret=S session-name=call \
 *     caps=audio/x-mulaw,rate=8000,channels=2 ! mulawdec ! deinterleave name=d \
 *   d.src_0 ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=16000 ! \
 *     genesystranscript session-name=call channel=0 recognizer=pocketsphinx \
 *   d.src_1 ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=16000 ! \
 *     genesystranscript session-name=call channel=1 recognizer=pocketsphinx
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesystranscript.h"
#include "gstgenesyschannel.h"
#include "gstgenesystime.h"
#include "audiohook/ah-duration.h"
#include "audiohook/ah-transcript.h"

GST_DEBUG_CATEGORY_STATIC (genesystranscript_debug);
#define GST_CAT_DEFAULT genesystranscript_debug

/* pocketsphinx: -vad_postspeech 50 frames of 10 ms */
#define DEFAULT_HANGOVER (500 * GST_MSECOND)
/* pocketsphinx's logmath base */
#define LOG_BASE 1.0001

enum
{
  PROP_0,
  PROP_SESSION_NAME,
  PROP_CHANNEL,
  PROP_RECOGNIZER,
  PROP_RECOGNIZER_HANGOVER,
  PROP_LANGUAGE,
  PROP_STATS,
};

/* ---- the text input inside the bin: a sink of its own ---- */

#define TAP_TYPE (tap_get_type ())
G_DECLARE_FINAL_TYPE (Tap, tap, TRANSCRIPT, TAP, GstElement);

struct _Tap
{
  GstElement parent;
  GstPad *sinkpad;
};

G_DEFINE_TYPE (Tap, tap, GST_TYPE_ELEMENT);

struct _GstGenesysTranscript
{
  GstBin parent;

  GstPad *sinkpad;              /* ghost: the recogniser's or the tap's */
  Tap *tap;
  GstElement *recognizer;
  GstPad *probed;               /* where the audio into it is watched */
  gulong probe;

  /* properties (object lock) */
  gchar *session_name;
  guint channel;
  gchar *recognizer_desc;
  GstClockTime hangover;
  gchar *language;

  GMutex lock;
  GstGenesysChannel *ch;
  /* the audio going into the recogniser */
  GstSegment audio_segment;
  GstClockTime cur_start, cur_end;      /* the buffer it processes */
  GstClockTime listen_start;    /* audio since the previous result */
  gboolean audio_eos;
  /* the recogniser's utterance in progress */
  gboolean in_utt;
  GstClockTime utt_start;
  gchar *utt_id;
  /* text input */
  GstSegment text_segment;
  gboolean text_caps;
  gchar *text_utt_id;
  /* stats */
  guint64 events, finals, partials, dropped;
  GstClockTime latency_last, latency_max, latency_sum;
  guint64 latency_count;
};

G_DEFINE_TYPE (GstGenesysTranscript, gst_genesys_transcript, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (genesystranscript, "genesystranscript",
    GST_RANK_NONE, GST_TYPE_GENESYS_TRANSCRIPT,
    GST_DEBUG_CATEGORY_INIT (genesystranscript_debug, "genesystranscript", 0,
        "Genesys AudioHook transcripts"));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* ---- results -> events ---- */

typedef struct
{
  GstClockTime start, duration; /* running time */
  gchar *value;
  gdouble confidence;
} Word;

typedef struct
{
  gchar *id;
  gboolean final;
  GstClockTime start, end;      /* running time; NONE: unknown */
  gchar *text;
  gdouble confidence;
  GArray *words;                /* Word, may be NULL */
} Result;

static void
word_clear (gpointer data)
{
  g_free (((Word *) data)->value);
}

static void
result_clear (Result * r)
{
  g_free (r->id);
  g_free (r->text);
  if (r->words)
    g_array_unref (r->words);
}

typedef struct
{
  GstGenesysTranscript *self;
  gboolean final;
  guint channel_id;
  GstClockTime end;
  guint64 offset, duration;
  gchar *text;
} Sent;

static void
sent_free (gpointer data)
{
  Sent *s = data;

  gst_object_unref (s->self);
  g_free (s->text);
  g_free (s);
}

static GstClockTime
current_running_time (GstElement * e)
{
  GstClock *clock = gst_element_get_clock (e);
  GstClockTime now, base;

  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (e);
  gst_object_unref (clock);
  return now >= base ? now - base : 0;
}

/* On the session's loop thread: the event went out (or could not). */
static void
on_sent (gboolean sent, gpointer data)
{
  Sent *s = data;
  GstGenesysTranscript *self = s->self;
  GstClockTime now = current_running_time (GST_ELEMENT (self));
  GstClockTime latency = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (now) && GST_CLOCK_TIME_IS_VALID (s->end))
    latency = now > s->end ? now - s->end : 0;
  g_mutex_lock (&self->lock);
  if (!sent) {
    self->dropped++;
  } else {
    self->events++;
    if (s->final)
      self->finals++;
    else
      self->partials++;
    if (s->final && GST_CLOCK_TIME_IS_VALID (latency)) {
      self->latency_last = latency;
      self->latency_max = MAX (self->latency_max, latency);
      self->latency_sum += latency;
      self->latency_count++;
    }
  }
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "%s result \"%s\" %s, latency %" GST_TIME_FORMAT,
      s->final ? "final" : "partial", s->text, sent ? "sent" : "not sent",
      GST_TIME_ARGS (latency));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("genesys-transcript",
              "channel-id", G_TYPE_UINT, s->channel_id,
              "final", G_TYPE_BOOLEAN, s->final,
              "transcript", G_TYPE_STRING, s->text,
              "offset", G_TYPE_UINT64, s->offset,
              "duration", G_TYPE_UINT64, s->duration,
              "latency", G_TYPE_UINT64, latency,
              "sent", G_TYPE_BOOLEAN, sent, NULL)));
}

/* Running time -> stream position in ns; FALSE when nothing maps it. */
static gboolean
position_of (GstGenesysChannel * ch, GstClockTime rt, guint64 * ns)
{
  guint64 samples;

  if (!gst_genesys_channel_lookup_position (ch, rt, &samples))
    return FALSE;
  *ns = gst_genesys_samples_to_time (samples);
  return TRUE;
}

static void
add_words (AhTranscript * t, GstGenesysChannel * ch, GArray * words)
{
  guint i;

  for (i = 0; words && i < words->len; i++) {
    Word *w = &g_array_index (words, Word, i);
    guint64 off = 0, end = 0;
    gboolean timed = position_of (ch, w->start, &off)
        && position_of (ch, w->start + w->duration, &end);

    ah_transcript_add_token (t, w->value, w->confidence, timed, off,
        timed && end > off ? end - off : 0);
  }
}

static AhTranscript *
make_transcript (GstGenesysTranscript * self, GstGenesysChannel * ch,
    Result * r)
{
  AhTranscript *t = ah_transcript_new ();
  guint64 off = 0, end = 0;

  t->id = g_strdup (r->id);
  GST_OBJECT_LOCK (self);
  t->channel_id = gst_genesys_channel_channel_id (ch, self->channel);
  t->language = g_strdup (self->language);
  GST_OBJECT_UNLOCK (self);
  if (!t->language)
    t->language = gst_genesys_channel_dup_language (ch);
  t->is_final = r->final;
  if (GST_CLOCK_TIME_IS_VALID (r->start) && position_of (ch, r->start, &off)) {
    if (!GST_CLOCK_TIME_IS_VALID (r->end) || !position_of (ch, r->end, &end))
      end = off;
    t->has_time = TRUE;
    t->offset = off;
    t->duration = end > off ? end - off : 0;
  }
  t->text = g_strdup (r->text);
  t->confidence = r->confidence;
  add_words (t, ch, r->words);
  return t;
}

static void
send_result (GstGenesysTranscript * self, Result * r)
{
  GstGenesysChannel *ch;
  AhTranscript *t;
  JsonArray *entities;
  Sent *s;

  g_mutex_lock (&self->lock);
  ch = self->ch;
  if (!ch) {
    self->dropped++;
    g_mutex_unlock (&self->lock);
    return;
  }
  g_mutex_unlock (&self->lock);

  t = make_transcript (self, ch, r);
  if (GST_CLOCK_TIME_IS_VALID (r->start) && !t->has_time)
    GST_INFO_OBJECT (self, "no stream position for %" GST_TIME_FORMAT
        ": sent without offset", GST_TIME_ARGS (r->start));
  entities = json_array_new ();
  json_array_add_object_element (entities, ah_transcript_to_entity (t));
  s = g_new0 (Sent, 1);
  s->self = gst_object_ref (self);
  s->final = r->final;
  s->channel_id = t->channel_id;
  s->end = r->end;
  s->offset = t->offset;
  s->duration = t->duration;
  s->text = g_strdup (r->text);
  ah_transcript_free (t);
  if (!gst_genesys_channel_send_event (ch, entities, on_sent, s, sent_free)) {
    GST_INFO_OBJECT (self, "no session: result \"%s\" dropped", r->text);
    g_mutex_lock (&self->lock);
    self->dropped++;
    g_mutex_unlock (&self->lock);
  }
  json_array_unref (entities);
}

/* ---- the recogniser's messages (pocketsphinx) ---- */

static gdouble
message_confidence (const GstStructure * st)
{
  const GValue *v = gst_structure_get_value (st, "confidence");

  if (!v)
    return 1.0;
  if (G_VALUE_HOLDS_DOUBLE (v))
    return g_value_get_double (v);
  if (G_VALUE_HOLDS_LONG (v)) {
    glong l = g_value_get_long (v);
    /* pocketsphinx puts an int32 into the long unsigned: 4294958304 is
     * -8992 */
    if (l > G_MAXINT32 && l <= (glong) G_MAXUINT32)
      l = (gint32) (guint32) l;
    return ah_transcript_confidence_from_log (l, LOG_BASE);
  }
  if (G_VALUE_HOLDS_INT (v))
    return ah_transcript_confidence_from_log (g_value_get_int (v), LOG_BASE);
  if (G_VALUE_HOLDS_INT64 (v))
    return ah_transcript_confidence_from_log (g_value_get_int64 (v), LOG_BASE);
  return 1.0;
}

/* Where the utterance of a result lies, from the audio the recogniser
 * was given; lock held. */
static void
place_recognized_locked (GstGenesysTranscript * self, Result * r,
    GstClockTime hangover)
{
  GstClockTime start = GST_CLOCK_TIME_IS_VALID (self->listen_start) ?
      self->listen_start : self->cur_start;

  if (!self->in_utt) {
    self->in_utt = TRUE;
    self->utt_start = GST_CLOCK_TIME_IS_VALID (self->cur_start)
        && !r->final ? self->cur_start : start;
    g_free (self->utt_id);
    self->utt_id = g_uuid_string_random ();
  }
  r->id = g_strdup (self->utt_id);
  r->start = self->utt_start;
  r->end = self->cur_end;
  if (r->final) {
    if (!self->audio_eos && GST_CLOCK_TIME_IS_VALID (r->end))
      r->end = r->end > hangover ? r->end - hangover : 0;
    if (GST_CLOCK_TIME_IS_VALID (r->start) && GST_CLOCK_TIME_IS_VALID (r->end)
        && r->end < r->start)
      r->end = r->start;
    self->in_utt = FALSE;
    self->listen_start = self->cur_end;
  }
}

/* In the thread that posted: the recogniser is within the buffer that the
 * probe saw last. */
static void
on_recognizer_message (GstGenesysTranscript * self, const GstStructure * st)
{
  Result r = { 0 };
  const gchar *hyp = gst_structure_get_string (st, "hypothesis");
  GstClockTime hangover;

  if (!gst_structure_get_boolean (st, "final", &r.final))
    r.final = TRUE;
  r.confidence = message_confidence (st);
  GST_OBJECT_LOCK (self);
  hangover = self->hangover;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  place_recognized_locked (self, &r, hangover);
  g_mutex_unlock (&self->lock);
  if (hyp && *hyp) {
    r.text = g_strdup (hyp);
    GST_DEBUG_OBJECT (self, "%s: \"%s\" %" GST_TIME_FORMAT " - %"
        GST_TIME_FORMAT, r.final ? "final" : "partial", hyp,
        GST_TIME_ARGS (r.start), GST_TIME_ARGS (r.end));
    send_result (self, &r);
  }
  result_clear (&r);
}

static void
gst_genesys_transcript_handle_message (GstBin * bin, GstMessage * msg)
{
  GstGenesysTranscript *self = GST_GENESYS_TRANSCRIPT (bin);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (msg, "pocketsphinx"))
    on_recognizer_message (self, gst_message_get_structure (msg));
  GST_BIN_CLASS (gst_genesys_transcript_parent_class)->handle_message (bin,
      msg);
}

/* The audio on its way into the recogniser. */
static GstPadProbeReturn
audio_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstGenesysTranscript *self = data;

  g_mutex_lock (&self->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buf), dur = GST_BUFFER_DURATION (buf);

    if (GST_CLOCK_TIME_IS_VALID (pts)
        && self->audio_segment.format == GST_FORMAT_TIME) {
      self->cur_start = gst_segment_to_running_time (&self->audio_segment,
          GST_FORMAT_TIME, pts);
      self->cur_end = gst_segment_to_running_time (&self->audio_segment,
          GST_FORMAT_TIME, pts + (GST_CLOCK_TIME_IS_VALID (dur) ? dur : 0));
      if (!GST_CLOCK_TIME_IS_VALID (self->listen_start))
        self->listen_start = self->cur_start;
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (ev, &self->audio_segment);
    else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      self->audio_eos = TRUE;
    else if (GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START)
      self->audio_eos = FALSE;
  }
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* ---- text buffers ---- */

static gchar *
buffer_text (GstBuffer * buf)
{
  GstMapInfo map;
  gchar *text;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return NULL;
  text = g_utf8_make_valid ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return g_strstrip (text);
}

static GstClockTime
text_running_time (GstGenesysTranscript * self, GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t)
      || self->text_segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&self->text_segment, GST_FORMAT_TIME, t);
}

static void
read_words (GstGenesysTranscript * self, const GValue * list, Result * r)
{
  guint i, n;

  if (!list || !(GST_VALUE_HOLDS_LIST (list) || GST_VALUE_HOLDS_ARRAY (list)))
    return;
  n = GST_VALUE_HOLDS_LIST (list) ? gst_value_list_get_size (list) :
      gst_value_array_get_size (list);
  r->words = g_array_new (FALSE, TRUE, sizeof (Word));
  g_array_set_clear_func (r->words, word_clear);
  for (i = 0; i < n; i++) {
    const GValue *v = GST_VALUE_HOLDS_LIST (list) ?
        gst_value_list_get_value (list, i) : gst_value_array_get_value (list,
        i);
    const GstStructure *ws;
    Word w = { 0 };
    guint64 pts = GST_CLOCK_TIME_NONE, dur = 0;

    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    ws = gst_value_get_structure (v);
    w.value = g_strdup (gst_structure_get_string (ws, "value"));
    gst_structure_get_uint64 (ws, "pts", &pts);
    gst_structure_get_uint64 (ws, "duration", &dur);
    if (!gst_structure_get_double (ws, "confidence", &w.confidence))
      w.confidence = -1;
    w.start = text_running_time (self, pts);
    w.duration = dur;
    g_array_append_val (r->words, w);
  }
}

static void
read_meta (GstGenesysTranscript * self, GstBuffer * buf, Result * r)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf,
      GST_GENESYS_TRANSCRIPT_META);
  GstStructure *st;

  r->final = TRUE;
  r->confidence = 1.0;
  if (!meta)
    return;
  st = gst_custom_meta_get_structure (meta);
  gst_structure_get_boolean (st, "final", &r->final);
  gst_structure_get_double (st, "confidence", &r->confidence);
  read_words (self, gst_structure_get_value (st, "words"), r);
}

static void
on_text (GstGenesysTranscript * self, GstBuffer * buf)
{
  Result r = { 0 };
  GstClockTime pts = GST_BUFFER_PTS (buf), dur = GST_BUFFER_DURATION (buf);

  r.text = buffer_text (buf);
  if (!r.text)
    return;
  read_meta (self, buf, &r);
  r.start = text_running_time (self, pts);
  r.end = GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (dur) ?
      text_running_time (self, pts + dur) : r.start;
  /* partial results of one utterance share its id with the final one */
  g_mutex_lock (&self->lock);
  if (!self->text_utt_id)
    self->text_utt_id = g_uuid_string_random ();
  r.id = g_strdup (self->text_utt_id);
  if (r.final)
    g_clear_pointer (&self->text_utt_id, g_free);
  g_mutex_unlock (&self->lock);
  send_result (self, &r);
  result_clear (&r);
}

static GstFlowReturn
tap_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstGenesysTranscript *self =
      GST_GENESYS_TRANSCRIPT (GST_OBJECT_PARENT (parent));
  gboolean text;

  g_mutex_lock (&self->lock);
  text = self->text_caps;
  g_mutex_unlock (&self->lock);
  if (text)
    on_text (self, buf);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* The stream ended: every result is sent, the session's closed may go. */
static void
on_eos (GstGenesysTranscript * self, Tap * tap)
{
  GstGenesysChannel *ch;

  g_mutex_lock (&self->lock);
  ch = self->ch;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "EOS: done with the session");
  if (ch)
    gst_genesys_channel_transcriber_done (ch, NULL);
  gst_element_post_message (GST_ELEMENT (tap),
      gst_message_new_eos (GST_OBJECT (tap)));
}

/* genesyssrc with keep-listening: a session ended, the stream goes on.
 * What the recogniser had of it went out before this event. */
static void
on_session_end (GstGenesysTranscript * self, const GstStructure * st)
{
  GstGenesysChannel *ch;
  const gchar *id = gst_structure_get_string (st, "session-id");

  g_mutex_lock (&self->lock);
  ch = self->ch;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "session %s ended", id);
  if (ch && id)
    gst_genesys_channel_transcriber_done (ch, id);
}

static gboolean
tap_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstGenesysTranscript *self =
      GST_GENESYS_TRANSCRIPT (GST_OBJECT_PARENT (parent));

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      g_mutex_lock (&self->lock);
      self->text_caps = gst_structure_has_name (gst_caps_get_structure (caps,
              0), "text/x-raw");
      g_mutex_unlock (&self->lock);
      break;
    }
    case GST_EVENT_SEGMENT:
      g_mutex_lock (&self->lock);
      gst_event_copy_segment (event, &self->text_segment);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_EOS:
      on_eos (self, TRANSCRIPT_TAP (parent));
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (gst_event_has_name (event, "GstGenesysSessionEnd"))
        on_session_end (self, gst_event_get_structure (event));
      break;
    default:
      break;
  }
  gst_event_unref (event);
  return TRUE;
}

static void
tap_class_init (TapClass * klass)
{
}

static void
tap_init (Tap * tap)
{
  tap->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (tap->sinkpad, tap_chain);
  gst_pad_set_event_function (tap->sinkpad, tap_event);
  GST_PAD_SET_ACCEPT_INTERSECT (tap->sinkpad);
  gst_element_add_pad (GST_ELEMENT (tap), tap->sinkpad);
  GST_OBJECT_FLAG_SET (tap, GST_ELEMENT_FLAG_SINK);
}

/* ---- the recogniser ---- */

static void drop_recognizer (GstGenesysTranscript * self);

static void
watch_audio (GstGenesysTranscript * self, GstPad * pad)
{
  if (self->probed) {
    gst_pad_remove_probe (self->probed, self->probe);
    gst_object_unref (self->probed);
  }
  self->probed = gst_object_ref (pad);
  self->probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, audio_probe, self, NULL);
}

/* The audio pocketsphinx itself is given (after any converter in the
 * description); else what comes into the bin. */
static void
watch_recognizer_input (GstGenesysTranscript * self, GstElement * rec)
{
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (GST_BIN
      (rec), "pocketsphinx");
  GValue v = G_VALUE_INIT;

  if (it && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = gst_element_get_static_pad (g_value_get_object (&v),
        "sink");
    if (pad) {
      watch_audio (self, pad);
      gst_object_unref (pad);
    }
    g_value_unset (&v);
  }
  if (it)
    gst_iterator_free (it);
}

static gboolean
build_recognizer (GstGenesysTranscript * self)
{
  GError *error = NULL;
  gchar *desc;
  GstElement *rec;
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  desc = g_strdup (self->recognizer_desc);
  GST_OBJECT_UNLOCK (self);
  if (!desc || !*desc) {
    g_free (desc);
    return TRUE;
  }
  rec = gst_parse_bin_from_description (desc, TRUE, &error);
  if (!rec) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot make the recognizer \"%s\": %s", desc, error->message),
        (NULL));
    g_clear_error (&error);
    g_free (desc);
    return FALSE;
  }
  g_free (desc);
  gst_bin_add (GST_BIN (self), rec);
  pad = gst_element_get_static_pad (rec, "sink");
  if (!pad) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The recognizer has no input for the audio"), (NULL));
    gst_bin_remove (GST_BIN (self), rec);
    return FALSE;
  }
  /* the tap's pad is free once the audio goes to the recogniser */
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), pad);
  gst_object_unref (pad);
  self->recognizer = rec;
  watch_recognizer_input (self, rec);
  if (!gst_element_link_pads (rec, "src", GST_ELEMENT (self->tap), "sink")) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The recognizer has no output to link"), (NULL));
    drop_recognizer (self);
    return FALSE;
  }
  return TRUE;
}

static void
drop_recognizer (GstGenesysTranscript * self)
{
  GstPad *tap_pad;

  if (!self->recognizer)
    return;
  /* removing it unlinks its pads: the tap's is free for the ghost again */
  watch_audio (self, self->sinkpad);
  gst_element_set_state (self->recognizer, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self), self->recognizer);
  self->recognizer = NULL;
  tap_pad = gst_element_get_static_pad (GST_ELEMENT (self->tap), "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->sinkpad), tap_pad);
  gst_object_unref (tap_pad);
}

/* ---- state ---- */

static gboolean
join (GstGenesysTranscript * self)
{
  gchar *name;
  GstGenesysChannel *ch;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->session_name);
  GST_OBJECT_UNLOCK (self);
  if (!name || !*name) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("session-name is not set: no session to send transcripts on"), (NULL));
    g_free (name);
    return FALSE;
  }
  ch = gst_genesys_channel_join_transcriber (name);
  g_free (name);
  g_mutex_lock (&self->lock);
  self->ch = ch;
  gst_segment_init (&self->audio_segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&self->text_segment, GST_FORMAT_UNDEFINED);
  self->cur_start = self->cur_end = GST_CLOCK_TIME_NONE;
  self->listen_start = GST_CLOCK_TIME_NONE;
  self->utt_start = GST_CLOCK_TIME_NONE;
  self->audio_eos = FALSE;
  self->in_utt = FALSE;
  self->text_caps = FALSE;
  self->events = self->finals = self->partials = self->dropped = 0;
  self->latency_last = self->latency_max = self->latency_sum = 0;
  self->latency_count = 0;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
leave (GstGenesysTranscript * self)
{
  GstGenesysChannel *ch;

  g_mutex_lock (&self->lock);
  ch = g_steal_pointer (&self->ch);
  g_clear_pointer (&self->utt_id, g_free);
  g_clear_pointer (&self->text_utt_id, g_free);
  g_mutex_unlock (&self->lock);
  if (ch)
    gst_genesys_channel_leave_transcriber (ch);
}

static GstStateChangeReturn
gst_genesys_transcript_change_state (GstElement * element,
    GstStateChange transition)
{
  GstGenesysTranscript *self = GST_GENESYS_TRANSCRIPT (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!build_recognizer (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!join (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (gst_genesys_transcript_parent_class)->change_state
      (element, transition);
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (ret == GST_STATE_CHANGE_FAILURE)
        leave (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      leave (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      drop_recognizer (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---- properties ---- */

static GstStructure *
build_stats (GstGenesysTranscript * self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("application/x-genesys-transcript-stats",
      "events", G_TYPE_UINT64, self->events,
      "finals", G_TYPE_UINT64, self->finals,
      "partials", G_TYPE_UINT64, self->partials,
      "dropped", G_TYPE_UINT64, self->dropped,
      "latency-last", G_TYPE_UINT64, self->latency_last,
      "latency-max", G_TYPE_UINT64, self->latency_max,
      "latency-mean", G_TYPE_UINT64, self->latency_count ?
      self->latency_sum / self->latency_count : 0, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_genesys_transcript_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGenesysTranscript *self = GST_GENESYS_TRANSCRIPT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SESSION_NAME:
      g_free (self->session_name);
      self->session_name = g_value_dup_string (value);
      break;
    case PROP_CHANNEL:
      self->channel = g_value_get_uint (value);
      break;
    case PROP_RECOGNIZER:
      g_free (self->recognizer_desc);
      self->recognizer_desc = g_value_dup_string (value);
      break;
    case PROP_RECOGNIZER_HANGOVER:
      self->hangover = g_value_get_uint64 (value);
      break;
    case PROP_LANGUAGE:
      g_free (self->language);
      self->language = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_transcript_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGenesysTranscript *self = GST_GENESYS_TRANSCRIPT (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SESSION_NAME:
      g_value_set_string (value, self->session_name);
      break;
    case PROP_CHANNEL:
      g_value_set_uint (value, self->channel);
      break;
    case PROP_RECOGNIZER:
      g_value_set_string (value, self->recognizer_desc);
      break;
    case PROP_RECOGNIZER_HANGOVER:
      g_value_set_uint64 (value, self->hangover);
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_transcript_finalize (GObject * object)
{
  GstGenesysTranscript *self = GST_GENESYS_TRANSCRIPT (object);

  g_free (self->session_name);
  g_free (self->recognizer_desc);
  g_free (self->language);
  g_free (self->utt_id);
  g_free (self->text_utt_id);
  if (self->probed)
    gst_object_unref (self->probed);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_genesys_transcript_parent_class)->finalize (object);
}

static void
gst_genesys_transcript_init (GstGenesysTranscript * self)
{
  GstPad *tap_pad;

  g_mutex_init (&self->lock);
  self->hangover = DEFAULT_HANGOVER;
  self->tap = g_object_new (TAP_TYPE, "name", "text", NULL);
  gst_bin_add (GST_BIN (self), GST_ELEMENT (self->tap));
  tap_pad = gst_element_get_static_pad (GST_ELEMENT (self->tap), "sink");
  self->sinkpad = gst_ghost_pad_new_from_template ("sink", tap_pad,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          "sink"));
  gst_object_unref (tap_pad);
  watch_audio (self, self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
}

static void
install_properties (GObjectClass * gobject_class)
{
  /**
   * GstGenesysTranscript:session-name:
   *
   * The session to send on: the genesyssrc with this session-name serves
   * it. Required.
   */
  g_object_class_install_property (gobject_class, PROP_SESSION_NAME,
      g_param_spec_string ("session-name", "Session name",
          "The session to send transcripts on: that of the genesyssrc with "
          "this session-name", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstGenesysTranscript:channel:
   *
   * Which of genesyssrc's output channels this audio is: 0 the external
   * party (the only one of a mono session), 1 the internal party. The
   * event's channelId is its index in the negotiated channel list.
   */
  g_object_class_install_property (gobject_class, PROP_CHANNEL,
      g_param_spec_uint ("channel", "Channel",
          "genesyssrc's output channel the results are about: 0 external, "
          "1 internal", 0, 1, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstGenesysTranscript:recognizer:
   *
   * A bin description of the recogniser the element contains (e.g.
   * "pocketsphinx"); audio in, its messages or text buffers out. None:
   * the element takes text buffers.
   */
  g_object_class_install_property (gobject_class, PROP_RECOGNIZER,
      g_param_spec_string ("recognizer", "Recognizer",
          "Bin description of the speech recogniser inside (e.g. "
          "\"pocketsphinx\"); none: text buffers come in", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstGenesysTranscript:recognizer-hangover:
   *
   * How much silence the recogniser hears before it declares the end of
   * speech: taken off the end of its final results.
   */
  g_object_class_install_property (gobject_class, PROP_RECOGNIZER_HANGOVER,
      g_param_spec_uint64 ("recognizer-hangover", "Recognizer hangover",
          "Silence the recogniser needs to end an utterance, taken off the "
          "end of its final results (ns)", 0, 10 * GST_SECOND,
          DEFAULT_HANGOVER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstGenesysTranscript:language:
   *
   * The language of the results; none: the session's (open, update).
   */
  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "Language code of the results; none: the session's", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstGenesysTranscript:stats:
   *
   * application/x-genesys-transcript-stats: events, finals, partials,
   * dropped (no session, no position), and the latency (ns) from the end
   * of speech to the event sent of final results: latency-last,
   * latency-max, latency-mean.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Events sent and the latency from the end of speech",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_genesys_transcript_class_init (GstGenesysTranscriptClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  static const gchar *tags[] = { NULL };

  gobject_class->set_property = gst_genesys_transcript_set_property;
  gobject_class->get_property = gst_genesys_transcript_get_property;
  gobject_class->finalize = gst_genesys_transcript_finalize;
  install_properties (gobject_class);

  if (!gst_meta_get_info (GST_GENESYS_TRANSCRIPT_META))
    gst_meta_register_custom (GST_GENESYS_TRANSCRIPT_META, tags, NULL, NULL,
        NULL);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Genesys AudioHook transcripts", "Sink/Text/Network",
      "Sends speech recognition results as AudioHook transcript events on "
      "a genesyssrc's session", "gst-genesys developers");
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_genesys_transcript_change_state);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_genesys_transcript_handle_message);
}
