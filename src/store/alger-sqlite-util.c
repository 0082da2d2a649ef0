/* alger-sqlite-util.c: small SQLite helpers shared by the store's files */
#define G_LOG_DOMAIN "alger-store"

#include "config.h"

#include "alger-sqlite-util.h"

#include <string.h>
#include <time.h>

#include "alger-error.h"


/* UTC "YYYY-MM-DD HH:MM:SS.mmm"; the seconds part is formatted once a second */
void
alger_sql_format_now (char out[24])
{
  static _Thread_local gint64 cached_sec = -1;
  static _Thread_local char prefix[20];
  gint64 now = g_get_real_time ();
  gint64 sec = now / G_USEC_PER_SEC;
  int ms = (int) ((now % G_USEC_PER_SEC) / 1000);

  if (sec != cached_sec) {
    time_t t = (time_t) sec;
    struct tm tm;

    gmtime_r (&t, &tm);
    strftime (prefix, sizeof prefix, "%Y-%m-%d %H:%M:%S", &tm);
    cached_sec = sec;
  }
  memcpy (out, prefix, 19);
  out[19] = '.';
  out[20] = (char) ('0' + ms / 100);
  out[21] = (char) ('0' + ms / 10 % 10);
  out[22] = (char) ('0' + ms % 10);
  out[23] = '\0';
}

void
alger_sql_set_sqlite_error (GError **error, sqlite3 *db, const char *what)
{
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "%s: %s (%d)", what,
               sqlite3_errmsg (db), sqlite3_extended_errcode (db));
}

gboolean
alger_sql_exec_sql (sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);

  if (rc != SQLITE_OK) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "%s: %s (%d)", sql,
                 msg != NULL ? msg : sqlite3_errstr (rc), rc);
    sqlite3_free (msg);
    return FALSE;
  }
  return TRUE;
}

gboolean
alger_sql_prepare (sqlite3 *db, const char *sql, sqlite3_stmt **stmt, GError **error)
{
  if (sqlite3_prepare_v2 (db, sql, -1, stmt, NULL) != SQLITE_OK) {
    alger_sql_set_sqlite_error (error, db, "preparing a statement");
    return FALSE;
  }
  return TRUE;
}

void
alger_sql_bind_text (sqlite3_stmt *stmt, int idx, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, idx);
}

/* negative = unknown = NULL */
void
alger_sql_bind_int_or_null (sqlite3_stmt *stmt, int idx, gint64 value)
{
  if (value >= 0)
    sqlite3_bind_int64 (stmt, idx, value);
  else
    sqlite3_bind_null (stmt, idx);
}

/* step to completion, reset; the error names `what` */
gboolean
alger_sql_step_done (sqlite3 *db, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    alger_sql_set_sqlite_error (error, db, what);
    sqlite3_reset (stmt);
    return FALSE;
  }
  sqlite3_reset (stmt);
  return TRUE;
}

sqlite3 *
alger_sql_open_db (const char *path, int flags, GError **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot open %s: %s", path,
                 db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
    sqlite3_close (db);
    return NULL;
  }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, ALGER_SQL_BUSY_TIMEOUT_MS);
  return db;
}

