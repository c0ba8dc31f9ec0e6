/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The connection properties of genesyssrc's client mode and genesyssink,
 * see gstgenesysclientprops.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/base/gstbasesrc.h>

#include "gstgenesysclientprops.h"

#define DEFAULT_TLS_VALIDATION TRUE
#define DEFAULT_KEEPALIVE_INTERVAL (15 * GST_SECOND)
#define DEFAULT_KEEPALIVE_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_RETRY_BACKOFF_FACTOR (100 * GST_MSECOND)
#define DEFAULT_RETRY_BACKOFF_MAX (10 * GST_SECOND)
#define DEFAULT_RETRIES -1

/* Per element class: where its GstGenesysClientProps is, and its hook. */
typedef struct
{
  gsize offset;
  GstGenesysUriTakenFunc uri_taken;
} ClassInfo;

static GQuark
info_quark (void)
{
  return g_quark_from_static_string ("gst-genesys-client-props");
}

static const ClassInfo *
class_info (GstElement * element)
{
  GType type = G_OBJECT_TYPE (element);
  const ClassInfo *info = NULL;

  while (info == NULL && type != 0) {
    info = g_type_get_qdata (type, info_quark ());
    type = g_type_parent (type);
  }
  g_assert (info != NULL);
  return info;
}

static GstGenesysClientProps *
props_of (GstElement * element)
{
  return G_STRUCT_MEMBER_P (element, class_info (element)->offset);
}

/* A blurb with the element's @scope ahead, kept for the life of the
 * process like the class. */
static const gchar *
scoped (const gchar * scope, const gchar * blurb)
{
  gchar *s = g_strconcat (scope, blurb, NULL);
  const gchar *interned;

  s[0] = g_ascii_toupper (s[0]);
  interned = g_intern_string (s);

  g_free (s);
  return interned;
}

