/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's pages and answers for request bytes read so far. */

#include <string.h>
#include "gstgenesyshealth.h"

#define INCOMPLETE GST_GENESYS_HEALTH_INCOMPLETE
#define NOT_FOUND GST_GENESYS_HEALTH_NOT_FOUND
#define HEALTH GST_GENESYS_HEALTH_HEALTH
#define READY GST_GENESYS_HEALTH_READY
#define LIVE GST_GENESYS_HEALTH_LIVE
#define METRICS GST_GENESYS_HEALTH_METRICS

typedef struct
{
  const gchar *request;
  gsize len;                    /* 0: strlen */
  GstGenesysHealthPage page;
  gboolean head;
} Case;

static const Case cases[] = {
  {"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 0, HEALTH, FALSE},
  {"HEAD /health HTTP/1.0\r\n\r\n", 0, HEALTH, TRUE},
  {"GET /health HTTP/1.1\n\n", 0, HEALTH, FALSE},
  {"GET /health HTTP/1.1\r\nHost: x\r\n", 0, INCOMPLETE, FALSE},
  {"GET /hea", 0, INCOMPLETE, FALSE},
  {"GET /healthz HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"POST /health HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"GET /ready HTTP/1.1\r\n\r\n", 0, READY, FALSE},
  {"GET /live HTTP/1.1\r\n\r\n", 0, LIVE, FALSE},
  {"HEAD /live HTTP/1.1\r\n\r\n", 0, LIVE, TRUE},
  {"GET /metrics HTTP/1.1\r\nAccept: text/plain\r\n\r\n", 0, METRICS, FALSE},
  {"GET /metrics?name[]=x HTTP/1.1\r\n\r\n", 0, METRICS, FALSE},
  {"GET /metricsx HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"GET /metrics/ HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"GET  /health HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  {"get /health HTTP/1.1\r\n\r\n", 0, NOT_FOUND, FALSE},
  /* a NUL in the head does not hide its end */
  {"GET /health HTTP/1.1\r\nX: a\0b\r\n\r\n", 33, HEALTH, FALSE},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    gsize len = c->len ? c->len : strlen (c->request);
    gboolean head;
    GstGenesysHealthPage got = gst_genesys_health_page (c->request, len, 1023,
        &head);
    if (got != c->page || (got != INCOMPLETE && head != c->head))
      g_error ("case %u: page %d head %d, expected %d %d", i, got, head,
          c->page, c->head);
  }
}

/* Full without a blank line: answered, never waited on. */
static void
test_full (void)
{
  gchar buf[64];
  gboolean head;

  memset (buf, 'a', sizeof (buf));
  g_assert_cmpint (gst_genesys_health_page (buf, sizeof (buf), sizeof (buf),
          &head), ==, NOT_FOUND);
  memcpy (buf, "GET /health ", 12);
  g_assert_cmpint (gst_genesys_health_page (buf, sizeof (buf), sizeof (buf),
          &head), ==, HEALTH);
}

/* Draining: not ready (health and ready), still live, metrics still
 * scraped. */
static void
test_status (void)
{
  static const struct
  {
    GstGenesysHealthPage page;
    guint serving, draining;
  } rows[] = {
    {HEALTH, 200, 503}, {READY, 200, 503}, {LIVE, 200, 200},
    {METRICS, 200, 200}, {NOT_FOUND, 404, 404},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_assert_cmpuint (gst_genesys_health_status (rows[i].page, FALSE), ==,
        rows[i].serving);
    g_assert_cmpuint (gst_genesys_health_status (rows[i].page, TRUE), ==,
        rows[i].draining);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/health/table", test_table);
  g_test_add_func ("/health/full", test_full);
  g_test_add_func ("/health/status", test_status);
  return g_test_run ();
}
