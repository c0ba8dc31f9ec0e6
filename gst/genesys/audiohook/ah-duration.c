/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook durations, "PT<digits>[.<digits>]S", the reference validator's
 * ^PT(?:\d*\.)?\d+S$ exactly, in integer nanoseconds. No floating point:
 * the seconds and the fraction are accumulated as integers and every
 * multiplication is checked or split so that it cannot wrap.
 *
 * A rate of 0 samples per second is treated as "no samples": conversions
 * return 0 and never emit a critical, because a rate may come from the
 * network. */

#include "ah-duration.h"

#include <string.h>

/* How much of an offending input an error message quotes. */
#define QUOTE_MAX 40

#define MAX_SECONDS (AH_DURATION_MAX_NS / AH_NSECOND)
#define MAX_SECONDS_FRAC (AH_DURATION_MAX_NS % AH_NSECOND)

GQuark
ah_duration_error_quark (void)
{
  return g_quark_from_static_string ("ah-duration-error-quark");
}

/* The input, escaped and cut at QUOTE_MAX bytes, between double quotes. */
static gchar *
quote_input (const gchar * str)
{
  gsize len = strlen (str);
  gchar *head, *escaped, *quoted;

  head = g_strndup (str, MIN (len, QUOTE_MAX));
  escaped = g_strescape (head, NULL);
  quoted = g_strdup_printf ("\"%s\"%s", escaped, len > QUOTE_MAX ? "..." : "");
  g_free (escaped);
  g_free (head);
  return quoted;
}

static void
set_error (GError ** error, AhDurationError code, const gchar * str,
    const gchar * what)
{
  gchar *quoted;

  if (error == NULL)
    return;
  quoted = quote_input (str);
  g_set_error (error, AH_DURATION_ERROR, code,
      "invalid duration %s: %s (expected PT<digits>[.<digits>]S)", quoted,
      what);
  g_free (quoted);
}

static void
set_unexpected (GError ** error, const gchar * str, const gchar * p)
{
  gchar *what;
  guchar c = (guchar) * p;

  if (error == NULL)
    return;
  if (c >= 0x20 && c < 0x7f)
    what = g_strdup_printf ("unexpected character '%c' at offset %u", c,
        (guint) (p - str));
  else
    what = g_strdup_printf ("unexpected byte 0x%02x at offset %u", c,
        (guint) (p - str));
  set_error (error, AH_DURATION_ERROR_SYNTAX, str, what);
  g_free (what);
}

gboolean
ah_duration_parse (const gchar * str, guint64 * out_ns, GError ** error)
{
  const gchar *p;
  guint64 secs = 0, frac = 0;
  guint n_int = 0, n_frac = 0, i;
  gboolean dot = FALSE, too_big = FALSE;

  if (str == NULL || *str == '\0') {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str ? str : "", "empty string");
    return FALSE;
  }
  if (str[0] != 'P' || str[1] != 'T') {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str,
        "does not start with \"PT\"");
    return FALSE;
  }

  p = str + 2;
  for (; g_ascii_isdigit (*p); p++, n_int++) {
    guint d = *p - '0';

    /* Keep scanning after an overflow: a syntax error wins. */
    if (too_big || secs > (G_MAXUINT64 - d) / 10)
      too_big = TRUE;
    else
      secs = secs * 10 + d;
  }
  if (*p == '.') {
    dot = TRUE;
    for (p++; g_ascii_isdigit (*p); p++, n_frac++) {
      /* Digits beyond the nanosecond are truncated toward zero. */
      if (n_frac < 9)
        frac = frac * 10 + (guint) (*p - '0');
    }
  }

  if (*p == '\0') {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str, "missing the final \"S\"");
    return FALSE;
  }
  if (*p != 'S') {
    set_unexpected (error, str, p);
    return FALSE;
  }
  if (p[1] != '\0') {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str,
        "trailing characters after \"S\"");
    return FALSE;
  }
  if (dot && n_frac == 0) {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str,
        "no digits after the decimal point");
    return FALSE;
  }
  if (!dot && n_int == 0) {
    set_error (error, AH_DURATION_ERROR_SYNTAX, str, "no digits");
    return FALSE;
  }

  for (i = MIN (n_frac, 9); i < 9; i++)
    frac *= 10;

  if (too_big || secs > MAX_SECONDS || (secs == MAX_SECONDS
          && frac > MAX_SECONDS_FRAC)) {
    gchar *what = g_strdup_printf ("too large (more than %"
        G_GUINT64_FORMAT " nanoseconds)", AH_DURATION_MAX_NS);

    set_error (error, AH_DURATION_ERROR_OVERFLOW, str, what);
    g_free (what);
    return FALSE;
  }

  if (out_ns != NULL)
    *out_ns = secs * AH_NSECOND + frac;
  return TRUE;
}

