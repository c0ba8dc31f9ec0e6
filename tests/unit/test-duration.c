/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Unit tests for AudioHook durations (ah-duration.h). */

#include <string.h>

#include <glib.h>

#include "ah-duration.h"

typedef struct
{
  const gchar *str;
  guint64 ns;
} ValidCase;

static const ValidCase valid_cases[] = {
  {"PT0S", 0},
  {"PT0.0S", 0},
  {"PT.0S", 0},
  {"PT000S", 0},
  {"PT1S", AH_NSECOND},
  {"PT.5S", 500000000},
  {"PT0.5S", 500000000},
  {"PT12.345S", G_GUINT64_CONSTANT (12345000000)},
  {"PT0.000125S", 125000},
  {"PT0.000000001S", 1},
  {"PT.000000001S", 1},
  {"PT1.10S", 1100000000},
  {"PT00012S", G_GUINT64_CONSTANT (12000000000)},
  {"PT3600S", G_GUINT64_CONSTANT (3600000000000)},
  {"PT86400.999999999S", G_GUINT64_CONSTANT (86400999999999)},
  /* More than 9 fractional digits: truncated toward zero. */
  {"PT0.0000000019S", 1},
  {"PT0.9999999999999S", 999999999},
  {"PT1.00000000000000000000000000000000000000000009S", AH_NSECOND},
  {"PT0.0000000009S", 0},
  /* Many leading zeros do not overflow. */
  {"PT000000000000000000000000000000000000000000001S", AH_NSECOND},
  /* The largest accepted value, and truncation onto it. */
  {"PT18446744072.709551615S", AH_DURATION_MAX_NS},
  {"PT18446744072.7095516159999S", AH_DURATION_MAX_NS},
  {"PT18446744072S", G_GUINT64_CONSTANT (18446744072000000000)},
};

typedef struct
{
  const gchar *str;
  AhDurationError code;
  const gchar *problem;         /* must appear in the message */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  {"", AH_DURATION_ERROR_SYNTAX, "empty"},
  {"PT5.S", AH_DURATION_ERROR_SYNTAX, "no digits after the decimal point"},
  {"PT.S", AH_DURATION_ERROR_SYNTAX, "no digits after the decimal point"},
  {"PTS", AH_DURATION_ERROR_SYNTAX, "no digits"},
  {"PT-1S", AH_DURATION_ERROR_SYNTAX, "unexpected character '-' at offset 2"},
  {"PT+1S", AH_DURATION_ERROR_SYNTAX, "unexpected character '+' at offset 2"},
  {"PT1e3S", AH_DURATION_ERROR_SYNTAX, "unexpected character 'e' at offset 3"},
  {"PT1M", AH_DURATION_ERROR_SYNTAX, "unexpected character 'M' at offset 3"},
  {"PT1H2S", AH_DURATION_ERROR_SYNTAX, "unexpected character 'H'"},
  {"PT1,5S", AH_DURATION_ERROR_SYNTAX, "unexpected character ','"},
  {"PT1.2.3S", AH_DURATION_ERROR_SYNTAX, "unexpected character '.'"},
  {"PT1 S", AH_DURATION_ERROR_SYNTAX, "unexpected character ' '"},
  {"PT1\tS", AH_DURATION_ERROR_SYNTAX, "unexpected byte 0x09 at offset 3"},
  {"PT\xd9\xa1S", AH_DURATION_ERROR_SYNTAX, "unexpected byte 0xd9"},
  {"P1DT2S", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"pt1s", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"Pt1S", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"PT1s", AH_DURATION_ERROR_SYNTAX, "unexpected character 's'"},
  {" PT1S", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"P", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"1S", AH_DURATION_ERROR_SYNTAX, "does not start with \"PT\""},
  {"PT", AH_DURATION_ERROR_SYNTAX, "missing the final \"S\""},
  {"PT1", AH_DURATION_ERROR_SYNTAX, "missing the final \"S\""},
  {"PT1.", AH_DURATION_ERROR_SYNTAX, "missing the final \"S\""},
  {"PT1S ", AH_DURATION_ERROR_SYNTAX, "trailing characters after \"S\""},
  {"PT1SS", AH_DURATION_ERROR_SYNTAX, "trailing characters after \"S\""},
  {"PT1S\n", AH_DURATION_ERROR_SYNTAX, "trailing characters after \"S\""},
  /* A syntax error wins over an overflow seen earlier in the string. */
  {"PT99999999999999999999999999M", AH_DURATION_ERROR_SYNTAX,
      "unexpected character 'M'"},
  {"PT18446744072.709551616S", AH_DURATION_ERROR_OVERFLOW, "too large"},
  {"PT18446744073S", AH_DURATION_ERROR_OVERFLOW, "too large"},
  {"PT18446744073709551615S", AH_DURATION_ERROR_OVERFLOW, "too large"},
  {"PT18446744073709551616S", AH_DURATION_ERROR_OVERFLOW, "too large"},
  {"PT99999999999999999999999999999999.5S", AH_DURATION_ERROR_OVERFLOW,
      "too large"},
};

