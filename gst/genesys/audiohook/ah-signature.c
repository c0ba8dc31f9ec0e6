/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* HTTP Message Signatures with hmac-sha256 as AudioHook clients use them.
 *
 * Everything here reads network bytes: the parsers are strict RFC 8941
 * parsers that fail with AH_SIGNATURE_ERROR_MALFORMED and a message saying
 * what was wrong and where, and never emit a GLib critical on any input.
 *
 * Policy choices, beyond RFC 8941 / RFC 9421:
 * - a byte sequence (the Signature value) must be canonical base64: padding
 *   may be left out, but pad bits must be zero, so that one MAC has exactly
 *   one accepted spelling;
 * - a signature parameter given twice, a component listed twice, a component
 *   with parameters, or an upper-case component name makes the
 *   Signature-Input malformed; of repeated dictionary members the last one
 *   counts, as RFC 8941 says;
 * - "@authority" is used exactly as received (or as configured), without
 *   case folding;
 * - component values with control characters (other than HTAB) are refused,
 *   so that a value can never add a line to the signature base;
 * - an API key configured with an empty secret accepts any request that
 *   carries it, and its Signature headers, if any, are ignored;
 * - an unknown API key is always reported as such, after the same checks
 *   and the same HMAC computation (with a random key) as a known one;
 * - the replay cache remembers nonces of successfully verified requests only,
 *   and forgets a nonce once its request is older than max age plus skew,
 *   never earlier: while it is full, valid requests are refused
 *   ("cache-full") instead; a cache size of 0 turns replay protection off. */

#include "ah-signature.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define QUOTE_MAX 40
#define MAX_HEADER_LEN 16384
#define MAC_LEN 32
#define NONCE_BYTES 18
#define SF_MAX_INTEGER G_GINT64_CONSTANT (999999999999999)

#define DEFAULT_SKEW_S 3
#define DEFAULT_MAX_AGE_S 10
#define DEFAULT_MIN_NONCE_LEN 22
#define DEFAULT_REPLAY_CACHE_SIZE 4096

#define LABEL "sig1"
#define ALGORITHM "hmac-sha256"

GQuark
ah_signature_error_quark (void)
{
  return g_quark_from_static_string ("ah-signature-error-quark");
}

const gchar *const ah_signature_default_components[] = {
  "@request-target",
  "@authority",
  "audiohook-organization-id",
  "audiohook-session-id",
  "audiohook-correlation-id",
  "x-api-key",
  NULL
};

static const gchar *const error_nicks[AH_SIGNATURE_ERROR_N_CODES] = {
  "missing-api-key",
  "unknown-api-key",
  "unsigned",
  "malformed",
  "unknown-parameter",
  "keyid-mismatch",
  "algorithm",
  "missing-component",
  "nonce",
  "replayed",
  "created-missing",
  "created-in-future",
  "expired",
  "too-old",
  "mismatch",
  "bad-secret",
  "cache-full",
};

const gchar *
ah_signature_error_nick (AhSignatureError code)
{
  if ((guint) code >= AH_SIGNATURE_ERROR_N_CODES)
    return "unknown";
  return error_nicks[code];
}

/* A string from the network for a message: escaped, cut at QUOTE_MAX
 * bytes, between double quotes. */
static gchar *
quote (const gchar * str)
{
  gsize len;
  gchar *head, *escaped, *quoted;

  if (str == NULL)
    return g_strdup ("(none)");
  len = strlen (str);
  head = g_strndup (str, MIN (len, QUOTE_MAX));
  escaped = g_strescape (head, NULL);
  quoted = g_strdup_printf ("\"%s\"%s", escaped, len > QUOTE_MAX ? "..." : "");
  g_free (escaped);
  g_free (head);
  return quoted;
}

/* ------------------------------------------------------------------------ */
/* Base64 */

static gint
base64_value (guchar c, gboolean url_safe)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  if (url_safe && c == '-')
    return 62;
  if (url_safe && c == '_')
    return 63;
  return -1;
}

/* Decodes @len bytes of @in. Padding is optional; when present it must
 * complete the last quantum. With @strict the unused bits of the last
 * character must be zero; with @url_safe "-" and "_" are accepted too.
 * On failure *@why says what was wrong. */
static GBytes *
base64_decode (const gchar * in, gsize len, gboolean strict,
    gboolean url_safe, const gchar ** why)
{
  gsize n_pad = 0, n_data, i;
  GByteArray *out;
  guint32 acc = 0;
  guint bits = 0;

  while (n_pad < len && in[len - 1 - n_pad] == '=')
    n_pad++;
  n_data = len - n_pad;
  if (n_pad > 2 || (n_pad > 0 && len % 4 != 0)) {
    *why = "wrong base64 padding";
    return NULL;
  }
  if (n_data % 4 == 1) {
    *why = "truncated base64";
    return NULL;
  }

  out = g_byte_array_sized_new (n_data * 3 / 4 + 1);
  for (i = 0; i < n_data; i++) {
    gint v = base64_value ((guchar) in[i], url_safe);

    if (v < 0) {
      *why = "invalid base64 character";
      g_byte_array_unref (out);
      return NULL;
    }
    acc = (acc << 6) | (guint) v;
    bits += 6;
    if (bits >= 8) {
      guint8 b;

      bits -= 8;
      b = (guint8) (acc >> bits);
      g_byte_array_append (out, &b, 1);
      acc &= (1u << bits) - 1;
    }
  }
  if (strict && acc != 0) {
    *why = "non-canonical base64 (pad bits set)";
    g_byte_array_unref (out);
    return NULL;
  }
  return g_byte_array_free_to_bytes (out);
}

/* ------------------------------------------------------------------------ */
/* RFC 8941 structured fields, as far as dictionaries go */

typedef enum
{
  SF_INTEGER,
  SF_DECIMAL,
  SF_STRING,
  SF_TOKEN,
  SF_BYTES,
  SF_BOOLEAN,
} SfType;

typedef struct
{
  SfType type;
  gint64 integer;               /* integer; decimal * 1000; boolean 0 or 1 */
  gchar *str;                   /* string (unescaped) or token */
  GBytes *bytes;                /* byte sequence */
} SfBare;

typedef struct
{
  gchar *key;
  SfBare value;
} SfParam;

typedef struct
{
  SfBare value;
  GArray *params;               /* SfParam, or NULL */
} SfItem;

