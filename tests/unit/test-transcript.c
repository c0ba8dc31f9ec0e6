/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Transcript entities and running time -> stream position, as tables. */

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "ah-transcript.h"

#define MS(x) ((guint64) (x) * G_GUINT64_CONSTANT (1000000))
#define NONE G_MAXUINT64

typedef struct
{
  guint64 time, duration, position, samples;
} SpanRow;

typedef struct
{
  guint64 time;
  guint64 position;             /* NONE: not found */
} LookupRow;

typedef struct
{
  const gchar *name;
  const SpanRow *spans;
  guint n_spans;
  const LookupRow *lookups;
  guint n_lookups;
} MapCase;

/* 200 ms frames at 8000 Hz from running time 1 s */
static const SpanRow plain[] = {
  {MS (1000), MS (200), 0, 1600},
  {MS (1200), MS (200), 1600, 1600},
  {MS (1400), MS (200), 3200, 1600},
};

static const LookupRow plain_lookups[] = {
  {MS (999), NONE},             /* before any audio */
  {MS (1000), 0},
  {MS (1000) + 124999, 0},      /* rounds down */
  {MS (1000) + 125000, 1},
  {MS (1100), 800},
  {MS (1200), 1600},
  {MS (1599), 4792},
  {MS (1600), 4800},            /* the end: goes on at the rate */
  {MS (2600), 12800},
};

/* a pause of 2 s (the client's position went on: a gap span), then a
 * discarded span of 1 s (positions jump, time too), then audio */
static const SpanRow gaps[] = {
  {MS (0), MS (200), 0, 1600},
  {MS (200), MS (2000), 1600, 16000},   /* paused, reported by resumed */
  {MS (2200), MS (200), 17600, 1600},
  {MS (2400), MS (1000), 19200, 8000},  /* discarded */
  {MS (3400), MS (200), 27200, 1600},
};

static const LookupRow gaps_lookups[] = {
  {MS (100), 800},
  {MS (2200), 17600},
  {MS (2300), 18400},
  {MS (3400), 27200},
  {MS (3500), 28000},
};

/* a frozen pause: the position did not move while 3 s passed (no span for
 * it), and a continuation whose positions restart at 0 */
static const SpanRow holes[] = {
  {MS (0), MS (200), 0, 1600},
  {MS (3200), MS (200), 1600, 1600},
  {MS (5000), MS (200), 0, 1600},
};

static const LookupRow holes_lookups[] = {
  {MS (100), 800},
  {MS (1000), 1600},            /* inside the hole: where it stood */
  {MS (3200), 1600},
  {MS (3300), 2400},
  {MS (4000), 3200},
  {MS (5100), 800},
};

/* a steered clock: 200 ms of audio over 200.1 ms of running time */
static const SpanRow steered[] = {
  {MS (0), MS (200) + 100000, 0, 1600},
  {MS (200) + 100000, MS (200) + 100000, 1600, 1600},
};

static const LookupRow steered_lookups[] = {
  {MS (200) + 100000, 1600},
  {MS (100) + 50000, 800},
  {MS (300) + 150000, 2400},
};

static const MapCase map_cases[] = {
  {"plain", plain, G_N_ELEMENTS (plain), plain_lookups,
      G_N_ELEMENTS (plain_lookups)},
  {"gaps", gaps, G_N_ELEMENTS (gaps), gaps_lookups,
      G_N_ELEMENTS (gaps_lookups)},
  {"holes", holes, G_N_ELEMENTS (holes), holes_lookups,
      G_N_ELEMENTS (holes_lookups)},
  {"steered", steered, G_N_ELEMENTS (steered), steered_lookups,
      G_N_ELEMENTS (steered_lookups)},
};

static void
test_map_tables (void)
{
  guint c, i;

  for (c = 0; c < G_N_ELEMENTS (map_cases); c++) {
    const MapCase *mc = &map_cases[c];
    AhPositionMap *map = ah_position_map_new (64);

    for (i = 0; i < mc->n_spans; i++)
      g_assert_true (ah_position_map_add (map, mc->spans[i].time,
              mc->spans[i].duration, mc->spans[i].position,
              mc->spans[i].samples));
    for (i = 0; i < mc->n_lookups; i++) {
      guint64 pos = NONE;
      gboolean found = ah_position_map_lookup (map, mc->lookups[i].time, 8000,
          &pos);

      g_test_message ("%s: %" G_GUINT64_FORMAT " ns", mc->name,
          mc->lookups[i].time);
      if (mc->lookups[i].position == NONE) {
        g_assert_false (found);
      } else {
        g_assert_true (found);
        g_assert_cmpuint (pos, ==, mc->lookups[i].position);
      }
    }
    ah_position_map_free (map);
  }
}

