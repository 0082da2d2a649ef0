/* alger-accounts.h: users, password hashes and credential checks */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "alger-store.h"

G_BEGIN_DECLS

#define ALGER_TYPE_ACCOUNTS (alger_accounts_get_type ())
G_DECLARE_FINAL_TYPE (AlgerAccounts, alger_accounts, ALGER, ACCOUNTS, GObject)

AlgerAccounts *alger_accounts_new (AlgerStore *store);

/* crypt(3) hash (yescrypt, falling back to sha512-crypt) of a new password */
char *alger_accounts_hash_password (const char *password, GError **error);
/* constant-time check of password against a crypt(3) hash */
gboolean alger_accounts_check_hash (const char *password, const char *hash);

/* start-up (blocking): create the configured admin account when missing;
 * *default_in_use is set when its password is still `default_password` */
gboolean alger_accounts_ensure_admin (AlgerAccounts *self, const char *username,
                                      const char *default_password,
                                      gboolean *default_in_use, GError **error);
/* --set-password (blocking): set or create */
gboolean alger_accounts_set_password (AlgerAccounts *self, const char *username,
                                      const char *password, GError **error);

/* verify credentials off the main loop; the result is the user's row
 * (users columns, without password_hash), or ALGER_ERROR_AUTH.  A
 * credential verified once is remembered as a keyed digest for a while, so
 * reconnects skip the deliberately slow hash. */
void alger_accounts_verify_async (AlgerAccounts *self, const char *username,
                                  const char *password, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
JsonObject *alger_accounts_verify_finish (AlgerAccounts *self, GAsyncResult *result,
                                          GError **error);

/* fast path only: the cached row when this credential was verified recently, else NULL */
JsonObject *alger_accounts_verify_cached (AlgerAccounts *self, const char *username,
                                          const char *password);

G_END_DECLS