typedef struct
{
  gchar *key;
  gboolean is_list;
  SfBare value;                 /* when !is_list */
  GArray *items;                /* SfItem, when is_list */
  GArray *params;               /* SfParam of the item or inner list, or NULL */
  gsize start, end;             /* the value as received, after "=" */
} SfMember;

typedef struct
{
  const gchar *s;
  gsize pos;
  const gchar *header;          /* name, for messages */
  GError **error;
} SfParser;

static void
sf_bare_clear (SfBare * b)
{
  g_clear_pointer (&b->str, g_free);
  g_clear_pointer (&b->bytes, g_bytes_unref);
}

static void
sf_param_clear (gpointer data)
{
  SfParam *p = data;

  g_clear_pointer (&p->key, g_free);
  sf_bare_clear (&p->value);
}

static void
sf_item_clear (gpointer data)
{
  SfItem *item = data;

  sf_bare_clear (&item->value);
  g_clear_pointer (&item->params, g_array_unref);
}

static void
sf_member_clear (SfMember * m)
{
  g_clear_pointer (&m->key, g_free);
  sf_bare_clear (&m->value);
  g_clear_pointer (&m->items, g_array_unref);
  g_clear_pointer (&m->params, g_array_unref);
}

static GArray *
sf_param_array_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (SfParam));

  g_array_set_clear_func (a, sf_param_clear);
  return a;
}

static gchar
sf_cur (const SfParser * p)
{
  return p->s[p->pos];
}

/* *INDENT-OFF* */
static gboolean sf_fail (SfParser * p, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);
/* *INDENT-ON* */

static gboolean
sf_fail (SfParser * p, const gchar * format, ...)
{
  va_list args;
  gchar *what, *quoted;

  if (p->error == NULL || *p->error != NULL)
    return FALSE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  quoted = quote (p->s);
  g_set_error (p->error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED,
      "malformed %s header: %s at offset %u of %s", p->header, what,
      (guint) p->pos, quoted);
  g_free (quoted);
  g_free (what);
  return FALSE;
}

static gboolean
sf_fail_char (SfParser * p, const gchar * expected)
{
  guchar c = (guchar) sf_cur (p);

  if (c == '\0')
    return sf_fail (p, "%s, found the end", expected);
  if (c > 0x20 && c < 0x7f)
    return sf_fail (p, "%s, found '%c'", expected, c);
  return sf_fail (p, "%s, found byte 0x%02x", expected, c);
}

static void
sf_skip_sp (SfParser * p)
{
  while (sf_cur (p) == ' ')
    p->pos++;
}

static void
sf_skip_ows (SfParser * p)
{
  while (sf_cur (p) == ' ' || sf_cur (p) == '\t')
    p->pos++;
}

static gboolean
sf_is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c));
}

static gboolean
sf_parse_key (SfParser * p, gchar ** out)
{
  gsize start = p->pos;
  gchar c = sf_cur (p);

  if (!g_ascii_islower (c) && c != '*')
    return sf_fail_char (p, "expected a key (lower case letter or '*')");
  for (p->pos++;; p->pos++) {
    c = sf_cur (p);
    if (!g_ascii_islower (c) && !g_ascii_isdigit (c) && c != '_' && c != '-'
        && c != '.' && c != '*')
      break;
  }
  *out = g_strndup (p->s + start, p->pos - start);
  return TRUE;
}

static gboolean
sf_parse_number (SfParser * p, SfBare * out)
{
  gboolean negative = FALSE, decimal = FALSE;
  gint64 value = 0;
  guint n_digits = 0, n_frac = 0;

  if (sf_cur (p) == '-') {
    negative = TRUE;
    p->pos++;
  }
  if (!g_ascii_isdigit (sf_cur (p)))
    return sf_fail_char (p, "expected a digit");

  for (;;) {
    gchar c = sf_cur (p);

    if (g_ascii_isdigit (c)) {
      value = value * 10 + (c - '0');
      n_digits++;
      if (decimal)
        n_frac++;
    } else if (!decimal && c == '.') {
      if (n_digits > 12)
        return sf_fail (p, "decimal with more than 12 integer digits");
      decimal = TRUE;
    } else {
      break;
    }
    p->pos++;
    if (n_digits > 15)
      return sf_fail (p, "number with more than 15 digits");
  }

  if (decimal) {
    if (n_frac == 0)
      return sf_fail (p, "decimal without fractional digits");
    if (n_frac > 3)
      return sf_fail (p, "decimal with more than 3 fractional digits");
    for (; n_frac < 3; n_frac++)
      value *= 10;
    out->type = SF_DECIMAL;
  } else {
    out->type = SF_INTEGER;
  }
  out->integer = negative ? -value : value;
  return TRUE;
}

static gboolean
sf_parse_string (SfParser * p, SfBare * out)
{
  GString *s = g_string_new (NULL);

  p->pos++;                     /* '"' */
  for (;;) {
    guchar c = (guchar) sf_cur (p);

    if (c == '\0') {
      g_string_free (s, TRUE);
      return sf_fail (p, "unterminated string");
    }
    if (c == '\\') {
      p->pos++;
      c = (guchar) sf_cur (p);
      if (c != '"' && c != '\\') {
        g_string_free (s, TRUE);
        return sf_fail_char (p, "expected '\"' or '\\' after '\\' in a string");
      }
    } else if (c == '"') {
      p->pos++;
      break;
    } else if (c < 0x20 || c >= 0x7f) {
      g_string_free (s, TRUE);
      return sf_fail (p, "byte 0x%02x in a string", c);
    }
    g_string_append_c (s, (gchar) c);
    p->pos++;
  }
  out->type = SF_STRING;
  out->str = g_string_free (s, FALSE);
  return TRUE;
}

static gboolean
sf_parse_token (SfParser * p, SfBare * out)
{
  gsize start = p->pos;

  for (p->pos++;; p->pos++) {
    guchar c = (guchar) sf_cur (p);

    if (!sf_is_tchar (c) && c != ':' && c != '/')
      break;
  }
  out->type = SF_TOKEN;
  out->str = g_strndup (p->s + start, p->pos - start);
  return TRUE;
}

