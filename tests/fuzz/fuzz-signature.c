/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer harness for ah-signature. The input is split on newlines:
 *
 *   line 1: Signature-Input header
 *   line 2: Signature header
 *   line 3: request target
 *   line 4: authority (Host)
 *   further lines: "name: value" headers (a line without ':' is a name
 *   with an empty value)
 *
 * The parsers, the signature base and the verifier run on all of it.
 * Then the request is signed with the test-vector secret and must verify,
 * once: the second time it must be refused as a replay. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ah-signature.h"

#define KEY "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
#define SECRET "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
#define NOW G_GINT64_CONSTANT (1641013200)

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check (gboolean ok, const gchar * what)
{
  if (!ok) {
    g_printerr ("fuzz-signature: %s\n", what);
    abort ();
  }
}

static void
check_error (GError ** error)
{
  check (*error != NULL && (*error)->domain == AH_SIGNATURE_ERROR
      && (*error)->code >= 0 && (*error)->code < AH_SIGNATURE_ERROR_N_CODES
      && strlen ((*error)->message) < 1000, "bad error");
  check (strcmp (ah_signature_error_nick ((*error)->code), "unknown") != 0,
      "no nick");
  g_clear_error (error);
}

static const gchar *
line (gchar ** lines, guint n, guint i)
{
  return i < n ? lines[i] : NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  gchar **lines = g_strsplit (text, "\n", 64);
  guint n = g_strv_length (lines), i;
  GArray *headers = g_array_new (FALSE, FALSE, sizeof (AhHeader));
  GPtrArray *owned = g_ptr_array_new_with_free_func (g_free);
  AhSignatureInput *input = NULL;
  GBytes *sig = NULL;
  GError *error = NULL;
  AhVerifier *v;
  AhRequest req;
  gboolean touched_signature = FALSE;
  gchar *value;

  for (i = 4; i < n; i++) {
    gchar *colon = strchr (lines[i], ':');
    AhHeader h;

    if (colon != NULL) {
      h.name = g_strndup (lines[i], colon - lines[i]);
      h.value = colon + 1;
    } else {
      h.name = g_strdup (lines[i]);
      h.value = "";
    }
    g_ptr_array_add (owned, (gpointer) h.name);
    g_array_append_val (headers, h);
    if (g_ascii_strcasecmp (h.name, "signature") == 0
        || g_ascii_strcasecmp (h.name, "signature-input") == 0
        || g_ascii_strcasecmp (h.name, "x-api-key") == 0)
      touched_signature = TRUE;
  }

  req.request_target = line (lines, n, 2);
  req.authority = line (lines, n, 3);

  /* The parsers on their own. */
  if (ah_signature_input_parse (line (lines, n, 0), "sig1", &input, &error)) {
    gchar *base;

    check (input->components != NULL && input->params != NULL, "input");
    req.headers = (const AhHeader *) headers->data;
    req.n_headers = headers->len;
    base = ah_signature_base (&req, input, NULL, &error);
    if (base == NULL)
      check_error (&error);
    g_free (base);
    base = ah_signature_base (&req, input, "override.example", NULL);
    g_free (base);
    ah_signature_input_free (input);
  } else {
    check_error (&error);
  }
  if (ah_signature_value_parse (line (lines, n, 1), "sig1", &sig, &error))
    g_bytes_unref (sig);
  else
    check_error (&error);

  /* The verifier, with the fuzzed headers plus the two signature ones. */
  {
    AhHeader h = { "Signature-Input", line (lines, n, 0) };
    AhHeader s = { "Signature", line (lines, n, 1) };
    AhHeader k = { "X-API-KEY", KEY };

    g_array_append_val (headers, h);
    g_array_append_val (headers, s);
    g_array_append_val (headers, k);
  }
  req.headers = (const AhHeader *) headers->data;
  req.n_headers = headers->len;

  v = ah_verifier_new ();
  check (ah_verifier_add_key (v, KEY, SECRET, NULL), "add key");
  check (ah_verifier_add_key (v, "open", "", NULL), "add open key");
  ah_verifier_set_limits (v, 3, 10, 22, 4);
  if (size > 0 && (data[0] & 1))
    ah_verifier_set_authority (v, req.authority);
  if (!ah_verifier_verify (v, &req, NOW, NULL, &error))
    check_error (&error);
  if (!ah_verifier_verify (v, &req, size, NULL, &error))
    check_error (&error);

  value = ah_request_get_header (&req, line (lines, n, 2) ?
      line (lines, n, 2) : "");
  g_free (value);

  ah_verifier_free (v);

  /* Signed by us, it verifies once and is then a replay. */
  v = ah_verifier_new ();
  check (ah_verifier_add_key (v, KEY, SECRET, NULL), "add key");
  g_array_set_size (headers, headers->len - 3);
  {
    gchar *sig_input = NULL, *signature = NULL;
    const gchar *nonce = n > 4 ? lines[4] : "AAAAAAAAAAAAAAAAAAAAAAAA";
    AhHeader k = { "X-API-KEY", KEY };

    g_array_append_val (headers, k);
    req.headers = (const AhHeader *) headers->data;
    req.n_headers = headers->len;
    if (ah_signature_sign (&req, KEY, SECRET, nonce, NOW, NOW + 30,
            &sig_input, &signature, &error)) {
      AhHeader h = { "Signature-Input", sig_input };
      AhHeader s = { "Signature", signature };
      const gchar *accepted = NULL;
      gboolean ok;

      g_array_append_val (headers, h);
      g_array_append_val (headers, s);
      req.headers = (const AhHeader *) headers->data;
      req.n_headers = headers->len;
      ok = ah_verifier_verify (v, &req, NOW, &accepted, &error);
      if (!touched_signature && strlen (nonce) >= 22) {
        if (!ok)
          g_printerr ("%s\n", error->message);
        check (ok, "signed request does not verify");
        check (strcmp (accepted, KEY) == 0, "accepted key");
        check (!ah_verifier_verify (v, &req, NOW, NULL, &error),
            "replay accepted");
        check (error->code == AH_SIGNATURE_ERROR_REPLAYED, "not a replay");
      }
      g_clear_error (&error);
      g_free (sig_input);
      g_free (signature);
    } else {
      check_error (&error);
    }
  }

  ah_verifier_free (v);
  g_ptr_array_unref (owned);
  g_array_unref (headers);
  g_strfreev (lines);
  g_free (text);
  return 0;
}
