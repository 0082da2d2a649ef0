/* test-mailbox.c: AlgerMailbox — posts from threads run in order on the
 * context, once each, and closing keeps what was posted */
#include "config.h"

#include "alger-mailbox.h"

#define N_THREADS 4
#define N_PER_THREAD 5000

typedef struct {
  GMutex lock;
  guint last[N_THREADS]; /* next expected sequence number per thread */
  guint ran;
  guint freed;
  gboolean out_of_order;
  GThread *ran_on;
  gboolean wrong_thread;
} Tally;

typedef struct {
  Tally *tally;
  guint thread;
  guint seq;
} Item;

static void
item_run (gpointer data)
{
  Item *item = data;
  Tally *t = item->tally;

  if (g_thread_self () != t->ran_on)
    t->wrong_thread = TRUE;
  if (item->seq != t->last[item->thread])
    t->out_of_order = TRUE;
  t->last[item->thread] = item->seq + 1;
  t->ran++;
}

static void
item_free (gpointer data)
{
  Item *item = data;

  g_mutex_lock (&item->tally->lock);
  item->tally->freed++;
  g_mutex_unlock (&item->tally->lock);
  g_free (item);
}

typedef struct {
  AlgerMailbox *mailbox;
  Tally *tally;
  guint thread;
} Poster;

static gpointer
poster_thread (gpointer data)
{
  Poster *p = data;

  for (guint i = 0; i < N_PER_THREAD; i++) {
    Item *item = g_new (Item, 1);

    item->tally = p->tally;
    item->thread = p->thread;
    item->seq = i;
    alger_mailbox_post (p->mailbox, item_run, item, item_free);
    if (i % 64 == 0)
      g_thread_yield ();
  }
  return NULL;
}

/* four threads post 5,000 each while the context runs: every letter runs
 * once, on the context's thread, in each thread's posting order, and is
 * freed after */
static void
test_order_across_threads (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AlgerMailbox *mb;
  Tally tally = { 0 };
  Poster posters[N_THREADS];
  GThread *threads[N_THREADS];
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_main_context_push_thread_default (ctx);
  g_mutex_init (&tally.lock);
  tally.ran_on = g_thread_self ();
  mb = alger_mailbox_new (ctx, G_PRIORITY_DEFAULT, "test");
  for (guint i = 0; i < N_THREADS; i++) {
    posters[i] = (Poster) { mb, &tally, i };
    threads[i] = g_thread_new ("poster", poster_thread, &posters[i]);
  }
  /* blocking iterations: only the mailbox's wake-ups end them */
  while (tally.ran < N_THREADS * N_PER_THREAD && g_get_monotonic_time () < deadline)
    g_main_context_iteration (ctx, TRUE);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (tally.ran, ==, N_THREADS * N_PER_THREAD);
  g_assert_cmpuint (tally.freed, ==, N_THREADS * N_PER_THREAD);
  g_assert_false (tally.out_of_order);
  g_assert_false (tally.wrong_thread);
  g_assert_cmpuint (alger_mailbox_get_pending (mb), ==, 0);
  /* nothing left: no iteration has anything to dispatch */
  g_assert_false (g_main_context_iteration (ctx, FALSE));
  alger_mailbox_close (mb);
  g_main_context_pop_thread_default (ctx);
  g_mutex_clear (&tally.lock);
}

static void
count_run (gpointer data)
{
  (*(guint *) data)++;
}

static void
count_free (gpointer data)
{
  (*(guint *) data) += 1000;
}

/* closing with letters queued: they still run, then the mailbox leaves the
 * context; a post after closing is freed without running */
static void
test_close_keeps_queued (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AlgerMailbox *mb = alger_mailbox_new (ctx, G_PRIORITY_DEFAULT, "test");
  guint a = 0, b = 0, late = 0;

  g_source_ref ((GSource *) mb); /* to post after close */
  alger_mailbox_post (mb, count_run, &a, NULL);
  alger_mailbox_post (mb, count_run, &b, count_free);
  g_assert_cmpuint (alger_mailbox_get_pending (mb), ==, 2);
  alger_mailbox_close (mb);
  alger_mailbox_post (mb, count_run, &late, count_free);
  g_assert_cmpuint (late, ==, 1000); /* freed at once, never run */
  g_assert_cmpuint (a + b, ==, 0);   /* nothing runs before the context does */

  g_assert_true (g_main_context_iteration (ctx, FALSE));
  g_assert_cmpuint (a, ==, 1);
  g_assert_cmpuint (b, ==, 1001);
  g_assert_true (g_source_is_destroyed ((GSource *) mb));
  g_assert_false (g_main_context_iteration (ctx, FALSE));
  g_assert_cmpuint (late, ==, 1000);
  g_source_unref ((GSource *) mb);
}

/* closing an empty mailbox removes it at once */
static void
test_close_empty (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AlgerMailbox *mb = alger_mailbox_new (ctx, G_PRIORITY_DEFAULT, "test");

  g_source_ref ((GSource *) mb);
  alger_mailbox_close (mb);
  g_assert_true (g_source_is_destroyed ((GSource *) mb));
  g_assert_false (g_main_context_iteration (ctx, FALSE));
  g_source_unref ((GSource *) mb);
}

/* a letter that posts again: the new one runs on a later dispatch, not
 * lost and not run twice */
static void
repost_run (gpointer data)
{
  gpointer *args = data;
  AlgerMailbox *mb = args[0];
  guint *n = args[1];

  if ((*n)++ < 3)
    alger_mailbox_post (mb, repost_run, data, NULL);
}

static void
test_post_from_callback (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  AlgerMailbox *mb = alger_mailbox_new (ctx, G_PRIORITY_DEFAULT, "test");
  guint n = 0;
  gpointer args[2] = { mb, &n };

  alger_mailbox_post (mb, repost_run, args, NULL);
  for (guint i = 0; i < 10 && g_main_context_iteration (ctx, FALSE); i++)
    ;
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (alger_mailbox_get_pending (mb), ==, 0);
  alger_mailbox_close (mb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/mailbox/order-across-threads", test_order_across_threads);
  g_test_add_func ("/alger/mailbox/close-keeps-queued", test_close_keeps_queued);
  g_test_add_func ("/alger/mailbox/close-empty", test_close_empty);
  g_test_add_func ("/alger/mailbox/post-from-callback", test_post_from_callback);
  return g_test_run ();
}
