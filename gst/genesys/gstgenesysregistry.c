/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>
#include <gst/gst.h>
#include <hiredis/hiredis.h>
#include "gstgenesysregistry.h"

GST_DEBUG_CATEGORY_STATIC (registry_debug);
#define GST_CAT_DEFAULT registry_debug

#define TIMEOUT_MS 1000
#define INSTANCE_TTL "10"
#define RECORD_TTL "21600"
#define CLOSED_TTL "600"

/* The session's call, that call's owner now, whether the session was
 * closed, the owner's heartbeat, the call's segment, the owner's relay
 * URL. */
static const gchar find_script[] =
    "local s = redis.call('HGETALL', KEYS[1])\n"
    "if #s == 0 then return {} end\n"
    "local t = {}\n"
    "for i = 1, #s, 2 do t[s[i]] = s[i + 1] end\n"
    "local call = t['call'] or ''\n"
    "local owner = redis.call('HGET', 'gg:call:' .. call, 'instance')"
    " or t['instance'] or ''\n"
    "local seg = redis.call('HGET', 'gg:call:' .. call, 'segment') or '0'\n"
    "local state = redis.call('GET', 'gg:instance:' .. owner) or 'gone'\n"
    "local relay = redis.call('GET', 'gg:relay:' .. owner) or ''\n"
    "return {call, owner, t['closed'] or '0', state, seg, relay}\n";

/* The next segment of a call, its owner this instance. */
static const gchar take_script[] =
    "local seg = redis.call('HINCRBY', KEYS[1], 'segment', 1)\n"
    "redis.call('HSET', KEYS[1], 'instance', ARGV[1], 'conversation',"
    " ARGV[2])\n" "redis.call('EXPIRE', KEYS[1], ARGV[3])\n" "return seg\n";

struct _GstGenesysRegistry
{
  gchar *host;
  guint port;
  guint db;
  gchar *instance;
  gchar *relay_url;             /* advertised with the heartbeat; NULL: none */

  GMutex lookup_lock;
  redisContext *lookup;         /* NULL: reconnect on the next lookup */

  GAsyncQueue *queue;           /* GPtrArray of argv strings; empty: quit */
  GThread *writer;
  gint errors;
};

static redisContext *
connect_redis (GstGenesysRegistry * self, GError ** error)
{
  struct timeval tv = { TIMEOUT_MS / 1000, (TIMEOUT_MS % 1000) * 1000 };
  redisContext *c = redisConnectWithTimeout (self->host, self->port, tv);
  redisReply *reply;

  if (!c || c->err) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
        "registry redis://%s:%u: %s", self->host, self->port,
        c ? c->errstr : "out of memory");
    if (c)
      redisFree (c);
    return NULL;
  }
  redisSetTimeout (c, tv);
  reply = redisCommand (c, "SELECT %u", self->db);
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "registry redis://%s:%u/%u: %s", self->host, self->port, self->db,
        reply ? reply->str : c->errstr);
    if (reply)
      freeReplyObject (reply);
    redisFree (c);
    return NULL;
  }
  freeReplyObject (reply);
  return c;
}

/* Runs @argv on @c; FALSE with @error (the context is then unusable when
 * c->err is set). */
static redisReply *
run (redisContext * c, GPtrArray * argv, GError ** error)
{
  redisReply *reply = redisCommandArgv (c, argv->len,
      (const char **) argv->pdata, NULL);

  if (!reply) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "registry: %s",
        c->errstr);
    return NULL;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "registry: %s",
        reply->str);
    freeReplyObject (reply);
    return NULL;
  }
  return reply;
}

static GPtrArray *
command (const gchar * first, ...)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const gchar *arg;
  va_list args;

  va_start (args, first);
  for (arg = first; arg; arg = va_arg (args, const gchar *))
      g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  return argv;
}

/* The writer thread: commands in order; a failed one is counted and
 * logged, and the connection made again for the next. */
