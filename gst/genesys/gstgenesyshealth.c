/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesyshealth.h"

/* The end of the request's head: a blank line (CRLF or bare LF), searched
 * in all @len bytes (a NUL does not stop it). */
static gboolean
head_complete (const gchar * request, gsize len)
{
  gsize i;

  for (i = 1; i < len; i++) {
    if (request[i] != '\n')
      continue;
    if (request[i - 1] == '\n'
        || (i >= 3 && memcmp (request + i - 3, "\r\n\r\n", 4) == 0))
      return TRUE;
  }
  return FALSE;
}

guint
gst_genesys_health_status (const gchar * request, gsize len,
    gsize capacity, gboolean draining)
{
  if (!head_complete (request, len) && len < capacity)
    return 0;
  if (!(len >= 12 && memcmp (request, "GET /health ", 12) == 0)
      && !(len >= 13 && memcmp (request, "HEAD /health ", 13) == 0))
    return 404;
  return draining ? 503 : 200;
}
