/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Unit tests for HTTP message signatures (ah-signature.h). */

#include <string.h>

#include <glib.h>

#include "ah-signature.h"

/* The documented test vector. */
#define VEC_TARGET "/api/v1/voicebiometrics/ws"
#define VEC_AUTHORITY "audiohook.example.com"
#define VEC_ORG "d7934305-0972-4844-938e-9060eef73d05"
#define VEC_SESSION "30b0e395-84d3-4570-ac13-9a62d8f514c0"
#define VEC_CORRELATION "e160e428-53e2-487c-977d-96989bf5c99d"
#define VEC_KEY "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
#define VEC_SECRET "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
#define VEC_NONCE "VGhpc0lzQVVuaXF1ZU5vbmNl"
#define VEC_CREATED G_GINT64_CONSTANT (1641013200)
#define VEC_EXPIRES G_GINT64_CONSTANT (3282026430)

#define DEF_COMPONENTS "(\"@request-target\" \"@authority\" " \
  "\"audiohook-organization-id\" \"audiohook-session-id\" " \
  "\"audiohook-correlation-id\" \"x-api-key\")"

#define VEC_PARAMS DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" \
  VEC_NONCE "\";alg=\"hmac-sha256\";created=1641013200;expires=3282026430"
#define VEC_INPUT "sig1=" VEC_PARAMS
#define VEC_SIGNATURE "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:"

#define VEC_BASE \
  "\"@request-target\": /api/v1/voicebiometrics/ws\n" \
  "\"@authority\": audiohook.example.com\n" \
  "\"audiohook-organization-id\": " VEC_ORG "\n" \
  "\"audiohook-session-id\": " VEC_SESSION "\n" \
  "\"audiohook-correlation-id\": " VEC_CORRELATION "\n" \
  "\"x-api-key\": " VEC_KEY "\n" \
  "\"@signature-params\": " VEC_PARAMS

/* "now" for the tests that sign freshly. */
#define NOW G_GINT64_CONSTANT (1700000000)
#define NOW_S "1700000000"
#define NONCE2 "AAAAAAAAAAAAAAAAAAAAAAAA"

/* A request whose strings the tests can change. */
typedef struct
{
  gchar *target;
  gchar *authority;
  GPtrArray *names;
  GPtrArray *values;
  GArray *headers;
  AhRequest req;
} Req;

static void
req_add (Req * r, const gchar * name, const gchar * value)
{
  g_ptr_array_add (r->names, g_strdup (name));
  g_ptr_array_add (r->values, g_strdup (value));
}

static void
req_remove (Req * r, const gchar * name)
{
  guint i;

  for (i = r->names->len; i > 0; i--) {
    if (g_ascii_strcasecmp (r->names->pdata[i - 1], name) == 0) {
      g_ptr_array_remove_index (r->names, i - 1);
      g_ptr_array_remove_index (r->values, i - 1);
    }
  }
}

static void
req_set (Req * r, const gchar * name, const gchar * value)
{
  req_remove (r, name);
  if (value != NULL)
    req_add (r, name, value);
}

static gchar *
req_value (Req * r, const gchar * name)
{
  guint i;

  for (i = 0; i < r->names->len; i++)
    if (g_ascii_strcasecmp (r->names->pdata[i], name) == 0)
      return r->values->pdata[i];
  g_assert_not_reached ();
  return NULL;
}

/* The vector's request, unsigned. */
static Req *
req_new (void)
{
  Req *r = g_new0 (Req, 1);

  r->target = g_strdup (VEC_TARGET);
  r->authority = g_strdup (VEC_AUTHORITY);
  r->names = g_ptr_array_new_with_free_func (g_free);
  r->values = g_ptr_array_new_with_free_func (g_free);
  r->headers = g_array_new (FALSE, FALSE, sizeof (AhHeader));
  req_add (r, "Host", VEC_AUTHORITY);
  req_add (r, "Audiohook-Organization-Id", VEC_ORG);
  req_add (r, "Audiohook-Session-Id", VEC_SESSION);
  req_add (r, "Audiohook-Correlation-Id", VEC_CORRELATION);
  req_add (r, "X-API-KEY", VEC_KEY);
  req_add (r, "User-Agent", "GenesysCloud-AudioHook-Client");
  return r;
}

static const AhRequest *
req_get (Req * r)
{
  guint i;

  g_array_set_size (r->headers, 0);
  for (i = 0; i < r->names->len; i++) {
    AhHeader h = { r->names->pdata[i], r->values->pdata[i] };

    g_array_append_val (r->headers, h);
  }
  r->req.request_target = r->target;
  r->req.authority = r->authority;
  r->req.headers = (const AhHeader *) r->headers->data;
  r->req.n_headers = r->headers->len;
  return &r->req;
}

static void
req_free (Req * r)
{
  g_free (r->target);
  g_free (r->authority);
  g_ptr_array_unref (r->names);
  g_ptr_array_unref (r->values);
  g_array_unref (r->headers);
  g_free (r);
}

/* The vector's request with its Signature-Input and Signature. */
static Req *
req_new_vector (void)
{
  Req *r = req_new ();

  req_add (r, "Signature-Input", VEC_INPUT);
  req_add (r, "Signature", VEC_SIGNATURE);
  return r;
}

/* Signs @r with "sig1=@params" as given, independently of
 * ah_signature_sign(). When @params cannot be signed the Signature is a
 * dummy. */
static void
req_sign_params (Req * r, const gchar * params, const gchar * secret)
{
  AhSignatureInput *input = NULL;
  gchar *header, *base = NULL, *mac64, *sig;
  guchar *key;
  gsize key_len, mac_len = 32;
  guint8 mac[32];
  GHmac *hmac;

  header = g_strconcat ("sig1=", params, NULL);
  if (ah_signature_input_parse (header, "sig1", &input, NULL))
    base = ah_signature_base (req_get (r), input, NULL, NULL);
  if (base == NULL) {
    req_set (r, "Signature-Input", header);
    req_set (r, "Signature",
        "sig1=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:");
    ah_signature_input_free (input);
    g_free (header);
    return;
  }
  key = g_base64_decode (secret, &key_len);
  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, (const guchar *) base, -1);
  g_hmac_get_digest (hmac, mac, &mac_len);
  g_hmac_unref (hmac);
  mac64 = g_base64_encode (mac, mac_len);
  sig = g_strdup_printf ("sig1=:%s:", mac64);
  req_set (r, "Signature-Input", header);
  req_set (r, "Signature", sig);
  g_free (sig);
  g_free (mac64);
  g_free (key);
  g_free (base);
  g_free (header);
  ah_signature_input_free (input);
}

/* Signs @r with ah_signature_sign() at NOW, valid for 30 s. */
static void
req_sign_now (Req * r, const gchar * nonce)
{
  gchar *input = NULL, *sig = NULL;
  GError *error = NULL;

  g_assert_true (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET, nonce,
          NOW, NOW + 30, &input, &sig, &error));
  g_assert_no_error (error);
  req_set (r, "Signature-Input", input);
  req_set (r, "Signature", sig);
  g_free (input);
  g_free (sig);
}

static AhVerifier *
verifier_new (void)
{
  AhVerifier *v = ah_verifier_new ();
  GError *error = NULL;

  g_assert_true (ah_verifier_add_key (v, VEC_KEY, VEC_SECRET, &error));
  g_assert_no_error (error);
  g_assert_true (ah_verifier_has_keys (v));
  return v;
}