static gboolean
sf_parse_bytes (SfParser * p, SfBare * out)
{
  const gchar *start, *end;
  const gchar *why = NULL;

  p->pos++;                     /* ':' */
  start = p->s + p->pos;
  end = strchr (start, ':');
  if (end == NULL)
    return sf_fail (p, "unterminated byte sequence");
  out->bytes = base64_decode (start, end - start, TRUE, FALSE, &why);
  if (out->bytes == NULL)
    return sf_fail (p, "%s in a byte sequence", why);
  out->type = SF_BYTES;
  p->pos = end + 1 - p->s;
  return TRUE;
}

static gboolean
sf_parse_bare_item (SfParser * p, SfBare * out)
{
  gchar c = sf_cur (p);

  if (c == '-' || g_ascii_isdigit (c))
    return sf_parse_number (p, out);
  if (c == '"')
    return sf_parse_string (p, out);
  if (g_ascii_isalpha (c) || c == '*')
    return sf_parse_token (p, out);
  if (c == ':')
    return sf_parse_bytes (p, out);
  if (c == '?') {
    p->pos++;
    c = sf_cur (p);
    if (c != '0' && c != '1')
      return sf_fail_char (p, "expected '0' or '1' after '?'");
    p->pos++;
    out->type = SF_BOOLEAN;
    out->integer = c == '1';
    return TRUE;
  }
  return sf_fail_char (p, "expected an item");
}

static gboolean
sf_parse_params (SfParser * p, GArray ** params)
{
  while (sf_cur (p) == ';') {
    SfParam param = { NULL, {SF_BOOLEAN, 1, NULL, NULL}
    };

    p->pos++;
    sf_skip_sp (p);
    if (!sf_parse_key (p, &param.key))
      return FALSE;
    if (sf_cur (p) == '=') {
      p->pos++;
      if (!sf_parse_bare_item (p, &param.value)) {
        sf_param_clear (&param);
        return FALSE;
      }
    }
    if (*params == NULL)
      *params = sf_param_array_new ();
    g_array_append_val (*params, param);
  }
  return TRUE;
}

static gboolean
sf_parse_inner_list (SfParser * p, GArray ** items, GArray ** params)
{
  *items = g_array_new (FALSE, TRUE, sizeof (SfItem));
  g_array_set_clear_func (*items, sf_item_clear);

  p->pos++;                     /* '(' */
  for (;;) {
    SfItem item = { {SF_BOOLEAN, 0, NULL, NULL}, NULL };

    sf_skip_sp (p);
    if (sf_cur (p) == '\0')
      return sf_fail (p, "unterminated inner list");
    if (sf_cur (p) == ')') {
      p->pos++;
      return sf_parse_params (p, params);
    }
    if (!sf_parse_bare_item (p, &item.value)
        || !sf_parse_params (p, &item.params)) {
      sf_item_clear (&item);
      return FALSE;
    }
    g_array_append_val (*items, item);
    if (sf_cur (p) == '\0')
      return sf_fail (p, "unterminated inner list");
    if (sf_cur (p) != ' ' && sf_cur (p) != ')')
      return sf_fail_char (p, "expected ' ' or ')' after an inner list item");
  }
}

/* Parses the dictionary in @p; the last member called @label goes to
 * @out, others are checked and dropped. */
static gboolean
sf_parse_dictionary (SfParser * p, const gchar * label, SfMember * out,
    gboolean * found)
{
  *found = FALSE;
  sf_skip_sp (p);
  while (sf_cur (p) != '\0') {
    SfMember m;
    gboolean ok;

    memset (&m, 0, sizeof (m));
    if (!sf_parse_key (p, &m.key))
      return FALSE;
    if (sf_cur (p) == '=') {
      p->pos++;
      m.start = p->pos;
      if (sf_cur (p) == '(') {
        m.is_list = TRUE;
        ok = sf_parse_inner_list (p, &m.items, &m.params);
      } else {
        ok = sf_parse_bare_item (p, &m.value)
            && sf_parse_params (p, &m.params);
      }
    } else {
      m.start = p->pos;
      m.value.type = SF_BOOLEAN;
      m.value.integer = 1;
      ok = sf_parse_params (p, &m.params);
    }
    m.end = p->pos;
    if (!ok) {
      sf_member_clear (&m);
      return FALSE;
    }
    if (strcmp (m.key, label) == 0) {
      sf_member_clear (out);
      *out = m;
      *found = TRUE;
    } else {
      sf_member_clear (&m);
    }

    sf_skip_ows (p);
    if (sf_cur (p) == '\0')
      break;
    if (sf_cur (p) != ',')
      return sf_fail_char (p, "expected ',' after a dictionary member");
    p->pos++;
    sf_skip_ows (p);
    if (sf_cur (p) == '\0')
      return sf_fail (p, "trailing ','");
  }
  return TRUE;
}

/* Finds member @label of the dictionary @header (named @name). */
static gboolean
parse_member (const gchar * header, const gchar * name, const gchar * label,
    SfMember * out, GError ** error)
{
  SfParser p = { header, 0, name, error };
  GError *local = NULL;
  gboolean found;

  memset (out, 0, sizeof (*out));
  if (header == NULL) {
    g_set_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED,
        "no %s header", name);
    return FALSE;
  }
  if (strlen (header) > MAX_HEADER_LEN) {
    g_set_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed %s header: longer than %u bytes", name, MAX_HEADER_LEN);
    return FALSE;
  }
  /* The parser needs an error location of its own to know whether it
   * already set one. */
  p.error = &local;
  if (!sf_parse_dictionary (&p, label, out, &found)) {
    sf_member_clear (out);
    g_propagate_error (error, local);
    return FALSE;
  }
  if (!found) {
    gchar *quoted = quote (header);

    g_set_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed %s header: no \"%s\" member in %s", name, label, quoted);
    g_free (quoted);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Signature-Input and Signature */

/* *INDENT-OFF* */
static void set_error (GError ** error, AhSignatureError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
set_error (GError ** error, AhSignatureError code, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  if (error == NULL)
    return;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, AH_SIGNATURE_ERROR, code, msg);
  g_free (msg);
}

static const gchar *
sf_type_name (SfType type)
{
  switch (type) {
    case SF_INTEGER:
      return "an integer";
    case SF_DECIMAL:
      return "a decimal";
    case SF_STRING:
      return "a string";
    case SF_TOKEN:
      return "a token";
    case SF_BYTES:
      return "a byte sequence";
    case SF_BOOLEAN:
      return "a boolean";
  }
  return "an item";
}

