/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_SERVE_H__
#define __GST_GENESYS_SERVE_H__

#include <gio/gio.h>
#include <gst/gst.h>
#include "genesys-prelude.h"

G_BEGIN_DECLS
/**
 * GST_GENESYS_TYPE_SERVE:
 *
 * The #GType of #GstGenesysServe.
 */
#define GST_GENESYS_TYPE_SERVE (gst_genesys_serve_get_type ())
/**
 * GstGenesysServe:
 *
 * Listens once for AudioHook sessions and runs one pipeline per call,
 * built from a launch template whose `genesyssrc` serves the call. A
 * #GObject with construct-only properties and a #GInitable: see
 * gst_genesys_serve_new() for C with a config struct. Opaque.
 */
GST_GENESYS_API
G_DECLARE_FINAL_TYPE (GstGenesysServe, gst_genesys_serve, GST_GENESYS, SERVE,
    GObject);

/**
 * GstGenesysServeConfig: (skip)
 * @launch: the launch template: a gst-launch-1.0 description with exactly
 *   one `genesyssrc`, and placeholders such as `{session-id}` that are
 *   filled from each call's open message (see gst_genesys_serve_new())
 * @address: (nullable): local IP address to listen on; %NULL: 0.0.0.0
 * @port: TCP port to listen on; 0 picks a free one
 *   (gst_genesys_serve_get_port())
 * @path: (nullable): request path of the endpoint; %NULL:
 *   /api/v1/audiohook/ws
 * @tls_certificate_file: (nullable): PEM certificate chain for wss://
 * @tls_key_file: (nullable): PEM private key for wss://
 * @api_key: (nullable): API key clients present in X-API-KEY
 * @client_secret: (nullable): base64 client secret of @api_key; empty:
 *   unsigned requests with @api_key are accepted
 * @credentials_file: (nullable): JSON object mapping API keys to client
 *   secrets, as genesyssrc's credentials-file
 * @authority: (nullable): public host[:port] for the signature's
 *   `@authority` behind proxies that rewrite Host
 * @max_sessions: most WebSocket sessions open at once (probes included);
 *   beyond it the upgrade is refused with HTTP 503. 0: no limit
 * @threads: loop threads the connections are spread over (each
 *   connection stays on one); 0: one per processor it may run on, at most 8
 * @connectors: (nullable) (array zero-terminated=1): `ID=TEMPLATE`
 *   entries: a session whose connector id (what follows @path in the
 *   request, the Audio Connector's Connector ID; its part before any `?`)
 *   is ID runs TEMPLATE instead of @launch. Each is checked like @launch
 * @supported_languages: (nullable) (array zero-terminated=1): language
 *   codes (such as `en-US`) listed in `opened` when an open asks for them
 *   (`supportedLanguages: true`); %NULL: an empty list. A call's
 *   genesyssrc with its own supported-languages set answers with those.
 * @push_mode: (nullable): genesyssrc's push-mode (`thread`, `loop` or
 *   `auto`) set on every call's pipeline; %NULL: what the template says,
 *   by default `auto` (the connection's loop thread pushes the audio when
 *   nothing downstream can block, a thread wake less per frame)
 * @registry: (nullable): `redis://HOST[:PORT][/DB]`: the session registry
 *   that instances behind one load balancer share; a continuation of a
 *   call another instance had goes on here as the call's next segment
 *   (`{segment}`, `{start-position}`; `{session-id}` stays the call's first
 *   session). %NULL: this instance alone. Redis must answer at start
 * @instance: (nullable): this instance's unique name in the registry;
 *   %NULL: HOSTNAME-PORT
 * @idle_timeout: seconds without any message from a client (audio, ping)
 *   after which its session is over (`disconnect`, reason `error`, and the
 *   connection dropped); 0: 60. Clients ping every 5 s; a shorter timeout
 *   also ends a drain sooner when connections behind a proxy went dead
 * @relay_key_file: (nullable): a file holding the relay key,
 *   `KEY-ID:SECRET` (the secret in base64), the same on every instance of
 *   a registry: a continuation that reaches this instance while its call's
 *   owner is up is relayed to the owner, signed with it, and relays signed
 *   with it are accepted here. %NULL: such a call moves here instead
 * @relay_url: (nullable): where the other instances reach this one for
 *   relays, advertised in the registry: `ws://HOST:PORT/PATH` (`wss://`
 *   with TLS); %NULL: the listening address (the host name when it is
 *   0.0.0.0 or ::), the port and the path
 *
 * What gst_genesys_serve_new() listens with, the #GstGenesysServe
 * properties of the same names as a struct. Zero-initialise it and set
 * what you need. Without any API key every connection is accepted; a
 * client secret without an API key, an empty API key and a credentials
 * file without a key are errors (their messages name gst-genesys-serve's
 * options).
 */
typedef struct
{
  const gchar *launch;
  const gchar *address;
  guint port;
  const gchar *path;
  const gchar *tls_certificate_file;
  const gchar *tls_key_file;
  const gchar *api_key;
  const gchar *client_secret;
  const gchar *credentials_file;
  const gchar *authority;
  guint max_sessions;
  guint threads;
  const gchar *const *supported_languages;
  const gchar *const *connectors;
  const gchar *push_mode;
  const gchar *registry;
  const gchar *instance;
  guint idle_timeout;
  const gchar *relay_key_file;
  const gchar *relay_url;

  /*< private > */
  gpointer _gst_reserved[GST_PADDING - 2];
} GstGenesysServeConfig;

