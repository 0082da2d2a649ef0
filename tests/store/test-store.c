/* test-store.c: AlgerSqliteStore on real SQLite files in temporary directories */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "alger-error.h"
#include "alger-sqlite-store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* ------------------------------------------------------------------------ */
/* logging: the store warns (once per burst) on storage failures; tests that
 * provoke one count the warning instead of aborting */

static gint expect_storage_warnings;
static gint n_storage_warnings;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && g_atomic_int_get (&expect_storage_warnings)) {
    for (gsize i = 0; i < n_fields; i++) {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 &&
          g_strcmp0 (fields[i].value, "alger-store") == 0) {
        g_atomic_int_inc (&n_storage_warnings);
        return G_LOG_WRITER_HANDLED;
      }
    }
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* ------------------------------------------------------------------------ */
/* fixture */

typedef struct {
  char *dir;
  char *path;
  AlgerSqliteStore *store;
  /* done callbacks */
  GArray *order; /* guint tickets, in the order the callbacks ran */
  guint n_done;
  guint n_failed;
  GError *last_error;
  gboolean off_thread;
  GThread *main_thread;
} Fixture;

typedef struct {
  Fixture *fx;
  guint ticket;
} Ticket;

static void
rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

static void
fixture_setup_empty (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("alger-store-XXXXXX", &error);
  g_assert_no_error (error);
  /* a nested path: the store creates the parents */
  fx->path = g_build_filename (fx->dir, "state", "sub", "alger.sqlite3", NULL);
  fx->order = g_array_new (FALSE, FALSE, sizeof (guint));
  fx->main_thread = g_thread_self ();
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup_empty (fx, data);
  fx->store = alger_sqlite_store_new (fx->path, GPOINTER_TO_INT (data), &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->store);
}

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->store);
  drain_main_context ();
  g_clear_error (&fx->last_error);
  g_array_unref (fx->order);
  rm_rf (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

static void
done_cb (gboolean ok, const GError *error, gpointer user_data)
{
  Ticket *t = user_data;
  Fixture *fx = t->fx;

  if (g_thread_self () != fx->main_thread)
    fx->off_thread = TRUE;
  g_array_append_val (fx->order, t->ticket);
  fx->n_done++;
  if (!ok) {
    g_assert_nonnull (error);
    fx->n_failed++;
    g_clear_error (&fx->last_error);
    fx->last_error = g_error_copy (error);
  } else {
    g_assert_null (error);
  }
  g_free (t);
}

static gpointer
ticket (Fixture *fx, guint n)
{
  Ticket *t = g_new0 (Ticket, 1);

  t->fx = fx;
  t->ticket = n;
  return t;
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for the store");
  return G_SOURCE_REMOVE;
}

static void
wait_done (Fixture *fx, guint n)
{
  guint id = g_timeout_add_seconds (60, timeout_cb, NULL);

  while (fx->n_done < n)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

/* direct access to the file, as external readers do */
static sqlite3 *
db_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

static gint64
sql_int (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 v;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  return v;
}

static char *
sql_text (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char *v = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  return v;
}

static void
sql_exec (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

static void
assert_timestamp (const char *ts)
{
  g_assert_nonnull (ts);
  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}$", ts,
                                       0, 0));
}

static void
open_conversation (Fixture *fx, const char *conn_id, const char *conv_id)
{
  AlgerConnectionRecord conn = {
    .id = conn_id,
    .user_id = NULL,
    .client_ip = "127.0.0.1",
    .client_port = 4242,
    .user_agent = "test",
    .path = "/?username=admin&password=admin",
    .status = "open",
    .conversation_id = conv_id,
  };

  alger_store_open_connection (ALGER_STORE (fx->store), &conn, NULL, NULL);
}

static void
record_frame (Fixture *fx, const char *conv, gint64 message_id, const char *payload,
              const char *error, gpointer user_data)
{
  AlgerFrameRecord frame = {
    .conversation_id = conv,
    .direction = ALGER_DIRECTION_INCOMING,
    .message_id = message_id,
    .request_id = 0,
    .type_code = 101,
    .status_code = -1,
    .payload = payload,
    .error = error,
  };

  alger_store_record_frame (ALGER_STORE (fx->store), &frame, user_data != NULL ? done_cb : NULL,
                            user_data);
}

/* ------------------------------------------------------------------------ */
/* migrations */

static const char *const legacy_tables[] = {
  "pipelines",   "users",     "user_actions",     "connections", "conversations",
  "conversation_messages", "executions", "execution_events", "error_logs",
};

/* how to list a table's rows in a stable order: `executions` is a view
 * (since v3) and has no rowid; its ids are unique */
static const char *
row_order (const char *table)
{
  return strcmp (table, "executions") == 0 ? "id" : "rowid";
}

/* the columns of @table as name:type, in order */
static void
assert_columns (const char *path, const char *table, const char *want)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('%s')", table);
  g_autofree char *cols = sql_text (path, sql);

  g_assert_cmpstr (cols, ==, want);
}

static void
test_migrate_empty (Fixture *fx, gconstpointer data)
{
  static const char *const indexes[] = {
    "idx_execution_events_execution_id",
    "idx_executions_status",
  };
  /* dropped by v2: they cost a B-tree leaf per active conversation or user
   * in every commit */
  static const char *const no_indexes[] = {
    "idx_conversation_messages_conversation_id",
    "idx_user_actions_user_id",
  };
  g_autofree char *journal = NULL;

  g_assert_true (g_file_test (fx->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sql_int (fx->path, "PRAGMA user_version"), ==,
                   ALGER_SQLITE_STORE_SCHEMA_VERSION);
  journal = sql_text (fx->path, "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");
  for (guint i = 0; i < G_N_ELEMENTS (legacy_tables); i++) {
    /* executions: a view over execution_runs and execution_graphs since v3 */
    g_autofree char *sql = g_strdup_printf (
        "SELECT count(*) FROM sqlite_master WHERE type = '%s' AND name = '%s'",
        strcmp (legacy_tables[i], "executions") == 0 ? "view" : "table", legacy_tables[i]);
    g_assert_cmpint (sql_int (fx->path, sql), ==, 1);
  }
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                      "AND name IN ('execution_runs', 'execution_graphs')"),
                   ==, 2);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name = 'executions'"),
                   ==, 3);
  assert_columns (fx->path, "executions",
                  "id:TEXT,pipeline_id:TEXT,source:TEXT,graph:TEXT,params:TEXT,status:TEXT,"
                  "requested_by:TEXT,output_file:TEXT,output_content:TEXT,started_at:TEXT,"
                  "completed_at:TEXT");
  /* the foreign keys followed the rename */
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM pragma_foreign_key_list('execution_events') "
                                      "WHERE \"table\" = 'execution_runs'"),
                   ==, 1);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM pragma_foreign_key_list('error_logs') "
                                      "WHERE \"table\" = 'execution_runs'"),
                   ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (indexes); i++) {
    g_autofree char *sql = g_strdup_printf (
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", indexes[i]);
    g_assert_cmpint (sql_int (fx->path, sql), ==, 1);
  }
  for (guint i = 0; i < G_N_ELEMENTS (no_indexes); i++) {
    g_autofree char *sql = g_strdup_printf (
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", no_indexes[i]);
    g_assert_cmpint (sql_int (fx->path, sql), ==, 0);
  }
  /* nothing indexes conversation_messages but its rowid */
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                      "AND tbl_name IN ('conversation_messages', 'user_actions')"),
                   ==, 0);
  g_assert_cmpint (
      sql_int (fx->path, "SELECT count(*) FROM pragma_table_info('users') WHERE name = "
                         "'password_hash'"),
      ==, 1);
  /* the original's columns, in the original's order */
  assert_columns (fx->path, "conversation_messages",
                  "id:INTEGER,conversation_id:TEXT,direction:TEXT,message_id:INTEGER,"
                  "request_id:INTEGER,type_code:INTEGER,status_code:INTEGER,payload:TEXT,"
                  "error:TEXT,recorded_at:TEXT");
  {
    g_autofree char *cols = sql_text (
        fx->path, "SELECT group_concat(name, ',') FROM pragma_table_info('users')");
    g_assert_cmpstr (cols, ==,
                     "id,username,display_name,email,roles,metadata,last_login,created_at,"
                     "updated_at,password_hash");
  }

  /* re-opening is a no-op */
  g_clear_object (&fx->store);
  {
    g_autoptr(GError) error = NULL;
    fx->store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (sql_int (fx->path, "PRAGMA user_version"), ==,
                   ALGER_SQLITE_STORE_SCHEMA_VERSION);
}

/* the schema of every table of the fixture, same columns and types, in order */
static void
assert_same_columns (const char *legacy, const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (legacy_tables); i++) {
    g_autofree char *sql = g_strdup_printf (
        "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('%s')",
        legacy_tables[i]);
    g_autofree char *before = sql_text (legacy, sql);
    g_autofree char *after = sql_text (path, sql);

    g_assert_true (g_str_has_prefix (after, before));
  }
}

