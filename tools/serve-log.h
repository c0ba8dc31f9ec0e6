/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* gst-genesys-serve's log lines: plain text as always, or one JSON object
 * per line (--log-format=json) with time, level, event and the call's ids,
 * GStreamer's warnings and errors included. */

#ifndef __SERVE_LOG_H__
#define __SERVE_LOG_H__

#include <json-glib/json-glib.h>

G_BEGIN_DECLS typedef enum
{
  SERVE_LOG_TEXT,
  SERVE_LOG_JSON,
} ServeLogFormat;

/* FALSE for a name other than text or json. */
gboolean serve_log_format_from_name (const gchar * name,
    ServeLogFormat * format);

/* From here on; json also takes over GStreamer's debug log. */
void serve_log_set_format (ServeLogFormat format);

/* The ids of a line; each may be NULL (left out). */
typedef struct
{
  const gchar *conversation_id;
  const gchar *session_id;
  const gchar *call_id;
} ServeLogIds;

/* One line: text goes to stdout ("info") or stderr (any other level) as
 * @message; json to stdout with @event, @ids and the members of @extra
 * (may be NULL), whose values are written as they are (numbers stay
 * numbers). */
void
serve_log (const gchar * level, const gchar * event,
    const ServeLogIds * ids, JsonObject * extra, const gchar * format, ...)
G_GNUC_PRINTF (5, 6);

/* The JSON line of a log record, without its newline. Pure but for the
 * time it is given. */
     gchar *serve_log_json_line (gint64 real_time_us, const gchar * level,
    const gchar * event, const ServeLogIds * ids, JsonObject * extra,
    const gchar * message);

G_END_DECLS
#endif /* __SERVE_LOG_H__ */
