/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* pthread_getattr_np */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysstack.h"

#if defined(__linux__) && defined(__GLIBC__)
#define HAVE_STACK_BOUNDS 1
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Kept resident below the frame that trims: room for the calls that
 * follow it (the madvise itself, then the wait the caller goes into).
 * Deeper pages touched again are only faulted in again. */
#define TRIM_MARGIN (4 * 1024)

#ifdef HAVE_STACK_BOUNDS
/* The lowest usable address of the calling thread's stack (above its
 * guard) and the page size, or FALSE. */
static gboolean
stack_low (guintptr * low, gsize * page)
{
  pthread_attr_t attr;
  void *addr = NULL;
  size_t size = 0;
  gboolean ok;

  if (pthread_getattr_np (pthread_self (), &attr) != 0)
    return FALSE;
  ok = pthread_attr_getstack (&attr, &addr, &size) == 0 && addr && size;
  pthread_attr_destroy (&attr);
  *low = (guintptr) addr;
  *page = (gsize) sysconf (_SC_PAGESIZE);
  return ok && *page > 0;
}
#endif

gsize
gst_genesys_stack_trim (void)
{
#ifdef HAVE_STACK_BOUNDS
  volatile guint8 here = 0;
  guintptr low, end;
  gsize page;

  if (!stack_low (&low, &page))
    return 0;
  /* the page boundary at least TRIM_MARGIN below this frame */
  end = ((guintptr) & here - TRIM_MARGIN) & ~((guintptr) page - 1);
  if (end <= low || (end - low) < page)
    return 0;
  if (madvise ((void *) low, end - low, MADV_DONTNEED) != 0)
    return 0;
  return end - low;
#else
  return 0;
#endif
}

gsize
gst_genesys_stack_resident (void)
{
#ifdef HAVE_STACK_BOUNDS
  volatile guint8 here = 0;
  guintptr low, top;
  gsize page, n, i, resident = 0;
  guchar *vec;

  if (!stack_low (&low, &page))
    return 0;
  /* up to this frame's page: what lies above it is in use */
  top = ((guintptr) & here) & ~((guintptr) page - 1);
  if (top <= low)
    return 0;
  n = (top - low) / page;
  vec = g_malloc (n);
  if (mincore ((void *) low, top - low, vec) == 0)
    for (i = 0; i < n; i++)
      resident += (vec[i] & 1) ? page : 0;
  g_free (vec);
  return resident;
#else
  return 0;
#endif
}