static void
test_parse_valid (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (valid_cases); i++) {
    const ValidCase *c = &valid_cases[i];
    GError *error = NULL;
    guint64 ns = G_MAXUINT64;

    g_test_message ("valid: %s", c->str);
    g_assert_true (ah_duration_parse (c->str, &ns, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (ns, ==, c->ns);
    /* Validation only, and no error location. */
    g_assert_true (ah_duration_parse (c->str, NULL, NULL));
  }
}

static void
test_parse_invalid (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (invalid_cases); i++) {
    const InvalidCase *c = &invalid_cases[i];
    GError *error = NULL;
    guint64 ns = 42;
    gchar *escaped, *quoted;

    escaped = g_strescape (c->str, NULL);
    g_test_message ("invalid: %s", escaped);
    g_assert_false (ah_duration_parse (c->str, &ns, &error));
    g_assert_error (error, AH_DURATION_ERROR, (gint) c->code);
    g_assert_nonnull (strstr (error->message, c->problem));
    /* The message quotes the input, escaped. */
    quoted = g_strdup_printf ("\"%s\"", escaped);
    g_assert_nonnull (strstr (error->message, quoted));
    g_free (quoted);
    g_free (escaped);
    /* The output is untouched on failure. */
    g_assert_cmpuint (ns, ==, 42);
    g_clear_error (&error);
    g_assert_false (ah_duration_parse (c->str, NULL, NULL));
  }
}

static void
test_parse_null (void)
{
  GError *error = NULL;

  g_assert_false (ah_duration_parse (NULL, NULL, &error));
  g_assert_error (error, AH_DURATION_ERROR, AH_DURATION_ERROR_SYNTAX);
  g_clear_error (&error);
}

/* Network input is quoted escaped and cut, never verbatim. */
static void
test_error_quoting (void)
{
  GError *error = NULL;
  GString *s = g_string_new ("PT");
  guint i;

  for (i = 0; i < 10000; i++)
    g_string_append_c (s, '7');
  g_string_append (s, "X\"\n\x01S");
  g_assert_false (ah_duration_parse (s->str, NULL, &error));
  g_assert_error (error, AH_DURATION_ERROR, AH_DURATION_ERROR_SYNTAX);
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_assert_nonnull (strstr (error->message, "777\"..."));
  g_assert_nonnull (strstr (error->message, "unexpected character 'X'"));
  g_clear_error (&error);

  g_assert_false (ah_duration_parse ("PT\"\n\x01\x7f\xffS", NULL, &error));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_null (strchr (error->message, '\x01'));
  g_assert_null (strchr (error->message, '\x7f'));
  g_assert_null (strchr (error->message, '\xff'));
  g_assert_nonnull (strstr (error->message, "\\\""));
  g_clear_error (&error);
  g_string_free (s, TRUE);
}

typedef struct
{
  guint64 ns;
  const gchar *str;
} FormatCase;