void
gst_genesys_client_props_install (GObjectClass * klass, gsize offset,
    const gchar * scope, GstGenesysUriTakenFunc uri_taken)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_NAME |
      G_PARAM_STATIC_NICK | G_PARAM_STATIC_BLURB | GST_PARAM_MUTABLE_READY;
  ClassInfo *info = g_new0 (ClassInfo, 1);

  info->offset = offset;
  info->uri_taken = uri_taken;
  g_type_set_qdata (G_OBJECT_CLASS_TYPE (klass), info_quark (), info);

  /**
   * GstGenesysSink:uri:
   *
   * The AudioHook server: `ws://host[:port]/path[?query]` or `wss://...`.
   * The path and query are part of what the request signature covers. The
   * element is a #GstURIHandler for ws:// and wss://. A URI that is not
   * one is refused, and the element says why when it starts.
   */
  /**
   * GstGenesysSrc:uri:
   *
   * Client mode: the ws:// or wss:// URI to connect to. The element is
   * also a #GstURIHandler for ws:// and wss://; a URI set through that
   * interface selects client mode too.
   */
  g_object_class_install_property (klass, GST_GENESYS_CLIENT_PROP_URI,
      g_param_spec_string ("uri", "URI", scoped (scope,
              "ws:// or wss:// URI of the server"), NULL, rw));
  /**
   * GstGenesysSink:extra-headers:
   *
   * More headers for the upgrade request: each field is a header name,
   * its value the header value (for example `h, Authorization="Bearer
   * T"`). They are added before signing.
   */
  /**
   * GstGenesysSrc:extra-headers:
   *
   * Client mode: see #GstGenesysSink:extra-headers.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_EXTRA_HEADERS,
      g_param_spec_boxed ("extra-headers", "Extra headers", scoped (scope,
              "extra request headers (field name: header, value: value)"),
          GST_TYPE_STRUCTURE, rw));
  /**
   * GstGenesysSink:tls-ca-file:
   *
   * PEM file of the CA certificates to trust for wss:// instead of the
   * system's (a private CA, a test certificate). A relative path is taken
   * from the working directory.
   */
  /**
   * GstGenesysSrc:tls-ca-file:
   *
   * Client mode: see #GstGenesysSink:tls-ca-file.
   */
  g_object_class_install_property (klass, GST_GENESYS_CLIENT_PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file", scoped (scope,
              "PEM CA certificates to trust for wss:// (unset: the "
              "system's)"), NULL, rw));
  /**
   * GstGenesysSink:tls-validation:
   *
   * Check the server's certificate. Turn off only for tests: any
   * certificate is then accepted.
   */
  /**
   * GstGenesysSrc:tls-validation:
   *
   * Client mode: see #GstGenesysSink:tls-validation.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_TLS_VALIDATION,
      g_param_spec_boolean ("tls-validation", "TLS validation", scoped (scope,
              "validate the server certificate (FALSE: accept any, tests "
              "only)"), DEFAULT_TLS_VALIDATION, rw));
  /**
   * GstGenesysSink:keepalive-interval:
   *
   * WebSocket ping period, below the idle timeout of load balancers and
   * NATs; libsoup sends them in whole seconds (rounded up). 0 disables
   * the pings and the pong watchdog.
   */
  /**
   * GstGenesysSrc:keepalive-interval:
   *
   * Client mode: see #GstGenesysSink:keepalive-interval.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint64 ("keepalive-interval", "Keep-alive interval",
          scoped (scope, "nanoseconds between WebSocket pings (0: none)"), 0,
          G_MAXUINT64, DEFAULT_KEEPALIVE_INTERVAL, rw));
  /**
   * GstGenesysSink:keepalive-timeout:
   *
   * With no pong for #GstGenesysSink:keepalive-interval plus this long, the
   * connection is taken for dead (half-open TCP, dropped NAT mapping) and
   * handled like a drop without a close frame (1006): reconnect.
   */
  /**
   * GstGenesysSrc:keepalive-timeout:
   *
   * Client mode: see #GstGenesysSink:keepalive-timeout.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_KEEPALIVE_TIMEOUT,
      g_param_spec_uint64 ("keepalive-timeout", "Keep-alive timeout",
          scoped (scope, "nanoseconds of pong grace beyond "
              "keepalive-interval"), 0, G_MAXUINT64,
          DEFAULT_KEEPALIVE_TIMEOUT, rw));
  /**
   * GstGenesysSink:retry-backoff-factor:
   *
   * Ceiling of the first reconnection delay; each further attempt doubles
   * it up to #GstGenesysSink:retry-backoff-max, and the delay is drawn
   * uniformly below the ceiling (full jitter). A session that stays open
   * for 1 s (genesyssrc: a connection up for 10 s) resets it.
   */
  /**
   * GstGenesysSrc:retry-backoff-factor:
   *
   * Client mode: see #GstGenesysSink:retry-backoff-factor.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_FACTOR,
      g_param_spec_uint64 ("retry-backoff-factor", "Retry backoff factor",
          scoped (scope, "nanoseconds, ceiling of the first reconnection "
              "delay"), 0, G_MAXUINT64, DEFAULT_RETRY_BACKOFF_FACTOR, rw));
  /**
   * GstGenesysSink:retry-backoff-max:
   *
   * Largest ceiling of a reconnection delay.
   */
  /**
   * GstGenesysSrc:retry-backoff-max:
   *
   * Client mode: see #GstGenesysSink:retry-backoff-max.
   */
  g_object_class_install_property (klass,
      GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_MAX,
      g_param_spec_uint64 ("retry-backoff-max", "Retry backoff max",
          scoped (scope, "nanoseconds, largest reconnection delay"), 0,
          G_MAXUINT64, DEFAULT_RETRY_BACKOFF_MAX, rw));
  /**
   * GstGenesysSink:retries:
   *
   * Reconnection attempts in a row before giving up with an error; -1
   * retries forever.
   */
  /**
   * GstGenesysSrc:retries:
   *
   * Client mode: see #GstGenesysSink:retries.
   */
  g_object_class_install_property (klass, GST_GENESYS_CLIENT_PROP_RETRIES,
      g_param_spec_int ("retries", "Retries", scoped (scope,
              "reconnection attempts in a row before an error (-1: "
              "forever)"), -1, G_MAXINT, DEFAULT_RETRIES, rw));
}

void
gst_genesys_client_props_init (GstGenesysClientProps * props)
{
  memset (props, 0, sizeof (*props));
  props->tls_validation = DEFAULT_TLS_VALIDATION;
  props->keepalive_interval = DEFAULT_KEEPALIVE_INTERVAL;
  props->keepalive_timeout = DEFAULT_KEEPALIVE_TIMEOUT;
  props->retry_backoff_factor = DEFAULT_RETRY_BACKOFF_FACTOR;
  props->retry_backoff_max = DEFAULT_RETRY_BACKOFF_MAX;
  props->retries = DEFAULT_RETRIES;
}

