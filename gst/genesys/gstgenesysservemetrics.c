/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysservemetrics.h"
#include <string.h>

/* Pongs should come back within milliseconds; clients call 5 s late. */
static const gdouble rtt_bounds[] = {
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* open -> opened: a pipeline is built and started in between. */
static const gdouble open_bounds[] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
};

void
gst_genesys_serve_metrics_init (GstGenesysServeMetrics * m)
{
  memset (m, 0, sizeof (*m));
  gst_genesys_histogram_init (&m->pong_rtt, rtt_bounds,
      G_N_ELEMENTS (rtt_bounds));
  gst_genesys_histogram_init (&m->open_time, open_bounds,
      G_N_ELEMENTS (open_bounds));
}

/* The plain families: a counter or gauge of a guint64 (or, for the
 * gauges sessions and calls, a guint) or GstClockTime in seconds. */
typedef enum
{
  COUNTER,                      /* guint64 */
  GAUGE_UINT,                   /* guint */
  SECONDS,                      /* GstClockTime, a counter in seconds */
} Kind;

typedef struct
{
  const gchar *name;
  Kind kind;
  gsize offset;
  const gchar *help;
} Plain;

#define STAT(f) G_STRUCT_OFFSET (GstGenesysServeMetrics, stats.f)
#define OWN(f) G_STRUCT_OFFSET (GstGenesysServeMetrics, f)

static const Plain plain[] = {
  {"gst_genesys_sessions", GAUGE_UINT, STAT (sessions),
      "WebSocket sessions open now, connection probes included"},
  {"gst_genesys_sessions_accepted_total", COUNTER, STAT (sessions_total),
      "WebSocket upgrades accepted"},
  {"gst_genesys_probes_total", COUNTER, STAT (probes),
      "Connection probes answered (they start no pipeline)"},
  {"gst_genesys_reconnects_requested_total", COUNTER, OWN (reconnects),
      "Sessions sent reconnect (while draining)"},
  {"gst_genesys_calls_moved_in_total", COUNTER, OWN (moved_in),
      "Calls that went on here as their next segment, from another instance "
        "(--registry)"},
  {"gst_genesys_sessions_relayed_total", COUNTER, OWN (relayed),
      "Sessions relayed to their call's owner, another instance that is up "
        "(--registry, --relay-key)"},
  {"gst_genesys_relay_hops_total", COUNTER, OWN (relay_hops),
      "Hop sessions to the owner of ended relays: one each, more for a hop "
        "that reconnected"},
  {"gst_genesys_relay_fallbacks_total", COUNTER, OWN (relay_fallbacks),
      "Relays the owner did not open in time: those calls moved here"},
  {"gst_genesys_registry_errors_total", COUNTER, OWN (registry_errors),
      "Registry writes and lookups that failed (Redis gone or refusing)"},
  {"gst_genesys_calls", GAUGE_UINT, STAT (calls),
      "Calls now: pipelines being started, running or being stopped"},
  {"gst_genesys_calls_started_total", COUNTER, STAT (calls_total),
      "Call pipelines started"},
  {"gst_genesys_calls_failed_total", COUNTER, STAT (calls_failed),
      "Call pipelines that could not start or posted an error"},
  {"gst_genesys_audio_received_frames_total", COUNTER, STAT (frames),
      "Audio messages received"},
  {"gst_genesys_audio_received_bytes_total", COUNTER, STAT (bytes),
      "Audio bytes received"},
  {"gst_genesys_audio_sent_frames_total", COUNTER, OWN (sent_frames),
      "Audio messages sent to clients (bot audio), whole process"},
  {"gst_genesys_audio_sent_bytes_total", COUNTER, OWN (sent_bytes),
      "Audio bytes sent to clients (bot audio), whole process"},
  {"gst_genesys_gaps_total", COUNTER, STAT (gaps),
      "Spans without audio the calls output (discarded, paused, outages)"},
  {"gst_genesys_gap_seconds_total", SECONDS, OWN (gap_time),
      "Total duration of the gaps the calls output"},
  {"gst_genesys_late_audio_seconds_total", SECONDS, OWN (late_time),
      "Audio that left later than its timestamp plus latency (output all "
        "the same)"},
  {"gst_genesys_late_audio_dropped_seconds_total", SECONDS,
        OWN (late_dropped_time),
      "Late audio dropped for a gap (drop-on-latency)"},
  {"gst_genesys_pings_total", COUNTER, STAT (pings),
      "Protocol pings answered"},
  {"gst_genesys_late_pongs_total", COUNTER, STAT (late_pongs),
      "Pongs clients report later than 5 s (ping rtt, or error 408)"},
};