static const FormatCase format_cases[] = {
  {0, "PT0S"},
  {1, "PT0.000000001S"},
  {10, "PT0.00000001S"},
  {125000, "PT0.000125S"},
  {500000000, "PT0.5S"},
  {999999999, "PT0.999999999S"},
  {AH_NSECOND, "PT1S"},
  {1100000000, "PT1.1S"},
  {G_GUINT64_CONSTANT (12345000000), "PT12.345S"},
  {G_GUINT64_CONSTANT (3600000000000), "PT3600S"},
  {G_GUINT64_CONSTANT (1000000000000000001), "PT1000000000.000000001S"},
  {AH_DURATION_MAX_NS, "PT18446744072.709551615S"},
  /* Beyond the accepted range it is still exact (and longest). */
  {G_MAXUINT64, "PT18446744073.709551615S"},
};

static void
test_format (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_cases); i++) {
    const FormatCase *c = &format_cases[i];
    gchar buf[32];
    gchar *str;

    str = ah_duration_format (c->ns);
    g_assert_cmpstr (str, ==, c->str);
    g_free (str);
    memset (buf, 'x', sizeof (buf));
    g_assert_cmpuint (ah_duration_format_buf (c->ns, buf), ==, strlen (c->str));
    g_assert_cmpstr (buf, ==, c->str);
  }
  g_assert_cmpuint (strlen ("PT18446744073.709551615S"), ==, 24);
}

static const guint64 round_trip_values[] = {
  0, 1, 2, 9, 10, 99, 100, 125000, 999999999, 1000000000, 1000000001,
  G_GUINT64_CONSTANT (1234567890123), G_GUINT64_CONSTANT (3600000000000),
  G_GUINT64_CONSTANT (9223372036854775807),
  G_GUINT64_CONSTANT (9223372036854775808),
  AH_DURATION_MAX_NS - 1, AH_DURATION_MAX_NS,
};

static void
test_round_trip (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (round_trip_values); i++) {
    for (j = 0; j < 3; j++) {
      guint64 ns = round_trip_values[i], back = G_MAXUINT64;
      gchar *str;

      /* Also the neighbours and powers of ten below, as far as they fit. */
      if (j == 1)
        ns = ns / 10;
      else if (j == 2)
        ns = ns / 7 * 3;
      str = ah_duration_format (ns);
      g_assert_true (ah_duration_parse (str, &back, NULL));
      g_assert_cmpuint (back, ==, ns);
      g_free (str);
    }
  }
  /* Every nanosecond count of the first 10 microseconds. */
  for (i = 0; i < 10000; i++) {
    gchar buf[32];
    guint64 back = G_MAXUINT64;

    ah_duration_format_buf (i, buf);
    g_assert_true (ah_duration_parse (buf, &back, NULL));
    g_assert_cmpuint (back, ==, i);
  }
}

/* Every sample count of one hour at 8000 Hz: exact conversions both ways,
 * and the string round trip through the allocation-free formatter. */
static void
test_samples_every_count_8000 (void)
{
  const guint64 last = G_GUINT64_CONSTANT (3600) * 8000;
  guint64 s;

  for (s = 0; s <= last; s++) {
    gchar buf[32];
    guint64 ns, back;

    ns = ah_samples_to_ns (s, 8000);
    if (G_UNLIKELY (ns != s * 125000))
      g_assert_cmpuint (ns, ==, s * 125000);
    back = ah_ns_to_samples (ns, 8000);
    if (G_UNLIKELY (back != s))
      g_assert_cmpuint (back, ==, s);
    ah_duration_format_buf (ns, buf);
    back = G_MAXUINT64;
    if (G_UNLIKELY (!ah_duration_parse_samples (buf, 8000, &back, NULL)
            || back != s)) {
      g_test_message ("%s", buf);
      g_assert_cmpuint (back, ==, s);
    }
  }
}

/* The allocating API gives the same strings, checked for the first and the
 * last second of the hour and a stride in between. */
