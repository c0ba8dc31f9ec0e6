/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc's insides, shared by its files (not installed):
 *   gstgenesyssrc.c          the element: properties, start/stop, create
 *   gstgenesyssrcqueue.c     items to the streaming thread, the output
 *   gstgenesyssrcsession.c   server-role sessions (server, external modes)
 *   gstgenesyssrcserver.c    server mode: the listener
 *   gstgenesyssrcclient.c    client mode: a raw audio WebSocket
 *   gstgenesyssrcpaired.c    client mode paired with a genesyssink: bot audio
 *   gstgenesyssrcexternal.c  external mode: sessions the application hands over
 */

#ifndef __GST_GENESYS_SRC_PRIV_H__
#define __GST_GENESYS_SRC_PRIV_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

#include "gstgenesyssrc.h"
#include "gstgenesysenums.h"
#include "gstgenesysserver.h"
#include "gstgenesysrawclient.h"
#include "gstgenesysclientprops.h"
#include "gstgenesyschannel.h"
#include "gstgenesystimeline.h"

G_BEGIN_DECLS GST_DEBUG_CATEGORY_EXTERN (genesyssrc_debug);
#define GST_CAT_DEFAULT genesyssrc_debug

/* Audio waiting for a blocked streaming thread beyond this is dropped and
 * output as a gap, so the protocol thread never waits. */
#define MAX_QUEUED_TIME (5 * GST_SECOND)

typedef enum
{
  ITEM_OPENED,
  ITEM_AUDIO,
  ITEM_GAP,
  ITEM_END,
  ITEM_DTMF,
  ITEM_RESUME,                  /* resumed: at @position, positions may have frozen */
  ITEM_PREROLL,                 /* paired: the session's media are known, no audio yet */
} ItemType;

typedef struct
{
  ItemType type;
  AhMedia media;
  gboolean continued;           /* OPENED: positions go on from the last session */
  GBytes *data;
  guint64 position;             /* END: the session's position at close, or
                                 * G_MAXUINT64 */
  guint64 samples;
  GstClockTime arrival;
  gchar *digit;                 /* DTMF */
  gchar *session_id;            /* END: the session that closed */
} Item;

typedef struct
{
  guint64 sessions, probes, frames, bytes, samples, gaps, gap_samples;
  guint64 dropped_samples, pings, protocol_errors, client_errors;
  guint64 position_mismatches, sessions_lost, refused_busy;
  guint64 sessions_continued;
  guint64 dtmf, barge_ins, barge_in_samples;
  guint64 last_rtt;
  guint64 auth_failures[AH_SIGNATURE_ERROR_N_CODES];
  guint64 bad_requests;
  guint64 not_found;
  gint64 not_found_said;        /* monotonic µs of the last warning */
  guint64 late_samples, late_dropped_samples;
  guint reanchors;
  gint64 skew_ppb;
  GstClockTimeDiff lateness;
  guint64 loop_pushed_buffers;
} Stats;

struct _GstGenesysSrc
{
  GstPushSrc parent;

  /* properties, object lock */
  gchar *address;
  guint port;
  guint current_port;
  gchar *path;
  gchar *tls_certificate_file;
  gchar *tls_key_file;
  gchar *api_key;
  gchar *client_secret;
  gchar *credentials_file;
  gchar *authority;
  GstGenesysMediaPreference media_preference;
  GstGenesysGapMode gap_mode;
  GstClockTime latency;
  gboolean keep_listening;
  GstClockTime session_timeout;
  GstClockTime idle_timeout;
  guint64 start_position;       /* samples: the timeline's origin */
  guint max_message_size;
  gboolean start_paused;
  gchar **languages;            /* supported-languages, NULL: none set */
  gboolean drop_on_latency;
  GstGenesysPushMode push_mode;
  GstGenesysMode mode;
  GstGenesysClientProps client_props;   /* client mode */
  GstCaps *caps;
  gchar *session_name;

  /* session-name: the session shared with a genesyssink, fixed between
   * start and stop; paired: client mode whose audio is what the server
   * sends back on the sink's session (bot audio, played in real time) */
  GstGenesysChannel *channel;
  gboolean paired;
  GstClockTime playout_end;     /* under lock: running time */
  gboolean barge_in;            /* under lock: flush what was not played */
  guint64 barge_in_samples;     /* under lock: dropped from @items */

  /* client mode: the client, and what its loop thread shares, under lock */
  GstGenesysRawClient *client;
  GstStructure *client_stats;   /* snapshot kept after stop */
  AhMedia client_media;
  gboolean client_failed;
  guint64 client_position;      /* samples of the current connection */
  gboolean client_dropped;      /* a reconnect gap is pending */
  guint client_attempts;
  gboolean client_connected;    /* under lock: it got through once */
  GstClockTime last_arrival;    /* of the last audio, NONE: none yet */

