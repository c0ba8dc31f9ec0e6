/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "ah-path.h"

guint
ah_path_match (const gchar * path, const gchar * request_path,
    const gchar * query, gchar ** connector_id)
{
  gsize n = strlen (path);
  const gchar *rest;
  GString *id;

  if (connector_id)
    *connector_id = NULL;
  /* "/a/" is "/a" */
  while (n > 0 && path[n - 1] == '/')
    n--;
  if (strncmp (path, request_path, n) != 0)
    return 0;
  rest = request_path + n;
  if (*rest != '\0' && *rest != '/')
    return 0;
  while (*rest == '/')
    rest++;
  if (connector_id && (*rest || (query && *query))) {
    id = g_string_new (rest);
    /* a trailing '/' of the request path counts for none */
    while (id->len > 0 && id->str[id->len - 1] == '/')
      g_string_truncate (id, id->len - 1);
    if (query && *query) {
      if (id->len > 0)
        g_string_append_c (id, '?');
      g_string_append (id, query);
    }
    if (id->len > 0)
      *connector_id = g_string_free (id, FALSE);
    else
      g_string_free (id, TRUE);
  }
  return n + 1;
}