/* Lower case letters, digits and the other token characters, after an
 * optional "@". Returns NULL or what is wrong with @name. */
static const gchar *
check_component_name (const gchar * name)
{
  const gchar *c = name;

  if (*c == '@')
    c++;
  if (*c == '\0')
    return "empty component name";
  for (; *c != '\0'; c++) {
    if (g_ascii_isupper (*c))
      return "component names must be lower case";
    if (!sf_is_tchar ((guchar) * c))
      return "invalid character in a component name";
  }
  return NULL;
}

void
ah_signature_input_free (AhSignatureInput * input)
{
  if (input == NULL)
    return;
  g_free (input->label);
  if (input->components != NULL)
    g_ptr_array_unref (input->components);
  g_free (input->keyid);
  g_free (input->nonce);
  g_free (input->alg);
  g_free (input->params);
  g_free (input);
}

static gboolean
string_param (const SfParam * param, gchar ** field, GError ** error)
{
  if (*field != NULL) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: parameter %s given twice",
        param->key);
    return FALSE;
  }
  if (param->value.type != SF_STRING) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: parameter %s is %s, not a string",
        param->key, sf_type_name (param->value.type));
    return FALSE;
  }
  *field = g_strdup (param->value.str);
  return TRUE;
}

static gboolean
time_param (const SfParam * param, gint64 * field, GError ** error)
{
  if (*field != -1) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: parameter %s given twice",
        param->key);
    return FALSE;
  }
  if (param->value.type != SF_INTEGER) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: parameter %s is %s, not an "
        "integer", param->key, sf_type_name (param->value.type));
    return FALSE;
  }
  if (param->value.integer < 0) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: parameter %s is negative",
        param->key);
    return FALSE;
  }
  *field = param->value.integer;
  return TRUE;
}

/* ah_signature_input_parse(), also reporting the first unknown parameter
 * name in *@unknown (when not NULL). */
static gboolean
signature_input_parse (const gchar * header, const gchar * label,
    AhSignatureInput ** out, gchar ** unknown, GError ** error)
{
  SfMember m;
  AhSignatureInput *input;
  guint i, j;
  gboolean ok = TRUE;

  if (!parse_member (header, "Signature-Input", label, &m, error))
    return FALSE;

  if (!m.is_list) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature-Input header: \"%s\" is %s, not an inner list",
        label, sf_type_name (m.value.type));
    sf_member_clear (&m);
    return FALSE;
  }

  input = g_new0 (AhSignatureInput, 1);
  input->label = g_strdup (label);
  input->components = g_ptr_array_new_with_free_func (g_free);
  input->created = -1;
  input->expires = -1;

  for (i = 0; ok && i < m.items->len; i++) {
    const SfItem *item = &g_array_index (m.items, SfItem, i);
    const gchar *why;

    if (item->value.type != SF_STRING) {
      set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
          "malformed Signature-Input header: component %u is %s, not a "
          "string", i + 1, sf_type_name (item->value.type));
      ok = FALSE;
    } else if (item->params != NULL) {
      gchar *quoted = quote (item->value.str);

      set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
          "malformed Signature-Input header: component %s has parameters, "
          "which are not supported", quoted);
      g_free (quoted);
      ok = FALSE;
    } else if ((why = check_component_name (item->value.str)) != NULL) {
      gchar *quoted = quote (item->value.str);

      set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
          "malformed Signature-Input header: %s: %s", why, quoted);
      g_free (quoted);
      ok = FALSE;
    } else {
      for (j = 0; ok && j < input->components->len; j++) {
        if (strcmp (input->components->pdata[j], item->value.str) == 0) {
          set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
              "malformed Signature-Input header: component \"%s\" listed "
              "twice", item->value.str);
          ok = FALSE;
        }
      }
      if (ok)
        g_ptr_array_add (input->components, g_strdup (item->value.str));
    }
  }

  for (i = 0; ok && m.params != NULL && i < m.params->len; i++) {
    const SfParam *param = &g_array_index (m.params, SfParam, i);

    if (strcmp (param->key, "keyid") == 0) {
      ok = string_param (param, &input->keyid, error);
    } else if (strcmp (param->key, "nonce") == 0) {
      ok = string_param (param, &input->nonce, error);
    } else if (strcmp (param->key, "alg") == 0) {
      ok = string_param (param, &input->alg, error);
    } else if (strcmp (param->key, "created") == 0) {
      ok = time_param (param, &input->created, error);
    } else if (strcmp (param->key, "expires") == 0) {
      ok = time_param (param, &input->expires, error);
    } else {
      if (!input->has_unknown_param && unknown != NULL)
        *unknown = g_strdup (param->key);
      input->has_unknown_param = TRUE;
    }
  }

  if (ok)
    input->params = g_strndup (header + m.start, m.end - m.start);
  sf_member_clear (&m);
  if (!ok) {
    ah_signature_input_free (input);
    if (unknown != NULL)
      g_clear_pointer (unknown, g_free);
    return FALSE;
  }
  *out = input;
  return TRUE;
}

gboolean
ah_signature_input_parse (const gchar * header, const gchar * label,
    AhSignatureInput ** out, GError ** error)
{
  g_return_val_if_fail (label != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  return signature_input_parse (header, label, out, NULL, error);
}

gboolean
ah_signature_value_parse (const gchar * header, const gchar * label,
    GBytes ** out, GError ** error)
{
  SfMember m;

  g_return_val_if_fail (label != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!parse_member (header, "Signature", label, &m, error))
    return FALSE;
  if (m.is_list || m.value.type != SF_BYTES) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "malformed Signature header: \"%s\" is %s, not a byte sequence",
        label, m.is_list ? "an inner list" : sf_type_name (m.value.type));
    sf_member_clear (&m);
    return FALSE;
  }
  *out = g_bytes_ref (m.value.bytes);
  sf_member_clear (&m);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Requests and the signature base */

static gboolean
is_ws (gchar c)
{
  return c == ' ' || c == '\t';
}

/* Appends @value with obs-fold (OWS CRLF RWS, or OWS LF RWS) replaced by
 * one space and leading and trailing whitespace removed. */
