/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ah-backoff.h"

#define MS G_GUINT64_CONSTANT (1000000)

typedef struct
{
  guint64 base, max;
  guint attempt;
  guint32 random;
  guint64 ceiling;
  guint64 delay;
} Case;

/* base 100 ms, max 10 s: ceilings 0.1, 0.2, 0.4 ... 6.4, 10, 10 ... */
static const Case cases[] = {
  {100 * MS, 10000 * MS, 0, 0, 100 * MS, 0},
  {100 * MS, 10000 * MS, 0, G_MAXUINT32, 100 * MS, 100 * MS - 1},
  {100 * MS, 10000 * MS, 0, 0x80000000u, 100 * MS, 50 * MS},
  {100 * MS, 10000 * MS, 1, 0x80000000u, 200 * MS, 100 * MS},
  {100 * MS, 10000 * MS, 2, 0x40000000u, 400 * MS, 100 * MS},
  {100 * MS, 10000 * MS, 6, 0x80000000u, 6400 * MS, 3200 * MS},
  {100 * MS, 10000 * MS, 7, 0x80000000u, 10000 * MS, 5000 * MS},
  {100 * MS, 10000 * MS, 1000, 0x80000000u, 10000 * MS, 5000 * MS},
  {100 * MS, 10000 * MS, G_MAXUINT, G_MAXUINT32, 10000 * MS, 10000 * MS - 3},
  /* max below base: base wins */
  {500 * MS, 100 * MS, 3, 0x80000000u, 500 * MS, 250 * MS},
  /* huge values do not overflow */
  {G_MAXUINT64 / 4, G_MAXUINT64, 10, 0x80000000u, G_MAXUINT64,
      G_MAXUINT64 / 2},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    AhBackoff b;
    guint64 d;

    ah_backoff_init (&b, c->base, c->max);
    b.attempt = c->attempt;
    g_assert_cmpuint (ah_backoff_ceiling (&b), ==, c->ceiling);
    d = ah_backoff_next (&b, c->random);
    /* within one nanosecond of the exact value (integer rounding) */
    g_assert_cmpuint (d, <=, c->delay + 1);
    g_assert_cmpuint (d + 1, >=, c->delay);
    g_assert_cmpuint (d, <=, c->ceiling);
    if (c->attempt < G_MAXUINT)
      g_assert_cmpuint (b.attempt, ==, c->attempt + 1);
  }
}

static void
test_reset (void)
{
  AhBackoff b;
  guint i;

  ah_backoff_init (&b, 100 * MS, 10000 * MS);
  for (i = 0; i < 20; i++)
    ah_backoff_next (&b, G_MAXUINT32);
  g_assert_cmpuint (ah_backoff_ceiling (&b), ==, 10000 * MS);
  ah_backoff_reset (&b);
  g_assert_cmpuint (ah_backoff_ceiling (&b), ==, 100 * MS);
}

/* Full jitter spreads delays over the whole [0, ceiling] range: many
 * clients dropped at once do not come back at once. */
static void
test_spread (void)
{
  GRand *rand = g_rand_new_with_seed (42);
  guint buckets[10] = { 0 };
  guint i;

  for (i = 0; i < 10000; i++) {
    AhBackoff b;
    guint64 d;
    ah_backoff_init (&b, 1000 * MS, 1000 * MS);
    d = ah_backoff_next (&b, g_rand_int (rand));
    buckets[MIN (d / (100 * MS), 9)]++;
  }
  for (i = 0; i < 10; i++) {
    g_assert_cmpuint (buckets[i], >, 800);
    g_assert_cmpuint (buckets[i], <, 1200);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backoff/table", test_table);
  g_test_add_func ("/backoff/reset", test_reset);
  g_test_add_func ("/backoff/spread", test_spread);
  return g_test_run ();
}
