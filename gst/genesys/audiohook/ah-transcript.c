/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>
#include "ah-transcript.h"
#include "ah-duration.h"

typedef struct
{
  guint64 time, duration, position, samples;
} Span;

struct _AhPositionMap
{
  guint max;
  GQueue spans;                 /* Span, oldest first */
};

AhPositionMap *
ah_position_map_new (guint max_spans)
{
  AhPositionMap *map = g_new0 (AhPositionMap, 1);

  map->max = MAX (max_spans, 1);
  g_queue_init (&map->spans);
  return map;
}

void
ah_position_map_clear (AhPositionMap * map)
{
  g_queue_clear_full (&map->spans, g_free);
}

void
ah_position_map_free (AhPositionMap * map)
{
  if (!map)
    return;
  ah_position_map_clear (map);
  g_free (map);
}

guint
ah_position_map_get_length (const AhPositionMap * map)
{
  return map->spans.length;
}

gboolean
ah_position_map_add (AhPositionMap * map, guint64 time, guint64 duration,
    guint64 position, guint64 samples)
{
  Span *last = g_queue_peek_tail (&map->spans), *s;

  if (last && time < last->time + last->duration)
    return FALSE;
  s = g_new (Span, 1);
  s->time = time;
  s->duration = duration;
  s->position = position;
  s->samples = samples;
  g_queue_push_tail (&map->spans, s);
  while (map->spans.length > map->max)
    g_free (g_queue_pop_head (&map->spans));
  return TRUE;
}

gboolean
ah_position_map_add_gap (AhPositionMap * map, guint64 time, guint64 duration,
    guint64 position, guint64 samples)
{
  Span *last = g_queue_peek_tail (&map->spans);

  if (last && position < last->position + last->samples)
    return FALSE;
  return ah_position_map_add (map, time, duration, position, samples);
}

/* @a * @b / @c without overflow for the values met here (128-bit). */
static guint64
mul_div (guint64 a, guint64 b, guint64 c)
{
  return (guint64) (((unsigned __int128) a * b) / c);
}

gboolean
ah_position_map_lookup (const AhPositionMap * map, guint64 time, guint rate,
    guint64 * position)
{
  GList *l;
  const Span *prev = NULL;

  /* results are about recent audio: search from the newest span */
  for (l = map->spans.tail; l; l = l->prev) {
    const Span *s = l->data;

    if (time >= s->time) {
      guint64 end = s->time + s->duration;

      if (time < end && s->duration > 0) {
        *position = s->position + mul_div (time - s->time, s->samples,
            s->duration);
      } else if (prev == NULL) {
        /* after the last span: it goes on at the nominal rate */
        *position = s->position + s->samples + mul_div (time - end, rate,
            AH_NSECOND);
      } else {
        /* between spans: where the stream stood */
        *position = s->position + s->samples;
      }
      return TRUE;
    }
    prev = s;
  }
  return FALSE;
}

/* ---- entities ---- */

AhTranscript *
ah_transcript_new (void)
{
  return g_new0 (AhTranscript, 1);
}

static void
token_free (gpointer data)
{
  AhTranscriptToken *tok = data;

  g_free (tok->value);
  g_free (tok);
}

void
ah_transcript_free (AhTranscript * t)
{
  if (!t)
    return;
  g_free (t->id);
  g_free (t->text);
  g_free (t->language);
  if (t->tokens)
    g_ptr_array_unref (t->tokens);
  g_free (t);
}

void
ah_transcript_add_token (AhTranscript * t, const gchar * value,
    gdouble confidence, gboolean has_time, guint64 offset, guint64 duration)
{
  AhTranscriptToken *tok = g_new0 (AhTranscriptToken, 1);

  tok->value = g_strdup (value);
  tok->confidence = confidence;
  tok->has_time = has_time;
  tok->offset = offset;
  tok->duration = duration;
  if (!t->tokens)
    t->tokens = g_ptr_array_new_with_free_func (token_free);
  g_ptr_array_add (t->tokens, tok);
}

gdouble
ah_transcript_clamp_confidence (gdouble c)
{
  if (isnan (c) || c < 0.0)
    return 0.0;
  if (c > 1.0)
    return 1.0;
  return c;
}

gdouble
ah_transcript_confidence_from_log (gint64 log_prob, gdouble base)
{
  if (!(base > 1.0))
    return 0.0;
  return ah_transcript_clamp_confidence (exp ((gdouble) log_prob * log (base)));
}

static void
set_duration (JsonObject * o, const gchar * name, guint64 ns)
{
  gchar buf[32];

  ah_duration_format_buf (ns, buf);
  json_object_set_string_member (o, name, buf);
}

static JsonArray *
tokens_to_json (const AhTranscript * t)
{
  JsonArray *tokens = json_array_new ();
  guint i;

  for (i = 0; i < t->tokens->len; i++) {
    const AhTranscriptToken *tok = g_ptr_array_index (t->tokens, i);
    JsonObject *o = json_object_new ();

    json_object_set_string_member (o, "type", "word");
    json_object_set_string_member (o, "value", tok->value ? tok->value : "");
    json_object_set_double_member (o, "confidence",
        ah_transcript_clamp_confidence (tok->confidence < 0 ?
            t->confidence : tok->confidence));
    if (tok->has_time) {
      set_duration (o, "offset", tok->offset);
      set_duration (o, "duration", tok->duration);
    }
    if (t->language)
      json_object_set_string_member (o, "language", t->language);
    json_array_add_object_element (tokens, o);
  }
  return tokens;
}

JsonObject *
ah_transcript_to_entity (const AhTranscript * t)
{
  JsonObject *entity = json_object_new ();
  JsonObject *data = json_object_new ();
  JsonObject *alt = json_object_new ();
  JsonObject *interp = json_object_new ();
  JsonArray *alts = json_array_new ();
  JsonArray *interps = json_array_new ();
  gchar *id = t->id ? g_strdup (t->id) : g_uuid_string_random ();

  json_object_set_string_member (data, "id", id);
  json_object_set_int_member (data, "channelId", t->channel_id);
  json_object_set_boolean_member (data, "isFinal", t->is_final);
  if (t->has_time) {
    set_duration (data, "offset", t->offset);
    set_duration (data, "duration", t->duration);
  }

  json_object_set_double_member (alt, "confidence",
      ah_transcript_clamp_confidence (t->confidence));
  if (t->language) {
    JsonArray *langs = json_array_new ();
    json_array_add_string_element (langs, t->language);
    json_object_set_array_member (alt, "languages", langs);
  }
  json_object_set_string_member (interp, "type", "display");
  json_object_set_string_member (interp, "transcript", t->text ? t->text : "");
  if (t->tokens && t->tokens->len)
    json_object_set_array_member (interp, "tokens", tokens_to_json (t));
  json_array_add_object_element (interps, interp);
  json_object_set_array_member (alt, "interpretations", interps);
  json_array_add_object_element (alts, alt);
  json_object_set_array_member (data, "alternatives", alts);

  json_object_set_string_member (entity, "type", "transcript");
  json_object_set_object_member (entity, "data", data);
  g_free (id);
  return entity;
}