static void
assert_verifies (AhVerifier * v, Req * r, gint64 now)
{
  GError *error = NULL;
  const gchar *key = NULL;

  g_assert_true (ah_verifier_verify (v, req_get (r), now, &key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, VEC_KEY);
}

static void
assert_fails (AhVerifier * v, Req * r, gint64 now, AhSignatureError code,
    const gchar * problem)
{
  GError *error = NULL;
  const gchar *key = "untouched";

  g_assert_false (ah_verifier_verify (v, req_get (r), now, &key, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, (gint) code);
  if (problem != NULL && strstr (error->message, problem) == NULL)
    g_error ("\"%s\" not in \"%s\"", problem, error->message);
  g_assert_cmpstr (key, ==, "untouched");
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */

static void
test_vector_verify (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new_vector ();

  /* Replay protection off: the same request several times. */
  ah_verifier_set_limits (v, 3, 10, 22, 0);
  assert_verifies (v, r, VEC_CREATED);
  assert_verifies (v, r, VEC_CREATED - 3);
  assert_verifies (v, r, VEC_CREATED + 7);
  assert_fails (v, r, VEC_CREATED + 8, AH_SIGNATURE_ERROR_TOO_OLD, NULL);
  assert_fails (v, r, VEC_CREATED - 4, AH_SIGNATURE_ERROR_CREATED_IN_FUTURE,
      NULL);
  /* Extreme clocks do not overflow anything. */
  assert_fails (v, r, G_MAXINT64, AH_SIGNATURE_ERROR_EXPIRED, NULL);
  assert_fails (v, r, G_MININT64, AH_SIGNATURE_ERROR_CREATED_IN_FUTURE, NULL);

  req_free (r);
  ah_verifier_free (v);
}

static void
test_vector_sign (void)
{
  Req *r = req_new ();
  gchar *input = NULL, *sig = NULL, *base;
  AhSignatureInput *parsed = NULL;
  GError *error = NULL;

  g_assert_true (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          VEC_NONCE, VEC_CREATED, VEC_EXPIRES, &input, &sig, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (input, ==, VEC_INPUT);
  g_assert_cmpstr (sig, ==, VEC_SIGNATURE);

  g_assert_true (ah_signature_input_parse (input, "sig1", &parsed, &error));
  base = ah_signature_base (req_get (r), parsed, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (base, ==, VEC_BASE);
  g_free (base);
  ah_signature_input_free (parsed);
  g_free (input);
  g_free (sig);

  /* Without expires. */
  g_assert_true (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          VEC_NONCE, VEC_CREATED, -1, &input, &sig, &error));
  g_assert_true (g_str_has_suffix (input, ";created=1641013200"));
  g_free (input);
  g_free (sig);
  req_free (r);
}

static void
flip_check (AhVerifier * v, Req * r, gchar * str, const gchar * what)
{
  static const guchar masks[] = { 0x01, 0x02, 0x20, 0x40, 0x80 };
  gsize len = strlen (str), i;
  guint m;

  for (i = 0; i < len; i++) {
    for (m = 0; m < G_N_ELEMENTS (masks); m++) {
      gchar orig = str[i];
      GError *error = NULL;

      str[i] = (gchar) (orig ^ masks[m]);
      if (str[i] == '\0') {
        str[i] = orig;
        continue;
      }
      if (ah_verifier_verify (v, req_get (r), VEC_CREATED, NULL, &error))
        g_error ("%s still verifies with byte %u ^ 0x%02x", what, (guint) i,
            masks[m]);
      g_assert_nonnull (error);
      g_assert_true (error->domain == AH_SIGNATURE_ERROR);
      g_clear_error (&error);
      str[i] = orig;
    }
  }
  assert_verifies (v, r, VEC_CREATED);
}

/* Changing any byte of what is signed, or of the signature, breaks it. */
static void
test_vector_byte_flip (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new_vector ();
  guint i;

  ah_verifier_set_limits (v, 3, 10, 22, 0);
  assert_verifies (v, r, VEC_CREATED);

  flip_check (v, r, r->target, "@request-target");
  flip_check (v, r, r->authority, "@authority");
  flip_check (v, r, req_value (r, "audiohook-organization-id"),
      "audiohook-organization-id");
  flip_check (v, r, req_value (r, "audiohook-session-id"),
      "audiohook-session-id");
  flip_check (v, r, req_value (r, "audiohook-correlation-id"),
      "audiohook-correlation-id");
  flip_check (v, r, req_value (r, "x-api-key"), "x-api-key");
  flip_check (v, r, req_value (r, "signature"), "Signature");
  flip_check (v, r, req_value (r, "signature-input"), "Signature-Input");

  /* The API key once more, changed consistently in X-API-KEY and keyid and
   * configured with the same secret: only the MAC can tell. */
  for (i = 0; i < strlen (VEC_KEY); i++) {
    gchar *key = g_strdup (VEC_KEY), *input;

    key[i] ^= 0x01;
    if (!g_ascii_isalnum (key[i])) {
      g_free (key);
      continue;
    }
    g_assert_true (ah_verifier_add_key (v, key, VEC_SECRET, NULL));
    input = g_strdup (VEC_INPUT);
    memcpy (strstr (input, VEC_KEY), key, strlen (key));
    req_set (r, "X-API-KEY", key);
    req_set (r, "Signature-Input", input);
    assert_fails (v, r, VEC_CREATED, AH_SIGNATURE_ERROR_MISMATCH, NULL);
    g_free (input);
    g_free (key);
  }

  req_free (r);
  ah_verifier_free (v);
}

/* ------------------------------------------------------------------------ */

typedef void (*Mutate) (Req * r, AhVerifier * v);

typedef struct
{
  const gchar *desc;
  const gchar *params;          /* re-sign with these, if not NULL */
  Mutate mutate;                /* then apply this, if not NULL */
  AhSignatureError code;
  const gchar *problem;         /* must appear in the message */
} ErrorCase;

static void
remove_api_key (Req * r, AhVerifier * v)
{
  req_remove (r, "x-api-key");
}

static void
empty_api_key (Req * r, AhVerifier * v)
{
  req_set (r, "x-api-key", "  ");
}

static void
unknown_api_key (Req * r, AhVerifier * v)
{
  gchar *input = g_strdup (req_value (r, "signature-input"));

  /* Consistent keyid, so that only the key lookup fails. */
  memcpy (strstr (input, VEC_KEY), "X", 1);
  req_set (r, "Signature-Input", input);
  req_set (r, "x-api-key", "XGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh");
  g_free (input);
}

static void
unknown_api_key_unsigned (Req * r, AhVerifier * v)
{
  req_remove (r, "signature");
  req_remove (r, "signature-input");
  req_set (r, "x-api-key", "someone-else");
}

static void
unknown_api_key_garbage (Req * r, AhVerifier * v)
{
  req_set (r, "signature", "garbage");
  req_set (r, "x-api-key", "someone-else");
}

static void
unsigned_request (Req * r, AhVerifier * v)
{
  req_remove (r, "signature");
  req_remove (r, "signature-input");
}

static void
no_signature (Req * r, AhVerifier * v)
{
  req_remove (r, "signature");
}

static void
no_signature_input (Req * r, AhVerifier * v)
{
  req_remove (r, "signature-input");
}

static void
remove_correlation (Req * r, AhVerifier * v)
{
  req_remove (r, "audiohook-correlation-id");
}

static void
remove_user_agent (Req * r, AhVerifier * v)
{
  req_remove (r, "user-agent");
}

static void
remove_target (Req * r, AhVerifier * v)
{
  g_free (r->target);
  r->target = NULL;
}

static void
empty_authority (Req * r, AhVerifier * v)
{
  r->authority[0] = '\0';
}

static void
space_in_target (Req * r, AhVerifier * v)
{
  r->target[4] = ' ';
}

static void
lf_in_header (Req * r, AhVerifier * v)
{
  req_set (r, "audiohook-session-id", VEC_SESSION "\n\"x-api-key\": " VEC_KEY);
}

static void
wrong_secret (Req * r, AhVerifier * v)
{
  g_assert_true (ah_verifier_add_key (v, VEC_KEY,
          "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDY=", NULL));
}

static void
sig_wrong_length (Req * r, AhVerifier * v)
{
  req_set (r, "signature",
      "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4A:");
}

static void
sig_short (Req * r, AhVerifier * v)
{
  req_set (r, "signature", "sig1=:AAAA:");
}

static void
sig_pad_bits (Req * r, AhVerifier * v)
{
  gchar *sig = g_strdup (req_value (r, "signature"));
  gchar *eq = strchr (sig, '=');

  /* The character before '=' carries 2 pad bits, which must be zero. */
  eq = strchr (eq + 1, '=');
  g_assert_nonnull (eq);
  eq[-1] = eq[-1] == 'B' ? 'C' : 'B';
  req_set (r, "signature", sig);
  g_free (sig);
}

#define SIG_MUTATOR(fn, value) \
static void \
fn (Req * r, AhVerifier * v) \
{ \
  req_set (r, "signature", value); \
}

SIG_MUTATOR (sig_garbage, "garbage!!");
SIG_MUTATOR (sig_no_sig1, "sig2=:AAAA:");
SIG_MUTATOR (sig_not_base64, "sig1=:not base64!:");
SIG_MUTATOR (sig_unterminated, "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GR");
SIG_MUTATOR (sig_token, "sig1=NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4");
SIG_MUTATOR (sig_list, "sig1=(:AAAA:)");
SIG_MUTATOR (sig_truncated_b64, "sig1=:A:");
SIG_MUTATOR (sig_bad_padding, "sig1=:AAAA=:");
SIG_MUTATOR (sig_pad_first, "sig1=:=AAA:");
SIG_MUTATOR (sig_url_safe, "sig1=:-_-_:");
SIG_MUTATOR (sig_trailing_comma, "sig1=:AAAA:,");
SIG_MUTATOR (sig_empty, "");

#define INPUT_MUTATOR(fn, value) \
static void \
fn (Req * r, AhVerifier * v) \
{ \
  req_set (r, "signature-input", value); \
}

INPUT_MUTATOR (in_empty, "");
INPUT_MUTATOR (in_garbage, "garbage!!");
INPUT_MUTATOR (in_no_sig1, "sig2=" VEC_PARAMS);
INPUT_MUTATOR (in_upper_label, "SIG1=" VEC_PARAMS);
INPUT_MUTATOR (in_unterminated_list, "sig1=(\"@authority\" \"x-api-key\"");
INPUT_MUTATOR (in_unterminated_string, "sig1=(\"@authority);created=1");
INPUT_MUTATOR (in_unterminated_param, "sig1=(\"@authority\");keyid=\"abc");
INPUT_MUTATOR (in_bare_token_component, "sig1=(@authority)");
INPUT_MUTATOR (in_integer_component, "sig1=(\"@authority\" 1)");
INPUT_MUTATOR (in_no_space, "sig1=(\"@authority\"\"x-api-key\")");
INPUT_MUTATOR (in_item, "sig1=\"@authority\"");
INPUT_MUTATOR (in_boolean, "sig1");
INPUT_MUTATOR (in_junk_after, "sig1=(\"@authority\")x");
INPUT_MUTATOR (in_trailing_comma, "sig1=(\"@authority\"), ");
INPUT_MUTATOR (in_bad_escape, "sig1=(\"\\x\")");
INPUT_MUTATOR (in_utf8, "sig1=(\"\xc3\xa9\")");
INPUT_MUTATOR (in_tab_in_string, "sig1=(\"a\tb\")");
INPUT_MUTATOR (in_long_integer,
    "sig1=(\"@authority\");created=1234567890123456");
INPUT_MUTATOR (in_huge_integer,
    "sig1=(\"@authority\");created=99999999999999999999999999999");
INPUT_MUTATOR (in_long_decimal, "sig1=();x=1234567890123.5");
INPUT_MUTATOR (in_decimal_frac, "sig1=();x=1.5555");
INPUT_MUTATOR (in_decimal_dot, "sig1=();x=1.");
INPUT_MUTATOR (in_bad_boolean, "sig1=();x=?2");
INPUT_MUTATOR (in_bad_key, "sig1=();X=1");
INPUT_MUTATOR (in_bad_item, "sig1=();x=@");
INPUT_MUTATOR (in_other_malformed, "sig0=(\"a\" , sig1=" VEC_PARAMS);
INPUT_MUTATOR (in_long, "sig1=(\"@authority\");keyid=\"" VEC_KEY VEC_KEY
    VEC_KEY VEC_KEY VEC_KEY VEC_KEY VEC_KEY VEC_KEY "\" ;");

static void
in_too_long (Req * r, AhVerifier * v)
{
  GString *s = g_string_new ("sig1=" VEC_PARAMS);
  guint i;

  for (i = 0; i < 2000; i++)
    g_string_append (s, ", x=(\"@authority\")");
  req_set (r, "signature-input", s->str);
  g_string_free (s, TRUE);
}

static const ErrorCase error_cases[] = {
  {"no X-API-KEY", NULL, remove_api_key,
      AH_SIGNATURE_ERROR_MISSING_API_KEY, "X-API-KEY"},
  {"empty X-API-KEY", NULL, empty_api_key,
      AH_SIGNATURE_ERROR_MISSING_API_KEY, "X-API-KEY"},
  {"unknown key, signed", NULL, unknown_api_key,
      AH_SIGNATURE_ERROR_UNKNOWN_API_KEY, "unknown API key \"XGVs"},
  {"unknown key, unsigned", NULL, unknown_api_key_unsigned,
      AH_SIGNATURE_ERROR_UNKNOWN_API_KEY, "\"someone-else\""},
  {"unknown key, garbage signature", NULL, unknown_api_key_garbage,
      AH_SIGNATURE_ERROR_UNKNOWN_API_KEY, "\"someone-else\""},
  {"unsigned, key has a secret", NULL, unsigned_request,
      AH_SIGNATURE_ERROR_UNSIGNED, "not signed"},
  {"Signature-Input without Signature", NULL, no_signature,
      AH_SIGNATURE_ERROR_MALFORMED, "Signature-Input header without "
        "Signature header"},
  {"Signature without Signature-Input", NULL, no_signature_input,
      AH_SIGNATURE_ERROR_MALFORMED, "Signature header without "
        "Signature-Input header"},

  /* Malformed Signature-Input. */
  {"empty Signature-Input", NULL, in_empty, AH_SIGNATURE_ERROR_MALFORMED,
      "no \"sig1\" member"},
  {"garbage Signature-Input", NULL, in_garbage, AH_SIGNATURE_ERROR_MALFORMED,
      "expected ',' after a dictionary member, found '!' at offset 7"},
  {"no sig1", NULL, in_no_sig1, AH_SIGNATURE_ERROR_MALFORMED,
      "no \"sig1\" member"},
  {"upper case label", NULL, in_upper_label, AH_SIGNATURE_ERROR_MALFORMED,
      "expected a key"},
  {"unterminated inner list", NULL, in_unterminated_list,
      AH_SIGNATURE_ERROR_MALFORMED, "unterminated inner list"},
  {"unterminated string", NULL, in_unterminated_string,
      AH_SIGNATURE_ERROR_MALFORMED, "unterminated string"},
  {"unterminated parameter string", NULL, in_unterminated_param,
      AH_SIGNATURE_ERROR_MALFORMED, "unterminated string"},
  {"token component", NULL, in_bare_token_component,
      AH_SIGNATURE_ERROR_MALFORMED, "expected an item, found '@'"},
  {"integer component", NULL, in_integer_component,
      AH_SIGNATURE_ERROR_MALFORMED, "component 2 is an integer"},
  {"components without space", NULL, in_no_space,
      AH_SIGNATURE_ERROR_MALFORMED, "expected ' ' or ')'"},
  {"sig1 a string", NULL, in_item, AH_SIGNATURE_ERROR_MALFORMED,
      "is a string, not an inner list"},
  {"sig1 a boolean", NULL, in_boolean, AH_SIGNATURE_ERROR_MALFORMED,
      "is a boolean, not an inner list"},
  {"junk after the list", NULL, in_junk_after, AH_SIGNATURE_ERROR_MALFORMED,
      "found 'x'"},
  {"trailing comma", NULL, in_trailing_comma, AH_SIGNATURE_ERROR_MALFORMED,
      "trailing ','"},
  {"bad escape", NULL, in_bad_escape, AH_SIGNATURE_ERROR_MALFORMED,
      "after '\\' in a string"},
  {"UTF-8 in a string", NULL, in_utf8, AH_SIGNATURE_ERROR_MALFORMED,
      "byte 0xc3 in a string"},
  {"tab in a string", NULL, in_tab_in_string, AH_SIGNATURE_ERROR_MALFORMED,
      "byte 0x09 in a string"},
  {"16 digit integer", NULL, in_long_integer, AH_SIGNATURE_ERROR_MALFORMED,
      "more than 15 digits"},
  {"huge integer", NULL, in_huge_integer, AH_SIGNATURE_ERROR_MALFORMED,
      "more than 15 digits"},
  {"long decimal", NULL, in_long_decimal, AH_SIGNATURE_ERROR_MALFORMED,
      "more than 12 integer digits"},
  {"decimal precision", NULL, in_decimal_frac, AH_SIGNATURE_ERROR_MALFORMED,
      "more than 3 fractional digits"},
  {"decimal dot", NULL, in_decimal_dot, AH_SIGNATURE_ERROR_MALFORMED,
      "without fractional digits"},
  {"bad boolean", NULL, in_bad_boolean, AH_SIGNATURE_ERROR_MALFORMED,
      "expected '0' or '1'"},
  {"upper case parameter", NULL, in_bad_key, AH_SIGNATURE_ERROR_MALFORMED,
      "expected a key"},
  {"bad parameter value", NULL, in_bad_item, AH_SIGNATURE_ERROR_MALFORMED,
      "expected an item"},
  {"another member malformed", NULL, in_other_malformed,
      AH_SIGNATURE_ERROR_MALFORMED, "expected an item, found ','"},
  {"trailing semicolon", NULL, in_long, AH_SIGNATURE_ERROR_MALFORMED,
      "expected ',' after a dictionary member, found ';' at offset 285"},
  {"header too long", NULL, in_too_long, AH_SIGNATURE_ERROR_MALFORMED,
      "longer than"},

  /* Well-formed, but wrong parameter types or components. */
  {"created a string", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=\"" NOW_S "\"", NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "created is a string, not an integer"},
  {"created a decimal", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=1.5", NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "created is a decimal, not an integer"},
  {"created a boolean", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created", NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "created is a boolean, not an integer"},
  {"created negative", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=-1", NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "created is negative"},
  {"expires a token", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=" NOW_S ";expires=never", NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "expires is a token, not an integer"},
  {"keyid a token", DEF_COMPONENTS ";keyid=abc;nonce=\"" NONCE2 "\""
        ";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "keyid is a token, not a string"},
  {"nonce a byte sequence", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\""
        ";nonce=:AAAA:;created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "nonce is a byte sequence, not a string"},
  {"alg a boolean", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2
        "\";alg=?1;created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "alg is a boolean, not a string"},
  {"nonce twice", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2
        "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "parameter nonce given twice"},
  {"created twice", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2
        "\";created=" NOW_S ";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "parameter created given twice"},
  {"component twice", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"@authority\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "\"@authority\" listed twice"},
  {"upper case component", "(\"@request-target\" \"@authority\" "
        "\"Audiohook-Organization-Id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "must be lower case"},
  {"component with parameters", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\";sf)"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "has parameters"},
  {"empty component", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "empty component name"},
  {"component with a colon", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"a: b\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MALFORMED, "invalid character in a component"},

  /* Malformed Signature. */
  {"garbage Signature", NULL, sig_garbage, AH_SIGNATURE_ERROR_MALFORMED,
      "malformed Signature header"},
  {"empty Signature", NULL, sig_empty, AH_SIGNATURE_ERROR_MALFORMED,
      "no \"sig1\" member"},
  {"Signature without sig1", NULL, sig_no_sig1, AH_SIGNATURE_ERROR_MALFORMED,
      "no \"sig1\" member"},
  {"Signature not base64", NULL, sig_not_base64,
      AH_SIGNATURE_ERROR_MALFORMED, "invalid base64 character"},
  {"Signature unterminated", NULL, sig_unterminated,
      AH_SIGNATURE_ERROR_MALFORMED, "unterminated byte sequence"},
  {"Signature a token", NULL, sig_token, AH_SIGNATURE_ERROR_MALFORMED,
      "is a token, not a byte sequence"},
  {"Signature a list", NULL, sig_list, AH_SIGNATURE_ERROR_MALFORMED,
      "is an inner list, not a byte sequence"},
  {"Signature truncated base64", NULL, sig_truncated_b64,
      AH_SIGNATURE_ERROR_MALFORMED, "truncated base64"},
  {"Signature bad padding", NULL, sig_bad_padding,
      AH_SIGNATURE_ERROR_MALFORMED, "wrong base64 padding"},
  {"Signature padding first", NULL, sig_pad_first,
      AH_SIGNATURE_ERROR_MALFORMED, "invalid base64 character"},
  {"Signature URL-safe base64", NULL, sig_url_safe,
      AH_SIGNATURE_ERROR_MALFORMED, "invalid base64 character"},
  {"Signature pad bits", NULL, sig_pad_bits,
      AH_SIGNATURE_ERROR_MALFORMED, "pad bits"},
  {"Signature trailing comma", NULL, sig_trailing_comma,
      AH_SIGNATURE_ERROR_MALFORMED, "trailing ','"},

  /* Policy. */
  {"unknown parameter", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=" NOW_S ";tag=\"x\"", NULL,
      AH_SIGNATURE_ERROR_UNKNOWN_PARAMETER, "unknown signature parameter "
        "\"tag\""},
  {"unknown boolean parameter", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\""
        ";nonce=\"" NONCE2 "\";created=" NOW_S ";zz", NULL,
      AH_SIGNATURE_ERROR_UNKNOWN_PARAMETER, "\"zz\""},
  {"keyid mismatch", DEF_COMPONENTS ";keyid=\"other\";nonce=\"" NONCE2 "\""
        ";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_KEYID_MISMATCH, "keyid \"other\" is not the "
        "X-API-KEY \"" VEC_KEY "\""},
  {"keyid missing", DEF_COMPONENTS ";nonce=\"" NONCE2 "\";created=" NOW_S,
      NULL, AH_SIGNATURE_ERROR_KEYID_MISMATCH, "keyid (none)"},
  {"alg wrong", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2
        "\";alg=\"rsa-pss-sha512\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_ALGORITHM, "\"rsa-pss-sha512\" is not hmac-sha256"},
  {"alg case", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2
        "\";alg=\"HMAC-SHA256\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_ALGORITHM, "\"HMAC-SHA256\""},
  {"component not covered", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"x-api-key\");keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=" NOW_S, NULL,
        AH_SIGNATURE_ERROR_MISSING_COMPONENT,
      "does not cover \"audiohook-correlation-id\""},
  {"authority not covered", "(\"@request-target\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\");keyid=\"" VEC_KEY "\""
        ";nonce=\"" NONCE2 "\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_MISSING_COMPONENT, "does not cover \"@authority\""},
  {"covered header absent", NULL, remove_correlation,
        AH_SIGNATURE_ERROR_MISSING_COMPONENT,
      "covered header \"audiohook-correlation-id\" is absent"},
  {"extra covered header absent", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"user-agent\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S,
        remove_user_agent, AH_SIGNATURE_ERROR_MISSING_COMPONENT,
      "covered header \"user-agent\" is absent"},
  {"no request target", NULL, remove_target,
      AH_SIGNATURE_ERROR_MISSING_COMPONENT, "no @request-target"},
  {"empty authority", NULL, empty_authority,
      AH_SIGNATURE_ERROR_MISSING_COMPONENT, "no @authority"},
  {"space in the request target", NULL, space_in_target,
      AH_SIGNATURE_ERROR_MALFORMED, "control character or whitespace"},
  {"line feed in a header", NULL, lf_in_header,
        AH_SIGNATURE_ERROR_MALFORMED,
      "\"audiohook-session-id\" contains a control character"},
  {"@signature-params covered", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"@signature-params\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S,
        NULL, AH_SIGNATURE_ERROR_MALFORMED,
      "\"@signature-params\" must not be a covered component"},
  {"unsupported derived component", "(\"@request-target\" \"@authority\" "
        "\"audiohook-organization-id\" \"audiohook-session-id\" "
        "\"audiohook-correlation-id\" \"x-api-key\" \"@method\")"
        ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\";created=" NOW_S,
        NULL, AH_SIGNATURE_ERROR_MALFORMED,
      "unsupported derived component \"@method\""},
  {"nonce short", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        "AAAAAAAAAAAAAAAAAAAAA\";created=" NOW_S, NULL,
      AH_SIGNATURE_ERROR_NONCE, "nonce is 21 characters, at least 22"},
  {"nonce missing", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";created=" NOW_S,
      NULL, AH_SIGNATURE_ERROR_NONCE, "no signature nonce"},
  {"created missing", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";expires=1700000030", NULL,
      AH_SIGNATURE_ERROR_CREATED_MISSING, "no signature created"},
  {"created in the future", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";created=1700000004", NULL,
      AH_SIGNATURE_ERROR_CREATED_IN_FUTURE, "created 1700000004 is more "
        "than 3 s after now (1700000000)"},
  {"expired", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=" NOW_S ";expires=1700000002", NULL,
      AH_SIGNATURE_ERROR_EXPIRED, "expires 1700000002"},
  {"expired before created", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\""
        ";nonce=\"" NONCE2 "\";created=" NOW_S ";expires=0", NULL,
      AH_SIGNATURE_ERROR_EXPIRED, "expires 0"},
  {"too old", DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=1699999992", NULL,
      AH_SIGNATURE_ERROR_TOO_OLD, "created 1699999992 is too old"},
  {"wrong secret", NULL, wrong_secret, AH_SIGNATURE_ERROR_MISMATCH,
      "does not match"},
  {"signature of another length", NULL, sig_wrong_length,
      AH_SIGNATURE_ERROR_MISMATCH, "does not match"},
  {"short signature", NULL, sig_short, AH_SIGNATURE_ERROR_MISMATCH,
      "does not match"},
};

static void
test_errors (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    const ErrorCase *c = &error_cases[i];
    AhVerifier *v = verifier_new ();
    Req *r = req_new ();

    g_test_message ("%s", c->desc);
    if (c->params != NULL)
      req_sign_params (r, c->params, VEC_SECRET);
    else
      req_sign_now (r, NONCE2);
    if (c->mutate != NULL)
      c->mutate (r, v);
    assert_fails (v, r, NOW, c->code, c->problem);
    /* The same case without an error location. */
    g_assert_false (ah_verifier_verify (v, req_get (r), NOW, NULL, NULL));
    req_free (r);
    ah_verifier_free (v);
  }
}

/* The boundaries just inside the limits the error table tests. */
static void
test_limits_inside (void)
{
  static const gchar *const params[] = {
    /* created now + skew */
    DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=1700000003",
    /* expires now + skew */
    DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=" NOW_S ";expires=1700000003",
    /* created + max age == now + skew */
    DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";created=1699999993",
    /* nonce of exactly 22, no alg, no expires, parameters in another
     * order, extra whitespace in the inner list */
    "( \"x-api-key\"  \"@authority\" \"audiohook-organization-id\" "
        "\"audiohook-session-id\" \"audiohook-correlation-id\" "
        "\"@request-target\" );created=" NOW_S ";nonce=\""
        "AAAAAAAAAAAAAAAAAAAAAA\";keyid=\"" VEC_KEY "\"",
    /* an extra covered header */
    "(\"@request-target\" \"@authority\" \"audiohook-organization-id\" "
        "\"audiohook-session-id\" \"audiohook-correlation-id\" \"x-api-key\" "
        "\"user-agent\");keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
        ";alg=\"hmac-sha256\";created=" NOW_S,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (params); i++) {
    AhVerifier *v = verifier_new ();
    Req *r = req_new ();

    req_sign_params (r, params[i], VEC_SECRET);
    assert_verifies (v, r, NOW);
    req_free (r);
    ah_verifier_free (v);
  }
}

/* Other limits than the defaults. */
static void
test_set_limits (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();

  req_sign_params (r, DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\"abc\""
      ";created=" NOW_S, VEC_SECRET);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_NONCE, "at least 22");
  ah_verifier_set_limits (v, 0, 60, 3, 16);
  assert_verifies (v, r, NOW + 60);
  ah_verifier_set_limits (v, 0, 60, 3, 0);
  assert_fails (v, r, NOW + 61, AH_SIGNATURE_ERROR_TOO_OLD, "max age 60 s");
  assert_fails (v, r, NOW - 1, AH_SIGNATURE_ERROR_CREATED_IN_FUTURE, NULL);
  ah_verifier_set_limits (v, 3, 10, 0, 0);
  assert_verifies (v, r, NOW);

  req_free (r);
  ah_verifier_free (v);
}

/* A key with an empty secret takes unsigned requests, and ignores any
 * signature headers. */
static void
test_empty_secret (void)
{
  AhVerifier *v = ah_verifier_new ();
  Req *r = req_new ();
  const gchar *key = NULL;
  GError *error = NULL;

  g_assert_false (ah_verifier_has_keys (v));
  g_assert_true (ah_verifier_add_key (v, "open", "", &error));
  g_assert_no_error (error);
  g_assert_true (ah_verifier_add_key (v, "open-null", NULL, &error));
  g_assert_true (ah_verifier_has_keys (v));

  req_set (r, "x-api-key", "open");
  g_assert_true (ah_verifier_verify (v, req_get (r), NOW, &key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "open");
  /* Not subject to replay protection: nothing to remember. */
  g_assert_true (ah_verifier_verify (v, req_get (r), NOW, NULL, NULL));

  req_set (r, "x-api-key", "open-null");
  req_set (r, "Signature-Input", "garbage");
  req_set (r, "Signature", "sig1=:AAAA:");
  key = NULL;
  g_assert_true (ah_verifier_verify (v, req_get (r), NOW, &key, NULL));
  g_assert_cmpstr (key, ==, "open-null");

  /* Other keys are unknown. */
  req_set (r, "x-api-key", VEC_KEY);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_UNKNOWN_API_KEY, NULL);

  /* A key can get a secret later. */
  g_assert_true (ah_verifier_add_key (v, "open", VEC_SECRET, NULL));
  req_set (r, "x-api-key", "open");
  req_remove (r, "Signature-Input");
  req_remove (r, "Signature");
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_UNSIGNED, NULL);

  req_free (r);
  ah_verifier_free (v);
}

static void
test_add_key_errors (void)
{
  static const gchar *const bad[] = {
    "not base64!", "A", "AAAAA", "====", "AB=C", "AAA==", "AAAA=", " AAAA",
    "AAAA\n", "=", "AA=A", "\xc3\xa9", "AAAAAAAA====",
  };
  static const gchar *const good[] = {
    "AAAA", "AA", "AAA", "AA==", "AAA=", "-_-_", "+/+/", "AB", VEC_SECRET,
  };
  AhVerifier *v = ah_verifier_new ();
  GError *error = NULL;
  gchar *input = NULL, *sig = NULL;
  Req *r = req_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_test_message ("bad secret %u", i);
    g_assert_false (ah_verifier_add_key (v, "k", bad[i], &error));
    g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_BAD_SECRET);
    g_assert_nonnull (strstr (error->message, "API key \"k\": the client "
            "secret is not valid base64"));
    g_clear_error (&error);
    g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, bad[i],
            NONCE2, NOW, -1, &input, &sig, &error));
    g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_BAD_SECRET);
    g_clear_error (&error);
  }
  g_assert_false (ah_verifier_has_keys (v));

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    g_assert_true (ah_verifier_add_key (v, "k", good[i], &error));
    g_assert_no_error (error);
  }

  g_assert_false (ah_verifier_add_key (v, "", VEC_SECRET, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR,
      AH_SIGNATURE_ERROR_MISSING_API_KEY);
  g_clear_error (&error);
  g_assert_false (ah_verifier_add_key (v, NULL, VEC_SECRET, NULL));

  /* Signing needs a secret. */
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, "", NONCE2, NOW,
          -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_BAD_SECRET);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, NULL, NONCE2, NOW,
          -1, &input, &sig, NULL));
  g_assert_null (input);
  g_assert_null (sig);

  req_free (r);
  ah_verifier_free (v);
}

static void
test_sign_errors (void)
{
  Req *r = req_new ();
  GError *error = NULL;
  gchar *input = NULL, *sig = NULL;

  g_assert_false (ah_signature_sign (req_get (r), "", VEC_SECRET, NONCE2,
          NOW, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR,
      AH_SIGNATURE_ERROR_MISSING_API_KEY);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), NULL, VEC_SECRET, NONCE2,
          NOW, -1, &input, &sig, NULL));
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET, "",
          NOW, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_NONCE);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET, NULL,
          NOW, -1, &input, &sig, NULL));
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          "a\nb", NOW, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_NONCE);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), "k\xc3\xa9", VEC_SECRET,
          NONCE2, NOW, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          NONCE2, -1, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          NONCE2, G_GINT64_CONSTANT (1000000000000000), -1, &input, &sig,
          &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          NONCE2, NOW, -2, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Everything covered must be in the request. */
  req_remove (r, "audiohook-session-id");
  g_assert_false (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET,
          NONCE2, NOW, -1, &input, &sig, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR,
      AH_SIGNATURE_ERROR_MISSING_COMPONENT);
  g_clear_error (&error);
  g_assert_null (input);
  g_assert_null (sig);

  /* Quotes and backslashes in the key are escaped, and still verify. */
  req_add (r, "audiohook-session-id", VEC_SESSION);
  req_set (r, "x-api-key", "a\"b\\c");
  g_assert_true (ah_signature_sign (req_get (r), "a\"b\\c", VEC_SECRET,
          NONCE2, NOW, NOW + 30, &input, &sig, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (input, ";keyid=\"a\\\"b\\\\c\";"));
  req_set (r, "Signature-Input", input);
  req_set (r, "Signature", sig);
  {
    AhVerifier *v = ah_verifier_new ();

    g_assert_true (ah_verifier_add_key (v, "a\"b\\c", VEC_SECRET, NULL));
    g_assert_true (ah_verifier_verify (v, req_get (r), NOW, NULL, &error));
    g_assert_no_error (error);
    ah_verifier_free (v);
  }
  g_free (input);
  g_free (sig);
  req_free (r);
}

