/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The verifier of a listening element or serve, from its settings, with
 * the checks that keep a wrong configuration from starting as an open
 * door: a client secret without an API key and a credentials file without
 * any key are errors. */

#ifndef __GST_GENESYS_CREDENTIALS_H__
#define __GST_GENESYS_CREDENTIALS_H__

#include <glib.h>
#include "audiohook/ah-signature.h"

G_BEGIN_DECLS
/* Adds the keys of @file, a JSON object mapping API keys to base64
 * client secrets (an empty secret allows unsigned requests), to
 * @verifier. */
gboolean gst_genesys_load_credentials (AhVerifier * verifier,
    const gchar * file, GError ** error);

/* Returns the verifier, %NULL with *@open_door TRUE when nothing is set
 * (every connection is accepted: say so), or %NULL with @error. The
 * messages name the settings @names: the API key's, the client secret's
 * and the credentials file's. */
    AhVerifier * gst_genesys_verifier_new (const gchar * api_key,
    const gchar * client_secret, const gchar * credentials_file,
    const gchar * authority, const gchar * const names[3],
    gboolean * open_door, GError ** error);

G_END_DECLS
#endif /* __GST_GENESYS_CREDENTIALS_H__ */
