/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Recognition results as AudioHook `transcript` entities (protocol notes
 * 2.6), and the arithmetic that places them: running time -> stream
 * position through the spans the source output (audio and gaps, each with
 * the stream position it stands for). Pure: no GStreamer, no clock. */

#ifndef __AH_TRANSCRIPT_H__
#define __AH_TRANSCRIPT_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS
/* ---- running time -> stream position ---- */
typedef struct _AhPositionMap AhPositionMap;

/* Keeps at most @max_spans spans (the oldest go first). */
AhPositionMap *ah_position_map_new (guint max_spans);
void ah_position_map_free (AhPositionMap * map);
void ah_position_map_clear (AhPositionMap * map);
guint ah_position_map_get_length (const AhPositionMap * map);

/* A span of output: running time [@time, @time + @duration) stands for
 * stream positions [@position, @position + @samples) (samples at the
 * session's rate). Spans are added in running-time order; one that starts
 * before the end of the last is ignored (FALSE). */
gboolean ah_position_map_add (AhPositionMap * map, guint64 time,
    guint64 duration, guint64 position, guint64 samples);
/* A span without audio: as ah_position_map_add(), but ignored (FALSE)
 * when it would put the position back (a pause whose position stood
 * still: its time maps to where the stream stood). */
gboolean ah_position_map_add_gap (AhPositionMap * map, guint64 time,
    guint64 duration, guint64 position, guint64 samples);

/* The stream position (samples) of running time @time:
 * - inside a span: its position plus the samples of the part before @time,
 *   rounded down (a span's own start maps exactly to its position);
 * - between two spans: where the earlier one ended;
 * - after the last span: where it ended plus the time since, at @rate;
 * - before the first span (or none): FALSE. */
gboolean ah_position_map_lookup (const AhPositionMap * map, guint64 time,
    guint rate, guint64 * position);

/* ---- transcript entities ---- */

typedef struct
{
  gchar *value;
  gdouble confidence;           /* < 0: none */
  gboolean has_time;
  guint64 offset;               /* ns, stream position */
  guint64 duration;             /* ns */
} AhTranscriptToken;

typedef struct
{
  gchar *id;                    /* a UUID; NULL: a fresh random one */
  guint channel_id;             /* index in the negotiated channels */
  gboolean is_final;
  gboolean has_time;
  guint64 offset;               /* ns, stream position */
  guint64 duration;             /* ns */
  gchar *text;
  gdouble confidence;           /* clamped to [0, 1]; NaN: 0 */
  gchar *language;              /* NULL: none */
  GPtrArray *tokens;            /* AhTranscriptToken, may be NULL */
} AhTranscript;

AhTranscript *ah_transcript_new (void);
void ah_transcript_free (AhTranscript * t);
void ah_transcript_add_token (AhTranscript * t, const gchar * value,
    gdouble confidence, gboolean has_time, guint64 offset, guint64 duration);

/* @c in [0, 1]; NaN and negative -> 0, above 1 -> 1. */
gdouble ah_transcript_clamp_confidence (gdouble c);
/* A log-domain posterior (logmath with @base, e.g. pocketsphinx's 1.0001)
 * as a probability in [0, 1]. */
gdouble ah_transcript_confidence_from_log (gint64 log_prob, gdouble base);

/* {"type":"transcript","data":{...}} with the protocol's field names and
 * types, durations as "PT...S": one alternative, one "display"
 * interpretation, its tokens only when @t has any. */
JsonObject *ah_transcript_to_entity (const AhTranscript * t);

G_END_DECLS
#endif /* __AH_TRANSCRIPT_H__ */