/* The base follows the order of the Signature-Input, whatever it is. */
static void
test_component_order (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  gchar *default_sig;

  req_sign_params (r, "(\"x-api-key\" \"audiohook-correlation-id\" "
      "\"audiohook-session-id\" \"audiohook-organization-id\" \"@authority\" "
      "\"@request-target\");keyid=\"" VEC_KEY "\";nonce=\"" NONCE2 "\""
      ";alg=\"hmac-sha256\";created=" NOW_S ";expires=1700000030", VEC_SECRET);
  assert_verifies (v, r, NOW);

  /* A signature over the default order does not fit this input. */
  ah_verifier_set_limits (v, 3, 10, 22, 0);
  {
    Req *d = req_new ();

    req_sign_params (d, DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
        NONCE2 "\";alg=\"hmac-sha256\";created=" NOW_S
        ";expires=1700000030", VEC_SECRET);
    default_sig = g_strdup (req_value (d, "signature"));
    assert_verifies (v, d, NOW);
    req_free (d);
  }
  req_set (r, "signature", default_sig);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_MISMATCH, NULL);
  g_free (default_sig);

  req_free (r);
  ah_verifier_free (v);
}

/* Behind a proxy the Host may be rewritten: the configured authority is
 * what was signed. */
static void
test_authority_override (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();

  req_sign_now (r, NONCE2);
  g_free (r->authority);
  r->authority = g_strdup ("localhost:8080");
  req_set (r, "Host", "localhost:8080");
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_MISMATCH, NULL);

  ah_verifier_set_authority (v, "audiohook.example.com");
  assert_verifies (v, r, NOW);

  /* A request that really was signed for the received Host now fails. */
  req_sign_now (r, "BBBBBBBBBBBBBBBBBBBBBBBB");
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_MISMATCH, NULL);

  ah_verifier_set_authority (v, NULL);
  assert_verifies (v, r, NOW);

  /* The override also applies when the request has no Host at all. */
  ah_verifier_set_authority (v, "localhost:8080");
  req_sign_now (r, "CCCCCCCCCCCCCCCCCCCCCCCC");
  g_free (r->authority);
  r->authority = NULL;
  assert_verifies (v, r, NOW);

  req_free (r);
  ah_verifier_free (v);
}

