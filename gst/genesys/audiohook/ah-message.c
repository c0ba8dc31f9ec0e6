/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook v2 / Audio Connector messages <-> JSON.
 *
 * Reading happens in stages, cheapest and safest first:
 *   1. size limit;
 *   2. UTF-8 validity (this also rejects embedded NUL bytes);
 *   3. a strict RFC 8259 token scan that bounds the nesting depth before
 *      json-glib (whose parser recurses) sees the text, rejects the
 *      extensions json-glib would otherwise accept (comments, single
 *      quotes, hex and leading-zero numbers, raw control characters,
 *      trailing data), rejects escaped lone surrogates (json-glib would
 *      turn them into invalid UTF-8) and numbers that do not fit a double,
 *      and turns integer literals that do not fit a gint64 into doubles
 *      (json-glib would silently wrap them, e.g. -18446744073709551615
 *      would read as 1);
 *   4. JsonParser;
 *   5. the envelope and the parameters of the type, checking the JSON type
 *      of every node before calling a getter on it.
 *
 * Writing does not use JsonGenerator: json-glib 1.6 writes U+001F raw
 * inside strings and formats 1e21 as "1e+21.0", both invalid JSON. The
 * writer below emits members in a fixed order and escapes strings and
 * formats numbers itself, so that its output always reads back to the same
 * message and writes again to the same bytes. */

#include "ah-message.h"
#include "ah-duration.h"

#include <math.h>
#include <string.h>

GQuark
ah_message_error_quark (void)
{
  return g_quark_from_static_string ("ah-message-error-quark");
}

/* Longest piece of network input (in characters) quoted in an error. */
#define QUOTE_MAX 32

/* Highest rate ah_media_is_usable() accepts. The protocol only uses 8000,
 * but any rate that audio caps can carry is usable for us. */
#define MEDIA_MAX_RATE 192000

static const gchar *const type_names[AH_MSG_N_TYPES] = {
  [AH_MSG_UNKNOWN] = "unknown",
  [AH_MSG_OPEN] = "open",
  [AH_MSG_CLOSE] = "close",
  [AH_MSG_PING] = "ping",
  [AH_MSG_PAUSED] = "paused",
  [AH_MSG_RESUMED] = "resumed",
  [AH_MSG_DISCARDED] = "discarded",
  [AH_MSG_UPDATE] = "update",
  [AH_MSG_ERROR] = "error",
  [AH_MSG_DTMF] = "dtmf",
  [AH_MSG_PLAYBACK_STARTED] = "playback_started",
  [AH_MSG_PLAYBACK_COMPLETED] = "playback_completed",
  [AH_MSG_OPENED] = "opened",
  [AH_MSG_CLOSED] = "closed",
  [AH_MSG_PONG] = "pong",
  [AH_MSG_PAUSE] = "pause",
  [AH_MSG_RESUME] = "resume",
  [AH_MSG_DISCONNECT] = "disconnect",
  [AH_MSG_RECONNECT] = "reconnect",
  [AH_MSG_EVENT] = "event",
  [AH_MSG_UPDATED] = "updated",
};

const gchar *
ah_message_type_name (AhMessageType type)
{
  if ((guint) type >= AH_MSG_N_TYPES)
    return type_names[AH_MSG_UNKNOWN];
  return type_names[type];
}

AhMessageType
ah_message_type_from_name (const gchar * name)
{
  guint i;

  if (name == NULL)
    return AH_MSG_UNKNOWN;

  for (i = AH_MSG_UNKNOWN + 1; i < AH_MSG_N_TYPES; i++) {
    if (strcmp (name, type_names[i]) == 0)
      return (AhMessageType) i;
  }
  return AH_MSG_UNKNOWN;
}

/* AH_MSG_UNKNOWN has no sender; it reports AH_ROLE_CLIENT. */
AhRole
ah_message_type_sender (AhMessageType type)
{
  if (type >= AH_MSG_OPENED && type <= AH_MSG_UPDATED)
    return AH_ROLE_SERVER;
  return AH_ROLE_CLIENT;
}

/* ------------------------------------------------------------------------ */
/* Media */

const gchar *
ah_format_name (AhFormat format)
{
  switch (format) {
    case AH_FORMAT_PCMU:
      return "PCMU";
    case AH_FORMAT_L16:
      return "L16";
    case AH_FORMAT_UNKNOWN:
    default:
      return "unknown";
  }
}

const gchar *
ah_channel_name (AhChannel channel)
{
  switch (channel) {
    case AH_CHANNEL_EXTERNAL:
      return "external";
    case AH_CHANNEL_INTERNAL:
      return "internal";
    case AH_CHANNEL_UNKNOWN:
    default:
      return "unknown";
  }
}

static AhFormat
format_from_name (const gchar * name)
{
  if (strcmp (name, "PCMU") == 0)
    return AH_FORMAT_PCMU;
  if (strcmp (name, "L16") == 0)
    return AH_FORMAT_L16;
  return AH_FORMAT_UNKNOWN;
}

static AhChannel
channel_from_name (const gchar * name)
{
  if (strcmp (name, "external") == 0)
    return AH_CHANNEL_EXTERNAL;
  if (strcmp (name, "internal") == 0)
    return AH_CHANNEL_INTERNAL;
  return AH_CHANNEL_UNKNOWN;
}

gboolean
ah_media_equal (const AhMedia * a, const AhMedia * b)
{
  guint i;

  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a->format != b->format || a->rate != b->rate
      || a->n_channels != b->n_channels)
    return FALSE;
  for (i = 0; i < a->n_channels && i < G_N_ELEMENTS (a->channels); i++) {
    if (a->channels[i] != b->channels[i])
      return FALSE;
  }
  return TRUE;
}

guint
ah_media_frame_size (const AhMedia * media)
{
  guint n_channels;

  g_return_val_if_fail (media != NULL, 0);

  n_channels = MIN (media->n_channels, G_N_ELEMENTS (media->channels));
  switch (media->format) {
    case AH_FORMAT_PCMU:
      return n_channels;
    case AH_FORMAT_L16:
      return 2 * n_channels;
    case AH_FORMAT_UNKNOWN:
    default:
      return 0;
  }
}

