/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Endpoint paths against request targets: the match and the connector id. */

#include "ah-path.h"

typedef struct
{
  const gchar *path;
  const gchar *request_path;
  const gchar *query;
  guint score;                  /* 0: no match */
  const gchar *connector_id;
} Case;

static const Case cases[] = {
  {"/api/v1/audiohook/ws", "/api/v1/audiohook/ws", NULL, 21, NULL},
  {"/api/v1/audiohook/ws", "/api/v1/audiohook/ws", "x=1", 21, "x=1"},
  {"/api/v1/audiohook/ws", "/api/v1/audiohook/wss", NULL, 0, NULL},
  {"/api/v1/audiohook/ws", "/api/v1/audiohook", NULL, 0, NULL},
  {"/api/v1/audioconnector", "/api/v1/audioconnector/my-bot-7", NULL, 23,
      "my-bot-7"},
  {"/api/v1/audioconnector", "/api/v1/audioconnector/my-bot-7", "lang=de",
      23, "my-bot-7?lang=de"},
  {"/api/v1/audioconnector", "/api/v1/audioconnector", "bot=7", 23, "bot=7"},
  {"/api/v1/audioconnector", "/api/v1/audioconnector/", NULL, 23, NULL},
  {"/api/v1/audioconnector", "/api/v1/audioconnector//a/b/", NULL, 23, "a/b"},
  {"/api/v1/audioconnector/", "/api/v1/audioconnector/x", NULL, 23, "x"},
  {"/api/v1/audioconnector", "/api/v1/audioconnectorx/y", NULL, 0, NULL},
  {"/", "/anything/at/all", NULL, 1, "anything/at/all"},
  {"/", "/", NULL, 1, NULL},
  {"/a", "/b", "a", 0, NULL},
  {"/a", "/a", "", 3, NULL},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    gchar *id = (gchar *) "unset";
    guint score = ah_path_match (c->path, c->request_path, c->query, &id);

    if (score != c->score || g_strcmp0 (id, c->connector_id) != 0)
      g_error ("%s for %s?%s: got %u \"%s\", expected %u \"%s\"", c->path,
          c->request_path, c->query, score, id, c->score, c->connector_id);
    g_free (id);
  }
}

/* The longest endpoint path wins. */
static void
test_longest (void)
{
  g_assert_cmpuint (ah_path_match ("/api/v1/bots/special", "/api/v1/bots/"
          "special/x", NULL, NULL), >, ah_path_match ("/api/v1/bots",
          "/api/v1/bots/special/x", NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/path/table", test_table);
  g_test_add_func ("/path/longest", test_longest);
  return g_test_run ();
}