typedef struct
{
  const gchar *name;
  const gchar *expected;        /* NULL: absent */
} HeaderCase;

static void
test_get_header (void)
{
  static const AhHeader headers[] = {
    {"Content-Type", "text/plain"},
    {"X-Multi", "one"},
    {NULL, "nameless"},
    {"x-multi", "  two  "},
    {"X-MULTI", "three,\tfour"},
    {"X-Fold", "a  \r\n   b\r\n\tc \n d"},
    {"X-Fold-Edges", "\r\n x \r\n "},
    {"X-Bare-Cr", "a\rb"},
    {"X-Bare-Lf", "a\nb"},
    {"X-Empty", ""},
    {"X-Empty", " "},
    {"X-Null", NULL},
    {"X-Tab", "\ta\tb\t"},
  };
  static const HeaderCase cases[] = {
    {"content-type", "text/plain"},
    {"CONTENT-TYPE", "text/plain"},
    {"Content-Type", "text/plain"},
    {"x-multi", "one, two, three,\tfour"},
    {"x-fold", "a b c d"},
    {"x-fold-edges", "x"},
    {"x-bare-cr", "a\rb"},
    {"x-bare-lf", "a\nb"},
    {"x-empty", ", "},
    {"x-null", ""},
    {"x-tab", "a\tb"},
    {"content-typ", NULL},
    {"content-type ", NULL},
    {"", NULL},
    {"nameless", NULL},
  };
  AhRequest req = { "/", "h", headers, G_N_ELEMENTS (headers) };
  AhRequest empty = { "/", "h", NULL, 5 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *value = ah_request_get_header (&req, cases[i].name);

    g_assert_cmpstr (value, ==, cases[i].expected);
    g_free (value);
  }
  g_assert_null (ah_request_get_header (&empty, "content-type"));
}

