/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesyschannel.h"
#include "gstgenesysdebug.h"
#include "audiohook/ah-pacer.h"
#include "audiohook/ah-transcript.h"

GST_GENESYS_DEBUG_CATEGORY ("genesyschannel",
    "Genesys sessions shared between elements");
#define GST_CAT_DEFAULT ensure_debug_category ()

/* Never more per binary message (the reference implementation's limit). */
#define MAX_MESSAGE_BYTES 64000
/* A 429 without retryAfter holds the audio this long. */
#define DEFAULT_RETRY_AFTER (1 * GST_SECOND)
/* A partial frame never waits longer for more audio. */
#define MAX_LINGER (1 * GST_SECOND)
/* The lead a playback starts with beyond what its pieces need (see
 * ah-pacer.h): bot audio that comes in real time stays at least this far
 * ahead of the client's playout, so the client does not run dry in the
 * middle of a prompt when a message is a little late. */
#define START_MARGIN (100 * GST_MSECOND)
/* Spans kept for transcribers: 200 ms frames for about 27 minutes. */
#define MAX_SPANS 8192

struct _GstGenesysChannel
{
  gatomicrefcount ref;
  gchar *name;

  /* callbacks; held while one runs, so that leave() can wait for it */
  GRecMutex dispatch;
  GstGenesysChannelFunc func[2];
  gpointer user_data[2];

  GMutex lock;
  GCond cond;
  gboolean joined[2];
  gboolean flushing[2];

  /* server side */
  GstGenesysPacing pacing;
  GstGenesysConn *conn;
  AhMedia media;
  gsize bpf;
  AhPacer *pacer;
  GSource *timer;
  gboolean disconnect_pending;
  gchar *dc_reason;
  gchar *dc_info;
  JsonObject *dc_vars;
  guint rate_limited;
  guint64 dropped;              /* bytes dropped when a session ended */
  guint64 messages, bytes, flushed;     /* of sessions that ended */
  guint holds;
  guint barge_ins;              /* generation: audio waiting in send() goes too */
  gboolean over;                /* the src's stream ended */
  gboolean barge_pending;       /* no audio before the barge_in event */
  guint64 last_push;            /* ns, 0: none yet */
  guint64 flushed_waiting;      /* bytes dropped that way */

  /* transcribers */
  guint transcribers;
  guint transcribers_done;      /* of the current session */
  AhPositionMap *spans;
  gchar *language;
  AhMedia session_media;
  GstGenesysConn *closing;      /* a session whose closed is held */
  guint closing_pending;        /* transcribers not done with it */
};

static GMutex registry_lock;
static GHashTable *registry;

static GstGenesysChannel *
channel_ref (GstGenesysChannel * ch)
{
  g_atomic_ref_count_inc (&ch->ref);
  return ch;
}

static void
channel_unref (GstGenesysChannel * ch)
{
  if (!g_atomic_ref_count_dec (&ch->ref))
    return;
  g_assert (ch->conn == NULL && ch->timer == NULL);
  g_clear_pointer (&ch->pacer, ah_pacer_free);
  if (ch->closing)
    gst_genesys_conn_unref (ch->closing);
  ah_position_map_free (ch->spans);
  g_free (ch->language);
  g_free (ch->dc_reason);
  g_free (ch->dc_info);
  if (ch->dc_vars)
    json_object_unref (ch->dc_vars);
  g_rec_mutex_clear (&ch->dispatch);
  g_mutex_clear (&ch->lock);
  g_cond_clear (&ch->cond);
  g_free (ch->name);
  g_free (ch);
}

static void
emit (GstGenesysChannel * ch, GstGenesysChannelSide side,
    const GstGenesysChannelEvent * ev)
{
  g_rec_mutex_lock (&ch->dispatch);
  if (ch->func[side])
    ch->func[side] (ch, ev, ch->user_data[side]);
  g_rec_mutex_unlock (&ch->dispatch);
}

/* A new channel in the registry; registry_lock held. */
static GstGenesysChannel *
channel_new_locked (const gchar * name)
{
  GstGenesysChannel *ch = g_new0 (GstGenesysChannel, 1);

  if (!registry)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  g_atomic_ref_count_init (&ch->ref);
  ch->name = g_strdup (name);
  g_rec_mutex_init (&ch->dispatch);
  g_mutex_init (&ch->lock);
  g_cond_init (&ch->cond);
  ch->pacing.frame_duration = 200 * GST_MSECOND;
  ch->pacing.rate = 5;
  ch->pacing.burst = 25;
  ch->pacing.max_lead = GST_SECOND;
  ch->spans = ah_position_map_new (MAX_SPANS);
  g_hash_table_insert (registry, ch->name, ch);
  return ch;
}

