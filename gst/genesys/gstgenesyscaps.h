/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook audio as caps: PCMU or L16 at 8 kHz, one channel (external)
 * or two (external, internal), interleaved. Both elements' pads. */

#ifndef __GST_GENESYS_CAPS_H__
#define __GST_GENESYS_CAPS_H__

#define GST_GENESYS_AUDIO_CAPS \
  "audio/x-mulaw, rate = (int) 8000, channels = (int) [ 1, 2 ]; " \
  "audio/x-raw, format = (string) S16LE, rate = (int) 8000, " \
  "channels = (int) [ 1, 2 ], layout = (string) interleaved"

#endif /* __GST_GENESYS_CAPS_H__ */
