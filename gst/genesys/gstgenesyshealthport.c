/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/gst.h>
#include "gstgenesyshealthport.h"

GST_DEBUG_CATEGORY_STATIC (health_debug);
#define GST_CAT_DEFAULT health_debug

/* A request must be complete this soon after the connection, and no more
 * than this many are open at once (a new one ends the oldest): the port
 * faces load balancers and scrapers, not idle or trickling clients. */
#define READ_TIMEOUT_MS 5000
#define MAX_OPEN 64

struct _GstGenesysHealthPort
{
  GSocketService *service;
  GMainContext *context;
  GstGenesysHealthAnswerFunc answer;
  gpointer user_data;
  guint port;
  GQueue open;                  /* requests being read or answered */
};

typedef struct
{
  GstGenesysHealthPort *port;   /* NULL: the port is gone */
  GIOStream *stream;
  GCancellable *cancel;         /* the deadline passed, the port is gone */
  GSource *deadline;
  gchar request[1024];
  gsize len;
  gchar *response;
  gsize response_len;
} Request;

static void
request_free (Request * req)
{
  if (req->deadline) {
    g_source_destroy (req->deadline);
    g_source_unref (req->deadline);
  }
  if (req->port)
    g_queue_remove (&req->port->open, req);
  g_io_stream_close (req->stream, NULL, NULL);
  g_object_unref (req->stream);
  g_object_unref (req->cancel);
  g_free (req->response);
  g_free (req);
}

static void
written (GObject * source, GAsyncResult * res, gpointer data)
{
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  request_free (data);
}

static void read_done (GObject * source, GAsyncResult * res, gpointer data);

static void
read_more (Request * req)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (req->stream),
      req->request + req->len, sizeof (req->request) - 1 - req->len,
      G_PRIORITY_DEFAULT, req->cancel, read_done, req);
}

static gboolean
deadline_cb (gpointer data)
{
  Request *req = data;

  GST_DEBUG ("no complete request within %u ms: closing", READ_TIMEOUT_MS);
  g_cancellable_cancel (req->cancel);
  return G_SOURCE_REMOVE;
}

static const gchar *
reason_phrase (guint status)
{
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

static void
respond (Request * req, GstGenesysHealthPage page, gboolean head)
{
  GString *body = g_string_new (NULL);
  const gchar *content_type = "text/plain; charset=utf-8";
  GString *response;
  guint status;

  if (page == GST_GENESYS_HEALTH_NOT_FOUND) {
    status = 404;
    g_string_append (body, "not found\n");
  } else {
    status = req->port->answer (page, body, &content_type,
        req->port->user_data);
  }
  response = g_string_new (NULL);
  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n"
      "Content-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
      "Connection: close\r\n\r\n", status, reason_phrase (status),
      content_type, body->len);
  if (!head)
    g_string_append_len (response, body->str, body->len);
  g_string_free (body, TRUE);
  req->response_len = response->len;
  req->response = g_string_free (response, FALSE);
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (req->stream), req->response, req->response_len, G_PRIORITY_DEFAULT,
      req->cancel, written, req);
}

static void
read_done (GObject * source, GAsyncResult * res, gpointer data)
{
  Request *req = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);
  GstGenesysHealthPage page;
  gboolean head;

  /* cancelled (the deadline passed, the port is gone), closed or failed */
  if (n <= 0 || !req->port) {
    request_free (req);
    return;
  }
  req->len += n;
  req->request[req->len] = '\0';
  page = gst_genesys_health_page (req->request, req->len,
      sizeof (req->request) - 1, &head);
  if (page == GST_GENESYS_HEALTH_INCOMPLETE) {
    read_more (req);
    return;
  }
  /* answered: the deadline no longer applies to the write */
  g_source_destroy (req->deadline);
  g_clear_pointer (&req->deadline, g_source_unref);
  respond (req, page, head);
}

static gboolean
incoming (GSocketService * service, GSocketConnection * connection,
    GObject * source, gpointer data)
{
  GstGenesysHealthPort *port = data;
  Request *req;

  /* the port's context: the only one touching port->open */
  if (g_queue_get_length (&port->open) >= MAX_OPEN) {
    Request *oldest = g_queue_peek_head (&port->open);
    GST_DEBUG ("%u requests open: ending the oldest", MAX_OPEN);
    g_cancellable_cancel (oldest->cancel);
  }
  req = g_new0 (Request, 1);
  req->port = port;
  req->stream = g_object_ref (G_IO_STREAM (connection));
  req->cancel = g_cancellable_new ();
  req->deadline = g_timeout_source_new (READ_TIMEOUT_MS);
  g_source_set_callback (req->deadline, deadline_cb, req, NULL);
  g_source_attach (req->deadline, port->context);
  g_queue_push_tail (&port->open, req);
  read_more (req);
  return TRUE;
}

GstGenesysHealthPort *
gst_genesys_health_port_new (GMainContext * context, const gchar * address,
    guint port_number, GstGenesysHealthAnswerFunc answer, gpointer user_data,
    GError ** error)
{
  GstGenesysHealthPort *port;
  GInetAddress *inet;
  GSocketAddress *addr, *bound = NULL;
  GSocketService *service;

  GST_DEBUG_CATEGORY_INIT (health_debug, "genesyshealth", 0,
      "gst-genesys health port");
  inet = g_inet_address_new_from_string (address);
  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' is not an IP address", address);
    return NULL;
  }
  addr = g_inet_socket_address_new (inet, port_number);
  g_object_unref (inet);
  service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, error)) {
    g_object_unref (addr);
    g_object_unref (service);
    return NULL;
  }
  g_object_unref (addr);
  port = g_new0 (GstGenesysHealthPort, 1);
  port->service = service;
  port->context = g_main_context_ref (context);
  port->answer = answer;
  port->user_data = user_data;
  port->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_queue_init (&port->open);
  g_signal_connect (service, "incoming", G_CALLBACK (incoming), port);
  g_socket_service_start (service);
  return port;
}

guint
gst_genesys_health_port_get_port (GstGenesysHealthPort * port)
{
  return port->port;
}

void
gst_genesys_health_port_free (GstGenesysHealthPort * port)
{
  Request *req;

  /* open requests end on their own, after the port */
  while ((req = g_queue_pop_head (&port->open))) {
    req->port = NULL;
    g_cancellable_cancel (req->cancel);
  }
  g_socket_service_stop (port->service);
  g_socket_listener_close (G_SOCKET_LISTENER (port->service));
  g_signal_handlers_disconnect_by_data (port->service, port);
  g_object_unref (port->service);
  g_main_context_unref (port->context);
  g_free (port);
}
