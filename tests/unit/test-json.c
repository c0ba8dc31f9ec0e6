/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON objects as GstStructures: each case parses a JSON object, converts
 * it and compares the structure's serialisation. */

#include <gst/gst.h>

#include "gstgenesysjson.h"

typedef struct
{
  const gchar *name;
  const gchar *json;
  const gchar *expect;          /* gst_structure_to_string () */
} Case;

static const Case cases[] = {
  {"empty", "{}", "v;"},
  {"string", "{\"greeting\":\"hi there\"}",
      "v, greeting=(string)\"hi\\ there\";"},
  {"integer", "{\"n\":-42}", "v, n=(gint64)-42;"},
  {"big integer", "{\"n\":9007199254740993}",
      "v, n=(gint64)9007199254740993;"},
  {"double", "{\"x\":0.5}", "v, x=(double)0.5;"},
  {"booleans", "{\"t\":true,\"f\":false}",
      "v, t=(boolean)true, f=(boolean)false;"},
  {"null", "{\"z\":null}", "v, z=(string)NULL;"},
  {"order kept", "{\"b\":\"1\",\"a\":\"2\",\"c\":\"3\"}",
      "v, b=(string)1, a=(string)2, c=(string)3;"},
  {"object", "{\"o\":{\"k\":\"v\",\"n\":1}}",
      "v, o=(structure)\"object\\,\\ k\\=\\(string\\)v\\,\\ n\\=\\(gint64\\)1\\;\";"},
  {"array", "{\"a\":[\"x\",\"y\"]}", "v, a=(string)< x, y >;"},
  {"mixed array", "{\"a\":[1,\"two\",true,{\"k\":null}]}",
      "v, a=(string)< 1, \"\\\"two\\\"\", true, \"\\{\\\"k\\\":null\\}\" >;"},
  {"nested array", "{\"a\":[[1,2],[]]}",
      "v, a=(gint64)< < (gint64)1, (gint64)2 >, <  > >;"},
  {"member name with a dot", "{\"x.y\":\"1\"}", "v, x.y=(string)1;"},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    JsonParser *parser = json_parser_new ();
    GError *error = NULL;
    GstStructure *s;
    gchar *got;

    g_assert_true (json_parser_load_from_data (parser, c->json, -1, &error));
    s = gst_genesys_json_to_structure ("v",
        json_node_get_object (json_parser_get_root (parser)));
    got = gst_structure_to_string (s);
    if (g_strcmp0 (got, c->expect) != 0)
      g_error ("case \"%s\": got %s, expected %s", c->name, got, c->expect);
    g_free (got);
    gst_structure_free (s);
    g_object_unref (parser);
  }
}

/* What an application reads back with the structure API. */
static void
test_read_back (void)
{
  JsonParser *parser = json_parser_new ();
  const GstStructure *inner;
  const GValue *array;
  GstStructure *s;
  gint64 n;

  g_assert_true (json_parser_load_from_data (parser,
          "{\"lang\":\"en-US\",\"limits\":{\"turns\":3},\"tags\":[\"a\",\"b\"]}",
          -1, NULL));
  s = gst_genesys_json_to_structure ("custom-config",
      json_node_get_object (json_parser_get_root (parser)));
  g_assert_cmpstr (gst_structure_get_name (s), ==, "custom-config");
  g_assert_cmpstr (gst_structure_get_string (s, "lang"), ==, "en-US");
  inner = gst_value_get_structure (gst_structure_get_value (s, "limits"));
  g_assert_true (gst_structure_get_int64 (inner, "turns", &n));
  g_assert_cmpint (n, ==, 3);
  array = gst_structure_get_value (s, "tags");
  g_assert_cmpuint (gst_value_array_get_size (array), ==, 2);
  g_assert_cmpstr (g_value_get_string (gst_value_array_get_value (array, 1)),
      ==, "b");
  gst_structure_free (s);
  g_object_unref (parser);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/table", test_table);
  g_test_add_func ("/json/read-back", test_read_back);
  return g_test_run ();
}
