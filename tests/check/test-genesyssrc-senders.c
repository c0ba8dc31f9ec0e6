/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc against sender models, table-driven: clocks off by up to
 * ±1 %, jitter, a stall and its burst, setInterval pacing, pauses (frozen
 * and advancing), discarded spans, drops continued. Real sockets (AhPeer),
 * the pipeline clock a GstTestClock set to each frame's arrival (see
 * senderlab.h). 200 ms PCMU mono frames, 25-30 s of positions each.
 *
 * Each model runs four times: standalone (GstHarness) with the clock at 0
 * and at 3600 s when the first frame arrives, and in external mode
 * (GstGenesysServe, a pipeline per call from a launch template, on a test
 * clock made the default system clock) with the clock at 0 and at 3600 s
 * when the call's pipeline starts.
 *
 * What must hold (default settings):
 * - every sample sent comes out, in order, byte for byte;
 * - gaps only where the sender reported a span, of exactly its samples
 *   (the jump in OFFSET); a frozen pause: a gap of the wall time it
 *   lasted, to a sample (to the jitter and the phase tolerance when the
 *   row has jitter or drift); continuations keep their positions;
 * - each buffer and GAP event starts where the previous one ended (1 ns),
 *   PTS strictly increasing;
 * - slope_i = DURATION_i / (samples_i x 125 us) moves by at most
 *   0.001 x DURATION_i / 1 s from one buffer to the next;
 * - rows without jitter: no buffer leaves later than PTS + latency, and
 *   late-duration is 0;
 * - reanchors: one per frozen span, none otherwise. */

#include <gst/gst.h>
#include "senderlab.h"

static const LabSender senders[] = {
  {.name = "drift -1 % (fast)",.ppm = -10000,.check_latency = TRUE},
  {.name = "drift -5000 ppm",.ppm = -5000,.check_latency = TRUE},
  {.name = "drift 0",.check_latency = TRUE},
  {.name = "drift +5000 ppm",.ppm = 5000,.check_latency = TRUE},
  {.name = "drift +1 % (slow)",.ppm = 10000,.check_latency = TRUE},
  {.name = "jitter 0-300 ms",.jitter_ms = 300},
  {.name = "2 s stall, then a burst",.stall_at_ms = 8000,.stall_ms = 2000},
  {.name = "setInterval +0-2 ms each",.timer_us = 2000},
  {.name = "frozen pause 3 s",.pause_at_ms = 8000,.pause_ms = 3000,
      .frozen = TRUE,.check_latency = TRUE,.frozen_tol_us = 125},
  {.name = "advancing pause 3 s",.pause_at_ms = 8000,.pause_ms = 3000,
      .check_latency = TRUE},
  {.name = "discarded 1.4 s",.discard_at_ms = 8000,.discard_ms = 1400,
      .check_latency = TRUE},
  {.name = "drop, continued, 2.6 s reported",.drop_at_ms = 8000,
      .drop_ms = 2600,.check_latency = TRUE},
  /* +5000 ppm, jitter, setInterval, a stall, a frozen pause, a discarded
   * span and a reported drop. The frozen gap still ends exactly where the
   * resumed arrived; against the pause's true wall time it is off by the
   * element's phase error where the pause began (PTS on the recovered
   * clock, 9 s into a jittery call after a stall): 50 ms allowed */
  {.name = "all combined",.ppm = 5000,.jitter_ms = 150,.timer_us = 2000,
        .stall_at_ms = 4000,.stall_ms = 2000,.pause_at_ms = 9000,
        .pause_ms = 3000,.frozen = TRUE,.discard_at_ms = 15000,
        .discard_ms = 1400,.drop_at_ms = 20000,.drop_ms = 2600,
      .seconds = 30,.frozen_tol_us = 50000},
};

static const gchar *slugs[] = {
  "drift-minus-1pc", "drift-minus-5000ppm", "drift-0", "drift-plus-5000ppm",
  "drift-plus-1pc", "jitter-300ms", "stall-burst", "setinterval",
  "frozen-pause", "advancing-pause", "discarded", "drop-continued",
  "all-combined",
};