static char *
legacy_fixture (void)
{
  const char *shared = g_getenv ("ALGER_SHARED_DIR");
  g_autofree char *path = NULL;

  if (shared == NULL)
    return NULL;
  path = g_build_filename (shared, "fixtures", "legacy", "original-alger.sqlite3", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_steal_pointer (&path);
}

/* every row of every table kept; each value either identical or (if it held
 * a password) redacted */
static void
assert_rows_kept (const char *legacy, const char *path)
{
  sqlite3 *a = db_open (legacy);
  sqlite3 *b = db_open (path);
  guint n_redacted = 0;

  for (guint t = 0; t < G_N_ELEMENTS (legacy_tables); t++) {
    g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY %s", legacy_tables[t],
                                            row_order (legacy_tables[t]));
    g_autoptr(sqlite3_stmt) sa = NULL;
    g_autoptr(sqlite3_stmt) sb = NULL;
    int rc;

    g_assert_cmpint (sqlite3_prepare_v2 (a, sql, -1, &sa, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (b, sql, -1, &sb, NULL), ==, SQLITE_OK);
    while ((rc = sqlite3_step (sa)) == SQLITE_ROW) {
      g_assert_cmpint (sqlite3_step (sb), ==, SQLITE_ROW);
      for (int c = 0; c < sqlite3_column_count (sa); c++) {
        const char *va = (const char *) sqlite3_column_text (sa, c);
        const char *vb = (const char *) sqlite3_column_text (sb, c);

        g_assert_cmpstr (sqlite3_column_name (sa, c), ==, sqlite3_column_name (sb, c));
        if (g_strcmp0 (va, vb) == 0)
          continue;
        /* changed: it must have held a password, and now hold none */
        g_assert_nonnull (va);
        g_assert_nonnull (strstr (va, "password"));
        g_assert_nonnull (strstr (vb, "[redacted]"));
        g_assert_null (strstr (vb, "password=admin"));
        g_assert_null (strstr (vb, "\"password\":\"admin\""));
        if (vb[0] == '{') {
          g_autoptr(JsonNode) node = json_from_string (vb, NULL);
          g_assert_nonnull (node);
        }
        n_redacted++;
      }
    }
    g_assert_cmpint (rc, ==, SQLITE_DONE);
    g_assert_cmpint (sqlite3_step (sb), ==, SQLITE_DONE);
  }
  sqlite3_close (a);
  sqlite3_close (b);
  /* connections x2, login payload, catalog payload, 104 payload, executions.graph,
   * pipelines.full_graph */
  g_assert_cmpuint (n_redacted, >=, 5);
}

static void
assert_no_password_anywhere (const char *path)
{
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM connections WHERE path LIKE "
                                  "'%password=admin%'"),
                   ==, 0);
  for (guint t = 0; t < G_N_ELEMENTS (legacy_tables); t++) {
    g_autofree char *cols_sql = g_strdup_printf (
        "SELECT group_concat('coalesce(' || name || ','''')', '||') FROM pragma_table_info('%s')",
        legacy_tables[t]);
    g_autofree char *cols = sql_text (path, cols_sql);
    g_autofree char *sql = g_strdup_printf (
        "SELECT count(*) FROM %s WHERE instr(%s, '\"password\":\"admin\"') > 0 OR "
        "instr(%s, 'password=admin') > 0",
        legacy_tables[t], cols, cols);
    g_assert_cmpint (sql_int (path, sql), ==, 0);
  }
}

static char *
dump_all (const char *path)
{
  GString *out = g_string_new (NULL);
  sqlite3 *db = db_open (path);

  for (guint t = 0; t < G_N_ELEMENTS (legacy_tables); t++) {
    g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY %s", legacy_tables[t],
                                            row_order (legacy_tables[t]));
    g_autoptr(sqlite3_stmt) stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count (stmt); c++) {
        const char *v = (const char *) sqlite3_column_text (stmt, c);
        g_string_append_printf (out, "%s|", v != NULL ? v : "<null>");
      }
      g_string_append_c (out, '\n');
    }
  }
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

static void
test_migrate_legacy (Fixture *fx, gconstpointer data)
{
  g_autofree char *legacy = legacy_fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *dump1 = NULL;
  g_autofree char *dump2 = NULL;
  g_autofree char *parent = NULL;
  gint64 counts[G_N_ELEMENTS (legacy_tables)];
  gsize len = 0;
  gboolean created = TRUE;

  if (legacy == NULL) {
    g_test_skip ("legacy fixture not found (ALGER_SHARED_DIR)");
    return;
  }
  g_assert_cmpint (sql_int (legacy, "PRAGMA user_version"), ==, 0);
  for (guint t = 0; t < G_N_ELEMENTS (legacy_tables); t++) {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", legacy_tables[t]);
    counts[t] = sql_int (legacy, sql);
  }
  g_assert_cmpint (sql_int (legacy, "SELECT count(*) FROM connections WHERE path LIKE "
                                    "'%password=admin%'"),
                   >, 0);

  g_assert_true (g_file_get_contents (legacy, &contents, &len, &error));
  g_assert_no_error (error);
  parent = g_path_get_dirname (fx->path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->path, contents, len, &error));
  g_assert_no_error (error);

  fx->store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->store);
  g_assert_cmpint (sql_int (fx->path, "PRAGMA user_version"), ==,
                   ALGER_SQLITE_STORE_SCHEMA_VERSION);
  for (guint t = 0; t < G_N_ELEMENTS (legacy_tables); t++) {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", legacy_tables[t]);
    g_assert_cmpint (sql_int (fx->path, sql), ==, counts[t]);
  }
  assert_same_columns (legacy, fx->path);
  assert_rows_kept (legacy, fx->path);
  assert_no_password_anywhere (fx->path);
  {
    g_autofree char *p = sql_text (fx->path, "SELECT path FROM connections LIMIT 1");
    g_assert_cmpstr (p, ==, "/?username=admin&password=[redacted]");
  }
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                      "'idx_executions_status'"),
                   ==, 1);
  /* every conversation's messages lie inside the id range it now keeps */
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), >, 0);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages m JOIN "
                                      "conversations c ON c.id = m.conversation_id WHERE m.id < "
                                      "c.first_message_id OR m.id > c.last_message_id OR "
                                      "c.first_message_id IS NULL"),
                   ==, 0);

  /* re-open: idempotent */
  dump1 = dump_all (fx->path);
  g_clear_object (&fx->store);
  fx->store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);
  g_assert_no_error (error);
  dump2 = dump_all (fx->path);
  g_assert_cmpstr (dump1, ==, dump2);

  /* the migrated account has no hash yet: ensure_user gives it one */
  g_assert_true (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "admin", "Administrator",
                                               "[\"admin\"]", "$6$hash", FALSE, &created,
                                               &error));
  g_assert_no_error (error);
  g_assert_false (created);
  {
    g_autoptr(JsonNode) user = NULL;
    const char *args[] = { "admin", NULL };
    JsonObject *o;

    user = alger_store_query_sync (ALGER_STORE (fx->store), "user-by-name", (GStrv) args, &error);
    g_assert_no_error (error);
    o = json_node_get_object (user);
    g_assert_cmpstr (json_object_get_string_member (o, "id"), ==,
                     "cae0c7f9-94fa-4a9b-b894-a6edee1bf119");
    g_assert_cmpstr (json_object_get_string_member (o, "password_hash"), ==, "$6$hash");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "roles")), ==, 2);
  }
}

static void
test_migrate_newer (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_path_get_dirname (fx->path);
  AlgerSqliteStore *store;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  sql_exec (fx->path, "CREATE TABLE t (x); PRAGMA user_version = 99;");
  {
    /* sql_exec opened read-write: creating needs the flag */
  }
  store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);
  g_assert_null (store);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE);
  g_assert_cmpint (sql_int (fx->path, "PRAGMA user_version"), ==, 99);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM sqlite_master WHERE name = 'users'"),
                   ==, 0);
}

/* ------------------------------------------------------------------------ */
/* writes */

#define N_FIFO 5000

static void
test_fifo (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint64 n_tx;
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 expect = 0;

  open_conversation (fx, "conn-1", "conv-1");
  for (guint i = 0; i < N_FIFO; i++)
    record_frame (fx, "conv-1", i, "{\"id\":1,\"requestId\":0,\"type\":101,\"content\":{}}", NULL,
                  ticket (fx, i));
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);
  /* flush blocked the main thread, with nobody owning the main context: the
   * callbacks must still wait for it rather than run on the writer */
  g_assert_cmpuint (fx->n_done, ==, 0);
  wait_done (fx, N_FIFO);
  g_assert_false (fx->off_thread);
  g_assert_cmpuint (fx->n_failed, ==, 0);
  for (guint i = 0; i < N_FIFO; i++)
    g_assert_cmpuint (g_array_index (fx->order, guint, i), ==, i);

  /* rows committed in submission order */
  db = db_open (fx->path);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT message_id FROM conversation_messages ORDER BY id",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, expect++);
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  g_assert_cmpint (expect, ==, N_FIFO);

  /* group commit grouped */
  n_tx = alger_sqlite_store_get_n_transactions (fx->store);
  g_test_message ("%u ops in %" G_GUINT64_FORMAT " transactions", N_FIFO + 1, n_tx);
  g_assert_cmpuint (n_tx, >=, 1);
  g_assert_cmpuint (n_tx, <, N_FIFO / 10);
}

