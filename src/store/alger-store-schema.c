/* alger-store-schema.c: the audit store's schema and its migrations
 *
 * Keyed on PRAGMA user_version; each step and its bump run in one
 * transaction.  Version 0 is a fresh file or a database written by the
 * original server (same tables): it is upgraded in place, every row kept,
 * and the passwords the original stored in clear are redacted.
 */
#define G_LOG_DOMAIN "alger-store"

#include "config.h"

#include "alger-store-schema.h"

#include <string.h>

#include "alger-error.h"
#include "alger-redact.h"
#include "alger-sqlite-store.h"
#include "alger-sqlite-util.h"


/* the original server's schema, verbatim: fresh databases get exactly the
 * same tables, so external readers keep working */
static const char schema_v0[] =
    "CREATE TABLE IF NOT EXISTS pipelines (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    name TEXT NOT NULL,\n"
    "    full_graph TEXT,\n"
    "    description TEXT,\n"
    "    metadata TEXT,\n"
    "    created_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    updated_at TEXT DEFAULT CURRENT_TIMESTAMP\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS users (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    username TEXT UNIQUE NOT NULL,\n"
    "    display_name TEXT,\n"
    "    email TEXT,\n"
    "    roles TEXT,\n"
    "    metadata TEXT,\n"
    "    last_login TEXT,\n"
    "    created_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    updated_at TEXT DEFAULT CURRENT_TIMESTAMP\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS user_actions (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    user_id TEXT,\n"
    "    action TEXT NOT NULL,\n"
    "    details TEXT,\n"
    "    created_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS connections (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    user_id TEXT,\n"
    "    client_ip TEXT,\n"
    "    client_port INTEGER,\n"
    "    user_agent TEXT,\n"
    "    origin TEXT,\n"
    "    path TEXT,\n"
    "    status TEXT,\n"
    "    connected_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    disconnected_at TEXT,\n"
    "    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS conversations (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    user_id TEXT,\n"
    "    connection_id TEXT,\n"
    "    context TEXT,\n"
    "    started_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    ended_at TEXT,\n"
    "    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL,\n"
    "    FOREIGN KEY (connection_id) REFERENCES connections(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS conversation_messages (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    conversation_id TEXT NOT NULL,\n"
    "    direction TEXT CHECK(direction IN ('incoming','outgoing')),\n"
    "    message_id INTEGER,\n"
    "    request_id INTEGER,\n"
    "    type_code INTEGER,\n"
    "    status_code INTEGER,\n"
    "    payload TEXT,\n"
    "    error TEXT,\n"
    "    recorded_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS executions (\n"
    "    id TEXT PRIMARY KEY,\n"
    "    pipeline_id TEXT,\n"
    "    source TEXT,\n"
    "    graph TEXT,\n"
    "    params TEXT,\n"
    "    status TEXT,\n"
    "    requested_by TEXT,\n"
    "    output_file TEXT,\n"
    "    output_content TEXT,\n"
    "    started_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    completed_at TEXT,\n"
    "    FOREIGN KEY (pipeline_id) REFERENCES pipelines(id) ON DELETE SET NULL,\n"
    "    FOREIGN KEY (requested_by) REFERENCES users(id) ON DELETE SET NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS execution_events (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    execution_id TEXT,\n"
    "    event_type TEXT,\n"
    "    description TEXT,\n"
    "    payload TEXT,\n"
    "    created_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    FOREIGN KEY (execution_id) REFERENCES executions(id) ON DELETE CASCADE\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS error_logs (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    conversation_id TEXT,\n"
    "    execution_id TEXT,\n"
    "    message_id INTEGER,\n"
    "    type_code INTEGER,\n"
    "    severity TEXT,\n"
    "    message TEXT,\n"
    "    payload TEXT,\n"
    "    created_at TEXT DEFAULT CURRENT_TIMESTAMP,\n"
    "    FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE SET NULL,\n"
    "    FOREIGN KEY (execution_id) REFERENCES executions(id) ON DELETE SET NULL\n"
    ");\n";

static const char indexes_v1[] =
    "CREATE INDEX IF NOT EXISTS idx_conversation_messages_conversation_id "
    "ON conversation_messages(conversation_id);\n"
    "CREATE INDEX IF NOT EXISTS idx_execution_events_execution_id "
    "ON execution_events(execution_id);\n"
    "CREATE INDEX IF NOT EXISTS idx_executions_status ON executions(status);\n"
    "CREATE INDEX IF NOT EXISTS idx_executions_started_at ON executions(started_at);\n"
    "CREATE INDEX IF NOT EXISTS idx_user_actions_user_id ON user_actions(user_id);\n"
    "CREATE INDEX IF NOT EXISTS idx_conversations_connection_id ON conversations(connection_id);\n";

