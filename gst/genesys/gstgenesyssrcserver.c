/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc, server mode: listening on address:port for path (shared
 * with the other elements of the process that listen there), and the
 * listener's callbacks on the server's loop threads. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesyssrcpriv.h"
#include "gstgenesyscredentials.h"

/* ---- listener (loop thread) ---- */

static gboolean
listener_claim (gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = self->started && !self->busy && !self->ended;
  if (ok)
    self->busy = TRUE;
  else
    self->stats.refused_busy++;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
listener_unclaim (gpointer user_data)
{
  GstGenesysSrc *self = user_data;

  g_mutex_lock (&self->lock);
  self->busy = FALSE;
  g_mutex_unlock (&self->lock);
}

static void
listener_refused (gpointer user_data, guint status, const GError * error)
{
  GstGenesysSrc *self = user_data;
  const gchar *cause = "bad-request";

  g_mutex_lock (&self->lock);
  if (error->domain == AH_SIGNATURE_ERROR
      && error->code < AH_SIGNATURE_ERROR_N_CODES) {
    self->stats.auth_failures[error->code]++;
    cause = ah_signature_error_nick (error->code);
  } else {
    self->stats.bad_requests++;
  }
  g_mutex_unlock (&self->lock);

  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
      ("Refused an AudioHook connection (HTTP %u): %s", status,
          error->message), (NULL));
  src_post_element_message (self, gst_structure_new ("genesys-auth-failed",
          "status", G_TYPE_UINT, status,
          "cause", G_TYPE_STRING, cause,
          "message", G_TYPE_STRING, error->message, NULL));
}

/* A request for a path no element serves: counted, and said on the bus
 * at most every 10 s. */
static void
listener_not_found (gpointer user_data, const gchar * request_target)
{
  GstGenesysSrc *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean say;
  gchar *path;

  g_mutex_lock (&self->lock);
  self->stats.not_found++;
  say = self->stats.not_found_said == 0
      || now - self->stats.not_found_said >= 10 * G_USEC_PER_SEC;
  if (say)
    self->stats.not_found_said = now;
  g_mutex_unlock (&self->lock);
  if (!say)
    return;
  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path);
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
      ("Refused a request for %s (HTTP 404): this element serves %s",
          request_target, path),
      ("check the integration's Connection URI; counted in stats "
          "not-found, said at most every 10 s"));
  g_free (path);
}

static void
listener_accepted (gpointer user_data, GstGenesysConn * conn)
{
  GstGenesysSrc *self = user_data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  gboolean start_paused;

  GST_OBJECT_LOCK (self);
  start_paused = self->start_paused;
  ah_session_set_supported_languages (session,
      (const gchar * const *) self->languages);
  ah_session_set_idle_timeout (session, self->idle_timeout);
  GST_OBJECT_UNLOCK (self);

  ah_session_set_media_selector (session, src_select_media, self);
  ah_session_set_start_paused (session, start_paused);

  g_mutex_lock (&self->lock);
  self->conn = conn;
  self->conns = g_list_prepend (self->conns, conn);     /* listener's ref */
  g_mutex_unlock (&self->lock);

  gst_genesys_conn_start (conn, &src_conn_callbacks, gst_object_ref (self),
      gst_object_unref);
}

/* ---- start ---- */

static const gchar *const setting_names[3] = { "api-key", "client-secret",
  "credentials-file"
};

/* Server mode: listens on address:port for path. */
gboolean
src_server_start (GstGenesysSrc * self)
{
  GstGenesysServer *server;
  AhVerifier *verifier;
  GError *error = NULL;
  gchar *address, *path, *cert, *key, *api_key, *secret, *creds, *authority;
  guint port;
  gsize max_size;
  gboolean open_door;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  path = g_strdup (self->path);
  cert = g_strdup (self->tls_certificate_file);
  key = g_strdup (self->tls_key_file);
  api_key = g_strdup (self->api_key);
  secret = g_strdup (self->client_secret);
  creds = g_strdup (self->credentials_file);
  authority = g_strdup (self->authority);
  port = self->port;
  max_size = self->max_message_size;
  GST_OBJECT_UNLOCK (self);

  verifier = gst_genesys_verifier_new (api_key, secret, creds, authority,
      setting_names, &open_door, &error);
  if (!verifier && !open_door)
    goto config_error;
  if (open_door) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("No API key is configured: every AudioHook connection is accepted "
            "without authentication."),
        ("set api-key and client-secret, or credentials-file"));
  }

  if ((cert == NULL) != (key == NULL)) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "TLS needs both tls-certificate-file and tls-key-file");
    goto config_error;
  }

  if (!src_join_channel (self, NULL))
    goto fail;
  server = gst_genesys_server_acquire (address, port, cert, key, 0, &error);
  if (!server) {
    src_leave_channel (self);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not listen on %s:%u: %s", address, port, error->message),
        (NULL));
    goto fail;
  }

  if (!gst_genesys_server_check_listener (server, path, verifier, &error)) {
    gst_genesys_server_release (server);
    src_leave_channel (self);
    goto config_error;
  }

  g_mutex_lock (&self->lock);
  self->server = server;
  src_start_serving_locked (self);
  g_mutex_unlock (&self->lock);

  self->listener.path = path;
  self->listener.verifier = verifier;
  self->listener.max_message_size = max_size;
  self->listener.claim = listener_claim;
  self->listener.unclaim = listener_unclaim;
  self->listener.refused = listener_refused;
  self->listener.not_found = listener_not_found;
  self->listener.accepted = listener_accepted;
  self->listener.user_data = self;

  src_reset_output (self);

  GST_OBJECT_LOCK (self);
  self->current_port = gst_genesys_server_get_port (server);
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "current-port");

  gst_genesys_server_add_listener (server, &self->listener);
  GST_INFO_OBJECT (self, "listening on %s:%u%s", address,
      gst_genesys_server_get_port (server), path);

  g_free (address);
  g_free (cert);
  g_free (key);
  g_free (api_key);
  g_free (secret);
  g_free (creds);
  g_free (authority);
  return TRUE;

config_error:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Invalid configuration: %s", error->message), (NULL));
fail:
  g_clear_error (&error);
  if (verifier)
    ah_verifier_free (verifier);
  g_free (address);
  g_free (path);
  g_free (cert);
  g_free (key);
  g_free (api_key);
  g_free (secret);
  g_free (creds);
  g_free (authority);
  return FALSE;
}