gboolean
ah_media_is_usable (const AhMedia * media)
{
  guint i;

  g_return_val_if_fail (media != NULL, FALSE);

  if (media->format != AH_FORMAT_PCMU && media->format != AH_FORMAT_L16)
    return FALSE;
  if (media->rate == 0 || media->rate > MEDIA_MAX_RATE)
    return FALSE;
  if (media->n_channels < 1 || media->n_channels > 2)
    return FALSE;
  for (i = 0; i < media->n_channels; i++) {
    if (media->channels[i] != AH_CHANNEL_EXTERNAL
        && media->channels[i] != AH_CHANNEL_INTERNAL)
      return FALSE;
  }
  /* Two channels must be two different parties. */
  if (media->n_channels == 2 && media->channels[0] == media->channels[1])
    return FALSE;
  return TRUE;
}

gchar *
ah_media_to_string (const AhMedia * media)
{
  if (media == NULL || media->n_channels == 0)
    return g_strdup ("none");
  if (media->n_channels == 1)
    return g_strdup_printf ("%s/%u/%s", ah_format_name (media->format),
        media->rate, ah_channel_name (media->channels[0]));
  return g_strdup_printf ("%s/%u/%s,%s", ah_format_name (media->format),
      media->rate, ah_channel_name (media->channels[0]),
      ah_channel_name (media->channels[1]));
}

/* ------------------------------------------------------------------------ */
/* Message life cycle */

AhMessage *
ah_message_new (AhMessageType type)
{
  AhMessage *msg;

  g_return_val_if_fail ((guint) type < AH_MSG_N_TYPES, NULL);

  msg = g_new0 (AhMessage, 1);
  g_atomic_ref_count_init (&msg->ref_count);
  msg->type = type;
  msg->type_name = g_strdup (ah_message_type_name (type));
  return msg;
}

AhMessage *
ah_message_ref (AhMessage * msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  g_atomic_ref_count_inc (&msg->ref_count);
  return msg;
}

static void
continued_session_clear (gpointer data)
{
  AhContinuedSession *cs = data;

  g_clear_pointer (&cs->id, g_free);
}

void
ah_message_unref (AhMessage * msg)
{
  g_return_if_fail (msg != NULL);
  if (!g_atomic_ref_count_dec (&msg->ref_count))
    return;

  g_free (msg->type_name);
  g_free (msg->id);
  g_free (msg->organization_id);
  g_free (msg->conversation_id);
  g_free (msg->participant.id);
  g_free (msg->participant.ani);
  g_free (msg->participant.ani_name);
  g_free (msg->participant.dnis);
  g_free (msg->language);
  /* The message owns the ids and the language strings, however the arrays
   * were created. */
  if (msg->continued_sessions) {
    g_array_set_clear_func (msg->continued_sessions, continued_session_clear);
    g_array_unref (msg->continued_sessions);
  }
  g_clear_pointer (&msg->custom_config, json_object_unref);
  g_clear_pointer (&msg->input_variables, json_object_unref);
  g_clear_pointer (&msg->media, g_array_unref);
  if (msg->languages) {
    g_ptr_array_set_free_func (msg->languages, g_free);
    g_ptr_array_unref (msg->languages);
  }
  g_free (msg->reason);
  g_free (msg->info);
  g_clear_pointer (&msg->output_variables, json_object_unref);
  g_free (msg->message);
  g_free (msg->digit);
  g_clear_pointer (&msg->entities, json_array_unref);
  g_free (msg);
}

void
ah_message_add_media (AhMessage * msg, const AhMedia * media)
{
  g_return_if_fail (msg != NULL);
  g_return_if_fail (media != NULL);

  if (msg->media == NULL)
    msg->media = g_array_new (FALSE, TRUE, sizeof (AhMedia));
  g_array_append_vals (msg->media, media, 1);
}

void
ah_message_add_continued_session (AhMessage * msg, const gchar * id,
    gint64 serverseq, gint64 clientseq)
{
  AhContinuedSession cs;

  g_return_if_fail (msg != NULL);
  g_return_if_fail (id != NULL);

  if (msg->continued_sessions == NULL)
    msg->continued_sessions =
        g_array_new (FALSE, TRUE, sizeof (AhContinuedSession));
  cs.id = g_strdup (id);
  cs.serverseq = serverseq;
  cs.clientseq = clientseq;
  g_array_append_vals (msg->continued_sessions, &cs, 1);
}

/* ------------------------------------------------------------------------ */
/* UUIDs and probes */

gboolean
ah_uuid_is_valid (const gchar * s)
{
  guint i;

  if (s == NULL || strlen (s) != 36)
    return FALSE;
  if (strcmp (s, AH_NULL_UUID) == 0)
    return TRUE;

  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return FALSE;
    } else if (!g_ascii_isxdigit (s[i])) {
      return FALSE;
    }
  }
  /* Version nibble; the variant nibble is not checked. */
  return s[14] >= '1' && s[14] <= '5';
}

gboolean
ah_message_is_probe (const AhMessage * open)
{
  if (open == NULL || open->type != AH_MSG_OPEN)
    return FALSE;
  return g_strcmp0 (open->conversation_id, AH_NULL_UUID) == 0
      && g_strcmp0 (open->participant.id, AH_NULL_UUID) == 0;
}

gboolean
ah_message_has_entity (const AhMessage * msg, const gchar * type)
{
  guint i;

  if (msg == NULL || msg->type != AH_MSG_EVENT || msg->entities == NULL)
    return FALSE;
  for (i = 0; i < json_array_get_length (msg->entities); i++) {
    JsonNode *node = json_array_get_element (msg->entities, i);
    const gchar *t;

    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    t = json_object_get_string_member_with_default (json_node_get_object
        (node), "type", NULL);
    if (g_strcmp0 (t, type) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Token scan */

static gboolean
is_json_space (gchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
is_delimiter (const gchar * text, gsize len, gsize i)
{
  return i >= len || is_json_space (text[i]) || text[i] == ','
      || text[i] == ']' || text[i] == '}' || text[i] == ':';
}

static gint
read_hex4 (const gchar * text, gsize len, gsize i)
{
  gint v = 0;
  guint k;

  if (i + 4 > len)
    return -1;
  for (k = 0; k < 4; k++) {
    gint d = g_ascii_xdigit_value (text[i + k]);

    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* @i points at the opening quote; on success it points past the closing
 * quote. */
static gboolean
scan_string (const gchar * text, gsize len, gsize * i, GError ** error)
{
  gsize p = *i + 1;

  while (p < len) {
    guchar c = (guchar) text[p];

    if (c == '"') {
      *i = p + 1;
      return TRUE;
    }
    if (c < 0x20) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
          "not JSON: control character in a string at byte %" G_GSIZE_FORMAT,
          p);
      return FALSE;
    }
    if (c != '\\') {
      p++;
      continue;
    }
    if (p + 1 >= len)
      break;
    switch (text[p + 1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p += 2;
        break;
      case 'u':{
        gint cp = read_hex4 (text, len, p + 2);

        if (cp < 0)
          goto bad_escape;
        p += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff)
          goto bad_surrogate;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          gint lo;

          if (p + 1 >= len || text[p] != '\\' || text[p + 1] != 'u')
            goto bad_surrogate;
          lo = read_hex4 (text, len, p + 2);
          if (lo < 0xdc00 || lo > 0xdfff)
            goto bad_surrogate;
          p += 6;
        }
        break;
      }
      default:
        goto bad_escape;
    }
  }

  g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
      "not JSON: unterminated string at byte %" G_GSIZE_FORMAT, *i);
  return FALSE;

bad_escape:
  g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
      "not JSON: invalid escape in a string at byte %" G_GSIZE_FORMAT, p);
  return FALSE;

bad_surrogate:
  g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_ENCODING,
      "unpaired UTF-16 surrogate escape in a string near byte %"
      G_GSIZE_FORMAT, p);
  return FALSE;
}