  /* shared with the loop thread, under lock */
  GMutex lock;
  GCond cond;
  GstGenesysServer *server;
  GstGenesysListener listener;
  gboolean started;
  gboolean busy;
  gboolean flushing;
  gboolean ended;
  GstGenesysConn *conn;         /* the current session, or NULL */
  GList *conns;                 /* every connection we hold, with a ref */
  gint64 lost_deadline;         /* monotonic us, 0: none */
  GQueue items;
  guint64 queued_samples;
  Stats stats;

  /* loop pushing (push-mode loop or auto), under lock: @loop_mode is fixed between start and
   * stop; @pushing: a thread owns the output state below and pushes on
   * the src pad (one at a time); @loop_active: the loop threads push
   * audio themselves (set by create() once basesrc pushed a buffer of
   * ours, cleared by unlock and by a failed push, whose return is
   * @loop_ret); @returned_buffer: create() returned a buffer;
   * @loop_waiting: the streaming thread waits for @pushing to clear */
  gboolean loop_mode;
  gboolean loop_active;
  /* push-mode=auto: @loop_auto fixed between start and stop;
   * @downstream_stale (atomic) set at start and by RECONFIGURE;
   * @downstream_safe: the last walk's answer (streaming thread) */
  gboolean loop_auto;
  gint downstream_stale;
  gboolean downstream_safe;
  gboolean pushing;
  gboolean returned_buffer;
  gboolean loop_waiting;
  GstFlowReturn loop_ret;

  /* streaming thread */
  GstGenesysTimeline timeline;
  AhMedia media;
  gboolean have_media;
  gboolean swap;
  gboolean need_discont;
  gboolean output_started;
  gboolean late_run;            /* the last audio was late */
  GstGenesysSpan silence;       /* a gap still to go out as silence */
  gboolean silence_discont;     /* ... whose next chunk starts it */
  GQueue out;
};

void gst_genesys_src_ensure_debug_category (void);

/* gstgenesyssrcqueue.c: items (any thread) */
Item *src_item_new (ItemType type);
void src_item_free (Item * item);
GstClockTime src_current_running_time (GstGenesysSrc * self);
void src_post_element_message (GstGenesysSrc * self, GstStructure * s);
void src_push_item_locked (GstGenesysSrc * self, Item * item);
void src_push_client_audio_locked (GstGenesysSrc * self, GBytes * data,
    guint64 samples, guint frame, GstClockTime arrival);
gboolean src_item_loop_deliverable (const Item * item);

/* gstgenesyssrc.c: loop pushing (loop threads, not under lock) */
void src_loop_deliver (GstGenesysSrc * self);

/* gstgenesyssrcqueue.c: the session-name channel */
gboolean src_join_channel (GstGenesysSrc * self, GstGenesysChannelFunc func);
void src_leave_channel (GstGenesysSrc * self);

/* gstgenesyssrcqueue.c: output (streaming thread) */
void src_reset_output (GstGenesysSrc * self);
void src_output_gap (GstGenesysSrc * self, const GstGenesysSpan * span);
GstBuffer *src_next_silence (GstGenesysSrc * self);
void src_output_audio (GstGenesysSrc * self, Item * item);
void src_handle_barge_in (GstGenesysSrc * self);
gboolean src_wait_due (GstGenesysSrc * self, GstClockTime pts);
void src_push_dtmf (GstGenesysSrc * self, Item * item);

/* gstgenesyssrcsession.c: server-role sessions (loop threads) */
extern const GstGenesysConnCallbacks src_conn_callbacks;
gint src_select_media (const AhMedia * offers, guint n_offers,
    gpointer user_data);
gboolean src_take_session (GstGenesysSrc * self, GstGenesysConn * conn,
    gboolean continuation);
void src_start_serving_locked (GstGenesysSrc * self);

/* gstgenesyssrcserver.c */
gboolean src_server_start (GstGenesysSrc * self);

/* gstgenesyssrcclient.c */
gboolean src_client_start (GstGenesysSrc * self);
void src_client_stop (GstGenesysSrc * self);

/* gstgenesyssrcpaired.c */
gboolean src_paired_start (GstGenesysSrc * self);

/* gstgenesyssrcexternal.c */
gboolean src_external_start (GstGenesysSrc * self);

G_END_DECLS
#endif /* __GST_GENESYS_SRC_PRIV_H__ */
