/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The poller over real descriptors (socket pairs, TCP on loopback) and a
 * real GMainContext: iterated on the test's own thread where a test counts
 * rounds, and on a GstGenesysLoop's thread. A round is one
 * g_main_context_iteration() that dispatches the poller's source. */

#define _GNU_SOURCE             /* accept4 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <gst/gst.h>
#include "gstgenesysloop.h"
#include "gstgenesyspoller.h"

#define MS (G_GINT64_CONSTANT (1000))
#define HOUR (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

typedef gint Pair[2];

typedef struct
{
  GMainContext *context;
  GstGenesysPoller *poller;
} Fixture;

/* @data "bound": the poller makes the context's poll (a loop's way) */
static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->poller = gst_genesys_poller_new (f->context);
  if (g_strcmp0 (data, "bound") == 0)
    gst_genesys_poller_bind (f->poller);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  if (f->poller)
    gst_genesys_poller_free (f->poller);
  /* nothing of the poller is left to dispatch */
  g_assert_false (g_main_context_iteration (f->context, FALSE));
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

/* One round without waiting: TRUE when something was dispatched. */
static gboolean
round_now (Fixture * f)
{
  return g_main_context_iteration (f->context, FALSE);
}

static gboolean
on_guard (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context, waiting, until *@value reaches @target or @ms passed;
 * whether it did. */
static gboolean
iterate_until (GMainContext * context, const gint * value, gint target,
    guint ms)
{
  gboolean late = FALSE;
  GSource *guard = g_timeout_source_new (ms);

  g_source_set_callback (guard, on_guard, &late, NULL);
  g_source_attach (guard, context);
  while (*value < target && !late)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);
  return *value >= target;
}

/* Iterates @context, waiting, for @ms. */
static void
iterate_for (GMainContext * context, guint ms)
{
  gint never = 0;

  iterate_until (context, &never, 1, ms);
}

/* Descriptors */

