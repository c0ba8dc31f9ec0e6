/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The registry's URL, and where a continuation goes from what the
 * registry holds. */

#include <string.h>
#include "gstgenesysplacement.h"

typedef struct
{
  const gchar *url;
  const gchar *host;            /* NULL: refused */
  guint port, db;
  const gchar *message;         /* part of the error */
} UrlCase;

static const UrlCase url_cases[] = {
  {"redis://127.0.0.1", "127.0.0.1", 6379, 0},
  {"redis://127.0.0.1:6380", "127.0.0.1", 6380, 0},
  {"redis://redis.internal:7000/3", "redis.internal", 7000, 3},
  {"redis://[::1]:6390/", "::1", 6390, 0},
  {"redis://[::1]", "::1", 6379, 0},
  {"redis://h/15", "h", 6379, 15},
  {"redis://h/16", NULL, 0, 0, "database '16'"},
  {"redis://h:0", NULL, 0, 0, "port '0'"},
  {"redis://h:70000", NULL, 0, 0, "port '70000'"},
  {"redis://h:", NULL, 0, 0, "port ''"},
  {"redis://::1:6379", NULL, 0, 0, "brackets"},
  {"redis://", NULL, 0, 0, "no host"},
  {"redis://:6379", NULL, 0, 0, "no host"},
  {"http://h", NULL, 0, 0, "not redis://"},
  {"", NULL, 0, 0, "not redis://"},
};

static void
test_url (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (url_cases); i++) {
    const UrlCase *c = &url_cases[i];
    gchar *host = NULL;
    guint port = 0, db = 0;
    GError *error = NULL;
    gboolean ok = gst_genesys_registry_url_parse (c->url, &host, &port, &db,
        &error);

    if (ok != (c->host != NULL))
      g_error ("case %u (%s): parsed %d", i, c->url, ok);
    if (ok) {
      g_assert_cmpstr (host, ==, c->host);
      g_assert_cmpuint (port, ==, c->port);
      g_assert_cmpuint (db, ==, c->db);
    } else {
      g_assert_null (host);
      if (!strstr (error->message, c->message))
        g_error ("case %u (%s): '%s' does not say '%s'", i, c->url,
            error->message, c->message);
      g_error_free (error);
    }
    g_free (host);
  }
}

typedef struct
{
  gboolean found;
  const gchar *call_id;
  const gchar *instance;
  gboolean closed;
  GstGenesysOwnerState owner;
  GstGenesysPlacement placement;
} DecideCase;

#define UP GST_GENESYS_OWNER_UP
#define DRAINING GST_GENESYS_OWNER_DRAINING
#define GONE GST_GENESYS_OWNER_GONE

static const DecideCase decide_cases[] = {
  {FALSE, NULL, NULL, FALSE, GONE, GST_GENESYS_PLACE_NEW},
  {TRUE, NULL, "a", FALSE, UP, GST_GENESYS_PLACE_NEW},
  {TRUE, "c", "a", TRUE, UP, GST_GENESYS_PLACE_CLOSED},
  {TRUE, "c", "a", TRUE, GONE, GST_GENESYS_PLACE_CLOSED},
  {TRUE, "c", "a", FALSE, UP, GST_GENESYS_PLACE_RELAY},
  {TRUE, "c", "a", FALSE, DRAINING, GST_GENESYS_PLACE_MOVE},
  {TRUE, "c", "a", FALSE, GONE, GST_GENESYS_PLACE_MOVE},
  /* this instance had it and lost it (a restart under the same name) */
  {TRUE, "c", "self", FALSE, UP, GST_GENESYS_PLACE_MOVE},
};

static void
test_decide (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (decide_cases); i++) {
    const DecideCase *c = &decide_cases[i];
    GstGenesysSessionRecord r = { c->found, (gchar *) c->call_id,
      (gchar *) c->instance, c->closed, c->owner, 0
    };
    GstGenesysPlacement got = gst_genesys_placement_decide (&r, "self");
    if (got != c->placement)
      g_error ("case %u: %d, expected %d", i, got, c->placement);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/placement/url", test_url);
  g_test_add_func ("/placement/decide", test_decide);
  return g_test_run ();
}
