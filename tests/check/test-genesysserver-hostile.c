/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The shared server before authentication, against raw sockets that do what
 * an attacker would: a request body, slow or silent connections, many
 * connections from one address, the descriptor limit, a burst of connects,
 * compressed frames. A real client (ahpeer.[ch]) must still get `opened`. */

#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include "ahpeer.h"
#include "gstgenesysserver.h"
#include <gst/genesys/gstgenesysserve.h>

#define PATH "/ws"
#define WAIT 10000
#define LAUNCH "genesyssrc ! fakesink"
#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"

typedef struct
{
  GstGenesysServe *serve;
  guint port;
} Fixture;

static void
fixture_start (Fixture * f)
{
  GstGenesysServeConfig config = { 0 };
  GError *error = NULL;

  config.launch = LAUNCH;
  config.address = "127.0.0.1";
  config.path = PATH;
  config.threads = 4;
  f->serve = gst_genesys_serve_new (&config, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = gst_genesys_serve_get_port (f->serve);
}

static void
fixture_stop (Fixture * f)
{
  gst_genesys_serve_free (f->serve);
}

/* The serve's bus and callbacks run in the default context. */
static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  do {
    while (g_main_context_iteration (NULL, FALSE));
    g_usleep (MIN (10000, ms * 1000));
  } while (g_get_monotonic_time () < end);
}

/* Connects @peer and opens a call; TRUE once `opened` came. */
static gboolean
real_client_opens (guint port)
{
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *frame = NULL;
  guint status = 0;
  gchar *conv = g_uuid_string_random (), *params;
  gint64 end = g_get_monotonic_time () + WAIT * (gint64) 1000;

  params = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"%s\",\"participant\":{\"id\":\"%s\","
      "\"ani\":\"+15551234567\",\"aniName\":\"A Caller\",\"dnis\":"
      "\"+15557654321\"},\"media\":[" OFFER_MONO "],\"language\":\"en-US\"}",
      conv, conv);
  if (ah_peer_connect (peer, port, PATH, NULL, &status) && status == 101) {
    ah_peer_send (peer, "open", "PT0S", params);
    while (!frame && g_get_monotonic_time () < end) {
      frame = ah_peer_expect (peer, "opened", 10);
      while (g_main_context_iteration (NULL, FALSE));
    }
  }
  ah_peer_free (peer);
  g_free (params);
  g_free (conv);
  if (!frame)
    return FALSE;
  ah_peer_frame_free (frame);
  return TRUE;
}

static GSocket *
raw_socket (const gchar * from)
{
  GError *error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  GInetAddress *inet = g_inet_address_new_from_string (from);
  GSocketAddress *local = g_inet_socket_address_new (inet, 0);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, local, FALSE, &error));
  g_assert_no_error (error);
  g_object_unref (local);
  g_object_unref (inet);
  return socket;
}

static GSocketAddress *
server_address (guint port)
{
  GInetAddress *inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (inet, port);

  g_object_unref (inet);
  return addr;
}

/* A TCP connection from @from (any 127.x.y.z) to the server; when not
 * @blocking, the connect is under way and completes in the background
 * (unless the listen backlog overflows). */
static GSocket *
raw_connect_full (const gchar * from, guint port, gboolean blocking)
{
  GSocket *socket = raw_socket (from);
  GSocketAddress *addr = server_address (port);
  GError *error = NULL;

  g_socket_set_blocking (socket, blocking);
  if (!g_socket_connect (socket, addr, NULL, &error)) {
    g_assert_false (blocking);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
    g_clear_error (&error);
  }
  g_object_unref (addr);
  return socket;
}

#define raw_connect(from, port) raw_connect_full (from, port, TRUE)
#define raw_connect_start(from, port) raw_connect_full (from, port, FALSE)

static gboolean
raw_send (GSocket * socket, const gchar * text)
{
  return g_socket_send_with_blocking (socket, text, strlen (text), TRUE, NULL,
      NULL) == (gssize) strlen (text);
}

/* TRUE once the server ended @socket (end of stream or reset); what it
 * sent before is read and dropped. */