/* Out of the registry once nobody is joined; both locks held. */
static void
unregister_if_unused_locked (GstGenesysChannel * ch)
{
  if (!ch->joined[0] && !ch->joined[1] && ch->transcribers == 0
      && g_hash_table_lookup (registry, ch->name) == ch)
    g_hash_table_remove (registry, ch->name);
}

GstGenesysChannel *
gst_genesys_channel_join (const gchar * name, GstGenesysChannelSide side,
    GstGenesysChannelFunc func, gpointer user_data, GError ** error)
{
  GstGenesysChannel *ch;
  GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_PEER };
  gboolean peer;

  g_return_val_if_fail (name != NULL && *name, NULL);

  g_mutex_lock (&registry_lock);
  ch = registry ? g_hash_table_lookup (registry, name) : NULL;
  if (ch && ch->joined[side]) {
    g_mutex_unlock (&registry_lock);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "session-name \"%s\" is already used by another %s", name,
        side == GST_GENESYS_CHANNEL_SRC ? "genesyssrc" : "genesyssink");
    return NULL;
  }
  if (!ch)
    ch = channel_new_locked (name);
  else
    channel_ref (ch);
  g_rec_mutex_lock (&ch->dispatch);
  ch->func[side] = func;
  ch->user_data[side] = user_data;
  g_rec_mutex_unlock (&ch->dispatch);
  g_mutex_lock (&ch->lock);
  ch->joined[side] = TRUE;
  ch->flushing[side] = FALSE;
  if (side == GST_GENESYS_CHANNEL_SRC)
    ch->over = FALSE;
  peer = ch->joined[!side];
  g_mutex_unlock (&ch->lock);
  g_mutex_unlock (&registry_lock);

  GST_DEBUG ("%s joined channel %s",
      side == GST_GENESYS_CHANNEL_SRC ? "src" : "sink", name);
  if (peer) {
    ev.joined = TRUE;
    emit (ch, !side, &ev);
  }
  return ch;
}

void
gst_genesys_channel_leave (GstGenesysChannel * ch, GstGenesysChannelSide side)
{
  GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_PEER };
  gboolean peer;

  g_rec_mutex_lock (&ch->dispatch);
  ch->func[side] = NULL;
  ch->user_data[side] = NULL;
  g_rec_mutex_unlock (&ch->dispatch);

  /* the src takes its session along */
  if (side == GST_GENESYS_CHANNEL_SRC) {
    GstGenesysConn *conn = NULL;
    g_mutex_lock (&ch->lock);
    if (ch->conn)
      conn = gst_genesys_conn_ref (ch->conn);
    g_mutex_unlock (&ch->lock);
    if (conn) {
      gst_genesys_channel_session_ended (ch, conn);
      gst_genesys_conn_unref (conn);
    }
  }

  g_mutex_lock (&registry_lock);
  g_mutex_lock (&ch->lock);
  ch->joined[side] = FALSE;
  peer = ch->joined[!side];
  g_cond_broadcast (&ch->cond);
  unregister_if_unused_locked (ch);
  g_mutex_unlock (&ch->lock);
  g_mutex_unlock (&registry_lock);

  if (peer) {
    ev.joined = FALSE;
    emit (ch, !side, &ev);
  }
  channel_unref (ch);
}

gboolean
gst_genesys_channel_has_peer (GstGenesysChannel * ch,
    GstGenesysChannelSide side)
{
  gboolean peer;

  g_mutex_lock (&ch->lock);
  peer = ch->joined[!side];
  g_mutex_unlock (&ch->lock);
  return peer;
}

void
gst_genesys_channel_set_flushing (GstGenesysChannel * ch,
    GstGenesysChannelSide side, gboolean flushing)
{
  g_mutex_lock (&ch->lock);
  ch->flushing[side] = flushing;
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);
}

/* ---- pacing, on the session's loop thread ---- */

static gboolean
cmd_send_audio (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_send_audio (session, data, now) > 0;
}

typedef struct
{
  gchar *reason;
  gchar *info;
  JsonObject *vars;
} DisconnectArgs;