static void
make_pair (gint fds[2])
{
  g_assert_cmpint (socketpair (AF_UNIX,
          SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==, 0);
}

static void
close_pair (gint fds[2])
{
  close (fds[0]);
  if (fds[1] >= 0)
    close (fds[1]);
}

static void
send_byte (gint fd)
{
  g_assert_cmpint (write (fd, "x", 1), ==, 1);
}

/* Reads all there is; the count, 0 at the end of the stream. */
static gssize
drain (gint fd)
{
  gchar buf[4096];
  gssize n, total = 0;

  while ((n = read (fd, buf, sizeof (buf))) > 0)
    total += n;
  return total;
}

/* Raises the soft limit on descriptors to the hard one; whether @need
 * descriptors (and some to spare) are allowed. */
static gboolean
allow_descriptors (guint need)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return FALSE;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
    getrlimit (RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur >= need + 64;
}

/* What a watch saw */

typedef struct
{
  gint calls;
  GIOCondition last;
  GIOCondition all;
  gboolean consume;             /* reads what is there */
  gssize got;                   /* what it read; -1 once it read the end */
  GstGenesysPollerTimer *arm;   /* set for now on each call */
} Seen;

static void
on_ready (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  Seen *seen = data;

  g_assert_cmpuint (ready, !=, 0);
  seen->calls++;
  seen->last = ready;
  seen->all |= ready;
  if (seen->consume && (ready & G_IO_IN)) {
    gssize n = drain (fd);

    seen->got = n == 0 ? -1 : seen->got + n;
  }
  if (seen->arm)
    gst_genesys_poller_timer_set (seen->arm, g_get_monotonic_time ());
}

/* A socket pair whose first end is watched, and what the watch saw. */
typedef struct
{
  gint fds[2];
  Seen seen;
  GstGenesysPollerWatch *watch;
} Watched;

static void
watched_open (Fixture * f, Watched * w, GIOCondition events)
{
  memset (w, 0, sizeof (*w));
  make_pair (w->fds);
  w->watch = gst_genesys_poller_watch (f->poller, w->fds[0], events,
      on_ready, &w->seen);
  g_assert_nonnull (w->watch);
}

static void
watched_close (Watched * w)
{
  gst_genesys_poller_watch_remove (w->watch);
  close_pair (w->fds);
}

/* One round, which calls @w's watch once, with @ready. */
static void
assert_called (Fixture * f, Watched * w, GIOCondition ready)
{
  gint calls = w->seen.calls;

  g_assert_true (round_now (f));
  g_assert_cmpint (w->seen.calls, ==, calls + 1);
  g_assert_cmpuint (w->seen.last, ==, ready);
}

/* One round, which dispatches nothing. */
static void
assert_quiet (Fixture * f, Watched * w)
{
  gint calls = w->seen.calls;

  g_assert_false (round_now (f));
  g_assert_cmpint (w->seen.calls, ==, calls);
}

static void
test_readable (Fixture * f, gconstpointer data)
{
  Watched w;

  watched_open (f, &w, G_IO_IN);
  assert_quiet (f, &w);
  send_byte (w.fds[1]);
  assert_called (f, &w, G_IO_IN);
  /* level-triggered: what is left unread is reported again */
  assert_called (f, &w, G_IO_IN);
  g_assert_cmpint (drain (w.fds[0]), ==, 1);
  assert_quiet (f, &w);
  watched_close (&w);
}

static void
test_writable (Fixture * f, gconstpointer data)
{
  Watched w;
  gchar block[4096] = { 0 };

  watched_open (f, &w, G_IO_OUT);
  assert_called (f, &w, G_IO_OUT);
  /* full: no longer writable, and not reported */
  while (write (w.fds[0], block, sizeof (block)) > 0);
  g_assert_cmpint (errno, ==, EAGAIN);
  assert_quiet (f, &w);
  /* the peer reads: writable again */
  drain (w.fds[1]);
  assert_called (f, &w, G_IO_OUT);
  watched_close (&w);
}

/* Turns G_IO_OUT off the first time it is writable. */
static void
on_ready_out_once (GstGenesysPollerWatch * watch, gint fd,
    GIOCondition ready, gpointer data)
{
  on_ready (watch, fd, ready, data);
  if (ready & G_IO_OUT)
    gst_genesys_poller_watch_set_events (watch, G_IO_IN);
}

static void
test_set_events (Fixture * f, gconstpointer data)
{
  Watched w;

  watched_open (f, &w, G_IO_IN);
  /* readable (a byte waits) and writable at once */
  send_byte (w.fds[1]);
  assert_called (f, &w, G_IO_IN);
  gst_genesys_poller_watch_set_events (w.watch, G_IO_OUT);
  assert_called (f, &w, G_IO_OUT);
  gst_genesys_poller_watch_set_events (w.watch, G_IO_IN);
  assert_called (f, &w, G_IO_IN);
  gst_genesys_poller_watch_set_events (w.watch, G_IO_IN | G_IO_OUT);
  assert_called (f, &w, G_IO_IN | G_IO_OUT);
  /* nothing asked: not called, though readable and writable */
  gst_genesys_poller_watch_set_events (w.watch, 0);
  assert_quiet (f, &w);

  /* from its own callback: the next round reports IN alone */
  gst_genesys_poller_watch_remove (w.watch);
  w.watch = gst_genesys_poller_watch (f->poller, w.fds[0],
      G_IO_IN | G_IO_OUT, on_ready_out_once, &w.seen);
  assert_called (f, &w, G_IO_IN | G_IO_OUT);
  assert_called (f, &w, G_IO_IN);
  watched_close (&w);
}

static void
test_hup (Fixture * f, gconstpointer data)
{
  Watched a, b;

  /* nothing asked: the hang-up alone */
  watched_open (f, &a, 0);
  watched_open (f, &b, G_IO_IN);
  assert_quiet (f, &a);
  close (a.fds[1]);
  close (b.fds[1]);
  a.fds[1] = b.fds[1] = -1;
  assert_called (f, &a, G_IO_HUP);
  g_assert_cmpint (b.seen.calls, ==, 1);
  g_assert_cmpuint (b.seen.last, ==, G_IO_IN | G_IO_HUP);
  watched_close (&a);
  watched_close (&b);
}

/* TCP on loopback */

/* A non-blocking TCP socket bound to 127.0.0.1 and a free port. */
static gint
tcp_bound (struct sockaddr_in *addr)
{
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  socklen_t len = sizeof (*addr);

  g_assert_cmpint (fd, >=, 0);
  memset (addr, 0, sizeof (*addr));
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) addr, len), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) addr, &len), ==, 0);
  return fd;
}

/* A non-blocking connect to @addr, under way. */
static gint
tcp_connecting (const struct sockaddr_in *addr)
{
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  gint r = connect (fd, (const struct sockaddr *) addr, sizeof (*addr));

  g_assert_true (r == 0 || errno == EINPROGRESS);
  return fd;
}

typedef struct
{
  GstGenesysPoller *poller;
  gint accepted;                /* the server's side, -1 until accepted */
  GstGenesysPollerWatch *conn;
  Seen conn_seen;
  gint steps;
} Server;

/* The server's side: reads; at the end of the stream, shuts its own side
 * down, which makes the hang-up whole. */
static void
on_conn (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  Server *server = data;

  on_ready (watch, fd, ready, &server->conn_seen);
  if (server->conn_seen.got < 0 && !(ready & G_IO_HUP))
    g_assert_cmpint (shutdown (fd, SHUT_WR), ==, 0);
  server->steps++;
}

static void
on_listener (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  Server *server = data;

  g_assert_cmpuint (ready, ==, G_IO_IN);
  server->accepted = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  g_assert_cmpint (server->accepted, >=, 0);
  server->conn = gst_genesys_poller_watch (server->poller, server->accepted,
      G_IO_IN, on_conn, server);
  server->conn_seen.consume = TRUE;
  gst_genesys_poller_watch_remove (watch);
  server->steps++;
}

