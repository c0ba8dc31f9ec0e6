/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* For harnesses that decode their input as a program: the next @n bytes
 * as a big-endian number (fewer at the end of the input, 0 when none). */

#ifndef __FUZZ_TAKE_H__
#define __FUZZ_TAKE_H__

#include <glib.h>

static inline guint32
take (const guint8 ** data, size_t *size, guint n)
{
  guint32 v = 0;

  while (n-- > 0 && *size > 0) {
    v = (v << 8) | **data;
    (*data)++;
    (*size)--;
  }
  return v;
}

#endif /* __FUZZ_TAKE_H__ */
