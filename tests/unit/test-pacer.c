/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The bot audio pacer. Every message popped here goes through a checker
 * that models the client on its own (a token bucket kept in floating point
 * tokens, a playout buffer, the byte stream pushed) and asserts that the
 * message respects it; the tests then add what they expect on top. */

#include <string.h>

#include "ah-pacer.h"

#define MS(x) ((guint64) (x) * G_GUINT64_CONSTANT (1000000))
#define SEC(x) MS ((guint64) (x) * 1000)
#define NEVER G_MAXUINT64

/* Genesys defaults: PCMU mono 8 kHz, 200 ms frames, 5 messages per second
 * with a burst of 25, 1 s ahead of playout at most. */
static AhPacerConfig
default_config (void)
{
  AhPacerConfig c = {
    .frame_bytes = 1600,
    .max_bytes = 64000,
    .align = 1,
    .bytes_per_second = 8000,
    .rate = 5.0,
    .burst = 25,
    .max_lead = SEC (1),
    .linger = MS (50),
  };
  return c;
}

/* ---- the checker ---- */

typedef struct
{
  AhPacerConfig cfg;
  AhPacer *pacer;
  gsize frame;                  /* expected message size for full frames */
  gsize cap;                    /* expected largest message */

  GByteArray *pushed;           /* every byte pushed, in order */
  gsize expect_off;             /* where in @pushed the next message starts */
  const guint8 *slice_base;     /* if set: messages must point into it */

  /* the client's token bucket, in tokens */
  gdouble tokens;
  guint64 bucket_time;
  guint64 hold_until;
  guint holds;

  /* the client's playout: it plays until @client_end */
  guint64 client_end;

  guint64 flushed;
  GArray *times;                /* guint64: when each message went out */
  GArray *sizes;                /* gsize */
  guint64 max_lead_seen;
} Sim;

static gsize
expected_frame (const AhPacerConfig * cfg, gsize * cap)
{
  gsize c = cfg->max_bytes - cfg->max_bytes % cfg->align;
  gsize f = MIN (cfg->frame_bytes, c);

  f -= f % cfg->align;
  *cap = c;
  return f ? f : cfg->align;
}

static void
sim_init (Sim * sim, const AhPacerConfig * cfg, guint64 now)
{
  memset (sim, 0, sizeof (*sim));
  sim->cfg = *cfg;
  sim->pacer = ah_pacer_new (cfg, now);
  g_assert_nonnull (sim->pacer);
  sim->frame = expected_frame (cfg, &sim->cap);
  sim->pushed = g_byte_array_new ();
  sim->tokens = cfg->burst;
  sim->bucket_time = now;
  sim->client_end = now;
  sim->times = g_array_new (FALSE, FALSE, sizeof (guint64));
  sim->sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
}

static void
sim_check_counters (Sim * sim)
{
  guint64 sent = 0;
  guint i;

  for (i = 0; i < sim->sizes->len; i++)
    sent += g_array_index (sim->sizes, gsize, i);
  g_assert_cmpuint (ah_pacer_get_messages (sim->pacer), ==, sim->sizes->len);
  g_assert_cmpuint (ah_pacer_get_bytes (sim->pacer), ==, sent);
  g_assert_cmpuint (ah_pacer_get_flushed (sim->pacer), ==, sim->flushed);
  g_assert_cmpuint (ah_pacer_get_holds (sim->pacer), ==, sim->holds);
  g_assert_cmpuint (sim->expect_off + ah_pacer_get_queued (sim->pacer), ==,
      sim->pushed->len);
  g_assert_cmpuint (sent + sim->flushed, ==, sim->expect_off);
}

static void
sim_clear (Sim * sim)
{
  sim_check_counters (sim);
  ah_pacer_free (sim->pacer);
  g_byte_array_unref (sim->pushed);
  g_array_unref (sim->times);
  g_array_unref (sim->sizes);
}

/* Byte i of everything pushed: no two nearby positions look alike, so a
 * byte out of order or lost shows. */
static guint8
pattern (gsize i)
{
  return (guint8) ((i * 2654435761u) >> 13) ^ (guint8) (i >> 8);
}

static GBytes *
sim_make (Sim * sim, gsize n)
{
  guint8 *buf = g_malloc (n ? n : 1);
  gsize i;

  for (i = 0; i < n; i++)
    buf[i] = pattern (sim->pushed->len + i);
  g_byte_array_append (sim->pushed, buf, n);
  return g_bytes_new_take (buf, n);
}

static void
sim_push (Sim * sim, gsize n, guint64 now)
{
  GBytes *b = sim_make (sim, n);

  ah_pacer_push (sim->pacer, b, now);
  g_bytes_unref (b);
}

static gsize
sim_flush (Sim * sim, guint64 now)
{
  gsize queued = ah_pacer_get_queued (sim->pacer);
  gsize dropped = ah_pacer_flush (sim->pacer, now);

  g_assert_cmpuint (dropped, ==, queued);
  g_assert_cmpuint (ah_pacer_get_queued (sim->pacer), ==, 0);
  g_assert_cmpuint (ah_pacer_get_lead (sim->pacer, now), ==, 0);
  g_assert_cmpuint (ah_pacer_next_wakeup (sim->pacer, now), ==, NEVER);
  sim->expect_off += dropped;
  sim->flushed += dropped;
  sim->client_end = now;
  return dropped;
}