static void
test_tcp (Fixture * f, gconstpointer data)
{
  struct sockaddr_in addr;
  gint listener = tcp_bound (&addr), client;
  Server server = { f->poller, -1 };
  Seen client_seen = { 0 };
  GstGenesysPollerWatch *cw;
  gint err = -1, i;
  socklen_t len = sizeof (err);

  g_assert_cmpint (listen (listener, 8), ==, 0);
  gst_genesys_poller_watch (f->poller, listener, G_IO_IN, on_listener, &server);
  client = tcp_connecting (&addr);
  cw = gst_genesys_poller_watch (f->poller, client, G_IO_OUT, on_ready,
      &client_seen);
  g_assert_true (iterate_until (f->context, &client_seen.calls, 1, 5000));
  g_assert_cmpuint (client_seen.last, ==, G_IO_OUT);
  g_assert_cmpint (getsockopt (client, SOL_SOCKET, SO_ERROR, &err, &len), ==,
      0);
  g_assert_cmpint (err, ==, 0);
  /* connected: writable on every round from now on, so no longer asked */
  gst_genesys_poller_watch_set_events (cw, 0);
  g_assert_true (iterate_until (f->context, &server.steps, 1, 5000));
  g_assert_cmpint (server.accepted, >=, 0);

  g_assert_cmpint (write (client, "hello", 5), ==, 5);
  g_assert_true (iterate_until (f->context, &server.steps, 2, 5000));
  g_assert_cmpint (server.conn_seen.got, ==, 5);
  g_assert_cmpuint (server.conn_seen.last, ==, G_IO_IN);

  /* the client leaves: the end of the stream, then (both sides shut) the
   * hang-up */
  gst_genesys_poller_watch_remove (cw);
  close (client);
  g_assert_true (iterate_until (f->context, &server.steps, 3, 5000));
  g_assert_cmpint (server.conn_seen.got, ==, -1);
  for (i = 0; i < 10 && !(server.conn_seen.last & G_IO_HUP); i++) {
    server.steps = 0;
    g_assert_true (iterate_until (f->context, &server.steps, 1, 5000));
  }
  g_assert_true (server.conn_seen.last & G_IO_HUP);

  gst_genesys_poller_watch_remove (server.conn);
  close (server.accepted);
  close (listener);
}

static void
test_tcp_refused (Fixture * f, gconstpointer data)
{
  struct sockaddr_in addr;
  /* bound and not listening: a connect to it is refused */
  gint bound = tcp_bound (&addr), client = tcp_connecting (&addr);
  Seen seen = { 0 };
  GstGenesysPollerWatch *watch;
  gint err = 0;
  socklen_t len = sizeof (err);

  watch = gst_genesys_poller_watch (f->poller, client, G_IO_OUT, on_ready,
      &seen);
  g_assert_true (iterate_until (f->context, &seen.calls, 1, 5000));
  g_assert_true (seen.last & G_IO_ERR);
  g_assert_cmpint (getsockopt (client, SOL_SOCKET, SO_ERROR, &err, &len), ==,
      0);
  g_assert_cmpint (err, ==, ECONNREFUSED);

  gst_genesys_poller_watch_remove (watch);
  close (client);
  close (bound);
}

static void
test_refused_descriptors (Fixture * f, gconstpointer data)
{
  Watched w;

  watched_open (f, &w, G_IO_IN);
  /* twice the same, and one not open */
  g_assert_null (gst_genesys_poller_watch (f->poller, w.fds[0], G_IO_IN,
          on_ready, &w.seen));
  g_assert_null (gst_genesys_poller_watch (f->poller, 100000, G_IO_IN,
          on_ready, &w.seen));
  watched_close (&w);
}

/* Removal */

static void
on_ready_remove_self (GstGenesysPollerWatch * watch, gint fd,
    GIOCondition ready, gpointer data)
{
  gint *fds = data;

  fds[2]++;
  /* removed and closed from its own callback */
  gst_genesys_poller_watch_remove (watch);
  close_pair (fds);
}

static void
test_remove_self (Fixture * f, gconstpointer data)
{
  gint fds[3] = { -1, -1, 0 };  /* the pair, the calls */

  make_pair (fds);
  gst_genesys_poller_watch (f->poller, fds[0], G_IO_IN,
      on_ready_remove_self, fds);
  send_byte (fds[1]);
  g_assert_true (round_now (f));
  g_assert_cmpint (fds[2], ==, 1);
  g_assert_false (round_now (f));
  g_assert_cmpint (fds[2], ==, 1);
}

typedef struct
{
  GstGenesysPoller *poller;
  gint pairs[2][2];
  GstGenesysPollerWatch *watches[2];
  gint calls;
  gint fresh[2];
  Seen fresh_seen;
  GstGenesysPollerWatch *fresh_watch;
} Rivals;

/* Removes the other watch (ready in this round too) and closes its pair;
 * then watches a new pair, likely on the descriptors just closed. */
static void
on_ready_remove_other (GstGenesysPollerWatch * watch, gint fd,
    GIOCondition ready, gpointer data)
{
  Rivals *r = data;
  gint other = watch == r->watches[0] ? 1 : 0;

  r->calls++;
  drain (fd);
  gst_genesys_poller_watch_remove (r->watches[other]);
  r->watches[other] = NULL;
  close_pair (r->pairs[other]);
  make_pair (r->fresh);
  r->fresh_seen.consume = TRUE;
  r->fresh_watch = gst_genesys_poller_watch (r->poller, r->fresh[0],
      G_IO_IN, on_ready, &r->fresh_seen);
  send_byte (r->fresh[1]);
}