static gpointer
writer_thread (gpointer data)
{
  GstGenesysRegistry *self = data;
  redisContext *c = NULL;
  GPtrArray *argv;

  while ((argv = g_async_queue_pop (self->queue))->len > 0) {
    GError *error = NULL;
    redisReply *reply;

    if (!c)
      c = connect_redis (self, &error);
    reply = c ? run (c, argv, &error) : NULL;
    if (reply) {
      freeReplyObject (reply);
    } else {
      g_atomic_int_inc (&self->errors);
      GST_WARNING ("%s %s: %s", (gchar *) argv->pdata[0],
          argv->len > 1 ? (gchar *) argv->pdata[1] : "", error->message);
      g_error_free (error);
      if (c && c->err)
        g_clear_pointer (&c, redisFree);
    }
    g_ptr_array_unref (argv);
  }
  g_ptr_array_unref (argv);
  if (c)
    redisFree (c);
  return NULL;
}

GstGenesysRegistry *
gst_genesys_registry_new (const gchar * url, const gchar * instance,
    GError ** error)
{
  GstGenesysRegistry *self = g_new0 (GstGenesysRegistry, 1);

  GST_DEBUG_CATEGORY_INIT (registry_debug, "genesysregistry", 0,
      "gst-genesys session registry");
  g_mutex_init (&self->lookup_lock);
  if (!gst_genesys_registry_url_parse (url, &self->host, &self->port,
          &self->db, error)
      || !(self->lookup = connect_redis (self, error))) {
    g_free (self->host);
    g_mutex_clear (&self->lookup_lock);
    g_free (self);
    return NULL;
  }
  self->instance = g_strdup (instance);
  self->queue = g_async_queue_new ();
  self->writer = g_thread_new ("genesys-registry", writer_thread, self);
  GST_INFO ("registry redis://%s:%u/%u, instance %s", self->host, self->port,
      self->db, instance);
  return self;
}

static void
push (GstGenesysRegistry * self, GPtrArray * argv)
{
  g_async_queue_push (self->queue, argv);
}

void
gst_genesys_registry_free (GstGenesysRegistry * self)
{
  gchar *key = g_strconcat ("gg:instance:", self->instance, NULL);

  push (self, command ("DEL", key, NULL));
  g_free (key);
  push (self, g_ptr_array_new ());
  g_thread_join (self->writer);
  g_async_queue_unref (self->queue);
  if (self->lookup)
    redisFree (self->lookup);
  g_mutex_clear (&self->lookup_lock);
  g_free (self->host);
  g_free (self->instance);
  g_free (self->relay_url);
  g_free (self);
}

void
gst_genesys_registry_set_relay_url (GstGenesysRegistry * self,
    const gchar * url)
{
  g_free (self->relay_url);
  self->relay_url = g_strdup (url);
}

const gchar *
gst_genesys_registry_get_instance (GstGenesysRegistry * self)
{
  return self->instance;
}

void
gst_genesys_registry_heartbeat (GstGenesysRegistry * self, gboolean draining)
{
  gchar *key = g_strconcat ("gg:instance:", self->instance, NULL);

  push (self, command ("SET", key, draining ? "draining" : "up", "EX",
          INSTANCE_TTL, NULL));
  g_free (key);
  if (self->relay_url) {
    key = g_strconcat ("gg:relay:", self->instance, NULL);
    push (self, command ("SET", key, self->relay_url, "EX", INSTANCE_TTL,
            NULL));
    g_free (key);
  }
}

void
gst_genesys_registry_call (GstGenesysRegistry * self, const gchar * call_id,
    const gchar * conversation_id, guint segment)
{
  gchar *key = g_strconcat ("gg:call:", call_id, NULL);
  gchar *seg = g_strdup_printf ("%u", segment);

  push (self, command ("HSET", key, "instance", self->instance, "segment", seg,
          "conversation", conversation_id ? conversation_id : "", NULL));
  push (self, command ("EXPIRE", key, RECORD_TTL, NULL));
  g_free (seg);
  g_free (key);
}