static void
sim_hold (Sim * sim, guint64 until, guint64 now)
{
  guint64 u = MAX (until, now);

  ah_pacer_hold (sim->pacer, until, now);
  sim->holds++;
  sim->hold_until = MAX (sim->hold_until, u);
  /* no token at u */
  sim->tokens = 0;
  sim->bucket_time = MAX (sim->bucket_time, u);
}

static void
sim_reset_playout (Sim * sim, guint64 now)
{
  ah_pacer_reset_playout (sim->pacer, now);
  sim->client_end = now;
  g_assert_cmpuint (ah_pacer_get_lead (sim->pacer, now), ==, 0);
}

/* Pops one message at @now and checks it; returns its size, 0 for NULL. */
static gsize
sim_pop (Sim * sim, guint64 now)
{
  gsize queued = ah_pacer_get_queued (sim->pacer);
  GBytes *msg = ah_pacer_pop (sim->pacer, now);
  const guint8 *data;
  guint64 d, lead;
  gsize n;

  if (msg == NULL) {
    g_assert_cmpuint (ah_pacer_get_queued (sim->pacer), ==, queued);
    return 0;
  }

  data = g_bytes_get_data (msg, &n);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <=, sim->cap);
  g_assert_cmpuint (n, <=, sim->frame);
  g_assert_cmpuint (n % sim->cfg.align, ==, 0);
  /* a whole frame whenever one is queued */
  if (queued >= sim->frame)
    g_assert_cmpuint (n, ==, sim->frame);
  g_assert_cmpuint (ah_pacer_get_queued (sim->pacer), ==, queued - n);

  /* no hold in force */
  g_assert_cmpuint (now, >=, sim->hold_until);

  /* a token */
  if (now > sim->bucket_time) {
    sim->tokens += (gdouble) (now - sim->bucket_time) * sim->cfg.rate / 1e9;
    sim->tokens = MIN (sim->tokens, (gdouble) sim->cfg.burst);
    sim->bucket_time = now;
  }
  g_assert_cmpfloat (sim->tokens, >=, 1.0 - 1e-9);
  sim->tokens -= 1.0;

  /* the lead: at most max_lead once it is sent, unless the client was idle
   * (a message longer than max_lead still goes out) */
  d = (n * G_GUINT64_CONSTANT (1000000000) + sim->cfg.bytes_per_second - 1) /
      sim->cfg.bytes_per_second;
  lead = sim->client_end > now ? sim->client_end - now : 0;
  if (lead > 0)
    g_assert_cmpuint (lead + d, <=, sim->cfg.max_lead);
  sim->client_end = MAX (sim->client_end, now) + d;
  g_assert_cmpuint (ah_pacer_get_lead (sim->pacer, now), ==,
      sim->client_end - now);
  sim->max_lead_seen = MAX (sim->max_lead_seen, sim->client_end - now);

  /* the bytes, in order, and no copy when one push covers the message */
  g_assert_cmpuint (sim->expect_off + n, <=, sim->pushed->len);
  g_assert_cmpmem (data, n, sim->pushed->data + sim->expect_off, n);
  if (sim->slice_base)
    g_assert_true (data == sim->slice_base + sim->expect_off);
  sim->expect_off += n;

  g_array_append_val (sim->times, now);
  g_array_append_val (sim->sizes, n);
  g_bytes_unref (msg);
  return n;
}

static guint
sim_pop_all (Sim * sim, guint64 now)
{
  guint count = 0;

  while (sim_pop (sim, now) > 0)
    count++;
  return count;
}

/* A sender loop: pops what it may, then sleeps until the next wakeup.
 * Each wakeup must be later than the time it was asked at, nothing may go
 * out just before it and something must go out at it. Returns when nothing
 * more is due (or the next wakeup is past @limit), with the time reached. */
static guint64
sim_run (Sim * sim, guint64 now, guint64 limit)
{
  sim_pop_all (sim, now);
  for (;;) {
    guint64 w = ah_pacer_next_wakeup (sim->pacer, now);

    g_assert_cmpuint (w, >, now);
    if (w == NEVER || w > limit)
      return now;
    if (w - 1 > now)
      g_assert_cmpuint (sim_pop (sim, w - 1), ==, 0);
    now = w;
    g_assert_cmpuint (sim_pop_all (sim, now), >, 0);
  }
}

static guint64
sim_last_time (Sim * sim)
{
  g_assert_cmpuint (sim->times->len, >, 0);
  return g_array_index (sim->times, guint64, sim->times->len - 1);
}

/* ---- frame sizes ---- */

typedef struct
{
  gsize frame_bytes, max_bytes, align;
  gsize message;                /* what a full frame turns into */
} FrameCase;

