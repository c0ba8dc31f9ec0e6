/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Helpers that the element tests share: properties from a string, element
 * messages from a bus, stats, events from a harness, a TLS certificate. */

#ifndef __CHECK_UTIL_H__
#define __CHECK_UTIL_H__

#include <gst/gst.h>
#include <gst/check/gstharness.h>

G_BEGIN_DECLS

/* Sets "name=value name=value ..." on @e (gst_util_set_object_arg); NULL
 * sets nothing. */
void check_set_props (GstElement * e, const gchar * props);

/* The next element message named @name on @bus within @timeout_ms (other
 * messages are skipped), NULL when none came; an error message fails the
 * test. Free with gst_structure_free(). */
GstStructure *check_wait_element (GstBus * bus, const gchar * name,
    guint timeout_ms);
/* The same, and no message fails the test. */
GstStructure *check_expect_element (GstBus * bus, const gchar * name,
    guint timeout_ms);

/* The guint64 field @field of @e's "stats"; a missing field fails the test. */
guint64 check_stat_u64 (GstElement * e, const gchar * field);

/* The next event of @type from @h (others are dropped); NULL when none. */
GstEvent *check_pull_event_of_type (GstHarness * h, GstEventType type);

/* A folder holding cert.pem and key.pem, a self-signed certificate for
 * 127.0.0.1 made with openssl once per process; NULL when openssl could not
 * make it. */
const gchar *check_tls_dir (void);
/* Removes that folder, if it was made. */
void check_tls_dir_remove (void);

G_END_DECLS
#endif /* __CHECK_UTIL_H__ */