/* Header names in any case, repeated headers joined, values trimmed and
 * unfolded: the base is what the signer saw. */
static void
test_headers_in_base (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  GError *error = NULL;
  AhSignatureInput *input = NULL;
  gchar *base;

  req_remove (r, "audiohook-correlation-id");
  req_add (r, "AUDIOHOOK-CORRELATION-ID", "first");
  req_add (r, "audiohook-correlation-id", "  second \r\n  half  ");
  req_remove (r, "audiohook-session-id");
  req_add (r, "aUdIoHoOk-SeSsIoN-iD", VEC_SESSION);
  req_sign_now (r, NONCE2);

  g_assert_true (ah_signature_input_parse (req_value (r, "signature-input"),
          "sig1", &input, NULL));
  base = ah_signature_base (req_get (r), input, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (base, "\n\"audiohook-correlation-id\": first, "
          "second half\n"));
  g_assert_nonnull (strstr (base, "\n\"audiohook-session-id\": "
          VEC_SESSION "\n"));
  g_free (base);
  ah_signature_input_free (input);
  assert_verifies (v, r, NOW);

  /* Only the first correlation id was signed: the second breaks it. */
  ah_verifier_set_limits (v, 3, 10, 22, 0);
  req_remove (r, "audiohook-correlation-id");
  req_add (r, "audiohook-correlation-id", "first");
  req_sign_now (r, NONCE2);
  assert_verifies (v, r, NOW);
  req_add (r, "Audiohook-Correlation-Id", "second");
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_MISMATCH, NULL);

  /* Signature headers given twice are one dictionary. */
  req_remove (r, "audiohook-correlation-id");
  req_add (r, "audiohook-correlation-id", "first");
  {
    gchar *sig = g_strdup (req_value (r, "signature"));

    req_set (r, "signature", "other=:AAAA:");
    req_add (r, "SIGNATURE", sig);
    assert_verifies (v, r, NOW);
    g_free (sig);
  }

  req_free (r);
  ah_verifier_free (v);
}

