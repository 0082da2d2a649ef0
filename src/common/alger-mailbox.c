/* alger-mailbox.c: callbacks posted from any thread, run in order on one
 * GMainContext (see the header) */
#include "config.h"

#include "alger-mailbox.h"

typedef struct {
  AlgerMailboxFunc func;
  gpointer data;
  GDestroyNotify notify;
} Letter;

struct _AlgerMailbox {
  GSource source;
  GMainContext *context; /* owned: posts wake it even after the source left */
  GMutex lock;
  GArray *queue;    /* of Letter, under lock */
  GArray *spare;    /* the dispatch's own array, swapped with queue */
  gboolean closed;  /* under lock */
  int wake_pending; /* set and cleared under lock, read atomically by
                     * prepare/check: a wake-up is on its way and the
                     * letters it is for are in queue */
};

static gboolean
mailbox_ready (AlgerMailbox *self)
{
  return g_atomic_int_get (&self->wake_pending) != 0;
}

static gboolean
mailbox_prepare (GSource *source, gint *timeout)
{
  *timeout = -1;
  return mailbox_ready ((AlgerMailbox *) source);
}

static gboolean
mailbox_check (GSource *source)
{
  return mailbox_ready ((AlgerMailbox *) source);
}

static gboolean
mailbox_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  AlgerMailbox *self = (AlgerMailbox *) source;
  GArray *batch;
  gboolean closed;

  /* cleared as the queue is taken, under the lock the posts take: a post
   * before this is in the batch, a post after it finds no wake-up pending
   * and sends one, so nothing waits unseen and no iteration is spare */
  g_mutex_lock (&self->lock);
  g_atomic_int_set (&self->wake_pending, 0);
  batch = self->queue;
  self->queue = self->spare;
  self->spare = NULL;
  closed = self->closed;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < batch->len; i++) {
    Letter *l = &g_array_index (batch, Letter, i);

    l->func (l->data);
    if (l->notify != NULL)
      l->notify (l->data);
  }
  g_array_set_size (batch, 0);

  g_mutex_lock (&self->lock);
  self->spare = batch;
  /* closed and nothing came in since: done */
  closed = closed && self->queue->len == 0;
  g_mutex_unlock (&self->lock);
  return closed ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
mailbox_finalize (GSource *source)
{
  AlgerMailbox *self = (AlgerMailbox *) source;

  /* letters never delivered (the context went away first) */
  for (guint i = 0; i < self->queue->len; i++) {
    Letter *l = &g_array_index (self->queue, Letter, i);

    if (l->notify != NULL)
      l->notify (l->data);
  }
  g_array_unref (self->queue);
  g_clear_pointer (&self->spare, g_array_unref);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
}

static GSourceFuncs mailbox_funcs = {
  .prepare = mailbox_prepare,
  .check = mailbox_check,
  .dispatch = mailbox_dispatch,
  .finalize = mailbox_finalize,
};

AlgerMailbox *
alger_mailbox_new (GMainContext *context, int priority, const char *name)
{
  GSource *source = g_source_new (&mailbox_funcs, sizeof (AlgerMailbox));
  AlgerMailbox *self = (AlgerMailbox *) source;

  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref (g_main_context_default ());
  g_mutex_init (&self->lock);
  self->queue = g_array_sized_new (FALSE, FALSE, sizeof (Letter), 16);
  self->spare = g_array_sized_new (FALSE, FALSE, sizeof (Letter), 16);
  g_source_set_priority (source, priority);
  g_source_set_name (source, name);
  g_source_attach (source, self->context);
  return self;
}

void
alger_mailbox_post (AlgerMailbox *self, AlgerMailboxFunc func, gpointer data, GDestroyNotify notify)
{
  Letter l = { func, data, notify };
  gboolean closed;
  gboolean wake = FALSE;

  g_return_if_fail (self != NULL && func != NULL);

  g_mutex_lock (&self->lock);
  closed = self->closed;
  if (!closed) {
    g_array_append_val (self->queue, l);
    /* only the first post since the last dispatch wakes the context (a
     * write to its eventfd) */
    wake = g_atomic_int_get (&self->wake_pending) == 0;
    if (wake)
      g_atomic_int_set (&self->wake_pending, 1);
  }
  g_mutex_unlock (&self->lock);
  if (closed) {
    if (notify != NULL)
      notify (data);
    return;
  }
  if (wake)
    g_main_context_wakeup (self->context);
}

void
alger_mailbox_close (AlgerMailbox *self)
{
  gboolean empty;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  empty = self->queue->len == 0;
  g_mutex_unlock (&self->lock);
  /* otherwise the last dispatch removes it */
  if (empty)
    g_source_destroy ((GSource *) self);
  g_source_unref ((GSource *) self);
}

guint
alger_mailbox_get_pending (AlgerMailbox *self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  n = self->queue->len;
  g_mutex_unlock (&self->lock);
  return n;
}
