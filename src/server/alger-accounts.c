/* alger-accounts.c: users, password hashes and credential checks
 *
 * Passwords are stored only as crypt(3) strings.  Checking one is slow on
 * purpose, so a verified credential is remembered as HMAC-SHA256 under a
 * per-process random key; later handshakes compare digests in constant time
 * and never touch the hash or the disk.  Entries expire, so a password
 * changed with `algerd --set-password` takes effect within CACHE_TTL.
 */
#define G_LOG_DOMAIN "alger-accounts"

#include "config.h"

#include "alger-accounts.h"

#include <crypt.h>
#include <string.h>

#include "alger-error.h"

#define CACHE_TTL_USEC (60 * G_USEC_PER_SEC)
#define DIGEST_LEN 32

typedef struct {
  guint8 digest[DIGEST_LEN];
  gint64 verified_at;
  JsonObject *user;
} CacheEntry;

struct _AlgerAccounts {
  GObject parent_instance;
  AlgerStore *store;
  guint8 key[32];
  char *dummy_hash; /* unknown users are checked against it: same cost as a real one */
  GHashTable *cache; /* username -> CacheEntry */
};

G_DEFINE_TYPE (AlgerAccounts, alger_accounts, G_TYPE_OBJECT)

static void
cache_entry_free (gpointer data)
{
  CacheEntry *entry = data;

  g_clear_pointer (&entry->user, json_object_unref);
  g_free (entry);
}

static gboolean
const_time_equal (const guint8 *a, const guint8 *b, gsize len)
{
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

static void
credential_digest (AlgerAccounts *self, const char *username, const char *password,
                   guint8 out[DIGEST_LEN])
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->key, sizeof self->key);
  gsize len = DIGEST_LEN;

  g_hmac_update (hmac, (const guchar *) username, strlen (username) + 1);
  g_hmac_update (hmac, (const guchar *) password, strlen (password));
  g_hmac_get_digest (hmac, out, &len);
}

char *
alger_accounts_hash_password (const char *password, GError **error)
{
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data data;

  memset (&data, 0, sizeof data);
  if (crypt_gensalt_rn ("$y$", 0, NULL, 0, salt, sizeof salt) == NULL &&
      crypt_gensalt_rn ("$6$", 0, NULL, 0, salt, sizeof salt) == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "no supported password hashing method");
    return NULL;
  }
  if (crypt_r (password, salt, &data) == NULL || data.output[0] == '*') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED, "password hashing failed");
    return NULL;
  }
  return g_strdup (data.output);
}

gboolean
alger_accounts_check_hash (const char *password, const char *hash)
{
  struct crypt_data data;
  gsize want_len, got_len;

  if (hash == NULL || hash[0] != '$')
    return FALSE;
  memset (&data, 0, sizeof data);
  if (crypt_r (password != NULL ? password : "", hash, &data) == NULL)
    return FALSE;
  if (data.output[0] == '*')
    return FALSE;
  want_len = strlen (hash);
  got_len = strlen (data.output);
  if (want_len != got_len)
    return FALSE;
  return const_time_equal ((const guint8 *) data.output, (const guint8 *) hash, want_len);
}

static JsonObject *
public_user_row (JsonNode *row)
{
  JsonObject *obj = json_node_get_object (row);
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &member)) {
    if (g_strcmp0 (name, "password_hash") == 0)
      continue;
    json_object_set_member (copy, name, json_node_copy (member));
  }
  return copy;
}

static const char *
row_hash (JsonNode *row)
{
  JsonObject *obj = json_node_get_object (row);
  JsonNode *node = json_object_get_member (obj, "password_hash");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_node_get_string (node);
}

gboolean
alger_accounts_ensure_admin (AlgerAccounts *self, const char *username,
                             const char *default_password, gboolean *default_in_use,
                             GError **error)
{
  g_autofree char *hash = NULL;
  g_autoptr(JsonNode) row = NULL;
  g_auto(GStrv) args = NULL;
  gboolean created = FALSE;
  const char *stored;

  g_return_val_if_fail (ALGER_IS_ACCOUNTS (self), FALSE);

  hash = alger_accounts_hash_password (default_password, error);
  if (hash == NULL)
    return FALSE;
  if (!alger_store_ensure_user_sync (self->store, username, "Administrator",
                                     "[\"admin\",\"operator\"]", hash, FALSE, &created, error))
    return FALSE;
  args = g_strsplit (username, "\n", 1);
  row = alger_store_query_sync (self->store, "user-by-name", args, error);
  if (row == NULL)
    return FALSE;
  stored = row_hash (row);
  /* a database from the original server has users without hashes */
  if (stored == NULL) {
    if (!alger_store_ensure_user_sync (self->store, username, NULL, NULL, hash, TRUE, &created,
                                       error))
      return FALSE;
    stored = hash;
  }
  if (default_in_use != NULL)
    *default_in_use = alger_accounts_check_hash (default_password, stored);
  return TRUE;
}

gboolean
alger_accounts_set_password (AlgerAccounts *self, const char *username, const char *password,
                             GError **error)
{
  g_autofree char *hash = NULL;
  gboolean created = FALSE;

  g_return_val_if_fail (ALGER_IS_ACCOUNTS (self), FALSE);

  if (password == NULL || password[0] == '\0') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "empty password");
    return FALSE;
  }
  hash = alger_accounts_hash_password (password, error);
  if (hash == NULL)
    return FALSE;
  if (!alger_store_ensure_user_sync (self->store, username, username, "[]", hash, TRUE,
                                     &created, error))
    return FALSE;
  g_hash_table_remove (self->cache, username);
  return TRUE;
}