/* @i points at the first character of a number; on success it points past
 * it. *int_overflow is set when the number is an integer literal outside
 * the gint64 range. */
static gboolean
scan_number (const gchar * text, gsize len, gsize * i,
    gboolean * int_overflow, GError ** error)
{
  gsize start = *i;
  gsize p = start;
  gboolean negative = FALSE;
  gboolean is_int = TRUE;
  guint64 limit, value = 0;

  *int_overflow = FALSE;

  if (text[p] == '-') {
    negative = TRUE;
    p++;
  }
  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;

  if (p < len && text[p] == '0') {
    p++;
  } else if (p < len && text[p] >= '1' && text[p] <= '9') {
    while (p < len && g_ascii_isdigit (text[p])) {
      guint d = text[p] - '0';

      if (value > (limit - d) / 10)
        *int_overflow = TRUE;
      else
        value = value * 10 + d;
      p++;
    }
  } else {
    goto bad_number;
  }

  if (p < len && text[p] == '.') {
    is_int = FALSE;
    p++;
    if (p >= len || !g_ascii_isdigit (text[p]))
      goto bad_number;
    while (p < len && g_ascii_isdigit (text[p]))
      p++;
  }
  if (p < len && (text[p] == 'e' || text[p] == 'E')) {
    is_int = FALSE;
    p++;
    if (p < len && (text[p] == '+' || text[p] == '-'))
      p++;
    if (p >= len || !g_ascii_isdigit (text[p]))
      goto bad_number;
    while (p < len && g_ascii_isdigit (text[p]))
      p++;
  }
  if (!is_delimiter (text, len, p))
    goto bad_number;

  if (!is_int || *int_overflow) {
    gchar *copy = g_strndup (text + start, p - start);
    gdouble d = g_ascii_strtod (copy, NULL);

    g_free (copy);
    if (!isfinite (d)) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_VALUE,
          "number out of range at byte %" G_GSIZE_FORMAT, start);
      return FALSE;
    }
  }
  if (!is_int)
    *int_overflow = FALSE;
  *i = p;
  return TRUE;

bad_number:
  g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
      "not JSON: invalid number at byte %" G_GSIZE_FORMAT, start);
  return FALSE;
}

/* Checks the tokens and nesting of @text. When integer literals need to be
 * read as doubles, *out_text is set to a rewritten copy. */
static gboolean
prescan (const gchar * text, gsize len, GString ** out_text, GError ** error)
{
  static const gchar *const literals[] = { "true", "false", "null" };
  gchar open[AH_MESSAGE_MAX_DEPTH];
  GString *out = NULL;
  gsize copied = 0;
  gsize i = 0;
  guint depth = 0;
  gboolean seen_value = FALSE, top_done = FALSE;

  *out_text = NULL;

  while (i < len) {
    gchar c = text[i];
    gboolean value_ends = FALSE;

    if (is_json_space (c)) {
      i++;
      continue;
    }
    if (top_done) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
          "not JSON: trailing data at byte %" G_GSIZE_FORMAT, i);
      goto fail;
    }
    seen_value = TRUE;

    switch (c) {
      case '{':
      case '[':
        if (depth == AH_MESSAGE_MAX_DEPTH) {
          g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TOO_DEEP,
              "nesting deeper than %d at byte %" G_GSIZE_FORMAT,
              AH_MESSAGE_MAX_DEPTH, i);
          goto fail;
        }
        open[depth++] = c;
        i++;
        break;
      case '}':
      case ']':
        if (depth == 0 || open[depth - 1] != (c == '}' ? '{' : '[')) {
          g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
              "not JSON: unbalanced '%c' at byte %" G_GSIZE_FORMAT, c, i);
          goto fail;
        }
        depth--;
        value_ends = TRUE;
        i++;
        break;
      case ':':
      case ',':
        i++;
        break;
      case '"':
        if (!scan_string (text, len, &i, error))
          goto fail;
        value_ends = TRUE;
        break;
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':{
        gboolean int_overflow;

        if (!scan_number (text, len, &i, &int_overflow, error))
          goto fail;
        if (int_overflow) {
          /* Read it as a double rather than let json-glib wrap it. */
          if (out == NULL)
            out = g_string_sized_new (len + 16);
          g_string_append_len (out, text + copied, i - copied);
          g_string_append (out, ".0");
          copied = i;
        }
        value_ends = TRUE;
        break;
      }
      default:{
        guint k;

        for (k = 0; k < G_N_ELEMENTS (literals); k++) {
          gsize n = strlen (literals[k]);

          if (len - i >= n && memcmp (text + i, literals[k], n) == 0
              && is_delimiter (text, len, i + n)) {
            i += n;
            value_ends = TRUE;
            break;
          }
        }
        if (!value_ends) {
          g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
              "not JSON: unexpected character at byte %" G_GSIZE_FORMAT, i);
          goto fail;
        }
        break;
      }
    }
    if (value_ends && depth == 0)
      top_done = TRUE;
  }

  if (!seen_value) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
        "not JSON: empty message");
    goto fail;
  }
  if (depth > 0) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
        "not JSON: unexpected end of message");
    goto fail;
  }

  if (out != NULL) {
    g_string_append_len (out, text + copied, len - copied);
    *out_text = out;
  }
  return TRUE;

fail:
  if (out != NULL)
    g_string_free (out, TRUE);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Reader helpers */

typedef enum
{
  KIND_STRING,
  KIND_INT,
  KIND_BOOL,
  KIND_OBJECT,
  KIND_ARRAY,
} Kind;

