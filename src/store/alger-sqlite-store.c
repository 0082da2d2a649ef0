/* alger-sqlite-store.c: the audit store on SQLite
 *
 * Design (see docs STORE.md, "audit before effect"):
 *  - one writer thread owns the only read-write connection.  Callers (on the
 *    main context) append write ops to a FIFO.  Ops from the main thread
 *    are corked until its main-loop iteration ends (the cork source's
 *    prepare, or a flush): a burst of frames then costs one lock, at most one
 *    wake-up of the writer (only when it sleeps), and one commit instead of
 *    a commit per frame and its pages written again each time; the writer
 *    takes everything
 *    queued (up to MAX_BATCH ops), runs it in ONE transaction with cached
 *    prepared statements, commits, and hands all the batch's `done`
 *    callbacks back to the main context with ONE idle source, in order
 *    (group commit).  The server sends a frame only from its done callback.
 *    Between batches under load, the writer watches the queue for a moment
 *    (yielding its CPU) before it sleeps, see writer_wait.
 *  - if the batch transaction fails, it is rolled back and each op is retried
 *    in its own transaction, so one bad op costs only itself; failed ops get
 *    ALGER_ERROR_STORAGE.
 *  - reads run in GTask worker threads on read-only connections from a
 *    small pool; WAL lets them read while the writer writes.
 *  - journal_mode=WAL with synchronous=NORMAL: a commit returns once its
 *    frames are written (write(2)) to the -wal file; the fsync happens at
 *    checkpoints, which run on their own thread and connection (PASSIVE,
 *    every CHECKPOINT_PAGES new pages), so commits do not wait for the disk;
 *    the WAL starts over at the first commit after a pass has caught up.
 *    Only writing that never pauses can outrun that: when the WAL has grown
 *    past CHECKPOINT_RESTART_PAGES, the writer finishes a checkpoint with
 *    RESTART between two batches, so the WAL stays bounded.  A process crash (kill -9) therefore loses no committed
 *    transaction (the data is in the OS page cache, recovered from the WAL
 *    at the next open) and WAL can never be corrupted by one; only a power
 *    loss or kernel crash may roll back the last few commits, and even that
 *    leaves a consistent database.  FULL would fsync every commit; with
 *    group commit that would be affordable but buys nothing against the
 *    crash model STORE.md tests.
 */
#define G_LOG_DOMAIN "alger-store"

#include "config.h"

#include "alger-sqlite-store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alger-error.h"
#include "alger-frame.h"
#include "alger-mailbox.h"
#include "alger-redact.h"
#include "alger-sqlite-util.h"
#include "alger-store-schema.h"


#define MAX_BATCH 4096
/* how long the writer watches for new ops before it sleeps (see writer_wait) */
#define WRITER_SPIN_US 200
/* the main context, awaiting done callbacks from a busy writer: see
 * cork_prepare */
#define MAIN_SPIN_US 200
/* the writer starts the disk write of the WAL frames it added every this
 * many pages (512 KB): see wal_start_writeback */
#define WAL_WRITEBACK_PAGES 128
#define WAL_HEADER_BYTES 32
#define WAL_FRAME_HEADER_BYTES 24
/* a long iteration (many sockets ready at once) hands its ops over in
 * parts, keeping the writer busy meanwhile */
#define CORK_MAX_OPS ALGER_SQLITE_STORE_CORK_MAX_OPS
#define MAX_MULTI_FRAMES 32 /* rows per multi-row INSERT (frames, user actions, events) */
#define MAX_IDLE_READERS 4
#define OP_MAX_STRINGS 8
#define OP_MAX_INTS 5

#define INTERRUPTED_DESCRIPTION "Execution interrupted by a server restart"

/* ------------------------------------------------------------------------ */
/* write ops                                                                */

typedef enum {
  OP_OPEN_CONNECTION,
  OP_CLOSE_CONNECTION,
  OP_FRAME,
  OP_USER_ACTION,
  OP_ERROR,
  OP_TOUCH_LOGIN,
  OP_CREATE_EXECUTION,
  OP_UPDATE_EXECUTION,
  OP_EXECUTION_EVENT,
  OP_SAVE_PIPELINE,
  OP_REMOVE_PIPELINE,
  OP_SYNC, /* a synchronous call run by the writer (ensure_user, …) */
} OpKind;

typedef struct _SyncCall SyncCall;

/* one allocation per op: the header, then the strings it was given */
typedef struct {
  OpKind kind;
  guint64 seq;
  AlgerStoreDoneFunc done;
  gpointer user_data;
  GError *error; /* set by the writer when the op failed */
  gboolean compose; /* OP_FRAME: s[1] is the content; the writer adds the head */
  SyncCall *sync;
  gint64 n[OP_MAX_INTS];
  const char *s[OP_MAX_STRINGS];
  char ts[24]; /* "YYYY-MM-DD HH:MM:SS.mmm", taken when queued */
  char *scrubbed[OP_MAX_STRINGS]; /* redacted copies made by the writer */
  char data[];
} Op;

typedef gboolean (*SyncFunc) (sqlite3 *db, const char *ts, gpointer data, GError **error);

struct _SyncCall {
  SyncFunc func;
  gpointer data;
  gboolean in_transaction;
  /* results, under the store lock */
  gboolean finished;
  gboolean ok;
  GError *error;
};

enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_INSERT_CONNECTION,
  STMT_INSERT_CONVERSATION,
  STMT_CLOSE_CONNECTION,
  STMT_END_CONVERSATION,
  STMT_INSERT_FRAME,
  STMT_INSERT_USER_ACTION,
  STMT_INSERT_ERROR,
  STMT_TOUCH_LOGIN,
  STMT_INSERT_EXECUTION,
  STMT_INSERT_EXECUTION_GRAPH,
  STMT_UPDATE_EXECUTION,
  STMT_INSERT_EVENT,
  STMT_SAVE_PIPELINE,
  STMT_REMOVE_PIPELINE,
  N_STMTS
};

/* Nullable references are resolved with a sub-select, so that a dangling id
 * is stored as NULL (what ON DELETE SET NULL would leave) instead of failing
 * the foreign key and losing the audit row. */
static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  /* a connection recorded while its credentials were checked gets its user
   * (or its refusal) in place; when it began stays as first recorded */
  [STMT_INSERT_CONNECTION] =
      "INSERT INTO connections (id, user_id, client_ip, client_port, user_agent, origin, path, "
      "status, connected_at) VALUES (?1, (SELECT id FROM users WHERE id = ?2), ?3, ?4, ?5, ?6, "
      "?7, ?8, ?9) ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, status = "
      "excluded.status",
  [STMT_INSERT_CONVERSATION] =
      "INSERT INTO conversations (id, user_id, connection_id, started_at, first_message_id) "
      "VALUES (?1, (SELECT id FROM users WHERE id = ?2), (SELECT id FROM connections WHERE id = "
      "?3), ?4, (SELECT coalesce(max(id), 0) + 1 FROM conversation_messages)) ON CONFLICT (id) "
      "DO UPDATE SET user_id = excluded.user_id",
  [STMT_CLOSE_CONNECTION] =
      "UPDATE connections SET status = ?1, disconnected_at = ?2 WHERE id = ?3",
  /* a session records no frame after it closes: every message of the
   * conversation is already in */
  [STMT_END_CONVERSATION] =
      "UPDATE conversations SET ended_at = ?1, last_message_id = (SELECT max(id) FROM "
      "conversation_messages) WHERE id = ?2",
  [STMT_INSERT_FRAME] =
      "INSERT INTO conversation_messages (conversation_id, direction, message_id, request_id, "
      "type_code, status_code, payload, error, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
      "?8, ?9)",
  [STMT_INSERT_USER_ACTION] =
      "INSERT INTO user_actions (user_id, action, details, created_at) VALUES ("
      "(SELECT id FROM users WHERE id = ?1), ?2, ?3, ?4)",
  [STMT_INSERT_ERROR] =
      "INSERT INTO error_logs (conversation_id, execution_id, message_id, type_code, severity, "
      "message, payload, created_at) VALUES ((SELECT id FROM conversations WHERE id = ?1), "
      "(SELECT id FROM execution_runs WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8)",
  [STMT_TOUCH_LOGIN] = "UPDATE users SET last_login = ?1, updated_at = ?1 WHERE id = ?2",
  /* the graph goes to its own table, so that the end-of-run update does
   * not rewrite it (see migrate_v3 in alger-store-schema.c) */
  [STMT_INSERT_EXECUTION] =
      "INSERT INTO execution_runs (id, pipeline_id, source, params, status, requested_by, "
      "started_at) VALUES (?1, (SELECT id FROM pipelines WHERE id = ?2), ?3, ?4, ?5, "
      "(SELECT id FROM users WHERE id = ?6), ?7)",
  [STMT_INSERT_EXECUTION_GRAPH] =
      "INSERT INTO execution_graphs (execution_id, graph) VALUES (?1, ?2)",
  [STMT_UPDATE_EXECUTION] =
      "UPDATE execution_runs SET status = COALESCE(?1, status), output_file = COALESCE(?2, "
      "output_file), output_content = COALESCE(?3, output_content), completed_at = CASE WHEN ?4 "
      "THEN ?5 ELSE completed_at END WHERE id = ?6",
  [STMT_INSERT_EVENT] =
      "INSERT INTO execution_events (execution_id, event_type, description, payload, "
      "created_at) VALUES ((SELECT id FROM execution_runs WHERE id = ?1), ?2, ?3, ?4, ?5)",
  [STMT_SAVE_PIPELINE] =
      "INSERT INTO pipelines (id, name, full_graph, description, metadata, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id) DO UPDATE SET "
      "name = excluded.name, full_graph = excluded.full_graph, description = "
      "excluded.description, metadata = excluded.metadata, updated_at = excluded.updated_at",
  [STMT_REMOVE_PIPELINE] = "DELETE FROM pipelines WHERE id = ?1",
};

struct _AlgerSqliteStore {
  GObject parent_instance;

  char *path;
  AlgerPayloadPolicy policy;
  GMainContext *main_ctx; /* where done callbacks run */
  AlgerMailbox *mailbox;  /* the writer's way there */
  GThread *main_thread;   /* the thread that made the store: it corks its ops */
  GPtrArray *corked;      /* main thread only: ops of this iteration, not yet queued */
  GSource *cork_source;   /* hands them over when the iteration ends */
  gint64 spin_since;      /* main context: when its current wait for the writer began */
  gint last_delivery;     /* main context: n_deliveries when it last looked */
  guint64 n_main_spins;   /* main context: iterations that polled without sleeping */

  /* the writer: wdb, stmts, batch, the w_* fields belong to its thread */
  GThread *writer;
  sqlite3 *wdb;
  sqlite3_stmt *stmts[N_STMTS];
  sqlite3_stmt *frame_stmts[MAX_MULTI_FRAMES + 1];  /* [k]: INSERT of k frame rows */
  sqlite3_stmt *action_stmts[MAX_MULTI_FRAMES + 1]; /* [k]: INSERT of k user actions */
  sqlite3_stmt *event_stmts[MAX_MULTI_FRAMES + 1];  /* [k]: INSERT of k execution events */
  GPtrArray *batch;
  guint64 w_transactions;
  guint64 w_failed;
  gboolean w_failing; /* inside a burst of failures (warned once) */
  guint64 w_burst_failed;
  int w_wal_fd;            /* the WAL, read-only, for sync_file_range (-1: none) */
  gint64 w_wal_frame_bytes; /* page size + frame header */
  int w_wal_started;       /* frames whose writeback has been started */
  guint64 w_wal_writebacks;

