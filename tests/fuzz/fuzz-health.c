/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's request reader under any bytes, fed as they may come
 * in pieces: it answers only 0 (read more), 200, 503 or 404; once it has
 * answered, more bytes do not change the answer's kind; and a full buffer
 * is always answered (a client cannot make it wait past its capacity). */

#include <string.h>
#include "gstgenesyshealth.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define CAPACITY 1023

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const gchar *text = (const gchar *) data;
  gsize len = MIN (size, CAPACITY), i;
  guint first = 0;

  for (i = 1; i <= len; i++) {
    guint s = gst_genesys_health_status (text, i, CAPACITY, FALSE);
    guint d = gst_genesys_health_status (text, i, CAPACITY, TRUE);

    g_assert (s == 0 || s == 200 || s == 404);
    g_assert (d == (s == 200 ? 503 : s));
    if (first && s == 0)
      g_assert_not_reached ();  /* complete once, complete after */
    if (!first && s)
      first = s;
    if (i == CAPACITY)
      g_assert (s != 0);
  }
  return 0;
}
