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
    gchar * gst_genesys_template_sanitize (const gchar * value);
/* FALSE (with @error) when @tmpl has brace text that looks like a
 * placeholder but is none (outside caps). */
gboolean gst_genesys_template_check (const gchar * tmpl, GError ** error);
/* What a call's placeholders are filled from besides its open message. */
typedef struct
{
  const gchar *session_id;      /* the call's first session */
  const gchar *connector_id;
  guint segment;                /* 0, then 1, 2... as it moves */
  guint64 start_position;       /* samples: where this segment starts */
} GstGenesysTemplateCall;

/* @tmpl with its placeholders filled from @open and @call (both NULL:
 * every value "0"). */
gchar *gst_genesys_template_fill (const gchar * tmpl, const AhMessage * open,
    const GstGenesysTemplateCall * call);

G_END_DECLS
#endif /* __GST_GENESYS_TEMPLATE_H__ */
