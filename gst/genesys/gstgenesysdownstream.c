/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysdownstream.h"

#include <string.h>

/* Bins nest; a tee or a deinterleave fans out. Deeper than this is taken
 * to block rather than walked. */
#define MAX_DEPTH 32

typedef enum
{
  KIND_PASS,                    /* pushes on in the same thread, never waits */
  KIND_SINK,                    /* consumes without waiting */
  KIND_QUEUE,                   /* a thread boundary: never waits when leaky */
} Kind;

typedef struct
{
  const gchar *factory;
  Kind kind;
} Known;

/* Elements that never wait when the rules of check_element() hold: no
 * clock sync, no queue that fills. Anything else is taken to block. */
static const Known known[] = {
  {"alawdec", KIND_PASS},
  {"alawenc", KIND_PASS},
  {"audiobuffersplit", KIND_PASS},
  {"audioconvert", KIND_PASS},
  {"audiorate", KIND_PASS},
  {"audioresample", KIND_PASS},
  {"capsfilter", KIND_PASS},
  {"deinterleave", KIND_PASS},
  {"identity", KIND_PASS},
  {"level", KIND_PASS},
  {"mulawdec", KIND_PASS},
  {"mulawenc", KIND_PASS},
  {"tee", KIND_PASS},
  {"valve", KIND_PASS},
  {"volume", KIND_PASS},
  {"wavenc", KIND_PASS},
  {"appsink", KIND_SINK},
  {"fakesink", KIND_SINK},
  {"filesink", KIND_SINK},
  {"multifilesink", KIND_SINK},
  {"queue", KIND_QUEUE},
};

static const Known *
find_known (GstElement * element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  const gchar *name;
  guint i;

  if (factory == NULL)
    return NULL;
  name = GST_OBJECT_NAME (factory);
  for (i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (known[i].factory, name) == 0)
      return &known[i];
  return NULL;
}

/* The value of a property @element may not have: FALSE when it has none. */
static gboolean
get_boolean (GstElement * element, const gchar * name)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (element), name);
  gboolean value = FALSE;

  if (pspec && pspec->value_type == G_TYPE_BOOLEAN)
    g_object_get (element, name, &value, NULL);
  return value;
}

static gboolean
set_blocker (gchar ** blocker, gchar * why)
{
  if (blocker && *blocker == NULL)
    *blocker = why;
  else
    g_free (why);
  return FALSE;
}

/* The sink pad of an element that @srcpad's data reaches, through ghost
 * pads in and out of bins, with a ref; NULL when it reaches nothing. */
static GstPad *
next_sinkpad (GstPad * srcpad)
{
  GstPad *peer = gst_pad_get_peer (srcpad);

  while (peer) {
    GstObject *parent;
    GstPad *next;

    if (GST_IS_GHOST_PAD (peer)) {
      /* a bin's sink pad: on to what it targets inside */
      next = gst_ghost_pad_get_target (GST_GHOST_PAD (peer));
      gst_object_unref (peer);
      peer = next;
      continue;
    }
    parent = gst_pad_get_parent (peer);
    if (parent && GST_IS_GHOST_PAD (parent)) {
      /* the inside of a bin's source pad: on to what it is linked to */
      next = gst_pad_get_peer (GST_PAD (parent));
      gst_object_unref (parent);
      gst_object_unref (peer);
      peer = next;
      continue;
    }
    if (parent)
      gst_object_unref (parent);
    break;
  }
  return peer;
}

static gboolean check_srcpad (GstPad * srcpad, guint depth, gchar ** blocker);

/* Every source pad of @element (none: nothing to block). */
static gboolean
check_srcpads (GstElement * element, guint depth, gchar ** blocker)
{
  GList *pads, *l;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (element);
  pads = g_list_copy (element->srcpads);
  for (l = pads; l; l = l->next)
    gst_object_ref (l->data);
  GST_OBJECT_UNLOCK (element);
  for (l = pads; l && ok; l = l->next)
    ok = check_srcpad (l->data, depth, blocker);
  g_list_free_full (pads, gst_object_unref);
  return ok;
}

static gboolean
check_element (GstElement * element, guint depth, gchar ** blocker)
{
  const Known *k = find_known (element);
  const gchar *name = GST_ELEMENT_NAME (element);

  if (k == NULL) {
    GstElementFactory *factory = gst_element_get_factory (element);
    return set_blocker (blocker, g_strdup_printf ("%s (%s) is not known never "
            "to block", name, factory ? GST_OBJECT_NAME (factory) : "no "
            "factory"));
  }
  if (get_boolean (element, "sync"))
    return set_blocker (blocker, g_strdup_printf ("%s waits for the clock "
            "(sync=true)", name));

  switch (k->kind) {
    case KIND_QUEUE:{
      gint leaky = 0;
      g_object_get (element, "leaky", &leaky, NULL);
      if (leaky == 0)
        return set_blocker (blocker, g_strdup_printf ("%s can fill and "
                "wait (leaky=no)", name));
      return TRUE;
    }
    case KIND_SINK:
      if (strcmp (k->factory, "appsink") == 0) {
        guint max_buffers = 0;
        g_object_get (element, "max-buffers", &max_buffers, NULL);
        if (max_buffers != 0 && !get_boolean (element, "drop"))
          return set_blocker (blocker, g_strdup_printf ("%s can fill and "
                  "wait (max-buffers=%u without drop=true)", name,
                  max_buffers));
      }
      return TRUE;
    case KIND_PASS:
      if (strcmp (k->factory, "identity") == 0) {
        guint sleep_time = 0;
        g_object_get (element, "sleep-time", &sleep_time, NULL);
        if (sleep_time != 0)
          return set_blocker (blocker, g_strdup_printf ("%s sleeps "
                  "(sleep-time=%u)", name, sleep_time));
      }
      return check_srcpads (element, depth + 1, blocker);
  }
  g_return_val_if_reached (FALSE);
}

static gboolean
check_srcpad (GstPad * srcpad, guint depth, gchar ** blocker)
{
  GstPad *sinkpad;
  GstElement *element;
  gboolean ok;

  if (depth > MAX_DEPTH)
    return set_blocker (blocker, g_strdup_printf ("more than %d elements "
            "deep", MAX_DEPTH));
  sinkpad = next_sinkpad (srcpad);
  if (sinkpad == NULL)
    return TRUE;                /* not linked: the push returns at once */
  element = gst_pad_get_parent_element (sinkpad);
  if (element == NULL) {
    ok = set_blocker (blocker, g_strdup_printf ("pad %s belongs to no "
            "element (an application's pad)", GST_PAD_NAME (sinkpad)));
  } else {
    ok = check_element (element, depth, blocker);
    gst_object_unref (element);
  }
  gst_object_unref (sinkpad);
  return ok;
}

/**
 * gst_genesys_downstream_never_blocks:
 * @srcpad: a source pad
 * @blocker: (out) (optional) (transfer full): when FALSE, what can block,
 *   in words
 *
 * Whether pushing on @srcpad never waits: every element the data reaches
 * (through bins, tees, deinterleaves) is known never to wait and is not
 * set to (a sink or identity with `sync=true`, an identity with a
 * `sleep-time`, an appsink that fills without `drop`), or the data ends
 * at a leaky queue. Pad probes and signal handlers are not seen.
 */
gboolean
gst_genesys_downstream_never_blocks (GstPad * srcpad, gchar ** blocker)
{
  g_return_val_if_fail (GST_IS_PAD (srcpad), FALSE);

  if (blocker)
    *blocker = NULL;
  return check_srcpad (srcpad, 0, blocker);
}