static void
append_field_value (GString * out, const gchar * value)
{
  gsize start = out->len;
  const gchar *v = value;

  while (*v != '\0') {
    gsize nl = 0;

    if (v[0] == '\r' && v[1] == '\n')
      nl = 2;
    else if (v[0] == '\n')
      nl = 1;
    if (nl > 0 && is_ws (v[nl])) {
      while (out->len > start && is_ws (out->str[out->len - 1]))
        g_string_truncate (out, out->len - 1);
      for (v += nl; is_ws (*v); v++);
      g_string_append_c (out, ' ');
      continue;
    }
    g_string_append_c (out, *v);
    v++;
  }

  /* Trim both ends of what was appended. */
  while (out->len > start && is_ws (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  {
    gsize lead = 0;

    while (start + lead < out->len && is_ws (out->str[start + lead]))
      lead++;
    if (lead > 0)
      g_string_erase (out, start, lead);
  }
}

gchar *
ah_request_get_header (const AhRequest * req, const gchar * name)
{
  GString *out = NULL;
  gsize i;

  g_return_val_if_fail (req != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (req->headers == NULL)
    return NULL;
  for (i = 0; i < req->n_headers; i++) {
    const AhHeader *h = &req->headers[i];

    if (h->name == NULL || g_ascii_strcasecmp (h->name, name) != 0)
      continue;
    if (out == NULL)
      out = g_string_new (NULL);
    else
      g_string_append (out, ", ");
    append_field_value (out, h->value ? h->value : "");
  }
  return out ? g_string_free (out, FALSE) : NULL;
}

/* Control characters would let a value add lines to the base. HTAB is
 * fine inside a field value; @strict also refuses spaces (for the request
 * target and the authority). */
static gboolean
has_bad_char (const gchar * value, gboolean strict)
{
  const guchar *c;

  for (c = (const guchar *) value; *c != '\0'; c++) {
    if (*c == 0x7f || (*c < 0x20 && *c != '\t'))
      return TRUE;
    if (strict && (*c == ' ' || *c == '\t'))
      return TRUE;
  }
  return FALSE;
}

gchar *
ah_signature_base (const AhRequest * req, const AhSignatureInput * input,
    const gchar * authority_override, GError ** error)
{
  GString *base;
  guint i;

  g_return_val_if_fail (req != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);

  if (input->components == NULL || input->params == NULL) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "incomplete signature input");
    return NULL;
  }
  if (has_bad_char (input->params, FALSE)) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "signature parameters contain a control character");
    return NULL;
  }

  base = g_string_new (NULL);
  for (i = 0; i < input->components->len; i++) {
    const gchar *name = input->components->pdata[i];
    gchar *value = NULL;
    const gchar *why;
    gboolean strict = FALSE;

    if (name == NULL || (why = check_component_name (name)) != NULL) {
      set_error (error, AH_SIGNATURE_ERROR_MALFORMED, "%s",
          name ? why : "no component name");
      goto failed;
    }

    if (name[0] == '@') {
      const gchar *derived;

      if (strcmp (name, "@request-target") == 0) {
        derived = req->request_target;
      } else if (strcmp (name, "@authority") == 0) {
        derived = authority_override ? authority_override : req->authority;
      } else if (strcmp (name, "@signature-params") == 0) {
        set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
            "\"@signature-params\" must not be a covered component");
        goto failed;
      } else {
        gchar *quoted = quote (name);

        set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
            "unsupported derived component %s", quoted);
        g_free (quoted);
        goto failed;
      }
      if (derived == NULL || *derived == '\0') {
        set_error (error, AH_SIGNATURE_ERROR_MISSING_COMPONENT,
            "the request has no %s", name);
        goto failed;
      }
      value = g_strdup (derived);
      strict = TRUE;
    } else {
      value = ah_request_get_header (req, name);
      if (value == NULL) {
        gchar *quoted = quote (name);

        set_error (error, AH_SIGNATURE_ERROR_MISSING_COMPONENT,
            "covered header %s is absent from the request", quoted);
        g_free (quoted);
        goto failed;
      }
    }

    if (has_bad_char (value, strict)) {
      gchar *quoted = quote (value);

      set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
          "the value of \"%s\" contains a control character%s: %s", name,
          strict ? " or whitespace" : "", quoted);
      g_free (quoted);
      g_free (value);
      goto failed;
    }

    g_string_append_printf (base, "\"%s\": %s\n", name, value);
    g_free (value);
  }
  g_string_append (base, "\"@signature-params\": ");
  g_string_append (base, input->params);
  return g_string_free (base, FALSE);

failed:
  g_string_free (base, TRUE);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Signing */

static void
random_bytes (guint8 * buf, gsize len)
{
  gsize got = 0;

  while (got < len) {
    ssize_t r = getrandom (buf + got, len - got, 0);

    if (r < 0) {
      if (errno == EINTR)
        continue;
      /* Without a CSPRNG there is no safe way on. */
      g_error ("getrandom() failed: %s", g_strerror (errno));
    }
    got += (gsize) r;
  }
}

gchar *
ah_signature_new_nonce (void)
{
  guint8 bytes[NONCE_BYTES];
  gchar *nonce;

  random_bytes (bytes, sizeof (bytes));
  nonce = g_base64_encode (bytes, sizeof (bytes));
  memset (bytes, 0, sizeof (bytes));
  return nonce;
}

static void
hmac_sha256 (const guint8 * key, gsize key_len, const gchar * data,
    guint8 out[MAC_LEN])
{
  GHmac *hmac;
  gsize len = MAC_LEN;

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, (const guchar *) data, strlen (data));
  g_hmac_get_digest (hmac, out, &len);
  g_hmac_unref (hmac);
}

/* The configured secret: standard or URL-safe base64, padding optional,
 * must decode to at least one byte. */
static GBytes *
decode_secret (const gchar * secret, GError ** error)
{
  const gchar *why = "empty secret";
  GBytes *key = NULL;

  if (secret != NULL && *secret != '\0')
    key = base64_decode (secret, strlen (secret), FALSE, TRUE, &why);
  if (key != NULL && g_bytes_get_size (key) == 0) {
    g_bytes_unref (key);
    key = NULL;
    why = "decodes to nothing";
  }
  if (key == NULL)
    set_error (error, AH_SIGNATURE_ERROR_BAD_SECRET,
        "the client secret is not valid base64: %s", why);
  return key;
}

static void
bytes_clear_unref (GBytes * bytes)
{
  gsize len;
  gpointer data = (gpointer) g_bytes_get_data (bytes, &len);

  /* GBytes from a GByteArray own their data: wipe before freeing. */
  if (data != NULL)
    memset (data, 0, len);
  g_bytes_unref (bytes);
}

