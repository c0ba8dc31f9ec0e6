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

static const struct
{
  const gchar *path;
  GstGenesysHealthPage page;
} pages[] = {
  {"/health", GST_GENESYS_HEALTH_HEALTH},
  {"/ready", GST_GENESYS_HEALTH_READY},
  {"/live", GST_GENESYS_HEALTH_LIVE},
  {"/metrics", GST_GENESYS_HEALTH_METRICS},
};

GstGenesysHealthPage
gst_genesys_health_page (const gchar * request, gsize len, gsize capacity,
    gboolean * head)
{
  gsize skip, n, i;

  *head = FALSE;
  if (!head_complete (request, len) && len < capacity)
    return GST_GENESYS_HEALTH_INCOMPLETE;
  if (len >= 4 && memcmp (request, "GET ", 4) == 0) {
    skip = 4;
  } else if (len >= 5 && memcmp (request, "HEAD ", 5) == 0) {
    skip = 5;
    *head = TRUE;
  } else {
    return GST_GENESYS_HEALTH_NOT_FOUND;
  }
  for (i = 0; i < G_N_ELEMENTS (pages); i++) {
    n = strlen (pages[i].path);
    /* the path, then the request line goes on (version or query) */
    if (len > skip + n && memcmp (request + skip, pages[i].path, n) == 0
        && (request[skip + n] == ' ' || request[skip + n] == '?'))
      return pages[i].page;
  }
  return GST_GENESYS_HEALTH_NOT_FOUND;
}

guint
gst_genesys_health_status (GstGenesysHealthPage page, gboolean draining)
{
  switch (page) {
    case GST_GENESYS_HEALTH_HEALTH:
    case GST_GENESYS_HEALTH_READY:
      return draining ? 503 : 200;
    case GST_GENESYS_HEALTH_LIVE:
    case GST_GENESYS_HEALTH_METRICS:
      return 200;
    default:
      return 404;
  }
}
