/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* gst_genesys_stack_trim() on real threads: the pages a deep call left
 * resident go back, the frames in use and a margin under them stay, and
 * a thread that goes deep again after a trim computes the same. */

#include <string.h>
#include <glib.h>
#include "gstgenesysstack.h"

#define KIB 1024
#define FRAME (4 * KIB)

/* Touches about @depth frames of FRAME bytes below the caller and returns
 * a sum over all of them, so that none is optimised away. */
static guint64 __attribute__((noinline))
    dig (guint depth, guint8 seed)
{
  volatile guint8 frame[FRAME];
  guint64 sum = 0;
  guint i;

  for (i = 0; i < FRAME; i++)
    frame[i] = (guint8) (seed + i);
  if (depth > 1)
    sum = dig (depth - 1, seed + 1);
  for (i = 0; i < FRAME; i += 512)
    sum += frame[i];
  return sum;
}

typedef struct
{
  gsize before, given, after, after_dig;
  guint64 sum1, sum2;
} Result;

static gpointer
deep_then_trim (gpointer data)
{
  Result *r = data;

  r->sum1 = dig (128, 7);       /* 512 KiB */
  r->before = gst_genesys_stack_resident ();
  r->given = gst_genesys_stack_trim ();
  r->after = gst_genesys_stack_resident ();
  r->sum2 = dig (128, 7);
  r->after_dig = gst_genesys_stack_resident ();
  return NULL;
}

static void
test_deep_stack_given_back (void)
{
  Result r = { 0 };
  GThread *t = g_thread_new ("deep", deep_then_trim, &r);

  g_thread_join (t);
  /* this platform tells stack bounds (Linux, glibc) */
  g_assert_cmpuint (r.before, >=, 480 * KIB);
  g_assert_cmpuint (r.given, >=, 480 * KIB);
  /* the margin below the trimming frame and the frames above it */
  g_assert_cmpuint (r.after, <=, 12 * KIB);
  /* going deep again after the trim works and sees fresh pages */
  g_assert_cmpuint (r.sum2, ==, r.sum1);
  g_assert_cmpuint (r.after_dig, >=, 480 * KIB);
}

static gpointer
shallow_trim (gpointer data)
{
  Result *r = data;

  r->before = gst_genesys_stack_resident ();
  r->given = gst_genesys_stack_trim ();
  r->after = gst_genesys_stack_resident ();
  return NULL;
}

/* A fresh thread has nothing below its frame to give back, and a trim
 * does not fail there. */
static void
test_fresh_thread (void)
{
  Result r = { 0 };
  GThread *t = g_thread_new ("fresh", shallow_trim, &r);

  g_thread_join (t);
  g_assert_cmpuint (r.before, <=, 24 * KIB);
  g_assert_cmpuint (r.after, <=, r.before);
}

typedef struct
{
  GMutex lock;
  GCond cond;
  guint done;
  gsize resident[2];
} PoolRun;

/* A pool thread: the first task digs deep, the second trims at its start
 * as serve does for a streaming thread and measures what it starts on. */
static void
pool_task (gpointer data, gpointer user_data)
{
  PoolRun *run = user_data;
  guint task = GPOINTER_TO_UINT (data);

  if (task == 1)
    dig (128, 3);
  else
    gst_genesys_stack_trim ();
  g_mutex_lock (&run->lock);
  run->resident[task - 1] = gst_genesys_stack_resident ();
  run->done++;
  g_cond_signal (&run->cond);
  g_mutex_unlock (&run->lock);
}

/* GLib's pool runs the second task on the thread the first dug deep
 * with: without the trim it would start on 512 KiB. */
static void
test_reused_thread (void)
{
  PoolRun run = { 0 };
  GThreadPool *pool;

  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  pool = g_thread_pool_new (pool_task, &run, 1, TRUE, NULL);
  g_thread_pool_push (pool, GUINT_TO_POINTER (1), NULL);
  g_thread_pool_push (pool, GUINT_TO_POINTER (2), NULL);
  g_mutex_lock (&run.lock);
  while (run.done < 2)
    g_cond_wait (&run.cond, &run.lock);
  g_mutex_unlock (&run.lock);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_assert_cmpuint (run.resident[0], >=, 480 * KIB);
  g_assert_cmpuint (run.resident[1], <=, 12 * KIB);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stack/deep-given-back", test_deep_stack_given_back);
  g_test_add_func ("/stack/fresh-thread", test_fresh_thread);
  g_test_add_func ("/stack/reused-thread", test_reused_thread);
  return g_test_run ();
}
