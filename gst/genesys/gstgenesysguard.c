/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesysguard.h"
#include "audiohook/ah-frames.h"

/* Input read after the end of the last request's headers, before the 101:
 * frames a client sent right behind its upgrade request. */
#define MAX_EARLY (64 * 1024)

/* What the guard's streams share: they may outlive the guard (libsoup
 * keeps them until it is done with them). */
typedef struct
{
  /* the connection's thread */
  gboolean upgraded;            /* the 101 went out */
  GByteArray *early;
  AhFrames frames;
  guint64 max_message;
  guint64 written;              /* bytes written after the 101 */
  guint64 sent;                 /* frames the server queued, in bytes */
  gboolean violated;
  GstGenesysGuardFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} State;

static void
state_clear (gpointer data)
{
  State *st = data;

  if (st->notify)
    st->notify (st->user_data);
  g_byte_array_unref (st->early);
}

struct _GstGenesysGuard
{
  GIOStream parent;
  GIOStream *base;
  GInputStream *input;
  GOutputStream *output;
  State *state;                 /* an atomic rc box */
};

G_DEFINE_TYPE (GstGenesysGuard, gst_genesys_guard, G_TYPE_IO_STREAM);

static gint count_too_big, count_slow;

enum
{
  PROP_0,
  PROP_BASE_IO_STREAM,
};

/* ---- what passes ---- */

static void
violate (State * self, GstGenesysGuardViolation violation, guint64 size)
{
  if (self->violated)
    return;
  self->violated = TRUE;
  if (violation == GST_GENESYS_GUARD_MESSAGE_TOO_BIG)
    g_atomic_int_inc (&count_too_big);
  else if (violation == GST_GENESYS_GUARD_SLOW_READER)
    g_atomic_int_inc (&count_slow);
  if (self->func)
    self->func (violation, size, self->user_data);
}

static void
check (State * self)
{
  if (self->frames.broken)
    violate (self, GST_GENESYS_GUARD_NOT_FRAMING, 0);
  else if (self->frames.largest > self->max_message)
    violate (self, GST_GENESYS_GUARD_MESSAGE_TOO_BIG, self->frames.largest);
  else if (self->frames.pong_bytes > self->written
      + GST_GENESYS_GUARD_MAX_PONGS_OWED)
    violate (self, GST_GENESYS_GUARD_SLOW_READER,
        self->frames.pong_bytes - self->written);
  else if (self->frames.pong_bytes + self->sent >
      self->written + GST_GENESYS_GUARD_MAX_OWED)
    violate (self, GST_GENESYS_GUARD_SLOW_READER,
        self->frames.pong_bytes + self->sent - self->written);
}

/* Keeps what follows the last "\r\n\r\n" (the end of a request's headers). */
static void
keep_early (State * self, const guint8 * data, gsize len)
{
  guint i, end = 0;

  if (self->early->len + len > MAX_EARLY) {
    /* more than headers and a few frames before any 101: not a client
     * that waits for its upgrade; its frames cannot be followed */
    g_byte_array_set_size (self->early, 0);
    self->frames.broken = TRUE;
    return;
  }
  g_byte_array_append (self->early, data, len);
  for (i = 3; i < self->early->len; i++)
    if (memcmp (self->early->data + i - 3, "\r\n\r\n", 4) == 0)
      end = i + 1;
  if (end)
    g_byte_array_remove_range (self->early, 0, end);
}

static void
saw_input (State * self, const guint8 * data, gssize n)
{
  if (n <= 0)
    return;
  if (!self->upgraded) {
    keep_early (self, data, n);
    return;
  }
  ah_frames_feed (&self->frames, data, n);
  check (self);
}

static void
saw_output (State * self, const guint8 * data, gssize n)
{
  if (n <= 0)
    return;
  if (!self->upgraded) {
    if (n >= 13 && memcmp (data, "HTTP/1.1 101 ", 13) == 0) {
      self->upgraded = TRUE;
      ah_frames_feed (&self->frames, self->early->data, self->early->len);
      g_byte_array_set_size (self->early, 0);
      check (self);
    }
    return;
  }
  self->written += n;
}

/* ---- input ---- */

typedef struct
{
  GInputStream parent;
  GInputStream *base;
  State *state;
} GuardInput;

typedef struct
{
  GInputStreamClass parent;
} GuardInputClass;

static void guard_input_pollable_init (GPollableInputStreamInterface * iface);
static GType guard_input_get_type (void);
G_DEFINE_TYPE_WITH_CODE (GuardInput, guard_input, G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        guard_input_pollable_init));

static GInputStream *
base_input (GuardInput * in)
{
  return in->base;
}

/* After a violation: what comes is read and dropped. */
static gssize
drain (GuardInput * in, gpointer buffer, gsize count, gboolean blocking,
    GCancellable * cancellable, GError ** error)
{
  for (;;) {
    gssize n = blocking ?
        g_input_stream_read (base_input (in), buffer, count, cancellable,
        error) :
        g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
        (base_input (in)), buffer, count, cancellable, error);
    if (n <= 0)
      return n;
    if (!in->state->func) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
          "the client broke the connection's limits");
      return -1;
    }
  }
}