static void
test_remove_other (Fixture * f, gconstpointer data)
{
  Rivals r = { f->poller };
  gint i, left;

  for (i = 0; i < 2; i++) {
    make_pair (r.pairs[i]);
    r.watches[i] = gst_genesys_poller_watch (f->poller, r.pairs[i][0],
        G_IO_IN, on_ready_remove_other, &r);
  }
  send_byte (r.pairs[0][1]);
  send_byte (r.pairs[1][1]);
  g_assert_true (round_now (f));
  /* whichever came first, the other was never called */
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpint (r.fresh_seen.calls, ==, 0);
  /* the new watch is called on the next round, the removed one never */
  g_assert_true (round_now (f));
  g_assert_cmpint (r.calls, ==, 1);
  g_assert_cmpint (r.fresh_seen.calls, ==, 1);
  g_assert_false (round_now (f));

  left = r.watches[0] ? 0 : 1;
  gst_genesys_poller_watch_remove (r.watches[left]);
  close_pair (r.pairs[left]);
  gst_genesys_poller_watch_remove (r.fresh_watch);
  close_pair (r.fresh);
}

#define N_PAIRS 1000

static void
test_thousand_pairs (Fixture * f, gconstpointer data)
{
  Pair *pairs = g_new (Pair, N_PAIRS);
  Seen *seen = g_new0 (Seen, N_PAIRS);
  GstGenesysPollerWatch **watches = g_new (GstGenesysPollerWatch *, N_PAIRS);
  gint written[3], i, calls = 0, rounds = 0;

  if (!allow_descriptors (2 * N_PAIRS)) {
    g_test_skip ("not enough descriptors allowed");
    goto out;
  }
  for (i = 0; i < N_PAIRS; i++) {
    make_pair (pairs[i]);
    seen[i].consume = TRUE;
    watches[i] = gst_genesys_poller_watch (f->poller, pairs[i][0], G_IO_IN,
        on_ready, &seen[i]);
  }
  written[0] = g_test_rand_int_range (0, N_PAIRS);
  do
    written[1] = g_test_rand_int_range (0, N_PAIRS);
  while (written[1] == written[0]);
  do
    written[2] = g_test_rand_int_range (0, N_PAIRS);
  while (written[2] == written[0] || written[2] == written[1]);
  for (i = 0; i < 3; i++)
    send_byte (pairs[written[i]][1]);

  while (round_now (f))
    g_assert_cmpint (++rounds, <, 10);
  for (i = 0; i < N_PAIRS; i++)
    calls += seen[i].calls;
  g_assert_cmpint (calls, ==, 3);
  for (i = 0; i < 3; i++) {
    g_assert_cmpint (seen[written[i]].calls, ==, 1);
    g_assert_cmpint (seen[written[i]].got, ==, 1);
  }

  for (i = 0; i < N_PAIRS; i++) {
    gst_genesys_poller_watch_remove (watches[i]);
    close_pair (pairs[i]);
  }
out:
  g_free (watches);
  g_free (seen);
  g_free (pairs);
}

/* Timers */

typedef struct
{
  gint fired[16];               /* ids, in the order they fired */
  gint n;
} Log;

typedef struct
{
  Log *log;
  gint id;
  GstGenesysPollerTimer *timer;
  gint rearm;                   /* how many times it sets itself again */
  gint64 rearm_to;              /* at that deadline, or now when 0 */
  gboolean free_self;           /* once it no longer sets itself again */
  GstGenesysPollerTimer **free_other;
} Tick;

static void
on_tick (GstGenesysPollerTimer * timer, gpointer data)
{
  Tick *t = data;

  g_assert_true (timer == t->timer);
  /* one-shot: disarmed before its callback */
  g_assert_cmpint (gst_genesys_poller_timer_get (timer), ==, -1);
  g_assert_cmpint (t->log->n, <, G_N_ELEMENTS (t->log->fired));
  t->log->fired[t->log->n++] = t->id;
  if (t->free_other) {
    gst_genesys_poller_timer_free (*t->free_other);
    *t->free_other = NULL;
  }
  if (t->rearm > 0) {
    t->rearm--;
    gst_genesys_poller_timer_set (timer,
        t->rearm_to ? t->rearm_to : g_get_monotonic_time ());
  } else if (t->free_self) {
    gst_genesys_poller_timer_free (timer);
    t->timer = NULL;
  }
}

/* A few timers (a tick's id is its place) and what fired */
typedef struct
{
  Tick ticks[8];
  gint n;
  Log log;
  gint64 now;                   /* when they were made */
} Ticks;

static void
ticks_init (Fixture * f, Ticks * t, gint n)
{
  gint i;

  memset (t, 0, sizeof (*t));
  g_assert_cmpint (n, <=, G_N_ELEMENTS (t->ticks));
  t->n = n;
  t->now = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    t->ticks[i].log = &t->log;
    t->ticks[i].id = i;
    t->ticks[i].timer = gst_genesys_poller_timer_new (f->poller, on_tick,
        &t->ticks[i]);
    g_assert_cmpint (gst_genesys_poller_timer_get (t->ticks[i].timer), ==, -1);
  }
}

