/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstgenesysserve
 * @title: GstGenesysServe
 * @short_description: one pipeline per AudioHook call
 *
 * A #GstGenesysServe listens once (address, port, path, TLS, API keys) and
 * starts a pipeline from a launch template for every session that opens,
 * e.g. `genesyssrc ! mulawdec ! wavenc ! filesink
 * location=calls/{conversation-id}-{session-id}.wav`. The template's one
 * `genesyssrc` is put in #GstGenesysSrc:mode `external` and serves the
 * session: it chooses the media from what its downstream accepts, outputs
 * the audio and ends the stream when the session closes, and the pipeline
 * is then stopped and freed. `gst-genesys-serve` is a command line around
 * this API.
 *
 * It is a #GObject and a #GInitable: its construct-only properties are the
 * members of #GstGenesysServeConfig and its signals the callbacks of
 * #GstGenesysServeCallbacks; a bad configuration is the #GError of
 * g_initable_init(), with the messages of gst_genesys_serve_new(), e.g.
 * `g_initable_new (GST_GENESYS_TYPE_SERVE, NULL, &error, "launch", launch,
 * "port", 9000, NULL)`, or from Python `GstGenesys.Serve(launch=launch,
 * port=9000)` then `init(None)`. gst_genesys_serve_stop(), or the last
 * unref (dispose), ends it; either from the thread of the main context of
 * the signals.
 *
 * Threads: connections are spread over a few loop threads
 * (#GstGenesysServeConfig.threads); a session stays on the thread that
 * accepted it. Pipelines are built, started and stopped by a few worker
 * threads (as many as processors, at least 2): when a session's open
 * arrives its loop thread hands the call over and goes on with the other
 * sessions; the open is answered once the call's pipeline plays (the
 * session's pings are answered meanwhile). A template element that blocks
 * in a state change (a FIFO that nobody reads, a remote service) holds a
 * worker, not the sessions: the other workers go on. Each pipeline has its
 * streaming thread(s). Bus messages and the signals run in the main
 * context that was the thread default when it was initialised
 * (g_initable_init(), or gst_genesys_serve_new()): run it.
 *
 * - Connection probes (null conversation and participant ids) are answered
 *   with no media and start no pipeline.
 * - A session whose `continuedSessions` names one of a running call goes to
 *   that call's `genesyssrc`, whose output goes on (a connection that still
 *   carries the old session is closed: the client has given it up). When
 *   that call has ended (no continuation within its session-timeout), the
 *   session starts a call of its own. A session that continues one which
 *   was closed (close/closed; a client that never saw `closed` closes
 *   again) is answered without media and starts nothing.
 * - A pipeline that cannot start, or posts an error, ends its sessions with
 *   `disconnect` reason `error`, and is stopped once they closed (at most
 *   5 s later); the other calls go on.
 * - gst_genesys_serve_drain() refuses new sessions (HTTP 503, /health 503),
 *   sends `reconnect` to every open session and ends each call once its
 *   sessions are gone. AudioHook clients may ignore `reconnect` (the
 *   Genesys reference client only logs it): those calls end when they end,
 *   or at gst_genesys_serve_free().
 *
 * Placeholders: `{session-id}` (the call's first session), `{conversation-id}`,
 * `{organization-id}`, `{participant-id}`, `{ani}`, `{ani-name}`, `{dnis}`,
 * `{language}`, `{custom-config.KEY}` and `{input-variables.KEY}` (a member
 * of the open's customConfig or inputVariables; strings as they are, other
 * JSON values as JSON text). Brace text that looks like a placeholder but
 * is none (a typo such as `{conversation_id}`) is refused at start; other
 * brace text, and any in caps (lists such as `{S16LE, F32LE}`), is left as
 * it is. A missing value is empty. Every value is
 * sanitised (gst_genesys_serve_sanitize()) so that it is a safe file name
 * component and needs no quoting in the launch syntax.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "gstgenesysserve.h"
#include "gstgenesysdebug.h"
#include "gstgenesyscredentials.h"
#include "gstgenesystemplate.h"
#include "gstgenesyshealthport.h"
#include "gstgenesysservemetrics.h"
#include "gstgenesysconn.h"
#include "gstgenesysregistry.h"
#include "gstgenesysrelay.h"
#include "gstgenesystime.h"
#include "gstgenesysguard.h"
#include "gstgenesysstack.h"
#include "gstgenesysserver.h"
#include "gstgenesyssrc.h"
#include "gstgenesyssink.h"
#include "gstgenesyselements.h"
#include "gstgenesysenums.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysserve",
    "Genesys AudioHook pipeline per call");
#define GST_CAT_DEFAULT ensure_debug_category ()

#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_PATH "/api/v1/audiohook/ws"
#define DEFAULT_IDLE_TIMEOUT 60 /* s */
#define MAX_MESSAGE_SIZE 65536
/* A failed call's sessions get this long to close after the disconnect. */
#define ERROR_GRACE_MS 5000
/* gst_genesys_serve_free(): how long the calls get to finish their output,
 * then the clients to answer the disconnect with their close. */
#define STOP_EOS_TIMEOUT (3 * GST_SECOND)
#define STOP_CLOSE_TIMEOUT (1 * GST_SECOND)
#define LATE_PONG (5 * GST_SECOND)
/* A relay's first hop must open within this (the client waits 5 s for
 * its opened); otherwise the call moves. */
#define RELAY_CONNECT_TIMEOUT (3 * GST_SECOND)
/* After an owner did not answer a relay, its calls move without trying
 * for this long: each try holds a worker for up to RELAY_CONNECT_TIMEOUT,
 * and a burst of continuations for a stuck owner would hold them all
 * while new calls wait for their pipelines. */
#define RELAY_DOWN_TIME (10 * G_USEC_PER_SEC)

/* At most one worker job of a call at a time, in this order: the start
 * (STARTING: it ends in RUNNING or DONE), then the stop (STOPPING, after a
 * bus message, which only comes once the start is done). */
typedef enum
{
  CALL_STARTING,                /* a worker builds and starts the pipeline */
  CALL_RUNNING,                 /* takes continuations */
  CALL_ENDING,                  /* EOS sent */
  CALL_FAILED,                  /* error: waits for its sessions to close */
  CALL_STOPPING,                /* a worker stops the pipeline */
  CALL_DONE,                    /* stopped; call_finish() lets it go */
} CallState;

typedef struct _Call Call;

/* One accepted WebSocket session. */
typedef struct
{
  gatomicrefcount ref_count;
  GstGenesysServe *serve;
  gchar *session_id;

  /* under serve lock */
  GstGenesysConn *conn;         /* ref until the WebSocket closed */
  Call *call;                   /* ref: the call it went to, until closed */

  /* loop thread: the call could not start, disconnect with this */
  gchar *failure;
  /* under serve lock: when its open came (monotonic ns), until opened */
  guint64 open_at;
} Link;

/* One pipeline. */
struct _Call
{
  gatomicrefcount ref_count;
  GstGenesysServe *serve;
  gchar *session_id;            /* the first session it had here */
  /* the call's first session, on any instance: session_id, or the call it
   * goes on from (set by the worker that starts it, then read-only) */
  gchar *call_id;
  gchar *conversation_id;       /* of the open that started it */
  guint segment;                /* 0; 1, 2, ... when it moved here */
  guint64 start_position;       /* samples: where its output starts */
  /* set under serve lock by the worker that starts it, then read-only */
  GstElement *pipeline;         /* NULL: it could not be built */
  GstElement *src;              /* owned by the pipeline */

  /* under serve lock */
  CallState state;
  GList *links;                 /* open sessions (not refs) */

  /* the start's (worker, then the loop thread it waits for), then the
   * control context's: the start hands over with post() */
  gboolean taken;               /* its genesyssrc took the session */
  GError *error;
  gboolean watching;            /* the bus sync handler is set */

  /* control context */
  GSource *grace;
  gboolean announced;

  /* under serve lock: its source's late audio is in the serve's metrics */
  gboolean counted;
  /* its session continues one that the registry says was closed: answered
   * without media, not reported (the worker's, then the control context's) */
  gboolean closed_elsewhere;
  /* its session went to the call's owner, another instance: no pipeline
   * here, not reported (the worker's, then the loop thread's) */
  gboolean relayed;
  GstGenesysRelay *relay;       /* until the serve's list has it */
  gint relay_chosen;
};

struct _GstGenesysServe
{
  GObject parent;
  /* the construct-only properties; owned copies of each string */
  GstGenesysServeConfig config;
  gboolean initialized;         /* g_initable_init() ran */
  GError *init_error;           /* what it failed with */
  guint bound_port;             /* 0 until it listens */

  gchar *launch;
  GHashTable *connectors;       /* connector id -> launch template */
  gchar **languages;            /* supportedLanguages answered; NULL: none */
  guint max_sessions;
  guint idle_timeout;           /* s */
  gboolean set_push_mode;       /* set push_mode on every call's genesyssrc */
  GstGenesysPushMode push_mode;
  GstGenesysServer *server;
  GstGenesysListener listener;
  GMainContext *context;
  GstGenesysHealthPort *health;
  GstGenesysRegistry *registry; /* NULL: no other instance */
  GSource *heartbeat;
  /* what the verifier was made of, for gst_genesys_serve_reload_credentials */
  gchar *api_key, *client_secret, *credentials_file, *authority;
  /* the relay key (NULL: no relaying), and where the others reach us */
  gchar *relay_key_id, *relay_secret, *relay_url;

  GMutex lock;
  /* under lock */
  GThreadPool *workers;         /* start and stop pipelines; NULL in free */
  GList *links;                 /* open sessions, refs */
  GList *calls;                 /* from the open to call_finish(), refs */
  GList *pending;               /* sources posted to the context, refs */
  GList *relays;                /* GstGenesysRelay: relayed sessions */
  guint claimed;
  gboolean draining;
  gboolean drained_reported;
  gboolean stopping;
  GstGenesysServeStats stats;
  GstGenesysServeMetrics metrics;       /* its stats are not used */
  /* sessions closed with close/closed (not for a reconnect), newest last,
   * at most CLOSED_MEMORY: their continuations are a repeated close */
  GHashTable *closed_ids;
  GQueue closed_order;
  /* relay URL -> (gint64 *) monotonic time until which it is not tried:
   * an owner that did not answer a relay */
  GHashTable *relay_down;
};

#define CLOSED_MEMORY 4096

enum
{
  SIGNAL_CALL_STARTED,
  SIGNAL_CALL_ENDED,
  SIGNAL_DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void gst_genesys_serve_initable_iface_init (GInitableIface * iface);

G_DEFINE_TYPE_WITH_CODE (GstGenesysServe, gst_genesys_serve, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
        gst_genesys_serve_initable_iface_init));

/* Threads that build, start and stop the pipelines: as many as processors
 * (parsing and state changes are work), at least 2 (one element that
 * blocks in a state change does not hold up every call). */
#define MIN_WORKERS 2

/* ---- values and the template ---- */

/**
 * gst_genesys_serve_sanitize:
 * @value: (nullable): a value from an open message
 *
 * What a placeholder turns into: the bytes A-Z, a-z, 0-9, `-`, `_`, `.` and
 * `+` are kept, every other byte (spaces, `/`, `\`, `:`, quotes, bytes of
 * non-ASCII characters...) becomes `_`, a leading `.` becomes `_` (no
 * hidden files, no `..`), and the result is cut to 100 bytes. %NULL gives
 * an empty string. The result is a valid file name component (when not
 * empty) and needs no quoting in a launch description.
 *
 * Returns: (transfer full): the sanitised value
 */
gchar *
gst_genesys_serve_sanitize (const gchar * value)
{
  return gst_genesys_template_sanitize (value);
}