/* Appends @str as an RFC 8941 string; FALSE if it cannot be one. */
static gboolean
append_sf_string (GString * out, const gchar * str)
{
  const guchar *c;

  g_string_append_c (out, '"');
  for (c = (const guchar *) str; *c != '\0'; c++) {
    if (*c < 0x20 || *c >= 0x7f)
      return FALSE;
    if (*c == '"' || *c == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, (gchar) * c);
  }
  g_string_append_c (out, '"');
  return TRUE;
}

gboolean
ah_signature_sign (const AhRequest * req, const gchar * api_key,
    const gchar * client_secret, const gchar * nonce, gint64 created,
    gint64 expires, gchar ** signature_input, gchar ** signature,
    GError ** error)
{
  GBytes *key;
  GString *params;
  gchar *header, *base, *mac64;
  AhSignatureInput *input = NULL;
  guint8 mac[MAC_LEN];
  guint i;

  g_return_val_if_fail (req != NULL, FALSE);
  g_return_val_if_fail (signature_input != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  if (api_key == NULL || *api_key == '\0') {
    set_error (error, AH_SIGNATURE_ERROR_MISSING_API_KEY, "no API key");
    return FALSE;
  }
  if (nonce == NULL || *nonce == '\0') {
    set_error (error, AH_SIGNATURE_ERROR_NONCE, "no nonce");
    return FALSE;
  }
  if (created < 0 || created > SF_MAX_INTEGER) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "created %" G_GINT64_FORMAT " is out of range", created);
    return FALSE;
  }
  if (expires < -1 || expires > SF_MAX_INTEGER) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "expires %" G_GINT64_FORMAT " is out of range", expires);
    return FALSE;
  }

  params = g_string_new ("(");
  for (i = 0; ah_signature_default_components[i] != NULL; i++) {
    if (i > 0)
      g_string_append_c (params, ' ');
    append_sf_string (params, ah_signature_default_components[i]);
  }
  g_string_append (params, ");keyid=");
  if (!append_sf_string (params, api_key)) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "the API key has characters a header parameter cannot carry");
    g_string_free (params, TRUE);
    return FALSE;
  }
  g_string_append (params, ";nonce=");
  if (!append_sf_string (params, nonce)) {
    set_error (error, AH_SIGNATURE_ERROR_NONCE,
        "the nonce has characters a header parameter cannot carry");
    g_string_free (params, TRUE);
    return FALSE;
  }
  g_string_append (params, ";alg=\"" ALGORITHM "\"");
  g_string_append_printf (params, ";created=%" G_GINT64_FORMAT, created);
  if (expires >= 0)
    g_string_append_printf (params, ";expires=%" G_GINT64_FORMAT, expires);

  header = g_strconcat (LABEL "=", params->str, NULL);
  g_string_free (params, TRUE);

  key = decode_secret (client_secret, error);
  if (key == NULL) {
    g_free (header);
    return FALSE;
  }

  /* Through the parser, so that what is signed is what a verifier reads. */
  if (!signature_input_parse (header, LABEL, &input, NULL, error)
      || (base = ah_signature_base (req, input, NULL, error)) == NULL) {
    ah_signature_input_free (input);
    bytes_clear_unref (key);
    g_free (header);
    return FALSE;
  }
  ah_signature_input_free (input);

  hmac_sha256 (g_bytes_get_data (key, NULL), g_bytes_get_size (key), base, mac);
  bytes_clear_unref (key);
  g_free (base);

  mac64 = g_base64_encode (mac, sizeof (mac));
  *signature = g_strconcat (LABEL "=:", mac64, ":", NULL);
  *signature_input = header;
  g_free (mac64);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Verifier */

typedef struct
{
  gchar *api_key;
  GBytes *key;                  /* NULL: unsigned requests allowed */
} KeyEntry;

typedef struct
{
  gchar *nonce;
  gint64 created;
} ReplayEntry;

struct _AhVerifier
{
  GHashTable *keys;             /* api key -> KeyEntry */
  gchar *authority;
  guint skew_s;
  guint max_age_s;
  guint min_nonce_len;
  guint replay_cache_size;
  GHashTable *seen;             /* nonce -> ReplayEntry (owned by replay) */
  GQueue replay;                /* ReplayEntry, oldest first */
  guint8 dummy_key[MAC_LEN];
};

static void
key_entry_free (gpointer data)
{
  KeyEntry *e = data;

  g_free (e->api_key);
  if (e->key != NULL)
    bytes_clear_unref (e->key);
  g_free (e);
}

static void
replay_entry_free (ReplayEntry * e)
{
  g_free (e->nonce);
  g_free (e);
}

AhVerifier *
ah_verifier_new (void)
{
  AhVerifier *v = g_new0 (AhVerifier, 1);

  v->keys = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      key_entry_free);
  v->skew_s = DEFAULT_SKEW_S;
  v->max_age_s = DEFAULT_MAX_AGE_S;
  v->min_nonce_len = DEFAULT_MIN_NONCE_LEN;
  v->replay_cache_size = DEFAULT_REPLAY_CACHE_SIZE;
  v->seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&v->replay);
  random_bytes (v->dummy_key, sizeof (v->dummy_key));
  return v;
}

static void
replay_pop_oldest (AhVerifier * v)
{
  ReplayEntry *e = g_queue_pop_head (&v->replay);

  g_hash_table_remove (v->seen, e->nonce);
  replay_entry_free (e);
}

void
ah_verifier_free (AhVerifier * verifier)
{
  if (verifier == NULL)
    return;
  while (!g_queue_is_empty (&verifier->replay))
    replay_pop_oldest (verifier);
  g_hash_table_unref (verifier->seen);
  g_hash_table_unref (verifier->keys);
  g_free (verifier->authority);
  memset (verifier->dummy_key, 0, sizeof (verifier->dummy_key));
  g_free (verifier);
}