  /* shared with the writer, under lock */
  GMutex lock;
  GCond wake;     /* writer: the queue is no longer empty, or stop */
  GCond progress; /* flush and sync callers: a batch or a sync call is done */
  GPtrArray *queue;
  guint64 n_submitted;
  guint64 n_completed;
  guint64 n_transactions;
  guint64 n_failed;
  guint64 n_wal_writebacks;
  gboolean stopping;
  gboolean writer_idle;    /* the writer sleeps on `wake` */
  gint n_enqueued;          /* atomic: bumped by each enqueue, for the writer's spin */
  /* atomic: ops with a done callback queued and not yet posted back, and
   * the writer's posts, for the main context's spin */
  gint n_awaiting_done;
  gint n_deliveries;
  guint64 n_waits, n_spins; /* the writer's waits for ops, and those it began spinning */
  guint n_progress_waiters; /* flush and sync callers sleeping on `progress` */

  /* idle reader connections */
  GMutex readers_lock;
  GPtrArray *readers;

  /* the checkpointer: copies the WAL back into the database (and fsyncs) on
   * its own connection, so the writer's commits never wait for the disk */
  GThread *checkpointer;
  sqlite3 *ck_db;         /* opened with the store, used and closed by the thread */
  GMutex ck_lock;
  GCond ck_wake;
  GCond ck_done;          /* a pass ended */
  gboolean ck_pending;
  gboolean ck_stopping;
  gboolean ck_running;    /* a PASSIVE pass is under way */
  gboolean ck_held;       /* the writer is restarting the WAL: no pass starts */
  /* set by the checkpointer after a PASSIVE pass on a large WAL: the writer
   * finishes the job with a RESTART between two batches (atomic) */
  gint ck_restart_wanted;
  int ck_next_pages; /* WAL size that wakes the checkpointer next (writer only) */
  /* CHECKPOINT_PAGES, _RESTART_PAGES, _HARD_PAGES unless
   * ALGER_CHECKPOINT_PAGES is set (tests), fixed before the threads start */
  int ck_pages, ck_restart_pages, ck_hard_pages;
  gboolean w_restarting; /* the writer is in restart_wal (writer only) */
  /* under lock: RESTARTs tried, those that readers held up, and the busy
   * naps they cost the writer */
  guint64 n_restarts, n_restarts_deferred, n_restart_naps;
};

static void alger_sqlite_store_iface_init (AlgerStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AlgerSqliteStore, alger_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ALGER_TYPE_STORE,
                                                      alger_sqlite_store_iface_init))

/* ------------------------------------------------------------------------ */
/* the writer thread                                                        */

static sqlite3_stmt *
get_stmt (AlgerSqliteStore *self, guint which, GError **error)
{
  if (self->stmts[which] == NULL) {
    if (sqlite3_prepare_v3 (self->wdb, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                            &self->stmts[which], NULL) != SQLITE_OK) {
      alger_sql_set_sqlite_error (error, self->wdb, "preparing a statement");
      return NULL;
    }
  }
  return self->stmts[which];
}

static gboolean
run_stmt (AlgerSqliteStore *self, guint which, GError **error)
{
  sqlite3_stmt *stmt = get_stmt (self, which, error);

  return stmt != NULL && alger_sql_step_done (self->wdb, stmt, stmt_sql[which], error);
}

static void
rollback_if_needed (AlgerSqliteStore *self)
{
  g_autoptr(GError) error = NULL;

  /* some errors (SQLITE_FULL, IOERR, BUSY) roll back on their own */
  if (sqlite3_get_autocommit (self->wdb))
    return;
  if (!run_stmt (self, STMT_ROLLBACK, &error))
    g_warning ("rollback failed: %s", error->message);
}

static void
bind_frame (sqlite3_stmt *stmt, int base, Op *op)
{
  alger_sql_bind_text (stmt, base + 1, op->s[0]);
  alger_sql_bind_text (stmt, base + 2, op->n[0] == ALGER_DIRECTION_OUTGOING ? "outgoing" : "incoming");
  alger_sql_bind_int_or_null (stmt, base + 3, op->n[1]);
  alger_sql_bind_int_or_null (stmt, base + 4, op->n[2]);
  alger_sql_bind_int_or_null (stmt, base + 5, op->n[3]);
  alger_sql_bind_int_or_null (stmt, base + 6, op->n[4]);
  alger_sql_bind_text (stmt, base + 7, op->s[1]);
  alger_sql_bind_text (stmt, base + 8, op->s[2]);
  alger_sql_bind_text (stmt, base + 9, op->ts);
}

#define STMT_OR_FAIL(var, which)                                                                   \
  sqlite3_stmt *var = get_stmt (self, which, error);                                               \
  if (var == NULL)                                                                                 \
    return FALSE;

static gboolean
exec_op (AlgerSqliteStore *self, Op *op, GError **error)
{
  sqlite3 *db = self->wdb;

  switch (op->kind) {
  case OP_OPEN_CONNECTION: {
    STMT_OR_FAIL (stmt, STMT_INSERT_CONNECTION);
    alger_sql_bind_text (stmt, 1, op->s[0]);
    alger_sql_bind_text (stmt, 2, op->s[1]);
    alger_sql_bind_text (stmt, 3, op->s[2]);
    sqlite3_bind_int64 (stmt, 4, op->n[0]);
    alger_sql_bind_text (stmt, 5, op->s[3]);
    alger_sql_bind_text (stmt, 6, op->s[4]);
    alger_sql_bind_text (stmt, 7, op->s[5]);
    alger_sql_bind_text (stmt, 8, op->s[6]);
    alger_sql_bind_text (stmt, 9, op->ts);
    if (!alger_sql_step_done (db, stmt, "recording a connection", error))
      return FALSE;
    if (op->s[7] != NULL) {
      STMT_OR_FAIL (conv, STMT_INSERT_CONVERSATION);
      alger_sql_bind_text (conv, 1, op->s[7]);
      alger_sql_bind_text (conv, 2, op->s[1]);
      alger_sql_bind_text (conv, 3, op->s[0]);
      alger_sql_bind_text (conv, 4, op->ts);
      if (!alger_sql_step_done (db, conv, "recording a conversation", error))
        return FALSE;
    }
    return TRUE;
  }
  case OP_CLOSE_CONNECTION: {
    if (op->s[0] != NULL) {
      STMT_OR_FAIL (stmt, STMT_CLOSE_CONNECTION);
      alger_sql_bind_text (stmt, 1, op->s[2]);
      alger_sql_bind_text (stmt, 2, op->ts);
      alger_sql_bind_text (stmt, 3, op->s[0]);
      if (!alger_sql_step_done (db, stmt, "closing a connection", error))
        return FALSE;
    }
    if (op->s[1] != NULL) {
      STMT_OR_FAIL (conv, STMT_END_CONVERSATION);
      alger_sql_bind_text (conv, 1, op->ts);
      alger_sql_bind_text (conv, 2, op->s[1]);
      if (!alger_sql_step_done (db, conv, "ending a conversation", error))
        return FALSE;
    }
    return TRUE;
  }
  case OP_FRAME: {
    STMT_OR_FAIL (stmt, STMT_INSERT_FRAME);
    bind_frame (stmt, 0, op);
    return alger_sql_step_done (db, stmt, "recording a frame", error);
  }
  case OP_USER_ACTION: {
    STMT_OR_FAIL (stmt, STMT_INSERT_USER_ACTION);
    alger_sql_bind_text (stmt, 1, op->s[0]);
    alger_sql_bind_text (stmt, 2, op->s[1]);
    alger_sql_bind_text (stmt, 3, op->s[2]);
    alger_sql_bind_text (stmt, 4, op->ts);
    return alger_sql_step_done (db, stmt, "recording a user action", error);
  }
  case OP_ERROR: {
    STMT_OR_FAIL (stmt, STMT_INSERT_ERROR);
    alger_sql_bind_text (stmt, 1, op->s[0]);
    alger_sql_bind_text (stmt, 2, op->s[1]);
    alger_sql_bind_int_or_null (stmt, 3, op->n[0]);
    alger_sql_bind_int_or_null (stmt, 4, op->n[1]);
    alger_sql_bind_text (stmt, 5, op->s[2]);
    alger_sql_bind_text (stmt, 6, op->s[3]);
    alger_sql_bind_text (stmt, 7, op->s[4]);
    alger_sql_bind_text (stmt, 8, op->ts);
    return alger_sql_step_done (db, stmt, "recording an error", error);
  }
  case OP_TOUCH_LOGIN: {
    STMT_OR_FAIL (stmt, STMT_TOUCH_LOGIN);
    alger_sql_bind_text (stmt, 1, op->ts);
    alger_sql_bind_text (stmt, 2, op->s[0]);
    return alger_sql_step_done (db, stmt, "updating last_login", error);
  }
  case OP_CREATE_EXECUTION: {
    /* strings: id, pipeline, source, graph, params, status, requested by */
    STMT_OR_FAIL (stmt, STMT_INSERT_EXECUTION);
    alger_sql_bind_text (stmt, 1, op->s[0]);
    alger_sql_bind_text (stmt, 2, op->s[1]);
    alger_sql_bind_text (stmt, 3, op->s[2]);
    alger_sql_bind_text (stmt, 4, op->s[4]);
    alger_sql_bind_text (stmt, 5, op->s[5]);
    alger_sql_bind_text (stmt, 6, op->s[6]);
    alger_sql_bind_text (stmt, 7, op->ts);
    if (!alger_sql_step_done (db, stmt, "recording an execution", error))
      return FALSE;
    if (op->s[3] == NULL)
      return TRUE;
    STMT_OR_FAIL (graph, STMT_INSERT_EXECUTION_GRAPH);
    alger_sql_bind_text (graph, 1, op->s[0]);
    alger_sql_bind_text (graph, 2, op->s[3]);
    return alger_sql_step_done (db, graph, "recording an execution's graph", error);
  }
  case OP_UPDATE_EXECUTION: {
    STMT_OR_FAIL (stmt, STMT_UPDATE_EXECUTION);
    alger_sql_bind_text (stmt, 1, op->s[1]);
    alger_sql_bind_text (stmt, 2, op->s[2]);
    alger_sql_bind_text (stmt, 3, op->s[3]);
    sqlite3_bind_int (stmt, 4, op->n[0] != 0);
    alger_sql_bind_text (stmt, 5, op->ts);
    alger_sql_bind_text (stmt, 6, op->s[0]);
    return alger_sql_step_done (db, stmt, "updating an execution", error);
  }
  case OP_EXECUTION_EVENT: {
    STMT_OR_FAIL (stmt, STMT_INSERT_EVENT);
    for (int i = 0; i < 4; i++)
      alger_sql_bind_text (stmt, i + 1, op->s[i]);
    alger_sql_bind_text (stmt, 5, op->ts);
    return alger_sql_step_done (db, stmt, "recording an execution event", error);
  }
  case OP_SAVE_PIPELINE: {
    STMT_OR_FAIL (stmt, STMT_SAVE_PIPELINE);
    for (int i = 0; i < 5; i++)
      alger_sql_bind_text (stmt, i + 1, op->s[i]);
    alger_sql_bind_text (stmt, 6, op->ts);
    return alger_sql_step_done (db, stmt, "saving a pipeline", error);
  }
  case OP_REMOVE_PIPELINE: {
    STMT_OR_FAIL (stmt, STMT_REMOVE_PIPELINE);
    alger_sql_bind_text (stmt, 1, op->s[0]);
    return alger_sql_step_done (db, stmt, "removing a pipeline", error);
  }
  case OP_SYNC:
  default:
    g_assert_not_reached ();
  }
  return FALSE;
}

