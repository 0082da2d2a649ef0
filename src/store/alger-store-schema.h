/* alger-store-schema.h: the audit store's schema and its migrations */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* bring the database to ALGER_SQLITE_STORE_SCHEMA_VERSION (refusing a newer one) */
gboolean alger_store_schema_migrate (sqlite3 *db, GError **error);

G_END_DECLS
