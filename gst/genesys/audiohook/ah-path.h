/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Which endpoint a request is for. Genesys builds an Audio Connector
 * request URI from the integration's Base Connection URI plus the Connector
 * ID the Architect action supplies, so an endpoint's path matches as a
 * prefix on a segment boundary, and what follows it is the connector id.
 * Pure. */

#ifndef __AH_PATH_H__
#define __AH_PATH_H__

#include <glib.h>

G_BEGIN_DECLS
/* How well @path (an endpoint's, e.g. "/api/v1/audioconnector") matches the
 * request's @request_path (no query) and @query (NULL: none): 0 when it
 * does not, otherwise the length of @path plus one, so that the longest
 * endpoint path wins. "/" matches every path. *@connector_id (when not NULL)
 * is set to the rest of the request target after @path and its '/' or '?'
 * ("my-bot-7" for "/api/v1/audioconnector/my-bot-7", "bot=7" for
 * "/api/v1/audioconnector?bot=7", "my-bot-7?x=1" with both), or to NULL
 * when nothing follows. A trailing '/' of either path counts for none. */
    guint ah_path_match (const gchar * path, const gchar * request_path,
    const gchar * query, gchar ** connector_id);

G_END_DECLS
#endif /* __AH_PATH_H__ */