/* Builds the pipeline of @description; @src: its one genesyssrc. */
static GstElement *
parse_pipeline (const gchar * description, GstElement ** src, GError ** error)
{
  GstElement *parsed, *pipeline;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  guint found = 0;

  parsed = gst_parse_launch_full (description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (!parsed)
    return NULL;
  if (GST_IS_PIPELINE (parsed)) {
    pipeline = parsed;
  } else {
    pipeline = gst_pipeline_new (NULL);
    gst_bin_add (GST_BIN (pipeline), parsed);
  }

  *src = NULL;
  it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    if (GST_IS_GENESYS_SRC (e)) {
      *src = e;
      found++;
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  if (found != 1) {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT,
        "the launch template needs exactly one genesyssrc (it has %u)", found);
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

/* ---- records ---- */

static Link *
link_ref (Link * link)
{
  g_atomic_ref_count_inc (&link->ref_count);
  return link;
}

static void call_unref (Call * call);

static void
link_unref (gpointer data)
{
  Link *link = data;

  if (!g_atomic_ref_count_dec (&link->ref_count))
    return;
  g_assert (link->conn == NULL);
  if (link->call)
    call_unref (link->call);
  g_free (link->session_id);
  g_free (link->failure);
  g_free (link);
}

static Call *
call_ref (Call * call)
{
  g_atomic_ref_count_inc (&call->ref_count);
  return call;
}

static void
call_unref (Call * call)
{
  if (!g_atomic_ref_count_dec (&call->ref_count))
    return;
  g_assert (!call->watching && call->grace == NULL);
  /* sessions still listed were let go by gst_genesys_serve_free() */
  g_list_free (call->links);
  if (call->pipeline)
    gst_object_unref (call->pipeline);
  g_clear_error (&call->error);
  g_free (call->session_id);
  g_free (call->call_id);
  g_free (call->conversation_id);
  g_free (call);
}

/* ---- the control context ---- */

typedef struct
{
  GstGenesysServe *serve;
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
} Posted;

static gboolean
posted_dispatch (gpointer data)
{
  Posted *posted = data;
  GstGenesysServe *self = posted->serve;
  GSource *source = g_main_current_source ();

  g_mutex_lock (&self->lock);
  if (g_list_find (self->pending, source)) {
    self->pending = g_list_remove (self->pending, source);
    g_source_unref (source);
  }
  g_mutex_unlock (&self->lock);
  /* a signal handler may let go of the application's ref */
  g_object_ref (self);
  posted->func (posted->data);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
posted_free (gpointer data)
{
  Posted *posted = data;

  if (posted->notify)
    posted->notify (posted->data);
  g_free (posted);
}

/* Runs @func in the control context soon; from any thread. Dropped (only
 * @notify runs) when the serve is freed first. */
static void
post (GstGenesysServe * self, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  Posted *posted = g_new0 (Posted, 1);
  GSource *source = g_idle_source_new ();

  posted->serve = self;
  posted->func = func;
  posted->data = data;
  posted->notify = notify;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, posted_dispatch, posted, posted_free);
  g_mutex_lock (&self->lock);
  self->pending = g_list_prepend (self->pending, source);
  g_source_attach (source, self->context);
  g_mutex_unlock (&self->lock);
}

static gboolean
check_drained (gpointer data)
{
  GstGenesysServe *self = data;
  gboolean drained;

  g_mutex_lock (&self->lock);
  drained = self->draining && !self->drained_reported && !self->stopping
      && self->calls == NULL && self->links == NULL && self->claimed == 0
      && self->relays == NULL;
  if (drained)
    self->drained_reported = TRUE;
  g_mutex_unlock (&self->lock);
  if (drained) {
    GST_INFO ("drained");
    g_signal_emit (self, signals[SIGNAL_DRAINED], 0);
  }
  return G_SOURCE_REMOVE;
}

static void
announce (Call * call)
{
  GstGenesysServe *self = call->serve;
  gboolean stopping;

  if (call->announced)
    return;
  call->announced = TRUE;
  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  if (!stopping)
    g_signal_emit (self, signals[SIGNAL_CALL_STARTED], 0, call->call_id,
        call->conversation_id, call->pipeline);
}

static gboolean
announce_cb (gpointer data)
{
  announce (data);
  return G_SOURCE_REMOVE;
}

/* Stops handling @call's bus messages (its sync handler goes). */
static void
call_unwatch (Call * call)
{
  GstBus *bus;

  if (!call->watching)
    return;
  call->watching = FALSE;
  bus = gst_element_get_bus (call->pipeline);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
}

/* The late audio @src counted so far. */
static void
src_late_time (GstElement * src, GstClockTime * late, GstClockTime * dropped)
{
  GstStructure *stats = NULL;

  *late = *dropped = 0;
  if (!src)
    return;
  g_object_get (src, "stats", &stats, NULL);
  if (!stats)
    return;
  gst_structure_get_uint64 (stats, "late-duration", late);
  gst_structure_get_uint64 (stats, "late-dropped-duration", dropped);
  gst_structure_free (stats);
}

/* Stops @call's pipeline (there is one unless it could not be built): a
 * worker thread, or gst_genesys_serve_free(). set_state(NULL) may take a
 * while: a file is closed, a streaming thread blocked downstream. */
static void
call_stop (Call * call)
{
  GstClockTime late = 0, dropped = 0;

  if (call->pipeline) {
    GST_INFO ("call %s: stopping its pipeline", call->session_id);
    gst_element_set_state (call->pipeline, GST_STATE_NULL);
    src_late_time (call->src, &late, &dropped);
  }
  g_mutex_lock (&call->serve->lock);
  call->state = CALL_DONE;
  if (!call->counted) {
    call->counted = TRUE;
    call->serve->metrics.late_time += late;
    call->serve->metrics.late_dropped_time += dropped;
  }
  g_mutex_unlock (&call->serve->lock);
}

/* The pipeline of @call is stopped: the call goes, and the application
 * hears of it. Control context. */
static void
call_finish (Call * call)
{
  GstGenesysServe *self = call->serve;
  gboolean listed, stopping, report;

  g_mutex_lock (&self->lock);
  listed = g_list_find (self->calls, call) != NULL;
  self->calls = g_list_remove (self->calls, call);
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  if (!listed)
    return;

  if (call->taken && !stopping)
    announce (call);
  /* a call that did not start is reported with the reason, but not from
   * gst_genesys_serve_free(): it reports the calls it ends, that were
   * announced */
  report = call->announced || (!call->taken && !stopping
      && !call->closed_elsewhere && !call->relayed);
  if (report)
    g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, call->call_id,
        call->conversation_id, call->error);
  if (!stopping)
    check_drained (self);
  call_unref (call);            /* the list's */
}

static gboolean
finish_cb (gpointer data)
{
  call_finish (data);
  return G_SOURCE_REMOVE;
}

/* Work for the worker threads: a call's start (@link set), or its stop. */
typedef struct
{
  Call *call;                   /* ref; NULL: @relay's end */
  GstGenesysRelay *relay;       /* a relay that ended, to be freed */
  Link *link;                   /* ref */
  GstGenesysConn *conn;         /* ref: the session whose open waits */
  AhMessage *open;              /* ref */
  const gchar *launch;          /* the serve's template for it */
} Job;

/* Stops and frees @call's pipeline, on a worker thread (within
 * gst_genesys_serve_free(), right here); then call_finish(). Control
 * context. */
static void
call_teardown (Call * call)
{
  GstGenesysServe *self = call->serve;
  GThreadPool *workers;

  g_mutex_lock (&self->lock);
  /* STARTING: its start job stops it if it does not start */
  if (call->state == CALL_STARTING || call->state == CALL_STOPPING
      || call->state == CALL_DONE) {
    g_mutex_unlock (&self->lock);
    return;
  }
  call->state = CALL_STOPPING;
  workers = self->workers;
  g_mutex_unlock (&self->lock);

  call_unwatch (call);
  if (call->grace) {
    g_source_destroy (call->grace);
    g_source_unref (call->grace);
    call->grace = NULL;
  }
  if (workers) {
    Job *job = g_new0 (Job, 1);
    job->call = call_ref (call);
    g_thread_pool_push (workers, job, NULL);
  } else {
    call_stop (call);
    call_finish (call);
  }
}

/* Ends @call's output: EOS, then teardown when it arrives. */
static void
call_end (Call * call)
{
  gboolean running;

  g_mutex_lock (&call->serve->lock);
  running = call->state == CALL_RUNNING;
  if (running)
    call->state = CALL_ENDING;
  g_mutex_unlock (&call->serve->lock);
  if (running) {
    GST_INFO ("call %s: ending", call->session_id);
    /* To the source, not the pipeline: a pipeline's send_event holds the
     * pipeline's state lock while basesrc waits for its streaming thread.
     * If that thread waits for its sinks to preroll (an async state change
     * still under way), the change cannot go on without that lock, and
     * neither can the control context. */
    gst_element_send_event (call->src ? call->src : call->pipeline,
        gst_event_new_eos ());
  }
}

static gboolean
cmd_disconnect_error (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_disconnect (session, "error", data, NULL, now);
}

static gboolean
cmd_disconnect_stopped (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_disconnect (session, "completed", "server stopped", NULL,
      now);
}

static gboolean
grace_cb (gpointer data)
{
  Call *call = data;

  GST_INFO ("call %s: its sessions did not close in time", call->session_id);
  call_teardown (call);
  return G_SOURCE_REMOVE;
}

/* The open sessions of @call, with a ref each; under lock. */
static GList *
call_conns_locked (Call * call)
{
  GList *conns = NULL, *l;

  for (l = call->links; l; l = l->next) {
    Link *link = l->data;
    if (link->conn)
      conns = g_list_prepend (conns, gst_genesys_conn_ref (link->conn));
  }
  return conns;
}

/* The pipeline posted an error: its sessions are told, then it stops. */
static void
call_fail (Call * call, const GError * error, const gchar * debug)
{
  GstGenesysServe *self = call->serve;
  GList *conns, *l;

  g_mutex_lock (&self->lock);
  if (call->state != CALL_RUNNING && call->state != CALL_ENDING) {
    g_mutex_unlock (&self->lock);
    return;
  }
  call->state = CALL_FAILED;
  self->stats.calls_failed++;
  conns = call_conns_locked (call);
  g_mutex_unlock (&self->lock);

  GST_WARNING ("call %s: the pipeline failed: %s (%s)", call->session_id,
      error->message, GST_STR_NULL (debug));
  call->error = g_error_copy (error);
  for (l = conns; l; l = l->next) {
    gst_genesys_conn_command (l->data, cmd_disconnect_error,
        g_strdup ("the server's pipeline for this call failed"), g_free);
    gst_genesys_conn_unref (l->data);
  }
  if (conns == NULL) {
    call_teardown (call);
  } else {
    call->grace = g_timeout_source_new (ERROR_GRACE_MS);
    g_source_set_callback (call->grace, grace_cb, call, NULL);
    g_source_attach (call->grace, self->context);
  }
  g_list_free (conns);
}

typedef struct
{
  Call *call;
  GstMessage *msg;
} BusMessage;

static void
bus_message_free (gpointer data)
{
  BusMessage *bm = data;

  call_unref (bm->call);
  gst_message_unref (bm->msg);
  g_free (bm);
}

/* EOS and ERROR, in the control context. */
static gboolean
bus_dispatch_cb (gpointer data)
{
  BusMessage *bm = data;
  Call *call = bm->call;
  GstGenesysServe *self = call->serve;
  GstMessage *msg = bm->msg;
  gboolean done;

  g_mutex_lock (&self->lock);
  done = call->state == CALL_STOPPING || call->state == CALL_DONE;
  g_mutex_unlock (&self->lock);
  if (done)
    return G_SOURCE_REMOVE;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:{
      gboolean failed;
      g_mutex_lock (&self->lock);
      failed = call->state == CALL_FAILED;
      g_mutex_unlock (&self->lock);
      GST_INFO ("call %s: end of stream", call->session_id);
      /* after an error (basesrc sends EOS then): when its sessions closed */
      if (!failed)
        call_teardown (call);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gchar *debug = NULL;
      gst_message_parse_error (msg, &error, &debug);
      call_fail (call, error, debug);
      g_error_free (error);
      g_free (debug);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_REMOVE;
}

/* A streaming thread posts ENTER as it starts its task: it starts on a
 * clean stack, not on the deepest one an earlier call's thread left. */
static void
trim_entering_thread (GstMessage * msg)
{
  GstStreamStatusType type;
  GstElement *owner;

  gst_message_parse_stream_status (msg, &type, &owner);
  if (type == GST_STREAM_STATUS_TYPE_ENTER)
    gst_genesys_stack_trim ();
}

/* While a call's pipeline starts (before call_watch): every message waits
 * on the bus. */
static GstBusSyncReply
start_sync_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_STREAM_STATUS)
    trim_entering_thread (msg);
  return GST_BUS_PASS;
}

/* In the thread that posts: counts, and hands EOS and ERROR on. */
static GstBusSyncReply
bus_sync_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  Call *call = data;
  GstGenesysServe *self = call->serve;
  BusMessage *bm;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_ERROR:
      bm = g_new0 (BusMessage, 1);
      bm->call = call_ref (call);
      bm->msg = gst_message_ref (msg);
      /* never run here (g_main_context_invoke would, when this thread
       * can acquire the context): the streaming thread would stop itself.
       * Posted sources are destroyed by gst_genesys_serve_free(). */
      post (self, bus_dispatch_cb, bm, bus_message_free);
      break;
    case GST_MESSAGE_STREAM_STATUS:
      trim_entering_thread (msg);
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "genesys-gap")) {
        GstClockTime duration = 0;
        gst_structure_get_uint64 (gst_message_get_structure (msg), "duration",
            &duration);
        g_mutex_lock (&self->lock);
        self->stats.gaps++;
        self->metrics.gap_time += duration;
        g_mutex_unlock (&self->lock);
      }
      break;
    default:
      break;
  }
  /* a handler that drops a message owns it */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* A session of @call closed. */
