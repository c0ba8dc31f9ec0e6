/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One epoll descriptor behind one GSource; timers in a binary min-heap
 * whose top gives the source's poll timeout (prepare).
 *
 * A dispatch is one round: epoll_wait() without waiting, the ready watches
 * called, then the timers that are due fired. A watch removed during a
 * round is marked dead and freed when the round ends, since the round's
 * event array may still name it. A timer is taken off the heap before its
 * callback runs, and the firing loop only ever looks at the top of the heap,
 * so callbacks may set or free any timer. Timers set during the firing are
 * left for the next round, so a callback that keeps setting a deadline in
 * the past cannot hold the thread.
 *
 * The source may recurse and never sets a ready time: GLib blocks a source
 * that may not recurse for its dispatch, taking its descriptors out of the
 * poll set and back, and wakes its own context up on each change (a
 * write to and a read from the wakeup descriptor, and one more poll, per
 * round); a ready time changed outside a blocked dispatch does the same.
 * Timers are read in prepare() instead, which runs before every poll on
 * the thread that changes them. Nothing iterates the context from inside
 * a round; a nested dispatch would return at once.
 *
 * Bound to the thread that runs its context (gst_genesys_poller_bind()),
 * the poller also makes that context's poll: when GLib polls nothing but
 * the epoll descriptor and the context's wakeup descriptor (registered
 * in the epoll set), one blocking epoll_wait() does, and the round
 * dispatches the events it returned; with any other descriptor in the set
 * GLib's own poll runs and the round asks epoll again. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "gstgenesysdebug.h"
#include "gstgenesyspoller.h"

GST_GENESYS_DEBUG_CATEGORY ("genesyspoller",
    "Genesys descriptors and timers on one epoll descriptor");
#define GST_CAT_DEFAULT ensure_debug_category ()

/* ready descriptors taken per round; more stay ready for the next one */
#define MAX_EVENTS 128

typedef struct
{
  GSource source;
  GstGenesysPoller *poller;
} PollerSource;

/* What watches and timers start with: their poller, their place in one of
 * its lists, their callback's data. */
typedef struct
{
  GstGenesysPoller *poller;
  GList link;                   /* data: the watch or timer */
  gpointer user_data;
} Member;

struct _GstGenesysPollerWatch
{
  Member m;                     /* in poller->watches, or poller->dead */
  gint fd;
  GIOCondition events;
  gboolean dead;
  GstGenesysPollerFunc func;
};

struct _GstGenesysPollerTimer
{
  Member m;                     /* in poller->timers */
  gint64 deadline;              /* -1: disarmed, not in the heap */
  guint64 seq;                  /* when it was set: orders equal deadlines */
  guint index;                  /* its place in the heap, when armed */
  GstGenesysPollerTimerFunc func;
};

struct _GstGenesysPoller
{
  GSource *source;
  gint epfd;
  GQueue watches;
  GQueue dead;                  /* removed during this round */
  GQueue timers;                /* all of them, armed or not */
  GstGenesysPollerTimer **heap;
  guint heap_len, heap_size;
  guint64 next_seq;
  gboolean dispatching;
  gboolean freed;               /* gst_genesys_poller_free() was called */
  GMainContext *context;
  gboolean bound;               /* it makes the context's poll */
  gint wakeup_fd;               /* the context's, in the epoll set; -1 */
  guint pending;                /* @events the poll got, for the round */
  struct epoll_event events[MAX_EVENTS];
};

/* The poller bound to this thread (gst_genesys_poller_bind()) */
static GPrivate bound_poller;
/* epoll data of the context's wakeup descriptor */
static const gchar wakeup_tag;

/* The heap */

static inline gboolean
timer_before (const GstGenesysPollerTimer * a, const GstGenesysPollerTimer * b)
{
  return a->deadline < b->deadline || (a->deadline == b->deadline
      && a->seq < b->seq);
}

static inline void
heap_put (GstGenesysPoller * self, GstGenesysPollerTimer * timer, guint i)
{
  self->heap[i] = timer;
  timer->index = i;
}

static void
heap_up (GstGenesysPoller * self, guint i)
{
  GstGenesysPollerTimer *timer = self->heap[i];

  while (i > 0) {
    guint parent = (i - 1) / 2;

    if (!timer_before (timer, self->heap[parent]))
      break;
    heap_put (self, self->heap[parent], i);
    i = parent;
  }
  heap_put (self, timer, i);
}