static void
disconnect_args_free (gpointer data)
{
  DisconnectArgs *args = data;

  g_free (args->reason);
  g_free (args->info);
  if (args->vars)
    json_object_unref (args->vars);
  g_free (args);
}

static gboolean
cmd_disconnect (AhSession * session, gpointer data, guint64 now)
{
  DisconnectArgs *args = data;

  return ah_session_disconnect (session, args->reason, args->info,
      args->vars, now);
}

static void kick_locked (GstGenesysChannel * ch);

/* On the loop thread: the event goes out before any audio pushed after the
 * barge-in, then the audio may flow again. */
static gboolean
cmd_barge_in (AhSession * session, gpointer data, guint64 now)
{
  GstGenesysChannel *ch = data;
  JsonArray *entities = json_array_new ();
  JsonObject *entity = json_object_new ();
  gboolean ok;

  json_object_set_string_member (entity, "type", "barge_in");
  json_object_set_object_member (entity, "data", json_object_new ());
  json_array_add_object_element (entities, entity);
  ok = ah_session_send_event (session, entities, now);
  json_array_unref (entities);
  g_mutex_lock (&ch->lock);
  ch->barge_pending = FALSE;
  kick_locked (ch);
  g_mutex_unlock (&ch->lock);
  return ok;
}

static void
arm_timer_locked (GstGenesysChannel * ch, guint64 wakeup, guint64 now)
{
  if (!ch->timer)
    return;
  if (wakeup == G_MAXUINT64) {
    g_source_set_ready_time (ch->timer, -1);
  } else {
    /* whole microseconds, never early */
    gint64 delay_us = (gint64) ((wakeup - MIN (wakeup, now) + 999) / 1000);
    g_source_set_ready_time (ch->timer, g_get_monotonic_time () + delay_us);
  }
}

static gboolean
pump_cb (gpointer data)
{
  GstGenesysChannel *ch = data;
  GstGenesysConn *conn = NULL;
  GQueue out = G_QUEUE_INIT;
  DisconnectArgs *dc = NULL;
  guint64 now = gst_genesys_now (), wakeup = G_MAXUINT64;
  GBytes *b;

  g_mutex_lock (&ch->lock);
  if (ch->conn && ch->pacer && !ch->barge_pending) {
    guint64 lead;

    conn = gst_genesys_conn_ref (ch->conn);
    while ((b = ah_pacer_pop (ch->pacer, now)))
      g_queue_push_tail (&out, b);
    wakeup = ah_pacer_next_wakeup (ch->pacer, now);
    lead = ah_pacer_get_lead (ch->pacer, now);
    if (ch->disconnect_pending && ah_pacer_get_queued (ch->pacer) < ch->bpf) {
      if (lead == 0) {
        dc = g_new0 (DisconnectArgs, 1);
        dc->reason = g_steal_pointer (&ch->dc_reason);
        dc->info = g_steal_pointer (&ch->dc_info);
        dc->vars = g_steal_pointer (&ch->dc_vars);
        ch->disconnect_pending = FALSE;
      } else {
        wakeup = MIN (wakeup, now + lead);
      }
    }
  }
  arm_timer_locked (ch, wakeup, now);
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);

  while ((b = g_queue_pop_head (&out))) {
    GST_TRACE ("channel %s: %" G_GSIZE_FORMAT " bytes of bot audio", ch->name,
        g_bytes_get_size (b));
    gst_genesys_conn_run (conn, cmd_send_audio, b);
    g_bytes_unref (b);
  }
  if (dc) {
    GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_DISCONNECT };

    GST_INFO ("channel %s: disconnect (%s) after the bot audio", ch->name,
        dc->reason);
    gst_genesys_conn_run (conn, cmd_disconnect, dc);
    disconnect_args_free (dc);
    emit (ch, GST_GENESYS_CHANNEL_SINK, &ev);
  }
  if (conn)
    gst_genesys_conn_unref (conn);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs timer_funcs = {
  NULL, NULL, timer_dispatch, NULL, NULL, NULL
};

/* Runs the pump on the loop thread soon; any thread, under the lock. */
static void
kick_locked (GstGenesysChannel * ch)
{
  if (ch->timer)
    g_source_set_ready_time (ch->timer, 0);
}