/* done callbacks arrive on the main context of the thread that made the store */
typedef struct {
  char *path;
  gboolean ok;
} ThreadTest;

static void
thread_done_cb (gboolean ok, const GError *error, gpointer user_data)
{
  guint *counter = user_data;

  g_assert_true (ok);
  if (g_main_context_get_thread_default () != NULL &&
      g_main_context_is_owner (g_main_context_get_thread_default ()))
    (*counter)++;
}

static gpointer
other_thread (gpointer data)
{
  ThreadTest *tt = data;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerSqliteStore) store = NULL;
  guint counter = 0;

  g_main_context_push_thread_default (ctx);
  store = alger_sqlite_store_new (tt->path, ALGER_PAYLOAD_FULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 100; i++)
    alger_store_remove_pipeline (ALGER_STORE (store), "nope", thread_done_cb, &counter);
  while (counter < 100)
    g_main_context_iteration (ctx, TRUE);
  g_clear_object (&store);
  g_main_context_pop_thread_default (ctx);
  tt->ok = counter == 100;
  return NULL;
}

typedef struct {
  Fixture *fx;
  guint first;
} OtherWrites;

static gpointer
other_writes_thread (gpointer data)
{
  OtherWrites *ow = data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 5; i++)
    record_frame (ow->fx, "v", ow->first + i, "{}", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (ow->fx->store), &error));
  g_assert_no_error (error);
  return NULL;
}

/* the main thread's writes wait for the end of its iteration, then commit
 * together; past ALGER_SQLITE_STORE_CORK_MAX_OPS they go at once; other
 * threads' writes never wait */
static void
test_cork (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OtherWrites ow = { fx, 1000 };
  guint64 n_tx;
  guint burst = ALGER_SQLITE_STORE_CORK_MAX_OPS - 1;
  guint many = 3 * ALGER_SQLITE_STORE_CORK_MAX_OPS + 5;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  n_tx = alger_sqlite_store_get_n_transactions (fx->store);

  for (guint i = 0; i < burst; i++)
    record_frame (fx, "v", i, "{}", NULL, ticket (fx, i));
  g_usleep (100000);
  /* still corked: the iteration has not ended */
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 0);
  wait_done (fx, burst);
  g_assert_cmpuint (alger_sqlite_store_get_n_transactions (fx->store), ==, n_tx + 1);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, burst);

  /* a long burst is handed over in parts while it is being queued */
  for (guint i = 0; i < many; i++)
    record_frame (fx, "v", 100 + i, "{}", NULL, NULL);
  for (guint tries = 0; tries < 100 &&
                        sql_int (fx->path, "SELECT count(*) FROM conversation_messages") <
                            burst + 3 * ALGER_SQLITE_STORE_CORK_MAX_OPS;
       tries++)
    g_usleep (20000);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==,
                   burst + 3 * ALGER_SQLITE_STORE_CORK_MAX_OPS);
  /* a flush hands over the rest */
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==,
                   burst + many);

  /* another thread's writes commit without this thread's help */
  g_thread_join (g_thread_new ("other-writes", other_writes_thread, &ow));
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages WHERE "
                                      "message_id >= 1000"),
                   ==, 5);
}

static gpointer
pump_thread (gpointer data)
{
  OtherWrites *ow = data;

  /* 400 small bursts, 20 µs apart: the writer's waits between them are
   * short (a single burst of everything would be one batch and one wait) */
  for (guint i = 0; i < 2000; i++) {
    record_frame (ow->fx, "v", ow->first + i, "{}", NULL, NULL);
    if (i % 5 == 4)
      g_usleep (20);
  }
  return NULL;
}

/* wait until the writer has gone back to waiting (its count of waits stops
 * moving) and return its counts */
static void
settled_wait_stats (Fixture *fx, guint64 *n_waits, guint64 *n_spins)
{
  guint64 before = G_MAXUINT64;

  alger_sqlite_store_get_wait_stats (fx->store, n_waits, n_spins);
  for (guint tries = 0; tries < 100 && *n_waits != before; tries++) {
    before = *n_waits;
    g_usleep (20000);
    alger_sqlite_store_get_wait_stats (fx->store, n_waits, n_spins);
  }
}

/* between batches the writer watches the queue (spins) before it sleeps,
 * but only while its waits are short: among ops queued in quick bursts by
 * another thread it spins; ops that come 3 ms apart do not start a spin,
 * so a server with a request now and then does not burn CPU */
static void
test_writer_spin (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OtherWrites ow = { fx, 1000 };
  guint64 waits0, spins0, waits1, spins1, waits2, spins2;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  settled_wait_stats (fx, &waits0, &spins0);

  g_thread_join (g_thread_new ("pump", pump_thread, &ow));
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  settled_wait_stats (fx, &waits1, &spins1);
  g_test_message ("busy: %" G_GUINT64_FORMAT " waits, %" G_GUINT64_FORMAT " spins",
                  waits1 - waits0, spins1 - spins0);
  g_assert_cmpuint (spins1, >, spins0);

  for (guint i = 0; i < 30; i++) {
    record_frame (fx, "v", 5000 + i, "{}", NULL, ticket (fx, i));
    wait_done (fx, i + 1);
    g_usleep (3000);
  }
  settled_wait_stats (fx, &waits2, &spins2);
  g_test_message ("spaced: %" G_GUINT64_FORMAT " waits, %" G_GUINT64_FORMAT " spins",
                  waits2 - waits1, spins2 - spins1);
  g_assert_cmpuint (waits2 - waits1, >=, 30);
  /* none, normally; a writer kept off the CPU for the whole gap (a loaded
   * machine) finds the next op already queued and may spin once after it */
  g_assert_cmpuint (spins2 - spins1, <=, 3);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 2030);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* iterations of the main context over @ms milliseconds */
static guint
iterate_for (guint ms)
{
  gboolean over = FALSE;
  guint n = 0;

  g_timeout_add (ms, set_flag_cb, &over);
  while (!over) {
    g_main_context_iteration (NULL, TRUE);
    n++;
  }
  return n;
}

/* the main context polls without sleeping while it awaits done callbacks
 * from a busy writer, for at most 200 µs after each of the writer's posts:
 * with nothing awaited, or a writer held up (here by another connection's
 * write lock), it sleeps in poll() as before */
static void
test_main_spin (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint64 spins0, spins1, spins2;
  sqlite3 *other;
  guint n_iter;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  drain_main_context ();

  /* nothing awaited: each iteration sleeps until the 20 ms timer */
  spins0 = alger_sqlite_store_get_n_main_spins (fx->store);
  n_iter = iterate_for (20);
  g_assert_cmpuint (alger_sqlite_store_get_n_main_spins (fx->store), ==, spins0);
  g_assert_cmpuint (n_iter, <=, 3);

  /* awaiting commits: the context spins */
  for (guint i = 0; i < 30; i++) {
    record_frame (fx, "v", i, "{}", NULL, ticket (fx, i));
    wait_done (fx, i + 1);
  }
  spins1 = alger_sqlite_store_get_n_main_spins (fx->store);
  g_test_message ("30 commits awaited: %" G_GUINT64_FORMAT " spinning iterations",
                  spins1 - spins0);
  g_assert_cmpuint (spins1, >, spins0);

  /* a writer held up for 100 ms: 200 µs of spinning, then sleep (spinning
   * throughout would be tens of thousands of iterations) */
  other = db_open (fx->path);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  record_frame (fx, "v", 100, "{}", NULL, ticket (fx, 100));
  n_iter = iterate_for (100);
  spins2 = alger_sqlite_store_get_n_main_spins (fx->store);
  g_test_message ("writer held 100 ms: %u iterations, %" G_GUINT64_FORMAT " spinning", n_iter,
                  spins2 - spins1);
  g_assert_cmpuint (fx->n_done, ==, 30);
  g_assert_cmpuint (n_iter, <, 2000);
  g_assert_cmpint (sqlite3_exec (other, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);
  wait_done (fx, 31);
  g_assert_cmpuint (fx->n_failed, ==, 0);

  /* all delivered: nothing awaited, no spinning */
  drain_main_context ();
  spins2 = alger_sqlite_store_get_n_main_spins (fx->store);
  n_iter = iterate_for (20);
  g_assert_cmpuint (alger_sqlite_store_get_n_main_spins (fx->store), ==, spins2);
  g_assert_cmpuint (n_iter, <=, 3);
}

/* the writer starts the disk write of the WAL every 128 pages it adds: not
 * after every commit, and not only when a checkpoint syncs */
static void
test_wal_writeback (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wal = g_strconcat (fx->path, "-wal", NULL);
  g_autoptr(GString) payload = g_string_new ("{\"blob\":\"");
  GStatBuf st;
  guint64 n0, n1, frames;
  guint64 tx0, tx1;

  for (guint i = 0; i < 3000; i++)
    g_string_append_c (payload, 'a' + (char) (i % 26));
  g_string_append (payload, "\"}");
  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  n0 = alger_sqlite_store_get_n_wal_writebacks (fx->store);
  tx0 = alger_sqlite_store_get_n_transactions (fx->store);

  /* one commit per frame, each about one page of WAL and its overhead */
  for (guint i = 0; i < 600; i++) {
    record_frame (fx, "v", i, payload->str, NULL, NULL);
    g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  }
  n1 = alger_sqlite_store_get_n_wal_writebacks (fx->store);
  tx1 = alger_sqlite_store_get_n_transactions (fx->store);
  /* far below the marks: nothing checkpointed, the WAL only grew */
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  frames = ((guint64) st.st_size - 32) / (4096 + 24);
  g_test_message ("%" G_GUINT64_FORMAT " commits, %" G_GUINT64_FORMAT " WAL frames, %"
                  G_GUINT64_FORMAT " writebacks started", tx1 - tx0, frames, n1 - n0);
  g_assert_cmpuint (tx1 - tx0, >=, 600);
  g_assert_cmpuint (frames, >=, 1200);
  g_assert_cmpuint (n1 - n0, <=, frames / 128);
  g_assert_cmpuint (n1 - n0, >=, frames / 256);
}

static void
test_main_context (Fixture *fx, gconstpointer data)
{
  ThreadTest tt = { fx->path, FALSE };
  GThread *thread;

  /* the store of the fixture is open too: two stores, one file */
  thread = g_thread_new ("other", other_thread, &tt);
  g_thread_join (thread);
  g_assert_true (tt.ok);
}

static void
test_flush_and_dispose (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  open_conversation (fx, "c", "v");
  for (guint i = 0; i < 1000; i++)
    record_frame (fx, "v", i, "{}", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 1000);

  /* dispose drains what is queued */
  for (guint i = 0; i < 1000; i++)
    record_frame (fx, "v", 1000 + i, "{}", NULL, NULL);
  g_clear_object (&fx->store);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 2000);
  g_assert_cmpint (sql_int (fx->path, "SELECT max(message_id) FROM conversation_messages"), ==,
                   1999);
}