static gssize
guard_input_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  GuardInput *in = (GuardInput *) stream;
  gssize n;

  if (in->state->violated)
    return drain (in, buffer, count, TRUE, cancellable, error);
  n = g_input_stream_read (base_input (in), buffer, count, cancellable, error);
  saw_input (in->state, buffer, n);
  return n;
}

static gssize
guard_input_read_nonblocking (GPollableInputStream * stream, void *buffer,
    gsize count, GError ** error)
{
  GuardInput *in = (GuardInput *) stream;
  gssize n;

  if (in->state->violated)
    return drain (in, buffer, count, FALSE, NULL, error);
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (base_input (in)), buffer, count, NULL, error);
  saw_input (in->state, buffer, n);
  return n;
}

static gboolean
guard_input_can_poll (GPollableInputStream * stream)
{
  GInputStream *base = base_input ((GuardInput *) stream);

  return G_IS_POLLABLE_INPUT_STREAM (base)
      && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
guard_input_is_readable (GPollableInputStream * stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM
      (base_input ((GuardInput *) stream)));
}

static GSource *
guard_input_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  GSource *base = g_pollable_input_stream_create_source
      (G_POLLABLE_INPUT_STREAM (base_input ((GuardInput *) stream)),
      cancellable);
  GSource *source = g_pollable_source_new_full (stream, base, cancellable);

  g_source_unref (base);
  return source;
}

static void
guard_input_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = guard_input_can_poll;
  iface->is_readable = guard_input_is_readable;
  iface->create_source = guard_input_create_source;
  iface->read_nonblocking = guard_input_read_nonblocking;
}

static gboolean
guard_input_close (GInputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  /* the guard closes the base stream */
  return TRUE;
}

static void
guard_input_finalize (GObject * object)
{
  GuardInput *in = (GuardInput *) object;

  g_object_unref (in->base);
  g_atomic_rc_box_release_full (in->state, state_clear);
  G_OBJECT_CLASS (guard_input_parent_class)->finalize (object);
}

static void
guard_input_class_init (GuardInputClass * klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = guard_input_finalize;
  input_class->read_fn = guard_input_read;
  input_class->close_fn = guard_input_close;
}

static void
guard_input_init (GuardInput * in)
{
}

/* ---- output ---- */

typedef struct
{
  GOutputStream parent;
  GOutputStream *base;
  State *state;
} GuardOutput;

typedef struct
{
  GOutputStreamClass parent;
} GuardOutputClass;

static void guard_output_pollable_init (GPollableOutputStreamInterface * iface);
static GType guard_output_get_type (void);
G_DEFINE_TYPE_WITH_CODE (GuardOutput, guard_output, G_TYPE_OUTPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
        guard_output_pollable_init));

static GOutputStream *
base_output (GuardOutput * out)
{
  return out->base;
}

static gssize
guard_output_write (GOutputStream * stream, const void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  GuardOutput *out = (GuardOutput *) stream;
  gssize n = g_output_stream_write (base_output (out), buffer, count,
      cancellable, error);

  saw_output (out->state, buffer, n);
  return n;
}

static gssize
guard_output_write_nonblocking (GPollableOutputStream * stream,
    const void *buffer, gsize count, GError ** error)
{
  GuardOutput *out = (GuardOutput *) stream;
  gssize n = g_pollable_output_stream_write_nonblocking
      (G_POLLABLE_OUTPUT_STREAM (base_output (out)), buffer, count, NULL,
      error);

  saw_output (out->state, buffer, n);
  return n;
}

static gboolean
guard_output_flush (GOutputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return g_output_stream_flush (base_output ((GuardOutput *) stream),
      cancellable, error);
}

static gboolean
guard_output_can_poll (GPollableOutputStream * stream)
{
  GOutputStream *base = base_output ((GuardOutput *) stream);

  return G_IS_POLLABLE_OUTPUT_STREAM (base)
      && g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (base));
}

static gboolean
guard_output_is_writable (GPollableOutputStream * stream)
{
  return g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM
      (base_output ((GuardOutput *) stream)));
}

static GSource *
guard_output_create_source (GPollableOutputStream * stream,
    GCancellable * cancellable)
{
  GSource *base = g_pollable_output_stream_create_source
      (G_POLLABLE_OUTPUT_STREAM (base_output ((GuardOutput *) stream)),
      cancellable);
  GSource *source = g_pollable_source_new_full (stream, base, cancellable);

  g_source_unref (base);
  return source;
}

static void
guard_output_pollable_init (GPollableOutputStreamInterface * iface)
{
  iface->can_poll = guard_output_can_poll;
  iface->is_writable = guard_output_is_writable;
  iface->create_source = guard_output_create_source;
  iface->write_nonblocking = guard_output_write_nonblocking;
}

static gboolean
guard_output_close (GOutputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return TRUE;
}

static void
guard_output_finalize (GObject * object)
{
  GuardOutput *out = (GuardOutput *) object;

  g_object_unref (out->base);
  g_atomic_rc_box_release_full (out->state, state_clear);
  G_OBJECT_CLASS (guard_output_parent_class)->finalize (object);
}

