/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's answers to request bytes read so far. */

#include <string.h>
#include "gstgenesyshealth.h"

typedef struct
{
  const gchar *request;
  gsize len;                    /* 0: strlen */
  gboolean draining;
  guint status;
} Case;

static const Case cases[] = {
  {"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 0, FALSE, 200},
  {"GET /health HTTP/1.1\r\n\r\n", 0, TRUE, 503},
  {"HEAD /health HTTP/1.0\r\n\r\n", 0, FALSE, 200},
  {"GET /health HTTP/1.1\n\n", 0, FALSE, 200},
  {"GET /health HTTP/1.1\r\nHost: x\r\n", 0, FALSE, 0},
  {"GET /hea", 0, FALSE, 0},
  {"GET /healthz HTTP/1.1\r\n\r\n", 0, FALSE, 404},
  {"POST /health HTTP/1.1\r\n\r\n", 0, FALSE, 404},
  {"\r\n\r\n", 0, FALSE, 404},
  /* a NUL in the head does not hide its end */
  {"GET /health HTTP/1.1\r\nX: a\0b\r\n\r\n", 33, FALSE, 200},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    gsize len = c->len ? c->len : strlen (c->request);
    guint got = gst_genesys_health_status (c->request, len, 1023,
        c->draining);
    if (got != c->status)
      g_error ("case %u: %u, expected %u", i, got, c->status);
  }
}

/* Full without a blank line: answered (404), never waited on. */
static void
test_full (void)
{
  gchar buf[64];

  memset (buf, 'a', sizeof (buf));
  g_assert_cmpuint (gst_genesys_health_status (buf, sizeof (buf),
          sizeof (buf), FALSE), ==, 404);
  memcpy (buf, "GET /health ", 12);
  g_assert_cmpuint (gst_genesys_health_status (buf, sizeof (buf),
          sizeof (buf), FALSE), ==, 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/health/table", test_table);
  g_test_add_func ("/health/full", test_full);
  return g_test_run ();
}