/* Sets tick @i @ms after they were made. */
static void
tick_at (Ticks * t, gint i, gint64 ms)
{
  gst_genesys_poller_timer_set (t->ticks[i].timer, t->now + ms * MS);
}

static void
ticks_free (Ticks * t)
{
  gint i;

  for (i = 0; i < t->n; i++)
    if (t->ticks[i].timer)
      gst_genesys_poller_timer_free (t->ticks[i].timer);
}

static void
assert_fired (const Log * log, const gint * ids, gint n)
{
  gint i;

  g_assert_cmpint (log->n, ==, n);
  for (i = 0; i < n; i++)
    g_assert_cmpint (log->fired[i], ==, ids[i]);
}

static void
test_timer_order (Fixture * f, gconstpointer data)
{
  Ticks t;
  /* in this order, in this many ms: equal deadlines fire in the order
   * they were set */
  const gint set[] = { 0, 1, 2, 5, 3, 4 };
  const gint64 after[] = { 30, 10, 20, 40, 40, 40 };
  const gint order[] = { 1, 2, 0, 5, 3, 4 };
  gint i;

  ticks_init (f, &t, 6);
  for (i = 0; i < 6; i++) {
    GstGenesysPollerTimer *timer = t.ticks[set[i]].timer;

    gst_genesys_poller_timer_set (timer, t.now + after[i] * MS);
    g_assert_cmpint (gst_genesys_poller_timer_get (timer), ==,
        t.now + after[i] * MS);
  }
  g_assert_true (iterate_until (f->context, &t.log.n, 6, 5000));
  assert_fired (&t.log, order, 6);
  g_assert_cmpint (g_get_monotonic_time (), >=, t.now + 40 * MS);
  g_assert_cmpint (gst_genesys_poller_timer_get (t.ticks[0].timer), ==, -1);
  ticks_free (&t);
}

static void
test_timer_move (Fixture * f, gconstpointer data)
{
  Ticks t;
  const gint order[] = { 2, 1, 0 };

  ticks_init (f, &t, 4);
  tick_at (&t, 0, 10);
  tick_at (&t, 1, 20);
  /* later */
  tick_at (&t, 0, 30);
  g_assert_cmpint (gst_genesys_poller_timer_get (t.ticks[0].timer), ==,
      t.now + 30 * MS);
  /* earlier: from an hour away to before the others */
  gst_genesys_poller_timer_set (t.ticks[2].timer, t.now + HOUR);
  tick_at (&t, 2, 5);
  /* set, then moved an hour away: does not fire with the others */
  tick_at (&t, 3, 15);
  gst_genesys_poller_timer_set (t.ticks[3].timer, t.now + HOUR);
  g_assert_true (iterate_until (f->context, &t.log.n, 3, 5000));
  iterate_for (f->context, 30);
  assert_fired (&t.log, order, 3);
  g_assert_cmpint (gst_genesys_poller_timer_get (t.ticks[3].timer), ==,
      t.now + HOUR);
  ticks_free (&t);
}

static void
test_timer_disarm (Fixture * f, gconstpointer data)
{
  Ticks t;

  ticks_init (f, &t, 2);
  tick_at (&t, 0, 10);
  gst_genesys_poller_timer_set (t.ticks[0].timer, -1);
  g_assert_cmpint (gst_genesys_poller_timer_get (t.ticks[0].timer), ==, -1);
  /* due already, and disarmed before a round could fire it */
  tick_at (&t, 1, -10);
  gst_genesys_poller_timer_set (t.ticks[1].timer, -1);
  /* disarming a disarmed timer does nothing */
  gst_genesys_poller_timer_set (t.ticks[1].timer, -1);
  iterate_for (f->context, 50);
  g_assert_cmpint (t.log.n, ==, 0);
  ticks_free (&t);
}

static void
test_timer_free_in_callback (Fixture * f, gconstpointer data)
{
  Ticks t;
  const gint order[] = { 0, 2, 2, 2 };

  ticks_init (f, &t, 3);
  /* 0 frees itself and 1, which is due in the same round */
  t.ticks[0].free_self = TRUE;
  t.ticks[0].free_other = &t.ticks[1].timer;
  tick_at (&t, 0, -2);
  tick_at (&t, 1, -1);
  /* 2 sets itself again twice, then frees itself */
  t.ticks[2].rearm = 2;
  t.ticks[2].free_self = TRUE;
  gst_genesys_poller_timer_set (t.ticks[2].timer, t.now);
  g_assert_true (round_now (f));
  g_assert_true (iterate_until (f->context, &t.log.n, 4, 5000));
  iterate_for (f->context, 20);
  assert_fired (&t.log, order, 4);
  g_assert_null (t.ticks[0].timer);
  g_assert_null (t.ticks[1].timer);
  g_assert_null (t.ticks[2].timer);
}

/* A callback that keeps setting a deadline in the past fires once a
 * round, and other sources still run. */