static void
bind_user_action (sqlite3_stmt *stmt, int base, Op *op)
{
  alger_sql_bind_text (stmt, base + 1, op->s[0]);
  alger_sql_bind_text (stmt, base + 2, op->s[1]);
  alger_sql_bind_text (stmt, base + 3, op->s[2]);
  alger_sql_bind_text (stmt, base + 4, op->ts);
}

static void
bind_event (sqlite3_stmt *stmt, int base, Op *op)
{
  for (int i = 0; i < 4; i++)
    alger_sql_bind_text (stmt, base + i + 1, op->s[i]);
  alger_sql_bind_text (stmt, base + 5, op->ts);
}

/* the rows that are only ever appended, in bulk: one multi-row INSERT per
 * table costs a row about half of what one statement per row does
 * (AUTOINCREMENT bookkeeping and statement overhead are paid once per
 * statement) */
typedef struct {
  OpKind kind;
  const char *head;
  const char *tuple;
  int n_cols;
  void (*bind) (sqlite3_stmt *stmt, int base, Op *op);
  const char *what;
} AppendTable;

static const AppendTable append_tables[] = {
  { OP_FRAME,
    "INSERT INTO conversation_messages (conversation_id, direction, message_id, request_id, "
    "type_code, status_code, payload, error, recorded_at) VALUES ",
    "(?,?,?,?,?,?,?,?,?)", 9, bind_frame, "recording frames" },
  { OP_USER_ACTION,
    "INSERT INTO user_actions (user_id, action, details, created_at) VALUES ",
    "(?,?,?,?)", 4, bind_user_action, "recording user actions" },
  { OP_EXECUTION_EVENT,
    "INSERT INTO execution_events (execution_id, event_type, description, payload, created_at) "
    "VALUES ",
    "((SELECT id FROM execution_runs WHERE id = ?),?,?,?,?)", 5, bind_event,
    "recording execution events" },
};

static sqlite3_stmt **
append_stmts (AlgerSqliteStore *self, OpKind kind)
{
  switch (kind) {
  case OP_FRAME:
    return self->frame_stmts;
  case OP_USER_ACTION:
    return self->action_stmts;
  case OP_EXECUTION_EVENT:
    return self->event_stmts;
  default:
    g_assert_not_reached ();
  }
  return NULL;
}

/* k rows of one table (1 < k <= MAX_MULTI_FRAMES) with one statement */
static gboolean
exec_rows (AlgerSqliteStore *self, const AppendTable *table, Op **ops, guint k, GError **error)
{
  sqlite3_stmt **cache = append_stmts (self, table->kind);
  sqlite3_stmt *stmt;

  g_assert (k >= 2 && k <= MAX_MULTI_FRAMES);
  stmt = cache[k];
  if (stmt == NULL) {
    g_autoptr(GString) sql = g_string_new (table->head);

    for (guint r = 0; r < k; r++) {
      if (r > 0)
        g_string_append_c (sql, ',');
      g_string_append (sql, table->tuple);
    }
    if (sqlite3_prepare_v3 (self->wdb, sql->str, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK) {
      alger_sql_set_sqlite_error (error, self->wdb, "preparing a statement");
      return FALSE;
    }
    cache[k] = stmt;
  }
  for (guint r = 0; r < k; r++)
    table->bind (stmt, (int) r * table->n_cols, ops[r]);
  return alger_sql_step_done (self->wdb, stmt, table->what, error);
}

static gboolean
is_append (const Op *op)
{
  return op->kind == OP_FRAME || op->kind == OP_USER_ACTION || op->kind == OP_EXECUTION_EVENT;
}

/* a run of frames, user actions and execution events, in any interleaving
 * (a 101's frame in, its user action, its answer, the next 101 …; a run's
 * 205s and its tracked-output events): each table's rows go in with
 * multi-row INSERTs, in their order. Rows of two tables that depend on
 * nothing in each other may be inserted in either order within a
 * transaction; everything else in a batch (connections, executions, …)
 * stays in its place between such runs. */
static gboolean
exec_appends (AlgerSqliteStore *self, Op **ops, guint n, GError **error)
{
  Op *rows[MAX_MULTI_FRAMES];

  for (guint t = 0; t < G_N_ELEMENTS (append_tables); t++) {
    const AppendTable *table = &append_tables[t];
    guint k = 0;

    for (guint i = 0; i <= n; i++) {
      if (i < n && ops[i]->kind == table->kind)
        rows[k++] = ops[i];
      if (k > 0 && (i == n || k == MAX_MULTI_FRAMES)) {
        gboolean ok = k == 1 ? exec_op (self, rows[0], error)
                             : exec_rows (self, table, rows, k, error);
        if (!ok)
          return FALSE;
        k = 0;
      }
    }
  }
  return TRUE;
}

static void
note_failures (AlgerSqliteStore *self, guint n_failed, guint n_ops, const GError *error)
{
  if (n_failed == 0) {
    if (self->w_failing) {
      g_message ("storage recovered after %" G_GUINT64_FORMAT " failed writes",
                 self->w_burst_failed);
      self->w_failing = FALSE;
      self->w_burst_failed = 0;
    }
    return;
  }
  self->w_failed += n_failed;
  self->w_burst_failed += n_failed;
  if (!self->w_failing) {
    /* once per burst, not per op */
    g_warning ("storage failure: %u of %u queued writes could not be committed: %s", n_failed,
               n_ops, error != NULL ? error->message : "unknown error");
    self->w_failing = TRUE;
  }
}

/* run ops[0..n) in one transaction; on failure, roll back and retry each
 * op alone so that one bad op fails alone */
static void
run_group (AlgerSqliteStore *self, Op **ops, guint n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) first_error = NULL;
  gboolean ok;
  guint n_failed = 0;

  if (n == 0)
    return;

  ok = run_stmt (self, STMT_BEGIN, &error);
  for (guint i = 0; ok && i < n;) {
    guint k = 1;

    if (is_append (ops[i])) {
      while (i + k < n && is_append (ops[i + k]))
        k++;
      ok = exec_appends (self, ops + i, k, &error);
    } else {
      ok = exec_op (self, ops[i], &error);
    }
    i += k;
  }
  if (ok)
    ok = run_stmt (self, STMT_COMMIT, &error);
  self->w_transactions++;
  if (ok) {
    note_failures (self, 0, n, NULL);
    return;
  }
  rollback_if_needed (self);
  g_debug ("batch of %u writes failed (%s), retrying one by one", n, error->message);
  if (n == 1) {
    ops[0]->error = g_steal_pointer (&error);
    ops[0]->error->domain = ALGER_ERROR;
    ops[0]->error->code = ALGER_ERROR_STORAGE;
    note_failures (self, 1, 1, ops[0]->error);
    return;
  }

  for (guint i = 0; i < n; i++) {
    GError *op_error = NULL;

    ok = run_stmt (self, STMT_BEGIN, &op_error) && exec_op (self, ops[i], &op_error) &&
         run_stmt (self, STMT_COMMIT, &op_error);
    self->w_transactions++;
    if (!ok) {
      rollback_if_needed (self);
      ops[i]->error = op_error;
      if (first_error == NULL)
        first_error = g_error_copy (op_error);
      n_failed++;
    }
  }
  note_failures (self, n_failed, n, first_error);
}

static void
run_sync (AlgerSqliteStore *self, Op *op)
{
  SyncCall *call = op->sync;
  GError *error = NULL;
  gboolean ok;

  if (call->in_transaction) {
    ok = run_stmt (self, STMT_BEGIN, &error) && call->func (self->wdb, op->ts, call->data, &error) &&
         run_stmt (self, STMT_COMMIT, &error);
    if (!ok)
      rollback_if_needed (self);
    self->w_transactions++;
  } else {
    ok = call->func (self->wdb, op->ts, call->data, &error);
  }

  g_mutex_lock (&self->lock);
  call->ok = ok;
  call->error = error;
  call->finished = TRUE;
  g_cond_broadcast (&self->progress);
  g_mutex_unlock (&self->lock);
  /* the caller owns `call` again from here */
}

static void
op_free (gpointer data)
{
  Op *op = data;

  g_clear_error (&op->error);
  for (guint i = 0; i < OP_MAX_STRINGS; i++)
    g_free (op->scrubbed[i]);
  g_free (op);
}

static void
deliver_cb (gpointer data)
{
  GPtrArray *ops = data;

  for (guint i = 0; i < ops->len; i++) {
    Op *op = g_ptr_array_index (ops, i);

    op->done (op->error == NULL, op->error, op->user_data);
  }
}

/* hand the done callbacks of ops (in order) to the main context, with one
 * letter; takes ownership of the ops */
static void
deliver (AlgerSqliteStore *self, Op **ops, guint n)
{
  GPtrArray *with_done = NULL;

  for (guint i = 0; i < n; i++) {
    if (ops[i]->done == NULL) {
      op_free (ops[i]);
      continue;
    }
    if (with_done == NULL)
      with_done = g_ptr_array_new_full (n - i, op_free);
    g_ptr_array_add (with_done, ops[i]);
  }
  if (with_done != NULL) {
    gint n_posted = (gint) with_done->len;

    alger_mailbox_post (self->mailbox, deliver_cb, with_done, (GDestroyNotify) g_ptr_array_unref);
    /* after the post: a main context that stops spinning now finds the
     * letter already waiting */
    g_atomic_int_inc (&self->n_deliveries);
    g_atomic_int_add (&self->n_awaiting_done, -n_posted);
  }
}

static void op_scrub (AlgerSqliteStore *self, Op *op);

/* runs the batch; returns how many ops (compacted at the front) await delivery */
static guint
process_batch (AlgerSqliteStore *self, GPtrArray *batch)
{
  Op **ops = (Op **) batch->pdata;
  guint start = 0;
  guint n_out = 0;

  for (guint i = 0; i < batch->len; i++) {
    if (ops[i]->kind != OP_SYNC)
      op_scrub (self, ops[i]);
  }

  for (guint i = 0; i <= batch->len; i++) {
    if (i < batch->len && ops[i]->kind != OP_SYNC)
      continue;
    run_group (self, ops + start, i - start);
    /* compact the non-sync ops for delivery */
    for (guint j = start; j < i; j++)
      ops[n_out++] = ops[j];
    if (i < batch->len) {
      run_sync (self, ops[i]);
      op_free (ops[i]);
    }
    start = i + 1;
  }
  return n_out;
}

/* how long a RESTART waits for readers on an older snapshot (an operator's
 * open transaction, a long query): the WAL can only start over once they
 * are done, and every client's audit rows wait while the writer does.  It
 * gives up and tries again at the next mark instead of spending the 5 s
 * budget of an ordinary write each time (a pass of our checkpointer is
 * waited for first, see restart_wal) */
#define RESTART_BUSY_BUDGET_US 20000

/* writer thread, between batches, after the checkpointer's PASSIVE pass over
 * a WAL that grew past CHECKPOINT_RESTART_PAGES: copy the frames written
 * since and sync, so that the next commit starts the WAL file over instead
 * of growing it further. */