static void
heap_down (GstGenesysPoller * self, guint i)
{
  GstGenesysPollerTimer *timer = self->heap[i];

  for (;;) {
    guint child = 2 * i + 1;

    if (child >= self->heap_len)
      break;
    if (child + 1 < self->heap_len
        && timer_before (self->heap[child + 1], self->heap[child]))
      child++;
    if (!timer_before (self->heap[child], timer))
      break;
    heap_put (self, self->heap[child], i);
    i = child;
  }
  heap_put (self, timer, i);
}

/* After @timer's deadline changed in place. */
static void
heap_fix (GstGenesysPoller * self, GstGenesysPollerTimer * timer)
{
  heap_up (self, timer->index);
  heap_down (self, timer->index);
}

static void
heap_insert (GstGenesysPoller * self, GstGenesysPollerTimer * timer)
{
  if (self->heap_len == self->heap_size) {
    self->heap_size = MAX (16, self->heap_size * 2);
    self->heap = g_renew (GstGenesysPollerTimer *, self->heap, self->heap_size);
  }
  heap_put (self, timer, self->heap_len++);
  heap_up (self, timer->index);
}

static void
heap_remove (GstGenesysPoller * self, GstGenesysPollerTimer * timer)
{
  GstGenesysPollerTimer *last = self->heap[--self->heap_len];

  timer->deadline = -1;
  if (last == timer)
    return;
  heap_put (self, last, timer->index);
  heap_fix (self, last);
}

/* The earliest deadline, -1: none */
static inline gint64
next_deadline (GstGenesysPoller * self)
{
  return self->heap_len > 0 ? self->heap[0]->deadline : -1;
}

/* A round */

static guint32
epoll_events (GIOCondition events)
{
  return ((events & G_IO_IN) ? EPOLLIN : 0) |
      ((events & G_IO_OUT) ? EPOLLOUT : 0);
}

static GIOCondition
io_condition (guint32 events)
{
  return ((events & EPOLLIN) ? G_IO_IN : 0) |
      ((events & EPOLLOUT) ? G_IO_OUT : 0) |
      ((events & EPOLLHUP) ? G_IO_HUP : 0) |
      ((events & EPOLLERR) ? G_IO_ERR : 0);
}

static void
dispatch_watches (GstGenesysPoller * self)
{
  gint n, i;

  if (self->pending > 0) {
    /* what the poll got (poller_poll) */
    n = self->pending;
    self->pending = 0;
  } else {
    n = epoll_wait (self->epfd, self->events, MAX_EVENTS, 0);
  }
  if (n < 0) {
    if (errno != EINTR)
      GST_WARNING ("epoll_wait: %s", g_strerror (errno));
    return;
  }
  for (i = 0; i < n && !self->freed; i++) {
    GstGenesysPollerWatch *watch = self->events[i].data.ptr;
    GIOCondition ready;

    /* the wakeup is GLib's to read; NULL: removed since the poll */
    if (watch == NULL || watch == (gpointer) & wakeup_tag || watch->dead)
      continue;
    ready = io_condition (self->events[i].events) &
        (watch->events | G_IO_HUP | G_IO_ERR);
    if (ready)
      watch->func (watch, watch->fd, ready, watch->m.user_data);
  }
}

static void
fire_timers (GstGenesysPoller * self)
{
  guint64 round = self->next_seq;
  gint64 now = g_get_monotonic_time ();

  while (self->heap_len > 0 && !self->freed) {
    GstGenesysPollerTimer *timer = self->heap[0];

    if (timer->deadline > now || timer->seq >= round)
      break;
    heap_remove (self, timer);
    timer->func (timer, timer->m.user_data);
  }
}

static void
reap_dead (GstGenesysPoller * self)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&self->dead)))
    g_free (link->data);
}

static void
poller_finalize (GstGenesysPoller * self)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&self->timers)))
    g_free (link->data);
  while ((link = g_queue_pop_head_link (&self->watches)))
    g_free (link->data);
  reap_dead (self);
  if (self->bound) {
    if (g_private_get (&bound_poller) == self)
      g_private_set (&bound_poller, NULL);
    g_main_context_set_poll_func (self->context, NULL);
  }
  g_main_context_unref (self->context);
  close (self->epfd);
  g_free (self->heap);
  g_source_unref (self->source);
  GST_DEBUG ("poller %p freed", self);
  g_free (self);
}

/* Before each poll: ready when a timer is due, else the poll waits at most
 * until the earliest deadline (rounded up to the millisecond). */