static void
test_samples_format_8000 (void)
{
  const guint64 last = G_GUINT64_CONSTANT (3600) * 8000;
  guint64 s;

  for (s = 0; s <= last; s += (s < 8000 || s >= last - 8000) ? 1 : 997) {
    gchar buf[32];
    gchar *str;
    guint64 back = G_MAXUINT64;

    str = ah_duration_format_samples (s, 8000);
    ah_duration_format_buf (ah_samples_to_ns (s, 8000), buf);
    g_assert_cmpstr (str, ==, buf);
    g_assert_true (ah_duration_parse_samples (str, 8000, &back, NULL));
    g_assert_cmpuint (back, ==, s);
    g_free (str);
  }
}

typedef struct
{
  guint64 samples;
  guint rate;
  guint64 ns;
} SamplesCase;

/* samples -> ns rounds to the nearest nanosecond, ties up. */
static const SamplesCase samples_to_ns_cases[] = {
  {0, 8000, 0},
  {1, 8000, 125000},
  {1600, 8000, 200000000},
  {1, 16000, 62500},
  {1, 44100, 22676},            /* 22675.7 */
  {1, 48000, 20833},            /* 20833.3 */
  {2, 48000, 41667},            /* 41666.7 */
  {1, 3, 333333333},
  {2, 3, 666666667},
  {1, 2000000000, 1},           /* 0.5: tie, up */
  {1, 4000000000u, 0},          /* 0.25 */
  {3, 4000000000u, 1},          /* 0.75 */
  {G_GUINT64_CONSTANT (18446744073), 1,
      G_GUINT64_CONSTANT (18446744073000000000)},
  /* Does not fit: saturates. */
  {G_GUINT64_CONSTANT (18446744074), 1, G_MAXUINT64},
  {G_MAXUINT64, 1, G_MAXUINT64},
  {G_MAXUINT64, 8000, G_MAXUINT64},
  /* Large but fitting, where a naive samples * 1e9 would wrap. */
  {G_MAXUINT64, 4000000000u, G_GUINT64_CONSTANT (4611686018427387904)},
  {G_GUINT64_CONSTANT (147573952589676), 8000,
      G_GUINT64_CONSTANT (18446744073709500000)},
  {G_GUINT64_CONSTANT (147573952589677), 8000, G_MAXUINT64},
  /* Rate 0 means no samples. */
  {12345, 0, 0},
};

/* ns -> samples rounds to the nearest sample, ties up. */
static const SamplesCase ns_to_samples_cases[] = {
  {0, 8000, 0},
  {1, 8000, 125000},
  {0, 8000, 62499},
  {1, 8000, 62500},             /* 0.5: tie, up */
  {1, 8000, 187499},
  {2, 8000, 187500},            /* 1.5: tie, up */
  {1600, 8000, 200000000},
  {1, 44100, 22676},
  {1, 44100, 11338},            /* 0.5000058 */
  {0, 44100, 11337},            /* 0.4999617 */
  {1, 500000000, 1},            /* 0.5: tie, up */
  {0, 499999999, 1},
  {G_GUINT64_CONSTANT (18446744074), 1, G_MAXUINT64},   /* 18446744073.7 */
  {G_GUINT64_CONSTANT (147573952589676), 8000, G_MAXUINT64},
  /* Does not fit: saturates. */
  {G_MAXUINT64, 4000000000u, G_MAXUINT64},
  {G_MAXUINT64, 1000000001, G_MAXUINT64},
  {0, 0, 12345},
};

static void
test_samples_rounding (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (samples_to_ns_cases); i++) {
    const SamplesCase *c = &samples_to_ns_cases[i];

    g_test_message ("%" G_GUINT64_FORMAT " samples at %u Hz", c->samples,
        c->rate);
    g_assert_cmpuint (ah_samples_to_ns (c->samples, c->rate), ==, c->ns);
  }
  for (i = 0; i < G_N_ELEMENTS (ns_to_samples_cases); i++) {
    const SamplesCase *c = &ns_to_samples_cases[i];

    g_test_message ("%" G_GUINT64_FORMAT " ns at %u Hz", c->ns, c->rate);
    g_assert_cmpuint (ah_ns_to_samples (c->ns, c->rate), ==, c->samples);
  }
}

/* For any rate below 1 GHz a whole sample count survives the trip through
 * nanoseconds and through the string. */