JsonObject *
alger_accounts_verify_cached (AlgerAccounts *self, const char *username, const char *password)
{
  CacheEntry *entry;
  guint8 digest[DIGEST_LEN];

  g_return_val_if_fail (ALGER_IS_ACCOUNTS (self), NULL);

  if (username == NULL || password == NULL)
    return NULL;
  entry = g_hash_table_lookup (self->cache, username);
  if (entry == NULL || g_get_monotonic_time () - entry->verified_at > CACHE_TTL_USEC)
    return NULL;
  credential_digest (self, username, password, digest);
  if (!const_time_equal (digest, entry->digest, DIGEST_LEN))
    return NULL;
  return json_object_ref (entry->user);
}

typedef struct {
  char *username;
  char *password;
  JsonNode *row;
} VerifyData;

static void
verify_data_free (gpointer data)
{
  VerifyData *vd = data;

  g_free (vd->username);
  if (vd->password != NULL)
    memset (vd->password, 0, strlen (vd->password));
  g_free (vd->password);
  g_clear_pointer (&vd->row, json_node_unref);
  g_free (vd);
}

static void
verify_hash_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AlgerAccounts *self = ALGER_ACCOUNTS (source);
  VerifyData *vd = task_data;
  const char *hash = vd->row != NULL ? row_hash (vd->row) : NULL;
  gboolean ok;

  if (hash == NULL) {
    if (self->dummy_hash != NULL)
      alger_accounts_check_hash (vd->password, self->dummy_hash);
    g_task_return_boolean (task, FALSE);
    return;
  }
  ok = alger_accounts_check_hash (vd->password, hash);
  g_task_return_boolean (task, ok);
}

static void
verify_hash_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AlgerAccounts *self = g_task_get_source_object (task);
  VerifyData *vd = g_task_get_task_data (task);
  CacheEntry *entry;

  if (!g_task_propagate_boolean (G_TASK (result), NULL) || vd->row == NULL) {
    g_task_return_new_error (task, ALGER_ERROR, ALGER_ERROR_AUTH,
                             "unknown credentials or password mismatch");
    return;
  }
  entry = g_new0 (CacheEntry, 1);
  credential_digest (self, vd->username, vd->password, entry->digest);
  entry->verified_at = g_get_monotonic_time ();
  entry->user = public_user_row (vd->row);
  g_hash_table_replace (self->cache, g_strdup (vd->username), entry);
  g_task_return_pointer (task, json_object_ref (entry->user),
                         (GDestroyNotify) json_object_unref);
}

static void
verify_lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VerifyData *vd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) hash_task = NULL;

  vd->row = alger_store_query_finish (ALGER_STORE (source), result, &error);
  if (vd->row == NULL && !g_error_matches (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  /* unknown users still pay for one hash, so timing does not tell who exists */
  hash_task = g_task_new (g_task_get_source_object (task), g_task_get_cancellable (task),
                          verify_hash_done, g_object_ref (task));
  g_task_set_task_data (hash_task, vd, NULL);
  g_task_run_in_thread (hash_task, verify_hash_thread);
}

void
alger_accounts_verify_async (AlgerAccounts *self, const char *username, const char *password,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  JsonObject *cached;
  VerifyData *vd;
  g_autofree char **args = NULL;

  g_return_if_fail (ALGER_IS_ACCOUNTS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, alger_accounts_verify_async);
  if (username == NULL || username[0] == '\0' || password == NULL) {
    g_task_return_new_error (task, ALGER_ERROR, ALGER_ERROR_AUTH, "missing credentials");
    return;
  }
  cached = alger_accounts_verify_cached (self, username, password);
  if (cached != NULL) {
    g_task_return_pointer (task, cached, (GDestroyNotify) json_object_unref);
    return;
  }
  vd = g_new0 (VerifyData, 1);
  vd->username = g_strdup (username);
  vd->password = g_strdup (password);
  g_task_set_task_data (task, vd, verify_data_free);
  args = g_new0 (char *, 2);
  args[0] = vd->username;
  alger_store_query (self->store, "user-by-name", args, cancellable, verify_lookup_done,
                     g_steal_pointer (&task));
}

JsonObject *
alger_accounts_verify_finish (AlgerAccounts *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
alger_accounts_finalize (GObject *object)
{
  AlgerAccounts *self = ALGER_ACCOUNTS (object);

  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->dummy_hash, g_free);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (alger_accounts_parent_class)->finalize (object);
}

static void
alger_accounts_class_init (AlgerAccountsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = alger_accounts_finalize;
}

static void
alger_accounts_init (AlgerAccounts *self)
{
  for (gsize i = 0; i < sizeof self->key; i += 4) {
    guint32 r = g_random_int ();
    memcpy (self->key + i, &r, 4);
  }
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
}

AlgerAccounts *
alger_accounts_new (AlgerStore *store)
{
  AlgerAccounts *self = g_object_new (ALGER_TYPE_ACCOUNTS, NULL);

  self->store = g_object_ref (store);
  self->dummy_hash = alger_accounts_hash_password ("alger-dummy-password", NULL);
  return self;
}
