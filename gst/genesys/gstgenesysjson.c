/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysjson.h"

static void node_to_value (JsonNode * node, GValue * value);

/* A GstValueArray holds one type: an array of mixed members becomes the
 * JSON text of each. */
static void
array_to_value (JsonArray * array, GValue * value)
{
  guint i, n = json_array_get_length (array);
  GValue *items = g_new0 (GValue, MAX (n, 1));
  gboolean mixed = FALSE;

  for (i = 0; i < n; i++) {
    node_to_value (json_array_get_element (array, i), &items[i]);
    mixed |= G_VALUE_TYPE (&items[i]) != G_VALUE_TYPE (&items[0]);
  }
  g_value_init (value, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    if (mixed) {
      g_value_unset (&items[i]);
      g_value_init (&items[i], G_TYPE_STRING);
      g_value_take_string (&items[i],
          json_to_string (json_array_get_element (array, i), FALSE));
    }
    gst_value_array_append_and_take_value (value, &items[i]);
  }
  g_free (items);
}

static void
node_to_value (JsonNode * node, GValue * value)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      g_value_init (value, GST_TYPE_STRUCTURE);
      g_value_take_boxed (value, gst_genesys_json_to_structure ("object",
              json_node_get_object (node)));
      break;
    case JSON_NODE_ARRAY:
      array_to_value (json_node_get_array (node), value);
      break;
    case JSON_NODE_NULL:
      g_value_init (value, G_TYPE_STRING);
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          g_value_init (value, G_TYPE_INT64);
          g_value_set_int64 (value, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          g_value_init (value, G_TYPE_DOUBLE);
          g_value_set_double (value, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_value_init (value, G_TYPE_BOOLEAN);
          g_value_set_boolean (value, json_node_get_boolean (node));
          break;
        default:
          g_value_init (value, G_TYPE_STRING);
          g_value_set_string (value, json_node_get_string (node));
          break;
      }
      break;
  }
}

/**
 * gst_genesys_json_to_structure:
 * @name: the structure's name (a valid GstStructure name)
 * @object: the members
 *
 * Returns: (transfer full): a structure with one field per member of
 * @object, in the member order.
 */
GstStructure *
gst_genesys_json_to_structure (const gchar * name, JsonObject * object)
{
  GstStructure *s = gst_structure_new_empty (name);
  GList *members = json_object_get_members (object), *l;

  for (l = members; l; l = l->next) {
    GValue value = G_VALUE_INIT;

    node_to_value (json_object_get_member (object, l->data), &value);
    gst_structure_take_value (s, l->data, &value);
  }
  g_list_free (members);
  return s;
}