static void
restart_wal (AlgerSqliteStore *self)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ALGER_SQL_BUSY_TIMEOUT_MS * 1000;
  int rc;

  /* a pass under way ends by itself: wait for it (as long as an ordinary
   * write would), and let none start until the RESTART is done, so what
   * holds the RESTART up can only be readers */
  g_mutex_lock (&self->ck_lock);
  while (self->ck_running && g_cond_wait_until (&self->ck_done, &self->ck_lock, deadline))
    ;
  if (self->ck_running) {
    g_mutex_unlock (&self->ck_lock);
    g_atomic_int_set (&self->ck_restart_wanted, 1); /* after the next batch */
    return;
  }
  self->ck_held = TRUE;
  g_mutex_unlock (&self->ck_lock);
  self->w_restarting = TRUE;
  rc = sqlite3_wal_checkpoint_v2 (self->wdb, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
  self->w_restarting = FALSE;
  g_mutex_lock (&self->ck_lock);
  self->ck_held = FALSE;
  g_cond_signal (&self->ck_wake);
  g_mutex_unlock (&self->ck_lock);
  g_mutex_lock (&self->lock);
  self->n_restarts++;
  if (rc == SQLITE_BUSY)
    self->n_restarts_deferred++;
  g_mutex_unlock (&self->lock);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
    g_warning ("checkpoint of %s failed: %s", self->path, sqlite3_errmsg (self->wdb));
}

/* the writer, its batch done, waits for ops (called and returns with the
 * lock held).  Under load the next ops arrive within a few hundred µs, and
 * sleeping on the condition then costs the main thread a futex wake-up and
 * the writer a wait for a CPU once woken (40 µs on average under the
 * round-trip benchmark).  So while waits are that short (*spin: the last one
 * was), the writer first yields its CPU in a loop, watching for new ops
 * without the lock, for up to WRITER_SPIN_US; a longer wait turns that off
 * until a wait is short again, so a quiet server does not spin. */
static void
writer_wait (AlgerSqliteStore *self, gboolean *spin)
{
  gint64 start;

  if (self->queue->len > 0 || self->stopping) {
    *spin = TRUE;
    return;
  }
  start = g_get_monotonic_time ();
  self->n_waits++;
  if (*spin) {
    gint seen = g_atomic_int_get (&self->n_enqueued);

    self->n_spins++;
    g_mutex_unlock (&self->lock);
    while (g_atomic_int_get (&self->n_enqueued) == seen &&
           g_get_monotonic_time () - start < WRITER_SPIN_US)
      g_thread_yield ();
    g_mutex_lock (&self->lock);
  }
  while (self->queue->len == 0 && !self->stopping) {
    self->writer_idle = TRUE;
    g_cond_wait (&self->wake, &self->lock);
  }
  self->writer_idle = FALSE;
  *spin = g_get_monotonic_time () - start < WRITER_SPIN_US;
}