static void
test_replay (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();

  req_sign_now (r, NONCE2);
  assert_verifies (v, r, NOW);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_REPLAYED,
      "nonce \"" NONCE2 "\" was seen before");
  assert_fails (v, r, NOW + 7, AH_SIGNATURE_ERROR_REPLAYED, NULL);
  /* Once too old, it is too old. */
  assert_fails (v, r, NOW + 8, AH_SIGNATURE_ERROR_TOO_OLD, NULL);

  /* Failures are not remembered. */
  req_sign_now (r, "BBBBBBBBBBBBBBBBBBBBBBBB");
  req_set (r, "audiohook-session-id", "x");
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_MISMATCH, NULL);
  req_set (r, "audiohook-session-id", VEC_SESSION);
  assert_verifies (v, r, NOW);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_REPLAYED, NULL);

  req_free (r);
  ah_verifier_free (v);
}

static gchar *
nonce_n (guint n)
{
  return g_strdup_printf ("nonce-%018u", n);
}

static void
req_sign_at (Req * r, const gchar * nonce, gint64 created)
{
  gchar *input = NULL, *sig = NULL;
  GError *error = NULL;

  g_assert_true (ah_signature_sign (req_get (r), VEC_KEY, VEC_SECRET, nonce,
          created, created + 30, &input, &sig, &error));
  g_assert_no_error (error);
  req_set (r, "Signature-Input", input);
  req_set (r, "Signature", sig);
  g_free (input);
  g_free (sig);
}