static const gchar *const kind_names[] = {
  [KIND_STRING] = "a string",
  [KIND_INT] = "an integer",
  [KIND_BOOL] = "a boolean",
  [KIND_OBJECT] = "an object",
  [KIND_ARRAY] = "an array",
};

static gboolean
node_is_kind (JsonNode * node, Kind kind)
{
  switch (kind) {
    case KIND_STRING:
      return JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING;
    case KIND_INT:
      return JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_INT64;
    case KIND_BOOL:
      return JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
    case KIND_OBJECT:
      return JSON_NODE_HOLDS_OBJECT (node);
    case KIND_ARRAY:
      return JSON_NODE_HOLDS_ARRAY (node);
    default:
      return FALSE;
  }
}

static void
set_path_error (GError ** error, AhMessageError code, const gchar * prefix,
    const gchar * name, const gchar * what)
{
  g_set_error (error, AH_MESSAGE_ERROR, code, "%s%s%s: %s", prefix,
      *prefix != '\0' ? "." : "", name, what);
}

/* An escaped, length-capped copy of network text for error messages. */
static gchar *
quote_capped (const gchar * s)
{
  gchar *head, *quoted, *ret;
  glong n = g_utf8_strlen (s, -1);

  head = g_utf8_substring (s, 0, MIN (n, QUOTE_MAX));
  quoted = g_strescape (head, NULL);
  ret = g_strdup_printf ("\"%s\"%s", quoted, n > QUOTE_MAX ? "..." : "");
  g_free (quoted);
  g_free (head);
  return ret;
}

/* A copy of @s cut to at most @max_bytes on a character boundary. */
static gchar *
utf8_truncate (const gchar * s, gsize max_bytes)
{
  const gchar *end;

  if (strlen (s) <= max_bytes)
    return g_strdup (s);
  g_utf8_validate (s, max_bytes, &end);
  return g_strdup_printf ("%.*s...", (gint) (end - s), s);
}

/* Looks up @name in @obj. A missing member, or a JSON null for an optional
 * one, gives *out = NULL. Fails on a missing required member and on a
 * member of the wrong kind. */
static gboolean
lookup (JsonObject * obj, const gchar * prefix, const gchar * name,
    Kind kind, gboolean required, JsonNode ** out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = NULL;
  if (node == NULL || (!required && JSON_NODE_HOLDS_NULL (node))) {
    if (required) {
      set_path_error (error, AH_MESSAGE_ERROR_MISSING, prefix, name, "missing");
      return FALSE;
    }
    return TRUE;
  }
  if (!node_is_kind (node, kind)) {
    gchar *what = g_strconcat ("expected ", kind_names[kind], NULL);

    set_path_error (error, AH_MESSAGE_ERROR_TYPE, prefix, name, what);
    g_free (what);
    return FALSE;
  }
  *out = node;
  return TRUE;
}

static gboolean
get_string (JsonObject * obj, const gchar * prefix, const gchar * name,
    gboolean required, gchar ** out, GError ** error)
{
  JsonNode *node;

  if (!lookup (obj, prefix, name, KIND_STRING, required, &node, error))
    return FALSE;
  if (node != NULL) {
    g_free (*out);
    *out = g_strdup (json_node_get_string (node));
  }
  return TRUE;
}