static const FrameCase frame_cases[] = {
  {.frame_bytes = 1600,.max_bytes = 64000,.align = 1,.message = 1600},
  {.frame_bytes = 1601,.max_bytes = 64000,.align = 2,.message = 1600},
  {.frame_bytes = 6402,.max_bytes = 64000,.align = 4,.message = 6400},
  {.frame_bytes = 100000,.max_bytes = 64000,.align = 1,.message = 64000},
  {.frame_bytes = 100000,.max_bytes = 64000,.align = 4,.message = 64000},
  {.frame_bytes = 100000,.max_bytes = 64000,.align = 3,.message = 63999},
  {.frame_bytes = 100000,.max_bytes = 64001,.align = 2,.message = 64000},
  {.frame_bytes = 1600,.max_bytes = 1000,.align = 1,.message = 1000},
  /* below one sample frame: one sample frame */
  {.frame_bytes = 2,.max_bytes = 64000,.align = 4,.message = 4},
  {.frame_bytes = 0,.max_bytes = 64000,.align = 1,.message = 1},
};

static void
test_frame_sizes (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frame_cases); i++) {
    const FrameCase *c = &frame_cases[i];
    AhPacerConfig cfg = default_config ();
    gsize total = 3 * c->message + c->align - 1;
    Sim sim;

    cfg.frame_bytes = c->frame_bytes;
    cfg.max_bytes = c->max_bytes;
    cfg.align = c->align;
    cfg.bytes_per_second = 8000 * c->align;
    cfg.max_lead = SEC (1000);
    cfg.linger = 0;
    sim_init (&sim, &cfg, 0);
    g_assert_cmpuint (sim.frame, ==, c->message);

    /* in odd pieces, so that messages straddle pushes */
    while (sim.pushed->len < total)
      sim_push (&sim, MIN (777, total - sim.pushed->len), 0);
    g_assert_cmpuint (sim_pop (&sim, 0), ==, c->message);
    g_assert_cmpuint (sim_pop (&sim, 0), ==, c->message);
    g_assert_cmpuint (sim_pop (&sim, 0), ==, c->message);
    /* what is left is less than a sample frame: never sent */
    g_assert_cmpuint (sim_pop (&sim, SEC (10)), ==, 0);
    g_assert_cmpuint (ah_pacer_get_queued (sim.pacer), ==, c->align - 1);
    g_assert_cmpuint (ah_pacer_next_wakeup (sim.pacer, SEC (10)), ==, NEVER);
    sim_clear (&sim);
  }
}

/* ---- whole prompts ---- */

typedef struct
{
  guint ms;                     /* prompt length */
  gsize chunk;                  /* pushed in pieces of this; 0: at once */
  guint messages;
  guint64 last;                 /* when the last message goes out */
} PromptCase;

/* With 200 ms frames, 5/s and 1 s of lead, the lead binds: five frames go
 * out at once, then one every 200 ms, so the last leaves 1 s before the
 * prompt ends playing: duration - max_lead (and at 0 for short ones). */
static const PromptCase prompt_cases[] = {
  {.ms = 100,.chunk = 0,.messages = 1,.last = 0},
  {.ms = 1000,.chunk = 0,.messages = 5,.last = 0},
  {.ms = 7300,.chunk = 0,.messages = 37,.last = MS (6300)},
  {.ms = 60000,.chunk = 0,.messages = 300,.last = SEC (59)},
  {.ms = 7300,.chunk = 1000,.messages = 37,.last = MS (6300)},
  {.ms = 60000,.chunk = 160,.messages = 300,.last = SEC (59)},
  {.ms = 60000,.chunk = 4321,.messages = 300,.last = SEC (59)},
};

static void
test_prompts (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (prompt_cases); i++) {
    const PromptCase *c = &prompt_cases[i];
    AhPacerConfig cfg = default_config ();
    gsize total = (gsize) c->ms * 8;
    GBytes *whole = NULL;
    guint j;
    Sim sim;

    cfg.linger = SEC (3600);    /* only the drain ends the prompt */
    sim_init (&sim, &cfg, 0);
    if (c->chunk == 0) {
      whole = sim_make (&sim, total);
      ah_pacer_push (sim.pacer, whole, 0);
      sim.slice_base = g_bytes_get_data (whole, NULL);
    } else {
      while (sim.pushed->len < total)
        sim_push (&sim, MIN (c->chunk, total - sim.pushed->len), 0);
    }
    ah_pacer_drain (sim.pacer, 0);

    sim_run (&sim, 0, NEVER);
    g_assert_cmpuint (sim.sizes->len, ==, c->messages);
    g_assert_cmpuint (sim.expect_off, ==, total);
    g_assert_cmpuint (ah_pacer_get_queued (sim.pacer), ==, 0);
    g_assert_cmpuint (sim_last_time (&sim), ==, c->last);
    g_assert_cmpuint (sim.max_lead_seen, <=, cfg.max_lead);
    for (j = 0; j + 1 < sim.sizes->len; j++)
      g_assert_cmpuint (g_array_index (sim.sizes, gsize, j), ==, 1600);
    /* all of it played, from 0 on without a gap */
    g_assert_cmpuint (ah_pacer_get_lead (sim.pacer, 0), ==, total * MS (1) / 8);
    sim_clear (&sim);
    if (whole)
      g_bytes_unref (whole);
  }
}

/* ---- scripted cases: linger, drain, flush, hold ---- */

typedef enum
{
  END,
  PUSH,                         /* n bytes */
  DRAIN,
  POP,                          /* must return n bytes (0: NULL) */
  POPS,                         /* n messages go out, then NULL */
  WAKE,                         /* next_wakeup is n */
  FLUSH,                        /* returns n */
  HOLD,                         /* until n */
  RESET,
  LEAD,                         /* is n */
  QUEUED,                       /* is n */
} Op;

