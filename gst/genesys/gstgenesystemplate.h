/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* gst-genesys-serve's launch templates: placeholders filled from a call's
 * open message, each value sanitised. Pure (see gstgenesysserve.c's
 * documentation for the placeholders). */

#ifndef __GST_GENESYS_TEMPLATE_H__
#define __GST_GENESYS_TEMPLATE_H__

#include <glib.h>
#include "audiohook/ah-message.h"

G_BEGIN_DECLS

/* A value made safe as one file name component that needs no quoting in a
 * launch description (gst_genesys_serve_sanitize()). */
gchar *gst_genesys_template_sanitize (const gchar * value);
/* FALSE (with @error) when @tmpl has brace text that looks like a
 * placeholder but is none (outside caps). */
gboolean gst_genesys_template_check (const gchar * tmpl, GError ** error);
/* @tmpl with its placeholders filled from @open (NULL: every value "0"),
 * @session_id and @connector_id. */
gchar *gst_genesys_template_fill (const gchar * tmpl, const AhMessage * open,
    const gchar * session_id, const gchar * connector_id);

G_END_DECLS
#endif /* __GST_GENESYS_TEMPLATE_H__ */