static gboolean
get_user_version (sqlite3 *db, gint *version, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!alger_sql_prepare (db, "PRAGMA user_version", &stmt, error))
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    alger_sql_set_sqlite_error (error, db, "reading the schema version");
    return FALSE;
  }
  *version = sqlite3_column_int (stmt, 0);
  return TRUE;
}

static gboolean
column_exists (sqlite3 *db, const char *table, const char *column, gboolean *exists,
               GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  /* pragma_table_info() takes the table name as a bound parameter */
  if (!alger_sql_prepare (db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", &stmt, error))
    return FALSE;
  alger_sql_bind_text (stmt, 1, table);
  alger_sql_bind_text (stmt, 2, column);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    alger_sql_set_sqlite_error (error, db, "reading the table layout");
    return FALSE;
  }
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

typedef enum {
  REDACT_JSON,
  REDACT_QUERY,
  REDACT_TEXT,
} RedactKind;

/* every column where the original may have left a password in clear */
static const struct {
  const char *table;
  const char *column;
  RedactKind kind;
} legacy_columns[] = {
  { "connections", "path", REDACT_QUERY },
  { "conversation_messages", "payload", REDACT_JSON },
  { "conversation_messages", "error", REDACT_TEXT },
  { "executions", "graph", REDACT_JSON },
  { "executions", "params", REDACT_JSON },
  { "executions", "output_content", REDACT_JSON },
  { "execution_events", "payload", REDACT_JSON },
  { "execution_events", "description", REDACT_TEXT },
  { "pipelines", "full_graph", REDACT_JSON },
  { "pipelines", "metadata", REDACT_JSON },
  { "pipelines", "description", REDACT_TEXT },
  { "user_actions", "details", REDACT_JSON },
  { "error_logs", "message", REDACT_TEXT },
  { "error_logs", "payload", REDACT_JSON },
  { "users", "metadata", REDACT_JSON },
};

typedef struct {
  sqlite3_int64 rowid;
  char *text;
} RowText;

static void
row_text_clear (gpointer data)
{
  RowText *row = data;
  g_free (row->text);
}

/* rewrite in place every value holding a password in clear */
static gboolean
redact_column (sqlite3 *db, const char *table, const char *column, RedactKind kind,
               guint *n_changed, GError **error)
{
  g_autoptr(sqlite3_stmt) sel = NULL;
  g_autoptr(sqlite3_stmt) update = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (RowText));
  g_autofree char *select_sql = NULL;
  g_autofree char *update_sql = NULL;
  int rc;

  g_array_set_clear_func (rows, row_text_clear);

  /* a coarse SQL filter (LIKE is ASCII case-insensitive), the exact one in C */
  select_sql = g_strdup_printf ("SELECT rowid, \"%s\" FROM \"%s\" WHERE \"%s\" LIKE "
                                "'%%password%%' OR instr(\"%s\", '\\u') > 0 OR "
                                "instr(\"%s\", '%%') > 0",
                                column, table, column, column, column);
  if (!alger_sql_prepare (db, select_sql, &sel, error))
    return FALSE;
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW) {
    const char *text = (const char *) sqlite3_column_text (sel, 1);
    RowText row = { sqlite3_column_int64 (sel, 0), NULL };
    gboolean changed = FALSE;

    if (text == NULL || !alger_redact_text_may_need (text, ALGER_REDACT_PASSWORDS))
      continue;
    switch (kind) {
    case REDACT_JSON:
      row.text = alger_redact_json_text_full (text, ALGER_REDACT_PASSWORDS, &changed);
      break;
    case REDACT_QUERY:
      row.text = alger_redact_query (text);
      changed = strcmp (row.text, text) != 0;
      break;
    case REDACT_TEXT:
    default:
      row.text = alger_redact_text (text);
      changed = strcmp (row.text, text) != 0;
      break;
    }
    if (changed)
      g_array_append_val (rows, row);
    else
      g_free (row.text);
  }
  if (rc != SQLITE_DONE) {
    alger_sql_set_sqlite_error (error, db, "reading rows to redact");
    return FALSE;
  }
  if (rows->len == 0)
    return TRUE;

  update_sql = g_strdup_printf ("UPDATE \"%s\" SET \"%s\" = ?1 WHERE rowid = ?2", table, column);
  if (!alger_sql_prepare (db, update_sql, &update, error))
    return FALSE;
  for (guint i = 0; i < rows->len; i++) {
    RowText *row = &g_array_index (rows, RowText, i);

    alger_sql_bind_text (update, 1, row->text);
    sqlite3_bind_int64 (update, 2, row->rowid);
    if (!alger_sql_step_done (db, update, "redacting a stored password", error))
      return FALSE;
  }
  *n_changed += rows->len;
  return TRUE;
}