static AhPacer *
make_pacer (GstGenesysChannel * ch, guint64 now)
{
  AhPacerConfig config = { 0 };
  guint64 bps = (guint64) ch->bpf * AH_RATE;

  config.align = ch->bpf;
  config.bytes_per_second = bps;
  config.max_bytes = MAX_MESSAGE_BYTES;
  config.frame_bytes = gst_util_uint64_scale (ch->pacing.frame_duration, bps,
      GST_SECOND);
  config.frame_bytes = MAX (config.frame_bytes, ch->bpf);
  config.start_margin = START_MARGIN;
  config.rate = ch->pacing.rate;
  config.burst = ch->pacing.burst;
  config.max_lead = ch->pacing.max_lead;
  config.linger = ch->pacing.frame_duration;
  return ah_pacer_new (&config, now);
}

static void
account_pacer_locked (GstGenesysChannel * ch)
{
  if (!ch->pacer)
    return;
  ch->messages += ah_pacer_get_messages (ch->pacer);
  ch->bytes += ah_pacer_get_bytes (ch->pacer);
  ch->flushed += ah_pacer_get_flushed (ch->pacer);
  ch->holds += ah_pacer_get_holds (ch->pacer);
  ch->dropped += ah_pacer_get_queued (ch->pacer);
  g_clear_pointer (&ch->pacer, ah_pacer_free);
}

void
gst_genesys_channel_session_opened (GstGenesysChannel * ch,
    GstGenesysConn * conn, const AhMedia * media)
{
  GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_OPENED };
  guint64 now = gst_genesys_now ();
  AhMedia copy = *media;
  GSource *old_timer = NULL;
  AhMessage *open;

  g_mutex_lock (&ch->lock);
  if (ch->conn)
    gst_genesys_conn_unref (ch->conn);
  ch->conn = gst_genesys_conn_ref (conn);
  if (ch->pacer && ah_media_equal (&ch->media, media)) {
    /* a continuation: the queue goes on, the client holds nothing */
    ah_pacer_reset_playout (ch->pacer, now);
  } else {
    account_pacer_locked (ch);
    ch->media = *media;
    ch->bpf = ah_media_frame_size (media);
    ch->pacer = ch->bpf ? make_pacer (ch, now) : NULL;
  }
  ch->session_media = *media;
  ch->transcribers_done = 0;
  g_free (ch->language);
  open = ah_session_get_open (gst_genesys_conn_get_session (conn));
  ch->language = open ? g_strdup (open->language) : NULL;
  if (ch->transcribers > 0)
    ah_session_set_close_hold (gst_genesys_conn_get_session (conn),
        GST_GENESYS_CHANNEL_CLOSE_HOLD);
  old_timer = ch->timer;
  ch->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (ch->timer, pump_cb, channel_ref (ch),
      (GDestroyNotify) channel_unref);
  g_source_set_priority (ch->timer, G_PRIORITY_HIGH);
  g_source_attach (ch->timer, gst_genesys_loop_get_context
      (gst_genesys_conn_get_loop (conn)));
  kick_locked (ch);
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);
  if (old_timer) {
    g_source_destroy (old_timer);
    g_source_unref (old_timer);
  }

  GST_INFO ("channel %s: session open", ch->name);
  ev.media = &copy;
  emit (ch, GST_GENESYS_CHANNEL_SINK, &ev);
}

void
gst_genesys_channel_session_message (GstGenesysChannel * ch,
    GstGenesysConn * conn, AhMessage * msg)
{
  GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_MESSAGE };

  if (msg->type == AH_MSG_ERROR && msg->code == 429) {
    guint64 now = gst_genesys_now ();
    guint64 delay = msg->has_retry_after ? msg->retry_after :
        DEFAULT_RETRY_AFTER;

    g_mutex_lock (&ch->lock);
    if (ch->conn == conn && ch->pacer) {
      ah_pacer_hold (ch->pacer, now + delay, now);
      kick_locked (ch);
    }
    ch->rate_limited++;
    g_mutex_unlock (&ch->lock);
    GST_INFO ("channel %s: rate limited, holding for %" GST_TIME_FORMAT,
        ch->name, GST_TIME_ARGS (delay));
    ev.type = GST_GENESYS_CHANNEL_EVENT_RATE_LIMITED;
    ev.delay = delay;
    emit (ch, GST_GENESYS_CHANNEL_SINK, &ev);
    return;
  }
  if (msg->type == AH_MSG_UPDATE && msg->language) {
    g_mutex_lock (&ch->lock);
    g_free (ch->language);
    ch->language = g_strdup (msg->language);
    g_mutex_unlock (&ch->lock);
  }
  ev.message = msg;
  emit (ch, GST_GENESYS_CHANNEL_SINK, &ev);
}

