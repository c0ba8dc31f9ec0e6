/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Reconnect delays: exponential backoff with full jitter. Pure: the caller
 * supplies the randomness, so a table can test it. */

#ifndef __AH_BACKOFF_H__
#define __AH_BACKOFF_H__

#include <glib.h>

G_BEGIN_DECLS typedef struct
{
  guint64 base;                 /* ns: the first attempt's ceiling */
  guint64 max;                  /* ns: no ceiling grows beyond this */
  guint attempt;                /* attempts since the last reset */
} AhBackoff;

void ah_backoff_init (AhBackoff * backoff, guint64 base, guint64 max);

/* The ceiling of the next attempt: min (max, base * 2^attempt). */
guint64 ah_backoff_ceiling (const AhBackoff * backoff);

/* The delay before the next attempt, uniform in [0, ceiling] as @random
 * (uniform over 32 bits) says; counts the attempt. */
guint64 ah_backoff_next (AhBackoff * backoff, guint32 random);

/* After a connection stayed up: the next delay starts small again. */
void ah_backoff_reset (AhBackoff * backoff);

G_END_DECLS
#endif /* __AH_BACKOFF_H__ */