static gboolean
link_gone_cb (gpointer data)
{
  Call *call = data;
  GstGenesysServe *self = call->serve;
  gboolean empty, draining;
  CallState state;

  g_mutex_lock (&self->lock);
  empty = call->links == NULL;
  state = call->state;
  draining = self->draining;
  g_mutex_unlock (&self->lock);

  if (empty && state == CALL_FAILED)
    call_teardown (call);
  else if (empty && draining)
    call_end (call);
  /* a call that ended before its last session (its pipeline's EOS) is
   * gone already: this session was the last thing a drain waited for */
  if (draining)
    check_drained (self);
  return G_SOURCE_REMOVE;
}

/* ---- sessions (loop thread) ---- */

static gboolean
unref_conn_cb (gpointer data)
{
  gst_genesys_conn_unref (data);
  return G_SOURCE_REMOVE;
}

static gboolean
cmd_reconnect (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_reconnect (session, "the server is shutting down", now);
}

/* Under the lock. */
static void
remember_closed (GstGenesysServe * self, const gchar * session_id)
{
  gchar *id;

  if (g_hash_table_contains (self->closed_ids, session_id))
    return;
  id = g_strdup (session_id);
  g_hash_table_add (self->closed_ids, id);
  g_queue_push_tail (&self->closed_order, id);
  if (self->closed_order.length > CLOSED_MEMORY)
    g_hash_table_remove (self->closed_ids,
        g_queue_pop_head (&self->closed_order));
}

/* Under the lock. */
static gboolean
continues_closed (GstGenesysServe * self, const AhMessage * open)
{
  guint i;

  for (i = 0; open->continued_sessions && i < open->continued_sessions->len;
      i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    if (g_hash_table_contains (self->closed_ids, cs->id))
      return TRUE;
  }
  return FALSE;
}

static void
observe_action (GstGenesysConn * conn, AhAction * action, gpointer data)
{
  Link *link = data;
  GstGenesysServe *self = link->serve;

  g_mutex_lock (&self->lock);
  switch (action->type) {
    case AH_ACTION_CLOSED:
      if (g_strcmp0 (action->text, "reconnect") != 0) {
        remember_closed (self, link->session_id);
        if (self->registry)
          gst_genesys_registry_session_closed (self->registry,
              link->session_id);
      }
      break;
    case AH_ACTION_OPENED:
      if (link->open_at) {
        gst_genesys_histogram_observe (&self->metrics.open_time,
            (gdouble) (gst_genesys_now () - link->open_at) / GST_SECOND);
        link->open_at = 0;
      }
      /* opened after the drain began: it is asked to move too */
      if (self->draining && !action->probe) {
        self->metrics.reconnects++;
        gst_genesys_conn_command (conn, cmd_reconnect, NULL, NULL);
      }
      break;
    case AH_ACTION_AUDIO:
      self->stats.frames++;
      self->stats.bytes += g_bytes_get_size (action->data);
      break;
    case AH_ACTION_PING:
      self->stats.pings++;
      if (action->message && action->message->has_rtt) {
        gst_genesys_histogram_observe (&self->metrics.pong_rtt,
            (gdouble) action->message->rtt / GST_SECOND);
        if (action->message->rtt > LATE_PONG)
          self->stats.late_pongs++;
      }
      break;
    case AH_ACTION_MESSAGE:
      if (action->message->type == AH_MSG_ERROR && action->message->code == 408)
        self->stats.late_pongs++;
      break;
    default:
      break;
  }
  g_mutex_unlock (&self->lock);
  /* a timeout, a violation: the session ends with it */
  if (action->type == AH_ACTION_PROTOCOL_ERROR)
    GST_WARNING ("session %s: %s (%d)", link->session_id, action->text,
        action->code);
}

static void
observe_closed (GstGenesysConn * conn, gushort code, const gchar * reason,
    gboolean clean, gpointer data)
{
  Link *link = data;
  GstGenesysServe *self = link->serve;
  Call *call = NULL;
  gboolean listed, owned;

  g_mutex_lock (&self->lock);
  listed = g_list_find (self->links, link) != NULL;
  self->links = g_list_remove (self->links, link);
  owned = link->conn != NULL;
  link->conn = NULL;
  if (link->call) {
    /* the link's ref goes to link_gone_cb: the last ref of a call, and
     * with it its pipeline, is never let go on a loop thread */
    call = link->call;
    link->call = NULL;
    call->links = g_list_remove (call->links, link);
  }
  g_mutex_unlock (&self->lock);

  GST_DEBUG ("session %s: closed (%u)", link->session_id, code);
  if (call)
    post (self, link_gone_cb, call, (GDestroyNotify) call_unref);
  else
    post (self, check_drained, self, NULL);
  /* the listener's ref; not from inside its own callback */
  if (owned)
    gst_genesys_loop_invoke (gst_genesys_conn_get_loop (conn), unref_conn_cb,
        conn, NULL);
  if (listed)
    link_unref (link);
}

static const GstGenesysConnCallbacks observer_callbacks = {
  observe_action,
  observe_closed,
};

/* The owner until a call takes the session (probes, failures: always). */
static void
owner_action (GstGenesysConn * conn, AhAction * action, gpointer data)
{
  Link *link = data;

  if (action->type == AH_ACTION_OPENED && link->failure)
    gst_genesys_conn_run (conn, cmd_disconnect_error, link->failure);
  ah_action_free (action);
}

static const GstGenesysConnCallbacks owner_callbacks = {
  owner_action,
  NULL,
};

/* The running call whose source served a session @open continues. */
static Call *
find_continued_call (GstGenesysServe * self, const AhMessage * open)
{
  Call *found = NULL;
  GList *l;
  guint i;

  for (i = 0; open->continued_sessions && i < open->continued_sessions->len;
      i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    GstGenesysListener *owner = gst_genesys_server_find_session (self->server,
        cs->id);
    if (!owner)
      continue;
    g_mutex_lock (&self->lock);
    for (l = self->calls; l && !found; l = l->next) {
      Call *call = l->data;
      if ((gpointer) call->src == owner->user_data
          && call->state == CALL_RUNNING)
        found = call_ref (call);
    }
    g_mutex_unlock (&self->lock);
    if (found)
      break;
  }
  return found;
}

/* The template of @connector_id (its part before any '?'), or the
 * default one. */
static const gchar *
launch_for (GstGenesysServe * self, const gchar * connector_id)
{
  const gchar *launch = NULL;
  gchar *id;

  if (!connector_id || !self->connectors)
    return self->launch;
  id = g_strndup (connector_id, strcspn (connector_id, "?"));
  launch = g_hash_table_lookup (self->connectors, id);
  g_free (id);
  return launch ? launch : self->launch;
}

/* ---- starting a call (a worker, and the session's loop thread) ---- */

/* The pipeline of @job's call, playing; NULL with @error. Worker thread:
 * filling and parsing the template, making the elements and their state
 * changes (files opened, connections made) may take a while. */
static GstElement *
call_build (Job * job, GstElement ** src, GError ** error)
{
  Call *call = job->call;
  GstGenesysTemplateCall values = { call->call_id,
    gst_genesys_conn_get_connector_id (job->conn), call->segment,
    call->start_position
  };
  gchar *description = gst_genesys_template_fill (job->launch, job->open,
      &values);
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *err;

  GST_DEBUG ("session %s: %s", call->session_id, description);
  pipeline = parse_pipeline (description, src, error);
  g_free (description);
  if (!pipeline)
    return NULL;
  g_object_set (*src, "mode", GST_GENESYS_MODE_EXTERNAL, "keep-listening",
      FALSE, "start-position", call->start_position, NULL);
  /* when asked; a template may set it itself */
  if (call->serve->set_push_mode)
    g_object_set (*src, "push-mode", call->serve->push_mode, NULL);
  gst_element_set_name (pipeline, call->call_id);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, start_sync_cb, NULL, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE) {
    gst_object_unref (bus);
    return pipeline;
  }

  err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (err) {
    gst_message_parse_error (err, error, NULL);
    gst_message_unref (err);
  } else {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the pipeline did not start");
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  *src = NULL;
  return NULL;
}

static void
link_join (GstGenesysServe * self, Link * link, Call * call)
{
  g_mutex_lock (&self->lock);
  link->call = call_ref (call);
  call->links = g_list_prepend (call->links, link);
  g_mutex_unlock (&self->lock);
}

static gboolean
cmd_answer_open (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_answer_open (session, *(gint *) data, now);
}

/* The session's loop thread, once the call's pipeline plays or could not
 * be built: the pipeline's genesyssrc takes the session and chooses the
 * media, and the open is answered (without media when the call does not
 * start: its owner then disconnects, see owner_action). Sets @job's
 * call->taken. */
static gboolean
adopt_cb (gpointer data)
{
  Job *job = data;
  Call *call = job->call;
  Link *link = job->link;
  GstGenesysServe *self = call->serve;
  AhMessage *open = job->open;
  gboolean waiting, stopping, relay_lost = FALSE;
  gint chosen = -1;

  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  waiting = link->conn != NULL;
  g_mutex_unlock (&self->lock);
  waiting = waiting
      && ah_session_is_answer_pending (gst_genesys_conn_get_session
      (job->conn));
  if (waiting && call->closed_elsewhere) {
    /* a repeated close: answered without media, as continues_closed() */
  } else if (call->relayed) {
    /* the call's owner answered: the relay serves the session from now */
    if (waiting && !stopping) {
      /* listed first: its end may come as soon as it is attached */
      g_mutex_lock (&self->lock);
      self->relays = g_list_prepend (self->relays, call->relay);
      g_mutex_unlock (&self->lock);
      if (gst_genesys_relay_attach (call->relay, job->conn)) {
        chosen = call->relay_chosen;
        /* the serve's list has it now */
        call->relay = NULL;
      } else {
        relay_lost = TRUE;
        /* over already: freed by relay_done() if it found it listed, else
         * by job_start() */
        g_mutex_lock (&self->lock);
        if (g_list_find (self->relays, call->relay))
          self->relays = g_list_remove (self->relays, call->relay);
        else
          call->relay = NULL;
        g_mutex_unlock (&self->lock);
      }
    }
  } else if (waiting && call->pipeline && !stopping) {
    guint n_offers = open->media ? open->media->len : 0;
    call->taken = gst_genesys_src_take_session (GST_GENESYS_SRC (call->src),
        self->server, job->conn, n_offers ? &g_array_index (open->media,
            AhMedia, 0) : NULL, n_offers, &chosen);
    if (!call->taken)
      g_set_error (&call->error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "the pipeline's genesyssrc did not take the session");
  } else if (!call->error) {
    g_set_error (&call->error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        stopping ? "the server is stopping" :
        "the session ended before its pipeline started");
  }

  g_mutex_lock (&self->lock);
  if (call->taken) {
    call->state = CALL_RUNNING;
    self->stats.calls_total++;
  } else if (call->closed_elsewhere) {
    self->stats.continued_closed++;
  } else if (call->relayed && waiting && !stopping && !relay_lost) {
    self->metrics.relayed++;
  } else if (!stopping && !call->relayed) {
    self->stats.calls_failed++;
  }
  g_mutex_unlock (&self->lock);
  if (call->relayed && waiting && !stopping && !relay_lost) {
    GST_INFO ("session %s: relayed to the owner of call %s",
        link->session_id, call->call_id);
  } else if (call->relayed) {
    GST_INFO ("session %s: not relayed: %s", link->session_id, stopping ?
        "the server is stopping" : relay_lost ? "the call's owner was lost" :
        "it ended first");
    if (stopping)
      link->failure = g_strdup ("the server is stopping");
    else if (relay_lost)
      link->failure = g_strdup ("the call's owner cannot be reached");
  } else if (call->closed_elsewhere) {
    GST_INFO ("session %s continues a session closed on another instance: "
        "no pipeline", link->session_id);
  } else if (call->taken) {
    GST_INFO ("session %s: call started", link->session_id);
    link_join (self, link, call);
  } else {
    GST_WARNING ("session %s: no pipeline: %s", link->session_id,
        call->error->message);
    link->failure = g_strdup (stopping ? "the server is stopping" :
        "the server could not start a pipeline");
  }
  if (waiting)
    gst_genesys_conn_run (job->conn, cmd_answer_open, &chosen);
  return G_SOURCE_REMOVE;
}