void
gst_genesys_client_props_clear (GstGenesysClientProps * props)
{
  g_clear_pointer (&props->uri, g_free);
  g_clear_pointer (&props->uri_error, g_free);
  g_clear_pointer (&props->extra_headers, gst_structure_free);
  g_clear_pointer (&props->tls_ca_file, g_free);
}

void
gst_genesys_client_props_copy (GstGenesysClientProps * dst,
    const GstGenesysClientProps * src)
{
  *dst = *src;
  dst->uri = g_strdup (src->uri);
  dst->uri_error = g_strdup (src->uri_error);
  dst->extra_headers = src->extra_headers ?
      gst_structure_copy (src->extra_headers) : NULL;
  dst->tls_ca_file = g_strdup (src->tls_ca_file);
}

void
gst_genesys_client_props_to_dialer (const GstGenesysClientProps * props,
    GstGenesysDialerConfig * config)
{
  config->uri = props->uri;
  config->extra_headers = props->extra_headers;
  config->tls_ca_file = props->tls_ca_file;
  config->tls_validation = props->tls_validation;
  config->keepalive_interval = props->keepalive_interval;
  config->keepalive_timeout = props->keepalive_timeout;
  config->backoff_base = props->retry_backoff_factor;
  config->backoff_max = props->retry_backoff_max;
  config->retries = props->retries;
}

/* A URI through the property: a wrong one is kept out and its reason
 * said when the element starts. */
static void
set_uri_property (GstElement * element, const gchar * uri)
{
  GstGenesysClientProps *props = props_of (element);
  GError *error = NULL;

  if (uri == NULL) {
    GST_OBJECT_LOCK (element);
    g_clear_pointer (&props->uri, g_free);
    g_clear_pointer (&props->uri_error, g_free);
    GST_OBJECT_UNLOCK (element);
  } else if (!gst_genesys_uri_acceptable (element, uri, &error)) {
    GST_WARNING_OBJECT (element, "uri %s refused: %s", uri, error->message);
    GST_OBJECT_LOCK (element);
    g_free (props->uri_error);
    props->uri_error = g_strdup_printf ("uri '%s' refused: %s", uri,
        error->message);
    GST_OBJECT_UNLOCK (element);
    g_error_free (error);
  } else {
    GST_OBJECT_LOCK (element);
    g_free (props->uri);
    props->uri = g_strdup (uri);
    g_clear_pointer (&props->uri_error, g_free);
    GST_OBJECT_UNLOCK (element);
  }
}

static void
replace_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

gboolean
gst_genesys_client_props_set_property (GstElement * element, guint prop_id,
    const GValue * value)
{
  GstGenesysClientProps *props = props_of (element);

  if (prop_id == GST_GENESYS_CLIENT_PROP_URI) {
    set_uri_property (element, g_value_get_string (value));
    return TRUE;
  }
  if (prop_id == 0 || prop_id >= GST_GENESYS_CLIENT_PROP_LAST)
    return FALSE;

  GST_OBJECT_LOCK (element);
  switch (prop_id) {
    case GST_GENESYS_CLIENT_PROP_EXTRA_HEADERS:{
      const GstStructure *h = gst_value_get_structure (value);
      g_clear_pointer (&props->extra_headers, gst_structure_free);
      props->extra_headers = h ? gst_structure_copy (h) : NULL;
      break;
    }
    case GST_GENESYS_CLIENT_PROP_TLS_CA_FILE:
      replace_string (&props->tls_ca_file, value);
      break;
    case GST_GENESYS_CLIENT_PROP_TLS_VALIDATION:
      props->tls_validation = g_value_get_boolean (value);
      break;
    case GST_GENESYS_CLIENT_PROP_KEEPALIVE_INTERVAL:
      props->keepalive_interval = g_value_get_uint64 (value);
      break;
    case GST_GENESYS_CLIENT_PROP_KEEPALIVE_TIMEOUT:
      props->keepalive_timeout = g_value_get_uint64 (value);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_FACTOR:
      props->retry_backoff_factor = g_value_get_uint64 (value);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_MAX:
      props->retry_backoff_max = g_value_get_uint64 (value);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRIES:
      props->retries = g_value_get_int (value);
      break;
    default:
      g_assert_not_reached ();
  }
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}