static gboolean
get_int (JsonObject * obj, const gchar * prefix, const gchar * name,
    gint64 min, gint64 * out, GError ** error)
{
  JsonNode *node;
  gint64 v;

  if (!lookup (obj, prefix, name, KIND_INT, TRUE, &node, error))
    return FALSE;
  v = json_node_get_int (node);
  if (v < min) {
    gchar *what = g_strdup_printf ("must be >= %" G_GINT64_FORMAT, min);

    set_path_error (error, AH_MESSAGE_ERROR_VALUE, prefix, name, what);
    g_free (what);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
get_bool (JsonObject * obj, const gchar * prefix, const gchar * name,
    gboolean * out, GError ** error)
{
  JsonNode *node;

  if (!lookup (obj, prefix, name, KIND_BOOL, FALSE, &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_duration (JsonObject * obj, const gchar * prefix, const gchar * name,
    gboolean required, gboolean * has, guint64 * out, GError ** error)
{
  JsonNode *node;
  const gchar *str;
  GError *err = NULL;

  if (has != NULL)
    *has = FALSE;
  if (!lookup (obj, prefix, name, KIND_STRING, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  str = json_node_get_string (node);
  if (!ah_duration_parse (str, out, &err)) {
    gchar *quoted = quote_capped (str);
    gchar *what = g_strdup_printf ("invalid duration %s", quoted);

    set_path_error (error, AH_MESSAGE_ERROR_VALUE, prefix, name, what);
    g_free (what);
    g_free (quoted);
    g_clear_error (&err);
    return FALSE;
  }
  if (has != NULL)
    *has = TRUE;
  return TRUE;
}

/* A new object with the string members of @src, in order. */
static JsonObject *
string_map_copy (JsonObject * src)
{
  JsonObject *dst = json_object_new ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, src);
  while (json_object_iter_next_ordered (&iter, &name, &node)) {
    if (node_is_kind (node, KIND_STRING))
      json_object_set_string_member (dst, name, json_node_get_string (node));
  }
  return dst;
}

static gboolean
get_string_map (JsonObject * obj, const gchar * prefix, const gchar * name,
    JsonObject ** out, GError ** error)
{
  JsonNode *node;

  if (!lookup (obj, prefix, name, KIND_OBJECT, FALSE, &node, error))
    return FALSE;
  if (node != NULL)
    *out = string_map_copy (json_node_get_object (node));
  return TRUE;
}

static gboolean
parse_media_entry (JsonNode * node, const gchar * path, AhMedia * media,
    GError ** error)
{
  JsonObject *obj;
  JsonNode *type, *format, *channels, *rate;
  JsonArray *arr;
  guint n, i;
  gint64 r;

  memset (media, 0, sizeof (*media));

  if (!node_is_kind (node, KIND_OBJECT)) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TYPE,
        "%s: expected an object", path);
    return FALSE;
  }
  obj = json_node_get_object (node);
  if (!lookup (obj, path, "type", KIND_STRING, TRUE, &type, error)
      || !lookup (obj, path, "format", KIND_STRING, TRUE, &format, error)
      || !lookup (obj, path, "channels", KIND_ARRAY, TRUE, &channels, error)
      || !lookup (obj, path, "rate", KIND_INT, TRUE, &rate, error))
    return FALSE;

  arr = json_node_get_array (channels);
  n = json_array_get_length (arr);
  for (i = 0; i < n; i++) {
    JsonNode *ch = json_array_get_element (arr, i);

    if (!node_is_kind (ch, KIND_STRING)) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TYPE,
          "%s.channels[%u]: expected a string", path, i);
      return FALSE;
    }
    if (n <= G_N_ELEMENTS (media->channels))
      media->channels[i] = channel_from_name (json_node_get_string (ch));
  }

  /* Entries we cannot use are kept, marked so they are never chosen: a
   * type other than "audio" gives an unknown format, a channel count other
   * than 1 or 2 gives n_channels 0, a rate outside guint gives rate 0. */
  if (strcmp (json_node_get_string (type), "audio") == 0)
    media->format = format_from_name (json_node_get_string (format));
  else
    media->format = AH_FORMAT_UNKNOWN;
  media->n_channels = (n >= 1 && n <= G_N_ELEMENTS (media->channels)) ? n : 0;
  r = json_node_get_int (rate);
  media->rate = (r > 0 && r <= G_MAXUINT) ? (guint) r : 0;
  return TRUE;
}

static gboolean
parse_media_array (JsonObject * params, gboolean required, AhMessage * msg,
    GError ** error)
{
  JsonNode *node;
  JsonArray *arr;
  guint n, i;

  if (!lookup (params, "parameters", "media", KIND_ARRAY, required, &node,
          error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  arr = json_node_get_array (node);
  n = json_array_get_length (arr);
  msg->media = g_array_sized_new (FALSE, TRUE, sizeof (AhMedia), n);
  for (i = 0; i < n; i++) {
    gchar *path = g_strdup_printf ("parameters.media[%u]", i);
    AhMedia media;
    gboolean ok;

    ok = parse_media_entry (json_array_get_element (arr, i), path, &media,
        error);
    g_free (path);
    if (!ok)
      return FALSE;
    g_array_append_vals (msg->media, &media, 1);
  }
  return TRUE;
}

static gboolean
parse_open (JsonObject * params, AhMessage * msg, GError ** error)
{
  const gchar *p = "parameters";
  const gchar *pp = "parameters.participant";
  JsonNode *node;
  JsonObject *participant;

  if (!get_string (params, p, "organizationId", TRUE, &msg->organization_id,
          error)
      || !get_string (params, p, "conversationId", TRUE,
          &msg->conversation_id, error))
    return FALSE;

  if (!lookup (params, p, "participant", KIND_OBJECT, TRUE, &node, error))
    return FALSE;
  participant = json_node_get_object (node);
  if (!get_string (participant, pp, "id", TRUE, &msg->participant.id, error)
      || !get_string (participant, pp, "ani", TRUE, &msg->participant.ani,
          error)
      || !get_string (participant, pp, "aniName", TRUE,
          &msg->participant.ani_name, error)
      || !get_string (participant, pp, "dnis", TRUE, &msg->participant.dnis,
          error))
    return FALSE;

  if (!parse_media_array (params, TRUE, msg, error))
    return FALSE;

  if (!get_string (params, p, "language", FALSE, &msg->language, error)
      || !get_bool (params, p, "supportedLanguages",
          &msg->supported_languages, error))
    return FALSE;

  if (!lookup (params, p, "continuedSessions", KIND_ARRAY, FALSE, &node, error))
    return FALSE;
  if (node != NULL) {
    JsonArray *arr = json_node_get_array (node);
    guint n = json_array_get_length (arr), i;

    msg->continued_sessions =
        g_array_sized_new (FALSE, TRUE, sizeof (AhContinuedSession), n);
    for (i = 0; i < n; i++) {
      JsonNode *item = json_array_get_element (arr, i);
      gchar *path = g_strdup_printf ("parameters.continuedSessions[%u]", i);
      AhContinuedSession cs = { NULL, 0, 0 };
      gboolean ok;

      if (!node_is_kind (item, KIND_OBJECT)) {
        g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TYPE,
            "%s: expected an object", path);
        ok = FALSE;
      } else {
        JsonObject *obj = json_node_get_object (item);

        ok = get_string (obj, path, "id", TRUE, &cs.id, error)
            && get_int (obj, path, "serverseq", 0, &cs.serverseq, error)
            && get_int (obj, path, "clientseq", 0, &cs.clientseq, error);
      }
      g_free (path);
      if (!ok) {
        g_free (cs.id);
        return FALSE;
      }
      g_array_append_vals (msg->continued_sessions, &cs, 1);
    }
  }

  if (!lookup (params, p, "customConfig", KIND_OBJECT, FALSE, &node, error))
    return FALSE;
  if (node != NULL)
    msg->custom_config = json_node_dup_object (node);

  return get_string_map (params, p, "inputVariables", &msg->input_variables,
      error);
}

static gboolean
parse_opened (JsonObject * params, AhMessage * msg, GError ** error)
{
  const gchar *p = "parameters";
  JsonNode *node;

  if (!parse_media_array (params, TRUE, msg, error)
      || !get_bool (params, p, "startPaused", &msg->start_paused, error)
      || !get_duration (params, p, "discardTo", FALSE, &msg->has_discard_to,
          &msg->discard_to, error))
    return FALSE;

  if (!lookup (params, p, "supportedLanguages", KIND_ARRAY, FALSE, &node,
          error))
    return FALSE;
  if (node != NULL) {
    JsonArray *arr = json_node_get_array (node);
    guint n = json_array_get_length (arr), i;

    msg->languages = g_ptr_array_new_full (n, g_free);
    for (i = 0; i < n; i++) {
      JsonNode *item = json_array_get_element (arr, i);

      if (!node_is_kind (item, KIND_STRING)) {
        g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TYPE,
            "parameters.supportedLanguages[%u]: expected a string", i);
        return FALSE;
      }
      g_ptr_array_add (msg->languages, g_strdup (json_node_get_string (item)));
    }
  }
  return TRUE;
}

static gboolean
parse_event (JsonObject * params, AhMessage * msg, GError ** error)
{
  JsonNode *node;
  JsonArray *arr;
  guint n, i;

  if (!lookup (params, "parameters", "entities", KIND_ARRAY, TRUE, &node,
          error))
    return FALSE;

  arr = json_node_get_array (node);
  n = json_array_get_length (arr);
  msg->entities = json_array_sized_new (n);
  for (i = 0; i < n; i++) {
    JsonNode *item = json_array_get_element (arr, i);
    gchar *path = g_strdup_printf ("parameters.entities[%u]", i);
    JsonObject *obj, *entity;
    JsonNode *type, *data;
    gboolean ok;

    if (!node_is_kind (item, KIND_OBJECT)) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TYPE,
          "%s: expected an object", path);
      g_free (path);
      return FALSE;
    }
    obj = json_node_get_object (item);
    ok = lookup (obj, path, "type", KIND_STRING, TRUE, &type, error);
    g_free (path);
    if (!ok)
      return FALSE;

    /* Keep only type and data; "data" may be any JSON value and reads as
     * {} when absent. */
    entity = json_object_new ();
    json_object_set_string_member (entity, "type", json_node_get_string (type));
    data = json_object_get_member (obj, "data");
    if (data != NULL)
      json_object_set_member (entity, "data", json_node_copy (data));
    else
      json_object_set_object_member (entity, "data", json_object_new ());
    json_array_add_object_element (msg->entities, entity);
  }
  return TRUE;
}