/* A gap that would put the position back is left out: its time maps to
 * where the stream stood. A span of audio is taken even so (a
 * continuation whose positions restart). */
static void
test_map_gaps (void)
{
  AhPositionMap *map = ah_position_map_new (8);
  guint64 pos;

  g_assert_true (ah_position_map_add (map, MS (0), MS (200), 8000, 1600));
  g_assert_false (ah_position_map_add_gap (map, MS (200), MS (3000), 6000,
          24000));
  g_assert_true (ah_position_map_add (map, MS (3200), MS (200), 9600, 1600));
  g_assert_true (ah_position_map_lookup (map, MS (1000), 8000, &pos));
  g_assert_cmpuint (pos, ==, 9600);
  g_assert_true (ah_position_map_add_gap (map, MS (3400), MS (100), 11200,
          800));
  g_assert_true (ah_position_map_lookup (map, MS (3450), 8000, &pos));
  g_assert_cmpuint (pos, ==, 11600);
  g_assert_true (ah_position_map_add (map, MS (3500), MS (200), 0, 1600));
  g_assert_true (ah_position_map_lookup (map, MS (3600), 8000, &pos));
  g_assert_cmpuint (pos, ==, 800);
  ah_position_map_free (map);
}

/* Spans out of order are refused; the oldest go beyond the limit. */
static void
test_map_limits (void)
{
  AhPositionMap *map = ah_position_map_new (2);
  guint64 pos;

  g_assert_true (ah_position_map_add (map, MS (0), MS (200), 0, 1600));
  g_assert_false (ah_position_map_add (map, MS (100), MS (200), 800, 1600));
  g_assert_true (ah_position_map_add (map, MS (200), MS (200), 1600, 1600));
  g_assert_true (ah_position_map_add (map, MS (400), MS (200), 3200, 1600));
  g_assert_cmpuint (ah_position_map_get_length (map), ==, 2);
  g_assert_false (ah_position_map_lookup (map, MS (100), 8000, &pos));
  g_assert_true (ah_position_map_lookup (map, MS (200), 8000, &pos));
  g_assert_cmpuint (pos, ==, 1600);
  ah_position_map_clear (map);
  g_assert_false (ah_position_map_lookup (map, MS (500), 8000, &pos));
  ah_position_map_free (map);
}

typedef struct
{
  gdouble in, out;
} ClampRow;