void
gst_genesys_channel_session_ended (GstGenesysChannel * ch,
    GstGenesysConn * conn)
{
  GstGenesysChannelEvent ev = { GST_GENESYS_CHANNEL_EVENT_ENDED };
  GSource *timer = NULL;
  guint64 dropped = 0;
  GstGenesysConn *closing = NULL;

  g_mutex_lock (&ch->lock);
  /* the socket is gone or closed went out: nothing to hold any more */
  if (ch->closing == conn && ah_session_get_state
      (gst_genesys_conn_get_session (conn)) != AH_STATE_CLOSING) {
    closing = g_steal_pointer (&ch->closing);
    ch->closing_pending = 0;
  }
  if (ch->conn != conn) {
    g_mutex_unlock (&ch->lock);
    if (closing)
      gst_genesys_conn_unref (closing);
    return;
  }
  gst_genesys_conn_unref (ch->conn);
  ch->conn = NULL;
  timer = g_steal_pointer (&ch->timer);
  if (ch->pacer) {
    dropped = ah_pacer_get_queued (ch->pacer) / ch->bpf;
    account_pacer_locked (ch);
  }
  ch->disconnect_pending = FALSE;
  ch->barge_pending = FALSE;
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);
  if (closing)
    gst_genesys_conn_unref (closing);
  if (timer) {
    g_source_destroy (timer);
    g_source_unref (timer);
  }

  GST_INFO ("channel %s: session over", ch->name);
  ev.samples = dropped;
  emit (ch, GST_GENESYS_CHANNEL_SINK, &ev);
}

/* ---- server side, from the sink ---- */

void
gst_genesys_channel_set_pacing (GstGenesysChannel * ch,
    const GstGenesysPacing * pacing)
{
  g_mutex_lock (&ch->lock);
  ch->pacing = *pacing;
  g_mutex_unlock (&ch->lock);
}

gboolean
gst_genesys_channel_wait_open (GstGenesysChannel * ch, AhMedia * media,
    gboolean * over)
{
  gboolean open;

  g_mutex_lock (&ch->lock);
  while (!ch->conn && !ch->over && !ch->flushing[GST_GENESYS_CHANNEL_SINK])
    g_cond_wait (&ch->cond, &ch->lock);
  open = ch->conn != NULL && !ch->flushing[GST_GENESYS_CHANNEL_SINK];
  if (open && media)
    *media = ch->media;
  *over = !open && ch->over;
  g_mutex_unlock (&ch->lock);
  return open;
}

void
gst_genesys_channel_end (GstGenesysChannel * ch)
{
  g_mutex_lock (&ch->lock);
  if (!ch->over)
    GST_INFO ("channel %s: the stream ended", ch->name);
  ch->over = TRUE;
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);
}

gboolean
gst_genesys_channel_send (GstGenesysChannel * ch, GBytes * data,
    gboolean * dropped)
{
  guint64 now;
  gsize limit;
  guint barge_ins;

  *dropped = FALSE;
  g_mutex_lock (&ch->lock);
  barge_ins = ch->barge_ins;
  /* at most max-lead of audio waits to be sent */
  while (ch->conn && ch->pacer && !ch->flushing[GST_GENESYS_CHANNEL_SINK]) {
    /* max-lead, and never less than two frames: a frame must be able to
     * fill up while the one before waits */
    limit = gst_util_uint64_scale (MAX (ch->pacing.max_lead,
            2 * ch->pacing.frame_duration), ch->bpf * AH_RATE, GST_SECOND);
    if (ah_pacer_get_queued (ch->pacer) <= MAX (limit, ch->bpf))
      break;
    g_cond_wait (&ch->cond, &ch->lock);
  }
  if (ch->flushing[GST_GENESYS_CHANNEL_SINK]) {
    g_mutex_unlock (&ch->lock);
    return FALSE;
  }
  if (barge_ins != ch->barge_ins) {
    /* a barge-in came while this audio waited: it goes with the rest */
    ch->flushed_waiting += g_bytes_get_size (data);
    g_mutex_unlock (&ch->lock);
    return TRUE;
  }
  if (!ch->conn || !ch->pacer) {
    ch->dropped += g_bytes_get_size (data);
    g_mutex_unlock (&ch->lock);
    *dropped = TRUE;
    return FALSE;
  }
  now = gst_genesys_now ();
  /* A partial frame waits for the next buffer as long as buffers take to
   * come (a file parsed in 256 ms buffers, sent in 200 ms frames, would
   * otherwise leave a partial message after every buffer). */
  if (ch->last_push && now > ch->last_push) {
    guint64 interval = now - ch->last_push;
    guint64 linger = MAX (ch->pacing.frame_duration, interval + interval / 2);
    ah_pacer_set_linger (ch->pacer, MIN (linger, MAX_LINGER));
  }
  ch->last_push = now;
  ah_pacer_push (ch->pacer, data, now);
  kick_locked (ch);
  g_mutex_unlock (&ch->lock);
  return TRUE;
}