static gboolean
parse_parameters (JsonObject * params, AhMessage * msg, GError ** error)
{
  const gchar *p = "parameters";

  switch (msg->type) {
    case AH_MSG_OPEN:
      return parse_open (params, msg, error);
    case AH_MSG_CLOSE:
      return get_string (params, p, "reason", TRUE, &msg->reason, error);
    case AH_MSG_PING:
      return get_duration (params, p, "rtt", FALSE, &msg->has_rtt,
          &msg->rtt, error);
    case AH_MSG_RESUMED:
    case AH_MSG_DISCARDED:
      return get_duration (params, p, "start", TRUE, NULL, &msg->start, error)
          && get_duration (params, p, "discarded", TRUE, NULL,
          &msg->discarded, error);
    case AH_MSG_UPDATE:
      return get_string (params, p, "language", FALSE, &msg->language, error);
    case AH_MSG_ERROR:
      return get_int (params, p, "code", G_MININT64, &msg->code, error)
          && get_string (params, p, "message", TRUE, &msg->message, error)
          && get_duration (params, p, "retryAfter", FALSE,
          &msg->has_retry_after, &msg->retry_after, error);
    case AH_MSG_DTMF:
      return get_string (params, p, "digit", TRUE, &msg->digit, error);
    case AH_MSG_OPENED:
      return parse_opened (params, msg, error);
    case AH_MSG_DISCONNECT:
      return get_string (params, p, "reason", TRUE, &msg->reason, error)
          && get_string (params, p, "info", FALSE, &msg->info, error)
          && get_string_map (params, p, "outputVariables",
          &msg->output_variables, error);
    case AH_MSG_RECONNECT:
      return get_string (params, p, "info", FALSE, &msg->info, error);
    case AH_MSG_EVENT:
      return parse_event (params, msg, error);
    case AH_MSG_PAUSED:
    case AH_MSG_PLAYBACK_STARTED:
    case AH_MSG_PLAYBACK_COMPLETED:
    case AH_MSG_CLOSED:
    case AH_MSG_PONG:
    case AH_MSG_PAUSE:
    case AH_MSG_RESUME:
    case AH_MSG_UPDATED:
    case AH_MSG_UNKNOWN:
    default:
      return TRUE;
  }
}

static gboolean
parse_envelope (JsonObject * root, AhRole sender, AhMessage * msg,
    JsonObject ** params, GError ** error)
{
  JsonNode *node;
  gchar *type_name = NULL;

  /* "version": the string "2"; the number 2 is tolerated. */
  node = json_object_get_member (root, "version");
  if (node == NULL) {
    set_path_error (error, AH_MESSAGE_ERROR_MISSING, "", "version", "missing");
    return FALSE;
  }
  if (node_is_kind (node, KIND_STRING)) {
    const gchar *v = json_node_get_string (node);

    if (strcmp (v, "2") != 0) {
      gchar *quoted = quote_capped (v);

      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_VALUE,
          "version: unsupported version %s", quoted);
      g_free (quoted);
      return FALSE;
    }
  } else if (node_is_kind (node, KIND_INT)) {
    if (json_node_get_int (node) != 2) {
      g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_VALUE,
          "version: unsupported version %" G_GINT64_FORMAT,
          json_node_get_int (node));
      return FALSE;
    }
  } else {
    set_path_error (error, AH_MESSAGE_ERROR_TYPE, "", "version",
        "expected a string");
    return FALSE;
  }

  if (!get_string (root, "", "id", TRUE, &msg->id, error)
      || !get_string (root, "", "type", TRUE, &type_name, error))
    return FALSE;
  g_free (msg->type_name);
  msg->type_name = type_name;

  if (!get_int (root, "", "seq", 1, &msg->seq, error))
    return FALSE;

  if (sender == AH_ROLE_CLIENT) {
    if (!get_int (root, "", "serverseq", 0, &msg->serverseq, error)
        || !get_duration (root, "", "position", TRUE, NULL, &msg->position,
            error))
      return FALSE;
  } else {
    if (!get_int (root, "", "clientseq", 0, &msg->clientseq, error))
      return FALSE;
  }

  /* A missing (or null) "parameters" reads as {}. */
  if (!lookup (root, "", "parameters", KIND_OBJECT, FALSE, &node, error))
    return FALSE;
  *params = node != NULL ? json_node_get_object (node) : NULL;
  return TRUE;
}

AhMessage *
ah_message_parse (const gchar * text, gssize len, AhRole sender,
    gsize max_size, GError ** error)
{
  JsonParser *parser = NULL;
  GString *rewritten = NULL;
  GError *err = NULL;
  JsonNode *root;
  JsonObject *params = NULL;
  AhMessage *msg = NULL;
  AhMessageType type;
  gsize size;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (sender == AH_ROLE_CLIENT || sender == AH_ROLE_SERVER,
      NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (max_size == 0)
    max_size = AH_MESSAGE_MAX_SIZE;
  if (text == NULL)
    text = "";

  size = len < 0 ? strlen (text) : (gsize) len;
  if (size > max_size) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_TOO_LARGE,
        "message of %" G_GSIZE_FORMAT " bytes is over the limit of %"
        G_GSIZE_FORMAT, size, max_size);
    return NULL;
  }
  if (!g_utf8_validate (text, size, NULL)) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_ENCODING,
        "message is not valid UTF-8");
    return NULL;
  }
  if (!prescan (text, size, &rewritten, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser,
          rewritten ? rewritten->str : text,
          rewritten ? (gssize) rewritten->len : (gssize) size, &err)) {
    gchar *short_msg = utf8_truncate (err->message, 200);

    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
        "not JSON: %s", short_msg);
    g_free (short_msg);
    g_clear_error (&err);
    goto done;
  }
  root = json_parser_get_root (parser);
  if (root == NULL) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_JSON,
        "not JSON: empty message");
    goto done;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, AH_MESSAGE_ERROR, AH_MESSAGE_ERROR_NOT_OBJECT,
        "message is a JSON %s, not an object",
        JSON_NODE_HOLDS_ARRAY (root) ? "array" : "value");
    goto done;
  }

  msg = ah_message_new (AH_MSG_UNKNOWN);
  if (!parse_envelope (json_node_get_object (root), sender, msg, &params,
          error))
    goto fail;

  /* Unknown types, and known types the other role sends, keep only the
   * envelope. */
  type = ah_message_type_from_name (msg->type_name);
  if (type == AH_MSG_UNKNOWN || ah_message_type_sender (type) != sender)
    goto done;

  msg->type = type;
  if (params == NULL) {
    JsonObject *empty = json_object_new ();
    gboolean ok = parse_parameters (empty, msg, error);

    json_object_unref (empty);
    if (!ok)
      goto fail;
  } else if (!parse_parameters (params, msg, error)) {
    goto fail;
  }
  goto done;