/* From now on EOS and ERROR of @call's pipeline go to the control
 * context (bus_sync_cb). */
static void
call_watch (Call * call)
{
  GstBus *bus = gst_element_get_bus (call->pipeline);
  GstMessage *msg;

  /* Messages are sorted where they are posted: a bus watch per call would
   * make the control context walk a source per call on every wakeup, and
   * wake it for every message. Only EOS and ERROR go there. */
  call->watching = TRUE;
  /* start_sync_cb goes; what is posted meanwhile waits on the bus */
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_bus_set_sync_handler (bus, bus_sync_cb, call_ref (call),
      (GDestroyNotify) call_unref);
  /* what was posted while the pipeline started, before the handler */
  while ((msg = gst_bus_pop (bus))) {
    /* a thread's ENTER is for that thread to act on, not this one */
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_STREAM_STATUS)
      gst_message_unref (msg);
    else
      bus_sync_cb (bus, msg, call);     /* it takes the message */
  }
  gst_object_unref (bus);
}

static void
relay_done (GstGenesysRelay * relay, gpointer data)
{
  GstGenesysServe *self = data;
  Job *job;

  /* once the workers are gone, gst_genesys_serve_stop() frees it */
  g_mutex_lock (&self->lock);
  if (self->workers && g_list_find (self->relays, relay)) {
    self->relays = g_list_remove (self->relays, relay);
    job = g_new0 (Job, 1);
    job->relay = relay;
    g_thread_pool_push (self->workers, job, NULL);
  }
  g_mutex_unlock (&self->lock);
}

/* The owner of the call @record names is up: @job's session is relayed
 * to it. FALSE when there is no relay key, or the owner did not open the
 * relay in time (the call then moves). Worker thread. */