void
gst_genesys_channel_drain (GstGenesysChannel * ch)
{
  g_mutex_lock (&ch->lock);
  if (ch->pacer) {
    ah_pacer_drain (ch->pacer, gst_genesys_now ());
    kick_locked (ch);
  }
  g_mutex_unlock (&ch->lock);
}

gboolean
gst_genesys_channel_wait_sent (GstGenesysChannel * ch)
{
  gboolean ok;

  g_mutex_lock (&ch->lock);
  while (ch->conn && ch->pacer && !ch->flushing[GST_GENESYS_CHANNEL_SINK]
      && ah_pacer_get_queued (ch->pacer) >= ch->bpf)
    g_cond_wait (&ch->cond, &ch->lock);
  ok = !ch->flushing[GST_GENESYS_CHANNEL_SINK];
  g_mutex_unlock (&ch->lock);
  return ok;
}

guint64
gst_genesys_channel_barge_in (GstGenesysChannel * ch)
{
  GstGenesysConn *conn = NULL;
  guint64 samples = 0;

  g_mutex_lock (&ch->lock);
  ch->barge_ins++;
  if (ch->pacer)
    samples = ah_pacer_flush (ch->pacer, gst_genesys_now ()) / ch->bpf;
  if (ch->conn) {
    conn = gst_genesys_conn_ref (ch->conn);
    ch->barge_pending = TRUE;
  }
  g_cond_broadcast (&ch->cond);
  g_mutex_unlock (&ch->lock);
  if (conn) {
    gst_genesys_conn_command (conn, cmd_barge_in, channel_ref (ch),
        (GDestroyNotify) channel_unref);
    gst_genesys_conn_unref (conn);
  }
  GST_INFO ("channel %s: barge-in, %" G_GUINT64_FORMAT " samples dropped",
      ch->name, samples);
  return samples;
}

gboolean
gst_genesys_channel_disconnect (GstGenesysChannel * ch, const gchar * reason,
    const gchar * info, JsonObject * output_variables)
{
  gboolean ok;

  g_mutex_lock (&ch->lock);
  ok = ch->conn != NULL;
  if (ok) {
    g_free (ch->dc_reason);
    g_free (ch->dc_info);
    if (ch->dc_vars)
      json_object_unref (ch->dc_vars);
    ch->dc_reason = g_strdup (reason);
    ch->dc_info = g_strdup (info);
    ch->dc_vars = output_variables;
    output_variables = NULL;
    ch->disconnect_pending = TRUE;
    if (ch->pacer)
      ah_pacer_drain (ch->pacer, gst_genesys_now ());
    kick_locked (ch);
  }
  g_mutex_unlock (&ch->lock);
  if (output_variables)
    json_object_unref (output_variables);
  return ok;
}