static void
test_timer_past_rearm (Fixture * f, gconstpointer data)
{
  Ticks t;
  gint i;

  ticks_init (f, &t, 1);
  t.ticks[0].rearm = 5;
  t.ticks[0].rearm_to = 1;
  gst_genesys_poller_timer_set (t.ticks[0].timer, 1);
  for (i = 1; i <= 3; i++) {
    g_assert_true (round_now (f));
    g_assert_cmpint (t.log.n, ==, i);
  }
  /* disarmed: at most one more round (that finds nothing due) */
  gst_genesys_poller_timer_set (t.ticks[0].timer, -1);
  round_now (f);
  g_assert_false (round_now (f));
  g_assert_cmpint (t.log.n, ==, 3);
  ticks_free (&t);
}

static void
test_timer_from_watch (Fixture * f, gconstpointer data)
{
  Ticks t;
  Watched w;
  gint rounds = 0;

  ticks_init (f, &t, 1);
  watched_open (f, &w, G_IO_IN);
  w.seen.consume = TRUE;
  w.seen.arm = t.ticks[0].timer;
  send_byte (w.fds[1]);
  /* the round of the watch, or the next one */
  while (t.log.n == 0 && rounds < 2) {
    round_now (f);
    rounds++;
  }
  g_assert_cmpint (w.seen.calls, ==, 1);
  g_assert_cmpint (t.log.n, ==, 1);
  g_test_message ("a timer set for now by a watch fired after %d round(s)",
      rounds);

  /* set for now outside any round: fires on the next one */
  gst_genesys_poller_timer_set (t.ticks[0].timer, g_get_monotonic_time ());
  g_assert_true (round_now (f));
  g_assert_cmpint (t.log.n, ==, 2);

  watched_close (&w);
  ticks_free (&t);
}

/* Many timers: the heap */

#define N_TIMERS 10000

enum
{ ARMED, DISARMED, FREED, FIRED };

typedef struct
{
  gint64 last;                  /* the deadline that fired last */
  gint fired;
} Many;

typedef struct
{
  Many *many;
  GstGenesysPollerTimer *timer;
  gint64 deadline;
  gint state;
} ManyTimer;

static void
on_many (GstGenesysPollerTimer * timer, gpointer data)
{
  ManyTimer *m = data;

  g_assert_cmpint (m->state, ==, ARMED);
  g_assert_cmpint (m->deadline, >=, m->many->last);
  g_assert_cmpint (g_get_monotonic_time (), >=, m->deadline);
  m->many->last = m->deadline;
  m->many->fired++;
  m->state = FIRED;
}

static void
many_set (ManyTimer * m, gint64 base)
{
  /* a fifth of them due already */
  m->deadline = base + g_test_rand_int_range (-25000, 100000);
  gst_genesys_poller_timer_set (m->timer, m->deadline);
  m->state = ARMED;
}

static void
test_many_timers (Fixture * f, gconstpointer data)
{
  ManyTimer *timers = g_new0 (ManyTimer, N_TIMERS);
  Many many = { 0 };
  gint64 base = g_get_monotonic_time () + 20 * MS;
  gint i, armed = 0;

  for (i = 0; i < N_TIMERS; i++) {
    timers[i].many = &many;
    timers[i].timer = gst_genesys_poller_timer_new (f->poller, on_many,
        &timers[i]);
    many_set (&timers[i], base);
  }
  /* moved, disarmed and freed at random, all over the heap */
  for (i = 0; i < N_TIMERS / 2; i++) {
    ManyTimer *m = &timers[g_test_rand_int_range (0, N_TIMERS)];
    gint what = g_test_rand_int_range (0, 4);

    if (m->state == FREED)
      continue;
    if (what == 0) {
      gst_genesys_poller_timer_set (m->timer, -1);
      m->state = DISARMED;
    } else if (what == 1) {
      gst_genesys_poller_timer_free (m->timer);
      m->timer = NULL;
      m->state = FREED;
    } else {
      many_set (m, base);
    }
  }
  for (i = 0; i < N_TIMERS; i++)
    armed += timers[i].state == ARMED;
  g_test_message ("%d of %d timers armed", armed, N_TIMERS);

  g_assert_true (iterate_until (f->context, &many.fired, armed, 10000));
  iterate_for (f->context, 20);
  g_assert_cmpint (many.fired, ==, armed);
  for (i = 0; i < N_TIMERS; i++) {
    g_assert_cmpint (timers[i].state, !=, ARMED);
    if (timers[i].timer)
      gst_genesys_poller_timer_free (timers[i].timer);
  }
  g_free (timers);
}

/* Freeing the poller */

static void
test_free_live (Fixture * f, gconstpointer data)
{
  gint fds[2][2], i;
  Seen seen = { 0 };
  Ticks t;

  for (i = 0; i < 2; i++) {
    make_pair (fds[i]);
    gst_genesys_poller_watch (f->poller, fds[i][0], G_IO_IN | G_IO_OUT,
        on_ready, &seen);
    send_byte (fds[i][1]);
  }
  ticks_init (f, &t, 3);
  gst_genesys_poller_timer_set (t.ticks[0].timer, 0);
  gst_genesys_poller_timer_set (t.ticks[1].timer, g_get_monotonic_time ());
  /* t.ticks[2] never set */

  gst_genesys_poller_free (f->poller);
  f->poller = NULL;
  g_assert_false (round_now (f));
  iterate_for (f->context, 20);
  g_assert_cmpint (seen.calls, ==, 0);
  g_assert_cmpint (t.log.n, ==, 0);
  for (i = 0; i < 2; i++)
    close_pair (fds[i]);
}