static void
render_plain (const GstGenesysServeMetrics * m, GString * out)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (plain); i++) {
    const Plain *p = &plain[i];
    gconstpointer field = G_STRUCT_MEMBER_P (m, p->offset);

    switch (p->kind) {
      case COUNTER:
        gst_genesys_metrics_counter (out, p->name, p->help,
            *(const guint64 *) field);
        break;
      case GAUGE_UINT:
        gst_genesys_metrics_gauge (out, p->name, p->help,
            *(const guint *) field);
        break;
      case SECONDS:
        gst_genesys_metrics_family (out, p->name, "counter", p->help);
        gst_genesys_metrics_sample_double (out, p->name, NULL, NULL,
            (gdouble) * (const GstClockTime *) field / GST_SECOND);
        break;
    }
  }
}

/* A counter family with one label and several values. */
static void
labelled (GString * out, const gchar * name, const gchar * help,
    const gchar * label, const gchar * const *values, const guint64 * counts,
    guint n)
{
  guint i;

  gst_genesys_metrics_family (out, name, "counter", help);
  for (i = 0; i < n; i++)
    gst_genesys_metrics_sample (out, name, label, values[i], counts[i]);
}

/* The families with a label, the draining gauge and the histograms. */
static void
render_labelled (const GstGenesysServeMetrics * m, GString * out)
{
  const GstGenesysServeStats *s = &m->stats;
  static const gchar *const reasons[] = {
    "unavailable", "unauthorized", "bad_request", "not_found",
  };
  static const gchar *const outcomes[] = { "joined", "closed" };
  static const gchar *const closes[] = { "oversized", "slow_reader" };
  guint64 refused[] = { s->refused, s->auth_failures, s->bad_requests,
    s->not_found
  };
  guint64 continued[] = { s->sessions_continued, s->continued_closed };
  guint64 closed[] = { s->oversized, s->slow_readers };
  const gchar *causes[AH_SIGNATURE_ERROR_N_CODES];
  guint i;

  labelled (out, "gst_genesys_continuations_total",
      "Sessions continuing an earlier session (continuedSessions): joined "
      "its call, or found it closed and were answered without media",
      "outcome", outcomes, continued, G_N_ELEMENTS (continued));
  labelled (out, "gst_genesys_upgrades_refused_total",
      "Upgrade requests refused: unavailable (HTTP 503: max sessions, "
      "draining, replay cache full), unauthorized (401), bad_request (400), "
      "not_found (404, another path)", "reason", reasons, refused,
      G_N_ELEMENTS (refused));
  for (i = 0; i < G_N_ELEMENTS (causes); i++)
    causes[i] = ah_signature_error_nick (i);
  labelled (out, "gst_genesys_auth_failures_total",
      "Upgrades refused for their API key or signature, by cause", "cause",
      causes, m->auth_failures, G_N_ELEMENTS (causes));
  labelled (out, "gst_genesys_connections_closed_total",
      "Connections closed for a message over the size limit (1009) or for "
      "not reading what they are owed (1008), whole process", "reason",
      closes, closed, G_N_ELEMENTS (closed));
  gst_genesys_metrics_gauge (out, "gst_genesys_draining",
      "1 while draining: new sessions are refused and /ready answers 503",
      s->draining ? 1 : 0);
  gst_genesys_metrics_histogram (out, "gst_genesys_open_duration_seconds",
      "Time from a call's open to its opened (the pipeline is built and "
      "started in between)", &m->open_time);
  gst_genesys_metrics_histogram (out, "gst_genesys_pong_rtt_seconds",
      "Ping round trips as clients report them (rtt of their previous "
      "ping)", &m->pong_rtt);
}

static void
render_process (const GstGenesysServeMetrics * m, GString * out)
{
  if (!m->have_process)
    return;
  gst_genesys_metrics_family (out, "process_cpu_seconds_total", "counter",
      "Total user and system CPU time spent in seconds");
  gst_genesys_metrics_sample_double (out, "process_cpu_seconds_total", NULL,
      NULL, m->cpu_seconds);
  gst_genesys_metrics_gauge (out, "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds", m->start_time);
  gst_genesys_metrics_gauge (out, "process_resident_memory_bytes",
      "Resident memory size in bytes", m->resident_bytes);
  gst_genesys_metrics_gauge (out, "process_virtual_memory_bytes",
      "Virtual memory size in bytes", m->virtual_bytes);
  gst_genesys_metrics_gauge (out, "process_open_fds",
      "Number of open file descriptors", m->open_fds);
  gst_genesys_metrics_gauge (out, "process_max_fds",
      "Maximum number of open file descriptors", m->max_fds);
}

void
gst_genesys_serve_metrics_render (const GstGenesysServeMetrics * m,
    GString * out)
{
  gst_genesys_metrics_family (out, "gst_genesys_build_info", "gauge",
      "Always 1; the version of gst-genesys in its label");
  gst_genesys_metrics_sample (out, "gst_genesys_build_info", "version",
      PACKAGE_VERSION, 1);
  render_plain (m, out);
  render_labelled (m, out);
  render_process (m, out);
}
