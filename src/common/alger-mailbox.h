/* alger-mailbox.h: callbacks posted from any thread, run in order on one
 * GMainContext.
 *
 * The run workers and the store's writer hand their results to the main
 * loop many times per run.  g_main_context_invoke() makes an idle source
 * for each one and takes the context's lock three times, while the main
 * loop holds that lock for much of each iteration: on two cores the
 * posting thread often sleeps on it.  A mailbox is one GSource attached
 * once: posting appends to a queue under the mailbox's own lock and wakes
 * the context only when the queue was empty; the main loop runs everything
 * queued in one dispatch, oldest first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AlgerMailbox AlgerMailbox;

typedef void (*AlgerMailboxFunc) (gpointer data);

/* a mailbox attached to @context (NULL: the global default) at @priority */
AlgerMailbox *alger_mailbox_new (GMainContext *context, int priority, const char *name);

/* any thread: run @func (@data) on the context, after everything posted
 * before; then @notify (@data) if not NULL.  Posted after
 * alger_mailbox_close(): @func is not run, @notify is, on the caller's
 * thread. */
void alger_mailbox_post (AlgerMailbox *self, AlgerMailboxFunc func, gpointer data,
                         GDestroyNotify notify);

/* the context's thread: no more posts; what is queued still runs on later
 * iterations, then the mailbox leaves the context.  Drops the caller's
 * reference. */
void alger_mailbox_close (AlgerMailbox *self);

/* how many posts wait (for tests) */
guint alger_mailbox_get_pending (AlgerMailbox *self);

G_END_DECLS