static gpointer
writer_thread (gpointer data)
{
  AlgerSqliteStore *self = data;

  gboolean spin = FALSE;

  for (;;) {
    guint64 last_seq;
    guint n_out;

    g_mutex_lock (&self->lock);
    writer_wait (self, &spin);
    if (self->queue->len == 0) {
      /* stopping, and everything queued is done */
      g_mutex_unlock (&self->lock);
      break;
    }
    if (self->queue->len <= MAX_BATCH) {
      GPtrArray *tmp = self->queue;
      self->queue = self->batch;
      self->batch = tmp;
    } else {
      for (guint i = 0; i < MAX_BATCH; i++)
        g_ptr_array_add (self->batch, g_ptr_array_index (self->queue, i));
      g_ptr_array_remove_range (self->queue, 0, MAX_BATCH);
    }
    g_mutex_unlock (&self->lock);

    last_seq = ((Op *) g_ptr_array_index (self->batch, self->batch->len - 1))->seq;
    n_out = process_batch (self, self->batch);

    /* the counters first, so a done callback already sees them */
    g_mutex_lock (&self->lock);
    self->n_transactions = self->w_transactions;
    self->n_failed = self->w_failed;
    self->n_wal_writebacks = self->w_wal_writebacks;
    g_mutex_unlock (&self->lock);
    deliver (self, (Op **) self->batch->pdata, n_out);
    g_ptr_array_set_size (self->batch, 0);

    g_mutex_lock (&self->lock);
    self->n_completed = last_seq;
    /* GLib's broadcast is a system call even with nobody waiting */
    if (self->n_progress_waiters > 0)
      g_cond_broadcast (&self->progress);
    g_mutex_unlock (&self->lock);

    if (g_atomic_int_compare_and_exchange (&self->ck_restart_wanted, 1, 0))
      restart_wal (self);
  }
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* queueing writes (main context)                                           */

static Op *
op_new (OpKind kind, AlgerStoreDoneFunc done, gpointer user_data, const char *const *strs,
        guint n_strs)
{
  gsize lens[OP_MAX_STRINGS];
  gsize total = 0;
  Op *op;
  char *p;

  g_assert (n_strs <= OP_MAX_STRINGS);
  for (guint i = 0; i < n_strs; i++) {
    lens[i] = strs[i] != NULL ? strlen (strs[i]) + 1 : 0;
    total += lens[i];
  }
  op = g_malloc (sizeof (Op) + total);
  memset (op, 0, sizeof (Op));
  op->kind = kind;
  op->done = done;
  op->user_data = user_data;
  p = op->data;
  for (guint i = 0; i < n_strs; i++) {
    if (strs[i] == NULL)
      continue;
    memcpy (p, strs[i], lens[i]);
    op->s[i] = p;
    p += lens[i];
  }
  alger_sql_format_now (op->ts);
  return op;
}

static gboolean
deliver_closed_cb (gpointer data)
{
  Op *op = data;

  op->done (FALSE, op->error, op->user_data);
  return G_SOURCE_REMOVE;
}

/* fail ops queued after the store closed: their done callbacks still run,
 * from the main context, with a storage error */
static void
refuse_closed (AlgerSqliteStore *self, Op *op)
{
  if (op->done != NULL && op->kind != OP_SYNC) {
    GSource *source = g_idle_source_new ();

    g_set_error_literal (&op->error, ALGER_ERROR, ALGER_ERROR_STORAGE, "the store is closed");
    g_source_set_callback (source, deliver_closed_cb, op, op_free);
    g_source_attach (source, self->main_ctx);
    g_source_unref (source);
  } else {
    op_free (op);
  }
}

/* append ops to the writer's FIFO; FALSE (and the ops refused) once closed */
static gboolean
enqueue (AlgerSqliteStore *self, Op **ops, guint n)
{
  g_mutex_lock (&self->lock);
  if (self->stopping || self->writer == NULL) {
    g_mutex_unlock (&self->lock);
    for (guint i = 0; i < n; i++)
      refuse_closed (self, ops[i]);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    ops[i]->seq = ++self->n_submitted;
    g_ptr_array_add (self->queue, ops[i]);
    if (ops[i]->done != NULL && ops[i]->kind != OP_SYNC)
      g_atomic_int_inc (&self->n_awaiting_done);
  }
  g_atomic_int_inc (&self->n_enqueued);
  /* a busy writer looks at the queue again before it sleeps: wake only an
   * idle one (GLib's signal is a system call even with nobody waiting) */
  if (self->writer_idle) {
    self->writer_idle = FALSE;
    g_cond_signal (&self->wake);
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* hand the ops corked during this main-loop iteration to the writer */
static void
uncork (AlgerSqliteStore *self)
{
  if (self->corked == NULL || self->corked->len == 0)
    return;
  enqueue (self, (Op **) self->corked->pdata, self->corked->len);
  g_ptr_array_set_size (self->corked, 0);
}

static gboolean
submit (AlgerSqliteStore *self, Op *op)
{
  gboolean on_main = g_thread_self () == self->main_thread;

  if (on_main && op->kind != OP_SYNC && self->cork_source != NULL) {
    g_ptr_array_add (self->corked, op);
    if (self->corked->len >= CORK_MAX_OPS)
      uncork (self);
    return TRUE;
  }
  /* FIFO order: what the main thread corked goes first */
  if (on_main)
    uncork (self);
  return enqueue (self, &op, 1);
}

/* a source that never dispatches: its prepare runs once per iteration of
 * the main context, after the callbacks of the previous one, and uncorks */
typedef struct {
  GSource source;
  AlgerSqliteStore *store; /* unowned: the store destroys the source first */
} CorkSource;

/* while the writer holds ops whose done callbacks this context awaits, it
 * polls without sleeping (its CPU yielded each time) for up to MAIN_SPIN_US
 * since the writer's last post: under load the next commit is due within
 * a batch's time (about 100 µs), and a context asleep in poll() then costs
 * the writer's eventfd write a wake-up, the context a wait for a CPU, before
 * the answers can go out.  A stalled writer (a checkpoint's sync), or nothing
 * awaited, and it sleeps as before: an idle server does not spin. */
static gboolean
main_should_spin (AlgerSqliteStore *self)
{
  gint deliveries = g_atomic_int_get (&self->n_deliveries);
  gint64 now;

  if (g_atomic_int_get (&self->n_awaiting_done) <= 0) {
    self->spin_since = 0;
    return FALSE;
  }
  now = g_get_monotonic_time ();
  if (self->spin_since == 0 || deliveries != self->last_delivery) {
    self->spin_since = now;
    self->last_delivery = deliveries;
  }
  return now - self->spin_since < MAIN_SPIN_US;
}

static gboolean
cork_prepare (GSource *source, gint *timeout)
{
  AlgerSqliteStore *self = ((CorkSource *) source)->store;

  uncork (self);
  *timeout = -1;
  if (main_should_spin (self)) {
    *timeout = 0;
    self->n_main_spins++;
    g_thread_yield ();
  }
  return FALSE;
}

static GSourceFuncs cork_source_funcs = {
  .prepare = cork_prepare,
};

static void
start_corking (AlgerSqliteStore *self)
{
  GSource *source = g_source_new (&cork_source_funcs, sizeof (CorkSource));

  ((CorkSource *) source)->store = self;
  /* first in line: GLib stops preparing lower priorities once one is ready */
  g_source_set_priority (source, G_MININT);
  g_source_set_static_name (source, "[alger-store] cork");
  g_source_attach (source, self->main_ctx);
  self->corked = g_ptr_array_sized_new (256);
  self->cork_source = source;
}

static void
stop_corking (AlgerSqliteStore *self)
{
  if (self->cork_source == NULL)
    return;
  uncork (self);
  g_source_destroy (self->cork_source);
  g_clear_pointer (&self->cork_source, g_source_unref);
  g_clear_pointer (&self->corked, g_ptr_array_unref);
}

static AlgerRedactLevel
redact_level (AlgerSqliteStore *self)
{
  return self->policy == ALGER_PAYLOAD_REDACTED ? ALGER_REDACT_CREDENTIALS
                                                : ALGER_REDACT_PASSWORDS;
}

/* the JSON text to store: json itself, a redacted copy (kept in *tmp), or
 * NULL for a payload body under the metadata policy */
/* Callers only apply the payload policy here; the redaction itself (parsing
 * and re-serializing JSON that mentions a credential) is left to the writer
 * thread, see op_scrub(), so the main loop never pays for it. */
static const char *
store_json (AlgerSqliteStore *self, const char *json, gboolean is_body, char **tmp)
{
  if (json == NULL || (is_body && self->policy == ALGER_PAYLOAD_METADATA))
    return NULL;
  return json;
}

static const char *
store_text (const char *text, char **tmp)
{
  return text;
}

static const char *
store_path (const char *path, char **tmp)
{
  return path;
}

typedef enum {
  SCRUB_NONE,
  SCRUB_JSON,
  SCRUB_TEXT,
  SCRUB_PATH,
} ScrubKind;

/* which string of which op may hold a credential, and in what form */
static ScrubKind
scrub_kind (OpKind kind, guint index)
{
  switch (kind) {
  case OP_OPEN_CONNECTION:
    return index == 5 ? SCRUB_PATH : SCRUB_NONE;
  case OP_FRAME:
    return index == 1 ? SCRUB_JSON : index == 2 ? SCRUB_TEXT : SCRUB_NONE;
  case OP_USER_ACTION:
    return index == 2 ? SCRUB_JSON : SCRUB_NONE;
  case OP_ERROR:
    return index == 3 ? SCRUB_TEXT : index == 4 ? SCRUB_JSON : SCRUB_NONE;
  case OP_CREATE_EXECUTION:
    return index == 3 || index == 4 ? SCRUB_JSON : SCRUB_NONE;
  case OP_UPDATE_EXECUTION:
    return index == 3 ? SCRUB_JSON : SCRUB_NONE;
  case OP_EXECUTION_EVENT:
    return index == 2 ? SCRUB_TEXT : index == 3 ? SCRUB_JSON : SCRUB_NONE;
  case OP_SAVE_PIPELINE:
    return index == 2 || index == 4 ? SCRUB_JSON : SCRUB_NONE;
  default:
    return SCRUB_NONE;
  }
}

/* writer thread: redact, once per op, every string that may need it */
static void
op_scrub (AlgerSqliteStore *self, Op *op)
{
  AlgerRedactLevel level = redact_level (self);

  for (guint i = 0; i < OP_MAX_STRINGS; i++) {
    ScrubKind kind = scrub_kind (op->kind, i);
    const char *text = op->s[i];

    if (kind == SCRUB_NONE || text == NULL || op->scrubbed[i] != NULL)
      continue;
    switch (kind) {
    case SCRUB_JSON:
      if (alger_redact_text_may_need (text, level))
        op->scrubbed[i] = alger_redact_json_text_full (text, level, NULL);
      break;
    case SCRUB_TEXT:
      if (alger_redact_text_may_need (text, ALGER_REDACT_PASSWORDS))
        op->scrubbed[i] = alger_redact_text (text);
      break;
    case SCRUB_PATH:
      if (alger_redact_text_may_need (text, ALGER_REDACT_PASSWORDS))
        op->scrubbed[i] = alger_redact_query (text);
      break;
    default:
      break;
    }
    if (op->scrubbed[i] != NULL)
      op->s[i] = op->scrubbed[i];
  }
  if (op->compose) {
    /* the whole frame around its (redacted) content */
    GString *payload = g_string_sized_new (strlen (op->s[1]) + 80);

    alger_frame_append_head (payload, op->n[1], op->n[2], op->n[3]);
    g_string_append (payload, op->s[1]);
    g_string_append_c (payload, '}');
    g_free (op->scrubbed[1]);
    op->scrubbed[1] = g_string_free (payload, FALSE);
    op->s[1] = op->scrubbed[1];
    op->compose = FALSE;
  }
}

static void
sqlite_open_connection (AlgerStore *store, const AlgerConnectionRecord *rec,
                        AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *path = NULL;
  const char *strs[8];
  Op *op;

  g_return_if_fail (rec != NULL);
  strs[0] = rec->id;
  strs[1] = rec->user_id;
  strs[2] = rec->client_ip;
  strs[3] = rec->user_agent;
  strs[4] = rec->origin;
  strs[5] = store_path (rec->path, &path);
  strs[6] = rec->status != NULL ? rec->status : "open";
  strs[7] = rec->conversation_id;
  op = op_new (OP_OPEN_CONNECTION, done, user_data, strs, G_N_ELEMENTS (strs));
  op->n[0] = rec->client_port;
  submit (self, op);
}

static void
sqlite_close_connection (AlgerStore *store, const char *connection_id,
                         const char *conversation_id, const char *status,
                         AlgerStoreDoneFunc done, gpointer user_data)
{
  const char *strs[3] = { connection_id, conversation_id, status != NULL ? status : "closed" };

  submit (ALGER_SQLITE_STORE (store),
          op_new (OP_CLOSE_CONNECTION, done, user_data, strs, G_N_ELEMENTS (strs)));
}

static void
sqlite_record_frame (AlgerStore *store, const AlgerFrameRecord *rec, AlgerStoreDoneFunc done,
                     gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *payload = NULL;
  g_autofree char *error = NULL;
  const char *strs[3];
  Op *op;

  g_return_if_fail (rec != NULL);
  strs[0] = rec->conversation_id;
  strs[1] = store_json (self, rec->payload != NULL ? rec->payload : rec->content, TRUE, &payload);
  strs[2] = store_text (rec->error, &error);
  op = op_new (OP_FRAME, done, user_data, strs, G_N_ELEMENTS (strs));
  op->compose = rec->payload == NULL && strs[1] != NULL;
  op->n[0] = rec->direction;
  op->n[1] = rec->message_id;
  op->n[2] = rec->request_id;
  op->n[3] = rec->type_code;
  op->n[4] = rec->status_code;
  submit (self, op);
}

static void
sqlite_record_user_action (AlgerStore *store, const char *user_id, const char *action,
                           const char *details_json, AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *details = NULL;
  const char *strs[3] = { user_id, action, store_json (self, details_json, FALSE, &details) };

  submit (self, op_new (OP_USER_ACTION, done, user_data, strs, G_N_ELEMENTS (strs)));
}

static void
sqlite_record_error (AlgerStore *store, const AlgerErrorRecord *rec, AlgerStoreDoneFunc done,
                     gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *message = NULL;
  g_autofree char *payload = NULL;
  const char *strs[5];
  Op *op;

  g_return_if_fail (rec != NULL);
  strs[0] = rec->conversation_id;
  strs[1] = rec->execution_id;
  strs[2] = rec->severity;
  strs[3] = store_text (rec->message, &message);
  strs[4] = store_json (self, rec->payload, TRUE, &payload);
  op = op_new (OP_ERROR, done, user_data, strs, G_N_ELEMENTS (strs));
  op->n[0] = rec->message_id;
  op->n[1] = rec->type_code;
  submit (self, op);
}

static void
sqlite_touch_last_login (AlgerStore *store, const char *user_id, AlgerStoreDoneFunc done,
                         gpointer user_data)
{
  const char *strs[1] = { user_id };

  submit (ALGER_SQLITE_STORE (store), op_new (OP_TOUCH_LOGIN, done, user_data, strs, 1));
}

static void
sqlite_create_execution (AlgerStore *store, const AlgerExecutionRecord *rec,
                         AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *graph = NULL;
  g_autofree char *params = NULL;
  const char *strs[7];

  g_return_if_fail (rec != NULL);
  strs[0] = rec->id;
  strs[1] = rec->pipeline_id;
  strs[2] = rec->source;
  strs[3] = store_json (self, rec->graph, FALSE, &graph);
  strs[4] = store_json (self, rec->params, FALSE, &params);
  strs[5] = rec->status != NULL ? rec->status : "running";
  strs[6] = rec->requested_by;
  submit (self, op_new (OP_CREATE_EXECUTION, done, user_data, strs, G_N_ELEMENTS (strs)));
}

static void
sqlite_update_execution (AlgerStore *store, const char *execution_id, const char *status,
                         const char *output_file, const char *output_content, gboolean completed,
                         AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *content = NULL;
  const char *strs[4] = { execution_id, status, output_file,
                          store_json (self, output_content, FALSE, &content) };
  Op *op = op_new (OP_UPDATE_EXECUTION, done, user_data, strs, G_N_ELEMENTS (strs));

  op->n[0] = completed;
  submit (self, op);
}

static void
sqlite_add_execution_event (AlgerStore *store, const char *execution_id, const char *event_type,
                            const char *description, const char *payload_json,
                            AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *desc = NULL;
  g_autofree char *payload = NULL;
  const char *strs[4] = { execution_id, event_type, store_text (description, &desc),
                          store_json (self, payload_json, TRUE, &payload) };

  submit (self, op_new (OP_EXECUTION_EVENT, done, user_data, strs, G_N_ELEMENTS (strs)));
}

static void
sqlite_save_pipeline (AlgerStore *store, const char *id, const char *name,
                      const char *full_graph_json, const char *description,
                      const char *metadata_json, AlgerStoreDoneFunc done, gpointer user_data)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  g_autofree char *graph = NULL;
  g_autofree char *metadata = NULL;
  const char *strs[5] = { id, name, store_json (self, full_graph_json, FALSE, &graph), description,
                          store_json (self, metadata_json, FALSE, &metadata) };

  submit (self, op_new (OP_SAVE_PIPELINE, done, user_data, strs, G_N_ELEMENTS (strs)));
}

static void
sqlite_remove_pipeline (AlgerStore *store, const char *id, AlgerStoreDoneFunc done,
                        gpointer user_data)
{
  const char *strs[1] = { id };

  submit (ALGER_SQLITE_STORE (store), op_new (OP_REMOVE_PIPELINE, done, user_data, strs, 1));
}

static gboolean
sqlite_flush (AlgerStore *store, GError **error)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  guint64 target;

  if (g_thread_self () == self->main_thread)
    uncork (self);
  g_mutex_lock (&self->lock);
  if (self->writer == NULL) {
    g_mutex_unlock (&self->lock);
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "the store is closed");
    return FALSE;
  }
  target = self->n_submitted;
  self->n_progress_waiters++;
  while (self->n_completed < target)
    g_cond_wait (&self->progress, &self->lock);
  self->n_progress_waiters--;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* run func on the writer thread, in FIFO order with the queued writes, and
 * wait for it */
static gboolean
run_sync_call (AlgerSqliteStore *self, SyncFunc func, gpointer data, gboolean in_transaction,
               GError **error)
{
  SyncCall call = { func, data, in_transaction, FALSE, FALSE, NULL };
  Op *op = op_new (OP_SYNC, NULL, NULL, NULL, 0);

  op->sync = &call;
  if (!submit (self, op)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "the store is closed");
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->n_progress_waiters++;
  while (!call.finished)
    g_cond_wait (&self->progress, &self->lock);
  self->n_progress_waiters--;
  g_mutex_unlock (&self->lock);
  if (!call.ok) {
    g_propagate_error (error, call.error);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* synchronous calls (start-up, command line, tests)                        */

typedef struct {
  const char *username;
  const char *display_name;
  const char *roles_json;
  const char *password_hash;
  gboolean reset_password;
  gboolean created;
} EnsureUser;

static gboolean
ensure_user_func (sqlite3 *db, const char *ts, gpointer data, GError **error)
{
  EnsureUser *eu = data;
  g_autoptr(sqlite3_stmt) find = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *id = NULL;
  gboolean has_hash = FALSE;
  int rc;

  if (!alger_sql_prepare (db, "SELECT id, password_hash FROM users WHERE username = ?1", &find, error))
    return FALSE;
  alger_sql_bind_text (find, 1, eu->username);
  rc = sqlite3_step (find);
  if (rc == SQLITE_ROW) {
    id = g_strdup ((const char *) sqlite3_column_text (find, 0));
    has_hash = sqlite3_column_type (find, 1) != SQLITE_NULL;
  } else if (rc != SQLITE_DONE) {
    alger_sql_set_sqlite_error (error, db, "looking up a user");
    return FALSE;
  }

  if (id == NULL) {
    g_autofree char *new_id = g_uuid_string_random ();

    if (!alger_sql_prepare (db,
                  "INSERT INTO users (id, username, display_name, email, roles, metadata, "
                  "last_login, created_at, updated_at, password_hash) VALUES (?1, ?2, ?3, NULL, "
                  "?4, '{}', NULL, ?5, ?5, ?6)",
                  &stmt, error))
      return FALSE;
    alger_sql_bind_text (stmt, 1, new_id);
    alger_sql_bind_text (stmt, 2, eu->username);
    alger_sql_bind_text (stmt, 3, eu->display_name);
    alger_sql_bind_text (stmt, 4, eu->roles_json != NULL ? eu->roles_json : "[]");
    alger_sql_bind_text (stmt, 5, ts);
    alger_sql_bind_text (stmt, 6, eu->password_hash);
    if (!alger_sql_step_done (db, stmt, "creating a user", error))
      return FALSE;
    eu->created = TRUE;
    return TRUE;
  }

  /* an account without a hash (migrated from the original) cannot log in:
   * give it the configured one */
  if (eu->password_hash != NULL && (eu->reset_password || !has_hash)) {
    if (!alger_sql_prepare (db, "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
                  &stmt, error))
      return FALSE;
    alger_sql_bind_text (stmt, 1, eu->password_hash);
    alger_sql_bind_text (stmt, 2, ts);
    alger_sql_bind_text (stmt, 3, id);
    if (!alger_sql_step_done (db, stmt, "setting a password hash", error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
sqlite_ensure_user_sync (AlgerStore *store, const char *username, const char *display_name,
                         const char *roles_json, const char *password_hash,
                         gboolean reset_password, gboolean *created, GError **error)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (store);
  EnsureUser eu = { username, display_name, roles_json, password_hash, reset_password, FALSE };

  if (created != NULL)
    *created = FALSE;
  if (username == NULL || *username == '\0') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "username is empty");
    return FALSE;
  }
  if (roles_json != NULL) {
    g_autoptr(JsonNode) roles = json_from_string (roles_json, NULL);

    if (roles == NULL || !JSON_NODE_HOLDS_ARRAY (roles)) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                   "roles must be a JSON array, not %s", roles_json);
      return FALSE;
    }
  }
  if (!run_sync_call (self, ensure_user_func, &eu, TRUE, error))
    return FALSE;
  if (created != NULL)
    *created = eu.created;
  return TRUE;
}

/* connections (and their conversations) a crash left open end at this start */
static gboolean
close_stale_connections (sqlite3 *db, const char *ts, GError **error)
{
  g_autoptr(sqlite3_stmt) conversations = NULL;
  g_autoptr(sqlite3_stmt) connections = NULL;

  if (!alger_sql_prepare (db,
                "UPDATE conversations SET ended_at = ?1, last_message_id = (SELECT max(id) FROM "
                "conversation_messages) WHERE ended_at IS NULL AND "
                "connection_id IN (SELECT id FROM connections WHERE status = 'open')",
                &conversations, error))
    return FALSE;
  alger_sql_bind_text (conversations, 1, ts);
  if (!alger_sql_step_done (db, conversations, "ending interrupted conversations", error))
    return FALSE;
  if (!alger_sql_prepare (db,
                "UPDATE connections SET status = 'interrupted', disconnected_at = "
                "COALESCE(disconnected_at, ?1) WHERE status = 'open'",
                &connections, error))
    return FALSE;
  alger_sql_bind_text (connections, 1, ts);
  return alger_sql_step_done (db, connections, "closing interrupted connections", error);
}

static gboolean
interrupt_running_func (sqlite3 *db, const char *ts, gpointer data, GError **error)
{
  gint *count = data;
  g_autoptr(sqlite3_stmt) event = NULL;
  g_autoptr(sqlite3_stmt) update = NULL;

  if (!alger_sql_prepare (db,
                "INSERT INTO execution_events (execution_id, event_type, description, payload, "
                "created_at) SELECT id, 'status', '" INTERRUPTED_DESCRIPTION "', "
                "'{\"status\":\"interrupted\",\"previousStatus\":\"running\"}', ?1 "
                "FROM execution_runs WHERE status = 'running'",
                &event, error))
    return FALSE;
  alger_sql_bind_text (event, 1, ts);
  if (!alger_sql_step_done (db, event, "recording interrupted executions", error))
    return FALSE;
  if (!alger_sql_prepare (db,
                "UPDATE execution_runs SET status = 'interrupted', completed_at = "
                "COALESCE(completed_at, ?1) WHERE status = 'running'",
                &update, error))
    return FALSE;
  alger_sql_bind_text (update, 1, ts);
  if (!alger_sql_step_done (db, update, "interrupting executions", error))
    return FALSE;
  *count = sqlite3_changes (db);
  return close_stale_connections (db, ts, error);
}

static gint
sqlite_interrupt_running_sync (AlgerStore *store, GError **error)
{
  gint count = 0;

  if (!run_sync_call (ALGER_SQLITE_STORE (store), interrupt_running_func, &count, TRUE, error))
    return -1;
  if (count > 0)
    g_message ("%d executions left running by a previous run marked interrupted", count);
  return count;
}

static gboolean
exec_func (sqlite3 *db, const char *ts, gpointer data, GError **error)
{
  return alger_sql_exec_sql (db, data, error);
}

gboolean
alger_sqlite_store_exec_sync (AlgerSqliteStore *self, const char *sql, GError **error)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);

  return run_sync_call (self, exec_func, (gpointer) sql, FALSE, error);
}

