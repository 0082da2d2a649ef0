/* alger-sqlite-util.h: small SQLite helpers shared by the store's files
 * (errors in the ALGER_ERROR domain, code ALGER_ERROR_STORAGE) */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* how long a connection waits for a lock before SQLITE_BUSY */
#define ALGER_SQL_BUSY_TIMEOUT_MS 5000

/* UTC "YYYY-MM-DD HH:MM:SS.mmm" */
void alger_sql_format_now (char out[24]);
void alger_sql_set_sqlite_error (GError **error, sqlite3 *db, const char *what);
gboolean alger_sql_exec_sql (sqlite3 *db, const char *sql, GError **error);
gboolean alger_sql_prepare (sqlite3 *db, const char *sql, sqlite3_stmt **stmt, GError **error);
/* NULL binds NULL */
void alger_sql_bind_text (sqlite3_stmt *stmt, int idx, const char *text);
/* negative binds NULL */
void alger_sql_bind_int_or_null (sqlite3_stmt *stmt, int idx, gint64 value);
/* step a statement that returns no row, then reset it */
gboolean alger_sql_step_done (sqlite3 *db, sqlite3_stmt *stmt, const char *what, GError **error);
sqlite3 *alger_sql_open_db (const char *path, int flags, GError **error);

G_END_DECLS
