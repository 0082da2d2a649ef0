/* alger-sqlite-store.h: AlgerStore on one SQLite file (WAL, one writer thread,
 * group commit, a small pool of read-only reader connections) */
#pragma once

#include "alger-store.h"

G_BEGIN_DECLS

#define ALGER_TYPE_SQLITE_STORE (alger_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (AlgerSqliteStore, alger_sqlite_store, ALGER, SQLITE_STORE, GObject)

/* the PRAGMA user_version this code migrates to */
#define ALGER_SQLITE_STORE_SCHEMA_VERSION 3

/* Writes queued on the thread that made the store wait for the end of its
 * main-loop iteration (or a flush), then go to the writer together: one
 * commit for a burst.  After this many, they go at once. */
#define ALGER_SQLITE_STORE_CORK_MAX_OPS 64

/* creates the parent directories, opens (or creates) the file, migrates it to
 * the latest schema and starts the writer thread.  Must be called on the
 * thread whose thread-default main context will receive the `done`
 * callbacks.  Errors are ALGER_ERROR_STORAGE (cannot open / migrate) or
 * ALGER_ERROR_INVALID_ARGS. */
AlgerSqliteStore *alger_sqlite_store_new (const char *path, AlgerPayloadPolicy policy,
                                          GError **error);

const char *alger_sqlite_store_get_path (AlgerSqliteStore *self);
AlgerPayloadPolicy alger_sqlite_store_get_policy (AlgerSqliteStore *self);

/* "full", "redacted", "metadata" (case-insensitive) */
gboolean alger_payload_policy_from_string (const char *str, AlgerPayloadPolicy *policy);
const char *alger_payload_policy_to_string (AlgerPayloadPolicy policy);

/* debugging and tests */
/* number of transactions the writer has run (each COMMIT or ROLLBACK of
 * queued writes, including the per-op retries after a failed batch) */
guint64 alger_sqlite_store_get_n_transactions (AlgerSqliteStore *self);
/* WAL RESTARTs the writer tried, how many readers on older snapshots held
 * up (SQLITE_BUSY: tried again later), and the 100 µs naps it waited for
 * them.  ALGER_CHECKPOINT_PAGES=N (10..8000) in the environment when the
 * store is made sets the checkpoint marks to N, 2N and 4N pages instead of
 * 8,000, 16,000 and 32,000, so tests reach them with little data. */
void alger_sqlite_store_get_restart_stats (AlgerSqliteStore *self, guint64 *n_restarts,
                                           guint64 *n_deferred, guint64 *n_naps);
/* how many times the writer found no ops and waited for some, and how many
 * of those waits it began by spinning (watching for ops with its CPU
 * yielded, up to 200 µs) because the wait before was that short */
void alger_sqlite_store_get_wait_stats (AlgerSqliteStore *self, guint64 *n_waits,
                                        guint64 *n_spins);
/* how many times the writer started the disk write of the WAL frames added
 * since the last time (every 128 pages); counted as its batches end */
guint64 alger_sqlite_store_get_n_wal_writebacks (AlgerSqliteStore *self);
/* how many main-context iterations (of the thread that made the store) polled
 * without sleeping because the writer held ops whose done callbacks it
 * awaited, within 200 µs of the writer's last post.  Read it on that thread. */
guint64 alger_sqlite_store_get_n_main_spins (AlgerSqliteStore *self);
/* number of queued writes that failed (their done got ALGER_ERROR_STORAGE) */
guint64 alger_sqlite_store_get_n_failed (AlgerSqliteStore *self);
/* run SQL on the writer connection, on the writer thread, in FIFO order with
 * the queued writes (e.g. "PRAGMA max_page_count=…" to simulate a full disk) */
gboolean alger_sqlite_store_exec_sync (AlgerSqliteStore *self, const char *sql, GError **error);

G_END_DECLS