/* ------------------------------------------------------------------------ */
/* reads                                                                    */

typedef struct {
  const char *name;
  guint n_args;      /* required */
  gboolean limit;    /* one optional argument: a row limit */
  gboolean single;   /* an object (or NOT_FOUND), else an array */
  const char *what;  /* for NOT_FOUND */
  const char *sql;
} QueryDef;

/* the columns of the executions view, in its order, from its two tables */
#define EXECUTION_COLUMNS                                                                          \
  "r.id, r.pipeline_id, r.source, g.graph, r.params, r.status, r.requested_by, r.output_file, "    \
  "r.output_content, r.started_at, r.completed_at"

#define USER_PUBLIC_COLUMNS                                                                        \
  "id, username, display_name, email, roles, metadata, last_login, created_at, updated_at"

static const QueryDef query_defs[] = {
  { "user-by-name", 1, FALSE, TRUE, "user", "SELECT * FROM users WHERE username = ?1" },
  { "user", 1, FALSE, TRUE, "user", "SELECT " USER_PUBLIC_COLUMNS " FROM users WHERE id = ?1" },
  { "users", 0, FALSE, FALSE, NULL,
    "SELECT " USER_PUBLIC_COLUMNS " FROM users ORDER BY username" },
  { "pipelines", 0, FALSE, FALSE, NULL, "SELECT * FROM pipelines ORDER BY id" },
  { "pipeline", 1, FALSE, TRUE, "pipeline", "SELECT * FROM pipelines WHERE id = ?1" },
  { "execution", 1, FALSE, TRUE, "execution", "SELECT * FROM executions WHERE id = ?1" },
  { "executions", 0, TRUE, FALSE, NULL,
    "SELECT " EXECUTION_COLUMNS " FROM execution_runs r LEFT JOIN execution_graphs g ON "
    "g.execution_id = r.id ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?1" },
  { "running-executions", 0, FALSE, FALSE, NULL,
    "SELECT " EXECUTION_COLUMNS " FROM execution_runs r LEFT JOIN execution_graphs g ON "
    "g.execution_id = r.id WHERE r.status = 'running' ORDER BY r.started_at, r.rowid" },
  { "execution-events", 1, FALSE, FALSE, NULL,
    "SELECT * FROM execution_events WHERE execution_id = ?1 ORDER BY id" },
  { "connections", 0, TRUE, FALSE, NULL,
    "SELECT * FROM connections ORDER BY connected_at DESC, rowid DESC LIMIT ?1" },
  { "open-connections", 0, FALSE, FALSE, NULL,
    "SELECT * FROM connections WHERE status = 'open' ORDER BY connected_at, rowid" },
  { "conversation-messages", 1, FALSE, FALSE, NULL,
    /* a rowid range, from the bounds the conversation keeps (none: all) */
    "SELECT * FROM conversation_messages WHERE conversation_id = ?1 AND id >= coalesce((SELECT "
    "first_message_id FROM conversations WHERE id = ?1), 0) AND id <= coalesce((SELECT "
    "last_message_id FROM conversations WHERE id = ?1), 9223372036854775807) ORDER BY id" },
  { "user-actions", 0, TRUE, FALSE, NULL,
    "SELECT * FROM user_actions ORDER BY id DESC LIMIT ?1" },
  { "error-logs", 0, TRUE, FALSE, NULL, "SELECT * FROM error_logs ORDER BY id DESC LIMIT ?1" },
};

static const char *const json_columns[] = {
  "roles", "metadata", "full_graph", "graph", "params", "payload", "details", "output_content",
};

static const QueryDef *
find_query (const char *name, GStrv args, GError **error)
{
  guint n_args = args != NULL ? g_strv_length (args) : 0;

  for (guint i = 0; i < G_N_ELEMENTS (query_defs); i++) {
    const QueryDef *def = &query_defs[i];

    if (g_strcmp0 (def->name, name) != 0)
      continue;
    if (n_args < def->n_args) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                   "query '%s' takes %u argument(s), got %u", name, def->n_args, n_args);
      return NULL;
    }
    return def;
  }
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "unknown query '%s'",
               name != NULL ? name : "(null)");
  return NULL;
}

static sqlite3 *
reader_acquire (AlgerSqliteStore *self, GError **error)
{
  sqlite3 *db = NULL;

  g_mutex_lock (&self->readers_lock);
  if (self->readers->len > 0)
    db = g_ptr_array_steal_index (self->readers, self->readers->len - 1);
  g_mutex_unlock (&self->readers_lock);
  if (db == NULL)
    db = alger_sql_open_db (self->path, SQLITE_OPEN_READONLY, error);
  return db;
}

static void
reader_release (AlgerSqliteStore *self, sqlite3 *db)
{
  g_mutex_lock (&self->readers_lock);
  if (self->readers->len < MAX_IDLE_READERS) {
    g_ptr_array_add (self->readers, db);
    db = NULL;
  }
  g_mutex_unlock (&self->readers_lock);
  if (db != NULL)
    sqlite3_close (db);
}

static gboolean
is_json_column (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (json_columns); i++) {
    if (strcmp (name, json_columns[i]) == 0)
      return TRUE;
  }
  return FALSE;
}

static JsonNode *
row_to_node (sqlite3_stmt *stmt)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;
  int n = sqlite3_column_count (stmt);

  for (int i = 0; i < n; i++) {
    const char *name = sqlite3_column_name (stmt, i);

    switch (sqlite3_column_type (stmt, i)) {
    case SQLITE_INTEGER:
      json_object_set_int_member (object, name, sqlite3_column_int64 (stmt, i));
      break;
    case SQLITE_FLOAT:
      json_object_set_double_member (object, name, sqlite3_column_double (stmt, i));
      break;
    case SQLITE_NULL:
      json_object_set_null_member (object, name);
      break;
    case SQLITE_BLOB: {
      g_autofree char *b64 =
          g_base64_encode (sqlite3_column_blob (stmt, i), sqlite3_column_bytes (stmt, i));
      json_object_set_string_member (object, name, b64);
      break;
    }
    case SQLITE_TEXT:
    default: {
      const char *text = (const char *) sqlite3_column_text (stmt, i);
      JsonNode *parsed = is_json_column (name) ? json_from_string (text, NULL) : NULL;

      if (parsed != NULL)
        json_object_set_member (object, name, parsed);
      else
        json_object_set_string_member (object, name, text);
      break;
    }
    }
  }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