/* v0 -> v1: an empty file, or a database written by the original server
 * (same tables, no version): keep every row, add what we need, and redact
 * the passwords the original stored in clear */
static gboolean
migrate_v1 (sqlite3 *db, GError **error)
{
  gboolean exists = FALSE;
  guint n_redacted = 0;

  if (!alger_sql_exec_sql (db, schema_v0, error))
    return FALSE;
  if (!column_exists (db, "users", "password_hash", &exists, error))
    return FALSE;
  if (!exists && !alger_sql_exec_sql (db, "ALTER TABLE users ADD COLUMN password_hash TEXT", error))
    return FALSE;
  if (!alger_sql_exec_sql (db, indexes_v1, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (legacy_columns); i++) {
    if (!redact_column (db, legacy_columns[i].table, legacy_columns[i].column,
                        legacy_columns[i].kind, &n_redacted, error))
      return FALSE;
  }
  if (n_redacted > 0)
    g_message ("redacted %u stored values that held a password in clear", n_redacted);
  return TRUE;
}

/* v1 -> v2: the audit log is append-only and no longer indexed by
 * conversation or by user.  Those two indexes took one B-tree leaf per
 * active conversation (and user) in every commit: about 4 KB of WAL per
 * round trip under load, the largest part of the writer's work.  A
 * conversation's messages are found through the id range its row now keeps
 * (first_message_id: a lower bound set when it starts; last_message_id: an
 * upper bound set when it ends), which SQLite reads as a rowid range. */
static gboolean
migrate_v2 (sqlite3 *db, GError **error)
{
  gboolean exists = FALSE;

  if (!column_exists (db, "conversations", "first_message_id", &exists, error))
    return FALSE;
  if (!exists && !alger_sql_exec_sql (db,
                                      "ALTER TABLE conversations ADD COLUMN first_message_id INTEGER;"
                                      "ALTER TABLE conversations ADD COLUMN last_message_id INTEGER;",
                                      error))
    return FALSE;
  /* the rows already there, while the index still helps */
  return alger_sql_exec_sql (
      db,
      "UPDATE conversations SET first_message_id = (SELECT min(m.id) FROM conversation_messages m "
      "WHERE m.conversation_id = conversations.id);"
      "UPDATE conversations SET last_message_id = (SELECT max(m.id) FROM conversation_messages m "
      "WHERE m.conversation_id = conversations.id) WHERE ended_at IS NOT NULL;"
      "DROP INDEX IF EXISTS idx_conversation_messages_conversation_id;"
      "DROP INDEX IF EXISTS idx_user_actions_user_id;",
      error);
}

/* v2 -> v3: a run's graph in a table of its own.  The end-of-run update
 * (status, output file, summary, completion time) made SQLite rewrite the
 * whole executions record, so every run wrote its graph (13 KB for the
 * dashboard's sample, overflow pages and all) twice: ~100 µs of the
 * writer's time and ~6 of the run's ~25 WAL pages.  The original's
 * `executions` stays, as a view with the same columns in the same order;
 * INSTEAD OF triggers keep it writable for outside tools.  The foreign
 * keys of execution_events and error_logs follow the rename to
 * execution_runs (ALTER TABLE ... RENAME updates them). */
static const char split_graphs_v3[] =
    "ALTER TABLE executions RENAME TO execution_runs;\n"
    "CREATE TABLE execution_graphs (\n"
    "    execution_id TEXT PRIMARY KEY,\n"
    "    graph TEXT,\n"
    "    FOREIGN KEY (execution_id) REFERENCES execution_runs(id) ON DELETE CASCADE\n"
    ");\n"
    "INSERT INTO execution_graphs (execution_id, graph) "
    "SELECT id, graph FROM execution_runs WHERE graph IS NOT NULL;\n"
    "ALTER TABLE execution_runs DROP COLUMN graph;\n"
    "CREATE VIEW executions AS SELECT r.id AS id, r.pipeline_id AS pipeline_id, "
    "r.source AS source, g.graph AS graph, r.params AS params, r.status AS status, "
    "r.requested_by AS requested_by, r.output_file AS output_file, "
    "r.output_content AS output_content, r.started_at AS started_at, "
    "r.completed_at AS completed_at FROM execution_runs r "
    "LEFT JOIN execution_graphs g ON g.execution_id = r.id;\n"
    "CREATE TRIGGER executions_insert INSTEAD OF INSERT ON executions BEGIN\n"
    "  INSERT INTO execution_runs (id, pipeline_id, source, params, status, requested_by, "
    "output_file, output_content, started_at, completed_at) VALUES (NEW.id, "
    "NEW.pipeline_id, NEW.source, NEW.params, NEW.status, NEW.requested_by, "
    "NEW.output_file, NEW.output_content, COALESCE(NEW.started_at, CURRENT_TIMESTAMP), "
    "NEW.completed_at);\n"
    "  INSERT INTO execution_graphs (execution_id, graph) "
    "SELECT NEW.id, NEW.graph WHERE NEW.graph IS NOT NULL;\n"
    "END;\n"
    "CREATE TRIGGER executions_update INSTEAD OF UPDATE ON executions BEGIN\n"
    "  UPDATE execution_runs SET id = NEW.id, pipeline_id = NEW.pipeline_id, "
    "source = NEW.source, params = NEW.params, status = NEW.status, "
    "requested_by = NEW.requested_by, output_file = NEW.output_file, "
    "output_content = NEW.output_content, started_at = NEW.started_at, "
    "completed_at = NEW.completed_at WHERE id = OLD.id;\n"
    "  DELETE FROM execution_graphs WHERE execution_id = OLD.id "
    "AND (NEW.graph IS NULL OR NEW.id IS NOT OLD.id);\n"
    "  INSERT INTO execution_graphs (execution_id, graph) SELECT NEW.id, NEW.graph "
    "WHERE NEW.graph IS NOT NULL ON CONFLICT (execution_id) DO UPDATE SET graph = "
    "excluded.graph;\n"
    "END;\n"
    "CREATE TRIGGER executions_delete INSTEAD OF DELETE ON executions BEGIN\n"
    "  DELETE FROM execution_graphs WHERE execution_id = OLD.id;\n"
    "  DELETE FROM execution_runs WHERE id = OLD.id;\n"
    "END;\n";

static gboolean
migrate_v3 (sqlite3 *db, GError **error)
{
  return alger_sql_exec_sql (db, split_graphs_v3, error);
}

typedef gboolean (*MigrateFunc) (sqlite3 *db, GError **error);

/* one step and its version bump in one transaction: all or nothing */
static gboolean
migrate_step (sqlite3 *db, gint to, MigrateFunc func, GError **error)
{
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", to);

  if (!alger_sql_exec_sql (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!func (db, error) || !alger_sql_exec_sql (db, bump, error) || !alger_sql_exec_sql (db, "COMMIT", error)) {
    if (!sqlite3_get_autocommit (db))
      alger_sql_exec_sql (db, "ROLLBACK", NULL);
    g_prefix_error (error, "migrating the database to version %d: ", to);
    return FALSE;
  }
  g_debug ("database migrated to version %d", to);
  return TRUE;
}

gboolean
alger_store_schema_migrate (sqlite3 *db, GError **error)
{
  gint version = 0;

  if (!get_user_version (db, &version, error))
    return FALSE;
  if (version > ALGER_SQLITE_STORE_SCHEMA_VERSION || version < 0) {
    /* never touch a database a newer server wrote */
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE,
                 "database schema version %d is newer than this server's (%d)", version,
                 ALGER_SQLITE_STORE_SCHEMA_VERSION);
    return FALSE;
  }

  switch (version) {
  case 0:
    if (!migrate_step (db, 1, migrate_v1, error))
      return FALSE;
    G_GNUC_FALLTHROUGH;
  case 1:
    if (!migrate_step (db, 2, migrate_v2, error))
      return FALSE;
    G_GNUC_FALLTHROUGH;
  case 2:
    if (!migrate_step (db, 3, migrate_v3, error))
      return FALSE;
    G_GNUC_FALLTHROUGH;
  case ALGER_SQLITE_STORE_SCHEMA_VERSION:
  default:
    break;
  }
  return TRUE;
}