typedef struct
{
  Fixture *f;
  gint calls;
} Freer;

static void
on_ready_free_poller (GstGenesysPollerWatch * watch, gint fd,
    GIOCondition ready, gpointer data)
{
  Freer *freer = data;

  freer->calls++;
  gst_genesys_poller_free (freer->f->poller);
  freer->f->poller = NULL;
}

static void
test_free_in_callback (Fixture * f, gconstpointer data)
{
  gint fds[2][2], i;
  Freer freer = { f };
  Ticks t;

  ticks_init (f, &t, 1);
  gst_genesys_poller_timer_set (t.ticks[0].timer, 0);
  for (i = 0; i < 2; i++) {
    make_pair (fds[i]);
    gst_genesys_poller_watch (f->poller, fds[i][0], G_IO_IN,
        on_ready_free_poller, &freer);
    send_byte (fds[i][1]);
  }
  g_assert_true (round_now (f));
  g_assert_cmpint (freer.calls, ==, 1);
  g_assert_cmpint (t.log.n, ==, 0);
  g_assert_null (f->poller);
  g_assert_false (round_now (f));
  for (i = 0; i < 2; i++)
    close_pair (fds[i]);
}

/* On a loop's thread */

typedef struct
{
  GstGenesysLoop *loop;
  gint fds[2];
  GstGenesysPollerTimer *timer, *far;
  GMutex lock;
  GCond cond;
  gint reads, ticks;
  gboolean elsewhere;           /* a callback ran off the loop's thread */
} OnLoop;

static void
on_loop_tick (GstGenesysPollerTimer * timer, gpointer data)
{
  OnLoop *l = data;

  g_mutex_lock (&l->lock);
  l->elsewhere |= !gst_genesys_loop_is_current (l->loop);
  l->ticks++;
  g_cond_signal (&l->cond);
  g_mutex_unlock (&l->lock);
}

static void
on_loop_ready (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  OnLoop *l = data;

  drain (fd);
  gst_genesys_poller_timer_set (l->timer, g_get_monotonic_time () + MS);
  g_mutex_lock (&l->lock);
  l->elsewhere |= !gst_genesys_loop_is_current (l->loop);
  l->reads++;
  g_mutex_unlock (&l->lock);
}

static gboolean
on_loop_set_up (gpointer data)
{
  OnLoop *l = data;
  GstGenesysPoller *poller = gst_genesys_loop_get_poller (l->loop);

  g_assert_nonnull (poller);
  g_assert_nonnull (gst_genesys_poller_watch (poller, l->fds[0], G_IO_IN,
          on_loop_ready, l));
  l->timer = gst_genesys_poller_timer_new (poller, on_loop_tick, l);
  l->far = gst_genesys_poller_timer_new (poller, on_loop_tick, l);
  gst_genesys_poller_timer_set (l->far, g_get_monotonic_time () + HOUR);
  return G_SOURCE_REMOVE;
}

static void
test_loop (void)
{
  OnLoop l = { 0 };
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_mutex_init (&l.lock);
  g_cond_init (&l.cond);
  make_pair (l.fds);
  l.loop = gst_genesys_loop_new ("poller-test");
  gst_genesys_loop_invoke_sync (l.loop, on_loop_set_up, &l);
  send_byte (l.fds[1]);
  g_mutex_lock (&l.lock);
  while (l.ticks == 0 && g_cond_wait_until (&l.cond, &l.lock, end));
  g_assert_cmpint (l.reads, ==, 1);
  g_assert_cmpint (l.ticks, ==, 1);
  g_assert_false (l.elsewhere);
  g_mutex_unlock (&l.lock);

  /* the watch and the far timer are still there: the loop frees them */
  gst_genesys_loop_unref (l.loop);
  close_pair (l.fds);
  g_mutex_clear (&l.lock);
  g_cond_clear (&l.cond);
}

/* What a round costs beside idle watches */

#define ROUNDS 100000

static void
on_idle_ready (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  g_assert_not_reached ();
}

/* Seconds for @rounds rounds, each with one byte on an active pair,
 * beside @idle watches whose descriptors never get anything. */
static gdouble
time_rounds (guint idle, guint rounds)
{
  Fixture f;
  Pair *pairs = g_new (Pair, idle + 1);
  GstGenesysPollerWatch **watches = g_new (GstGenesysPollerWatch *, idle + 1);
  Seen seen = { 0 };
  gint64 start, end;
  guint i;

  fixture_set_up (&f, NULL);
  for (i = 0; i <= idle; i++) {
    make_pair (pairs[i]);
    watches[i] = gst_genesys_poller_watch (f.poller, pairs[i][0], G_IO_IN,
        i == idle ? on_ready : on_idle_ready, &seen);
  }
  seen.consume = TRUE;
  start = g_get_monotonic_time ();
  for (i = 0; i < rounds; i++) {
    send_byte (pairs[idle][1]);
    g_main_context_iteration (f.context, FALSE);
  }
  end = g_get_monotonic_time ();
  g_assert_cmpint (seen.calls, ==, rounds);
  g_assert_cmpint (seen.got, ==, rounds);

  for (i = 0; i <= idle; i++) {
    gst_genesys_poller_watch_remove (watches[i]);
    close_pair (pairs[i]);
  }
  fixture_tear_down (&f, NULL);
  g_free (watches);
  g_free (pairs);
  return (end - start) / (gdouble) G_USEC_PER_SEC;
}