run_query (AlgerSqliteStore *self, const QueryDef *def, GStrv args, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) rows = NULL;
  sqlite3 *db;
  int rc;

  db = reader_acquire (self, error);
  if (db == NULL)
    return NULL;
  if (!alger_sql_prepare (db, def->sql, &stmt, error)) {
    reader_release (self, db);
    return NULL;
  }
  if (def->limit) {
    gint64 limit = -1;

    if (args != NULL && args[0] != NULL && *args[0] != '\0') {
      g_autoptr(GError) parse_error = NULL;

      if (!g_ascii_string_to_signed (args[0], 10, G_MININT64, G_MAXINT64, &limit,
                                     &parse_error)) {
        g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "query '%s': bad limit: %s",
                     def->name, parse_error->message);
        g_clear_pointer (&stmt, sqlite3_finalize);
        reader_release (self, db);
        return NULL;
      }
    }
    sqlite3_bind_int64 (stmt, 1, limit);
  } else {
    for (guint i = 0; i < def->n_args; i++)
      alger_sql_bind_text (stmt, (int) i + 1, args[i]);
  }

  rows = json_array_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    json_array_add_element (rows, row_to_node (stmt));
    if (def->single)
      break;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    alger_sql_set_sqlite_error (error, db, def->name);
    g_clear_pointer (&stmt, sqlite3_finalize);
    reader_release (self, db);
    return NULL;
  }
  /* end the read transaction before the connection goes back to the pool */
  g_clear_pointer (&stmt, sqlite3_finalize);
  reader_release (self, db);

  if (def->single) {
    if (json_array_get_length (rows) == 0) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND, "%s '%s' not found", def->what,
                   args[0]);
      return NULL;
    }
    return json_array_dup_element (rows, 0);
  }
  return json_node_init_array (json_node_alloc (), rows);
}

typedef struct {
  const QueryDef *def;
  GStrv args;
} QueryData;

static void
query_data_free (QueryData *data)
{
  g_strfreev (data->args);
  g_free (data);
}

static void
query_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  QueryData *data = task_data;
  GError *error = NULL;
  JsonNode *node;

  if (g_task_return_error_if_cancelled (task))
    return;
  node = run_query (ALGER_SQLITE_STORE (source), data->def, data->args, &error);
  if (node == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

static void
sqlite_query (AlgerStore *store, const char *query_name, GStrv args, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  GError *error = NULL;
  const QueryDef *def;
  QueryData *data;

  g_task_set_source_tag (task, sqlite_query);
  g_task_set_name (task, "alger-store query");
  def = find_query (query_name, args, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  data = g_new0 (QueryData, 1);
  data->def = def;
  data->args = g_strdupv (args);
  g_task_set_task_data (task, data, (GDestroyNotify) query_data_free);
  g_task_run_in_thread (task, query_thread);
}

static JsonNode *
sqlite_query_finish (AlgerStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonNode *
sqlite_query_sync (AlgerStore *store, const char *query_name, GStrv args, GError **error)
{
  const QueryDef *def = find_query (query_name, args, error);

  if (def == NULL)
    return NULL;
  return run_query (ALGER_SQLITE_STORE (store), def, args, error);
}

/* ------------------------------------------------------------------------ */
/* object                                                                   */

static void
alger_sqlite_store_iface_init (AlgerStoreInterface *iface)
{
  iface->open_connection = sqlite_open_connection;
  iface->close_connection = sqlite_close_connection;
  iface->record_frame = sqlite_record_frame;
  iface->record_user_action = sqlite_record_user_action;
  iface->record_error = sqlite_record_error;
  iface->touch_last_login = sqlite_touch_last_login;
  iface->create_execution = sqlite_create_execution;
  iface->update_execution = sqlite_update_execution;
  iface->add_execution_event = sqlite_add_execution_event;
  iface->save_pipeline = sqlite_save_pipeline;
  iface->remove_pipeline = sqlite_remove_pipeline;
  iface->query = sqlite_query;
  iface->query_finish = sqlite_query_finish;
  iface->flush = sqlite_flush;
  iface->query_sync = sqlite_query_sync;
  iface->ensure_user_sync = sqlite_ensure_user_sync;
  iface->interrupt_running_sync = sqlite_interrupt_running_sync;
}

/* stop the writer after it drained the queue, then close everything */
/* new WAL pages after which the checkpointer is woken (32 MB).  Each pass
 * copies the newest version of every page written since the last one, and
 * while it runs it takes a core from the main loop and the writer: with
 * passes every 2,000 pages, round trips under load were 4 % slower and
 * their p99 16 % higher (paired runs; with no pass at all during a run,
 * 9–16 % and 27 %, see bench/README.md) */
#define CHECKPOINT_PAGES 8000
/* WAL size (pages, 62.5 MB: the second pass) from which a checkpoint ends
 * with a RESTART on the writer.  That stalls the writer for the tail's copy and two fsyncs
 * (10–40 ms measured under load), so it is only the bound for writing that
 * never pauses: otherwise the WAL starts over by itself at the first commit
 * after a PASSIVE pass has caught up. */
#define CHECKPOINT_RESTART_PAGES 16000
/* WAL size (pages, 125 MB) from which the writer restarts the WAL without
 * waiting for a pass to ask: the checkpointer runs at the lowest priority
 * and may not get a core under full load */
#define CHECKPOINT_HARD_PAGES (2 * CHECKPOINT_RESTART_PAGES)

/* writer thread, after a commit left n_pages frames in the WAL: once
 * WAL_WRITEBACK_PAGES frames have been added since the last time, start
 * their write to disk (sync_file_range: it queues the I/O and returns).
 * Left to themselves, the WAL's dirty pages went to disk in bursts: each
 * checkpoint pass begins with SQLite's fdatasync of the WAL, 20–30 ms of
 * writing 32 MB on ext4 (up to 115 ms), during which the writer's batches
 * took twice as long at the 99th percentile.  Started in steps of 512 KB,
 * the same bytes go out evenly and the fdatasyncs find little left.  The
 * frames' durability does not change: they are synced exactly as before. */
static void
wal_start_writeback (AlgerSqliteStore *self, int n_pages)
{
  off_t offset, length;

  if (self->w_wal_fd < 0)
    return;
  if (n_pages < self->w_wal_started)
    self->w_wal_started = 0; /* the WAL started over */
  if (n_pages - self->w_wal_started < WAL_WRITEBACK_PAGES)
    return;
  offset = WAL_HEADER_BYTES + (off_t) self->w_wal_started * self->w_wal_frame_bytes;
  length = (off_t) (n_pages - self->w_wal_started) * self->w_wal_frame_bytes;
  if (sync_file_range (self->w_wal_fd, offset, length, SYNC_FILE_RANGE_WRITE) != 0) {
    int saved_errno = errno;

    g_debug ("%s: no early writeback of the WAL: %s", self->path, g_strerror (saved_errno));
    close (self->w_wal_fd);
    self->w_wal_fd = -1;
    return;
  }
  self->w_wal_started = n_pages;
  self->w_wal_writebacks++;
}

static int
wal_hook_cb (void *data, sqlite3 *db, const char *name, int n_pages)
{
  AlgerSqliteStore *self = data;

  wal_start_writeback (self, n_pages);

  /* once per CHECKPOINT_PAGES new pages, not after every commit past the
   * mark: each pass costs the checkpointer an fsync or two */
  if (n_pages < self->ck_next_pages - self->ck_pages)
    self->ck_next_pages = self->ck_pages; /* the WAL started over */
  if (n_pages >= self->ck_next_pages) {
    self->ck_next_pages = n_pages + self->ck_pages;
    /* as often as a pass would ask, not after every commit: a RESTART
     * that a reader's snapshot holds up costs the writer its busy wait */
    if (n_pages >= self->ck_hard_pages)
      g_atomic_int_set (&self->ck_restart_wanted, 1);
    g_mutex_lock (&self->ck_lock);
    if (!self->ck_pending) {
      self->ck_pending = TRUE;
      g_cond_signal (&self->ck_wake);
    }
    g_mutex_unlock (&self->ck_lock);
  }
  return SQLITE_OK;
}

/* the writer waits out a checkpoint's RESTART (about an fsync long) in
 * short naps: SQLite's own timeout handler sleeps 1, 2, 5, 10 … ms, which
 * would stall every client waiting for its audit rows for that long */
#define WRITER_BUSY_NAP_US 100
static int
writer_busy_cb (gpointer data, int n_calls)
{
  AlgerSqliteStore *self = data;
  gint64 budget_us = self->w_restarting ? RESTART_BUSY_BUDGET_US
                                        : (gint64) ALGER_SQL_BUSY_TIMEOUT_MS * 1000;

  if ((gint64) n_calls * WRITER_BUSY_NAP_US >= budget_us)
    return 0;
  if (self->w_restarting) {
    g_mutex_lock (&self->lock);
    self->n_restart_naps++;
    g_mutex_unlock (&self->lock);
  }
  g_usleep (WRITER_BUSY_NAP_US);
  return 1;
}

/* flush a file of @db's to disk through its VFS: the database
 * (SQLITE_FCNTL_FILE_POINTER) or its WAL (SQLITE_FCNTL_JOURNAL_POINTER) */
static void
sync_file (AlgerSqliteStore *self, sqlite3 *db, int which)
{
  sqlite3_file *file = NULL;
  int rc;

  if (sqlite3_file_control (db, "main", which, &file) != SQLITE_OK || file == NULL ||
      file->pMethods == NULL)
    return;
  rc = file->pMethods->xSync (file, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK)
    g_debug ("checkpointer: sync of %s (%s) failed (%d)", self->path,
             which == SQLITE_FCNTL_FILE_POINTER ? "database" : "WAL", rc);
}

static gpointer
checkpointer_thread (gpointer data)
{
  AlgerSqliteStore *self = data;
  sqlite3 *db = g_steal_pointer (&self->ck_db);

  /* the lowest priority: a pass copies megabytes, and on two cores it
   * otherwise takes one from the main loop and the writer while requests
   * wait (paired rtt runs: p99 8-18 % lower, round trips within the
   * noise).  Under full load passes wait; the writer bounds the WAL then
   * (CHECKPOINT_HARD_PAGES) */
  if (setpriority (PRIO_PROCESS, (id_t) gettid (), 19) != 0)
    g_debug ("checkpointer: cannot lower its priority: %s", g_strerror (errno));

  for (;;) {
    int rc, n_log = 0, n_copied = 0;

    g_mutex_lock (&self->ck_lock);
    while ((!self->ck_pending || self->ck_held) && !self->ck_stopping)
      g_cond_wait (&self->ck_wake, &self->ck_lock);
    if (self->ck_stopping) {
      g_mutex_unlock (&self->ck_lock);
      break;
    }
    self->ck_pending = FALSE;
    self->ck_running = TRUE;
    g_mutex_unlock (&self->ck_lock);
    /* PASSIVE never blocks the writer; a busy moment just waits for the next wake */
    rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &n_log, &n_copied);
    /* a pass that did not catch up with the live WAL (under steady writing:
     * each one) leaves the pages it copied unsynced: SQLite syncs the
     * database only once every frame is in.  They would be synced by the
     * writer's RESTART, with every client's frames waiting (on ext4 under
     * the rtt benchmark, 12 ms of its 17 ms stall); sync them here, so that
     * one finds only what came since.  (After a pass that did catch up,
     * SQLite has synced, and this finds nothing to write.) */
    if (rc == SQLITE_OK && n_copied > 0)
      sync_file (self, db, SQLITE_FCNTL_FILE_POINTER);
    g_mutex_lock (&self->ck_lock);
    self->ck_running = FALSE;
    g_cond_signal (&self->ck_done);
    g_mutex_unlock (&self->ck_lock);
    /* but under steady writing it never catches up with the last frames, so
     * the WAL would only grow (and every commit extend the file).  Once it
     * is large, the writer finishes the job between two batches */
    if (rc == SQLITE_OK && n_log >= self->ck_restart_pages) {
      /* the RESTART syncs the WAL first: what the writer added while this
       * pass ran goes to disk here, not with the writer waiting */
      sync_file (self, db, SQLITE_FCNTL_JOURNAL_POINTER);
      g_atomic_int_set (&self->ck_restart_wanted, 1);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      g_warning ("checkpoint of %s failed: %s", self->path, sqlite3_errmsg (db));
  }
  sqlite3_close (db);
  return NULL;
}

static void
stop_checkpointer (AlgerSqliteStore *self)
{
  GThread *thread;

  g_mutex_lock (&self->ck_lock);
  self->ck_stopping = TRUE;
  thread = g_steal_pointer (&self->checkpointer);
  g_cond_signal (&self->ck_wake);
  g_mutex_unlock (&self->ck_lock);
  if (thread != NULL)
    g_thread_join (thread);
  /* the thread never started */
  g_clear_pointer (&self->ck_db, sqlite3_close);
}

static void
alger_sqlite_store_dispose (GObject *object)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (object);
  GThread *writer;

  stop_corking (self);
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  writer = g_steal_pointer (&self->writer);
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  if (writer != NULL)
    g_thread_join (writer);
  /* what the writer delivered still runs on the main context */
  g_clear_pointer (&self->mailbox, alger_mailbox_close);
  stop_checkpointer (self);

  g_mutex_lock (&self->readers_lock);
  for (guint i = 0; i < self->readers->len; i++)
    sqlite3_close (g_ptr_array_index (self->readers, i));
  g_ptr_array_set_size (self->readers, 0);
  g_mutex_unlock (&self->readers_lock);

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  for (guint i = 0; i <= MAX_MULTI_FRAMES; i++) {
    g_clear_pointer (&self->frame_stmts[i], sqlite3_finalize);
    g_clear_pointer (&self->action_stmts[i], sqlite3_finalize);
    g_clear_pointer (&self->event_stmts[i], sqlite3_finalize);
  }
  if (self->wdb != NULL) {
    /* the last connection to close checkpoints the WAL */
    if (sqlite3_close (self->wdb) != SQLITE_OK)
      g_warning ("closing %s: %s", self->path, sqlite3_errmsg (self->wdb));
    self->wdb = NULL;
  }

  G_OBJECT_CLASS (alger_sqlite_store_parent_class)->dispose (object);
}

static void
alger_sqlite_store_finalize (GObject *object)
{
  AlgerSqliteStore *self = ALGER_SQLITE_STORE (object);

  if (self->w_wal_fd >= 0)
    close (self->w_wal_fd);
  g_ptr_array_unref (self->queue); /* empty: the writer drained it */
  g_ptr_array_unref (self->batch);
  g_ptr_array_unref (self->readers);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_mutex_clear (&self->ck_lock);
  g_cond_clear (&self->ck_wake);
  g_cond_clear (&self->ck_done);
  g_cond_clear (&self->progress);
  g_mutex_clear (&self->readers_lock);
  g_clear_pointer (&self->main_ctx, g_main_context_unref);
  g_free (self->path);

  G_OBJECT_CLASS (alger_sqlite_store_parent_class)->finalize (object);
}

static void
alger_sqlite_store_class_init (AlgerSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* SQLite's memory statistics take a process-wide mutex on every malloc
   * (~15% of a frame row); nothing here reads them.  Only possible before
   * SQLite is initialized: SQLITE_MISUSE afterwards, harmless. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);

  object_class->dispose = alger_sqlite_store_dispose;
  object_class->finalize = alger_sqlite_store_finalize;
}

static void
alger_sqlite_store_init (AlgerSqliteStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  g_mutex_init (&self->ck_lock);
  self->w_wal_fd = -1;
  self->ck_pages = CHECKPOINT_PAGES;
  self->ck_restart_pages = CHECKPOINT_RESTART_PAGES;
  self->ck_hard_pages = CHECKPOINT_HARD_PAGES;
  if (g_getenv ("ALGER_CHECKPOINT_PAGES") != NULL) {
    gint64 pages = g_ascii_strtoll (g_getenv ("ALGER_CHECKPOINT_PAGES"), NULL, 10);

    if (pages >= 10 && pages <= CHECKPOINT_PAGES) {
      self->ck_pages = (int) pages;
      self->ck_restart_pages = 2 * self->ck_pages;
      self->ck_hard_pages = 4 * self->ck_pages;
    }
  }
  self->ck_next_pages = self->ck_pages;
  g_cond_init (&self->ck_wake);
  g_cond_init (&self->ck_done);
  g_cond_init (&self->progress);
  g_mutex_init (&self->readers_lock);
  self->queue = g_ptr_array_sized_new (256);
  self->batch = g_ptr_array_sized_new (256);
  self->readers = g_ptr_array_new ();
  self->main_ctx = g_main_context_ref_thread_default ();
  self->mailbox = alger_mailbox_new (self->main_ctx, G_PRIORITY_DEFAULT, "[alger-store] done callbacks");
  self->main_thread = g_thread_self ();
}

/* the migration's commits have made the WAL: a descriptor of our own on it
 * (page cache and writeback are the file's, whoever opened it) */
static void
open_wal_for_writeback (AlgerSqliteStore *self)
{
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!alger_sql_prepare (self->wdb, "PRAGMA page_size", &stmt, NULL) ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return;
  self->w_wal_frame_bytes = sqlite3_column_int64 (stmt, 0) + WAL_FRAME_HEADER_BYTES;
  self->w_wal_fd = open (wal, O_RDONLY | O_CLOEXEC);
  if (self->w_wal_fd < 0) {
    int saved_errno = errno;

    g_debug ("%s: no early writeback of the WAL: %s", wal, g_strerror (saved_errno));
  }
}

static gboolean
setup (AlgerSqliteStore *self, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *mode;

  if (g_mkdir_with_parents (dir, 0750) != 0) {
    int saved_errno = errno;
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot create %s: %s", dir,
                 g_strerror (saved_errno));
    return FALSE;
  }
  self->wdb = alger_sql_open_db (self->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error);
  if (self->wdb == NULL)
    return FALSE;

  /* WAL: readers on their own connections never block the writer */
  if (!alger_sql_prepare (self->wdb, "PRAGMA journal_mode=WAL", &stmt, error))
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    alger_sql_set_sqlite_error (error, self->wdb, "switching to WAL");
    return FALSE;
  }
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE,
                 "%s: cannot use the WAL journal (got '%s')", self->path, mode);
    return FALSE;
  }
  g_clear_pointer (&stmt, sqlite3_finalize);

  /* see the top of this file for why NORMAL is crash-safe in WAL.  The WAL
   * file is cut back to journal_size_limit when it starts over: 128 MiB
   * holds CHECKPOINT_HARD_PAGES frames of 4 KB pages, so under load it is
   * never cut and grown again (each cut freed its blocks, on a disk mounted
   * with `discard` with the writer waiting for the discard, and the
   * regrowth allocated them again) */
  if (!alger_sql_exec_sql (self->wdb,
                 "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                 "PRAGMA journal_size_limit=134217728;",
                 error))
    return FALSE;
  if (!alger_store_schema_migrate (self->wdb, error)) {
    g_prefix_error (error, "%s: ", self->path);
    return FALSE;
  }

  /* checkpoints happen on their own thread, never inside the writer's commits */
  if (!alger_sql_exec_sql (self->wdb, "PRAGMA wal_autocheckpoint=0;", error))
    return FALSE;
  open_wal_for_writeback (self);
  sqlite3_wal_hook (self->wdb, wal_hook_cb, self);
  sqlite3_busy_handler (self->wdb, writer_busy_cb, self);
  /* the checkpointer's connection is opened here, not on its thread: a
   * failure is the store's, and a store disposed at once (or its folder
   * removed right after) cannot race the thread's start.  A connection only
   * knows the file is in WAL mode once it has read it: before that,
   * sqlite3_wal_checkpoint_v2() silently does nothing */
  self->ck_db = alger_sql_open_db (self->path, SQLITE_OPEN_READWRITE, error);
  if (self->ck_db == NULL)
    return FALSE;
  if (!alger_sql_exec_sql (self->ck_db, "PRAGMA journal_mode=WAL;", error)) {
    g_prefix_error (error, "%s: ", self->path);
    return FALSE;
  }
  /* thread names show in top -H and perf; Linux keeps 15 characters */
  self->checkpointer = g_thread_try_new ("alger-ckpt", checkpointer_thread, self, error);
  if (self->checkpointer == NULL)
    return FALSE;
  self->writer = g_thread_try_new ("alger-writer", writer_thread, self, error);
  if (self->writer == NULL)
    return FALSE;
  start_corking (self);
  return TRUE;
}

