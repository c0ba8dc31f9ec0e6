/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ah-backoff.h"

void
ah_backoff_init (AhBackoff * backoff, guint64 base, guint64 max)
{
  backoff->base = base;
  backoff->max = MAX (max, base);
  backoff->attempt = 0;
}

guint64
ah_backoff_ceiling (const AhBackoff * backoff)
{
  guint64 ceiling = backoff->base;
  guint i;

  for (i = 0; i < backoff->attempt && ceiling < backoff->max; i++)
    ceiling = ceiling > G_MAXUINT64 / 2 ? G_MAXUINT64 : ceiling * 2;
  return MIN (ceiling, backoff->max);
}

guint64
ah_backoff_next (AhBackoff * backoff, guint32 random)
{
  guint64 ceiling = ah_backoff_ceiling (backoff);
  guint64 delay;

  /* ceiling * random / 2^32, without overflow, and reaching ceiling for
   * random = G_MAXUINT32 within one part in 2^32. */
  delay = (ceiling >> 32) * random + (((ceiling & 0xffffffff) * random) >> 32);
  if (backoff->attempt < G_MAXUINT)
    backoff->attempt++;
  return delay;
}

void
ah_backoff_reset (AhBackoff * backoff)
{
  backoff->attempt = 0;
}
