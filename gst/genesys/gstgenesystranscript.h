/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_TRANSCRIPT_H__
#define __GST_GENESYS_TRANSCRIPT_H__

#include <gst/gst.h>

G_BEGIN_DECLS
#define GST_TYPE_GENESYS_TRANSCRIPT (gst_genesys_transcript_get_type ())
G_DECLARE_FINAL_TYPE (GstGenesysTranscript, gst_genesys_transcript, GST,
    GENESYS_TRANSCRIPT, GstBin);

/* The GstCustomMeta an engine may put on its text buffers: "final"
 * (boolean), "confidence" (double), "words" (a list of "word" structures:
 * "value" string, "pts" and "duration" guint64, "confidence" double). */
#define GST_GENESYS_TRANSCRIPT_META "GstGenesysTranscriptMeta"

GST_ELEMENT_REGISTER_DECLARE (genesystranscript);

G_END_DECLS
#endif /* __GST_GENESYS_TRANSCRIPT_H__ */
