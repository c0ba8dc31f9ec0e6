/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer harness for ah_message_parse(). Every input is parsed as sent
 * by the client and by the server. Whatever parses must write back with
 * ah_message_to_json(), and that output must parse again and write to the
 * same bytes. GLib criticals and warnings abort. */

#include "ah-message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
round_trip (const gchar * text, gsize size, AhRole role)
{
  AhMessage *msg, *again;
  GError *error = NULL;
  gchar *json, *json2;

  msg = ah_message_parse (text, size, role, 0, &error);
  if (msg == NULL) {
    if (error == NULL || error->domain != AH_MESSAGE_ERROR)
      abort ();
    g_error_free (error);
    return;
  }
  if (error != NULL)
    abort ();

  json = ah_message_to_json (msg, role);
  if (json == NULL)
    abort ();

  /* The writer may expand numbers ("1e5" -> "100000.0"), so the output can
   * be larger than the input limit. */
  again = ah_message_parse (json, -1, role, G_MAXSIZE, &error);
  if (again == NULL) {
    fprintf (stderr, "re-parse failed: %s\n%s\n", error->message, json);
    abort ();
  }
  if (again->type != msg->type || g_strcmp0 (again->type_name,
          msg->type_name) != 0)
    abort ();

  json2 = ah_message_to_json (again, role);
  if (json2 == NULL || strcmp (json, json2) != 0) {
    fprintf (stderr, "unstable:\n%s\n%s\n", json, json2 ? json2 : "(null)");
    abort ();
  }

  g_free (json2);
  g_free (json);
  ah_message_unref (again);
  ah_message_unref (msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  round_trip ((const gchar *) data, size, AH_ROLE_CLIENT);
  round_trip ((const gchar *) data, size, AH_ROLE_SERVER);
  return 0;
}
