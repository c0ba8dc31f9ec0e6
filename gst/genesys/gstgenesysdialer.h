/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Dials a WebSocket server again and again for one logical stream, on the
 * GstGenesysLoop of its owner: builds the upgrade request (User-Agent,
 * extra headers, the owner's headers and signature through hooks), TLS
 * with a CA file or without validation, a connect timeout, keep-alive
 * below any protocol (WebSocket pings and a pong watchdog), the retry
 * backoff and the rules for what retrying cannot fix (HTTP statuses, TLS,
 * close codes). It reports through callbacks on the loop thread and knows
 * nothing of what is spoken on the connection. */

#ifndef __GST_GENESYS_DIALER_H__
#define __GST_GENESYS_DIALER_H__

#include <gst/gst.h>
#include <libsoup/soup.h>
#include "gstgenesysloop.h"
#include "gstgenesysclientevent.h"

G_BEGIN_DECLS
#define GST_GENESYS_CLIENT_ERROR (gst_genesys_client_error_quark ())
    GQuark gst_genesys_client_error_quark (void);

typedef enum
{
  GST_GENESYS_CLIENT_ERROR_CONFIG,      /* bad URI, secret, CA file, ... */
  GST_GENESYS_CLIENT_ERROR_REFUSED,     /* HTTP status at upgrade that retrying cannot fix */
  GST_GENESYS_CLIENT_ERROR_TLS, /* certificate refused with validation on */
  GST_GENESYS_CLIENT_ERROR_CLOSED,      /* a close code that retrying cannot fix */
  GST_GENESYS_CLIENT_ERROR_PROTOCOL,    /* the server broke the protocol */
  GST_GENESYS_CLIENT_ERROR_NO_MEDIA,    /* the server chose no media */
  GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED,        /* disconnect reason unauthorized */
  GST_GENESYS_CLIENT_ERROR_SERVER,      /* disconnect reason error */
  GST_GENESYS_CLIENT_ERROR_GAVE_UP,     /* out of retries */
} GstGenesysClientError;

typedef struct _GstGenesysDialer GstGenesysDialer;

typedef struct
{
  const gchar *uri;             /* ws:// or wss:// */
  const gchar *user_agent;
  const GstStructure *extra_headers;    /* may be NULL */
  const gchar *tls_ca_file;     /* PEM CA certificates to trust, NULL: system */
  gboolean tls_validation;
  /* named in the error of a 401 or 403, e.g. "the credentials in
   * extra-headers" */
  const gchar *credentials_hint;
  guint64 connect_timeout;      /* ns */
  guint64 keepalive_interval;   /* ns, 0: off; WebSocket pings, whole seconds */
  guint64 keepalive_timeout;    /* ns: pong grace beyond the interval */
  guint64 backoff_base;         /* ns */
  guint64 backoff_max;          /* ns */
  gint retries;                 /* -1: forever */
  guint64 stable_time;          /* ns a connection must stay opened to reset the backoff */
} GstGenesysDialerConfig;

typedef struct
{
  /* Before User-Agent and the extra headers: the owner's own headers
   * (which the extra headers may replace). May be NULL. */
  void (*headers) (SoupMessageHeaders * headers, gpointer user_data);
  /* After every header is set: sign the request as it stands. FALSE with
   * @error: the configuration is unusable. May be NULL. */
    gboolean (*sign) (SoupMessageHeaders * headers, const gchar * authority,
      const gchar * target, gpointer user_data, GError ** error);
  /* CONNECTING (attempt; 0 for the first) and RECONNECTING (attempt,
   * delay, cause), for the owner to fill in and pass on. */
  void (*event) (GstGenesysClientEvent * event, gpointer user_data);
  /* Upgraded: @ws is open; the owner takes its own reference. */
  void (*connected) (SoupWebsocketConnection * ws, gpointer user_data);
  /* No pong in time: the connection is dead; the owner ends it. */
  void (*dead) (gpointer user_data);
  /* Something retrying cannot fix, or out of retries. */
  void (*failed) (const GError * error, gpointer user_data);
} GstGenesysDialerCallbacks;

/* Checks @config (URI, CA file) and copies it; NULL with @error. */
GstGenesysDialer *gst_genesys_dialer_new (const GstGenesysDialerConfig *
    config, const GstGenesysDialerCallbacks * callbacks, gpointer user_data,
    GError ** error);
/* After gst_genesys_dialer_shutdown(), or never started. */
void gst_genesys_dialer_free (GstGenesysDialer * dialer);

/* Starts a loop thread named @name and dials on it; returns the loop, on
 * which the owner runs what it does with the connection. */
GstGenesysLoop *gst_genesys_dialer_start (GstGenesysDialer * dialer,
    const gchar * name);
/* Not on the loop thread: runs @stop on the loop thread, stops dialing
 * and closes an open connection with 1000; waits (a second at most) for a
 * pending connect and for the connection to be lost; runs @teardown on
 * the loop thread and lets go of the socket, libsoup and the loop. */
void gst_genesys_dialer_shutdown (GstGenesysDialer * dialer,
    GSourceFunc stop, GSourceFunc teardown, gpointer owner);

/* Loop thread from here on. */
/* Another attempt: at once (@immediate) or after the backoff; reports
 * failed() when out of retries. */
void gst_genesys_dialer_retry (GstGenesysDialer * dialer, gboolean immediate,
    const gchar * cause);
/* The connection carries the stream now: the backoff is reset when it has
 * stayed so for the stable time by the time it is lost. */
void gst_genesys_dialer_opened (GstGenesysDialer * dialer);
/* The connection is gone with @code: counted, keep-alive stopped, the
 * socket let go of. */
void gst_genesys_dialer_lost (GstGenesysDialer * dialer, gushort code);
/* No more attempts: cancels a connect and a pending retry. */
void gst_genesys_dialer_stop (GstGenesysDialer * dialer);
/* Any thread: connection-attempts, connections, reconnects,
 * keepalive-timeouts, close-code-N and close-codes into @s; zeros for a
 * NULL @dialer. */
void gst_genesys_dialer_add_stats (GstGenesysDialer * dialer, GstStructure * s);

/* Close codes that another connection will not change. */
gboolean gst_genesys_close_code_is_fatal (gushort code);

/* The @authority and @request_target of a ws(s) URI as libsoup sends them
 * (Host header without a default port; path and query). */
gboolean gst_genesys_uri_parts (const gchar * uri, gchar ** authority,
    gchar ** request_target, gboolean * tls, GError ** error);
/* For the elements' GstURIHandler: the protocols (ws, wss), and whether
 * @element may take @uri now (a GST_URI_ERROR when not). */
const gchar *const *gst_genesys_uri_protocols (GType type);
gboolean gst_genesys_uri_acceptable (GstElement * element, const gchar * uri,
    GError ** error);

/* Signs an AudioHook upgrade request as its headers stand (organization,
 * session, correlation, X-API-KEY) with @client_secret (base64) for
 * @api_key; nothing when the secret is NULL or empty. For a dialer's sign
 * hook. */
gboolean gst_genesys_sign_request (SoupMessageHeaders * h,
    const gchar * authority, const gchar * target, const gchar * api_key,
    const gchar * client_secret, GError ** error);

G_END_DECLS
#endif /* __GST_GENESYS_DIALER_H__ */