gboolean
gst_genesys_client_props_get_property (GstElement * element, guint prop_id,
    GValue * value)
{
  GstGenesysClientProps *props = props_of (element);

  if (prop_id == 0 || prop_id >= GST_GENESYS_CLIENT_PROP_LAST)
    return FALSE;

  GST_OBJECT_LOCK (element);
  switch (prop_id) {
    case GST_GENESYS_CLIENT_PROP_URI:
      g_value_set_string (value, props->uri);
      break;
    case GST_GENESYS_CLIENT_PROP_EXTRA_HEADERS:
      gst_value_set_structure (value, props->extra_headers);
      break;
    case GST_GENESYS_CLIENT_PROP_TLS_CA_FILE:
      g_value_set_string (value, props->tls_ca_file);
      break;
    case GST_GENESYS_CLIENT_PROP_TLS_VALIDATION:
      g_value_set_boolean (value, props->tls_validation);
      break;
    case GST_GENESYS_CLIENT_PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint64 (value, props->keepalive_interval);
      break;
    case GST_GENESYS_CLIENT_PROP_KEEPALIVE_TIMEOUT:
      g_value_set_uint64 (value, props->keepalive_timeout);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_uint64 (value, props->retry_backoff_factor);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_MAX:
      g_value_set_uint64 (value, props->retry_backoff_max);
      break;
    case GST_GENESYS_CLIENT_PROP_RETRIES:
      g_value_set_int (value, props->retries);
      break;
    default:
      g_assert_not_reached ();
  }
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}

/* ---- GstURIHandler ---- */

static GstURIType
uri_get_type (GType type)
{
  return g_type_is_a (type, GST_TYPE_BASE_SRC) ? GST_URI_SRC : GST_URI_SINK;
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstElement *element = GST_ELEMENT (handler);
  gchar *uri;

  GST_OBJECT_LOCK (element);
  uri = g_strdup (props_of (element)->uri);
  GST_OBJECT_UNLOCK (element);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstElement *element = GST_ELEMENT (handler);
  const ClassInfo *info = class_info (element);
  GstGenesysClientProps *props = props_of (element);

  if (!gst_genesys_uri_acceptable (element, uri, error))
    return FALSE;
  GST_OBJECT_LOCK (element);
  g_free (props->uri);
  props->uri = g_strdup (uri);
  g_clear_pointer (&props->uri_error, g_free);
  GST_OBJECT_UNLOCK (element);
  g_object_notify (G_OBJECT (element), "uri");
  if (info->uri_taken)
    info->uri_taken (element);
  return TRUE;
}

void
gst_genesys_client_props_uri_handler_init (gpointer g_iface,
    gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = gst_genesys_uri_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

/* ---- errors ---- */

void
gst_genesys_client_props_post_error (GstElement * element, const GError * error)
{
  gboolean src = GST_IS_BASE_SRC (element);
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = src ? GST_RESOURCE_ERROR_READ : GST_RESOURCE_ERROR_WRITE;
  gchar *uri;

  switch (error->code) {
    case GST_GENESYS_CLIENT_ERROR_CONFIG:
      code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case GST_GENESYS_CLIENT_ERROR_REFUSED:
    case GST_GENESYS_CLIENT_ERROR_TLS:
      code = src ? GST_RESOURCE_ERROR_OPEN_READ : GST_RESOURCE_ERROR_OPEN_WRITE;
      break;
    case GST_GENESYS_CLIENT_ERROR_NO_MEDIA:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FORMAT;
      break;
    case GST_GENESYS_CLIENT_ERROR_PROTOCOL:
    case GST_GENESYS_CLIENT_ERROR_SERVER:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FAILED;
      break;
    default:
      break;
  }
  GST_OBJECT_LOCK (element);
  uri = g_strdup (props_of (element)->uri);
  GST_OBJECT_UNLOCK (element);
  gst_element_message_full (element, GST_MESSAGE_ERROR, domain, code,
      g_strdup (error->message), g_strdup_printf ("uri %s", uri),
      __FILE__, GST_FUNCTION, __LINE__);
  g_free (uri);
}