gboolean
ah_verifier_add_key (AhVerifier * verifier, const gchar * api_key,
    const gchar * client_secret, GError ** error)
{
  KeyEntry *e;
  GBytes *key = NULL;

  g_return_val_if_fail (verifier != NULL, FALSE);

  if (api_key == NULL || *api_key == '\0') {
    set_error (error, AH_SIGNATURE_ERROR_MISSING_API_KEY, "empty API key");
    return FALSE;
  }
  if (client_secret != NULL && *client_secret != '\0') {
    key = decode_secret (client_secret, error);
    if (key == NULL) {
      if (error != NULL && *error != NULL) {
        gchar *quoted = quote (api_key);

        g_prefix_error (error, "API key %s: ", quoted);
        g_free (quoted);
      }
      return FALSE;
    }
  }

  /* Adding a key again replaces its secret. */
  e = g_new0 (KeyEntry, 1);
  e->api_key = g_strdup (api_key);
  e->key = key;
  g_hash_table_replace (verifier->keys, e->api_key, e);
  return TRUE;
}

void
ah_verifier_take_keys (AhVerifier * verifier, AhVerifier * from)
{
  GHashTable *old = verifier->keys;

  verifier->keys = from->keys;
  from->keys = old;
  g_hash_table_remove_all (from->keys);
}

gboolean
ah_verifier_same_keys (const AhVerifier * a, const AhVerifier * b)
{
  GHashTableIter iter;
  gpointer k, v;

  if (a == NULL || b == NULL)
    return a == b;
  if (g_hash_table_size (a->keys) != g_hash_table_size (b->keys)
      || g_strcmp0 (a->authority, b->authority) != 0)
    return FALSE;
  g_hash_table_iter_init (&iter, a->keys);
  while (g_hash_table_iter_next (&iter, &k, &v)) {
    const KeyEntry *ea = v, *eb = g_hash_table_lookup (b->keys, k);

    if (eb == NULL || (ea->key == NULL) != (eb->key == NULL)
        || (ea->key && !g_bytes_equal (ea->key, eb->key)))
      return FALSE;
  }
  return TRUE;
}

gboolean
ah_verifier_has_keys (const AhVerifier * verifier)
{
  g_return_val_if_fail (verifier != NULL, FALSE);

  return g_hash_table_size (verifier->keys) > 0;
}

void
ah_verifier_set_authority (AhVerifier * verifier, const gchar * authority)
{
  g_return_if_fail (verifier != NULL);

  g_free (verifier->authority);
  verifier->authority = g_strdup (authority);
}

void
ah_verifier_set_limits (AhVerifier * verifier, guint skew_s,
    guint max_age_s, guint min_nonce_len, guint replay_cache_size)
{
  g_return_if_fail (verifier != NULL);

  verifier->skew_s = skew_s;
  verifier->max_age_s = max_age_s;
  verifier->min_nonce_len = min_nonce_len;
  /* a smaller cache forgets nothing early: it refuses until it has room;
   * size 0 turns replay protection off, and with it the memory */
  verifier->replay_cache_size = replay_cache_size;
  if (replay_cache_size == 0)
    while (!g_queue_is_empty (&verifier->replay))
      replay_pop_oldest (verifier);
}

static gint64
add_saturated (gint64 a, gint64 b)
{
  /* b >= 0 here. */
  if (a > G_MAXINT64 - b)
    return G_MAXINT64;
  return a + b;
}

/* Forgets nonces whose requests are older than max age plus skew: a replay
 * of them fails as too old anyway. */
static void
replay_forget_old (AhVerifier * v, gint64 now_s)
{
  for (;;) {
    ReplayEntry *e = g_queue_peek_head (&v->replay);

    if (e == NULL || add_saturated (e->created,
            (gint64) v->max_age_s + v->skew_s) >= now_s)
      break;
    replay_pop_oldest (v);
  }
}

static void
replay_record (AhVerifier * v, const gchar * nonce, gint64 created)
{
  ReplayEntry *e;

  if (v->replay_cache_size == 0)
    return;
  e = g_new0 (ReplayEntry, 1);
  e->nonce = g_strdup (nonce);
  e->created = created;
  g_queue_push_tail (&v->replay, e);
  g_hash_table_insert (v->seen, e->nonce, e);
}

static gboolean
equal_constant_time (const guint8 * expected, gsize expected_len,
    const guint8 * got, gsize got_len)
{
  volatile guint8 diff = expected_len != got_len;
  gsize i;

  for (i = 0; i < expected_len; i++)
    diff |= expected[i] ^ (i < got_len ? got[i] : 0);
  return diff == 0;
}

/* Everything after the key lookup, with @key (a dummy one for unknown API
 * keys). On success *@out_input holds the parsed Signature-Input. */
