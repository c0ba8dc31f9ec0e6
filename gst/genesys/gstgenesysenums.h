/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_ENUMS_H__
#define __GST_GENESYS_ENUMS_H__

#include <glib-object.h>

G_BEGIN_DECLS
/**
 * GstGenesysGapMode:
 * @GST_GENESYS_GAP_MODE_GAP_EVENT: a GAP event covers the span
 * @GST_GENESYS_GAP_MODE_SILENCE: silence buffers (flagged GAP) cover it
 *
 * How spans without audio (discarded, paused, between sessions) appear.
 */
    typedef enum
{
  GST_GENESYS_GAP_MODE_GAP_EVENT,
  GST_GENESYS_GAP_MODE_SILENCE,
} GstGenesysGapMode;

#define GST_TYPE_GENESYS_GAP_MODE (gst_genesys_gap_mode_get_type ())
GType gst_genesys_gap_mode_get_type (void);

/**
 * GstGenesysMediaPreference:
 * @GST_GENESYS_MEDIA_PREFERENCE_STEREO: both parties if offered
 * @GST_GENESYS_MEDIA_PREFERENCE_EXTERNAL: the customer only if offered
 * @GST_GENESYS_MEDIA_PREFERENCE_INTERNAL: the agent or bot only if offered
 * @GST_GENESYS_MEDIA_PREFERENCE_FIRST: the first offer downstream accepts
 *
 * Which of the offered media a server-mode source chooses.
 */
typedef enum
{
  GST_GENESYS_MEDIA_PREFERENCE_STEREO,
  GST_GENESYS_MEDIA_PREFERENCE_EXTERNAL,
  GST_GENESYS_MEDIA_PREFERENCE_INTERNAL,
  GST_GENESYS_MEDIA_PREFERENCE_FIRST,
} GstGenesysMediaPreference;

#define GST_TYPE_GENESYS_MEDIA_PREFERENCE (gst_genesys_media_preference_get_type ())
GType gst_genesys_media_preference_get_type (void);

/**
 * GstGenesysMode:
 * @GST_GENESYS_MODE_SERVER: listen; Genesys Cloud dials in (AudioHook)
 * @GST_GENESYS_MODE_CLIENT: connect out to a WebSocket that pushes audio
 * @GST_GENESYS_MODE_EXTERNAL: serve sessions that the application accepted
 *   and hands over with gst_genesys_src_take_session() (gst-genesys-serve)
 *
 * Which side of the WebSocket a source is.
 */
typedef enum
{
  GST_GENESYS_MODE_SERVER,
  GST_GENESYS_MODE_CLIENT,
  GST_GENESYS_MODE_EXTERNAL,
} GstGenesysMode;

#define GST_TYPE_GENESYS_MODE (gst_genesys_mode_get_type ())
GType gst_genesys_mode_get_type (void);

/**
 * GstGenesysPushMode:
 * @GST_GENESYS_PUSH_MODE_THREAD: the element's streaming thread pushes the
 *   audio; the loop thread wakes it for every frame
 * @GST_GENESYS_PUSH_MODE_LOOP: the connection's loop thread pushes the
 *   audio itself; downstream must never block
 * @GST_GENESYS_PUSH_MODE_AUTO: loop when every element downstream is known
 *   never to block, thread otherwise
 *
 * Which thread pushes a server-role genesyssrc's audio downstream.
 */
typedef enum
{
  GST_GENESYS_PUSH_MODE_THREAD,
  GST_GENESYS_PUSH_MODE_LOOP,
  GST_GENESYS_PUSH_MODE_AUTO,
} GstGenesysPushMode;

#define GST_TYPE_GENESYS_PUSH_MODE (gst_genesys_push_mode_get_type ())
GType gst_genesys_push_mode_get_type (void);
gboolean gst_genesys_push_mode_from_nick (const gchar * nick,
    GstGenesysPushMode * mode);

G_END_DECLS
#endif /* __GST_GENESYS_ENUMS_H__ */