static void
test_connection (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  g_autofree char *ts = NULL;

  open_conversation (fx, "conn-1", "conv-1");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  path = sql_text (fx->path, "SELECT path FROM connections WHERE id = 'conn-1'");
  g_assert_cmpstr (path, ==, "/?username=admin&password=[redacted]");
  g_assert_cmpint (sql_int (fx->path, "SELECT client_port FROM connections"), ==, 4242);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversations WHERE id = 'conv-1' AND "
                                      "connection_id = 'conn-1' AND ended_at IS NULL"),
                   ==, 1);
  ts = sql_text (fx->path, "SELECT connected_at FROM connections");
  assert_timestamp (ts);

  alger_store_close_connection (ALGER_STORE (fx->store), "conn-1", "conv-1", NULL, done_cb,
                                ticket (fx, 0));
  wait_done (fx, 1);
  g_assert_cmpuint (fx->n_failed, ==, 0);
  status = sql_text (fx->path, "SELECT status FROM connections");
  g_assert_cmpstr (status, ==, "closed");
  g_clear_pointer (&ts, g_free);
  ts = sql_text (fx->path, "SELECT disconnected_at FROM connections");
  assert_timestamp (ts);
  g_clear_pointer (&ts, g_free);
  ts = sql_text (fx->path, "SELECT ended_at FROM conversations");
  assert_timestamp (ts);
}

static void
test_frames (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  AlgerFrameRecord bad = {
    .conversation_id = "v",
    .direction = ALGER_DIRECTION_INCOMING,
    .message_id = -1,
    .request_id = -1,
    .type_code = -1,
    .status_code = -1,
    .payload = "{not json password=hunter2",
    .error = "invalid JSON",
  };
  AlgerFrameRecord out = {
    .conversation_id = "v",
    .direction = ALGER_DIRECTION_OUTGOING,
    .message_id = 2,
    .request_id = 1,
    .type_code = 200,
    .status_code = 200,
    .payload = "{\"content\":{\"status\":\"login-ok\"}}",
  };
  g_autofree char *p1 = NULL;
  g_autofree char *p2 = NULL;
  g_autofree char *p3 = NULL;

  open_conversation (fx, "c", "v");
  record_frame (fx, "v", 1, "{\"id\":1,\"content\":{\"username\":\"a\",\"password\":\"admin\"}}",
                NULL, NULL);
  alger_store_record_frame (ALGER_STORE (fx->store), &bad, NULL, NULL);
  alger_store_record_frame (ALGER_STORE (fx->store), &out, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));

  p1 = sql_text (fx->path, "SELECT payload FROM conversation_messages WHERE id = 1");
  g_assert_cmpstr (p1, ==, "{\"id\":1,\"content\":{\"username\":\"a\",\"password\":\"[redacted]\"}}");
  p2 = sql_text (fx->path, "SELECT payload FROM conversation_messages WHERE id = 2");
  g_assert_cmpstr (p2, ==, "{not json password=[redacted]");
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages WHERE id = 2 AND "
                                      "message_id IS NULL AND type_code IS NULL AND direction = "
                                      "'incoming' AND error = 'invalid JSON'"),
                   ==, 1);
  p3 = sql_text (fx->path, "SELECT direction || type_code || status_code || request_id FROM "
                           "conversation_messages WHERE id = 3");
  g_assert_cmpstr (p3, ==, "outgoing2002001");
}

/* a conversation keeps the id range of its messages (a lower bound from its
 * start, an upper one from its end), and the conversation-messages query
 * reads that range: exactly the conversation's rows, in order, while other
 * conversations interleave with it */
/* checkpoint marks at 100, 200 and 400 WAL pages */
static void
fixture_setup_small_checkpoints (Fixture *fx, gconstpointer data)
{
  g_setenv ("ALGER_CHECKPOINT_PAGES", "100", TRUE);
  fixture_setup (fx, data);
  g_unsetenv ("ALGER_CHECKPOINT_PAGES");
}

/* A reader that keeps an old snapshot (an operator's open transaction)
 * keeps the WAL from starting over.  The writer's RESTART attempts then
 * give up after a short wait and try again later, instead of holding every
 * audit row for the 5 s an ordinary write may wait; once the reader is
 * done, the WAL starts over. */
static void
test_restart_held_by_reader (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const gsize payload_len = 8192;
  g_autofree char *payload = g_malloc (payload_len + 1);
  sqlite3 *reader = NULL;
  guint64 n_restarts = 0, n_deferred = 0, n_naps = 0;
  guint id = 0;

  payload[0] = '"';
  memset (payload + 1, '7', payload_len - 2);
  payload[payload_len - 1] = '"';
  payload[payload_len] = '\0';
  open_conversation (fx, "c", "v");
  record_frame (fx, "v", ++id, "{}", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));

  reader = db_open (fx->path);
  g_assert_cmpint (sqlite3_exec (reader, "BEGIN; SELECT count(*) FROM conversation_messages;",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  /* 1,000 frames of 8 KB in commits of 50: about 3,000 WAL pages, a mark
   * (and past 400 pages a RESTART attempt) every 100 */
  for (guint i = 0; i < 1000; i++) {
    record_frame (fx, "v", ++id, payload, NULL, NULL);
    if (i % 50 == 49)
      g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  }
  g_assert_no_error (error);
  alger_sqlite_store_get_restart_stats (fx->store, &n_restarts, &n_deferred, &n_naps);
  g_test_message ("%" G_GUINT64_FORMAT " restarts, %" G_GUINT64_FORMAT " deferred, %"
                  G_GUINT64_FORMAT " naps", n_restarts, n_deferred, n_naps);
  g_assert_cmpuint (n_restarts, >=, 1);
  g_assert_cmpuint (n_deferred, ==, n_restarts);
  /* 20 ms of 100 µs naps per wait at most, SQLite waiting once or twice per
   * attempt (an ordinary write's 5 s would be 50,000 naps) */
  g_assert_cmpuint (n_naps, <=, n_deferred * 2 * 201);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, id);

  /* the reader is done: the next attempt starts the WAL over */
  g_assert_cmpint (sqlite3_exec (reader, "COMMIT;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (reader);
  for (guint round = 0; round < 50 && n_restarts == n_deferred; round++) {
    for (guint i = 0; i < 50; i++)
      record_frame (fx, "v", ++id, payload, NULL, NULL);
    g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
    alger_sqlite_store_get_restart_stats (fx->store, &n_restarts, &n_deferred, &n_naps);
  }
  g_assert_cmpuint (n_restarts, >, n_deferred);
}

static void
test_conversation_range (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *args[] = { "conv-b", NULL };
  JsonArray *rows;

  open_conversation (fx, "conn-a", "conv-a");
  for (gint64 i = 1; i <= 3; i++)
    record_frame (fx, "conv-a", i, "{}", NULL, NULL);
  open_conversation (fx, "conn-b", "conv-b");
  for (gint64 i = 1; i <= 4; i++) {
    record_frame (fx, "conv-a", 10 + i, "{}", NULL, NULL);
    record_frame (fx, "conv-b", i, "{}", NULL, NULL);
  }
  alger_store_close_connection (ALGER_STORE (fx->store), "conn-b", "conv-b", NULL, NULL, NULL);
  record_frame (fx, "conv-a", 20, "{}", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));

  /* conv-b started after conv-a's first three rows and ended before its last */
  g_assert_cmpint (sql_int (fx->path, "SELECT first_message_id FROM conversations WHERE id = "
                                      "'conv-b'"),
                   ==, 4);
  g_assert_cmpint (sql_int (fx->path, "SELECT last_message_id FROM conversations WHERE id = "
                                      "'conv-b'"),
                   ==, 11);
  g_assert_cmpint (sql_int (fx->path, "SELECT first_message_id FROM conversations WHERE id = "
                                      "'conv-a'"),
                   ==, 1);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversations WHERE id = 'conv-a' "
                                      "AND last_message_id IS NULL"),
                   ==, 1);

  node = alger_store_query_sync (ALGER_STORE (fx->store), "conversation-messages", (GStrv) args,
                                 &error);
  g_assert_no_error (error);
  rows = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (rows), ==, 4);
  for (guint i = 0; i < 4; i++) {
    JsonObject *row = json_array_get_object_element (rows, i);
    g_assert_cmpstr (json_object_get_string_member (row, "conversation_id"), ==, "conv-b");
    g_assert_cmpint (json_object_get_int_member (row, "message_id"), ==, i + 1);
  }
  g_clear_pointer (&node, json_node_unref);

  /* still open: from its start to the newest row */
  args[0] = "conv-a";
  node = alger_store_query_sync (ALGER_STORE (fx->store), "conversation-messages", (GStrv) args,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 8);
  g_clear_pointer (&node, json_node_unref);

  /* rows of a conversation with no row of its own (a legacy database): all
   * of them, by a full scan */
  sql_exec (fx->path, "INSERT INTO conversation_messages (conversation_id, direction, "
                      "message_id) VALUES ('conv-orphan', 'incoming', 1)");
  args[0] = "conv-orphan";
  node = alger_store_query_sync (ALGER_STORE (fx->store), "conversation-messages", (GStrv) args,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 1);
}

