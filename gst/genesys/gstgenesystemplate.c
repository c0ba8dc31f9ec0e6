/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "gstgenesystemplate.h"

#define MAX_VALUE_LENGTH 100

gchar *
gst_genesys_template_sanitize (const gchar * value)
{
  GString *out = g_string_new (NULL);
  const gchar *p;

  for (p = value; p && *p && out->len < MAX_VALUE_LENGTH; p++) {
    gchar c = *p;
    if (!(g_ascii_isalnum (c) || c == '-' || c == '_' || c == '+'
            || (c == '.' && out->len > 0)))
      c = '_';
    g_string_append_c (out, c);
  }
  return g_string_free (out, FALSE);
}

static gchar *
json_member_string (JsonObject * obj, const gchar * key)
{
  JsonNode *node;

  if (!obj || !json_object_has_member (obj, key))
    return NULL;
  node = json_object_get_member (obj, key);
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

/* The value of placeholder @name, or FALSE when @name is none. Without
 * @open (checking the template), every value is "0". */
static gboolean
placeholder_value (const gchar * name, const AhMessage * open,
    const GstGenesysTemplateCall * call, gchar ** value)
{
  static const gchar *const names[] = { "session-id", "conversation-id",
    "organization-id", "participant-id", "ani", "ani-name", "dnis",
    "language", "connector-id", "segment", "start-position", NULL
  };
  JsonObject *obj = NULL;
  const gchar *key = NULL;

  if (g_str_has_prefix (name, "custom-config.")) {
    key = name + strlen ("custom-config.");
    obj = open ? open->custom_config : NULL;
  } else if (g_str_has_prefix (name, "input-variables.")) {
    key = name + strlen ("input-variables.");
    obj = open ? open->input_variables : NULL;
  } else if (!g_strv_contains (names, name)) {
    return FALSE;
  }
  if (key && *key == '\0')
    return FALSE;
  if (!open) {
    *value = g_strdup ("0");
  } else if (key) {
    *value = json_member_string (obj, key);
  } else if (strcmp (name, "session-id") == 0) {
    *value = g_strdup (call->session_id);
  } else if (strcmp (name, "connector-id") == 0) {
    *value = g_strdup (call->connector_id);
  } else if (strcmp (name, "segment") == 0) {
    *value = g_strdup_printf ("%u", call->segment);
  } else if (strcmp (name, "start-position") == 0) {
    *value = g_strdup_printf ("%" G_GUINT64_FORMAT, call->start_position);
  } else if (strcmp (name, "conversation-id") == 0) {
    *value = g_strdup (open->conversation_id);
  } else if (strcmp (name, "organization-id") == 0) {
    *value = g_strdup (open->organization_id);
  } else if (strcmp (name, "participant-id") == 0) {
    *value = g_strdup (open->participant.id);
  } else if (strcmp (name, "ani") == 0) {
    *value = g_strdup (open->participant.ani);
  } else if (strcmp (name, "ani-name") == 0) {
    *value = g_strdup (open->participant.ani_name);
  } else if (strcmp (name, "dnis") == 0) {
    *value = g_strdup (open->participant.dnis);
  } else {
    *value = g_strdup (open->language);
  }
  return TRUE;
}

/* Whether the brace at @pos of @tmpl is in caps: a caps filter segment
 * (between '!', starting with a media type such as audio/x-raw) or a quoted
 * caps="..." value. */
static gboolean
in_caps (const gchar * tmpl, const gchar * pos)
{
  const gchar *seg = pos, *caps, *q;
  guint quotes = 0;

  while (seg > tmpl && seg[-1] != '!')
    seg--;
  while (g_ascii_isspace (*seg))
    seg++;
  q = seg;
  while (g_ascii_isalnum (*q) || *q == '-')
    q++;
  if (q > seg && *q == '/')
    return TRUE;
  caps = g_strstr_len (seg, pos - seg, "caps=");
  if (!caps)
    return FALSE;
  for (q = caps; q < pos; q++)
    quotes += *q == '"';
  return quotes % 2 == 1;
}

/* Brace text that looks like a placeholder (lowercase, digits, '-', '_',
 * '.') but is none is a typo that would give every call the same file:
 * refused, except in caps (lists such as {S16LE} or {interleaved}). */
gboolean
gst_genesys_template_check (const gchar * tmpl, GError ** error)
{
  const gchar *p;

  for (p = strchr (tmpl, '{'); p; p = strchr (p + 1, '{')) {
    const gchar *end = strchr (p + 1, '}'), *c;
    gchar *name, *value = NULL, *hint;
    gboolean like = end && end > p + 1;

    for (c = p + 1; like && c < end; c++)
      like = g_ascii_islower (*c) || g_ascii_isdigit (*c) || *c == '-'
          || *c == '_' || *c == '.';
    if (!like || in_caps (tmpl, p))
      continue;
    name = g_strndup (p + 1, end - p - 1);
    if (placeholder_value (name, NULL, NULL, &value)) {
      g_free (value);
      g_free (name);
      continue;
    }
    g_strdelimit (name, "_", '-');
    hint = placeholder_value (name, NULL, NULL, &value) ?
        g_strdup_printf (" (did you mean {%s}?)", name) : g_strdup ("");
    g_free (value);
    g_free (name);
    name = g_strndup (p, end - p + 1);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "unknown placeholder %s in the launch template%s", name, hint);
    g_free (name);
    g_free (hint);
    return FALSE;
  }
  return TRUE;
}

gchar *
gst_genesys_template_fill (const gchar * tmpl, const AhMessage * open,
    const GstGenesysTemplateCall * call)
{
  GString *out = g_string_new (NULL);
  const gchar *p = tmpl;

  while (*p) {
    const gchar *end = *p == '{' ? strchr (p + 1, '}') : NULL;
    if (end) {
      gchar *name = g_strndup (p + 1, end - p - 1);
      gchar *value = NULL;
      gboolean known = placeholder_value (name, open, call, &value);
      g_free (name);
      if (known) {
        gchar *safe = gst_genesys_template_sanitize (value);
        g_string_append (out, safe);
        g_free (safe);
        g_free (value);
        p = end + 1;
        continue;
      }
    }
    g_string_append_c (out, *p++);
  }
  return g_string_free (out, FALSE);
}