static void
guard_output_class_init (GuardOutputClass * klass)
{
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = guard_output_finalize;
  output_class->write_fn = guard_output_write;
  output_class->flush = guard_output_flush;
  output_class->close_fn = guard_output_close;
}

static void
guard_output_init (GuardOutput * out)
{
}

/* ---- the stream ---- */

static GInputStream *
gst_genesys_guard_get_input_stream (GIOStream * stream)
{
  return GST_GENESYS_GUARD (stream)->input;
}

static GOutputStream *
gst_genesys_guard_get_output_stream (GIOStream * stream)
{
  return GST_GENESYS_GUARD (stream)->output;
}

static gboolean
gst_genesys_guard_close (GIOStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return g_io_stream_close (GST_GENESYS_GUARD (stream)->base, cancellable,
      error);
}

static void
gst_genesys_guard_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  if (prop_id == PROP_BASE_IO_STREAM)
    g_value_set_object (value, GST_GENESYS_GUARD (object)->base);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_genesys_guard_finalize (GObject * object)
{
  GstGenesysGuard *self = GST_GENESYS_GUARD (object);

  g_object_unref (self->input);
  g_object_unref (self->output);
  g_object_unref (self->base);
  g_atomic_rc_box_release_full (self->state, state_clear);
  G_OBJECT_CLASS (gst_genesys_guard_parent_class)->finalize (object);
}

static void
gst_genesys_guard_class_init (GstGenesysGuardClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->get_property = gst_genesys_guard_get_property;
  object_class->finalize = gst_genesys_guard_finalize;
  stream_class->get_input_stream = gst_genesys_guard_get_input_stream;
  stream_class->get_output_stream = gst_genesys_guard_get_output_stream;
  stream_class->close_fn = gst_genesys_guard_close;
  /* the name GTlsConnection uses: walkers find the socket underneath */
  g_object_class_install_property (object_class, PROP_BASE_IO_STREAM,
      g_param_spec_object ("base-io-stream", "Base IO stream",
          "The stream guarded", G_TYPE_IO_STREAM,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_genesys_guard_init (GstGenesysGuard * self)
{
  self->state = g_atomic_rc_box_new0 (State);
  self->state->early = g_byte_array_new ();
  ah_frames_init (&self->state->frames);
}

GstGenesysGuard *
gst_genesys_guard_new (GIOStream * base, guint64 max_message)
{
  GstGenesysGuard *self = g_object_new (GST_TYPE_GENESYS_GUARD, NULL);
  GuardInput *in = g_object_new (guard_input_get_type (), NULL);
  GuardOutput *out = g_object_new (guard_output_get_type (), NULL);

  self->base = g_object_ref (base);
  in->base = g_object_ref (g_io_stream_get_input_stream (base));
  in->state = g_atomic_rc_box_acquire (self->state);
  out->base = g_object_ref (g_io_stream_get_output_stream (base));
  out->state = g_atomic_rc_box_acquire (self->state);
  self->input = G_INPUT_STREAM (in);
  self->output = G_OUTPUT_STREAM (out);
  self->state->max_message = max_message;
  return self;
}

void
gst_genesys_guard_set_max_message (GstGenesysGuard * guard, guint64 max_message)
{
  guard->state->max_message = max_message;
  check (guard->state);
}

void
gst_genesys_guard_set_func (GstGenesysGuard * guard, GstGenesysGuardFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  State *st = guard->state;

  if (st->notify)
    st->notify (st->user_data);
  st->func = func;
  st->user_data = user_data;
  st->notify = notify;
}

GIOStream *
gst_genesys_io_stream_base (GIOStream * io)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (io);
  const gchar *prop;
  GIOStream *base = NULL;

  if (g_object_class_find_property (klass, "base-iostream"))
    prop = "base-iostream";     /* SoupIOStream */
  else if (g_object_class_find_property (klass, "base-io-stream"))
    prop = "base-io-stream";    /* GTlsConnection, GstGenesysGuard */
  else
    return NULL;
  g_object_get (io, prop, &base, NULL);
  if (base)
    g_object_unref (base);      /* the wrapper holds it */
  return base;
}

GstGenesysGuard *
gst_genesys_guard_find (GIOStream * io)
{
  guint depth;

  for (depth = 0; io && depth < 4; depth++) {
    if (GST_IS_GENESYS_GUARD (io))
      return GST_GENESYS_GUARD (io);
    io = gst_genesys_io_stream_base (io);
  }
  return NULL;
}

void
gst_genesys_guard_owe (GstGenesysGuard * guard, gsize payload)
{
  State *st = guard->state;

  /* the frame: a server header of 2, 4 or 10 bytes */
  st->sent += payload + (payload < 126 ? 2 : payload <= 0xffff ? 4 : 10);
  check (st);
}

void
gst_genesys_guard_get_counts (guint64 * too_big, guint64 * slow_readers)
{
  *too_big = (guint) g_atomic_int_get (&count_too_big);
  *slow_readers = (guint) g_atomic_int_get (&count_slow);
}