static gboolean
call_relay (Job * job, const GstGenesysSessionRecord * record)
{
  Call *call = job->call;
  GstGenesysServe *self = call->serve;
  GstGenesysRelayConfig config = { 0 };
  GstGenesysRelay *relay;
  GError *error = NULL;
  gint chosen = -1;
  gint64 *until;
  gboolean down;

  if (!self->relay_secret || !record->relay_url || !*record->relay_url) {
    GST_INFO ("session %s: %s, the call moves", call->session_id,
        self->relay_secret ? "its owner advertises no relay URL" :
        "no relay key");
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  until = g_hash_table_lookup (self->relay_down, record->relay_url);
  down = until && g_get_monotonic_time () < *until;
  if (down)
    self->metrics.relay_fallbacks++;
  g_mutex_unlock (&self->lock);
  if (down) {
    GST_WARNING ("session %s: relay to %s (%s) not tried: it did not answer "
        "a relay less than %d s ago; the call moves here", call->session_id,
        record->instance, record->relay_url,
        (gint) (RELAY_DOWN_TIME / G_USEC_PER_SEC));
    return FALSE;
  }
  config.uri = record->relay_url;
  config.key_id = self->relay_key_id;
  config.secret = self->relay_secret;
  config.authority = self->authority;
  config.open = job->open;
  config.session_id = call->session_id;
  relay = gst_genesys_relay_new (&config, relay_done, self, &error);
  if (relay && gst_genesys_relay_connect (relay, RELAY_CONNECT_TIMEOUT,
          &chosen, &error)) {
    GST_INFO ("session %s: relayed to %s, the owner of call %s",
        call->session_id, record->relay_url, record->call_id);
    call->relayed = TRUE;
    call->relay = relay;
    call->relay_chosen = chosen;
    g_mutex_lock (&self->lock);
    g_hash_table_remove (self->relay_down, record->relay_url);
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  GST_WARNING ("session %s: relay to %s (%s): %s; the call moves here, and "
      "its calls move without a relay for %d s", call->session_id,
      record->instance, record->relay_url, error->message,
      (gint) (RELAY_DOWN_TIME / G_USEC_PER_SEC));
  g_clear_error (&error);
  gst_genesys_relay_free (relay);
  until = g_new (gint64, 1);
  *until = g_get_monotonic_time () + RELAY_DOWN_TIME;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->relay_down, g_strdup (record->relay_url), until);
  self->metrics.relay_fallbacks++;
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/* With a registry: the call @job's session continues, when another
 * instance had it (found in the registry), goes on here as its next
 * segment from the session's position; otherwise it is a new call. The
 * registry learns which. Worker thread, before the pipeline is built. */
static void
call_place (Job * job)
{
  Call *call = job->call;
  GstGenesysServe *self = call->serve;
  GArray *continued = job->open->continued_sessions;
  GstGenesysSessionRecord record = { 0 };
  GstGenesysPlacement placement = GST_GENESYS_PLACE_NEW;
  GError *error = NULL;
  guint i, segment;

  for (i = 0; continued && i < continued->len; i++) {
    AhContinuedSession *cs = &g_array_index (continued, AhContinuedSession, i);
    if (!gst_genesys_registry_find (self->registry, cs->id, &record, &error)) {
      g_mutex_lock (&self->lock);
      self->metrics.registry_errors++;
      g_mutex_unlock (&self->lock);
      GST_WARNING ("session %s: registry: %s; a call of its own",
          call->session_id, error->message);
      g_clear_error (&error);
      break;
    }
    placement = gst_genesys_placement_decide (&record,
        gst_genesys_registry_get_instance (self->registry));
    if (placement != GST_GENESYS_PLACE_NEW)
      break;
    gst_genesys_session_record_clear (&record);
  }
  if (placement == GST_GENESYS_PLACE_RELAY && call_relay (job, &record)) {
    /* the session belongs to the call, whose owner stays */
    g_free (call->call_id);
    call->call_id = g_strdup (record.call_id);
  } else if (placement == GST_GENESYS_PLACE_CLOSED) {
    call->closed_elsewhere = TRUE;
  } else if (placement != GST_GENESYS_PLACE_NEW) {
    /* the owner is draining or gone, or could not be relayed to: the call
     * moves here, and the owner's part ends when its wait for a
     * continuation does */
    if (gst_genesys_registry_take_call (self->registry, record.call_id,
            job->open->conversation_id, &segment, &error)) {
      g_mutex_lock (&self->lock);
      self->metrics.moved_in++;
      g_mutex_unlock (&self->lock);
      g_free (call->call_id);
      call->call_id = g_strdup (record.call_id);
      call->segment = segment;
      call->start_position = gst_util_uint64_scale (job->open->position,
          AH_RATE, GST_SECOND);
      GST_INFO ("session %s: call %s moves here from %s (%s) as segment %u "
          "from sample %" G_GUINT64_FORMAT, call->session_id, call->call_id,
          record.instance, placement == GST_GENESYS_PLACE_RELAY ? "up" :
          "draining or gone", segment, call->start_position);
    } else {
      GST_WARNING ("session %s: registry: %s; a call of its own",
          call->session_id, error->message);
      g_clear_error (&error);
      g_mutex_lock (&self->lock);
      self->metrics.registry_errors++;
      g_mutex_unlock (&self->lock);
      placement = GST_GENESYS_PLACE_NEW;
    }
  }
  if (placement == GST_GENESYS_PLACE_NEW)
    gst_genesys_registry_call (self->registry, call->call_id,
        job->open->conversation_id, 0);
  if (placement != GST_GENESYS_PLACE_CLOSED)
    gst_genesys_registry_session (self->registry, call->session_id,
        call->call_id);
  gst_genesys_session_record_clear (&record);
}

/* Builds and starts the pipeline of a call whose open waits, then has the
 * session's loop thread hand the session over. Worker thread. */
static void
job_start (Job * job)
{
  Call *call = job->call;
  GstGenesysServe *self = call->serve;
  GstElement *pipeline = NULL, *src = NULL;
  GError *error = NULL;
  gboolean stopping;

  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  if (self->registry && !stopping)
    call_place (job);
  if (!stopping && !call->closed_elsewhere && !call->relayed)
    pipeline = call_build (job, &src, &error);
  g_mutex_lock (&self->lock);
  call->pipeline = pipeline;
  call->src = src;
  g_mutex_unlock (&self->lock);
  call->error = error;

  gst_genesys_loop_invoke_sync (gst_genesys_conn_get_loop (job->conn),
      adopt_cb, job);
  /* a relay that the session did not take */
  g_clear_pointer (&call->relay, gst_genesys_relay_free);
  if (call->taken) {
    post (self, announce_cb, call_ref (call), (GDestroyNotify) call_unref);
    call_watch (call);
  } else {
    call_stop (call);
    post (self, finish_cb, call_ref (call), (GDestroyNotify) call_unref);
  }
}

static void
job_free (Job * job)
{
  if (job->call)
    call_unref (job->call);
  if (job->link)
    link_unref (job->link);
  if (job->conn)
    gst_genesys_conn_unref (job->conn);
  if (job->open)
    ah_message_unref (job->open);
  g_free (job);
}

/* The worker threads' function. */
static void
job_run (gpointer data, gpointer user_data)
{
  Job *job = data;

  if (job->relay) {
    GstGenesysServe *self = user_data;
    guint hops = gst_genesys_relay_get_hops (job->relay);
    gst_genesys_relay_free (job->relay);
    g_mutex_lock (&self->lock);
    self->metrics.relay_hops += hops;
    g_mutex_unlock (&self->lock);
    post (self, check_drained, self, NULL);
  } else if (job->link) {
    job_start (job);
  } else {
    call_stop (job->call);
    post (job->call->serve, finish_cb, call_ref (job->call),
        (GDestroyNotify) call_unref);
  }
  job_free (job);
}

/* The session's media selector, called while its open is answered: a call
 * of its own is handed to a worker, and the open waits for it. */
static gint
serve_select (const AhMedia * offers, guint n_offers, gpointer data)
{
  Link *link = data;
  GstGenesysServe *self = link->serve;
  GstGenesysConn *conn = link->conn;
  AhSession *session = gst_genesys_conn_get_session (conn);
  AhMessage *open = ah_session_get_open (session);
  gboolean stopping, closed;
  gint chosen = -1;
  Call *call;
  Job *job;

  g_mutex_lock (&self->lock);
  stopping = self->stopping;
  if (ah_session_is_probe (session))
    self->stats.probes++;
  closed = !ah_session_is_probe (session) && continues_closed (self, open);
  if (closed)
    self->stats.continued_closed++;
  g_mutex_unlock (&self->lock);
  if (ah_session_is_probe (session)) {
    GST_INFO ("session %s: connection probe, no pipeline", link->session_id);
    return -1;
  }
  if (closed) {
    /* its call ended with that close: a recording of nothing but the
     * repeated close would only be noise */
    GST_INFO ("session %s continues a session that was closed: no pipeline",
        link->session_id);
    return -1;
  }
  if (stopping) {
    link->failure = g_strdup ("the server is stopping");
    return -1;
  }

  call = find_continued_call (self, open);
  if (call) {
    if (gst_genesys_src_take_session (GST_GENESYS_SRC (call->src),
            self->server, conn, offers, n_offers, &chosen)) {
      GST_INFO ("session %s continues call %s", link->session_id,
          call->session_id);
      link_join (self, link, call);
      if (self->registry)
        gst_genesys_registry_session (self->registry, link->session_id,
            call->call_id);
      g_mutex_lock (&self->lock);
      self->stats.sessions_continued++;
      g_mutex_unlock (&self->lock);
      call_unref (call);
      return chosen;
    }
    GST_INFO ("session %s: call %s takes no session now, a call of its own",
        link->session_id, call->session_id);
    call_unref (call);
  }

  /* a call of its own; gst_genesys_serve_free() waits for the workers
   * once no loop thread runs this (gst_genesys_server_sync) */
  call = g_new0 (Call, 1);
  g_atomic_ref_count_init (&call->ref_count);   /* the list's */
  call->serve = self;
  call->session_id = g_strdup (link->session_id);
  call->call_id = g_strdup (link->session_id);
  call->conversation_id = g_strdup (open->conversation_id);
  call->state = CALL_STARTING;
  job = g_new0 (Job, 1);
  job->call = call_ref (call);
  job->link = link_ref (link);
  job->conn = gst_genesys_conn_ref (conn);
  job->open = ah_message_ref (open);
  job->launch = launch_for (self, gst_genesys_conn_get_connector_id (conn));
  g_mutex_lock (&self->lock);
  self->calls = g_list_prepend (self->calls, call);
  link->open_at = gst_genesys_now ();
  g_mutex_unlock (&self->lock);
  GST_DEBUG ("session %s: its pipeline is being started", link->session_id);
  g_thread_pool_push (self->workers, job, NULL);
  return AH_MEDIA_SELECT_LATER;
}

/* ---- listener (loop thread) ---- */

static gboolean
serve_claim (gpointer data)
{
  GstGenesysServe *self = data;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = !self->draining && !self->stopping && (self->max_sessions == 0
      || self->claimed + g_list_length (self->links) < self->max_sessions);
  if (ok)
    self->claimed++;
  else
    self->stats.refused++;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
serve_unclaim (gpointer data)
{
  GstGenesysServe *self = data;

  g_mutex_lock (&self->lock);
  self->claimed--;
  g_mutex_unlock (&self->lock);
  post (self, check_drained, self, NULL);
}

static void
serve_refused (gpointer data, guint status, const GError * error)
{
  GstGenesysServe *self = data;

  GST_INFO ("refused (HTTP %u): %s", status, error->message);
  g_mutex_lock (&self->lock);
  if (status == 401) {
    self->stats.auth_failures++;
    if (error->domain == AH_SIGNATURE_ERROR && error->code >= 0
        && error->code < AH_SIGNATURE_ERROR_N_CODES)
      self->metrics.auth_failures[error->code]++;
  } else if (status == 503)
    self->stats.refused++;      /* the replay cache is full */
  else
    self->stats.bad_requests++;
  g_mutex_unlock (&self->lock);
}

static void
serve_not_found (gpointer data, const gchar * request_target)
{
  GstGenesysServe *self = data;

  g_mutex_lock (&self->lock);
  self->stats.not_found++;
  g_mutex_unlock (&self->lock);
}

static void
serve_accepted (gpointer data, GstGenesysConn * conn)
{
  GstGenesysServe *self = data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  Link *link = g_new0 (Link, 1);

  g_atomic_ref_count_init (&link->ref_count);   /* the list's */
  link->serve = self;
  link->session_id = g_strdup (ah_session_get_id (session));
  link->conn = conn;            /* the listener's ref */
  g_mutex_lock (&self->lock);
  self->claimed--;
  self->links = g_list_prepend (self->links, link);
  self->stats.sessions_total++;
  g_mutex_unlock (&self->lock);

  ah_session_set_media_selector (session, serve_select, link);
  ah_session_set_idle_timeout (session, self->idle_timeout * GST_SECOND);
  ah_session_set_supported_languages (session,
      (const gchar * const *) self->languages);
  gst_genesys_conn_set_observer (conn, &observer_callbacks, link_ref (link),
      link_unref);
  gst_genesys_conn_start (conn, &owner_callbacks, link_ref (link), link_unref);
}

static void
free_auth_settings (GstGenesysServe * self)
{
  g_free (self->api_key);
  g_free (self->client_secret);
  g_free (self->credentials_file);
  g_free (self->authority);
  g_free (self->relay_key_id);
  g_free (self->relay_secret);
  g_free (self->relay_url);
}

/* The relay key of @file: `KEY-ID:SECRET`, the secret base64 and not
 * empty (a relay is never unsigned). */
static gboolean
load_relay_key (GstGenesysServe * self, const gchar * file, GError ** error)
{
  gchar *text = NULL, *colon;
  AhVerifier *check;
  gboolean ok = FALSE;

  if (!g_file_get_contents (file, &text, NULL, error))
    return FALSE;
  g_strstrip (text);
  colon = strchr (text, ':');
  if (!colon || colon == text || colon[1] == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "relay key file %s: not KEY-ID:SECRET", file);
    goto out;
  }
  *colon = '\0';
  check = ah_verifier_new ();
  ok = ah_verifier_add_key (check, text, colon + 1, error);
  ah_verifier_free (check);
  if (!ok) {
    g_prefix_error (error, "relay key file %s: ", file);
    goto out;
  }
  self->relay_key_id = g_strdup (text);
  self->relay_secret = g_strdup (colon + 1);
out:
  g_free (text);
  return ok;
}

/* The relay key is one more key of @verifier (none without one: an open
 * door stays open). */
static gboolean
verifier_add_relay_key (GstGenesysServe * self, AhVerifier * verifier,
    GError ** error)
{
  if (!verifier || !self->relay_key_id)
    return TRUE;
  return ah_verifier_add_key (verifier, self->relay_key_id,
      self->relay_secret, error);
}

/* ws://ADDRESS:PORT/PATH, wss:// with TLS; the host name for a wildcard
 * address. */
static gchar *
default_relay_url (const GstGenesysServeConfig * config, guint port)
{
  const gchar *address = config->address ? config->address : DEFAULT_ADDRESS;
  gboolean v6 = strchr (address, ':') != NULL;

  if (g_strcmp0 (address, "0.0.0.0") == 0 || g_strcmp0 (address, "::") == 0) {
    address = g_get_host_name ();
    v6 = FALSE;
  }
  return g_strdup_printf ("%s://%s%s%s:%u%s", config->tls_certificate_file ?
      "wss" : "ws", v6 ? "[" : "", address, v6 ? "]" : "", port,
      config->path ? config->path : DEFAULT_PATH);
}

/* ---- the registry ---- */

#define HEARTBEAT_INTERVAL_MS 3000

static gboolean
heartbeat_cb (gpointer data)
{
  GstGenesysServe *self = data;
  gboolean draining;

  g_mutex_lock (&self->lock);
  draining = self->draining;
  g_mutex_unlock (&self->lock);
  gst_genesys_registry_heartbeat (self->registry, draining);
  return G_SOURCE_CONTINUE;
}

/* Connects to the registry of @config as its instance (by default
 * HOSTNAME-PORT) and starts the heartbeat. */
static gboolean
serve_join_registry (GstGenesysServe * self,
    const GstGenesysServeConfig * config, GError ** error)
{
  gchar *instance = config->instance ? g_strdup (config->instance) :
      g_strdup_printf ("%s-%u", g_get_host_name (),
      gst_genesys_server_get_port (self->server));

  if (*instance == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the instance name is empty");
    g_free (instance);
    return FALSE;
  }
  self->registry = gst_genesys_registry_new (config->registry, instance, error);
  g_free (instance);
  if (!self->registry)
    return FALSE;
  self->relay_url = config->relay_url ? g_strdup (config->relay_url) :
      default_relay_url (config, gst_genesys_server_get_port (self->server));
  gst_genesys_registry_set_relay_url (self->registry, self->relay_url);
  GST_INFO ("relays reach this instance at %s", self->relay_url);
  gst_genesys_registry_heartbeat (self->registry, FALSE);
  self->heartbeat = g_timeout_source_new (HEARTBEAT_INTERVAL_MS);
  g_source_set_callback (self->heartbeat, heartbeat_cb, self, NULL);
  g_source_attach (self->heartbeat, self->context);
  return TRUE;
}

/* ---- API ---- */

/* The elements of this library, whatever the registry holds: a plugin
 * file found on the plugin path maps to the same types. */
static void
ensure_elements (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    gst_plugin_register_static (GST_VERSION_MAJOR, GST_VERSION_MINOR,
        "genesysserve", "Genesys AudioHook elements of gst-genesys-serve",
        gst_genesys_elements_register, VERSION, GST_LICENSE, "gst-genesys",
        GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN);
    g_once_init_leave (&done, 1);
  }
}

/* A launch template that builds: placeholders known, exactly one
 * genesyssrc (filled with "0" everywhere). */
static gboolean
check_launch (const gchar * launch, GError ** error)
{
  GstElement *pipeline, *src;
  gchar *check;

  if (!gst_genesys_template_check (launch, error))
    return FALSE;
  check = gst_genesys_template_fill (launch, NULL, NULL);
  pipeline = parse_pipeline (check, &src, error);
  g_free (check);
  if (!pipeline)
    return FALSE;
  gst_object_unref (pipeline);
  return TRUE;
}

/* "ID=TEMPLATE" entries -> id -> template; NULL with none (or an error) */
static GHashTable *
parse_connectors (const gchar * const *entries, GError ** error)
{
  GHashTable *table;
  const gchar *const *e;

  if (!entries || !*entries)
    return NULL;
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (e = entries; *e; e++) {
    const gchar *eq = strchr (*e, '=');
    gchar *id;

    if (!eq || eq == *e) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "connector template '%s' is not ID=TEMPLATE", *e);
      g_hash_table_unref (table);
      return NULL;
    }
    id = g_strndup (*e, eq - *e);
    if (!check_launch (eq + 1, error)) {
      g_prefix_error (error, "connector %s: ", id);
      g_free (id);
      g_hash_table_unref (table);
      return NULL;
    }
    g_hash_table_replace (table, id, g_strdup (eq + 1));
  }
  return table;
}

/* what the errors call the settings: gst-genesys-serve's options */
static const gchar *const option_names[3] = { "--api-key", "--client-secret",
  "--credentials"
};

/* Checks @config (the properties), listens, and from then on starts a
 * pipeline for each call: g_initable_init(). What it sets up before it
 * fails is let go in finalize. */
