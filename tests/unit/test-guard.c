/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The guard's accounting of what a client is owed, over a socket pair:
 * what the server queues (gst_genesys_guard_owe()) and never gets written
 * trips it; what is written as it is queued does not. */

#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include "gstgenesysguard.h"

typedef struct
{
  gint violations;
  GstGenesysGuardViolation last;
} Seen;

static void
on_violation (GstGenesysGuardViolation violation, guint64 size, gpointer data)
{
  Seen *seen = data;

  seen->violations++;
  seen->last = violation;
}

static GstGenesysGuard *
guard_on_pair (GSocket ** peer)
{
  gint fds[2];
  GSocket *ours;
  GSocketConnection *conn;
  GstGenesysGuard *guard;
  const gchar *head = "HTTP/1.1 101 Switching Protocols\r\n\r\n";

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  ours = g_socket_new_from_fd (fds[0], NULL);
  *peer = g_socket_new_from_fd (fds[1], NULL);
  conn = g_socket_connection_factory_create_connection (ours);
  guard = gst_genesys_guard_new (G_IO_STREAM (conn), 65536);
  g_object_unref (conn);
  g_object_unref (ours);
  /* the upgrade is answered through it */
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (guard)), head, strlen (head), NULL, NULL, NULL));
  return guard;
}

/* Queued and never written: the client is not reading. */
static void
test_owed_unwritten (void)
{
  GSocket *peer;
  GstGenesysGuard *guard = guard_on_pair (&peer);
  Seen seen = { 0 };
  guint i;

  gst_genesys_guard_set_func (guard, on_violation, &seen, NULL);
  for (i = 0; i < 140; i++)     /* 140 x 64000 bytes: over 8 MiB */
    gst_genesys_guard_owe (guard, 64000);
  g_assert_cmpint (seen.violations, ==, 1);
  g_assert_cmpint (seen.last, ==, GST_GENESYS_GUARD_SLOW_READER);
  g_object_unref (guard);
  g_object_unref (peer);
}

/* Queued and written as it goes (a client that reads): never. */
static void
test_owed_written (void)
{
  GSocket *peer;
  GstGenesysGuard *guard = guard_on_pair (&peer);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (guard));
  Seen seen = { 0 };
  static gchar frame[64004], sink[65536];
  guint i;

  gst_genesys_guard_set_func (guard, on_violation, &seen, NULL);
  for (i = 0; i < 400; i++) {
    gsize left = sizeof (frame);
    gst_genesys_guard_owe (guard, 64000);
    g_assert_true (g_output_stream_write_all (out, frame, sizeof (frame),
            NULL, NULL, NULL));
    while (left > 0) {
      gssize n = g_socket_receive (peer, sink, MIN (left, sizeof (sink)),
          NULL, NULL);
      g_assert_cmpint (n, >, 0);
      left -= n;
    }
  }
  g_assert_cmpint (seen.violations, ==, 0);
  g_object_unref (guard);
  g_object_unref (peer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guard/owed-unwritten", test_owed_unwritten);
  g_test_add_func ("/guard/owed-written", test_owed_written);
  return g_test_run ();
}