typedef struct
{
  Op op;
  guint64 at;
  guint64 n;
} Step;

typedef struct
{
  const gchar *name;
  gsize align;
  guint64 linger;
  guint64 max_lead;
  guint64 bytes_per_second;     /* 0: 8000 sample frames per second */
  guint64 start_margin;
  Step steps[16];
} Script;

static const Script scripts[] = {
  {.name = "linger releases a partial frame",
        .align = 1,.linger = MS (50),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 800}, {POP, 0, 0}, {WAKE, 0, MS (50)},
              {POP, MS (50) - 1, 0}, {POP, MS (50), 800},
          {WAKE, MS (50), NEVER}, {QUEUED, MS (50), 0}}},
  {.name = "each push restarts the linger",
        .align = 1,.linger = MS (50),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 500}, {PUSH, MS (30), 300}, {WAKE, MS (30), MS (80)},
          {POP, MS (80) - 1, 0}, {POP, MS (80), 800}}},
  {.name = "full frames go at once, the rest after linger",
        .align = 1,.linger = MS (50),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 2000}, {POP, 0, 1600}, {POP, 0, 0},
          {WAKE, 0, MS (50)}, {POP, MS (50), 400}}},
  {.name = "drain releases a partial frame",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 2000}, {POP, 0, 1600}, {POP, 0, 0},
              {WAKE, 0, SEC (10)}, {DRAIN, MS (1), 0},
          {POP, MS (1), 400}, {WAKE, MS (1), NEVER}}},
  {.name = "drain applies to what was queued",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 1000}, {DRAIN, 0, 0}, {PUSH, 0, 300},
              {POP, 0, 1000}, {POP, 0, 0}, {WAKE, 0, SEC (10)},
          {POP, SEC (10), 300}}},
  {.name = "a full frame may span the drain mark",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 1000}, {DRAIN, 0, 0}, {PUSH, 0, 1000},
          {POP, 0, 1600}, {POP, 0, 0}, {WAKE, 0, SEC (10)}}},
  {.name = "a drain while the lead binds",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 8800}, {DRAIN, 0, 0}, {POPS, 0, 5}, {LEAD, 0, SEC (1)},
              /* 800 bytes (100 ms) fit once the lead is 900 ms */
              {WAKE, 0, MS (100)}, {POP, MS (100), 800}, {LEAD, MS (100),
              SEC (1)}}},
  {.name = "flush clears the drain",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 800}, {DRAIN, 0, 0}, {FLUSH, 0, 800},
          {PUSH, 0, 800}, {POP, 0, 0}, {WAKE, 0, SEC (10)}}},
  {.name = "a partial sample frame stays queued",
        .align = 2,.linger = MS (50),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 801}, {POP, MS (50), 800}, {QUEUED, MS (50), 1},
              {WAKE, MS (50), NEVER}, {DRAIN, MS (50), 0}, {POP, MS (50), 0},
          {PUSH, MS (60), 1}, {POP, MS (110), 2}}},
  {.name = "drain of less than a sample frame",
        .align = 4,.linger = 0,.max_lead = SEC (1),.steps = {
          {PUSH, 0, 3}, {DRAIN, 0, 0}, {POP, 0, 0}, {WAKE, 0, NEVER}}},
  {.name = "no linger; asked while a message is due: now + 1",.align =
        1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, MS (7), 10}, {WAKE, MS (7), MS (7) + 1},
          {POP, MS (7), 10}, {WAKE, MS (7), NEVER}}},
  {.name = "endless linger",
        .align = 1,.linger = NEVER,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 800}, {WAKE, 0, NEVER}, {POP, SEC (1000), 0},
          {DRAIN, SEC (1000), 0}, {POP, SEC (1000), 800}}},
  {.name = "hold: nothing before until, then no token",
        .align = 1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 1600}, {HOLD, 0, SEC (1)}, {POP, SEC (1) - 1, 0},
              {WAKE, 0, MS (1200)}, {POP, MS (1200) - 1, 0},
          {POP, MS (1200), 1600}}},
  {.name = "hold that ended before now empties the bucket now",.align =
        1,.linger = 0,.max_lead = SEC (1),.steps = {
              {HOLD, SEC (5), SEC (1)}, {PUSH, SEC (5), 1600},
          {WAKE, SEC (5), MS (5200)}, {POP, MS (5200), 1600}}},
  {.name = "a shorter hold does not shorten a longer one",
        .align = 1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 1600}, {HOLD, 0, SEC (3)}, {HOLD, MS (100), SEC (1)},
          {WAKE, MS (100), MS (3200)}, {POP, MS (3200), 1600}}},
  {.name = "flush: lead 0, tokens kept",
        .align = 1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 16000}, {POPS, 0, 5}, {LEAD, MS (100), MS (900)},
              {FLUSH, MS (100), 8000}, {LEAD, MS (100), 0},
              {PUSH, MS (100), 16000}, {POPS, MS (100), 5},
          {FLUSH, MS (100), 8000}, {LEAD, MS (100), 0}, {QUEUED, MS (100), 0}}},
  {.name = "flush keeps the tokens",
        .align = 1,.linger = 0,.max_lead = SEC (1000),.steps = {
              {PUSH, 0, 48000}, {POPS, 0, 25}, {FLUSH, 0, 8000},
          {PUSH, 0, 1600}, {POP, 0, 0}, {WAKE, 0, MS (200)}}},
  {.name = "reset_playout keeps the tokens",
        .align = 1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 48000}, {POPS, 0, 5}, {RESET, 0, 0}, {POPS, 0, 5},
              {RESET, 0, 0}, {POPS, 0, 5}, {RESET, 0, 0}, {POPS, 0, 5},
              {RESET, 0, 0}, {POPS, 0, 5}, {RESET, 0, 0}, {POP, 0, 0},
          {WAKE, 0, MS (200)}, {QUEUED, 0, 8000}}},
  {.name = "reset_playout: lead 0, queue kept",
        .align = 1,.linger = 0,.max_lead = SEC (1),.steps = {
              {PUSH, 0, 16000}, {POPS, 0, 5}, {RESET, MS (100), 0},
              {LEAD, MS (100), 0}, {QUEUED, MS (100), 8000},
          {POPS, MS (100), 5}, {LEAD, MS (100), SEC (1)}}},
  {.name = "a message longer than max_lead goes out when the client idles",
        .align = 1,.linger = 0,.max_lead = MS (100),.steps = {
              {PUSH, 0, 3200}, {POP, 0, 1600}, {LEAD, 0, MS (200)},
              {POP, 0, 0}, {WAKE, 0, MS (200)}, {POP, MS (200) - 1, 0},
          {POP, MS (200), 1600}}},
  {.name = "exactly one frame goes at once",
        .align = 1,.linger = MS (50),.max_lead = SEC (1),.steps = {
          {PUSH, 0, 1600}, {POP, 0, 1600}, {QUEUED, 0, 0}}},
  {.name = "a partial frame of one byte goes after linger",
        .align = 1,.linger = MS (50),.max_lead = SEC (1),.steps = {
              {PUSH, 0, 1}, {WAKE, 0, MS (50)}, {POP, MS (50) - 1, 0},
          {POP, MS (50), 1}}},
  {.name = "a drain of one byte releases it",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),.steps = {
          {PUSH, 0, 1}, {DRAIN, 0, 0}, {POP, 0, 1}}},
  /* 3000 bytes per second: a byte plays for 333333.3 ns, 333334 rounded
   * up; a message after the playout ended exactly now plays from now on
   * (the lead is its own length rounded up, not the sum's) */
  {.name = "a playout that ends exactly now starts anew",
        .align = 1,.linger = 0,.max_lead = SEC (1),
        .bytes_per_second = 3000,.steps = {
              {PUSH, 0, 1}, {POP, 0, 1}, {LEAD, 0, 333334},
              {PUSH, 333334, 1}, {POP, 333334, 1},
          {LEAD, 333334, 333334}}},
  /* a playback's start: one frame less the gcd of frame and pieces, plus
   * the margin, from the first piece */
  {.name = "start: pieces of whole frames wait the margin",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 1600}, {POP, 0, 0}, {WAKE, 0, MS (100)},
          {POP, MS (100) - 1, 0}, {POP, MS (100), 1600}}},
  {.name = "start: 256 ms pieces in 200 ms frames wait 192 ms and the margin",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, MS (5), 2048}, {WAKE, MS (5), MS (297)},
              {PUSH, MS (261), 2048}, {WAKE, MS (261), MS (297)},
          {POP, MS (297) - 1, 0}, {POP, MS (297), 1600}, {POPS, MS (297), 1}}},
  {.name = "start: a later piece that divides less waits longer",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 1600}, {WAKE, 0, MS (100)}, {PUSH, MS (50), 400},
              {WAKE, MS (50), MS (250)}, {POP, MS (250) - 1, 0},
          {POP, MS (250), 1600}}},
  {.name = "start: a drain ends the wait",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 2000}, {POP, 0, 0}, {DRAIN, MS (10), 0},
          {POP, MS (10), 1600}, {POP, MS (10), 400}}},
  {.name = "start: a playback under way does not wait, an idle client does",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 1600}, {POP, MS (100), 1600}, {LEAD, MS (150),
                  MS (150)},
              {PUSH, MS (150), 1600}, {POP, MS (150), 1600},
              /* played out at 500 ms: the next piece starts a playback */
              {PUSH, MS (600), 1600}, {POP, MS (600), 0},
          {WAKE, MS (600), MS (700)}, {POP, MS (700), 1600}}},
  {.name = "start: after a flush the next piece starts a playback",
        .align = 1,.linger = SEC (10),.max_lead = SEC (1),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 4800}, {POPS, MS (100), 3}, {PUSH, MS (200), 1600},
              {FLUSH, MS (200), 1600}, {PUSH, MS (300), 1600},
          {POP, MS (300), 0}, {WAKE, MS (300), MS (400)}}},
  {.name = "start: a new connection starts a playback with what is queued",
        .align = 1,.linger = SEC (10),.max_lead = MS (400),
        .start_margin = MS (100),.steps = {
              {PUSH, 0, 4800}, {POPS, MS (100), 2}, {LEAD, MS (100), MS (400)},
              {RESET, MS (150), 0}, {POP, MS (150), 0},
          {WAKE, MS (150), MS (250)}, {POPS, MS (250), 1}}},
};

