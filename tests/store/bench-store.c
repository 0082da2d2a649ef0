/* bench-store.c: frame-row throughput of AlgerSqliteStore (not a test)
 *
 *   build-store/tests/store/bench-store [N_FRAMES [WINDOW [full|redacted|metadata]]]
 *
 * Records N_FRAMES (default 1000000) frames of ~200 bytes in one
 * conversation, with at most WINDOW (default 20000) writes in flight (a
 * server holds frames until their done callback, so its backlog is bounded
 * by its clients).  Prints rows/s from the first submit to the last done
 * callback, the number of transactions, and the submit->done latency.
 */
#include <glib/gstdio.h>
#include <stdlib.h>

#include "alger-sqlite-store.h"

typedef struct {
  AlgerStore *store;
  guint n_total;
  guint window;
  guint submitted;
  guint done;
  guint failed;
  gint64 *submit_time;
  gint64 *latency;
  GMainLoop *loop;
  gboolean submitting; /* the idle source is attached */
  char payload[512];
} Bench;

static Bench bench;

static gboolean submit_cb (gpointer data);

static void
done_cb (gboolean ok, const GError *error, gpointer user_data)
{
  guint i = GPOINTER_TO_UINT (user_data);

  bench.latency[i] = g_get_monotonic_time () - bench.submit_time[i];
  if (!ok)
    bench.failed++;
  if (++bench.done == bench.n_total)
    g_main_loop_quit (bench.loop);
  /* resume submitting once half the window is free (no busy loop) */
  if (!bench.submitting && bench.submitted < bench.n_total &&
      bench.submitted - bench.done <= bench.window / 2) {
    bench.submitting = TRUE;
    g_idle_add (submit_cb, NULL);
  }
}

static gboolean
submit_cb (gpointer data)
{
  /* a bounded slice per dispatch, so done callbacks get their turn */
  for (guint k = 0; k < 2048; k++) {
    AlgerFrameRecord frame = {
      .conversation_id = "bench-conv",
      .direction = (bench.submitted & 1) ? ALGER_DIRECTION_OUTGOING : ALGER_DIRECTION_INCOMING,
      .message_id = bench.submitted,
      .request_id = bench.submitted - 1,
      .type_code = 205,
      .status_code = 205,
      .payload = bench.payload,
      .error = NULL,
    };

    if (bench.submitted == bench.n_total || bench.submitted - bench.done >= bench.window) {
      bench.submitting = FALSE;
      return G_SOURCE_REMOVE;
    }
    bench.submit_time[bench.submitted] = g_get_monotonic_time ();
    alger_store_record_frame (bench.store, &frame, done_cb, GUINT_TO_POINTER (bench.submitted));
    bench.submitted++;
  }
  return G_SOURCE_CONTINUE;
}

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    g_unlink (child);
  }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerSqliteStore) store = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  AlgerPayloadPolicy policy = ALGER_PAYLOAD_FULL;
  AlgerConnectionRecord conn = {
    .id = "bench-conn",
    .client_ip = "127.0.0.1",
    .client_port = 1,
    .path = "/?username=admin&password=admin",
    .status = "open",
    .conversation_id = "bench-conv",
  };
  gint64 start;
  gint64 elapsed;
  guint64 n_tx;
  gsize plen;

  bench.n_total = argc > 1 ? (guint) atoi (argv[1]) : 1000000;
  bench.window = argc > 2 ? (guint) atoi (argv[2]) : 20000;
  if (argc > 3 && !alger_payload_policy_from_string (argv[3], &policy)) {
    g_printerr ("unknown policy %s\n", argv[3]);
    return 2;
  }
  if (bench.n_total == 0 || bench.window == 0)
    return 2;

  /* a ~200-byte 205 status push */
  plen = g_snprintf (bench.payload, sizeof bench.payload,
                     "{\"id\":7,\"requestId\":6,\"type\":205,\"content\":{\"executionId\":"
                     "\"2c9a0019-ad2b-439a-85f5-3eac781d7293\",\"nodeId\":\"n-1003\",\"nodeKind\":"
                     "\"filter\",\"status\":\"success\",\"durationMs\":24.715,\"predecessors\":"
                     "[\"n-1002\"],\"order\":3}}");
  bench.submit_time = g_new0 (gint64, bench.n_total);
  bench.latency = g_new0 (gint64, bench.n_total);
  bench.loop = g_main_loop_new (NULL, FALSE);

  dir = g_dir_make_tmp ("alger-bench-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "bench.sqlite3", NULL);
  store = alger_sqlite_store_new (path, policy, &error);
  if (store == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  bench.store = ALGER_STORE (store);
  alger_store_open_connection (bench.store, &conn, NULL, NULL);
  alger_store_flush (bench.store, NULL);
  n_tx = alger_sqlite_store_get_n_transactions (store);

  start = g_get_monotonic_time ();
  bench.submitting = TRUE;
  g_idle_add (submit_cb, NULL);
  g_main_loop_run (bench.loop);
  elapsed = g_get_monotonic_time () - start;
  n_tx = alger_sqlite_store_get_n_transactions (store) - n_tx;

  qsort (bench.latency, bench.n_total, sizeof (gint64), cmp_gint64);
  g_print ("policy %s, payload %" G_GSIZE_FORMAT " bytes, window %u\n",
           alger_payload_policy_to_string (policy), plen, bench.window);
  g_print ("%u frame rows in %.3f s: %.0f rows/s (%u failed)\n", bench.n_total,
           elapsed / 1e6, bench.n_total / (elapsed / 1e6), bench.failed);
  g_print ("%" G_GUINT64_FORMAT " transactions, %.0f rows per commit\n", n_tx,
           (double) bench.n_total / (double) MAX (n_tx, 1));
  g_print ("submit->done latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           bench.latency[bench.n_total / 2] / 1e3, bench.latency[bench.n_total * 99 / 100] / 1e3,
           bench.latency[bench.n_total - 1] / 1e3);

  g_clear_object (&store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  rm_rf (dir);
  g_main_loop_unref (bench.loop);
  g_free (bench.submit_time);
  g_free (bench.latency);
  return bench.failed == 0 ? 0 : 1;
}