static void
test_samples_other_rates (void)
{
  static const guint rates[] = { 1, 3, 7, 8000, 11025, 16000, 22050, 44100,
    48000, 96000, 192000, 999999999
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rates); i++) {
    guint rate = rates[i];
    guint64 s, max_s;

    /* As far as the duration range allows. */
    max_s = ah_ns_to_samples (AH_DURATION_MAX_NS, rate) - 1;
    for (s = 0; s < 100000; s++) {
      guint64 step = s < 50000 ? s : (max_s / 50000) * (s - 50000) + s;
      guint64 back = G_MAXUINT64;
      gchar buf[32];

      if (step > max_s)
        break;
      g_assert_cmpuint (ah_ns_to_samples (ah_samples_to_ns (step, rate),
              rate), ==, step);
      ah_duration_format_buf (ah_samples_to_ns (step, rate), buf);
      g_assert_true (ah_duration_parse_samples (buf, rate, &back, NULL));
      g_assert_cmpuint (back, ==, step);
    }
  }
}

static void
test_parse_samples_errors (void)
{
  GError *error = NULL;
  guint64 samples = 7;

  g_assert_true (ah_duration_parse_samples ("PT0.2S", 8000, &samples, NULL));
  g_assert_cmpuint (samples, ==, 1600);
  g_assert_true (ah_duration_parse_samples ("PT0.2S", 8000, NULL, NULL));
  /* Truncation of digits beyond the nanosecond happens before rounding. */
  g_assert_true (ah_duration_parse_samples ("PT0.0000624999999S", 8000,
          &samples, NULL));
  g_assert_cmpuint (samples, ==, 0);
  g_assert_true (ah_duration_parse_samples ("PT0.0000625S", 8000,
          &samples, NULL));
  g_assert_cmpuint (samples, ==, 1);

  samples = 7;
  g_assert_false (ah_duration_parse_samples ("PT1M", 8000, &samples, &error));
  g_assert_error (error, AH_DURATION_ERROR, AH_DURATION_ERROR_SYNTAX);
  g_assert_cmpuint (samples, ==, 7);
  g_clear_error (&error);

  g_assert_false (ah_duration_parse_samples ("PT18446744073S", 8000,
          &samples, &error));
  g_assert_error (error, AH_DURATION_ERROR, AH_DURATION_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* The duration fits, the sample count does not. */
  g_assert_false (ah_duration_parse_samples ("PT18446744072S", 4000000000u,
          &samples, &error));
  g_assert_error (error, AH_DURATION_ERROR, AH_DURATION_ERROR_OVERFLOW);
  g_assert_nonnull (strstr (error->message, "too many samples at 4000000000"));
  g_assert_cmpuint (samples, ==, 7);
  g_clear_error (&error);

  /* Rate 0: valid strings give no samples, invalid ones still fail. */
  g_assert_true (ah_duration_parse_samples ("PT5S", 0, &samples, NULL));
  g_assert_cmpuint (samples, ==, 0);
  g_assert_false (ah_duration_parse_samples ("PT5", 0, &samples, NULL));
  {
    gchar *str = ah_duration_format_samples (5, 0);

    g_assert_cmpstr (str, ==, "PT0S");
    g_free (str);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/duration/parse/valid", test_parse_valid);
  g_test_add_func ("/duration/parse/invalid", test_parse_invalid);
  g_test_add_func ("/duration/parse/null", test_parse_null);
  g_test_add_func ("/duration/parse/error-quoting", test_error_quoting);
  g_test_add_func ("/duration/format", test_format);
  g_test_add_func ("/duration/round-trip", test_round_trip);
  g_test_add_func ("/duration/samples/every-count-8000",
      test_samples_every_count_8000);
  g_test_add_func ("/duration/samples/format-8000", test_samples_format_8000);
  g_test_add_func ("/duration/samples/rounding", test_samples_rounding);
  g_test_add_func ("/duration/samples/other-rates", test_samples_other_rates);
  g_test_add_func ("/duration/samples/parse-errors", test_parse_samples_errors);

  return g_test_run ();
}