static void
test_scripts (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (scripts); i++) {
    const Script *s = &scripts[i];
    AhPacerConfig cfg = default_config ();
    Sim sim;

    g_test_message ("script: %s", s->name);
    cfg.align = s->align;
    cfg.bytes_per_second = s->bytes_per_second ? s->bytes_per_second :
        8000 * s->align;
    cfg.linger = s->linger;
    cfg.max_lead = s->max_lead;
    cfg.start_margin = s->start_margin;
    sim_init (&sim, &cfg, 0);
    for (j = 0; s->steps[j].op != END; j++) {
      const Step *st = &s->steps[j];

      switch (st->op) {
        case PUSH:
          sim_push (&sim, st->n, st->at);
          break;
        case DRAIN:
          ah_pacer_drain (sim.pacer, st->at);
          break;
        case POP:
          g_assert_cmpuint (sim_pop (&sim, st->at), ==, st->n);
          break;
        case POPS:
          g_assert_cmpuint (sim_pop_all (&sim, st->at), ==, st->n);
          break;
        case WAKE:
          g_assert_cmpuint (ah_pacer_next_wakeup (sim.pacer, st->at), ==,
              st->n);
          break;
        case FLUSH:
          g_assert_cmpuint (sim_flush (&sim, st->at), ==, st->n);
          break;
        case HOLD:
          sim_hold (&sim, st->n, st->at);
          break;
        case RESET:
          sim_reset_playout (&sim, st->at);
          break;
        case LEAD:
          g_assert_cmpuint (ah_pacer_get_lead (sim.pacer, st->at), ==, st->n);
          break;
        case QUEUED:
          g_assert_cmpuint (ah_pacer_get_queued (sim.pacer), ==, st->n);
          break;
        case END:
          g_assert_not_reached ();
      }
    }
    sim_clear (&sim);
  }
}