static gboolean
serve_setup (GstGenesysServe * self, const GstGenesysServeConfig * config,
    GError ** error)
{
  AhVerifier *verifier;
  gboolean open_door;
  GHashTable *connectors;
  GError *local = NULL;
  GstGenesysPushMode push_mode = GST_GENESYS_PUSH_MODE_AUTO;

  ensure_elements ();

  if (!config->launch) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "no launch template");
    return FALSE;
  }
  if ((config->tls_certificate_file == NULL) != (config->tls_key_file == NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "TLS needs both a certificate and a key file");
    return FALSE;
  }
  if (config->push_mode && !gst_genesys_push_mode_from_nick
      (config->push_mode, &push_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "push mode '%s': not thread, loop or auto", config->push_mode);
    return FALSE;
  }
  if (!check_launch (config->launch, error))
    return FALSE;
  connectors = parse_connectors (config->connectors, &local);
  if (local) {
    g_propagate_error (error, local);
    return FALSE;
  }
  if (config->relay_key_file && !load_relay_key (self, config->relay_key_file,
          error)) {
    if (connectors)
      g_hash_table_unref (connectors);
    return FALSE;
  }
  verifier = gst_genesys_verifier_new (config->api_key,
      config->client_secret, config->credentials_file, config->authority,
      option_names, &open_door, error);
  if (verifier && !verifier_add_relay_key (self, verifier, error))
    g_clear_pointer (&verifier, ah_verifier_free);
  if (!verifier && !open_door) {
    if (connectors)
      g_hash_table_unref (connectors);
    return FALSE;
  }

  self->launch = g_strdup (config->launch);
  self->api_key = g_strdup (config->api_key);
  self->client_secret = g_strdup (config->client_secret);
  self->credentials_file = g_strdup (config->credentials_file);
  self->authority = g_strdup (config->authority);
  self->connectors = connectors;
  self->languages = g_strdupv ((gchar **) config->supported_languages);
  self->max_sessions = config->max_sessions;
  self->idle_timeout = config->idle_timeout ? config->idle_timeout :
      DEFAULT_IDLE_TIMEOUT;
  self->set_push_mode = config->push_mode != NULL;
  self->push_mode = push_mode;
  self->context = g_main_context_ref_thread_default ();
  self->workers = g_thread_pool_new (job_run, self, MAX (MIN_WORKERS,
          g_get_num_processors ()), FALSE, NULL);
  self->server = gst_genesys_server_acquire (config->address ?
      config->address : DEFAULT_ADDRESS, config->port,
      config->tls_certificate_file, config->tls_key_file, config->threads,
      error);
  if (self->server && !gst_genesys_server_check_listener (self->server,
          config->path ? config->path : DEFAULT_PATH, verifier, error))
    g_clear_pointer (&self->server, gst_genesys_server_release);
  if (!self->server) {
    if (verifier)
      ah_verifier_free (verifier);
    /* the rest goes in finalize */
    g_thread_pool_free (self->workers, FALSE, TRUE);
    self->workers = NULL;
    return FALSE;
  }
  self->listener.path = g_strdup (config->path ? config->path : DEFAULT_PATH);
  self->listener.verifier = verifier;
  self->listener.max_message_size = MAX_MESSAGE_SIZE;
  self->listener.claim = serve_claim;
  self->listener.unclaim = serve_unclaim;
  self->listener.refused = serve_refused;
  self->listener.not_found = serve_not_found;
  self->listener.accepted = serve_accepted;
  self->listener.user_data = self;
  gst_genesys_server_add_listener (self->server, &self->listener);
  /* a failure here: gst_genesys_serve_stop() undoes the rest */
  if (config->registry && !serve_join_registry (self, config, error))
    return FALSE;
  GST_INFO ("listening on port %u, path %s%s", gst_genesys_server_get_port
      (self->server), self->listener.path,
      verifier ? "" : ", without authentication");
  self->bound_port = gst_genesys_server_get_port (self->server);
  return TRUE;
}

/* ---- the object ---- */

typedef enum
{
  FIELD_STRING,
  FIELD_UINT,
  FIELD_STRV,
} FieldType;

/* A construct-only property: a member of GstGenesysServeConfig. */
typedef struct
{
  const gchar *name;
  FieldType type;
  gsize offset;
  guint max;                    /* FIELD_UINT */
  const gchar *blurb;
} ConfigProp;

#define FIELD(member) G_STRUCT_OFFSET (GstGenesysServeConfig, member)

/* property ids: 1 + the index */
static const ConfigProp config_props[] = {
  /**
   * GstGenesysServe:launch:
   *
   * The launch template: a gst-launch-1.0 description with exactly one
   * `genesyssrc`, and placeholders such as `{session-id}` that are filled
   * from each call's open message (see the section's introduction).
   * Required: g_initable_init() fails without it.
   */
  {"launch", FIELD_STRING, FIELD (launch), 0,
      "gst-launch-1.0 description of a call's pipeline, with one genesyssrc"},
  /**
   * GstGenesysServe:address:
   *
   * Local IP address to listen on; %NULL: 0.0.0.0.
   */
  {"address", FIELD_STRING, FIELD (address), 0,
      "Local IP address to listen on (NULL: 0.0.0.0)"},
  /**
   * GstGenesysServe:port:
   *
   * TCP port to listen on; 0 picks a free one (#GstGenesysServe:bound-port).
   */
  {"port", FIELD_UINT, FIELD (port), 65535,
      "TCP port to listen on (0: a free one, see bound-port)"},
  /**
   * GstGenesysServe:path:
   *
   * Request path of the endpoint; %NULL: /api/v1/audiohook/ws.
   */
  {"path", FIELD_STRING, FIELD (path), 0,
      "Request path of the endpoint (NULL: /api/v1/audiohook/ws)"},
  /**
   * GstGenesysServe:tls-certificate-file:
   *
   * PEM certificate chain for wss://, with #GstGenesysServe:tls-key-file.
   */
  {"tls-certificate-file", FIELD_STRING, FIELD (tls_certificate_file), 0,
      "PEM certificate chain for wss://"},
  /**
   * GstGenesysServe:tls-key-file:
   *
   * PEM private key for wss://, with #GstGenesysServe:tls-certificate-file.
   */
  {"tls-key-file", FIELD_STRING, FIELD (tls_key_file), 0,
      "PEM private key for wss://"},
  /**
   * GstGenesysServe:api-key:
   *
   * API key clients present in X-API-KEY. Without any API key (nor
   * #GstGenesysServe:credentials-file) every connection is accepted.
   */
  {"api-key", FIELD_STRING, FIELD (api_key), 0,
      "API key clients present in X-API-KEY"},
  /**
   * GstGenesysServe:client-secret:
   *
   * Base64 client secret of #GstGenesysServe:api-key; empty: unsigned
   * requests with the API key are accepted.
   */
  {"client-secret", FIELD_STRING, FIELD (client_secret), 0,
      "Base64 client secret of api-key (empty: unsigned requests)"},
  /**
   * GstGenesysServe:credentials-file:
   *
   * JSON object mapping API keys to client secrets, as genesyssrc's
   * credentials-file.
   */
  {"credentials-file", FIELD_STRING, FIELD (credentials_file), 0,
      "JSON file mapping API keys to client secrets"},
  /**
   * GstGenesysServe:authority:
   *
   * Public host[:port] for the signature's `@authority` behind proxies that
   * rewrite Host.
   */
  {"authority", FIELD_STRING, FIELD (authority), 0,
      "Public host[:port] of signatures behind proxies that rewrite Host"},
  /**
   * GstGenesysServe:max-sessions:
   *
   * Most WebSocket sessions open at once (probes included); beyond it the
   * upgrade is refused with HTTP 503. 0: no limit.
   */
  {"max-sessions", FIELD_UINT, FIELD (max_sessions), G_MAXINT,
      "Most WebSocket sessions open at once (0: no limit)"},
  /**
   * GstGenesysServe:idle-timeout:
   *
   * Seconds without any message from a client (audio, ping) after which its
   * session is over (`disconnect`, reason `error`, and the connection
   * dropped); 0: 60. Clients ping every 5 s; a shorter timeout also ends a
   * drain sooner when connections behind a proxy went dead.
   */
  {"idle-timeout", FIELD_UINT, FIELD (idle_timeout), G_MAXINT / 1000,
      "Seconds without a message from a client before its session is over"},
  /**
   * GstGenesysServe:threads:
   *
   * Loop threads the connections are spread over (each connection stays
   * on one); 0: one per processor it may run on, at most 8.
   */
  {"threads", FIELD_UINT, FIELD (threads), 64,
      "Loop threads the connections are spread over (0: per processor)"},
  /**
   * GstGenesysServe:supported-languages:
   *
   * Language codes (such as `en-US`) listed in `opened` when an open asks
   * for them; %NULL: an empty list.
   */
  {"supported-languages", FIELD_STRV, FIELD (supported_languages), 0,
      "Language codes listed in opened when an open asks for them"},
  /**
   * GstGenesysServe:connectors:
   *
   * `ID=TEMPLATE` entries: a session whose connector id (what follows
   * #GstGenesysServe:path in the request, before any `?`) is ID runs
   * TEMPLATE instead of #GstGenesysServe:launch. Each is checked like it.
   */
  {"connectors", FIELD_STRV, FIELD (connectors), 0,
      "ID=TEMPLATE entries: the launch template of a connector id"},
  /**
   * GstGenesysServe:push-mode:
   *
   * genesyssrc's push-mode (`thread`, `loop` or `auto`) set on every call's
   * pipeline; %NULL: what the template says.
   */
  {"push-mode", FIELD_STRING, FIELD (push_mode), 0,
      "genesyssrc's push-mode on every call: thread, loop or auto"},
  /**
   * GstGenesysServe:registry:
   *
   * `redis://HOST[:PORT][/DB]`: the session registry that instances behind
   * one load balancer share; a continuation of a call another instance had
   * goes on here as the call's next segment. %NULL: this instance alone.
   * Redis must answer at initialisation.
   */
  {"registry", FIELD_STRING, FIELD (registry), 0,
      "redis://HOST[:PORT][/DB]: the session registry instances share"},
  /**
   * GstGenesysServe:instance:
   *
   * This instance's unique name in the registry; %NULL: HOSTNAME-PORT.
   */
  {"instance", FIELD_STRING, FIELD (instance), 0,
      "This instance's unique name in the registry (default HOSTNAME-PORT)"},
  /**
   * GstGenesysServe:relay-key-file:
   *
   * A file holding the relay key, `KEY-ID:SECRET` (the secret in base64),
   * the same on every instance of a registry: continuations whose call's
   * owner is up are relayed to it, signed with this key, and relays
   * signed with it are accepted. %NULL: such calls move instead.
   */
  {"relay-key-file", FIELD_STRING, FIELD (relay_key_file), 0,
      "File with the relay key KEY-ID:SECRET that instances share"},
  /**
   * GstGenesysServe:relay-url:
   *
   * Where the other instances reach this one for relays (advertised in
   * the registry); %NULL: ws://ADDRESS:PORT/PATH (wss:// with TLS; the host
   * name for a wildcard address).
   */
  {"relay-url", FIELD_STRING, FIELD (relay_url), 0,
      "Where the other instances reach this one for relays"},
};

enum
{
  PROP_BOUND_PORT = G_N_ELEMENTS (config_props) + 1,
  PROP_DRAINING,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* @value (of the property's type) gets a copy of @config's member. */
static void
field_get (const GstGenesysServeConfig * config, const ConfigProp * prop,
    GValue * value)
{
  gconstpointer field = G_STRUCT_MEMBER_P (config, prop->offset);

  switch (prop->type) {
    case FIELD_STRING:
      g_value_set_string (value, *(const gchar * const *) field);
      break;
    case FIELD_UINT:
      g_value_set_uint (value, *(const guint *) field);
      break;
    case FIELD_STRV:
      g_value_set_boxed (value, *(const gchar * const *const *) field);
      break;
  }
}

/* @config's member (its own copy) becomes @value's. */
static void
field_set (GstGenesysServeConfig * config, const ConfigProp * prop,
    const GValue * value)
{
  gpointer field = G_STRUCT_MEMBER_P (config, prop->offset);

  switch (prop->type) {
    case FIELD_STRING:
      g_free (*(gchar **) field);
      *(gchar **) field = g_value_dup_string (value);
      break;
    case FIELD_UINT:
      *(guint *) field = g_value_get_uint (value);
      break;
    case FIELD_STRV:
      g_strfreev (*(gchar ***) field);
      *(gchar ***) field = g_value_dup_boxed (value);
      break;
  }
}

/* Each member of @dst becomes a copy of @src's, or (@src NULL) is freed. */
static void
config_copy (GstGenesysServeConfig * dst, const GstGenesysServeConfig * src)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (config_props); i++) {
    GValue value = G_VALUE_INIT;

    g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (props[i + 1]));
    if (src)
      field_get (src, &config_props[i], &value);
    field_set (dst, &config_props[i], &value);
    g_value_unset (&value);
  }
}

static void
config_clear (GstGenesysServeConfig * config)
{
  config_copy (config, NULL);
}