/* a frame given as its content: the store writes the frame around it, with
 * the content redacted, and nothing under the metadata policy */
static void
test_frame_content (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  AlgerFrameRecord rec = {
    .conversation_id = "v",
    .direction = ALGER_DIRECTION_INCOMING,
    .message_id = 7,
    .request_id = -3,
    .type_code = 100,
    .status_code = -1,
    .content = "{\"username\":\"a\",\"password\":\"hunter2\"}",
  };
  g_autofree char *payload = NULL;

  open_conversation (fx, "c", "v");
  alger_store_record_frame (ALGER_STORE (fx->store), &rec, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  payload = sql_text (fx->path, "SELECT payload FROM conversation_messages");
  if (GPOINTER_TO_INT (data) == ALGER_PAYLOAD_METADATA) {
    g_assert_null (payload);
    return;
  }
  g_assert_cmpstr (payload, ==,
                   "{\"id\":7,\"requestId\":-3,\"type\":100,\"content\":{\"username\":\"a\","
                   "\"password\":\"[redacted]\"}}");
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* WAL frames not yet copied into the database file, as an outside reader sees them */
static gint64
wal_frames (const char *path)
{
  sqlite3 *db = db_open (path);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 v;

  /* a connection sees the WAL only once it has read the file */
  g_assert_cmpint (sqlite3_exec (db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 1); /* frames in the WAL */
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  return v;
}

/* the WAL is checkpointed into the database file while the store runs (not
 * only at close), and the WAL starts over instead of growing for good */
static void
test_checkpoints (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const guint n_frames = 6000;
  const gsize payload_len = 8192;
  g_autofree char *payload = g_malloc (payload_len + 1);
  gint64 deadline, db_size, frames = 0;

  /* a JSON string of digits: nothing to redact */
  payload[0] = '"';
  for (gsize i = 1; i < payload_len - 1; i++)
    payload[i] = (char) ('0' + g_random_int_range (0, 10));
  payload[payload_len - 1] = '"';
  payload[payload_len] = '\0';

  open_conversation (fx, "c", "v");
  for (guint i = 0; i < n_frames; i++)
    record_frame (fx, "v", i + 1, payload, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);

  /* 48 MB went through (two passes of 8,000 pages): the database file gets
   * a good part of it before close (the passes at 8,000 and 16,000 pages) */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((db_size = file_size (fx->path)) < (gint64) (n_frames * payload_len / 3) &&
         g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_cmpint (db_size, >=, (gint64) (n_frames * payload_len / 3));

  /* and once the checkpoints caught up, the next commits start the WAL over:
   * it holds only them, not the ~8,000 pages written before */
  for (guint round = 0; round < 300; round++) {
    record_frame (fx, "v", n_frames + round + 1, "{}", NULL, NULL);
    g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
    frames = wal_frames (fx->path); /* -1: our checkpointer was busy with it */
    if (frames >= 0 && frames < 100)
      break;
    g_usleep (100000);
  }
  g_test_message ("database %" G_GINT64_FORMAT " bytes, %" G_GINT64_FORMAT " WAL frames", db_size,
                  frames);
  g_assert_cmpint (frames, >=, 0);
  g_assert_cmpint (frames, <, 100);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), >,
                   n_frames);
}

static void
test_policy (Fixture *fx, gconstpointer data)
{
  AlgerPayloadPolicy policy = GPOINTER_TO_INT (data);
  const char *payload = "{\"content\":{\"token\":\"abc\",\"password\":\"p\",\"n\":1}}";
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *details = NULL;

  g_assert_cmpint (alger_sqlite_store_get_policy (fx->store), ==, policy);
  open_conversation (fx, "c", "v");
  record_frame (fx, "v", 7, payload, "oops", NULL);
  alger_store_record_user_action (ALGER_STORE (fx->store), NULL, "login_attempt",
                                  "{\"success\":false,\"password\":\"x\"}", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  stored = sql_text (fx->path, "SELECT payload FROM conversation_messages");
  g_assert_cmpint (sql_int (fx->path, "SELECT message_id FROM conversation_messages"), ==, 7);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages WHERE error = "
                                      "'oops' AND type_code = 101"),
                   ==, 1);
  switch (policy) {
  case ALGER_PAYLOAD_FULL:
    g_assert_cmpstr (stored, ==,
                     "{\"content\":{\"token\":\"abc\",\"password\":\"[redacted]\",\"n\":1}}");
    break;
  case ALGER_PAYLOAD_REDACTED:
    g_assert_cmpstr (stored, ==,
                     "{\"content\":{\"token\":\"[redacted]\",\"password\":\"[redacted]\",\"n\":1}}");
    break;
  case ALGER_PAYLOAD_METADATA:
  default:
    g_assert_null (stored);
    break;
  }
  /* user action details are kept (redacted) under every policy */
  details = sql_text (fx->path, "SELECT details FROM user_actions");
  g_assert_cmpstr (details, ==, "{\"success\":false,\"password\":\"[redacted]\"}");
}

/* ------------------------------------------------------------------------ */
/* reads */

static void
pipeline_query_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JsonNode **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = alger_store_query_finish (ALGER_STORE (source), result, &error);
  g_assert_no_error (error);
}

typedef struct {
  Fixture *fx;
  JsonNode *result;
} ReadAfter;

static void
save_done_then_read (gboolean ok, const GError *error, gpointer user_data)
{
  ReadAfter *ra = user_data;
  const char *args[] = { "p-1", NULL };

  g_assert_true (ok);
  alger_store_query (ALGER_STORE (ra->fx->store), "pipeline", (GStrv) args, NULL,
                     pipeline_query_cb, &ra->result);
}

static void
test_read_after_done (Fixture *fx, gconstpointer data)
{
  ReadAfter ra = { fx, NULL };
  guint id = g_timeout_add_seconds (60, timeout_cb, NULL);

  /* many frames queued before, so the read would miss an uncommitted write */
  open_conversation (fx, "c", "v");
  for (guint i = 0; i < 2000; i++)
    record_frame (fx, "v", i, "{}", NULL, NULL);
  alger_store_save_pipeline (ALGER_STORE (fx->store), "p-1", "One",
                             "{\"pipeline\":{\"nodes\":[]}}", "d", "{}", save_done_then_read, &ra);
  while (ra.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (ra.result), "name"), ==,
                   "One");
  json_node_unref (ra.result);
}

static JsonNode *
query (Fixture *fx, const char *name, const char *arg, GError **error)
{
  const char *args[] = { arg, NULL };

  return alger_store_query_sync (ALGER_STORE (fx->store), name, (GStrv) args, error);
}