/* ---- a playback's start: audio in real time, in pieces ---- */

typedef struct
{
  const gchar *name;
  gsize piece;                  /* bytes; 0: random sizes */
  guint64 margin;
  guint64 min_lead;             /* at least, before every message but the
                                 * first; 0: the client runs dry */
} StartCase;

static const StartCase start_cases[] = {
  {"200 ms pieces", 1600, MS (100), MS (100)},
  {"20 ms pieces", 160, MS (100), MS (100)},
  {"100 ms pieces", 800, MS (100), MS (100)},
  {"256 ms pieces", 2048, MS (100), MS (100)},
  {"333 ms pieces", 2664, MS (100), MS (100)},
  {"1 s pieces", 8000, MS (100), MS (100)},
  {"random pieces", 0, MS (100), MS (100)},
  {"256 ms pieces, small margin", 2048, MS (10), MS (10)},
  /* without the wait a late piece leaves the client dry */
  {"256 ms pieces, no wait", 2048, 0, 0},
};

/* Pushes 12 s of audio in pieces, each when its first sample is due (a
 * sink that renders in sync), drains after the last, and sends what the
 * pacer lets out; returns the smallest lead before a message but the
 * first. */
static guint64
run_realtime (Sim * sim, const StartCase * c, GRand * rand, guint64 t0)
{
  gsize total = 12 * 8000;
  guint64 now = t0, push_at = t0, min_lead = NEVER;
  gboolean first = TRUE;

  for (;;) {
    guint64 wake = ah_pacer_next_wakeup (sim->pacer, now);
    gsize n;

    if (sim->pushed->len < total && push_at <= wake) {
      gsize piece = c->piece ? c->piece :
          (gsize) g_rand_int_range (rand, 1, 4000);

      now = push_at;
      piece = MIN (piece, total - sim->pushed->len);
      sim_push (sim, piece, now);
      push_at += piece * MS (1) / 8;
      if (sim->pushed->len == total)
        ah_pacer_drain (sim->pacer, now);
    } else if (wake != NEVER) {
      now = wake;
    } else {
      break;
    }
    for (;;) {
      guint64 lead = ah_pacer_get_lead (sim->pacer, now);

      if ((n = sim_pop (sim, now)) == 0)
        break;
      if (!first)
        min_lead = MIN (min_lead, lead);
      first = FALSE;
    }
  }
  g_assert_cmpuint (sim->expect_off, ==, total);
  return min_lead;
}

static void
test_start_lead (void)
{
  GRand *rand = g_rand_new_with_seed (256);
  guint i, phase;

  for (i = 0; i < G_N_ELEMENTS (start_cases); i++) {
    const StartCase *c = &start_cases[i];

    for (phase = 0; phase < 4; phase++) {
      AhPacerConfig cfg = default_config ();
      guint64 t0 = SEC (3) + phase * MS (37), min_lead;
      Sim sim;

      cfg.linger = SEC (10);
      cfg.start_margin = c->margin;
      sim_init (&sim, &cfg, t0);
      min_lead = run_realtime (&sim, c, rand, t0);
      g_test_message ("%s, phase %u: smallest lead %" G_GUINT64_FORMAT
          " ns", c->name, phase, min_lead);
      if (c->min_lead)
        g_assert_cmpuint (min_lead, >=, c->min_lead);
      else
        g_assert_cmpuint (min_lead, ==, 0);
      sim_clear (&sim);
    }
  }
  g_rand_free (rand);
}