static gboolean
verify_signed (AhVerifier * v, const AhRequest * req, const gchar * api_key,
    const guint8 * key, gsize key_len, const gchar * input_header,
    const gchar * sig_header, gint64 now_s, AhSignatureInput ** out_input,
    GError ** error)
{
  AhSignatureInput *input = NULL;
  GBytes *sig = NULL;
  gchar *unknown = NULL, *base = NULL;
  guint8 mac[MAC_LEN];
  gint64 now_skew;
  guint i, j;
  gboolean ok = FALSE;

  if (input_header == NULL || sig_header == NULL) {
    set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
        "%s header without %s header",
        input_header ? "Signature-Input" : "Signature",
        input_header ? "Signature" : "Signature-Input");
    return FALSE;
  }
  if (!signature_input_parse (input_header, LABEL, &input, &unknown, error))
    goto done;
  if (!ah_signature_value_parse (sig_header, LABEL, &sig, error))
    goto done;

  if (input->has_unknown_param) {
    gchar *quoted = quote (unknown);

    set_error (error, AH_SIGNATURE_ERROR_UNKNOWN_PARAMETER,
        "unknown signature parameter %s", quoted);
    g_free (quoted);
    goto done;
  }
  if (input->keyid == NULL || strcmp (input->keyid, api_key) != 0) {
    gchar *q_keyid = quote (input->keyid), *q_key = quote (api_key);

    set_error (error, AH_SIGNATURE_ERROR_KEYID_MISMATCH,
        "signature keyid %s is not the X-API-KEY %s", q_keyid, q_key);
    g_free (q_keyid);
    g_free (q_key);
    goto done;
  }
  if (input->alg != NULL && strcmp (input->alg, ALGORITHM) != 0) {
    gchar *quoted = quote (input->alg);

    set_error (error, AH_SIGNATURE_ERROR_ALGORITHM,
        "signature algorithm %s is not " ALGORITHM, quoted);
    g_free (quoted);
    goto done;
  }
  if (input->nonce == NULL) {
    set_error (error, AH_SIGNATURE_ERROR_NONCE, "no signature nonce");
    goto done;
  }
  if (strlen (input->nonce) < v->min_nonce_len) {
    set_error (error, AH_SIGNATURE_ERROR_NONCE,
        "signature nonce is %u characters, at least %u are required",
        (guint) strlen (input->nonce), v->min_nonce_len);
    goto done;
  }

  for (i = 0; i < input->components->len; i++) {
    if (strcmp (input->components->pdata[i], "@signature-params") == 0) {
      set_error (error, AH_SIGNATURE_ERROR_MALFORMED,
          "\"@signature-params\" must not be a covered component");
      goto done;
    }
  }
  for (j = 0; ah_signature_default_components[j] != NULL; j++) {
    const gchar *want = ah_signature_default_components[j];
    gboolean covered = FALSE;

    for (i = 0; i < input->components->len && !covered; i++)
      covered = strcmp (input->components->pdata[i], want) == 0;
    if (!covered) {
      set_error (error, AH_SIGNATURE_ERROR_MISSING_COMPONENT,
          "the signature does not cover \"%s\"", want);
      goto done;
    }
  }

  if (input->created < 0) {
    set_error (error, AH_SIGNATURE_ERROR_CREATED_MISSING,
        "no signature created parameter");
    goto done;
  }
  now_skew = add_saturated (now_s, v->skew_s);
  if (input->created > now_skew) {
    set_error (error, AH_SIGNATURE_ERROR_CREATED_IN_FUTURE,
        "signature created %" G_GINT64_FORMAT " is more than %u s after now "
        "(%" G_GINT64_FORMAT ")", input->created, v->skew_s, now_s);
    goto done;
  }
  if (input->expires >= 0 && input->expires < now_skew) {
    set_error (error, AH_SIGNATURE_ERROR_EXPIRED,
        "signature expires %" G_GINT64_FORMAT " is less than %u s after now "
        "(%" G_GINT64_FORMAT ")", input->expires, v->skew_s, now_s);
    goto done;
  }
  /* As the reference server does: created + max age < now + skew. */
  if (input->created + (gint64) v->max_age_s < now_skew) {
    set_error (error, AH_SIGNATURE_ERROR_TOO_OLD,
        "signature created %" G_GINT64_FORMAT " is too old at %"
        G_GINT64_FORMAT " (max age %u s, skew %u s)", input->created, now_s,
        v->max_age_s, v->skew_s);
    goto done;
  }

  base = ah_signature_base (req, input, v->authority, error);
  if (base == NULL)
    goto done;
  hmac_sha256 (key, key_len, base, mac);
  if (!equal_constant_time (mac, sizeof (mac), g_bytes_get_data (sig, NULL),
          g_bytes_get_size (sig))) {
    set_error (error, AH_SIGNATURE_ERROR_MISMATCH,
        "the signature does not match");
    goto done;
  }
  ok = TRUE;

done:
  memset (mac, 0, sizeof (mac));
  g_free (base);
  g_free (unknown);
  if (sig != NULL)
    g_bytes_unref (sig);
  if (ok)
    *out_input = input;
  else
    ah_signature_input_free (input);
  return ok;
}

gboolean
ah_verifier_verify (AhVerifier * verifier, const AhRequest * req,
    gint64 now_s, const gchar ** api_key_out, GError ** error)
{
  KeyEntry *entry;
  AhSignatureInput *input = NULL;
  gchar *api_key, *input_header, *sig_header;
  gboolean ok = FALSE;

  g_return_val_if_fail (verifier != NULL, FALSE);
  g_return_val_if_fail (req != NULL, FALSE);

  api_key = ah_request_get_header (req, "x-api-key");
  if (api_key == NULL || *api_key == '\0') {
    set_error (error, AH_SIGNATURE_ERROR_MISSING_API_KEY,
        "no X-API-KEY header");
    g_free (api_key);
    return FALSE;
  }

  entry = g_hash_table_lookup (verifier->keys, api_key);
  if (entry != NULL && entry->key == NULL) {
    /* Empty secret: no signing, whatever the request carries. */
    if (api_key_out != NULL)
      *api_key_out = entry->api_key;
    g_free (api_key);
    return TRUE;
  }

  input_header = ah_request_get_header (req, "signature-input");
  sig_header = ah_request_get_header (req, "signature");

  if (input_header == NULL && sig_header == NULL) {
    if (entry != NULL)
      set_error (error, AH_SIGNATURE_ERROR_UNSIGNED,
          "the request is not signed (no Signature-Input and Signature "
          "headers) and its API key requires a signature");
  } else {
    GError *local = NULL;
    const guint8 *key = verifier->dummy_key;
    gsize key_len = sizeof (verifier->dummy_key);

    if (entry != NULL)
      key = g_bytes_get_data (entry->key, &key_len);
    ok = verify_signed (verifier, req, api_key, key, key_len, input_header,
        sig_header, now_s, &input, &local);
    if (entry != NULL && local != NULL)
      g_propagate_error (error, local);
    else
      g_clear_error (&local);
  }

  if (entry == NULL) {
    gchar *quoted = quote (api_key);

    set_error (error, AH_SIGNATURE_ERROR_UNKNOWN_API_KEY,
        "unknown API key %s", quoted);
    g_free (quoted);
    ok = FALSE;
  }

  if (ok) {
    replay_forget_old (verifier, now_s);
    if (g_hash_table_contains (verifier->seen, input->nonce)) {
      gchar *quoted = quote (input->nonce);

      set_error (error, AH_SIGNATURE_ERROR_REPLAYED,
          "signature nonce %s was seen before", quoted);
      g_free (quoted);
      ok = FALSE;
    } else if (verifier->replay_cache_size > 0
        && g_queue_get_length (&verifier->replay) >=
        verifier->replay_cache_size) {
      /* forgetting a nonce inside its window would let its replay in */
      set_error (error, AH_SIGNATURE_ERROR_CACHE_FULL,
          "the replay cache holds %u nonces still within their validity "
          "window; refusing this request rather than forgetting one",
          verifier->replay_cache_size);
      ok = FALSE;
    } else {
      replay_record (verifier, input->nonce, input->created);
      if (api_key_out != NULL)
        *api_key_out = entry->api_key;
    }
  }

  ah_signature_input_free (input);
  g_free (sig_header);
  g_free (input_header);
  g_free (api_key);
  return ok;
}