GstStructure *
gst_genesys_channel_get_pacing_stats (GstGenesysChannel * ch)
{
  guint64 messages, bytes, flushed, queued = 0, lead = 0;
  guint holds;
  GstStructure *s;

  g_mutex_lock (&ch->lock);
  messages = ch->messages;
  bytes = ch->bytes;
  flushed = ch->flushed + ch->flushed_waiting;
  holds = ch->holds;
  if (ch->pacer) {
    guint64 now = gst_genesys_now ();
    messages += ah_pacer_get_messages (ch->pacer);
    bytes += ah_pacer_get_bytes (ch->pacer);
    flushed += ah_pacer_get_flushed (ch->pacer);
    holds += ah_pacer_get_holds (ch->pacer);
    queued = ah_pacer_get_queued (ch->pacer);
    lead = ah_pacer_get_lead (ch->pacer, now);
  }
  s = gst_structure_new ("application/x-genesys-pacing",
      "messages", G_TYPE_UINT64, messages,
      "bytes", G_TYPE_UINT64, bytes,
      "rate-limited", G_TYPE_UINT, ch->rate_limited,
      "holds", G_TYPE_UINT, holds,
      "flushed-bytes", G_TYPE_UINT64, flushed,
      "dropped-bytes", G_TYPE_UINT64, ch->dropped,
      "queued-bytes", G_TYPE_UINT64, queued, "lead", G_TYPE_UINT64, lead, NULL);
  g_mutex_unlock (&ch->lock);
  return s;
}

/* ---- transcribers ---- */

static gboolean
cmd_hold (AhSession * session, gpointer data, guint64 now)
{
  ah_session_set_close_hold (session, GST_GENESYS_CHANNEL_CLOSE_HOLD);
  return TRUE;
}

static gboolean
cmd_release (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_release_close (session, now);
}

GstGenesysChannel *
gst_genesys_channel_join_transcriber (const gchar * name)
{
  GstGenesysChannel *ch;
  GstGenesysConn *conn = NULL;

  g_return_val_if_fail (name != NULL && *name, NULL);

  g_mutex_lock (&registry_lock);
  ch = registry ? g_hash_table_lookup (registry, name) : NULL;
  if (!ch)
    ch = channel_new_locked (name);
  else
    channel_ref (ch);
  g_mutex_lock (&ch->lock);
  ch->transcribers++;
  if (ch->conn)
    conn = gst_genesys_conn_ref (ch->conn);
  g_mutex_unlock (&ch->lock);
  g_mutex_unlock (&registry_lock);
  /* a session already open holds its close from now on */
  if (conn) {
    gst_genesys_conn_command (conn, cmd_hold, NULL, NULL);
    gst_genesys_conn_unref (conn);
  }
  GST_DEBUG ("transcriber joined channel %s", name);
  return ch;
}

/* One transcriber less to wait for; lock held. Returns the connection
 * whose closed may now go out. */
static GstGenesysConn *
transcriber_gone_locked (GstGenesysChannel * ch)
{
  if (!ch->closing || ch->closing_pending == 0)
    return NULL;
  if (--ch->closing_pending > 0)
    return NULL;
  return g_steal_pointer (&ch->closing);
}

static void
release (GstGenesysChannel * ch, GstGenesysConn * conn)
{
  if (!conn)
    return;
  GST_INFO ("channel %s: the transcribers are done, closed goes out", ch->name);
  gst_genesys_conn_command (conn, cmd_release, NULL, NULL);
  gst_genesys_conn_unref (conn);
}

void
gst_genesys_channel_transcriber_done (GstGenesysChannel * ch,
    const gchar * session_id)
{
  GstGenesysConn *conn;

  g_mutex_lock (&ch->lock);
  if (session_id && (!ch->closing || g_strcmp0 (session_id,
              ah_session_get_id (gst_genesys_conn_get_session (ch->closing)))
          != 0)) {
    /* a session that is not waiting: its closed went out already */
    g_mutex_unlock (&ch->lock);
    return;
  }
  ch->transcribers_done++;
  conn = transcriber_gone_locked (ch);
  g_mutex_unlock (&ch->lock);
  release (ch, conn);
}

void
gst_genesys_channel_leave_transcriber (GstGenesysChannel * ch)
{
  GstGenesysConn *conn;

  g_mutex_lock (&registry_lock);
  g_mutex_lock (&ch->lock);
  ch->transcribers--;
  conn = transcriber_gone_locked (ch);
  unregister_if_unused_locked (ch);
  g_mutex_unlock (&ch->lock);
  g_mutex_unlock (&registry_lock);
  release (ch, conn);
  channel_unref (ch);
}