/* ---- holds while a long prompt plays ---- */

static void
test_hold (void)
{
  AhPacerConfig cfg = default_config ();
  guint64 until = SEC (3);
  guint i, n;
  Sim sim;

  /* lead out of the way: the bucket binds */
  cfg.max_lead = SEC (1000);
  sim_init (&sim, &cfg, 0);
  sim_push (&sim, 60 * 8000, 0);
  g_assert_cmpuint (sim_pop_all (&sim, 0), ==, 25);
  sim_hold (&sim, until, MS (500));
  g_assert_cmpuint (ah_pacer_get_holds (sim.pacer), ==, 1);
  sim_run (&sim, MS (500), NEVER);
  g_assert_cmpuint (sim.sizes->len, ==, 300);

  /* from 0 tokens at @until: one message per 200 ms, the first 200 ms
   * after @until */
  n = sim.times->len;
  for (i = 25; i < n; i++) {
    guint64 t = g_array_index (sim.times, guint64, i);

    g_assert_cmpuint (t, ==, until + (i - 24) * MS (200));
    /* i - 24 messages since @until, at most 5 per second */
    g_assert_cmpuint ((guint64) (i - 24) * MS (200), <=, t - until);
  }
  sim_clear (&sim);
}

/* ---- the rate limit ---- */

typedef struct
{
  guint frame_ms;
  guint messages;
  guint64 last;
} SmallCase;

/* A 10 s prompt. At 5 messages per second a frame must hold at least
 * 200 ms of audio (frame duration x rate >= 1 s) for the audio to keep up
 * with playout: with 20 ms frames 25 go out at once (the burst), then 5
 * per second carry only 100 ms of audio per second, and the client starves.
 * With 1 s frames and more, the lead binds instead. */
static const SmallCase small_cases[] = {
  /* (500 - 25) / 5 */
  {.frame_ms = 20,.messages = 500,.last = SEC (95)},
  /* (250 - 25) / 5 */
  {.frame_ms = 40,.messages = 250,.last = SEC (45)},
  /* duration - max_lead */
  {.frame_ms = 200,.messages = 50,.last = SEC (9)},
  /* each when the client is idle */
  {.frame_ms = 1000,.messages = 10,.last = SEC (9)},
  /* longer than max_lead: idle each time */
  {.frame_ms = 2000,.messages = 5,.last = SEC (8)},
};

static void
test_small_frames (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (small_cases); i++) {
    const SmallCase *c = &small_cases[i];
    AhPacerConfig cfg = default_config ();
    Sim sim;

    cfg.frame_bytes = c->frame_ms * 8;
    sim_init (&sim, &cfg, 0);
    sim_push (&sim, 10 * 8000, 0);
    sim_run (&sim, 0, NEVER);
    g_assert_cmpuint (sim.sizes->len, ==, c->messages);
    g_assert_cmpuint (sim_last_time (&sim), ==, c->last);
    if (c->frame_ms * cfg.rate < 1000) {
      /* the client ran dry: the rate limit binds, not the lead */
      g_assert_cmpuint (sim.max_lead_seen, <=, cfg.max_lead);
      g_assert_cmpuint (ah_pacer_get_lead (sim.pacer, sim_last_time (&sim)),
          ==, MS (c->frame_ms));
    }
    sim_clear (&sim);
  }
}

/* ---- stereo L16 ---- */

static void
test_stereo_l16 (void)
{
  AhPacerConfig cfg = default_config ();
  GRand *rand = g_rand_new_with_seed (16);
  gsize total = 3 * 32000 + 2;
  guint i;
  Sim sim;

  /* 8 kHz, two channels of 16 bits: 4 bytes a sample frame */
  cfg.align = 4;
  cfg.bytes_per_second = 32000;
  cfg.frame_bytes = 6402;
  sim_init (&sim, &cfg, 0);
  g_assert_cmpuint (sim.frame, ==, 6400);
  while (sim.pushed->len < total) {
    /* MIN evaluates its arguments twice: one draw */
    gsize n = g_rand_int_range (rand, 1, 1000);
    sim_push (&sim, MIN (n, total - sim.pushed->len), 0);
  }
  ah_pacer_drain (sim.pacer, 0);
  sim_run (&sim, 0, NEVER);
  for (i = 0; i < sim.sizes->len; i++)
    g_assert_cmpuint (g_array_index (sim.sizes, gsize, i) % 4, ==, 0);
  g_assert_cmpuint (sim.sizes->len, ==, 15);
  g_assert_cmpuint (sim.expect_off, ==, total - 2);
  g_assert_cmpuint (ah_pacer_get_queued (sim.pacer), ==, 2);
  sim_clear (&sim);
  g_rand_free (rand);
}

/* ---- properties over random input ---- */

static AhPacerConfig
random_config (GRand * rand)
{
  AhPacerConfig cfg;

  cfg.align = g_rand_int_range (rand, 1, 5);
  cfg.bytes_per_second = 8000 * cfg.align * g_rand_int_range (rand, 1, 3);
  cfg.frame_bytes = g_rand_int_range (rand, 1, 20000);
  cfg.max_bytes = g_rand_boolean (rand) ? 64000 :
      (gsize) g_rand_int_range (rand, 4, 10000);
  cfg.rate = g_rand_double_range (rand, 0.5, 20.0);
  cfg.burst = g_rand_int_range (rand, 1, 30);
  cfg.max_lead = g_rand_int_range (rand, 0, 3000) * MS (1);
  cfg.linger = g_rand_int_range (rand, 0, 1000) * MS (1);
  cfg.start_margin = g_rand_boolean (rand) ? 0 :
      g_rand_int_range (rand, 1, 300) * MS (1);
  return cfg;
}