static void
populate (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  AlgerExecutionRecord e1 = { "e-1", "p-b", "db", "{\"g\":1}", "{}", "running", NULL };
  AlgerExecutionRecord e2 = { "e-2", NULL, "payload", "{\"g\":2}", "{\"a\":1}", "running", NULL };
  AlgerExecutionRecord e3 = { "e-3", "missing", "payload", "{}", "{}", "finished", NULL };
  gboolean created = FALSE;
  g_autoptr(JsonNode) user = NULL;

  g_assert_true (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "admin", "Admin",
                                               "[\"admin\",\"operator\"]", "$6$x", FALSE,
                                               &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  user = query (fx, "user-by-name", "admin", &error);
  g_assert_no_error (error);
  e1.requested_by = e2.requested_by =
      json_object_get_string_member (json_node_get_object (user), "id");

  alger_store_save_pipeline (ALGER_STORE (fx->store), "p-b", "B", "{\"pipeline\":{\"nodes\":[1]}}",
                             "bee", "{\"m\":1}", NULL, NULL);
  alger_store_save_pipeline (ALGER_STORE (fx->store), "p-a", "A", "{\"pipeline\":{}}", NULL, NULL,
                             NULL, NULL);
  alger_store_create_execution (ALGER_STORE (fx->store), &e1, NULL, NULL);
  alger_store_add_execution_event (ALGER_STORE (fx->store), "e-1", "status", "created",
                                   "{\"status\":\"running\"}", NULL, NULL);
  g_usleep (2000); /* distinct started_at (ms) */
  alger_store_create_execution (ALGER_STORE (fx->store), &e2, NULL, NULL);
  alger_store_add_execution_event (ALGER_STORE (fx->store), "e-1", "summary", "done",
                                   "not json", NULL, NULL);
  g_usleep (2000);
  alger_store_create_execution (ALGER_STORE (fx->store), &e3, NULL, NULL);
  alger_store_update_execution (ALGER_STORE (fx->store), "e-3", "finished", "e-3.json",
                                "{\"strategy\":\"kahn\"}", TRUE, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);
}

/* executions is a view over execution_runs and execution_graphs (v3): the
 * store writes a run's graph once, in its own table, and the end-of-run
 * update touches only the run's row; outside tools still read and write
 * `executions` as the table it was */
static void
test_executions_view (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *graph = "{\"pipeline\":{\"nodes\":[{\"id\":\"n-1\"}]}}";
  AlgerExecutionRecord rec = { "e-1", NULL, "payload", graph, "{}", "running", NULL };
  g_autofree char *row = NULL;
  gint64 graph_rowid;

  alger_store_create_execution (ALGER_STORE (fx->store), &rec, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);
  graph_rowid = sql_int (fx->path, "SELECT rowid FROM execution_graphs WHERE execution_id = 'e-1'");
  alger_store_update_execution (ALGER_STORE (fx->store), "e-1", "finished", "e-1.json",
                                "{\"strategy\":\"kahn\"}", TRUE, NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  g_assert_no_error (error);
  /* one graph row, the same one; the run's row has no graph column */
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM execution_graphs"), ==, 1);
  g_assert_cmpint (sql_int (fx->path, "SELECT rowid FROM execution_graphs WHERE execution_id = "
                                      "'e-1'"),
                   ==, graph_rowid);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM pragma_table_info('execution_runs') "
                                      "WHERE name = 'graph'"),
                   ==, 0);
  row = sql_text (fx->path, "SELECT graph || '|' || status || '|' || output_file || '|' || "
                            "(completed_at IS NOT NULL) FROM executions WHERE id = 'e-1'");
  g_assert_cmpstr (row, ==, "{\"pipeline\":{\"nodes\":[{\"id\":\"n-1\"}]}}|finished|e-1.json|1");
  g_clear_pointer (&row, g_free);

  /* written from outside, through the view's triggers */
  sql_exec (fx->path, "INSERT INTO executions (id, source, graph, params, status) VALUES "
                      "('x-1', 'payload', '{\"a\":1}', '{}', 'running')");
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM execution_runs WHERE id = 'x-1' AND "
                                      "started_at IS NOT NULL"),
                   ==, 1);
  row = sql_text (fx->path, "SELECT graph FROM execution_graphs WHERE execution_id = 'x-1'");
  g_assert_cmpstr (row, ==, "{\"a\":1}");
  g_clear_pointer (&row, g_free);
  sql_exec (fx->path, "UPDATE executions SET status = 'failed', graph = '{\"b\":2}' WHERE id = "
                      "'x-1'");
  row = sql_text (fx->path, "SELECT status || '|' || graph FROM executions WHERE id = 'x-1'");
  g_assert_cmpstr (row, ==, "failed|{\"b\":2}");
  g_clear_pointer (&row, g_free);
  sql_exec (fx->path, "UPDATE executions SET id = 'x-2' WHERE id = 'x-1'");
  row = sql_text (fx->path, "SELECT group_concat(execution_id) FROM execution_graphs WHERE "
                            "execution_id LIKE 'x-%'");
  g_assert_cmpstr (row, ==, "x-2");
  g_clear_pointer (&row, g_free);
  sql_exec (fx->path, "UPDATE executions SET graph = NULL WHERE id = 'x-2'");
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM execution_graphs WHERE execution_id "
                                      "= 'x-2'"),
                   ==, 0);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM executions WHERE id = 'x-2' AND "
                                      "graph IS NULL"),
                   ==, 1);
  sql_exec (fx->path, "UPDATE executions SET graph = '{\"c\":3}' WHERE id = 'x-2'");
  sql_exec (fx->path, "DELETE FROM executions WHERE id = 'x-2'");
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM execution_runs WHERE id = 'x-2'"), ==,
                   0);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM execution_graphs WHERE execution_id "
                                      "= 'x-2'"),
                   ==, 0);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM executions"), ==, 1);
}

static void
test_queries (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  JsonArray *a;

  populate (fx);

  node = query (fx, "user-by-name", "admin", &error);
  g_assert_no_error (error);
  o = json_node_get_object (node);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (o, "id")));
  g_assert_cmpstr (json_object_get_string_member (o, "password_hash"), ==, "$6$x");
  g_assert_cmpstr (json_object_get_string_member (o, "display_name"), ==, "Admin");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "roles")), ==, 2);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "metadata")));
  assert_timestamp (json_object_get_string_member (o, "created_at"));
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "user-by-name", "nobody", &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND);
  g_assert_null (node);
  g_clear_error (&error);

  node = query (fx, "users", NULL, &error);
  g_assert_no_error (error);
  o = json_array_get_object_element (json_node_get_array (node), 0);
  g_assert_false (json_object_has_member (o, "password_hash"));
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "pipelines", NULL, &error);
  g_assert_no_error (error);
  a = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "p-a");
  g_assert_true (json_object_get_null_member (o, "metadata"));
  o = json_array_get_object_element (a, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "p-b");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "full_graph")));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "metadata"), "m"),
                   ==, 1);
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "pipeline", "p-b", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "description"), ==,
                   "bee");
  g_clear_pointer (&node, json_node_unref);
  node = query (fx, "pipeline", "zzz", &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND);
  g_clear_error (&error);

  node = query (fx, "execution", "e-3", &error);
  g_assert_no_error (error);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "finished");
  g_assert_cmpstr (json_object_get_string_member (o, "output_file"), ==, "e-3.json");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "output_content"),
                                                  "strategy"),
                   ==, "kahn");
  assert_timestamp (json_object_get_string_member (o, "completed_at"));
  /* a dangling pipeline id is stored as NULL rather than losing the row */
  g_assert_true (json_object_get_null_member (o, "pipeline_id"));
  g_clear_pointer (&node, json_node_unref);
  node = query (fx, "execution", "e-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "pipeline_id"), ==,
                   "p-b");
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "executions", "2", &error);
  g_assert_no_error (error);
  a = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (a, 0), "id"), ==,
                   "e-3");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (a, 1), "id"), ==,
                   "e-2");
  g_clear_pointer (&node, json_node_unref);
  node = query (fx, "executions", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 3);
  g_clear_pointer (&node, json_node_unref);
  node = query (fx, "executions", "many", &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  node = query (fx, "running-executions", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 2);
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "execution-events", "e-1", &error);
  g_assert_no_error (error);
  a = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "event_type"), ==, "status");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "payload"),
                                                  "status"),
                   ==, "running");
  o = json_array_get_object_element (a, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "payload"), ==, "not json");
  g_clear_pointer (&node, json_node_unref);

  node = query (fx, "no-such-query", NULL, &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_null (node);
  g_clear_error (&error);
  node = alger_store_query_sync (ALGER_STORE (fx->store), "pipeline", NULL, &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  /* and asynchronously, from the pool */
  {
    JsonNode *result = NULL;
    guint id = g_timeout_add_seconds (60, timeout_cb, NULL);

    alger_store_query (ALGER_STORE (fx->store), "pipelines", NULL, NULL, pipeline_query_cb,
                       &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (id);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (result)), ==, 2);
    json_node_unref (result);
  }

  /* remove: executions keep their row, their pipeline_id goes NULL */
  alger_store_remove_pipeline (ALGER_STORE (fx->store), "p-b", NULL, NULL);
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  node = query (fx, "pipeline", "p-b", &error);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  node = query (fx, "execution", "e-1", &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_null_member (json_node_get_object (node), "pipeline_id"));
  g_clear_pointer (&node, json_node_unref);
}