static gboolean
raw_closed (GSocket * socket)
{
  gchar buf[4096];

  for (;;) {
    GError *error = NULL;
    gssize n = g_socket_receive_with_blocking (socket, buf, sizeof (buf),
        FALSE, NULL, &error);

    if (n > 0)
      continue;
    if (n == 0)
      return TRUE;
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return FALSE;
    }
    g_error_free (error);
    return TRUE;
  }
}

/* The server's answer head, read until the blank line (up to @ms). */
static gchar *
raw_read_head (GSocket * socket, guint ms)
{
  GString *head = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!strstr (head->str, "\r\n\r\n") && g_get_monotonic_time () < end) {
    gchar c;
    GError *error = NULL;
    gssize n;

    g_socket_set_timeout (socket, 1);
    n = g_socket_receive (socket, &c, 1, NULL, &error);
    g_socket_set_timeout (socket, 0);
    if (n == 1)
      g_string_append_c (head, c);
    else if (n == 0 || !g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_TIMED_OUT)) {
      g_clear_error (&error);
      break;
    }
    g_clear_error (&error);
  }
  return g_string_free (head, FALSE);
}

static gchar *
upgrade_request (guint port, const gchar * extra)
{
  gchar *id = g_uuid_string_random ();
  gchar *req = g_strdup_printf ("GET " PATH " HTTP/1.1\r\n"
      "Host: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nAudiohook-Session-Id: %s\r\n"
      "Audiohook-Organization-Id: " AH_PEER_ORG "\r\n%s\r\n", port, id,
      extra ? extra : "");

  g_free (id);
  return req;
}

/* Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
 * default) before it is reused, so RSS grows by up to that much whatever
 * the server holds: the RSS bounds allow for it there. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SLACK_KIB (256 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_SLACK_KIB (256 * 1024)
#endif
#endif
#ifndef RSS_SLACK_KIB
#define RSS_SLACK_KIB 0
#endif

/* Resident set size of this process in KiB. */
static guint64
rss_kib (void)
{
  gchar *text = NULL, *line;
  guint64 kib = 0;

  g_assert_true (g_file_get_contents ("/proc/self/status", &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  if (line)
    kib = g_ascii_strtoull (line + 6, NULL, 10);
  g_free (text);
  return kib;
}

/* F2: an upgrade with Content-Length: 200 MB is refused before its body is
 * read (413, closed); the sender gets little in and the server does not
 * grow. */
static void
test_body_refused (void)
{
  Fixture f;
  GSocket *socket;
  gchar *req, *head;
  gchar chunk[65536];
  guint64 sent = 0, rss_before, rss_after;
  const guint64 body = 200 * 1024 * 1024;
  const gchar *announced[] = { "Content-Length: 5\r\n",
    "Transfer-Encoding: chunked\r\n"
  };
  guint i;

  fixture_start (&f);
  /* and a body that keeps coming */
  rss_before = rss_kib ();
  socket = raw_connect ("127.0.0.1", f.port);
  req = upgrade_request (f.port, "Content-Length: 209715200\r\n");
  g_assert_true (raw_send (socket, req));
  g_free (req);
  memset (chunk, 'x', sizeof (chunk));
  g_socket_set_timeout (socket, 5);
  while (sent < body) {
    gssize n = g_socket_send (socket, chunk, sizeof (chunk), NULL, NULL);
    if (n <= 0)
      break;
    sent += n;
  }
  rss_after = rss_kib ();
  g_object_unref (socket);
  g_test_message ("body bytes taken: %" G_GUINT64_FORMAT ", RSS %"
      G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " KiB", sent, rss_before,
      rss_after);
  /* socket buffers on loopback hold a few MB at most */
  g_assert_cmpuint (sent, <, 32 * 1024 * 1024);
  g_assert_cmpuint (rss_after, <, rss_before + 8 * 1024 + RSS_SLACK_KIB);

  /* the answer to a body announced, none sent yet, by length or chunked */
  for (i = 0; i < G_N_ELEMENTS (announced); i++) {
    socket = raw_connect ("127.0.0.1", f.port);
    req = upgrade_request (f.port, announced[i]);
    g_assert_true (raw_send (socket, req));
    g_free (req);
    head = raw_read_head (socket, WAIT);
    g_assert_true (g_str_has_prefix (head, "HTTP/1.1 413 "));
    g_free (head);
    g_object_unref (socket);
  }

  g_assert_true (real_client_opens (f.port));
  fixture_stop (&f);
}

typedef struct
{
  GSocket *socket;
  gboolean slow;                /* sends a header line every second */
  gint64 closed;                /* monotonic, 0 while open */
} Attacker;

/* F3: connections that send a header line every second, connections that
 * send nothing and kept-alive connections idle after an answer are all
 * closed once the handshake deadline passed. */
static void
test_deadline (void)
{
  Fixture f;
  Attacker att[400];
  gint64 start, end, next_line;
  guint i, open, latest = 0;

  fixture_start (&f);
  start = g_get_monotonic_time ();
  for (i = 0; i < G_N_ELEMENTS (att); i++) {
    /* 25 from each address: under the per-address cap */
    gchar *from = g_strdup_printf ("127.0.0.%u", 10 + i / 25);
    att[i].socket = raw_connect (from, f.port);
    att[i].slow = i < 200;
    att[i].closed = 0;
    if (att[i].slow)
      g_assert_true (raw_send (att[i].socket,
              "GET " PATH " HTTP/1.1\r\nHost: x\r\n"));
    else if (i >= 380)
      g_assert_true (raw_send (att[i].socket,
              "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
    g_free (from);
  }
  /* real clients still get in during the attack */
  g_assert_true (real_client_opens (f.port));

  next_line = g_get_monotonic_time () + G_USEC_PER_SEC;
  end = start + (GST_GENESYS_HANDSHAKE_TIMEOUT_MS + 5000) * (gint64) 1000;
  do {
    gint64 now = g_get_monotonic_time ();
    open = 0;
    for (i = 0; i < G_N_ELEMENTS (att); i++) {
      if (att[i].closed)
        continue;
      if (raw_closed (att[i].socket))
        att[i].closed = now;
      else
        open++;
      if (!att[i].closed && att[i].slow && now >= next_line)
        raw_send (att[i].socket, "X-Slow: 1\r\n");
    }
    if (now >= next_line)
      next_line += G_USEC_PER_SEC;
    spin (50);
  } while (open > 0 && g_get_monotonic_time () < end);

  for (i = 0; i < G_N_ELEMENTS (att); i++) {
    if (att[i].closed)
      latest = MAX (latest, (att[i].closed - start) / 1000);
    g_object_unref (att[i].socket);
  }
  g_test_message ("%u of %u still open; the last closed %u ms after the "
      "first connect", open, (guint) G_N_ELEMENTS (att), latest);
  g_assert_cmpuint (open, ==, 0);
  g_assert_cmpuint (latest, <, GST_GENESYS_HANDSHAKE_TIMEOUT_MS + 3000);
  fixture_stop (&f);
}

static guint
count_open (GSocket ** sockets, guint n)
{
  guint i, open = 0;

  for (i = 0; i < n; i++)
    if (sockets[i] && !raw_closed (sockets[i]))
      open++;
  return open;
}

/* F3: 100 idle connections from one address keep at most 64 open; a real
 * client from the same address still gets in once they idled. A connection
 * that ended gives its place back at once. */
static void
test_per_peer_cap (void)
{
  Fixture f;
  GSocket *sockets[100];
  gint64 end;
  guint i, open;

  fixture_start (&f);
  for (i = 0; i < 2 * GST_GENESYS_MAX_PENDING_PER_PEER; i++) {
    GSocket *socket = raw_connect ("127.0.0.1", f.port);
    gchar *head, *req = i % 2 ? upgrade_request (f.port, NULL) :
        g_strdup ("GET /nothing HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n");

    /* upgraded or answered: either way no longer waiting */
    g_assert_true (raw_send (socket, req));
    head = raw_read_head (socket, WAIT);
    if (!g_str_has_prefix (head, i % 2 ? "HTTP/1.1 101 " : "HTTP/1.1 404 "))
      g_error ("request %u: '%s'", i, head);
    g_free (head);
    g_free (req);
    g_object_unref (socket);
  }

  for (i = 0; i < G_N_ELEMENTS (sockets); i++)
    sockets[i] = raw_connect ("127.0.0.1", f.port);
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while ((open = count_open (sockets, G_N_ELEMENTS (sockets)))
      > GST_GENESYS_MAX_PENDING_PER_PEER && g_get_monotonic_time () < end)
    spin (20);
  g_test_message ("%u of 100 open", open);
  g_assert_cmpuint (open, ==, GST_GENESYS_MAX_PENDING_PER_PEER);

  /* they have idled longer than a real handshake takes: the real client
   * pushes out the oldest */
  spin (GST_GENESYS_PENDING_IDLE_MS + 100);
  g_assert_true (real_client_opens (f.port));
  g_assert_cmpuint (count_open (sockets, G_N_ELEMENTS (sockets)), <=,
      GST_GENESYS_MAX_PENDING_PER_PEER);
  for (i = 0; i < G_N_ELEMENTS (sockets); i++)
    g_object_unref (sockets[i]);
  fixture_stop (&f);
}

/* F3: of 1100 idle connections from 20 addresses, 1024 stay open. */
static void
test_overall_cap (void)
{
  Fixture f;
  GSocket *sockets[1100];
  gint64 end;
  guint i, open;

  fixture_start (&f);
  for (i = 0; i < G_N_ELEMENTS (sockets); i++) {
    gchar *from = g_strdup_printf ("127.0.1.%u", 1 + i / 55);
    sockets[i] = raw_connect (from, f.port);
    g_free (from);
  }
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while ((open = count_open (sockets, G_N_ELEMENTS (sockets)))
      > GST_GENESYS_MAX_PENDING && g_get_monotonic_time () < end)
    spin (20);
  g_test_message ("%u of %u open", open, (guint) G_N_ELEMENTS (sockets));
  g_assert_cmpuint (open, ==, GST_GENESYS_MAX_PENDING);
  spin (GST_GENESYS_PENDING_IDLE_MS + 100);
  g_assert_true (real_client_opens (f.port));
  for (i = 0; i < G_N_ELEMENTS (sockets); i++)
    g_object_unref (sockets[i]);
  fixture_stop (&f);
}

static void
limit_child_setup (gpointer data)
{
  struct rlimit rl = { 256, 256 };

  setrlimit (RLIMIT_NOFILE, &rl);
  /* not left behind by a failed test */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* utime + stime of @pid in clock ticks. */
static guint64
process_cpu_ticks (GPid pid)
{
  gchar *file = g_strdup_printf ("/proc/%d/stat", (gint) pid), *text = NULL;
  gchar **fields;
  guint64 ticks;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  /* after the command's ")": state is field 3, utime 14, stime 15 */
  fields = g_strsplit (strrchr (text, ')') + 2, " ", -1);
  ticks = g_ascii_strtoull (fields[11], NULL, 10)
      + g_ascii_strtoull (fields[12], NULL, 10);
  g_strfreev (fields);
  g_free (text);
  g_free (file);
  return ticks;
}

static gboolean
subprocess_exited (GSubprocess * proc)
{
  return g_subprocess_get_identifier (proc) == NULL;
}

/* Lines in the file open at @fd; the first bytes of it in @start. */
static guint
count_lines (gint fd, gchar * start, gsize start_size)
{
  gchar buf[65536];
  guint lines = 0;
  goffset offset = 0;
  gssize n, i;

  memset (start, 0, start_size);
  while ((n = pread (fd, buf, sizeof (buf), offset)) > 0) {
    if (offset < (goffset) start_size - 1)
      memcpy (start + offset, buf, MIN ((gsize) n, start_size - 1 - offset));
    for (i = 0; i < n; i++)
      lines += buf[i] == '\n';
    offset += n;
  }
  return lines;
}

/* F3: gst-genesys-serve with 256 descriptors and 400 idle connections:
 * little on stderr, the CPU mostly idle, and once the attackers are gone a
 * real client gets in. */
static void
test_descriptor_limit (void)
{
  GSubprocessLauncher *launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  gchar *err_path = g_build_filename (g_get_tmp_dir (),
      "genesys-hostile-stderr-XXXXXX", NULL), *line, start[2001];
  GSubprocess *proc;
  GDataInputStream *out;
  GSocket *sockets[400];
  GError *error = NULL;
  guint port = 0, i, lines, connected;
  gint64 end;
  guint64 ticks;
  gdouble cpu;
  gint fd, err_fd;

  /* stderr goes to a file already unlinked: nothing is left behind */
  fd = g_mkstemp (err_path);
  g_assert_cmpint (fd, >=, 0);
  g_unlink (err_path);
  err_fd = dup (fd);
  g_subprocess_launcher_set_child_setup (launcher, limit_child_setup, NULL,
      NULL);
  g_subprocess_launcher_take_stderr_fd (launcher, fd);
  /* what an operator sees by default */
  g_subprocess_launcher_unsetenv (launcher, "GST_DEBUG");
  proc = g_subprocess_launcher_spawn (launcher, &error, SERVE_BINARY,
      "--address", "127.0.0.1", "--port", "0", "--path", PATH, "--quiet",
      "--", LAUNCH, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while (!port && (line = g_data_input_stream_read_line (out, NULL, NULL,
              NULL))) {
    const gchar *colon = strrchr (line, ':');
    if (g_str_has_prefix (line, "listening on ") && colon)
      port = atoi (colon + 1);
    g_free (line);
  }
  g_assert_cmpuint (port, >, 0);

  /* 50 from each of 8 addresses (under the per-address cap), 25 at a
   * time: each batch connected, as far as the backlog lets, before the
   * next */
  connected = 0;
  for (i = 0; i < G_N_ELEMENTS (sockets); i += 25) {
    guint j, done = 0;
    for (j = i; j < i + 25; j++) {
      gchar *from = g_strdup_printf ("127.0.0.%u", 10 + j / 50);
      sockets[j] = raw_connect_start (from, port);
      g_free (from);
    }
    end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
    while (done < 25 && g_get_monotonic_time () < end) {
      g_usleep (5000);
      for (j = i, done = 0; j < i + 25; j++)
        if (g_socket_condition_check (sockets[j], G_IO_OUT) & G_IO_OUT)
          done++;
    }
    connected += done;
  }
  g_test_message ("%u of %u connected", connected,
      (guint) G_N_ELEMENTS (sockets));
  g_usleep (500 * 1000);
  ticks = process_cpu_ticks (atoi (g_subprocess_get_identifier (proc)));
  g_usleep (3 * G_USEC_PER_SEC);
  cpu = (process_cpu_ticks (atoi (g_subprocess_get_identifier (proc)))
      - ticks) * 100.0 / sysconf (_SC_CLK_TCK) / 3.0;
  lines = count_lines (err_fd, start, sizeof (start));
  g_test_message ("CPU at the descriptor limit: %.1f %% of a core; stderr "
      "%u line(s)", cpu, lines);
  g_assert_cmpfloat (cpu, <, 50.0);
  g_assert_cmpuint (lines, <, 20);

  for (i = 0; i < G_N_ELEMENTS (sockets); i++)
    g_object_unref (sockets[i]);
  g_assert_true (real_client_opens (port));

  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (subprocess_exited (proc));
  lines = count_lines (err_fd, start, sizeof (start));
  g_test_message ("stderr: %u line(s):\n%s", lines, start);
  g_assert_cmpuint (lines, <, 20);
  close (err_fd);
  g_free (err_path);
  g_object_unref (out);
  g_object_unref (proc);
  g_object_unref (launcher);
}

/* The listen backlog of the socket listening on @port in this process
 * (TCP_INFO of a listening socket: tcpi_sacked is its backlog). */
static guint
listen_backlog_of (guint port)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *e;
  guint backlog = 0;

  g_assert_nonnull (dir);
  while ((e = readdir (dir))) {
    gint fd = atoi (e->d_name), listening = 0;
    struct sockaddr_in sa;
    struct tcp_info info;
    socklen_t len = sizeof (sa), ilen = sizeof (listening);

    if (e->d_name[0] == '.' || fd == dirfd (dir))
      continue;
    if (getsockname (fd, (struct sockaddr *) &sa, &len) != 0
        || sa.sin_family != AF_INET || ntohs (sa.sin_port) != port)
      continue;
    if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0
        || !listening)
      continue;
    ilen = sizeof (info);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &ilen) == 0)
      backlog = info.tcpi_sacked;
  }
  closedir (dir);
  return backlog;
}

typedef struct
{
  GSocket *socket;
  gboolean sent;
  GString *head;
  gboolean upgraded;
} Burst;

/* F8: a listen backlog for bursts, and 300 upgrades connected at once all
 * succeed. */
static void
test_burst (void)
{
  Fixture f;
  Burst b[300];
  gint64 end;
  guint i, upgraded = 0, backlog;

  fixture_start (&f);
  backlog = listen_backlog_of (f.port);
  g_test_message ("listen backlog %u", backlog);
  g_assert_cmpuint (backlog, >=, 1024);

  for (i = 0; i < G_N_ELEMENTS (b); i++) {
    /* 50 from each address: under the per-address cap */
    gchar *from = g_strdup_printf ("127.0.0.%u", 30 + i / 50);

    b[i].socket = raw_connect_start (from, f.port);
    b[i].sent = FALSE;
    b[i].head = g_string_new (NULL);
    b[i].upgraded = FALSE;
    g_free (from);
  }

  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (upgraded < G_N_ELEMENTS (b) && g_get_monotonic_time () < end) {
    for (i = 0; i < G_N_ELEMENTS (b); i++) {
      gchar buf[512];
      gssize n;

      if (b[i].upgraded)
        continue;
      if (!b[i].sent) {
        gchar *req;
        if (!(g_socket_condition_check (b[i].socket, G_IO_OUT) & G_IO_OUT))
          continue;
        g_assert_true (g_socket_check_connect_result (b[i].socket, NULL));
        req = upgrade_request (f.port, NULL);
        g_assert_true (raw_send (b[i].socket, req));
        g_free (req);
        b[i].sent = TRUE;
      }
      n = g_socket_receive_with_blocking (b[i].socket, buf, sizeof (buf),
          FALSE, NULL, NULL);
      if (n > 0)
        g_string_append_len (b[i].head, buf, n);
      if (strstr (b[i].head->str, "\r\n\r\n")) {
        g_assert_true (g_str_has_prefix (b[i].head->str, "HTTP/1.1 101 "));
        b[i].upgraded = TRUE;
        upgraded++;
      }
    }
    spin (5);
  }
  g_test_message ("%u of %u upgraded", upgraded, (guint) G_N_ELEMENTS (b));
  g_assert_cmpuint (upgraded, ==, G_N_ELEMENTS (b));
  for (i = 0; i < G_N_ELEMENTS (b); i++) {
    g_object_unref (b[i].socket);
    g_string_free (b[i].head, TRUE);
  }
  fixture_stop (&f);
}

/* F5: permessage-deflate is declined, and a compressed frame (RSV1) is a
 * protocol error (1002), never inflated. */
static void
test_deflate_declined (void)
{
  Fixture f;
  GSocket *socket;
  gchar *req, *head, *lower;
  /* FIN + RSV1 + text, masked, 5 bytes */
  const guint8 frame[] = { 0xc1, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2,
    'l' ^ 3, 'l' ^ 4, 'o' ^ 1
  };
  guint8 reply[4];
  gssize n;

  fixture_start (&f);
  socket = raw_connect ("127.0.0.1", f.port);
  req = upgrade_request (f.port, "Sec-WebSocket-Extensions: "
      "permessage-deflate; client_max_window_bits\r\n");
  g_assert_true (raw_send (socket, req));
  g_free (req);
  head = raw_read_head (socket, WAIT);
  lower = g_ascii_strdown (head, -1);
  g_test_message ("%s", head);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101 "));
  g_assert_null (strstr (lower, "sec-websocket-extensions"));
  g_free (lower);
  g_free (head);

  g_assert_cmpint (g_socket_send (socket, (const gchar *) frame,
          sizeof (frame), NULL, NULL), ==, sizeof (frame));
  g_socket_set_timeout (socket, WAIT / 1000);
  n = g_socket_receive (socket, (gchar *) reply, sizeof (reply), NULL, NULL);
  g_assert_cmpint (n, ==, 4);
  g_assert_cmpuint (reply[0], ==, 0x88);        /* FIN + close */
  g_assert_cmpuint (reply[1], ==, 2);
  g_assert_cmpuint ((reply[2] << 8) | reply[3], ==, 1002);
  g_object_unref (socket);
  fixture_stop (&f);
}

/* An upgraded connection: 101 read. */
static GSocket *
raw_upgraded (guint port)
{
  GSocket *socket = raw_connect ("127.0.0.1", port);
  gchar *req = upgrade_request (port, NULL), *head;

  g_assert_true (raw_send (socket, req));
  g_free (req);
  head = raw_read_head (socket, WAIT);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101 "));
  g_free (head);
  return socket;
}

/* A masked client frame header (the payload follows, any bytes). */
static gsize
frame_header (guint8 * h, gboolean fin, guint8 opcode, guint64 len)
{
  gsize n = 0;
  guint i;

  h[n++] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) {
    h[n++] = 0x80 | len;
  } else if (len <= 0xffff) {
    h[n++] = 0x80 | 126;
    h[n++] = len >> 8;
    h[n++] = len & 0xff;
  } else {
    h[n++] = 0x80 | 127;
    for (i = 0; i < 8; i++)
      h[n++] = (len >> (56 - 8 * i)) & 0xff;
  }
  for (i = 0; i < 4; i++)
    h[n++] = 0x11;
  return n;
}

/* The close code of the first close frame in what the server sent, 0 when
 * none came (yet). Reads what is there without waiting. */
static guint
raw_close_code (GSocket * socket, GByteArray * seen)
{
  guint8 buf[4096];
  gssize n;
  gsize i = 0;

  while ((n = g_socket_receive_with_blocking (socket, (gchar *) buf,
              sizeof (buf), FALSE, NULL, NULL)) > 0)
    g_byte_array_append (seen, buf, n);
  /* walk the server's (unmasked) frames */
  while (i + 2 <= seen->len) {
    guint8 op = seen->data[i] & 0x0f;
    guint64 len = seen->data[i + 1] & 0x7f;
    gsize h = 2;
    if (len == 126) {
      if (i + 4 > seen->len)
        break;
      len = (seen->data[i + 2] << 8) | seen->data[i + 3];
      h = 4;
    } else if (len == 127) {
      break;                    /* not from this server */
    }
    if (i + h + len > seen->len)
      break;
    if (op == 0x8 && len >= 2)
      return (seen->data[i + h] << 8) | seen->data[i + h + 1];
    i += h + len;
  }
  return 0;
}

/* F4: a text message that never ends (FIN=0, then 64 KiB continuations):
 * closed with 1009 once it passes the endpoint's max message size, with
 * little sent and memory where it was; a real client still gets opened. */
static void
test_fragment_flood (void)
{
  Fixture f;
  GSocket *socket;
  GByteArray *seen = g_byte_array_new ();
  static guint8 chunk[65536 + 14];
  guint64 sent = 0, rss0;
  guint code = 0;
  gint64 end;

  fixture_start (&f);
  rss0 = rss_kib ();
  socket = raw_upgraded (f.port);
  g_socket_set_blocking (socket, FALSE);
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!code && sent < 200 * 1024 * 1024 && g_get_monotonic_time () < end) {
    gsize h = frame_header (chunk, FALSE, sent ? 0x0 : 0x1, 65536);
    gsize off = 0;
    while (off < h + 65536 && g_get_monotonic_time () < end) {
      gssize n = g_socket_send (socket, (const gchar *) chunk + off,
          h + 65536 - off, NULL, NULL);
      if (n > 0) {
        off += n;
        sent += n;
      } else {
        code = raw_close_code (socket, seen);
        if (code || raw_closed (socket))
          break;
        g_usleep (1000);
      }
    }
    if (!code)
      code = raw_close_code (socket, seen);
  }
  g_test_message ("close %u after %" G_GUINT64_FORMAT " KiB sent, RSS %+"
      G_GINT64_FORMAT " KiB", code, sent / 1024,
      (gint64) rss_kib () - (gint64) rss0);
  g_assert_cmpuint (code, ==, 1009);
  {
    GstGenesysServeStats stats;
    gst_genesys_serve_get_stats (f.serve, &stats);
    g_assert_cmpuint (stats.oversized, >=, 1);
  }
  g_assert_cmpuint (sent, <, 32 * 1024 * 1024);
  g_assert_cmpint ((gint64) rss_kib () - (gint64) rss0, <,
      32 * 1024 + RSS_SLACK_KIB);
  g_assert_true (real_client_opens (f.port));
  g_object_unref (socket);
  g_byte_array_unref (seen);
  fixture_stop (&f);
}

