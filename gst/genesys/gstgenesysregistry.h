/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The session registry that instances of gst-genesys-serve share, on
 * Redis: which instance owns which call, which call each session belongs
 * to, and each instance's heartbeat. Writes go out in order on a thread of
 * their own (the caller never waits); lookups wait for their answer, on
 * the serve's worker threads.
 *
 * Keys (TTL): gg:instance:NAME = up | draining (10 s, renewed every 3 s);
 * gg:relay:NAME = the instance's relay URL (with the heartbeat);
 * gg:call:CALL = {instance, segment, conversation} (6 h);
 * gg:session:ID = {call, instance[, closed]} (6 h; 10 min once closed). */

#ifndef __GST_GENESYS_REGISTRY_H__
#define __GST_GENESYS_REGISTRY_H__

#include <glib.h>
#include "gstgenesysplacement.h"

G_BEGIN_DECLS typedef struct _GstGenesysRegistry GstGenesysRegistry;

/* Connects to @url as instance @instance: FALSE with @error when the URL is
 * wrong or Redis does not answer PING within a second. */
GstGenesysRegistry *gst_genesys_registry_new (const gchar * url,
    const gchar * instance, GError ** error);
/* Sends what is queued (up to a second), removes the instance's heartbeat
 * and disconnects. */
void gst_genesys_registry_free (GstGenesysRegistry * registry);

const gchar *gst_genesys_registry_get_instance (GstGenesysRegistry * registry);
/* Where other instances relay sessions to this one, advertised with each
 * heartbeat from the next one on; NULL: nowhere. Before the first
 * heartbeat (not thread-safe). */
void gst_genesys_registry_set_relay_url (GstGenesysRegistry * registry,
    const gchar * url);

/* Queued writes. */
void gst_genesys_registry_heartbeat (GstGenesysRegistry * registry,
    gboolean draining);
/* A call starts here as segment @segment (0: new). */
void gst_genesys_registry_call (GstGenesysRegistry * registry,
    const gchar * call_id, const gchar * conversation_id, guint segment);
/* Session @session_id belongs to call @call_id, here. */
void gst_genesys_registry_session (GstGenesysRegistry * registry,
    const gchar * session_id, const gchar * call_id);
/* Session @session_id ended with close/closed. */
void gst_genesys_registry_session_closed (GstGenesysRegistry * registry,
    const gchar * session_id);

/* Lookups, waiting up to a second for Redis. What the registry holds about
 * @session_id and its call's owner; record->found FALSE when nothing. */
gboolean gst_genesys_registry_find (GstGenesysRegistry * registry,
    const gchar * session_id, GstGenesysSessionRecord * record,
    GError ** error);
/* Makes this instance the owner of @call_id and returns its next segment
 * in *@segment (atomic: two instances never get the same one). */
gboolean gst_genesys_registry_take_call (GstGenesysRegistry * registry,
    const gchar * call_id, const gchar * conversation_id, guint * segment,
    GError ** error);

/* Writes that failed (Redis gone or refusing) since the start. */
guint64 gst_genesys_registry_get_errors (GstGenesysRegistry * registry);

G_END_DECLS
#endif /* __GST_GENESYS_REGISTRY_H__ */
