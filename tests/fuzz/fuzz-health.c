/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's request reader under any bytes, fed as they may come
 * in pieces: once it has answered with a page, more bytes do not change
 * the page or the method; a full buffer is always answered (a client cannot
 * make it wait past its capacity); every page has a status. */

#include <string.h>
#include "gstgenesyshealth.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define CAPACITY 1023

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const gchar *text = (const gchar *) data;
  gsize len = MIN (size, CAPACITY), i;
  GstGenesysHealthPage first = GST_GENESYS_HEALTH_INCOMPLETE;
  gboolean first_head = FALSE;

  for (i = 1; i <= len; i++) {
    gboolean head;
    GstGenesysHealthPage p = gst_genesys_health_page (text, i, CAPACITY,
        &head);
    guint s = gst_genesys_health_status (p, FALSE);

    g_assert (p >= GST_GENESYS_HEALTH_INCOMPLETE
        && p <= GST_GENESYS_HEALTH_METRICS);
    g_assert (s == 200 || s == 404);
    g_assert ((s == 404) == (p <= GST_GENESYS_HEALTH_NOT_FOUND));
    if (first) {
      /* complete once, the same answer after */
      g_assert (p == first && head == first_head);
    } else if (p) {
      first = p;
      first_head = head;
    }
    if (i == CAPACITY)
      g_assert (p != GST_GENESYS_HEALTH_INCOMPLETE);
  }
  return 0;
}