static void
test_confidence (void)
{
  static const ClampRow rows[] = {
    {0.5, 0.5}, {0.0, 0.0}, {1.0, 1.0}, {-0.1, 0.0}, {1.7, 1.0},
    {-INFINITY, 0.0}, {INFINITY, 1.0},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpfloat (ah_transcript_clamp_confidence (rows[i].in), ==,
        rows[i].out);
  g_assert_cmpfloat (ah_transcript_clamp_confidence (NAN), ==, 0.0);
  /* pocketsphinx: log base 1.0001; 0 is certainty, -6932 about a half */
  g_assert_cmpfloat (ah_transcript_confidence_from_log (0, 1.0001), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (ah_transcript_confidence_from_log (-6932,
          1.0001), 0.5, 0.001);
  g_assert_cmpfloat (ah_transcript_confidence_from_log (5000, 1.0001), ==, 1.0);
  g_assert_cmpfloat (ah_transcript_confidence_from_log (G_MININT64, 1.0001),
      ==, 0.0);
  g_assert_cmpfloat (ah_transcript_confidence_from_log (-5, 0.5), ==, 0.0);
}

typedef struct
{
  const gchar *name;
  guint channel;
  gboolean final;
  gboolean has_time;
  guint64 offset, duration;
  const gchar *text;
  gdouble confidence;
  const gchar *language;
  gboolean words;
  const gchar *json;
} EntityRow;

static const EntityRow entity_rows[] = {
  {"final", 0, TRUE, TRUE, MS (1250), MS (1500), "hello world", 0.75,
        "en-US", FALSE,
      "{\"type\":\"transcript\",\"data\":{\"id\":\"ID\",\"channelId\":0,"
        "\"isFinal\":true,\"offset\":\"PT1.25S\",\"duration\":\"PT1.5S\","
        "\"alternatives\":[{\"confidence\":0.75,\"languages\":[\"en-US\"],"
        "\"interpretations\":[{\"type\":\"display\","
        "\"transcript\":\"hello world\"}]}]}}"},
  {"partial, clamped, no language", 1, FALSE, TRUE, 125000, 0, "hel", 3.0,
        NULL, FALSE,
      "{\"type\":\"transcript\",\"data\":{\"id\":\"ID\",\"channelId\":1,"
        "\"isFinal\":false,\"offset\":\"PT0.000125S\",\"duration\":\"PT0S\","
        "\"alternatives\":[{\"confidence\":1.0,"
        "\"interpretations\":[{\"type\":\"display\","
        "\"transcript\":\"hel\"}]}]}}"},
  {"no time", 0, TRUE, FALSE, 0, 0, "", -2.0, NULL, FALSE,
      "{\"type\":\"transcript\",\"data\":{\"id\":\"ID\",\"channelId\":0,"
        "\"isFinal\":true,\"alternatives\":[{\"confidence\":0.0,"
        "\"interpretations\":[{\"type\":\"display\",\"transcript\":\"\"}]}]}}"},
  {"words", 1, TRUE, TRUE, MS (2000), MS (800), "two words", 0.5, "en-US",
        TRUE,
      "{\"type\":\"transcript\",\"data\":{\"id\":\"ID\",\"channelId\":1,"
        "\"isFinal\":true,\"offset\":\"PT2S\",\"duration\":\"PT0.8S\","
        "\"alternatives\":[{\"confidence\":0.5,\"languages\":[\"en-US\"],"
        "\"interpretations\":[{\"type\":\"display\","
        "\"transcript\":\"two words\",\"tokens\":["
        "{\"type\":\"word\",\"value\":\"two\",\"confidence\":0.25,"
        "\"offset\":\"PT2S\",\"duration\":\"PT0.3S\",\"language\":\"en-US\"},"
        "{\"type\":\"word\",\"value\":\"words\",\"confidence\":0.5,"
        "\"language\":\"en-US\"}]}]}]}}"},
};

static void
test_entities (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (entity_rows); i++) {
    const EntityRow *r = &entity_rows[i];
    AhTranscript *t = ah_transcript_new ();
    JsonObject *entity;
    JsonNode *node, *expected;
    gchar *json;

    g_test_message ("%s", r->name);
    t->id = g_strdup ("ID");
    t->channel_id = r->channel;
    t->is_final = r->final;
    t->has_time = r->has_time;
    t->offset = r->offset;
    t->duration = r->duration;
    t->text = g_strdup (r->text);
    t->confidence = r->confidence;
    t->language = g_strdup (r->language);
    if (r->words) {
      ah_transcript_add_token (t, "two", 0.25, TRUE, MS (2000), MS (300));
      /* no confidence of its own: the utterance's; no time */
      ah_transcript_add_token (t, "words", -1, FALSE, 0, 0);
    }
    entity = ah_transcript_to_entity (t);
    node = json_node_init_object (json_node_alloc (), entity);
    expected = json_from_string (r->json, NULL);
    g_assert_nonnull (expected);
    json = json_to_string (node, FALSE);
    g_test_message ("%s", json);
    g_assert_true (json_node_equal (node, expected));
    g_free (json);
    json_node_unref (node);
    json_node_unref (expected);
    json_object_unref (entity);
    ah_transcript_free (t);
  }
}

/* Without an id, a fresh UUID per entity. */
static void
test_fresh_ids (void)
{
  AhTranscript *t = ah_transcript_new ();
  JsonObject *a = ah_transcript_to_entity (t), *b = ah_transcript_to_entity (t);
  const gchar *ida =
      json_object_get_string_member (json_object_get_object_member (a, "data"),
      "id");
  const gchar *idb =
      json_object_get_string_member (json_object_get_object_member (b, "data"),
      "id");

  g_assert_true (g_uuid_string_is_valid (ida));
  g_assert_true (g_uuid_string_is_valid (idb));
  g_assert_cmpstr (ida, !=, idb);
  json_object_unref (a);
  json_object_unref (b);
  ah_transcript_free (t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/transcript/map-tables", test_map_tables);
  g_test_add_func ("/transcript/map-limits", test_map_limits);
  g_test_add_func ("/transcript/map-gaps", test_map_gaps);
  g_test_add_func ("/transcript/confidence", test_confidence);
  g_test_add_func ("/transcript/entities", test_entities);
  g_test_add_func ("/transcript/fresh-ids", test_fresh_ids);
  return g_test_run ();
}