static void
async_error_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  JsonNode *node = alger_store_query_finish (ALGER_STORE (source), result, out);

  g_assert_null (node);
}

static void
test_query_async_unknown (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;

  alger_store_query (ALGER_STORE (fx->store), "bogus", NULL, NULL, async_error_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_error_free (error);
}

static void
test_interrupt (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *a;
  JsonObject *o;

  populate (fx); /* e-1, e-2 running; e-3 finished */
  g_assert_cmpint (alger_store_interrupt_running_sync (ALGER_STORE (fx->store), &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM executions WHERE status = "
                                      "'interrupted' AND completed_at IS NOT NULL"),
                   ==, 2);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM executions WHERE id = 'e-3' AND "
                                      "status = 'finished'"),
                   ==, 1);
  node = query (fx, "execution-events", "e-2", &error);
  g_assert_no_error (error);
  a = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "event_type"), ==, "status");
  g_assert_cmpstr (json_object_get_string_member (o, "description"), ==,
                   "Execution interrupted by a server restart");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "payload"),
                                                  "status"),
                   ==, "interrupted");
  g_assert_cmpint (alger_store_interrupt_running_sync (ALGER_STORE (fx->store), &error), ==, 0);
}

static void
test_ensure_user (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *hash = NULL;
  gboolean created = FALSE;

  g_assert_true (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "bob", "Bob", NULL, "h1",
                                               FALSE, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  id = sql_text (fx->path, "SELECT id FROM users WHERE username = 'bob'");
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM users WHERE roles = '[]' AND "
                                      "metadata = '{}' AND password_hash = 'h1'"),
                   ==, 1);

  /* again, no reset: nothing changes */
  g_assert_true (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "bob", "Robert", NULL,
                                               "h2", FALSE, &created, &error));
  g_assert_false (created);
  hash = sql_text (fx->path, "SELECT password_hash FROM users WHERE username = 'bob'");
  g_assert_cmpstr (hash, ==, "h1");
  g_clear_pointer (&hash, g_free);

  /* reset */
  g_assert_true (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "bob", NULL, NULL, "h3",
                                               TRUE, &created, &error));
  g_assert_false (created);
  hash = sql_text (fx->path, "SELECT password_hash FROM users WHERE username = 'bob'");
  g_assert_cmpstr (hash, ==, "h3");
  id2 = sql_text (fx->path, "SELECT id FROM users WHERE username = 'bob'");
  g_assert_cmpstr (id, ==, id2);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM users"), ==, 1);

  g_assert_false (alger_store_ensure_user_sync (ALGER_STORE (fx->store), "eve", NULL, "{oops",
                                                "h", FALSE, &created, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  /* touch_last_login */
  alger_store_touch_last_login (ALGER_STORE (fx->store), id, done_cb, ticket (fx, 1));
  wait_done (fx, 1);
  g_clear_pointer (&hash, g_free);
  hash = sql_text (fx->path, "SELECT last_login FROM users");
  assert_timestamp (hash);
}

/* ------------------------------------------------------------------------ */
/* failures */

static void
test_failure_one_op (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *blocker;
  guint64 tx_before;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  sql_exec (fx->path,
            "CREATE TRIGGER boom BEFORE INSERT ON conversation_messages WHEN NEW.error = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END");
  g_atomic_int_set (&expect_storage_warnings, TRUE);
  g_atomic_int_set (&n_storage_warnings, 0);

  /* hold the write lock so that the writer takes op 0 and blocks on BEGIN,
   * while ops 1..9 pile up into one batch */
  blocker = db_open (fx->path);
  g_assert_cmpint (sqlite3_exec (blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  tx_before = alger_sqlite_store_get_n_transactions (fx->store);
  for (guint i = 0; i < 10; i++)
    record_frame (fx, "v", i, "{}", i == 5 ? "boom" : NULL, ticket (fx, i));
  g_usleep (50000);
  g_assert_cmpint (sqlite3_exec (blocker, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (blocker);

  wait_done (fx, 10);
  g_assert_false (fx->off_thread);
  g_assert_cmpuint (fx->n_failed, ==, 1);
  g_assert_error (fx->last_error, ALGER_ERROR, ALGER_ERROR_STORAGE);
  g_assert_nonnull (strstr (fx->last_error->message, "boom"));
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (g_array_index (fx->order, guint, i), ==, i);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 9);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages WHERE "
                                      "message_id = 5"),
                   ==, 0);
  g_assert_cmpuint (alger_sqlite_store_get_n_failed (fx->store), ==, 1);
  /* the batch was retried op by op: more transactions than batches */
  g_assert_cmpuint (alger_sqlite_store_get_n_transactions (fx->store) - tx_before, >=, 10);
  g_assert_cmpint (g_atomic_int_get (&n_storage_warnings), ==, 1);
  g_atomic_int_set (&expect_storage_warnings, FALSE);

  /* and the store keeps working */
  record_frame (fx, "v", 100, "{}", NULL, ticket (fx, 100));
  wait_done (fx, 11);
  g_assert_cmpuint (fx->n_failed, ==, 1);
}

/* holds the write lock so that the writer takes the next op and waits on
 * BEGIN while the following ones pile up into one batch */
static sqlite3 *
block_writer (Fixture *fx)
{
  sqlite3 *blocker = db_open (fx->path);

  g_assert_cmpint (sqlite3_exec (blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  return blocker;
}

static void
unblock_writer (sqlite3 *blocker)
{
  g_usleep (50000);
  g_assert_cmpint (sqlite3_exec (blocker, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (blocker);
}

static void
record_action (Fixture *fx, const char *action, guint i, gpointer user_data)
{
  g_autofree char *details = g_strdup_printf ("{\"i\":%u}", i);

  alger_store_record_user_action (ALGER_STORE (fx->store), NULL, action, details,
                                  user_data != NULL ? done_cb : NULL, user_data);
}

/* the rows of `table` matching `where`, in id order, have `key` first,
 * first + 1, …, last: all of them, in the order they were recorded */
static void
assert_rows_in_order (Fixture *fx, const char *table, const char *key, const char *where,
                      guint first, guint last)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT group_concat(k, ',') FROM (SELECT %s AS k FROM %s WHERE %s ORDER BY id)", key,
      table, where);
  g_autofree char *got = sql_text (fx->path, sql);
  g_autoptr(GString) want = g_string_new (NULL);

  for (guint i = first; i <= last; i++)
    g_string_append_printf (want, i == first ? "%u" : ",%u", i);
  g_assert_cmpstr (got, ==, want->str);
}

/* a batch of interleaved frames, user actions and execution events (a
 * 101's row, its user action, its answer, …; a run's 205s and events) more
 * than one multi-row INSERT long, with an execution created and a
 * connection closing in the middle: each table keeps the rows in the order
 * they were recorded, events find the execution created before them in the
 * same batch, the close sees exactly the rows recorded before it, and the
 * whole batch is one transaction */
static void
test_appends_interleaved (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *blocker;
  guint64 tx_before;
  guint n = 0;
  gint64 last_b;

  open_conversation (fx, "conn-a", "conv-a");
  open_conversation (fx, "conn-b", "conv-b");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));

  blocker = block_writer (fx);
  record_frame (fx, "conv-a", 0, "{}", NULL, ticket (fx, n++));
  tx_before = alger_sqlite_store_get_n_transactions (fx->store);
  for (guint i = 1; i <= 45; i++) {
    record_frame (fx, "conv-a", i, "{}", NULL, ticket (fx, n++));
    record_action (fx, "act", i, ticket (fx, n++));
    if (i <= 20)
      record_frame (fx, "conv-b", i, "{}", NULL, ticket (fx, n++));
    if (i == 20)
      alger_store_close_connection (ALGER_STORE (fx->store), "conn-b", "conv-b", NULL, done_cb,
                                    ticket (fx, n++));
    if (i == 10) {
      AlgerExecutionRecord rec = { .id = "e-1", .source = "payload", .graph = "{}",
                                   .params = "{}", .status = "running" };
      alger_store_create_execution (ALGER_STORE (fx->store), &rec, done_cb, ticket (fx, n++));
    }
    if (i > 10) {
      g_autofree char *payload = g_strdup_printf ("{\"i\":%u}", i);
      alger_store_add_execution_event (ALGER_STORE (fx->store), "e-1", "tracked-output", "node",
                                       payload, done_cb, ticket (fx, n++));
    }
  }
  /* hand over what this iteration corked (past 64 ops, 128 were already
   * queued) before the writer wakes, so it finds the whole batch */
  drain_main_context ();
  unblock_writer (blocker);
  wait_done (fx, n);

  g_assert_cmpuint (fx->n_failed, ==, 0);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (g_array_index (fx->order, guint, i), ==, i);
  /* op 0's transaction, then the rest as one */
  g_assert_cmpuint (alger_sqlite_store_get_n_transactions (fx->store) - tx_before, <=, 2);

  /* each table in the order recorded */
  assert_rows_in_order (fx, "conversation_messages", "message_id",
                        "conversation_id = 'conv-a'", 0, 45);
  assert_rows_in_order (fx, "user_actions", "json_extract(details, '$.i')", "action = 'act'", 1,
                        45);
  assert_rows_in_order (fx, "execution_events", "json_extract(payload, '$.i')",
                        "execution_id = 'e-1' AND event_type = 'tracked-output'", 11, 45);
  /* the close came after conv-a's 20th row and conv-b's last, before the 21st */
  last_b = sql_int (fx->path, "SELECT last_message_id FROM conversations WHERE id = 'conv-b'");
  g_assert_cmpint (sql_int (fx->path, "SELECT max(id) FROM conversation_messages WHERE "
                                      "conversation_id = 'conv-b'"),
                   <=, last_b);
  g_assert_cmpint (sql_int (fx->path, "SELECT id FROM conversation_messages WHERE "
                                      "conversation_id = 'conv-a' AND message_id = 20"),
                   <=, last_b);
  g_assert_cmpint (sql_int (fx->path, "SELECT id FROM conversation_messages WHERE "
                                      "conversation_id = 'conv-a' AND message_id = 21"),
                   >, last_b);
}

/* a failing user action inside such a batch costs only itself */
static void
test_appends_one_fails (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *blocker;
  guint n = 0;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  sql_exec (fx->path, "CREATE TRIGGER boom BEFORE INSERT ON user_actions WHEN NEW.action = "
                      "'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
  g_atomic_int_set (&expect_storage_warnings, TRUE);
  g_atomic_int_set (&n_storage_warnings, 0);

  blocker = block_writer (fx);
  record_frame (fx, "v", 0, "{}", NULL, ticket (fx, n++));
  for (guint i = 1; i <= 10; i++) {
    record_frame (fx, "v", i, "{}", NULL, ticket (fx, n++));
    record_action (fx, i == 5 ? "boom" : "act", i, ticket (fx, n++));
  }
  unblock_writer (blocker);
  wait_done (fx, n);

  g_assert_cmpuint (fx->n_failed, ==, 1);
  g_assert_nonnull (strstr (fx->last_error->message, "boom"));
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (g_array_index (fx->order, guint, i), ==, i);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 11);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM user_actions WHERE action = 'act'"),
                   ==, 9);
  g_assert_cmpint (g_atomic_int_get (&n_storage_warnings), ==, 1);
  g_atomic_int_set (&expect_storage_warnings, FALSE);
}

static void
test_failure_disk_full (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *big = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *payload = NULL;
  gint64 pages;

  open_conversation (fx, "c", "v");
  g_assert_true (alger_store_flush (ALGER_STORE (fx->store), &error));
  pages = sql_int (fx->path, "PRAGMA page_count");
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages);
  g_assert_true (alger_sqlite_store_exec_sync (fx->store, sql, &error));
  g_assert_no_error (error);

  g_atomic_int_set (&expect_storage_warnings, TRUE);
  g_atomic_int_set (&n_storage_warnings, 0);
  big = g_strnfill (16000, 'x');
  payload = g_strdup_printf ("{\"blob\":\"%s\"}", big);
  for (guint i = 0; i < 50; i++)
    record_frame (fx, "v", i, payload, NULL, ticket (fx, i));
  wait_done (fx, 50);
  g_assert_cmpuint (fx->n_failed, ==, 50);
  g_assert_error (fx->last_error, ALGER_ERROR, ALGER_ERROR_STORAGE);
  g_test_message ("disk full: %s", fx->last_error->message);
  /* one warning for the whole burst */
  g_assert_cmpint (g_atomic_int_get (&n_storage_warnings), ==, 1);
  g_atomic_int_set (&expect_storage_warnings, FALSE);

  /* space comes back: the store recovers, nothing is corrupt */
  g_assert_true (alger_sqlite_store_exec_sync (fx->store, "PRAGMA max_page_count = 1000000000",
                                               &error));
  g_assert_no_error (error);
  record_frame (fx, "v", 99, payload, NULL, ticket (fx, 99));
  wait_done (fx, 51);
  g_assert_cmpuint (fx->n_failed, ==, 50);
  g_assert_cmpint (sql_int (fx->path, "SELECT count(*) FROM conversation_messages"), ==, 1);
  {
    g_autofree char *check = sql_text (fx->path, "PRAGMA integrity_check");
    g_assert_cmpstr (check, ==, "ok");
  }
}

