/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* gst-genesys-serve's launch templates under any template text and any
 * values a client puts in its open (ani, language, customConfig members):
 * a value can never bring a byte into the launch description that is
 * neither in the template nor in the sanitised set, sanitised values obey
 * their rules, and checking and filling any text is safe. Input: the
 * template, a 0 byte, then the values separated by 0 bytes. */

#include <string.h>
#include <json-glib/json-glib.h>
#include "gstgenesystemplate.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static gboolean
safe_byte (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '+' || c == '.';
}

static gchar *
next_part (const guint8 ** data, size_t *size)
{
  const guint8 *end = memchr (*data, 0, *size);
  gsize n = end ? (gsize) (end - *data) : *size;
  gchar *part = g_strndup ((const gchar *) *data, n);

  *data += MIN (n + 1, *size);
  *size -= MIN (n + 1, *size);
  return part;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *tmpl = next_part (&data, &size);
  gchar *v1 = next_part (&data, &size), *v2 = next_part (&data, &size);
  GstGenesysTemplateCall call = { v2, v1, G_MAXUINT, G_MAXUINT64 };
  AhMessage *open = ah_message_new (AH_MSG_OPEN);
  GError *error = NULL;
  gchar *safe, *filled;
  const gchar *p;
  gboolean ok;

  /* a sanitised value */
  safe = gst_genesys_template_sanitize (v1);
  g_assert (strlen (safe) <= 100);
  g_assert (safe[0] != '.');
  for (p = safe; *p; p++)
    g_assert (safe_byte (*p));
  g_free (safe);

  /* any text checks and fills */
  ok = gst_genesys_template_check (tmpl, &error);
  g_assert (ok == (error == NULL));
  g_clear_error (&error);

  open->conversation_id = g_strdup (v1);
  open->participant.ani = g_strdup (v2);
  open->participant.ani_name = g_strdup (v1);
  open->language = g_strdup (v2);
  open->custom_config = json_object_new ();
  json_object_set_string_member (open->custom_config, "k", v1);
  json_object_set_int_member (open->custom_config, "n", strlen (v2));
  open->input_variables = json_object_new ();
  json_object_set_string_member (open->input_variables, "q", v2);
  filled = gst_genesys_template_fill (tmpl, open, &call);
  /* every byte out is the template's or a sanitised one */
  for (p = filled; *p; p++)
    g_assert (safe_byte (*p) || strchr (tmpl, *p) != NULL);
  g_free (filled);
  filled = gst_genesys_template_fill (tmpl, NULL, NULL);
  g_free (filled);

  ah_message_unref (open);
  g_free (tmpl);
  g_free (v1);
  g_free (v2);
  return 0;
}
