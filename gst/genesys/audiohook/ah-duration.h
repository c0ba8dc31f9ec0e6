/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook durations: "PT<seconds>[.<fraction>]S" <-> integer nanoseconds
 * and sample counts. Exact, no floating point. */

#ifndef __AH_DURATION_H__
#define __AH_DURATION_H__

#include <glib.h>

G_BEGIN_DECLS

#define AH_NSECOND G_GUINT64_CONSTANT (1000000000)

/* Largest duration we accept: anything that fits a guint64 of nanoseconds
 * minus one second of headroom for sums; about 584 years. */
#define AH_DURATION_MAX_NS (G_MAXUINT64 - AH_NSECOND)

#define AH_DURATION_ERROR (ah_duration_error_quark ())
GQuark ah_duration_error_quark (void);

typedef enum
{
  AH_DURATION_ERROR_SYNTAX,     /* not of the form PT<digits>[.<digits>]S */
  AH_DURATION_ERROR_OVERFLOW,   /* too large for the nanosecond range */
} AhDurationError;

/* Parses @str. More than 9 fractional digits are accepted and truncated
 * toward zero (the value is still exact to the nanosecond). */
gboolean ah_duration_parse (const gchar * str, guint64 * out_ns,
    GError ** error);

/* Shortest exact decimal: 0 -> "PT0S", 12345000000 -> "PT12.345S",
 * 125000 -> "PT0.000125S". Free with g_free(). */
gchar *ah_duration_format (guint64 ns);

/* The same into @buf, NUL-terminated, without allocating; returns the
 * length (at most 24). */
gsize ah_duration_format_buf (guint64 ns, gchar buf[32]);

/* Conversions at @rate samples per second. ns -> samples rounds to the
 * nearest sample (ties up); samples -> ns rounds to the nearest nanosecond.
 * At 8000 Hz both are exact for whole samples. */
guint64 ah_samples_to_ns (guint64 samples, guint rate);
guint64 ah_ns_to_samples (guint64 ns, guint rate);

gboolean ah_duration_parse_samples (const gchar * str, guint rate,
    guint64 * out_samples, GError ** error);
gchar *ah_duration_format_samples (guint64 samples, guint rate);

G_END_DECLS

#endif /* __AH_DURATION_H__ */
