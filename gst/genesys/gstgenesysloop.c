/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysloop.h"

struct _GstGenesysLoop
{
  gatomicrefcount ref_count;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstGenesysPoller *poller;     /* freed on the thread when it stops */
  gboolean finish_here;         /* the last unref came on the loop's own thread */
};

static gpointer
loop_thread (gpointer data)
{
  GstGenesysLoop *self = data;

  g_main_context_push_thread_default (self->context);
  gst_genesys_poller_bind (self->poller);
  g_main_loop_run (self->loop);
  /* Let sources released while stopping run their destroy notifies. */
  while (g_main_context_iteration (self->context, FALSE));
  /* after them: what they free may still remove its watches and timers */
  gst_genesys_poller_free (self->poller);
  self->poller = NULL;
  g_main_context_pop_thread_default (self->context);
  if (self->finish_here) {
    /* nobody joins this thread: it frees the loop itself */
    g_thread_unref (self->thread);
    g_main_loop_unref (self->loop);
    g_main_context_unref (self->context);
    g_free (self);
  }
  return NULL;
}

GstGenesysLoop *
gst_genesys_loop_new (const gchar * name)
{
  GstGenesysLoop *self = g_new0 (GstGenesysLoop, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->poller = gst_genesys_poller_new (self->context);
  self->thread = g_thread_new (name, loop_thread, self);
  return self;
}

GstGenesysLoop *
gst_genesys_loop_ref (GstGenesysLoop * loop)
{
  g_atomic_ref_count_inc (&loop->ref_count);
  return loop;
}

static gboolean
quit_cb (gpointer data)
{
  GstGenesysLoop *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_loop_unref (GstGenesysLoop * loop)
{
  if (!g_atomic_ref_count_dec (&loop->ref_count))
    return;

  if (gst_genesys_loop_is_current (loop)) {
    /* the last reference went inside a callback (a connection freed on its
     * own loop): the thread cannot join itself, so it ends on its own */
    loop->finish_here = TRUE;
    g_main_loop_quit (loop->loop);
    return;
  }
  gst_genesys_loop_invoke (loop, quit_cb, loop, NULL);
  g_thread_join (loop->thread);
  g_main_loop_unref (loop->loop);
  g_main_context_unref (loop->context);
  g_free (loop);
}

GMainContext *
gst_genesys_loop_get_context (GstGenesysLoop * loop)
{
  return loop->context;
}

GstGenesysPoller *
gst_genesys_loop_get_poller (GstGenesysLoop * loop)
{
  return loop->poller;
}

gboolean
gst_genesys_loop_is_current (GstGenesysLoop * loop)
{
  return g_main_context_is_owner (loop->context);
}

void
gst_genesys_loop_invoke (GstGenesysLoop * loop, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, loop->context);
  g_source_unref (source);
}

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_loop_invoke_sync (GstGenesysLoop * loop, GSourceFunc func,
    gpointer data)
{
  SyncCall call = { func, data };

  if (gst_genesys_loop_is_current (loop)) {
    func (data);
    return;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  gst_genesys_loop_invoke (loop, sync_call_cb, &call, NULL);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

GSource *
gst_genesys_loop_add_timeout (GstGenesysLoop * loop, guint ms,
    GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, loop->context);
  return source;
}