/* With room for N nonces, each is held for its request's whole validity
 * window (forgotten once older than max age 10 s + skew 3 s): request
 * N + 1 while they are held is
 * refused, no nonce is forgotten early, and room comes back as requests
 * age out. */
static void
test_replay_bounded (void)
{
  const guint cap = 8;
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  gchar *nonce;
  guint i, k;

  ah_verifier_set_limits (v, 3, 10, 22, cap);
  for (i = 0; i < cap; i++) {
    nonce = nonce_n (i);
    req_sign_at (r, nonce, NOW);
    assert_verifies (v, r, NOW);
    g_free (nonce);
  }
  /* full: the next valid request is refused, not an old nonce forgotten */
  nonce = nonce_n (cap);
  req_sign_at (r, nonce, NOW);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_CACHE_FULL, NULL);
  g_free (nonce);
  /* every nonce is still known: their replays fail as replays */
  for (i = 0; i < cap; i++) {
    nonce = nonce_n (i);
    req_sign_at (r, nonce, NOW);
    assert_fails (v, r, NOW + 5, AH_SIGNATURE_ERROR_REPLAYED, NULL);
    assert_fails (v, r, NOW + 7, AH_SIGNATURE_ERROR_REPLAYED, NULL);
    g_free (nonce);
  }
  nonce = nonce_n (cap);
  req_sign_at (r, nonce, NOW + 7);
  assert_fails (v, r, NOW + 7, AH_SIGNATURE_ERROR_CACHE_FULL, NULL);
  g_free (nonce);

  /* past the window the old requests are too old, and there is room */
  nonce = nonce_n (0);
  req_sign_at (r, nonce, NOW);
  assert_fails (v, r, NOW + 14, AH_SIGNATURE_ERROR_TOO_OLD, NULL);
  g_free (nonce);
  nonce = nonce_n (cap);
  req_sign_at (r, nonce, NOW + 14);
  assert_verifies (v, r, NOW + 14);
  g_free (nonce);

  /* Shrinking the cache forgets nothing: it refuses until requests age
   * out. */
  for (i = 0; i < 3; i++) {
    nonce = nonce_n (cap + 1 + i);
    req_sign_at (r, nonce, NOW + 14);
    assert_verifies (v, r, NOW + 14);
    g_free (nonce);
  }
  ah_verifier_set_limits (v, 3, 10, 22, 2);
  nonce = nonce_n (cap + 4);
  req_sign_at (r, nonce, NOW + 14);
  assert_fails (v, r, NOW + 14, AH_SIGNATURE_ERROR_CACHE_FULL, NULL);
  g_free (nonce);
  nonce = nonce_n (cap + 1);
  req_sign_at (r, nonce, NOW + 14);
  assert_fails (v, r, NOW + 20, AH_SIGNATURE_ERROR_REPLAYED, NULL);
  g_free (nonce);
  nonce = nonce_n (cap + 4);
  req_sign_at (r, nonce, NOW + 28);
  assert_verifies (v, r, NOW + 28);
  g_free (nonce);

  /* Many more distinct nonces, a window's worth at a time: still bounded,
   * still working. */
  ah_verifier_set_limits (v, 3, 10, 22, cap);
  for (k = 0; k < 1000; k++) {
    gint64 at = NOW + 100 + 14 * (gint64) k;
    for (i = 0; i < cap; i++) {
      nonce = nonce_n (100 + k * cap + i);
      req_sign_at (r, nonce, at);
      assert_verifies (v, r, at);
      g_free (nonce);
    }
  }

  /* Size 0: no replay protection. */
  ah_verifier_set_limits (v, 3, 10, 22, 0);
  assert_verifies (v, r, NOW + 100 + 14 * 999);
  assert_verifies (v, r, NOW + 100 + 14 * 999);

  req_free (r);
  ah_verifier_free (v);
}

/* Entries older than max age plus skew go; the cache keeps the rest. */
static void
test_replay_aging (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  Req *late = req_new ();

  /* A wide max age makes replays observable over time. */
  ah_verifier_set_limits (v, 3, 100, 22, 16);
  req_sign_params (r, DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
      NONCE2 "\";created=" NOW_S, VEC_SECRET);
  assert_verifies (v, r, NOW);
  assert_fails (v, r, NOW + 97, AH_SIGNATURE_ERROR_REPLAYED, NULL);
  assert_fails (v, r, NOW + 98, AH_SIGNATURE_ERROR_TOO_OLD, NULL);
  /* Still remembered at created + max age + skew. */
  ah_verifier_set_limits (v, 3, 1000, 22, 16);
  assert_fails (v, r, NOW + 103, AH_SIGNATURE_ERROR_REPLAYED, NULL);
  ah_verifier_set_limits (v, 3, 100, 22, 16);

  /* A later verification at NOW + 104 forgets it ... */
  req_sign_params (late, DEF_COMPONENTS ";keyid=\"" VEC_KEY "\";nonce=\""
      "BBBBBBBBBBBBBBBBBBBBBBBB\";created=1700000104", VEC_SECRET);
  assert_verifies (v, late, NOW + 104);
  /* ... and a now generous max age accepts the old request again. */
  ah_verifier_set_limits (v, 3, 1000, 22, 16);
  assert_verifies (v, r, NOW + 104);

  req_free (late);
  req_free (r);
  ah_verifier_free (v);
}