void
gst_genesys_registry_session (GstGenesysRegistry * self,
    const gchar * session_id, const gchar * call_id)
{
  gchar *key = g_strconcat ("gg:session:", session_id, NULL);

  push (self, command ("HSET", key, "call", call_id, "instance",
          self->instance, NULL));
  push (self, command ("EXPIRE", key, RECORD_TTL, NULL));
  g_free (key);
}

void
gst_genesys_registry_session_closed (GstGenesysRegistry * self,
    const gchar * session_id)
{
  gchar *key = g_strconcat ("gg:session:", session_id, NULL);

  push (self, command ("HSET", key, "closed", "1", NULL));
  push (self, command ("EXPIRE", key, CLOSED_TTL, NULL));
  g_free (key);
}

/* @argv on the lookup connection, made again when it failed before. */
static redisReply *
lookup (GstGenesysRegistry * self, GPtrArray * argv, GError ** error)
{
  redisReply *reply = NULL;

  g_mutex_lock (&self->lookup_lock);
  if (!self->lookup)
    self->lookup = connect_redis (self, error);
  if (self->lookup) {
    reply = run (self->lookup, argv, error);
    if (!reply && self->lookup->err)
      g_clear_pointer (&self->lookup, redisFree);
  }
  g_mutex_unlock (&self->lookup_lock);
  g_ptr_array_unref (argv);
  return reply;
}

static GstGenesysOwnerState
owner_state (const gchar * text)
{
  if (g_strcmp0 (text, "up") == 0)
    return GST_GENESYS_OWNER_UP;
  if (g_strcmp0 (text, "draining") == 0)
    return GST_GENESYS_OWNER_DRAINING;
  return GST_GENESYS_OWNER_GONE;
}

gboolean
gst_genesys_registry_find (GstGenesysRegistry * self,
    const gchar * session_id, GstGenesysSessionRecord * record, GError ** error)
{
  gchar *key = g_strconcat ("gg:session:", session_id, NULL);
  redisReply *reply = lookup (self, command ("EVAL", find_script, "1", key,
          NULL), error);
  guint i;

  g_free (key);
  memset (record, 0, sizeof (*record));
  if (!reply)
    return FALSE;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 6) {
    for (i = 0; i < 6; i++)
      if (reply->element[i]->type != REDIS_REPLY_STRING)
        break;
    if (i == 6 && reply->element[0]->len > 0) {
      record->found = TRUE;
      record->call_id = g_strdup (reply->element[0]->str);
      record->instance = g_strdup (reply->element[1]->str);
      record->closed = strcmp (reply->element[2]->str, "1") == 0;
      record->owner = owner_state (reply->element[3]->str);
      record->segment = (guint) g_ascii_strtoull (reply->element[4]->str,
          NULL, 10);
      if (reply->element[5]->len > 0)
        record->relay_url = g_strdup (reply->element[5]->str);
    }
  }
  freeReplyObject (reply);
  return TRUE;
}

gboolean
gst_genesys_registry_take_call (GstGenesysRegistry * self,
    const gchar * call_id, const gchar * conversation_id, guint * segment,
    GError ** error)
{
  gchar *key = g_strconcat ("gg:call:", call_id, NULL);
  redisReply *reply = lookup (self, command ("EVAL", take_script, "1", key,
          self->instance, conversation_id ? conversation_id : "", RECORD_TTL,
          NULL), error);

  g_free (key);
  if (!reply)
    return FALSE;
  if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "registry: unexpected answer taking call %s", call_id);
    freeReplyObject (reply);
    return FALSE;
  }
  *segment = (guint) reply->integer;
  freeReplyObject (reply);
  return TRUE;
}

guint64
gst_genesys_registry_get_errors (GstGenesysRegistry * self)
{
  return (guint) g_atomic_int_get (&self->errors);
}