static void
gst_genesys_serve_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGenesysServe *self = GST_GENESYS_SERVE (object);

  if (prop_id >= 1 && prop_id <= G_N_ELEMENTS (config_props))
    field_set (&self->config, &config_props[prop_id - 1], value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_genesys_serve_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGenesysServe *self = GST_GENESYS_SERVE (object);

  if (prop_id >= 1 && prop_id <= G_N_ELEMENTS (config_props)) {
    field_get (&self->config, &config_props[prop_id - 1], value);
  } else if (prop_id == PROP_BOUND_PORT) {
    g_value_set_uint (value, self->bound_port);
  } else if (prop_id == PROP_DRAINING) {
    g_mutex_lock (&self->lock);
    g_value_set_boolean (value, self->draining);
    g_mutex_unlock (&self->lock);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

/* What gst_genesys_serve_stop() does: the last unref comes from the
 * thread of the main context of the signals. */
static void
gst_genesys_serve_dispose (GObject * object)
{
  gst_genesys_serve_stop (GST_GENESYS_SERVE (object));
  G_OBJECT_CLASS (gst_genesys_serve_parent_class)->dispose (object);
}

static void gst_genesys_serve_finalize (GObject * object);

static gboolean
gst_genesys_serve_initable_init (GInitable * initable,
    GCancellable * cancellable, GError ** error)
{
  GstGenesysServe *self = GST_GENESYS_SERVE (initable);

  /* once; again, it says the same */
  if (!self->initialized) {
    self->initialized = TRUE;
    serve_setup (self, &self->config, &self->init_error);
  }
  if (self->init_error) {
    g_propagate_error (error, g_error_copy (self->init_error));
    return FALSE;
  }
  return TRUE;
}

static void
gst_genesys_serve_initable_iface_init (GInitableIface * iface)
{
  iface->init = gst_genesys_serve_initable_init;
}

static GParamSpec *
config_pspec (const ConfigProp * prop)
{
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
      G_PARAM_STATIC_STRINGS;

  switch (prop->type) {
    case FIELD_STRING:
      return g_param_spec_string (prop->name, NULL, prop->blurb, NULL, flags);
    case FIELD_UINT:
      return g_param_spec_uint (prop->name, NULL, prop->blurb, 0, prop->max,
          0, flags);
    case FIELD_STRV:
    default:
      return g_param_spec_boxed (prop->name, NULL, prop->blurb, G_TYPE_STRV,
          flags);
  }
}

static void
gst_genesys_serve_class_init (GstGenesysServeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  guint i;

  gobject_class->set_property = gst_genesys_serve_set_property;
  gobject_class->get_property = gst_genesys_serve_get_property;
  gobject_class->dispose = gst_genesys_serve_dispose;
  gobject_class->finalize = gst_genesys_serve_finalize;

  for (i = 0; i < G_N_ELEMENTS (config_props); i++)
    props[i + 1] = config_pspec (&config_props[i]);
  /**
   * GstGenesysServe:bound-port:
   *
   * The TCP port it listens on, once initialised (gst_genesys_serve_get_port());
   * 0 before.
   */
  props[PROP_BOUND_PORT] = g_param_spec_uint ("bound-port", NULL,
      "The TCP port it listens on (0 before it listens)", 0, 65535, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * GstGenesysServe:draining:
   *
   * gst_genesys_serve_drain() was called: new sessions are refused. Notified
   * from the drain.
   */
  props[PROP_DRAINING] = g_param_spec_boolean ("draining", NULL,
      "Draining: new sessions are refused", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPS, props);

  /**
   * GstGenesysServe::call-started:
   * @serve: the #GstGenesysServe
   * @session_id: the call's first session
   * @conversation_id: the Genesys conversation of its open
   * @pipeline: the call's pipeline, playing
   *
   * A call's pipeline is playing. Like every signal of #GstGenesysServe, in
   * the main context that was the thread default at g_initable_init().
   */
  signals[SIGNAL_CALL_STARTED] = g_signal_new ("call-started",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, GST_TYPE_ELEMENT);
  /**
   * GstGenesysServe::call-ended:
   * @serve: the #GstGenesysServe
   * @session_id: the call's first session
   * @conversation_id: the Genesys conversation of its open
   * @error: (nullable): why it failed; %NULL when it ended normally
   *
   * A call's pipeline was stopped and let go. Also for a call whose
   * pipeline could not start, or whose session closed before it played
   * (without #GstGenesysServe::call-started before), with the reason; and
   * from within gst_genesys_serve_stop() (or the last unref) for the calls
   * it ends.
   */
  signals[SIGNAL_CALL_ENDED] = g_signal_new ("call-ended",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * GstGenesysServe::drained:
   * @serve: the #GstGenesysServe
   *
   * After gst_genesys_serve_drain(), no session and no call is left.
   */
  signals[SIGNAL_DRAINED] = g_signal_new ("drained",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);
}

static void
gst_genesys_serve_init (GstGenesysServe * self)
{
  g_mutex_init (&self->lock);
  self->closed_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  g_queue_init (&self->closed_order);
  self->relay_down = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  gst_genesys_serve_metrics_init (&self->metrics);
}

static GstGenesysServeStats *
serve_stats_copy (const GstGenesysServeStats * stats)
{
  return g_memdup2 (stats, sizeof (*stats));
}

G_DEFINE_BOXED_TYPE (GstGenesysServeStats, gst_genesys_serve_stats,
    serve_stats_copy, g_free);

/**
 * gst_genesys_serve_new: (skip)
 * @config: where to listen and what to run
 * @callbacks: (nullable): what to tell the application
 * @user_data: for @callbacks
 * @error: why it does not listen
 *
 * The object with @config as its properties and @callbacks connected to
 * its signals, initialised: it checks @config (the template is parsed once
 * with every placeholder "0"), listens, and from then on starts a pipeline
 * for each call. Call it with the main context that is to run the
 * callbacks as the thread default. gst_init() must have been called. The
 * same as g_initable_new() with the properties, for C.
 *
 * Returns: (transfer full): the new #GstGenesysServe, or %NULL with @error;
 * gst_genesys_serve_free() it
 */
GstGenesysServe *
gst_genesys_serve_new (const GstGenesysServeConfig * config,
    const GstGenesysServeCallbacks * callbacks, gpointer user_data,
    GError ** error)
{
  GstGenesysServe *self;

  g_return_val_if_fail (config != NULL, NULL);
  self = g_object_new (GST_GENESYS_TYPE_SERVE, NULL);
  config_copy (&self->config, config);
  if (callbacks && callbacks->call_started)
    g_signal_connect (self, "call-started",
        G_CALLBACK (callbacks->call_started), user_data);
  if (callbacks && callbacks->call_ended)
    g_signal_connect (self, "call-ended", G_CALLBACK (callbacks->call_ended),
        user_data);
  if (callbacks && callbacks->drained)
    g_signal_connect (self, "drained", G_CALLBACK (callbacks->drained),
        user_data);
  if (!g_initable_init (G_INITABLE (self), NULL, error)) {
    g_object_unref (self);
    return NULL;
  }
  return self;
}

/**
 * gst_genesys_serve_reload_credentials:
 * @serve: a #GstGenesysServe
 * @error: why the keys stay as they were
 *
 * Reads the credentials file again (#GstGenesysServeConfig's
 * credentials_file, with its api_key and client_secret): from the next
 * upgrade on, the keys it holds now are the ones accepted. Sessions and
 * calls go on. A file that cannot be read, does not parse or holds no key
 * leaves the keys as they were. From any thread.
 *
 * Returns: %TRUE when the new keys are in use
 */
gboolean
gst_genesys_serve_reload_credentials (GstGenesysServe * serve, GError ** error)
{
  AhVerifier *fresh;
  gboolean open_door;

  if (!serve->credentials_file) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no credentials file was given: nothing to reload");
    return FALSE;
  }
  fresh = gst_genesys_verifier_new (serve->api_key, serve->client_secret,
      serve->credentials_file, serve->authority, option_names, &open_door,
      error);
  if (!fresh)
    return FALSE;
  if (!verifier_add_relay_key (serve, fresh, error)) {
    ah_verifier_free (fresh);
    return FALSE;
  }
  gst_genesys_server_replace_keys (serve->server, serve->listener.verifier,
      fresh);
  ah_verifier_free (fresh);
  GST_INFO ("credentials reloaded from %s", serve->credentials_file);
  return TRUE;
}

/**
 * gst_genesys_serve_get_port:
 * @serve: a #GstGenesysServe
 *
 * Returns: the TCP port it listens on (#GstGenesysServe:bound-port), also
 * once stopped; 0 before it is initialised
 */
guint
gst_genesys_serve_get_port (GstGenesysServe * serve)
{
  g_return_val_if_fail (GST_GENESYS_IS_SERVE (serve), 0);
  return serve->bound_port;
}

/**
 * gst_genesys_serve_get_stats:
 * @serve: a #GstGenesysServe
 * @stats: (out caller-allocates): filled with the counters
 *
 * From any thread.
 */
void
gst_genesys_serve_get_stats (GstGenesysServe * serve,
    GstGenesysServeStats * stats)
{
  g_mutex_lock (&serve->lock);
  *stats = serve->stats;
  stats->sessions = serve->claimed + g_list_length (serve->links);
  stats->calls = g_list_length (serve->calls);
  stats->draining = serve->draining;
  g_mutex_unlock (&serve->lock);
  gst_genesys_guard_get_counts (&stats->oversized, &stats->slow_readers);
}

/**
 * gst_genesys_serve_drain:
 * @serve: a #GstGenesysServe
 *
 * Starts shutting down gracefully: new sessions are refused with HTTP 503
 * (and /health answers 503), every open session is sent `reconnect`, and
 * each call ends (EOS, then its pipeline stops) once its sessions are
 * gone. #GstGenesysServe::drained is emitted when nothing is left. Clients
 * may ignore `reconnect`; bound the wait and call gst_genesys_serve_stop()
 * (or gst_genesys_serve_free()). From the thread of the main context of
 * the signals; once stopped, it does nothing.
 */
void
gst_genesys_serve_drain (GstGenesysServe * serve)
{
  GList *conns = NULL, *idle = NULL, *l;

  g_return_if_fail (GST_GENESYS_IS_SERVE (serve));
  g_return_if_fail (serve->bound_port != 0);
  g_mutex_lock (&serve->lock);
  if (serve->draining || serve->stopping) {
    g_mutex_unlock (&serve->lock);
    return;
  }
  serve->draining = TRUE;
  if (serve->registry)
    gst_genesys_registry_heartbeat (serve->registry, TRUE);
  for (l = serve->links; l; l = l->next) {
    Link *link = l->data;
    if (link->conn)
      conns = g_list_prepend (conns, gst_genesys_conn_ref (link->conn));
  }
  for (l = serve->calls; l; l = l->next) {
    Call *call = l->data;
    if (call->links == NULL)
      idle = g_list_prepend (idle, call_ref (call));
  }
  g_mutex_unlock (&serve->lock);

  g_mutex_lock (&serve->lock);
  serve->metrics.reconnects += g_list_length (conns);
  g_mutex_unlock (&serve->lock);
  GST_INFO ("draining: %u session(s) asked to reconnect",
      g_list_length (conns));
  for (l = conns; l; l = l->next) {
    gst_genesys_conn_command (l->data, cmd_reconnect, NULL, NULL);
    gst_genesys_conn_unref (l->data);
  }
  g_list_free (conns);
  /* calls waiting for a continuation will not get one here */
  for (l = idle; l; l = l->next) {
    call_end (l->data);
    call_unref (l->data);
  }
  g_list_free (idle);
  post (serve, check_drained, serve, NULL);
  g_object_notify_by_pspec (G_OBJECT (serve), props[PROP_DRAINING]);
}

/* Lets go of a session still open. Its loop thread. */
static gboolean
release_link_cb (gpointer data)
{
  GstGenesysConn *conn = data;

  gst_genesys_conn_set_observer (conn, NULL, NULL, NULL);
  gst_genesys_conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  gst_genesys_conn_detach (conn);
  return G_SOURCE_REMOVE;
}

static gpointer
copy_call (gconstpointer call, gpointer data)
{
  return call_ref ((Call *) call);
}

/**
 * gst_genesys_serve_stop:
 * @serve: a #GstGenesysServe
 *
 * Stops listening and ends what is left: each call's output ends (EOS,
 * up to 3 s to finish, so that files are complete), every session is sent
 * `disconnect` (completed) and gets up to 1 s to close (a client's close is
 * answered with `closed`), and each call's pipeline is freed;
 * #GstGenesysServe::call-ended is emitted for each call that was
 * announced, from within this function. From the thread of the main
 * context of the signals; no other signal is emitted from here on.
 *
 * Disposing of the object (its last unref) stops it too, so the last
 * unref must also come from that thread; call this first where the
 * moment matters (a binding's garbage collector). Stopped, the object
 * keeps its properties, port and stats: gst_genesys_serve_drain() does
 * nothing and gst_genesys_serve_listen_health() fails. Calling it again,
 * or on an object that did not initialise, does nothing.
 */
void
gst_genesys_serve_stop (GstGenesysServe * serve)
{
  GstClockTime deadline;
  GList *calls, *links, *pending, *relays, *conns = NULL, *l;
  GThreadPool *workers;
  gboolean stopping;

  g_return_if_fail (GST_GENESYS_IS_SERVE (serve));
  /* it never listened, or it was stopped */
  if (serve->server == NULL)
    return;
  g_mutex_lock (&serve->lock);
  stopping = serve->stopping;
  serve->stopping = TRUE;
  g_mutex_unlock (&serve->lock);
  /* from a call-ended handler while it stops */
  if (stopping)
    return;
  /* no open is being answered on any loop thread from here */
  gst_genesys_server_sync (serve->server);
  gst_genesys_server_remove_listener (serve->server, &serve->listener);
  g_clear_pointer (&serve->health, gst_genesys_health_port_free);
  /* the calls being started (their sessions are told that the server is
   * stopping) or stopped are done once the workers are; from then on
   * pipelines are stopped here */
  g_mutex_lock (&serve->lock);
  workers = serve->workers;
  serve->workers = NULL;
  g_mutex_unlock (&serve->lock);
  g_thread_pool_free (workers, FALSE, TRUE);

  g_mutex_lock (&serve->lock);
  calls = g_list_copy_deep (serve->calls, copy_call, NULL);
  g_mutex_unlock (&serve->lock);
  for (l = calls; l; l = l->next) {
    Call *call = l->data;
    if (call->state == CALL_DONE)
      continue;
    /* from here the messages wait on the bus, popped below */
    call_unwatch (call);
    call_end (call);
  }
  deadline = gst_util_get_timestamp () + STOP_EOS_TIMEOUT;
  for (l = calls; l; l = l->next) {
    Call *call = l->data;
    GstClockTime now = gst_util_get_timestamp ();
    GstBus *bus;
    GstMessage *msg;
    if (call->state == CALL_DONE)
      continue;
    bus = gst_element_get_bus (call->pipeline);
    msg = gst_bus_timed_pop_filtered (bus,
        deadline > now ? deadline - now : 0,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg)
      gst_message_unref (msg);
    gst_object_unref (bus);
  }
  /* every session ends with its close transaction, all at once: the
   * disconnect, then up to STOP_CLOSE_TIMEOUT for the clients' close to be
   * answered with closed */
  g_mutex_lock (&serve->lock);
  for (l = serve->links; l; l = l->next) {
    Link *link = l->data;
    if (link->conn)
      conns = g_list_prepend (conns, gst_genesys_conn_ref (link->conn));
  }
  g_mutex_unlock (&serve->lock);
  for (l = conns; l; l = l->next)
    gst_genesys_conn_end_begin (l->data, cmd_disconnect_stopped, NULL,
        STOP_CLOSE_TIMEOUT);
  for (l = conns; l; l = l->next)
    gst_genesys_conn_end_wait (l->data);
  g_list_free_full (conns, (GDestroyNotify) gst_genesys_conn_unref);
  conns = NULL;
  for (l = calls; l; l = l->next) {
    Call *call = l->data;
    if (call->state == CALL_DONE)
      call_finish (call);       /* stopped by a worker */
    else
      call_teardown (call);
    call_unref (call);
  }
  g_list_free (calls);

  /* the sessions left: probes, failures, calls' sessions still closing */
  g_mutex_lock (&serve->lock);
  links = serve->links;
  serve->links = NULL;
  for (l = links; l; l = l->next) {
    Link *link = l->data;
    if (link->conn)
      conns = g_list_prepend (conns, link->conn);       /* the listener's ref */
    link->conn = NULL;
  }
  g_mutex_unlock (&serve->lock);
  for (l = conns; l; l = l->next) {
    GstGenesysConn *conn = l->data;
    gst_genesys_loop_invoke_sync (gst_genesys_conn_get_loop (conn),
        release_link_cb, conn);
  }
  g_list_free_full (conns, (GDestroyNotify) gst_genesys_conn_unref);
  g_list_free_full (links, link_unref);
  /* the relays: their client legs are gone */
  g_mutex_lock (&serve->lock);
  relays = serve->relays;
  serve->relays = NULL;
  g_mutex_unlock (&serve->lock);
  g_list_free_full (relays, (GDestroyNotify) gst_genesys_relay_free);

  g_mutex_lock (&serve->lock);
  pending = serve->pending;
  serve->pending = NULL;
  g_mutex_unlock (&serve->lock);
  for (l = pending; l; l = l->next) {
    g_source_destroy (l->data);
    g_source_unref (l->data);
  }
  g_list_free (pending);

  if (serve->heartbeat) {
    g_source_destroy (serve->heartbeat);
    g_clear_pointer (&serve->heartbeat, g_source_unref);
  }
  g_clear_pointer (&serve->registry, gst_genesys_registry_free);
  g_clear_pointer (&serve->server, gst_genesys_server_release);
  g_clear_pointer (&serve->listener.verifier, ah_verifier_free);
}

/**
 * gst_genesys_serve_free: (skip)
 * @serve: (transfer full): a #GstGenesysServe
 *
 * gst_genesys_serve_stop(), then g_object_unref(): the counterpart of
 * gst_genesys_serve_new().
 */
void
gst_genesys_serve_free (GstGenesysServe * serve)
{
  gst_genesys_serve_stop (serve);
  g_object_unref (serve);
}

static void
gst_genesys_serve_finalize (GObject * object)
{
  GstGenesysServe *serve = GST_GENESYS_SERVE (object);

  g_free (serve->listener.path);
  if (serve->context)
    g_main_context_unref (serve->context);
  g_free (serve->launch);
  free_auth_settings (serve);
  if (serve->connectors)
    g_hash_table_unref (serve->connectors);
  g_strfreev (serve->languages);
  g_mutex_clear (&serve->lock);
  g_queue_clear (&serve->closed_order);
  g_hash_table_unref (serve->closed_ids);
  g_hash_table_unref (serve->relay_down);
  config_clear (&serve->config);
  g_clear_error (&serve->init_error);
  G_OBJECT_CLASS (gst_genesys_serve_parent_class)->finalize (object);
}

/* ---- /metrics and the health port ---- */

/* The process_* values, from /proc (Linux); FALSE elsewhere. */
static gboolean
read_process (GstGenesysServeMetrics * m)
{
  gchar *text = NULL, *limits = NULL, *line;
  guint64 utime, stime, start, vsize, rss;
  glong ticks = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
  gdouble boot = 0;
  GDir *dir;
  gboolean ok;

  if (!g_file_get_contents ("/proc/self/stat", &text, NULL, NULL))
    return FALSE;
  ok = gst_genesys_metrics_parse_proc_stat (text, &utime, &stime, &start,
      &vsize, &rss) && ticks > 0 && page > 0;
  g_free (text);
  if (!ok)
    return FALSE;
  /* boot time: btime in /proc/stat */
  if (g_file_get_contents ("/proc/stat", &text, NULL, NULL)) {
    line = strstr (text, "\nbtime ");
    if (line)
      boot = g_ascii_strtod (line + 7, NULL);
    g_free (text);
  }
  m->cpu_seconds = (gdouble) (utime + stime) / ticks;
  m->start_time = boot + (gdouble) start / ticks;
  m->virtual_bytes = vsize;
  m->resident_bytes = rss * page;
  m->open_fds = 0;
  if ((dir = g_dir_open ("/proc/self/fd", 0, NULL))) {
    while (g_dir_read_name (dir))
      m->open_fds++;
    g_dir_close (dir);
  }
  m->max_fds = 0;
  if (g_file_get_contents ("/proc/self/limits", &limits, NULL, NULL)) {
    line = strstr (limits, "Max open files");
    if (line)
      m->max_fds = g_ascii_strtoull (line + strlen ("Max open files"), NULL,
          10);
    g_free (limits);
  }
  return TRUE;
}

/* The late audio of the calls still running, counted into @m. */
static void
add_running_late (GstGenesysServe * serve, GstGenesysServeMetrics * m)
{
  GList *calls, *l;

  g_mutex_lock (&serve->lock);
  calls = g_list_copy_deep (serve->calls, copy_call, NULL);
  g_mutex_unlock (&serve->lock);
  for (l = calls; l; l = l->next) {
    Call *call = l->data;
    GstClockTime late, dropped;
    gboolean counted;
    GstElement *src;

    g_mutex_lock (&serve->lock);
    src = call->src && !call->counted ? gst_object_ref (call->src) : NULL;
    g_mutex_unlock (&serve->lock);
    if (!src)
      continue;
    src_late_time (src, &late, &dropped);
    gst_object_unref (src);
    g_mutex_lock (&serve->lock);
    /* a call stopped meanwhile has it in the serve's count already */
    counted = call->counted;
    g_mutex_unlock (&serve->lock);
    if (!counted) {
      m->late_time += late;
      m->late_dropped_time += dropped;
    }
  }
  g_list_free_full (calls, (GDestroyNotify) call_unref);
}

/**
 * gst_genesys_serve_get_metrics:
 * @serve: a #GstGenesysServe
 *
 * Everything it counts (its stats, auth failures by cause, refused
 * upgrades by reason, gap and late audio durations, audio sent, ping
 * round trips and open -> opened as histograms, the process's CPU time,
 * memory and files) as Prometheus metrics in the text exposition format
 * (version 0.0.4), what the health port's `/metrics` answers. No label
 * carries a session or conversation id. From any thread.
 *
 * Returns: (transfer full): the metrics text
 */
gchar *
gst_genesys_serve_get_metrics (GstGenesysServe * serve)
{
  GstGenesysServeMetrics m;
  GString *out = g_string_new (NULL);

  g_mutex_lock (&serve->lock);
  m = serve->metrics;
  g_mutex_unlock (&serve->lock);
  gst_genesys_serve_get_stats (serve, &m.stats);
  add_running_late (serve, &m);
  gst_genesys_conn_get_sent_counts (&m.sent_frames, &m.sent_bytes);
  if (serve->registry)
    m.registry_errors += gst_genesys_registry_get_errors (serve->registry);
  m.have_process = read_process (&m);
  gst_genesys_serve_metrics_render (&m, out);
  return g_string_free (out, FALSE);
}

static guint
health_answer (GstGenesysHealthPage page, GString * body,
    const gchar ** content_type, gpointer data)
{
  GstGenesysServe *serve = data;
  gboolean draining;
  guint status;

  if (page == GST_GENESYS_HEALTH_METRICS) {
    gchar *text = gst_genesys_serve_get_metrics (serve);
    g_string_append (body, text);
    g_free (text);
    *content_type = GST_GENESYS_METRICS_CONTENT_TYPE;
    return 200;
  }
  g_mutex_lock (&serve->lock);
  draining = serve->draining || serve->stopping;
  g_mutex_unlock (&serve->lock);
  status = gst_genesys_health_status (page, draining);
  g_string_append (body, status == 200 ? "ok\n" : "draining\n");
  return status;
}

/**
 * gst_genesys_serve_listen_health:
 * @serve: a #GstGenesysServe
 * @address: (nullable): local IP address; %NULL: 0.0.0.0
 * @port: TCP port; 0 picks a free one
 * @error: why it does not listen
 *
 * Answers on plain HTTP (GET or HEAD; anything else gets 404):
 * - `/health` and `/ready`, for load balancers and readiness probes: 200
 *   while new sessions are taken, 503 once draining;
 * - `/live`, for liveness probes: 200 as long as the process serves,
 *   draining or not;
 * - `/metrics`: gst_genesys_serve_get_metrics(), for Prometheus.
 *
 * Runs in the main context of the signals; call it from its thread, at
 * most once, before gst_genesys_serve_stop().
 *
 * Returns: the port it listens on, 0 with @error
 */
guint
gst_genesys_serve_listen_health (GstGenesysServe * serve,
    const gchar * address, guint port, GError ** error)
{
  gboolean stopped;

  g_return_val_if_fail (GST_GENESYS_IS_SERVE (serve), 0);
  g_return_val_if_fail (serve->bound_port != 0, 0);
  g_return_val_if_fail (serve->health == NULL, 0);
  g_mutex_lock (&serve->lock);
  stopped = serve->stopping;
  g_mutex_unlock (&serve->lock);
  if (stopped) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "it was stopped");
    return 0;
  }
  serve->health = gst_genesys_health_port_new (serve->context,
      address ? address : DEFAULT_ADDRESS, port, health_answer, serve, error);
  return serve->health ? gst_genesys_health_port_get_port (serve->health) : 0;
}