fail:
  g_clear_pointer (&msg, ah_message_unref);
done:
  if (rewritten != NULL)
    g_string_free (rewritten, TRUE);
  g_clear_object (&parser);
  return msg;
}

/* ------------------------------------------------------------------------ */
/* Writer */

static void
write_string (GString * s, const gchar * str)
{
  gchar *valid = NULL;
  const guchar *p;

  if (str == NULL)
    str = "";
  if (!g_utf8_validate (str, -1, NULL))
    str = valid = g_utf8_make_valid (str, -1);

  g_string_append_c (s, '"');
  for (p = (const guchar *) str; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\b':
        g_string_append (s, "\\b");
        break;
      case '\f':
        g_string_append (s, "\\f");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (s, "\\u%04x", *p);
        else
          g_string_append_c (s, (gchar) * p);
        break;
    }
  }
  g_string_append_c (s, '"');
  g_free (valid);
}

/* Appends the separator and the key of a new member; the caller has
 * opened the object with '{'. */
static void
write_key (GString * s, const gchar * key)
{
  if (s->str[s->len - 1] != '{')
    g_string_append_c (s, ',');
  write_string (s, key);
  g_string_append_c (s, ':');
}

static void
write_element_sep (GString * s)
{
  if (s->str[s->len - 1] != '[')
    g_string_append_c (s, ',');
}

static void
write_double (GString * s, gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no infinities or NaN. */
  if (!isfinite (d)) {
    g_string_append (s, "null");
    return;
  }
  g_ascii_dtostr (buf, sizeof (buf), d);
  g_string_append (s, buf);
  /* Keep it a double when read back (this also keeps -0.0). */
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (s, ".0");
}

static void write_node (GString * s, JsonNode * node);

static void
write_object (GString * s, JsonObject * obj)
{
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *node;

  g_string_append_c (s, '{');
  json_object_iter_init_ordered (&iter, obj);
  while (json_object_iter_next_ordered (&iter, &name, &node)) {
    write_key (s, name);
    write_node (s, node);
  }
  g_string_append_c (s, '}');
}