void
gst_genesys_channel_session_closing (GstGenesysChannel * ch,
    GstGenesysConn * conn)
{
  AhSession *session = gst_genesys_conn_get_session (conn);
  GstGenesysConn *old = NULL;
  guint pending;

  if (ah_session_get_state (session) != AH_STATE_CLOSING)
    return;
  g_mutex_lock (&ch->lock);
  pending = ch->transcribers > ch->transcribers_done ?
      ch->transcribers - ch->transcribers_done : 0;
  if (pending > 0) {
    old = ch->closing;
    ch->closing = gst_genesys_conn_ref (conn);
    ch->closing_pending = pending;
  }
  g_mutex_unlock (&ch->lock);
  if (old)
    release (ch, old);
  if (pending == 0) {
    gst_genesys_conn_run (conn, cmd_release, NULL);
    return;
  }
  GST_INFO ("channel %s: closed waits for %u transcriber(s)", ch->name,
      pending);
}

void
gst_genesys_channel_session_gone (GstGenesysChannel * ch, GstGenesysConn * conn)
{
  GstGenesysConn *closing = NULL;

  g_mutex_lock (&ch->lock);
  if (ch->closing == conn) {
    closing = g_steal_pointer (&ch->closing);
    ch->closing_pending = 0;
  }
  g_mutex_unlock (&ch->lock);
  if (closing) {
    GST_INFO ("channel %s: the client left before closed", ch->name);
    gst_genesys_conn_unref (closing);
  }
}

void
gst_genesys_channel_add_span (GstGenesysChannel * ch, GstClockTime pts,
    GstClockTime duration, guint64 position, guint64 samples, gboolean gap)
{
  g_mutex_lock (&ch->lock);
  if (gap)
    ah_position_map_add_gap (ch->spans, pts, duration, position, samples);
  else
    ah_position_map_add (ch->spans, pts, duration, position, samples);
  g_mutex_unlock (&ch->lock);
}

gboolean
gst_genesys_channel_lookup_position (GstGenesysChannel * ch,
    GstClockTime running_time, guint64 * position)
{
  gboolean found;

  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return FALSE;
  g_mutex_lock (&ch->lock);
  found = ah_position_map_lookup (ch->spans, running_time, AH_RATE, position);
  g_mutex_unlock (&ch->lock);
  return found;
}

gchar *
gst_genesys_channel_dup_language (GstGenesysChannel * ch)
{
  gchar *language;

  g_mutex_lock (&ch->lock);
  language = g_strdup (ch->language);
  g_mutex_unlock (&ch->lock);
  return language;
}

guint
gst_genesys_channel_channel_id (GstGenesysChannel * ch, guint index)
{
  AhChannel want = index == 0 ? AH_CHANNEL_EXTERNAL : AH_CHANNEL_INTERNAL;
  guint id = index;

  g_mutex_lock (&ch->lock);
  if (ch->session_media.n_channels == 1)
    id = 0;
  else if (ch->session_media.n_channels == 2)
    id = ch->session_media.channels[1] == want ? 1 : 0;
  g_mutex_unlock (&ch->lock);
  return id;
}

typedef struct
{
  JsonArray *entities;
  GstGenesysChannelSentFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} EventArgs;

static void
event_args_free (gpointer data)
{
  EventArgs *args = data;

  json_array_unref (args->entities);
  if (args->notify)
    args->notify (args->user_data);
  g_free (args);
}

static gboolean
cmd_event (AhSession * session, gpointer data, guint64 now)
{
  EventArgs *args = data;
  gboolean ok = ah_session_send_event (session, args->entities, now);

  if (args->func)
    args->func (ok, args->user_data);
  return ok;
}

gboolean
gst_genesys_channel_send_event (GstGenesysChannel * ch, JsonArray * entities,
    GstGenesysChannelSentFunc func, gpointer user_data, GDestroyNotify notify)
{
  GstGenesysConn *conn = NULL;
  EventArgs *args;

  g_mutex_lock (&ch->lock);
  if (ch->conn)
    conn = gst_genesys_conn_ref (ch->conn);
  else if (ch->closing)
    conn = gst_genesys_conn_ref (ch->closing);
  g_mutex_unlock (&ch->lock);
  if (!conn) {
    if (notify)
      notify (user_data);
    return FALSE;
  }
  args = g_new0 (EventArgs, 1);
  args->entities = json_array_ref (entities);
  args->func = func;
  args->user_data = user_data;
  args->notify = notify;
  gst_genesys_conn_command (conn, cmd_event, args, event_args_free);
  gst_genesys_conn_unref (conn);
  return TRUE;
}

/* ---- client side ---- */

void
gst_genesys_channel_relay (GstGenesysChannel * ch,
    const GstGenesysChannelEvent * event)
{
  emit (ch, GST_GENESYS_CHANNEL_SRC, event);
}