static gboolean
poller_prepare (GSource * source, gint * timeout)
{
  GstGenesysPoller *self = ((PollerSource *) source)->poller;
  gint64 next = next_deadline (self), now;

  *timeout = -1;
  /* events a poll got that no round took yet (a source of higher
   * priority went first) */
  if (self->pending > 0) {
    *timeout = 0;
    return TRUE;
  }
  if (next < 0)
    return FALSE;
  now = g_source_get_time (source);
  if (next <= now) {
    *timeout = 0;
    return TRUE;
  }
  *timeout = (gint) MIN ((next - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

/* After the poll: a timer due (the epoll descriptor's readiness GLib
 * checks itself). */
static gboolean
poller_check (GSource * source)
{
  GstGenesysPoller *self = ((PollerSource *) source)->poller;
  gint64 next = next_deadline (self);

  return next >= 0 && next <= g_source_get_time (source);
}

static gboolean
poller_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  GstGenesysPoller *self = ((PollerSource *) source)->poller;

  if (self->dispatching)
    return G_SOURCE_CONTINUE;
  self->dispatching = TRUE;
  dispatch_watches (self);
  if (!self->freed)
    fire_timers (self);
  self->dispatching = FALSE;
  if (self->freed) {
    poller_finalize (self);
    return G_SOURCE_REMOVE;
  }
  reap_dead (self);
  return G_SOURCE_CONTINUE;
}

/* The context's poll, on the thread the poller is bound to. */
static gint
poller_poll (GPollFD * fds, guint nfds, gint timeout)
{
  GstGenesysPoller *self = g_private_get (&bound_poller);
  GPollFD *ep, *wake;
  guint kept = 0;
  gint n, i;

  if (self == NULL || self->freed || self->pending > 0 || nfds != 2)
    return g_poll (fds, nfds, timeout);
  ep = fds[0].fd == self->epfd ? &fds[0] : &fds[1];
  wake = ep == &fds[0] ? &fds[1] : &fds[0];
  if (ep->fd != self->epfd || wake->events != G_IO_IN)
    return g_poll (fds, nfds, timeout);
  if (wake->fd != self->wakeup_fd) {
    struct epoll_event ev = { 0 };

    ev.events = EPOLLIN;
    ev.data.ptr = (gpointer) & wakeup_tag;
    if (self->wakeup_fd >= 0
        || epoll_ctl (self->epfd, EPOLL_CTL_ADD, wake->fd, &ev) < 0)
      return g_poll (fds, nfds, timeout);
    self->wakeup_fd = wake->fd;
  }
  ep->revents = wake->revents = 0;
  n = epoll_wait (self->epfd, self->events, MAX_EVENTS, timeout);
  if (n < 0)
    return n;
  for (i = 0; i < n; i++) {
    if (self->events[i].data.ptr == (gpointer) & wakeup_tag)
      wake->revents = G_IO_IN;
    else
      self->events[kept++] = self->events[i];
  }
  self->pending = kept;
  if (kept > 0)
    ep->revents = G_IO_IN;
  return (ep->revents != 0) + (wake->revents != 0);
}

static GSourceFuncs poller_funcs = {
  poller_prepare, poller_check, poller_dispatch, NULL,
};

GstGenesysPoller *
gst_genesys_poller_new (GMainContext * context)
{
  GstGenesysPoller *self = g_new0 (GstGenesysPoller, 1);

  self->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epfd < 0)
    /* as GLib does when it cannot make a context's wakeup descriptor */
    g_error ("epoll_create1: %s", g_strerror (errno));
  g_queue_init (&self->watches);
  g_queue_init (&self->dead);
  g_queue_init (&self->timers);
  self->wakeup_fd = -1;
  self->context = g_main_context_ref (context);
  self->source = g_source_new (&poller_funcs, sizeof (PollerSource));
  ((PollerSource *) self->source)->poller = self;
  g_source_set_static_name (self->source, "GstGenesysPoller");
  g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
  g_source_set_can_recurse (self->source, TRUE);
  g_source_add_unix_fd (self->source, self->epfd, G_IO_IN);
  g_source_attach (self->source, context);
  GST_DEBUG ("poller %p: epoll descriptor %d", self, self->epfd);
  return self;
}

void
gst_genesys_poller_bind (GstGenesysPoller * poller)
{
  g_return_if_fail (poller != NULL && !poller->bound);

  poller->bound = TRUE;
  g_private_set (&bound_poller, poller);
  g_main_context_set_poll_func (poller->context, poller_poll);
}

void
gst_genesys_poller_free (GstGenesysPoller * poller)
{
  g_return_if_fail (poller != NULL);
  g_return_if_fail (!poller->freed);

  poller->freed = TRUE;
  g_source_destroy (poller->source);
  if (!poller->dispatching)
    poller_finalize (poller);
  /* else the round under way stops at once and finalizes it */
}

/* Watches and timers */

/* A new watch or timer (@size: which), at the end of @list. */
static gpointer
member_new (gsize size, GstGenesysPoller * poller, GQueue * list,
    gpointer user_data)
{
  Member *m = g_malloc0 (size);

  m->poller = poller;
  m->user_data = user_data;
  m->link.data = m;
  g_queue_push_tail_link (list, &m->link);
  return m;
}

GstGenesysPollerWatch *
gst_genesys_poller_watch (GstGenesysPoller * poller, gint fd,
    GIOCondition events, GstGenesysPollerFunc func, gpointer user_data)
{
  GstGenesysPollerWatch *watch;
  struct epoll_event ev;

  g_return_val_if_fail (poller != NULL && !poller->freed, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  watch = member_new (sizeof (GstGenesysPollerWatch), poller,
      &poller->watches, user_data);
  watch->fd = fd;
  watch->events = events & (G_IO_IN | G_IO_OUT);
  watch->func = func;
  memset (&ev, 0, sizeof (ev));
  ev.events = epoll_events (watch->events);
  ev.data.ptr = watch;
  if (epoll_ctl (poller->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    GST_WARNING ("poller %p: cannot watch descriptor %d: %s", poller, fd,
        g_strerror (errno));
    g_queue_unlink (&poller->watches, &watch->m.link);
    g_free (watch);
    return NULL;
  }
  return watch;
}

void
gst_genesys_poller_watch_set_events (GstGenesysPollerWatch * watch,
    GIOCondition events)
{
  struct epoll_event ev;

  g_return_if_fail (watch != NULL && !watch->dead);

  events &= G_IO_IN | G_IO_OUT;
  if (events == watch->events)
    return;
  memset (&ev, 0, sizeof (ev));
  ev.events = epoll_events (events);
  ev.data.ptr = watch;
  if (epoll_ctl (watch->m.poller->epfd, EPOLL_CTL_MOD, watch->fd, &ev) < 0) {
    GST_WARNING ("poller %p: descriptor %d: %s", watch->m.poller, watch->fd,
        g_strerror (errno));
    return;
  }
  watch->events = events;
}

void
gst_genesys_poller_watch_remove (GstGenesysPollerWatch * watch)
{
  GstGenesysPoller *poller;

  g_return_if_fail (watch != NULL && !watch->dead);

  poller = watch->m.poller;
  if (epoll_ctl (poller->epfd, EPOLL_CTL_DEL, watch->fd, NULL) < 0)
    GST_WARNING ("poller %p: descriptor %d (closed before its watch was "
        "removed?): %s", poller, watch->fd, g_strerror (errno));
  g_queue_unlink (&poller->watches, &watch->m.link);
  watch->dead = TRUE;
  if (poller->dispatching) {
    g_queue_push_tail_link (&poller->dead, &watch->m.link);
  } else {
    guint i;
    /* events a poll got for it, not dispatched yet */
    for (i = 0; i < poller->pending; i++)
      if (poller->events[i].data.ptr == watch)
        poller->events[i].data.ptr = NULL;
    g_free (watch);
  }
}

GstGenesysPollerTimer *
gst_genesys_poller_timer_new (GstGenesysPoller * poller,
    GstGenesysPollerTimerFunc func, gpointer user_data)
{
  GstGenesysPollerTimer *timer;

  g_return_val_if_fail (poller != NULL && !poller->freed, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  timer = member_new (sizeof (GstGenesysPollerTimer), poller,
      &poller->timers, user_data);
  timer->deadline = -1;
  timer->func = func;
  return timer;
}

void
gst_genesys_poller_timer_set (GstGenesysPollerTimer * timer, gint64 deadline_us)
{
  GstGenesysPoller *poller;

  g_return_if_fail (timer != NULL);

  poller = timer->m.poller;
  if (deadline_us < 0) {
    if (timer->deadline < 0)
      return;
    heap_remove (poller, timer);
  } else {
    gboolean armed = timer->deadline >= 0;

    timer->deadline = deadline_us;
    timer->seq = poller->next_seq++;
    if (armed)
      heap_fix (poller, timer);
    else
      heap_insert (poller, timer);
  }
}

gint64
gst_genesys_poller_timer_get (GstGenesysPollerTimer * timer)
{
  g_return_val_if_fail (timer != NULL, -1);

  return timer->deadline;
}

void
gst_genesys_poller_timer_free (GstGenesysPollerTimer * timer)
{
  GstGenesysPoller *poller;

  g_return_if_fail (timer != NULL);

  poller = timer->m.poller;
  if (timer->deadline >= 0)
    heap_remove (poller, timer);
  g_queue_unlink (&poller->timers, &timer->m.link);
  g_free (timer);
}