static void
test_parse_input (void)
{
  AhSignatureInput *input = NULL;
  GError *error = NULL;
  static const gchar *const want[] = {
    "@request-target", "@authority", "audiohook-organization-id",
    "audiohook-session-id", "audiohook-correlation-id", "x-api-key",
  };
  guint i;

  g_assert_true (ah_signature_input_parse (VEC_INPUT, "sig1", &input, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (input->label, ==, "sig1");
  g_assert_cmpuint (input->components->len, ==, G_N_ELEMENTS (want));
  for (i = 0; i < G_N_ELEMENTS (want); i++) {
    g_assert_cmpstr (input->components->pdata[i], ==, want[i]);
    g_assert_cmpstr (ah_signature_default_components[i], ==, want[i]);
  }
  g_assert_null (ah_signature_default_components[G_N_ELEMENTS (want)]);
  g_assert_cmpstr (input->keyid, ==, VEC_KEY);
  g_assert_cmpstr (input->nonce, ==, VEC_NONCE);
  g_assert_cmpstr (input->alg, ==, "hmac-sha256");
  g_assert_cmpint (input->created, ==, VEC_CREATED);
  g_assert_cmpint (input->expires, ==, VEC_EXPIRES);
  g_assert_cmpstr (input->params, ==, VEC_PARAMS);
  g_assert_false (input->has_unknown_param);
  ah_signature_input_free (input);

  /* Among other members, the last sig1 counts; params stay verbatim. */
  g_assert_true (ah_signature_input_parse ("  sig0=(\"a\");x=1, "
          "sig1=(\"z\"), sig1=( \"@authority\"  \"x\" );created=1;zz;"
          "  q=?0 ,\tother=?0;p=:AAAA:, flag, t=tok/en:x, d=-1.5, "
          "s=\"q\\\"\\\\\", n=-999999999999999, *w=*, i=(1 2.5 a \"b\");k  ",
          "sig1", &input, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (input->params, ==, "( \"@authority\"  \"x\" );created=1;zz;"
      "  q=?0");
  g_assert_cmpuint (input->components->len, ==, 2);
  g_assert_cmpint (input->created, ==, 1);
  g_assert_cmpint (input->expires, ==, -1);
  g_assert_null (input->keyid);
  g_assert_null (input->nonce);
  g_assert_null (input->alg);
  g_assert_true (input->has_unknown_param);
  ah_signature_input_free (input);

  /* Other labels. */
  g_assert_true (ah_signature_input_parse ("a=(), b=(\"c\")", "b", &input,
          NULL));
  g_assert_cmpstr (input->label, ==, "b");
  g_assert_cmpstr (input->params, ==, "(\"c\")");
  g_assert_cmpuint (input->components->len, ==, 1);
  ah_signature_input_free (input);
  g_assert_true (ah_signature_input_parse ("b=()", "b", &input, NULL));
  g_assert_cmpuint (input->components->len, ==, 0);
  ah_signature_input_free (input);

  input = NULL;
  g_assert_false (ah_signature_input_parse (NULL, "sig1", &input, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_assert_null (input);
  g_clear_error (&error);
  ah_signature_input_free (NULL);
}

static void
test_parse_value (void)
{
  GBytes *bytes = NULL;
  GError *error = NULL;

  g_assert_true (ah_signature_value_parse (VEC_SIGNATURE, "sig1", &bytes,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 32);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (bytes, NULL))[0], ==,
      0x35);
  g_bytes_unref (bytes);

  /* Unpadded, among others, empty. */
  g_assert_true (ah_signature_value_parse ("a=:AAAA:, sig1=:AQ:;p=1, b=?1",
          "sig1", &bytes, NULL));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 1);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (bytes, NULL))[0], ==,
      1);
  g_bytes_unref (bytes);
  g_assert_true (ah_signature_value_parse ("sig1=::", "sig1", &bytes, NULL));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
  g_bytes_unref (bytes);

  bytes = NULL;
  g_assert_false (ah_signature_value_parse (NULL, "sig1", &bytes, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_assert_null (bytes);
  g_clear_error (&error);
}

/* Quoted network input is escaped and capped. */
static void
test_message_quoting (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  GString *s = g_string_new ("sig1=(\"\x01");
  GError *error = NULL;
  guint i;

  for (i = 0; i < 5000; i++)
    g_string_append_c (s, 'a');
  req_sign_now (r, NONCE2);
  req_set (r, "signature-input", s->str);
  g_assert_false (ah_verifier_verify (v, req_get (r), NOW, NULL, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR, AH_SIGNATURE_ERROR_MALFORMED);
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_assert_nonnull (strstr (error->message, "\\001"));
  g_assert_nonnull (strstr (error->message, "aaa\"..."));
  g_clear_error (&error);

  req_set (r, "signature-input", VEC_INPUT);
  req_set (r, "x-api-key", s->str);
  g_assert_false (ah_verifier_verify (v, req_get (r), NOW, NULL, &error));
  g_assert_error (error, AH_SIGNATURE_ERROR,
      AH_SIGNATURE_ERROR_UNKNOWN_API_KEY);
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_assert_null (strchr (error->message, '\x01'));
  g_clear_error (&error);

  g_string_free (s, TRUE);
  req_free (r);
  ah_verifier_free (v);
}

static void
test_nicks (void)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < AH_SIGNATURE_ERROR_N_CODES; i++) {
    const gchar *nick = ah_signature_error_nick (i);

    g_assert_nonnull (nick);
    g_assert_cmpstr (nick, !=, "unknown");
    g_assert_cmpuint (strspn (nick, "abcdefghijklmnopqrstuvwxyz-"), ==,
        strlen (nick));
    g_assert_false (g_hash_table_contains (seen, nick));
    g_hash_table_add (seen, (gpointer) nick);
  }
  g_assert_cmpstr (ah_signature_error_nick (AH_SIGNATURE_ERROR_MISMATCH), ==,
      "mismatch");
  g_assert_cmpstr (ah_signature_error_nick (AH_SIGNATURE_ERROR_REPLAYED), ==,
      "replayed");
  g_assert_cmpstr (ah_signature_error_nick (AH_SIGNATURE_ERROR_N_CODES), ==,
      "unknown");
  g_assert_cmpstr (ah_signature_error_nick ((AhSignatureError) - 1), ==,
      "unknown");
  g_hash_table_unref (seen);
}

static void
test_new_nonce (void)
{
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  guint i;

  for (i = 0; i < 100; i++) {
    gchar *nonce = ah_signature_new_nonce ();
    guchar *raw;
    gsize len;

    g_assert_cmpuint (strlen (nonce), ==, 24);
    raw = g_base64_decode (nonce, &len);
    g_assert_cmpuint (len, ==, 18);
    g_free (raw);
    g_assert_false (g_hash_table_contains (seen, nonce));
    g_hash_table_add (seen, nonce);
  }
  g_hash_table_unref (seen);
}

/* A fresh nonce signs and verifies end to end. */
static void
test_round_trip (void)
{
  AhVerifier *v = verifier_new ();
  Req *r = req_new ();
  gchar *nonce = ah_signature_new_nonce ();

  g_free (r->target);
  r->target = g_strdup ("/api/v1/audiohook/ws?x=1&y=%20");
  req_sign_now (r, nonce);
  assert_verifies (v, r, NOW);
  assert_fails (v, r, NOW, AH_SIGNATURE_ERROR_REPLAYED, NULL);
  g_free (nonce);
  req_free (r);
  ah_verifier_free (v);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signature/vector/verify", test_vector_verify);
  g_test_add_func ("/signature/vector/sign", test_vector_sign);
  g_test_add_func ("/signature/vector/byte-flip", test_vector_byte_flip);
  g_test_add_func ("/signature/verify/errors", test_errors);
  g_test_add_func ("/signature/verify/limits-inside", test_limits_inside);
  g_test_add_func ("/signature/verify/set-limits", test_set_limits);
  g_test_add_func ("/signature/verify/empty-secret", test_empty_secret);
  g_test_add_func ("/signature/verify/component-order", test_component_order);
  g_test_add_func ("/signature/verify/authority-override",
      test_authority_override);
  g_test_add_func ("/signature/verify/headers-in-base", test_headers_in_base);
  g_test_add_func ("/signature/verify/round-trip", test_round_trip);
  g_test_add_func ("/signature/replay/rejected", test_replay);
  g_test_add_func ("/signature/replay/bounded", test_replay_bounded);
  g_test_add_func ("/signature/replay/aging", test_replay_aging);
  g_test_add_func ("/signature/add-key/errors", test_add_key_errors);
  g_test_add_func ("/signature/sign/errors", test_sign_errors);
  g_test_add_func ("/signature/parse/input", test_parse_input);
  g_test_add_func ("/signature/parse/value", test_parse_value);
  g_test_add_func ("/signature/request/get-header", test_get_header);
  g_test_add_func ("/signature/message-quoting", test_message_quoting);
  g_test_add_func ("/signature/nicks", test_nicks);
  g_test_add_func ("/signature/new-nonce", test_new_nonce);

  return g_test_run ();
}
