/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where a continuation goes when several instances share a registry: the
 * registry's URL, and the decision from what the registry holds about the
 * session it continues. Pure. */

#ifndef __GST_GENESYS_PLACEMENT_H__
#define __GST_GENESYS_PLACEMENT_H__

#include <glib.h>

G_BEGIN_DECLS
/* redis://HOST[:PORT][/DB]; PORT defaults to 6379, DB to 0. FALSE with
 * @error naming what is wrong. */
    gboolean gst_genesys_registry_url_parse (const gchar * url, gchar ** host,
    guint * port, guint * db, GError ** error);

typedef enum
{
  GST_GENESYS_OWNER_GONE,       /* no heartbeat: stopped, crashed, unreachable */
  GST_GENESYS_OWNER_UP,
  GST_GENESYS_OWNER_DRAINING,
} GstGenesysOwnerState;

/* What the registry holds about a session. */
typedef struct
{
  gboolean found;
  gchar *call_id;               /* the call's first session */
  gchar *instance;              /* the call's owner when the session was seen */
  gboolean closed;              /* it ended with close/closed */
  GstGenesysOwnerState owner;   /* the call owner's state now */
  guint segment;                /* the call's segment now */
  gchar *relay_url;             /* where the owner takes relays; NULL: none */
} GstGenesysSessionRecord;

void gst_genesys_session_record_clear (GstGenesysSessionRecord * record);

typedef enum
{
  GST_GENESYS_PLACE_NEW,        /* unknown: a call of its own */
  GST_GENESYS_PLACE_CLOSED,     /* it was closed: answered without media */
  GST_GENESYS_PLACE_MOVE,       /* the call goes on here, as its next segment */
  GST_GENESYS_PLACE_RELAY,      /* the call's owner is up: it goes there */
} GstGenesysPlacement;

/* The placement of a session continuing the one @record describes, seen
 * from instance @self. */
GstGenesysPlacement gst_genesys_placement_decide (const GstGenesysSessionRecord
    * record, const gchar * self);

G_END_DECLS
#endif /* __GST_GENESYS_PLACEMENT_H__ */