/* One random sequence. @ops chooses what may happen besides pushes, drains
 * and time passing: flushes, holds and playout resets. After a NULL pop
 * the next wakeup must be later than now, and if nothing changes the
 * pacer meanwhile, a pop must return NULL before it and a message at it. */
static void
random_run (const AhPacerConfig * cfg, GRand * rand, guint steps, gboolean ops)
{
  guint64 now = SEC (1), wake;
  guint i;
  Sim sim;

  sim_init (&sim, cfg, now);
  wake = ah_pacer_next_wakeup (sim.pacer, now);
  g_assert_cmpuint (wake, ==, NEVER);
  for (i = 0; i < steps; i++) {
    guint action = g_rand_int_range (rand, 0, 100);

    if (action < 25) {
      sim_push (&sim, g_rand_int_range (rand, 1, 5000), now);
    } else if (action < 30) {
      ah_pacer_drain (sim.pacer, now);
    } else if (ops && action < 32) {
      sim_flush (&sim, now);
    } else if (ops && action < 34) {
      sim_hold (&sim, now + g_rand_int_range (rand, 0, 2000) * MS (1) -
          MS (200), now);
    } else if (ops && action < 36) {
      sim_reset_playout (&sim, now);
    } else {
      gsize n;

      if (wake != NEVER && g_rand_boolean (rand))
        now = wake;
      else
        now += g_rand_int_range (rand, 1, 400) * MS (1) +
            g_rand_int_range (rand, 0, 1000);
      /* @wake was asked after the last change */
      n = sim_pop (&sim, now);
      g_assert_cmpuint (n > 0, ==, now >= wake);
    }
    sim_pop_all (&sim, now);
    wake = ah_pacer_next_wakeup (sim.pacer, now);
    g_assert_cmpuint (wake, >, now);
  }
  /* a drain lets everything out */
  ah_pacer_drain (sim.pacer, now);
  sim_run (&sim, now, NEVER);
  g_assert_cmpuint (ah_pacer_get_queued (sim.pacer), <, cfg->align);
  sim_clear (&sim);
}

static void
test_wakeup_property (void)
{
  GRand *rand = g_rand_new_with_seed (20260101);
  AhPacerConfig cfg;
  guint i;

  cfg = default_config ();
  random_run (&cfg, rand, 3000, FALSE);
  cfg.frame_bytes = 160;
  random_run (&cfg, rand, 3000, FALSE);
  cfg = default_config ();
  cfg.rate = 3.0;               /* a token every 333333333.3 ns */
  cfg.burst = 1;
  random_run (&cfg, rand, 3000, FALSE);
  for (i = 0; i < 30; i++) {
    cfg = random_config (rand);
    random_run (&cfg, rand, 1000, FALSE);
  }
  g_rand_free (rand);
}

static void
test_fuzz (void)
{
  GRand *rand = g_rand_new_with_seed (4242);
  guint i;

  for (i = 0; i < 200; i++) {
    AhPacerConfig cfg = random_config (rand);

    random_run (&cfg, rand, 3000, TRUE);
  }
  g_rand_free (rand);
}

/* A longer linger keeps a partial frame waiting for the next buffer. */
static void
test_set_linger (void)
{
  AhPacerConfig cfg = default_config ();
  AhPacer *p = ah_pacer_new (&cfg, 0);
  GBytes *b = g_bytes_new_take (g_malloc0 (1000), 1000), *m;

  ah_pacer_push (p, b, 0);
  g_assert_null (ah_pacer_pop (p, 0));
  ah_pacer_set_linger (p, 3 * cfg.linger);
  /* the old linger passed: still waiting */
  g_assert_null (ah_pacer_pop (p, cfg.linger));
  g_assert_cmpuint (ah_pacer_next_wakeup (p, cfg.linger), ==, 3 * cfg.linger);
  m = ah_pacer_pop (p, 3 * cfg.linger);
  g_assert_nonnull (m);
  g_assert_cmpuint (g_bytes_get_size (m), ==, 1000);
  g_bytes_unref (m);
  g_bytes_unref (b);
  ah_pacer_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pacer/frame-sizes", test_frame_sizes);
  g_test_add_func ("/pacer/prompts", test_prompts);
  g_test_add_func ("/pacer/scripts", test_scripts);
  g_test_add_func ("/pacer/start-lead", test_start_lead);
  g_test_add_func ("/pacer/hold", test_hold);
  g_test_add_func ("/pacer/small-frames", test_small_frames);
  g_test_add_func ("/pacer/stereo-l16", test_stereo_l16);
  g_test_add_func ("/pacer/wakeup-property", test_wakeup_property);
  g_test_add_func ("/pacer/fuzz", test_fuzz);
  g_test_add_func ("/pacer/set-linger", test_set_linger);
  return g_test_run ();
}