gsize
ah_duration_format_buf (guint64 ns, gchar buf[32])
{
  guint64 secs = ns / AH_NSECOND;
  guint32 frac = (guint32) (ns % AH_NSECOND);
  gchar digits[24];
  gsize n = 0, len = 0;

  buf[len++] = 'P';
  buf[len++] = 'T';

  /* G_MAXUINT64 / 1e9 has 11 digits. */
  do {
    digits[n++] = (gchar) ('0' + secs % 10);
    secs /= 10;
  } while (secs > 0);
  while (n > 0)
    buf[len++] = digits[--n];

  if (frac > 0) {
    gint last = 8, i;

    while (frac % 10 == 0 && last > 0) {
      frac /= 10;
      last--;
    }
    buf[len++] = '.';
    for (i = last; i >= 0; i--) {
      buf[len + i] = (gchar) ('0' + frac % 10);
      frac /= 10;
    }
    len += last + 1;
  }

  buf[len++] = 'S';
  buf[len] = '\0';
  return len;
}

gchar *
ah_duration_format (guint64 ns)
{
  gchar buf[32];
  gsize len;

  len = ah_duration_format_buf (ns, buf);
  return g_strndup (buf, len);
}

/* round (samples * 1e9 / rate), ties up, or FALSE when it does not fit. */
static gboolean
samples_to_ns (guint64 samples, guint rate, guint64 * out)
{
  guint64 whole, rem, part;

  if (rate == 0) {
    *out = 0;
    return TRUE;
  }

  whole = samples / rate;
  rem = samples % rate;
  /* rem < 2^32, so rem * 1e9 < 2^62. */
  part = (rem * AH_NSECOND + rate / 2) / rate;
  if (whole > (G_MAXUINT64 - part) / AH_NSECOND) {
    *out = G_MAXUINT64;
    return FALSE;
  }
  *out = whole * AH_NSECOND + part;
  return TRUE;
}

/* round (ns * rate / 1e9), ties up, or FALSE when it does not fit. */
static gboolean
ns_to_samples (guint64 ns, guint rate, guint64 * out)
{
  guint64 whole, rem, part;

  if (rate == 0) {
    *out = 0;
    return TRUE;
  }

  whole = ns / AH_NSECOND;
  rem = ns % AH_NSECOND;
  /* rem < 1e9 < 2^30, so rem * rate < 2^62. */
  part = (rem * rate + AH_NSECOND / 2) / AH_NSECOND;
  if (whole > (G_MAXUINT64 - part) / rate) {
    *out = G_MAXUINT64;
    return FALSE;
  }
  *out = whole * rate + part;
  return TRUE;
}

guint64
ah_samples_to_ns (guint64 samples, guint rate)
{
  guint64 ns;

  /* Saturates at G_MAXUINT64 when the result does not fit. */
  samples_to_ns (samples, rate, &ns);
  return ns;
}

guint64
ah_ns_to_samples (guint64 ns, guint rate)
{
  guint64 samples;

  /* Saturates at G_MAXUINT64 when the result does not fit. */
  ns_to_samples (ns, rate, &samples);
  return samples;
}

gboolean
ah_duration_parse_samples (const gchar * str, guint rate,
    guint64 * out_samples, GError ** error)
{
  guint64 ns, samples;

  if (!ah_duration_parse (str, &ns, error))
    return FALSE;
  if (!ns_to_samples (ns, rate, &samples)) {
    gchar *what = g_strdup_printf ("too many samples at %u Hz", rate);

    set_error (error, AH_DURATION_ERROR_OVERFLOW, str, what);
    g_free (what);
    return FALSE;
  }
  if (out_samples != NULL)
    *out_samples = samples;
  return TRUE;
}

gchar *
ah_duration_format_samples (guint64 samples, guint rate)
{
  return ah_duration_format (ah_samples_to_ns (samples, rate));
}
