/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer harness for ah-duration: the parser against an independent
 * 128-bit reference and the reference validator's regular expression,
 * format/parse round trips, and the sample conversions against exact
 * 128-bit arithmetic. Any disagreement aborts. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ah-duration.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check (gboolean ok, const gchar * what)
{
  if (!ok) {
    g_printerr ("fuzz-duration: %s\n", what);
    abort ();
  }
}

/* ^PT(?:\d*\.)?\d+S$, the reference validator, with PCRE; "$" made to
 * match only at the very end. */
static gboolean
matches_validator (const gchar * str)
{
  static GRegex *re = NULL;

  if (re == NULL)
    re = g_regex_new ("^PT(?:[0-9]*\\.)?[0-9]+S$",
        G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY, 0, NULL);
  return g_regex_match (re, str, 0, NULL);
}

/* The value of a string the validator accepts, in 128 bits, saturating
 * far above the guint64 range. */
static __uint128_t
reference_value (const gchar * str)
{
  const __uint128_t cap = (__uint128_t) 1 << 100;
  __uint128_t secs = 0, frac = 0;
  const gchar *p = str + 2;
  guint n = 0;

  for (; g_ascii_isdigit (*p); p++) {
    secs = secs * 10 + (guint) (*p - '0');
    if (secs > cap)
      secs = cap;
  }
  if (*p == '.') {
    for (p++; g_ascii_isdigit (*p); p++, n++)
      if (n < 9)
        frac = frac * 10 + (guint) (*p - '0');
  }
  for (; n < 9; n++)
    frac *= 10;
  return secs * AH_NSECOND + frac;
}

static guint64
read_u64 (const uint8_t * data, size_t size, size_t at)
{
  guint64 v = 0;
  size_t i;

  for (i = 0; i < 8 && at + i < size; i++)
    v = (v << 8) | data[at + i];
  return v;
}

static void
check_conversions (guint64 samples, guint64 ns, guint rate)
{
  __uint128_t exact;
  guint64 got;
  gchar *str;
  GError *error = NULL;

  if (rate == 0) {
    check (ah_samples_to_ns (samples, rate) == 0, "rate 0 samples");
    check (ah_ns_to_samples (ns, rate) == 0, "rate 0 ns");
    return;
  }

  exact = ((__uint128_t) samples * AH_NSECOND + rate / 2) / rate;
  got = ah_samples_to_ns (samples, rate);
  check (exact > G_MAXUINT64 ? got == G_MAXUINT64 : got == exact,
      "samples -> ns");
  if (exact <= G_MAXUINT64 && rate < AH_NSECOND)
    check (ah_ns_to_samples (got, rate) == samples, "samples round trip");

  exact = ((__uint128_t) ns * rate + AH_NSECOND / 2) / AH_NSECOND;
  got = ah_ns_to_samples (ns, rate);
  check (exact > G_MAXUINT64 ? got == G_MAXUINT64 : got == exact,
      "ns -> samples");

  str = ah_duration_format_samples (samples, rate);
  if (ah_samples_to_ns (samples, rate) <= AH_DURATION_MAX_NS
      && rate < AH_NSECOND) {
    check (ah_duration_parse_samples (str, rate, &got, &error),
        "format_samples parses");
    check (got == samples, "samples string round trip");
  } else if (!ah_duration_parse_samples (str, rate, &got, &error)) {
    check (error != NULL && error->domain == AH_DURATION_ERROR,
        "samples error");
  }
  g_clear_error (&error);
  g_free (str);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *str = g_strndup ((const gchar *) data, size);
  GError *error = NULL;
  guint64 ns = 0, back = 0, samples = 0;
  gboolean ok, valid;
  gchar buf[32];

  ok = ah_duration_parse (str, &ns, &error);
  valid = matches_validator (str);
  if (ok) {
    gchar *formatted;

    check (error == NULL, "error set on success");
    check (valid, "accepted what the validator rejects");
    check (reference_value (str) == ns, "value differs from the reference");
    check (ns <= AH_DURATION_MAX_NS, "value out of range");

    formatted = ah_duration_format (ns);
    check (ah_duration_format_buf (ns, buf) == strlen (formatted),
        "format_buf length");
    check (strcmp (buf, formatted) == 0, "format_buf differs");
    check (matches_validator (formatted), "format output not valid");
    check (ah_duration_parse (formatted, &back, NULL), "format reparse");
    check (back == ns, "format round trip");
    g_free (formatted);
  } else {
    check (error != NULL && error->domain == AH_DURATION_ERROR
        && error->message != NULL, "no error on failure");
    if (error->code == AH_DURATION_ERROR_OVERFLOW)
      check (valid && reference_value (str) > AH_DURATION_MAX_NS,
          "overflow for an in-range value");
    else
      check (error->code == AH_DURATION_ERROR_SYNTAX && !valid,
          "rejected what the validator accepts");
    check (strlen (error->message) < 300, "message too long");
    g_clear_error (&error);
  }

  /* The parse at a few rates must agree with the parse in ns. */
  if (ah_duration_parse_samples (str, 8000, &samples, NULL))
    check (ok && samples == ah_ns_to_samples (ns, 8000), "parse_samples");
  else
    check (!ok, "parse_samples failed alone");

  check_conversions (read_u64 (data, size, 0), read_u64 (data, size, 8),
      (guint) read_u64 (data, size, 16));
  check_conversions (read_u64 (data, size, 0) >> (size > 0 ? data[0] & 63 : 0),
      ns, size > 0 ? 1 + data[size - 1] * 1000u : 8000);

  g_free (str);
  return 0;
}