static void
write_node (GString * s, JsonNode * node)
{
  switch (json_node_get_node_type (node)) {
    case JSON_NODE_OBJECT:
      write_object (s, json_node_get_object (node));
      break;
    case JSON_NODE_ARRAY:{
      JsonArray *arr = json_node_get_array (node);
      guint n = json_array_get_length (arr), i;

      g_string_append_c (s, '[');
      for (i = 0; i < n; i++) {
        write_element_sep (s);
        write_node (s, json_array_get_element (arr, i));
      }
      g_string_append_c (s, ']');
      break;
    }
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_STRING:
          write_string (s, json_node_get_string (node));
          break;
        case G_TYPE_INT64:
          g_string_append_printf (s, "%" G_GINT64_FORMAT,
              json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          write_double (s, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (s, json_node_get_boolean (node) ? "true" : "false");
          break;
        default:
          g_string_append (s, "null");
          break;
      }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (s, "null");
      break;
  }
}

static void
write_string_member (GString * s, const gchar * key, const gchar * value)
{
  write_key (s, key);
  write_string (s, value);
}

static void
write_int_member (GString * s, const gchar * key, gint64 value)
{
  write_key (s, key);
  g_string_append_printf (s, "%" G_GINT64_FORMAT, value);
}

static void
write_bool_member (GString * s, const gchar * key, gboolean value)
{
  write_key (s, key);
  g_string_append (s, value ? "true" : "false");
}

static void
write_duration_member (GString * s, const gchar * key, guint64 ns)
{
  gchar *str = ah_duration_format (ns);

  write_string_member (s, key, str);
  g_free (str);
}

/* Only the string members: the protocol defines these maps as strings. */
static void
write_string_map_member (GString * s, const gchar * key, JsonObject * obj)
{
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *node;

  write_key (s, key);
  g_string_append_c (s, '{');
  json_object_iter_init_ordered (&iter, obj);
  while (json_object_iter_next_ordered (&iter, &name, &node)) {
    if (node_is_kind (node, KIND_STRING))
      write_string_member (s, name, json_node_get_string (node));
  }
  g_string_append_c (s, '}');
}

static void
write_media_member (GString * s, GArray * media)
{
  guint i, k;

  write_key (s, "media");
  g_string_append_c (s, '[');
  for (i = 0; media != NULL && i < media->len; i++) {
    const AhMedia *m = &g_array_index (media, AhMedia, i);
    guint n_channels = MIN (m->n_channels, G_N_ELEMENTS (m->channels));

    write_element_sep (s);
    g_string_append_c (s, '{');
    write_string_member (s, "type", "audio");
    write_string_member (s, "format", ah_format_name (m->format));
    write_key (s, "channels");
    g_string_append_c (s, '[');
    for (k = 0; k < n_channels; k++) {
      write_element_sep (s);
      write_string (s, ah_channel_name (m->channels[k]));
    }
    g_string_append_c (s, ']');
    write_int_member (s, "rate", m->rate);
    g_string_append_c (s, '}');
  }
  g_string_append_c (s, ']');
}

static void
write_open (GString * s, const AhMessage * msg)
{
  guint i;

  write_string_member (s, "organizationId", msg->organization_id);
  write_string_member (s, "conversationId", msg->conversation_id);
  write_key (s, "participant");
  g_string_append_c (s, '{');
  write_string_member (s, "id", msg->participant.id);
  write_string_member (s, "ani", msg->participant.ani);
  write_string_member (s, "aniName", msg->participant.ani_name);
  write_string_member (s, "dnis", msg->participant.dnis);
  g_string_append_c (s, '}');
  write_media_member (s, msg->media);
  if (msg->language != NULL)
    write_string_member (s, "language", msg->language);
  if (msg->supported_languages)
    write_bool_member (s, "supportedLanguages", TRUE);
  if (msg->continued_sessions != NULL) {
    write_key (s, "continuedSessions");
    g_string_append_c (s, '[');
    for (i = 0; i < msg->continued_sessions->len; i++) {
      const AhContinuedSession *cs =
          &g_array_index (msg->continued_sessions, AhContinuedSession, i);

      write_element_sep (s);
      g_string_append_c (s, '{');
      write_string_member (s, "id", cs->id);
      write_int_member (s, "serverseq", cs->serverseq);
      write_int_member (s, "clientseq", cs->clientseq);
      g_string_append_c (s, '}');
    }
    g_string_append_c (s, ']');
  }
  if (msg->custom_config != NULL) {
    write_key (s, "customConfig");
    write_object (s, msg->custom_config);
  }
  if (msg->input_variables != NULL)
    write_string_map_member (s, "inputVariables", msg->input_variables);
}

static void
write_opened (GString * s, const AhMessage * msg)
{
  guint i;

  write_media_member (s, msg->media);
  write_bool_member (s, "startPaused", msg->start_paused);
  if (msg->has_discard_to)
    write_duration_member (s, "discardTo", msg->discard_to);
  if (msg->languages != NULL) {
    write_key (s, "supportedLanguages");
    g_string_append_c (s, '[');
    for (i = 0; i < msg->languages->len; i++) {
      write_element_sep (s);
      write_string (s, g_ptr_array_index (msg->languages, i));
    }
    g_string_append_c (s, ']');
  }
}

/* Entities are written as {"type", "data"}; "data" is {} when absent, and
 * entries without a string "type" are skipped. */
static void
write_entities (GString * s, JsonArray * entities)
{
  guint n = entities ? json_array_get_length (entities) : 0, i;

  write_key (s, "entities");
  g_string_append_c (s, '[');
  for (i = 0; i < n; i++) {
    JsonNode *item = json_array_get_element (entities, i);
    JsonObject *obj;
    JsonNode *type, *data;

    if (!JSON_NODE_HOLDS_OBJECT (item))
      continue;
    obj = json_node_get_object (item);
    type = json_object_get_member (obj, "type");
    if (type == NULL || !node_is_kind (type, KIND_STRING))
      continue;
    data = json_object_get_member (obj, "data");

    write_element_sep (s);
    g_string_append_c (s, '{');
    write_string_member (s, "type", json_node_get_string (type));
    write_key (s, "data");
    if (data != NULL)
      write_node (s, data);
    else
      g_string_append (s, "{}");
    g_string_append_c (s, '}');
  }
  g_string_append_c (s, ']');
}

static void
write_parameters (GString * s, const AhMessage * msg)
{
  switch (msg->type) {
    case AH_MSG_OPEN:
      write_open (s, msg);
      break;
    case AH_MSG_CLOSE:
      write_string_member (s, "reason", msg->reason);
      break;
    case AH_MSG_PING:
      if (msg->has_rtt)
        write_duration_member (s, "rtt", msg->rtt);
      break;
    case AH_MSG_RESUMED:
    case AH_MSG_DISCARDED:
      write_duration_member (s, "start", msg->start);
      write_duration_member (s, "discarded", msg->discarded);
      break;
    case AH_MSG_UPDATE:
      if (msg->language != NULL)
        write_string_member (s, "language", msg->language);
      break;
    case AH_MSG_ERROR:
      write_int_member (s, "code", msg->code);
      write_string_member (s, "message", msg->message);
      if (msg->has_retry_after)
        write_duration_member (s, "retryAfter", msg->retry_after);
      break;
    case AH_MSG_DTMF:
      write_string_member (s, "digit", msg->digit);
      break;
    case AH_MSG_OPENED:
      write_opened (s, msg);
      break;
    case AH_MSG_DISCONNECT:
      write_string_member (s, "reason", msg->reason);
      if (msg->info != NULL)
        write_string_member (s, "info", msg->info);
      if (msg->output_variables != NULL)
        write_string_map_member (s, "outputVariables", msg->output_variables);
      break;
    case AH_MSG_RECONNECT:
      if (msg->info != NULL)
        write_string_member (s, "info", msg->info);
      break;
    case AH_MSG_EVENT:
      write_entities (s, msg->entities);
      break;
    case AH_MSG_PAUSED:
    case AH_MSG_PLAYBACK_STARTED:
    case AH_MSG_PLAYBACK_COMPLETED:
    case AH_MSG_CLOSED:
    case AH_MSG_PONG:
    case AH_MSG_PAUSE:
    case AH_MSG_RESUME:
    case AH_MSG_UPDATED:
    case AH_MSG_UNKNOWN:
    default:
      break;
  }
}

gchar *
ah_message_to_json (const AhMessage * msg, AhRole sender)
{
  GString *s;
  const gchar *type_name;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->id != NULL, NULL);
  g_return_val_if_fail ((guint) msg->type < AH_MSG_N_TYPES, NULL);
  g_return_val_if_fail (sender == AH_ROLE_CLIENT || sender == AH_ROLE_SERVER,
      NULL);
  g_return_val_if_fail (msg->type == AH_MSG_UNKNOWN
      || ah_message_type_sender (msg->type) == sender, NULL);

  if (msg->type == AH_MSG_UNKNOWN && msg->type_name != NULL)
    type_name = msg->type_name;
  else
    type_name = ah_message_type_name (msg->type);

  s = g_string_sized_new (256);
  g_string_append_c (s, '{');
  write_string_member (s, "version", "2");
  write_string_member (s, "id", msg->id);
  write_string_member (s, "type", type_name);
  write_int_member (s, "seq", msg->seq);
  if (sender == AH_ROLE_CLIENT) {
    write_int_member (s, "serverseq", msg->serverseq);
    write_duration_member (s, "position", msg->position);
  } else {
    write_int_member (s, "clientseq", msg->clientseq);
  }
  write_key (s, "parameters");
  g_string_append_c (s, '{');
  write_parameters (s, msg);
  g_string_append (s, "}}");

  return g_string_free (s, FALSE);
}