/**
 * GstGenesysServeCallbacks: (skip)
 * @call_started: a call's pipeline is playing; @session_id is the call's
 *   first session, @conversation_id the Genesys conversation of its open,
 *   @pipeline is borrowed (ref it to keep it)
 * @call_ended: a call's pipeline was stopped and freed; @error says why it
 *   failed, %NULL when it ended normally. Also for a call whose pipeline
 *   could not start, or whose session closed before it played (without
 *   @call_started before), with the reason
 * @drained: after gst_genesys_serve_drain(), no session and no call is
 *   left
 *
 * What the application hears about; every member may be %NULL.
 * gst_genesys_serve_new() connects them to the signals of the same names
 * (#GstGenesysServe::call-started, #GstGenesysServe::call-ended,
 * #GstGenesysServe::drained). They run in the main context that was the
 * thread default when gst_genesys_serve_new() was called, and never after
 * gst_genesys_serve_free(); during it only @call_ended runs, for the calls
 * it ends.
 */
typedef struct
{
  void (*call_started) (GstGenesysServe * serve, const gchar * session_id,
      const gchar * conversation_id, GstElement * pipeline, gpointer user_data);
  void (*call_ended) (GstGenesysServe * serve, const gchar * session_id,
      const gchar * conversation_id, const GError * error, gpointer user_data);
  void (*drained) (GstGenesysServe * serve, gpointer user_data);

  /*< private > */
  gpointer _gst_reserved[GST_PADDING];
} GstGenesysServeCallbacks;

/**
 * GstGenesysServeStats:
 * @sessions: WebSocket sessions open now (probes included)
 * @calls: calls now: pipelines being started, running or being stopped
 * @sessions_total: sessions accepted (upgraded)
 * @probes: connection probes answered (they start no pipeline)
 * @calls_total: pipelines started
 * @calls_failed: pipelines that could not start (also for a session that
 *   closed before its pipeline played) or posted an error
 * @sessions_continued: sessions that reached the call they continue
 * @continued_closed: sessions that continue a session which was already
 *   closed (a client that never saw `closed` and closes again): answered
 *   without media, they start no pipeline
 * @refused: upgrades refused with HTTP 503 (max-sessions, draining)
 * @auth_failures: upgrades refused with HTTP 401
 * @bad_requests: upgrades refused with HTTP 400
 * @frames: audio messages received
 * @bytes: audio bytes received
 * @gaps: gaps the calls' sources output (genesys-gap messages)
 * @pings: protocol pings answered
 * @late_pongs: pongs that reached the client later than 5 s after its
 *   ping, as clients report it: a ping whose `rtt` (the round trip of the
 *   previous ping) is over 5 s, or a client `error` with code 408, which
 *   the reference client sends instead once a pong (or opened, or closed)
 *   is overdue
 * @draining: gst_genesys_serve_drain() was called
 * @not_found: requests for a path the endpoint does not serve (HTTP 404)
 * @oversized: connections closed (1009) for a message over the limit
 *   across its fragments (counted for the whole process)
 * @slow_readers: connections closed (1008) for not reading what they are
 *   owed (pongs), for the whole process
 *
 * Counters since gst_genesys_serve_new() (or g_initable_init()). A boxed
 * type (#GST_GENESYS_TYPE_SERVE_STATS) for bindings.
 */
typedef struct
{
  guint sessions;
  guint calls;
  guint64 sessions_total;
  guint64 probes;
  guint64 calls_total;
  guint64 calls_failed;
  guint64 sessions_continued;
  guint64 refused;
  guint64 auth_failures;
  guint64 bad_requests;
  guint64 frames;
  guint64 bytes;
  guint64 gaps;
  guint64 pings;
  guint64 late_pongs;
  gboolean draining;
  guint64 continued_closed;
  guint64 not_found;
  guint64 oversized;
  guint64 slow_readers;

  /*< private > */
  gpointer _gst_reserved[GST_PADDING - 3];
} GstGenesysServeStats;

/**
 * GST_GENESYS_TYPE_SERVE_STATS:
 *
 * The boxed #GType of #GstGenesysServeStats.
 */
#define GST_GENESYS_TYPE_SERVE_STATS (gst_genesys_serve_stats_get_type ())
GST_GENESYS_API GType gst_genesys_serve_stats_get_type (void);

GST_GENESYS_API
    GstGenesysServe * gst_genesys_serve_new (const GstGenesysServeConfig *
    config, const GstGenesysServeCallbacks * callbacks, gpointer user_data,
    GError ** error);
GST_GENESYS_API void gst_genesys_serve_free (GstGenesysServe * serve);
GST_GENESYS_API void gst_genesys_serve_stop (GstGenesysServe * serve);

GST_GENESYS_API guint gst_genesys_serve_get_port (GstGenesysServe * serve);
GST_GENESYS_API
    guint gst_genesys_serve_listen_health (GstGenesysServe * serve,
    const gchar * address, guint port, GError ** error);
GST_GENESYS_API void gst_genesys_serve_drain (GstGenesysServe * serve);
GST_GENESYS_API
    void gst_genesys_serve_get_stats (GstGenesysServe * serve,
    GstGenesysServeStats * stats);

GST_GENESYS_API gchar *gst_genesys_serve_get_metrics (GstGenesysServe * serve);
GST_GENESYS_API
    gboolean gst_genesys_serve_reload_credentials (GstGenesysServe * serve,
    GError ** error);

GST_GENESYS_API gchar *gst_genesys_serve_sanitize (const gchar * value);

G_END_DECLS
#endif /* __GST_GENESYS_SERVE_H__ */