/* F6: a client that never reads and sends pings as fast as it can: cut off
 * once the pongs it owes pile up, with memory where it was; a real client
 * still gets opened. */
static void
test_ping_flood (void)
{
  Fixture f;
  GSocket *socket;
  guint8 ping[125 + 14];
  gsize h = frame_header (ping, TRUE, 0x9, 125);
  guint64 pings = 0, rss0;
  gboolean cut = FALSE;
  gint64 end;

  fixture_start (&f);
  rss0 = rss_kib ();
  socket = raw_socket ("127.0.0.1");
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 4096, NULL);
  {
    GSocketAddress *addr = server_address (f.port);
    gchar *req = upgrade_request (f.port, NULL), *head;
    g_assert_true (g_socket_connect (socket, addr, NULL, NULL));
    g_object_unref (addr);
    g_assert_true (raw_send (socket, req));
    g_free (req);
    head = raw_read_head (socket, WAIT);
    g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101 "));
    g_free (head);
  }
  g_socket_set_blocking (socket, FALSE);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  memset (ping + h, 'p', 125);
  while (!cut && g_get_monotonic_time () < end) {
    gsize off = 0;
    /* whole frames only */
    while (!cut && off < h + 125 && g_get_monotonic_time () < end) {
      GError *error = NULL;
      gssize n = g_socket_send (socket, (const gchar *) ping + off,
          h + 125 - off, NULL, &error);
      if (n > 0)
        off += n;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_usleep (1000);
      else
        cut = TRUE;             /* reset, broken pipe: the server let go */
      g_clear_error (&error);
    }
    pings++;
  }
  g_test_message ("%s after %" G_GUINT64_FORMAT " pings, RSS %+" G_GINT64_FORMAT
      " KiB", cut ? "cut off" : "not cut off", pings,
      (gint64) rss_kib () - (gint64) rss0);
  g_assert_true (cut);
  {
    GstGenesysServeStats stats;
    gst_genesys_serve_get_stats (f.serve, &stats);
    g_assert_cmpuint (stats.slow_readers, >=, 1);
  }
  g_assert_cmpint ((gint64) rss_kib () - (gint64) rss0, <,
      32 * 1024 + RSS_SLACK_KIB);
  g_assert_true (real_client_opens (f.port));
  g_object_unref (socket);
  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  struct rlimit rl;

  /* the attackers and the server's side of them share this process */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/hostile/body-refused", test_body_refused);
  g_test_add_func ("/hostile/deflate-declined", test_deflate_declined);
  g_test_add_func ("/hostile/per-peer-cap", test_per_peer_cap);
  g_test_add_func ("/hostile/overall-cap", test_overall_cap);
  g_test_add_func ("/hostile/burst", test_burst);
  g_test_add_func ("/hostile/deadline", test_deadline);
  g_test_add_func ("/hostile/descriptor-limit", test_descriptor_limit);
  g_test_add_func ("/hostile/fragment-flood", test_fragment_flood);
  g_test_add_func ("/hostile/ping-flood", test_ping_flood);
  return g_test_run ();
}
