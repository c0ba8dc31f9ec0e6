/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc, external mode: the element does not listen; the
 * application accepts the sessions and hands each over with
 * gst_genesys_src_take_session() (gst-genesys-serve). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesyssrcpriv.h"

/* ---- external mode: sessions handed over by the application ---- */

gboolean
src_external_start (GstGenesysSrc * self)
{
  src_reset_output (self);
  g_mutex_lock (&self->lock);
  src_start_serving_locked (self);
  g_mutex_unlock (&self->lock);
  if (!src_join_channel (self, NULL))
    return FALSE;
  GST_INFO_OBJECT (self, "external mode: waiting for a session");
  return TRUE;
}

/**
 * gst_genesys_src_take_session:
 * @src: a genesyssrc in #GstGenesysSrc:mode `external`, started (PAUSED or
 *   PLAYING)
 * @server: the server that accepted @conn
 * @conn: a started server-role connection whose open is being answered:
 *   call this from its session's media selector, or, when the selector
 *   deferred the answer (%AH_MEDIA_SELECT_LATER), right before
 *   ah_session_answer_open() with the offer chosen here
 * @offers: (array length=n_offers): the media offered in that open
 * @n_offers: the number of offers
 * @chosen: (out): the offer chosen from what downstream accepts and
 *   #GstGenesysSrc:media-preference, -1 for none
 *
 * Hands a session that the application accepted (gst-genesys-serve) to
 * @src, which serves it from then on as if it had accepted it itself: the
 * open is answered with the chosen media, and every later action and the
 * close go to @src. A session whose `continuedSessions` names one that @src
 * served continues @src's output, like between elements in server mode.
 * On @conn's loop thread only.
 *
 * Returns: %TRUE when @src took @conn (it holds a reference); %FALSE when
 * it takes no session now: not external, not started, ended, or busy with
 * another one.
 */
gboolean
gst_genesys_src_take_session (GstGenesysSrc * src, GstGenesysServer * server,
    GstGenesysConn * conn, const AhMedia * offers, guint n_offers,
    gint * chosen)
{
  AhSession *session = gst_genesys_conn_get_session (conn);
  AhMessage *open = ah_session_get_open (session);
  gboolean ok, start_paused, continuation = FALSE;
  GstGenesysMode mode;
  guint i;

  g_return_val_if_fail (GST_IS_GENESYS_SRC (src), FALSE);
  g_return_val_if_fail (gst_genesys_loop_is_current
      (gst_genesys_conn_get_loop (conn)), FALSE);

  *chosen = -1;
  GST_OBJECT_LOCK (src);
  mode = src->mode;
  start_paused = src->start_paused;
  /* the application's own list (serve's) stays unless this one is set */
  if (mode == GST_GENESYS_MODE_EXTERNAL && src->languages)
    ah_session_set_supported_languages (session,
        (const gchar * const *) src->languages);
  GST_OBJECT_UNLOCK (src);
  if (mode != GST_GENESYS_MODE_EXTERNAL)
    return FALSE;

  /* The server's session registry routes continuations (see
   * route_session); stop() forgets our sessions and drops the ref. */
  g_mutex_lock (&src->lock);
  if (src->started && src->server == NULL) {
    src->server = gst_genesys_server_ref (server);
    src->listener.user_data = src;
  }
  ok = src->started && src->server == server;
  g_mutex_unlock (&src->lock);
  if (!ok)
    return FALSE;

  for (i = 0; open && open->continued_sessions
      && i < open->continued_sessions->len; i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    if (gst_genesys_server_find_session (server, cs->id) == &src->listener)
      continuation = TRUE;
  }
  if (!src_take_session (src, conn, continuation))
    return FALSE;

  ah_session_set_start_paused (session, start_paused);
  *chosen = src_select_media (offers, n_offers, src);
  gst_genesys_conn_set_callbacks (conn, &src_conn_callbacks,
      gst_object_ref (src), gst_object_unref);
  GST_INFO_OBJECT (src, "took session %s%s", ah_session_get_id (session),
      continuation ? " (a continuation)" : "");
  return TRUE;
}
