/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Hands the pages of the calling thread's stack below its current frame
 * back to the kernel.
 *
 * A thread that starts on a stack another thread used before (GLib's
 * thread pool keeps threads for new tasks, glibc keeps the stacks of
 * threads that ended for new threads) inherits every page its
 * predecessors touched: glibc keeps up to 16 KiB below the exit frame
 * resident, and a reused thread keeps all it ever touched. A server whose
 * calls come and go then sees each call's streaming thread start at the
 * deepest stack any earlier call reached, and a thread that sleeps for
 * most of a call keeps what its last burst of work touched. Called where
 * a thread starts a task or goes to sleep, it gives those pages back;
 * pages touched again later are fresh zero pages, so nothing that runs
 * later can tell. */

#ifndef __GST_GENESYS_STACK_H__
#define __GST_GENESYS_STACK_H__

#include <glib.h>

G_BEGIN_DECLS
/* Returns the bytes given back (0 where the platform cannot tell a
 * thread's stack bounds, or nothing was below the frame). */
    gsize gst_genesys_stack_trim (void);

/* Resident bytes of the calling thread's stack (0 where unknown); for
 * tests. */
gsize gst_genesys_stack_resident (void);

G_END_DECLS
#endif /* __GST_GENESYS_STACK_H__ */