static void
test_idle_cost (void)
{
  gdouble many, few;

  if (!allow_descriptors (2 * 2001)) {
    g_test_skip ("not enough descriptors allowed");
    return;
  }
  many = time_rounds (2000, ROUNDS);
  few = time_rounds (20, ROUNDS);
  g_test_message ("%d dispatch rounds, one active pair: %.3f s beside 2000 "
      "idle watches, %.3f s beside 20 (%.2f us and %.2f us a round)", ROUNDS,
      many, few, many * 1e6 / ROUNDS, few * 1e6 / ROUNDS);
}

/* A source that is ready only after the poll (as an invoke from another
 * thread that lands while the loop polls): it goes before the poller's
 * round in that iteration. */
static gboolean
late_prepare (GSource * source, gint * timeout)
{
  *timeout = -1;
  return FALSE;
}

static gboolean
late_check (GSource * source)
{
  return TRUE;
}

static gboolean
late_dispatch (GSource * source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs late_funcs = { late_prepare, late_check, late_dispatch,
  NULL
};

static gboolean
remove_watch_cb (gpointer data)
{
  GstGenesysPollerWatch **watch = data;

  gst_genesys_poller_watch_remove (*watch);
  *watch = NULL;
  return G_SOURCE_REMOVE;
}

/* A round that a source of higher priority goes before: a watch it
 * removes is not called for what the poll already got (bound, the poll's
 * events wait for the round), another one is. */
static void
test_removed_before_round (Fixture * f, gconstpointer data)
{
  Pair a, b;
  Seen seen_a = { 0 }, seen_b = { 0 };
  GstGenesysPollerWatch *watch_a, *watch_b;
  GSource *idle;
  guint i;

  make_pair (a);
  make_pair (b);
  seen_a.consume = seen_b.consume = TRUE;
  watch_a = gst_genesys_poller_watch (f->poller, a[0], G_IO_IN, on_ready,
      &seen_a);
  watch_b = gst_genesys_poller_watch (f->poller, b[0], G_IO_IN, on_ready,
      &seen_b);
  send_byte (a[1]);
  send_byte (b[1]);
  idle = g_source_new (&late_funcs, sizeof (GSource));
  g_source_set_priority (idle, G_PRIORITY_HIGH);
  g_source_set_callback (idle, remove_watch_cb, &watch_a, NULL);
  g_source_attach (idle, f->context);
  g_source_unref (idle);
  for (i = 0; i < 4; i++)
    round_now (f);
  g_assert_null (watch_a);
  g_assert_cmpint (seen_a.calls, ==, 0);
  g_assert_cmpint (seen_b.calls, ==, 1);
  g_assert_cmpint (seen_b.got, ==, 1);
  gst_genesys_poller_watch_remove (watch_b);
  close_pair (a);
  close_pair (b);
}

typedef void (*FixtureTest) (Fixture * f, gconstpointer data);

static const struct
{
  const gchar *name;
  FixtureTest func;
} fixture_tests[] = {
  {"readable", test_readable},
  {"writable", test_writable},
  {"set-events", test_set_events},
  {"hup", test_hup},
  {"tcp", test_tcp},
  {"tcp-refused", test_tcp_refused},
  {"refused-descriptors", test_refused_descriptors},
  {"remove-self", test_remove_self},
  {"remove-other", test_remove_other},
  {"thousand-pairs", test_thousand_pairs},
  {"timer-order", test_timer_order},
  {"timer-move", test_timer_move},
  {"timer-disarm", test_timer_disarm},
  {"timer-free-in-callback", test_timer_free_in_callback},
  {"timer-past-rearm", test_timer_past_rearm},
  {"timer-from-watch", test_timer_from_watch},
  {"many-timers", test_many_timers},
  {"free-live", test_free_live},
  {"free-in-callback", test_free_in_callback},
  {"removed-before-round", test_removed_before_round},
};

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (fixture_tests); i++) {
    gchar *path = g_strconcat ("/genesyspoller/", fixture_tests[i].name,
        NULL);

    g_test_add (path, Fixture, NULL, fixture_set_up, fixture_tests[i].func,
        fixture_tear_down);
    g_free (path);
    /* again with the poller making the context's poll */
    path = g_strconcat ("/genesyspoller/bound/", fixture_tests[i].name, NULL);
    g_test_add (path, Fixture, "bound", fixture_set_up,
        fixture_tests[i].func, fixture_tear_down);
    g_free (path);
  }
  g_test_add_func ("/genesyspoller/loop", test_loop);
  g_test_add_func ("/genesyspoller/idle-cost", test_idle_cost);
  return g_test_run ();
}