static void
test_closed (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  AlgerSqliteStore *store;

  /* a directory where the file should be */
  g_assert_cmpint (g_mkdir_with_parents (fx->path, 0700), ==, 0);
  store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);
  g_assert_null (store);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE);
  g_clear_error (&error);
  store = alger_sqlite_store_new (":memory:", ALGER_PAYLOAD_FULL, &error);
  g_assert_null (store);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
}

static void
test_policy_strings (void)
{
  AlgerPayloadPolicy p = ALGER_PAYLOAD_FULL;

  g_assert_true (alger_payload_policy_from_string ("Metadata", &p));
  g_assert_cmpint (p, ==, ALGER_PAYLOAD_METADATA);
  g_assert_true (alger_payload_policy_from_string ("redacted", &p));
  g_assert_cmpint (p, ==, ALGER_PAYLOAD_REDACTED);
  g_assert_false (alger_payload_policy_from_string ("none", &p));
  g_assert_cmpstr (alger_payload_policy_to_string (ALGER_PAYLOAD_FULL), ==, "full");
}

/* everything the store needs is open when it is made: its files can go
 * right away (an operator removing the state dir, a test cleaning up) and
 * none of its threads fails later for want of them */
static void
test_files_removed_at_once (Fixture *fx, gconstpointer data)
{
  g_atomic_int_set (&n_storage_warnings, 0);
  g_atomic_int_set (&expect_storage_warnings, TRUE);
  for (guint i = 0; i < 20; i++) {
    g_autoptr(GError) error = NULL;
    AlgerSqliteStore *store = alger_sqlite_store_new (fx->path, ALGER_PAYLOAD_FULL, &error);

    g_assert_no_error (error);
    rm_rf (fx->dir);
    g_object_unref (store);
    drain_main_context ();
  }
  g_atomic_int_set (&expect_storage_warnings, FALSE);
  g_assert_cmpint (g_atomic_int_get (&n_storage_warnings), ==, 0);
}

int
main (int argc, char **argv)
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, policy)                                                                    \
  g_test_add (path, Fixture, GINT_TO_POINTER (policy), fixture_setup, func, fixture_teardown)

  g_test_add ("/alger/store/migrate/legacy", Fixture, NULL, fixture_setup_empty,
              test_migrate_legacy, fixture_teardown);
  g_test_add ("/alger/store/migrate/newer", Fixture, NULL, fixture_setup_empty,
              test_migrate_newer, fixture_teardown);
  g_test_add ("/alger/store/open/bad-path", Fixture, NULL, fixture_setup_empty, test_closed,
              fixture_teardown);
  g_test_add ("/alger/store/open/files-removed-at-once", Fixture, NULL, fixture_setup_empty,
              test_files_removed_at_once, fixture_teardown);
  ADD ("/alger/store/migrate/empty", test_migrate_empty, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/fifo-group-commit", test_fifo, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/main-context", test_main_context, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/cork", test_cork, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/flush-dispose", test_flush_and_dispose, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/connection", test_connection, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/frames", test_frames, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/frame-content", test_frame_content, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/frame-content/metadata", test_frame_content, ALGER_PAYLOAD_METADATA);
  ADD ("/alger/store/write/checkpoints", test_checkpoints, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/writer-spins-only-when-busy", test_writer_spin, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/main-context-spins-only-while-awaiting", test_main_spin,
       ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/wal-writeback-every-128-pages", test_wal_writeback, ALGER_PAYLOAD_FULL);
  g_test_add ("/alger/store/write/restart-held-by-reader", Fixture,
              GINT_TO_POINTER (ALGER_PAYLOAD_FULL), fixture_setup_small_checkpoints,
              test_restart_held_by_reader, fixture_teardown);
  ADD ("/alger/store/read/conversation-range", test_conversation_range, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/policy/full", test_policy, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/policy/redacted", test_policy, ALGER_PAYLOAD_REDACTED);
  ADD ("/alger/store/policy/metadata", test_policy, ALGER_PAYLOAD_METADATA);
  g_test_add_func ("/alger/store/policy/strings", test_policy_strings);
  ADD ("/alger/store/read/after-done", test_read_after_done, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/read/queries", test_queries, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/read/unknown-async", test_query_async_unknown, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/sync/interrupt-running", test_interrupt, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/executions-view", test_executions_view, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/sync/ensure-user", test_ensure_user, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/failure/one-op", test_failure_one_op, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/write/appends-interleaved", test_appends_interleaved, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/failure/append-one-fails", test_appends_one_fails, ALGER_PAYLOAD_FULL);
  ADD ("/alger/store/failure/disk-full", test_failure_disk_full, ALGER_PAYLOAD_FULL);

  return g_test_run ();
}
