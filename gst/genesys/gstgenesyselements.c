/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesyselements.h"
#include "gstgenesyssrc.h"
#include "gstgenesyssink.h"
#include "gstgenesystranscript.h"

/**
 * gst_genesys_elements_register:
 * @plugin: the plugin that holds the elements
 *
 * Registers genesyssrc, genesyssink and genesystranscript with @plugin:
 * the plugin file and GstGenesysServe's static plugin share the types of
 * this library.
 *
 * Returns: %TRUE when all are registered
 */
gboolean
gst_genesys_elements_register (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (genesyssrc, plugin);

  ok &= GST_ELEMENT_REGISTER (genesyssink, plugin);
  ok &= GST_ELEMENT_REGISTER (genesystranscript, plugin);
  return ok;
}