G_STATIC_ASSERT (G_N_ELEMENTS (senders) == G_N_ELEMENTS (slugs));

typedef struct
{
  LabSender snd;
  LabMode mode;
  GstClockTime start;
  const gchar *props;           /* more genesyssrc properties, or NULL */
  gboolean loop_pushes;         /* a loop thread pushes (push-mode) */
} Case;

static gdouble worst_step, worst_ratio;
static gchar *worst_case;

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  LabResult r;
  gchar *line;
  gboolean ok;

  lab_run (&c->snd, c->mode, c->start, c->props, &r);
  ok = lab_check (&c->snd, &r);
  /* the thread push-mode picks pushed: with loop, or auto over a
   * fakesink, the loop thread did (not only create()); with thread, or
   * auto under GstHarness (an application's pad), it never did */
  if (c->loop_pushes != (r.loop_pushed > 0)) {
    g_string_append_printf (r.problems, "%s, but %" G_GUINT64_FORMAT
        " buffers were pushed by a loop thread; ", c->loop_pushes ?
        "loop pushing expected" : "streaming thread expected", r.loop_pushed);
    ok = FALSE;
  }
  line = lab_summary (&c->snd, c->mode, c->start, &r);
  g_test_message ("%s", line);
  if (r.out && r.out->max_step > worst_step) {
    worst_step = r.out->max_step;
    worst_ratio = r.out->max_step_ratio;
    g_free (worst_case);
    worst_case = g_strdup_printf ("%s, %s, clock %" G_GUINT64_FORMAT " s",
        c->snd.name, c->mode == LAB_STANDALONE ? "standalone" : "external",
        c->start / GST_SECOND);
  }
  if (!ok)
    g_test_fail_printf ("%s:%s", c->snd.name, r.problems->str);
  g_free (line);
  lab_result_clear (&r);
}

int
main (int argc, char **argv)
{
  static const struct
  {
    LabMode mode;
    guint start_s;
    const gchar *name;
    const gchar *props;
    gboolean loop_pushes;
  } modes[] = {
    /* push-mode=auto: GstHarness's pad is no element's, the streaming
     * thread pushes; the serve's "! fakesink sync=false", the loop */
    {LAB_STANDALONE, 0, "standalone-0s", NULL, FALSE},
    {LAB_STANDALONE, 3600, "standalone-3600s", NULL, FALSE},
    {LAB_EXTERNAL, 0, "external-0s", NULL, TRUE},
    {LAB_EXTERNAL, 3600, "external-3600s", NULL, TRUE},
    /* and the other way round */
    {LAB_STANDALONE, 0, "standalone-loop-push", "push-mode=loop", TRUE},
    {LAB_EXTERNAL, 0, "external-thread-push", "push-mode=thread", FALSE},
  };
  guint i, m;
  gint ret;
  /* every row reports, whatever failed before it */
  gchar **args = g_new0 (gchar *, argc + 2);

  for (i = 0; i < (guint) argc; i++)
    args[i] = argv[i];
  args[argc++] = (gchar *) "--keep-going";
  argv = args;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    for (i = 0; i < G_N_ELEMENTS (senders); i++) {
      Case *c = g_new0 (Case, 1);
      gchar *path = g_strdup_printf ("/genesyssrc/senders/%s/%s",
          modes[m].name, slugs[i]);
      c->snd = senders[i];
      if (!c->snd.seconds)
        c->snd.seconds = 25;
      c->mode = modes[m].mode;
      c->start = modes[m].start_s * GST_SECOND;
      c->props = modes[m].props;
      c->loop_pushes = modes[m].loop_pushes;
      g_test_add_data_func_full (path, c, run_case, g_free);
      g_free (path);
    }
  }
  ret = g_test_run ();
  if (worst_case)
    g_print ("# largest slope step of all cases: %.1f ppm (%.2f of the bound)"
        ", %s\n", worst_step * 1e6, worst_ratio, worst_case);
  g_free (worst_case);
  g_free (args);
  return ret;
}