AlgerSqliteStore *
alger_sqlite_store_new (const char *path, AlgerPayloadPolicy policy, GError **error)
{
  g_autoptr(AlgerSqliteStore) self = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (path == NULL || *path == '\0' || strcmp (path, ":memory:") == 0) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                 "the store needs a file path (readers open it again)");
    return NULL;
  }
  if (policy > ALGER_PAYLOAD_METADATA) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "unknown payload policy %d",
                 (int) policy);
    return NULL;
  }
  self = g_object_new (ALGER_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  self->policy = policy;
  if (!setup (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
alger_sqlite_store_get_path (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), NULL);
  return self->path;
}

AlgerPayloadPolicy
alger_sqlite_store_get_policy (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), ALGER_PAYLOAD_FULL);
  return self->policy;
}

/* a counter the writer publishes under the lock */
static guint64
read_counter (AlgerSqliteStore *self, const guint64 *counter)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = *counter;
  g_mutex_unlock (&self->lock);
  return n;
}

guint64
alger_sqlite_store_get_n_transactions (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), 0);
  return read_counter (self, &self->n_transactions);
}

guint64
alger_sqlite_store_get_n_wal_writebacks (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), 0);
  return read_counter (self, &self->n_wal_writebacks);
}

guint64
alger_sqlite_store_get_n_main_spins (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), 0);
  return self->n_main_spins;
}

void
alger_sqlite_store_get_wait_stats (AlgerSqliteStore *self, guint64 *n_waits, guint64 *n_spins)
{
  g_return_if_fail (ALGER_IS_SQLITE_STORE (self));

  g_mutex_lock (&self->lock);
  *n_waits = self->n_waits;
  *n_spins = self->n_spins;
  g_mutex_unlock (&self->lock);
}

void
alger_sqlite_store_get_restart_stats (AlgerSqliteStore *self, guint64 *n_restarts,
                                      guint64 *n_deferred, guint64 *n_naps)
{
  g_return_if_fail (ALGER_IS_SQLITE_STORE (self));
  g_mutex_lock (&self->lock);
  *n_restarts = self->n_restarts;
  *n_deferred = self->n_restarts_deferred;
  *n_naps = self->n_restart_naps;
  g_mutex_unlock (&self->lock);
}

guint64
alger_sqlite_store_get_n_failed (AlgerSqliteStore *self)
{
  g_return_val_if_fail (ALGER_IS_SQLITE_STORE (self), 0);
  return read_counter (self, &self->n_failed);
}

static const char *const policy_names[] = {
  [ALGER_PAYLOAD_FULL] = "full",
  [ALGER_PAYLOAD_REDACTED] = "redacted",
  [ALGER_PAYLOAD_METADATA] = "metadata",
};

gboolean
alger_payload_policy_from_string (const char *str, AlgerPayloadPolicy *policy)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (policy_names); i++) {
    if (g_ascii_strcasecmp (str, policy_names[i]) == 0) {
      if (policy != NULL)
        *policy = (AlgerPayloadPolicy) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
alger_payload_policy_to_string (AlgerPayloadPolicy policy)
{
  if ((guint) policy >= G_N_ELEMENTS (policy_names))
    return NULL;
  return policy_names[policy];
}
