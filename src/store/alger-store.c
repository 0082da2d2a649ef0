/* alger-store.c: the AlgerStore interface and its dispatching wrappers */
#define G_LOG_DOMAIN "alger-store"

#include "alger-store.h"

G_DEFINE_INTERFACE (AlgerStore, alger_store, G_TYPE_OBJECT)

static void
alger_store_default_init (AlgerStoreInterface *iface)
{
}

void
alger_store_open_connection (AlgerStore *self, const AlgerConnectionRecord *rec,
                             AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->open_connection != NULL);
  ALGER_STORE_GET_IFACE (self)->open_connection (self, rec, done, user_data);
}

void
alger_store_close_connection (AlgerStore *self, const char *connection_id,
                              const char *conversation_id, const char *status,
                              AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->close_connection != NULL);
  ALGER_STORE_GET_IFACE (self)->close_connection (self, connection_id, conversation_id, status,
                                                  done, user_data);
}

void
alger_store_record_frame (AlgerStore *self, const AlgerFrameRecord *rec, AlgerStoreDoneFunc done,
                          gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->record_frame != NULL);
  ALGER_STORE_GET_IFACE (self)->record_frame (self, rec, done, user_data);
}

void
alger_store_record_user_action (AlgerStore *self, const char *user_id, const char *action,
                                const char *details_json, AlgerStoreDoneFunc done,
                                gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->record_user_action != NULL);
  ALGER_STORE_GET_IFACE (self)->record_user_action (self, user_id, action, details_json, done,
                                                    user_data);
}

void
alger_store_record_error (AlgerStore *self, const AlgerErrorRecord *rec, AlgerStoreDoneFunc done,
                          gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->record_error != NULL);
  ALGER_STORE_GET_IFACE (self)->record_error (self, rec, done, user_data);
}

void
alger_store_touch_last_login (AlgerStore *self, const char *user_id, AlgerStoreDoneFunc done,
                              gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->touch_last_login != NULL);
  ALGER_STORE_GET_IFACE (self)->touch_last_login (self, user_id, done, user_data);
}

void
alger_store_create_execution (AlgerStore *self, const AlgerExecutionRecord *rec,
                              AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->create_execution != NULL);
  ALGER_STORE_GET_IFACE (self)->create_execution (self, rec, done, user_data);
}

void
alger_store_update_execution (AlgerStore *self, const char *execution_id, const char *status,
                              const char *output_file, const char *output_content,
                              gboolean completed, AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->update_execution != NULL);
  ALGER_STORE_GET_IFACE (self)->update_execution (self, execution_id, status, output_file,
                                                  output_content, completed, done, user_data);
}

void
alger_store_add_execution_event (AlgerStore *self, const char *execution_id, const char *event_type,
                                 const char *description, const char *payload_json,
                                 AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->add_execution_event != NULL);
  ALGER_STORE_GET_IFACE (self)->add_execution_event (self, execution_id, event_type, description,
                                                     payload_json, done, user_data);
}

void
alger_store_save_pipeline (AlgerStore *self, const char *id, const char *name,
                           const char *full_graph_json, const char *description,
                           const char *metadata_json, AlgerStoreDoneFunc done, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->save_pipeline != NULL);
  ALGER_STORE_GET_IFACE (self)->save_pipeline (self, id, name, full_graph_json, description,
                                               metadata_json, done, user_data);
}

void
alger_store_remove_pipeline (AlgerStore *self, const char *id, AlgerStoreDoneFunc done,
                             gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->remove_pipeline != NULL);
  ALGER_STORE_GET_IFACE (self)->remove_pipeline (self, id, done, user_data);
}

void
alger_store_query (AlgerStore *self, const char *query_name, GStrv args, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_STORE (self));
  g_return_if_fail (ALGER_STORE_GET_IFACE (self)->query != NULL);
  ALGER_STORE_GET_IFACE (self)->query (self, query_name, args, cancellable, callback, user_data);
}

JsonNode *
alger_store_query_finish (AlgerStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (ALGER_IS_STORE (self), NULL);
  g_return_val_if_fail (ALGER_STORE_GET_IFACE (self)->query_finish != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return ALGER_STORE_GET_IFACE (self)->query_finish (self, result, error);
}

gboolean
alger_store_flush (AlgerStore *self, GError **error)
{
  g_return_val_if_fail (ALGER_IS_STORE (self), FALSE);
  g_return_val_if_fail (ALGER_STORE_GET_IFACE (self)->flush != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return ALGER_STORE_GET_IFACE (self)->flush (self, error);
}

JsonNode *
alger_store_query_sync (AlgerStore *self, const char *query_name, GStrv args, GError **error)
{
  g_return_val_if_fail (ALGER_IS_STORE (self), NULL);
  g_return_val_if_fail (ALGER_STORE_GET_IFACE (self)->query_sync != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return ALGER_STORE_GET_IFACE (self)->query_sync (self, query_name, args, error);
}

gboolean
alger_store_ensure_user_sync (AlgerStore *self, const char *username, const char *display_name,
                              const char *roles_json, const char *password_hash,
                              gboolean reset_password, gboolean *created, GError **error)
{
  g_return_val_if_fail (ALGER_IS_STORE (self), FALSE);
  g_return_val_if_fail (ALGER_STORE_GET_IFACE (self)->ensure_user_sync != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return ALGER_STORE_GET_IFACE (self)->ensure_user_sync (
      self, username, display_name, roles_json, password_hash, reset_password, created, error);
}

gint
alger_store_interrupt_running_sync (AlgerStore *self, GError **error)
{
  g_return_val_if_fail (ALGER_IS_STORE (self), -1);
  g_return_val_if_fail (ALGER_STORE_GET_IFACE (self)->interrupt_running_sync != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  return ALGER_STORE_GET_IFACE (self)->interrupt_running_sync (self, error);
}
