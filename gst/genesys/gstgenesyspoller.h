/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Many descriptors and timers behind one GSource: one epoll descriptor,
 * watched by one source attached to a GMainContext, and a heap of timers
 * whose earliest deadline bounds the context's poll. A wakeup costs what is ready, not what
 * is registered: GLib walks one source and polls one descriptor however
 * many sockets and timers a context holds.
 *
 * Watches are level-triggered: a callback that leaves data unread is called
 * again on the next iteration. Timers are one-shot deadlines on the
 * g_get_monotonic_time() clock; equal deadlines fire in the order they were
 * set.
 *
 * Threads: gst_genesys_poller_new() may be called anywhere;
 * gst_genesys_poller_free() on the thread that runs the context, or once
 * nothing runs it any more; every other call on the thread that runs the
 * context. Nothing here takes a lock. */

#ifndef __GST_GENESYS_POLLER_H__
#define __GST_GENESYS_POLLER_H__

#include <glib.h>

G_BEGIN_DECLS typedef struct _GstGenesysPoller GstGenesysPoller;
typedef struct _GstGenesysPollerWatch GstGenesysPollerWatch;
typedef struct _GstGenesysPollerTimer GstGenesysPollerTimer;

/* @ready: what the descriptor is ready for, of G_IO_IN, G_IO_OUT, G_IO_HUP,
 * G_IO_ERR (never 0) */
typedef void (*GstGenesysPollerFunc) (GstGenesysPollerWatch * watch, gint fd,
    GIOCondition ready, gpointer user_data);
typedef void (*GstGenesysPollerTimerFunc) (GstGenesysPollerTimer * timer,
    gpointer user_data);

/* One epoll descriptor, watched by one GSource (G_PRIORITY_DEFAULT)
 * attached to @context. */
GstGenesysPoller *gst_genesys_poller_new (GMainContext * context);
/* On the thread that runs the poller's context, for the life of the
 * poller: the context's polls become one epoll_wait() while GLib polls
 * nothing else (see gstgenesyspoller.c). */
void gst_genesys_poller_bind (GstGenesysPoller * poller);
/* Destroys the source; watches and timers still registered are freed (their
 * callbacks never run again, and their pointers are no longer valid). On the
 * context's thread (inside one of this poller's callbacks too), or after it
 * stopped. */
void gst_genesys_poller_free (GstGenesysPoller * poller);

/* Watches @fd, level-triggered. @events: G_IO_IN and/or G_IO_OUT, or 0
 * (G_IO_HUP and G_IO_ERR are always reported). NULL when epoll refuses the
 * descriptor: not open, a regular file, or already watched by this poller.
 *
 * The watch must be removed before its descriptor is closed: epoll keeps
 * watching a closed descriptor as long as a copy of it (dup(), fork()) is
 * open, and would report it to a freed watch. */
GstGenesysPollerWatch *gst_genesys_poller_watch (GstGenesysPoller * poller,
    gint fd, GIOCondition events, GstGenesysPollerFunc func,
    gpointer user_data);
/* Takes effect at once: a round already under way calls the watch only for
 * what the new @events (and HUP, ERR) ask. */
void gst_genesys_poller_watch_set_events (GstGenesysPollerWatch * watch,
    GIOCondition events);
/* Safe from inside any callback of this poller, including the watch's own:
 * a removed watch is never called again, even if it was ready in the same
 * round. The descriptor may be closed as soon as this returns. */
void gst_genesys_poller_watch_remove (GstGenesysPollerWatch * watch);

/* A timer, disarmed. */
GstGenesysPollerTimer *gst_genesys_poller_timer_new (GstGenesysPoller *
    poller, GstGenesysPollerTimerFunc func, gpointer user_data);
/* @deadline_us: on the g_get_monotonic_time() clock; -1 disarms. Re-arming
 * moves it. One-shot: it is disarmed before its callback runs (which may
 * set it again). A deadline already past fires on this iteration or the
 * next. */
void gst_genesys_poller_timer_set (GstGenesysPollerTimer * timer,
    gint64 deadline_us);
/* The deadline; -1 when disarmed. */
gint64 gst_genesys_poller_timer_get (GstGenesysPollerTimer * timer);
/* Safe from inside callbacks, its own included. */
void gst_genesys_poller_timer_free (GstGenesysPollerTimer * timer);

G_END_DECLS
#endif /* __GST_GENESYS_POLLER_H__ */
