/* alger-store.h: the one narrow interface between the server and its audit store
 *
 * Handlers never speak SQL: they call these methods.  AlgerSqliteStore
 * implements it now; another engine (PostgreSQL) can implement it later
 * without touching protocol code.
 *
 * Threading contract (every implementation):
 *  - all methods are called from the thread that owns the main context the
 *    store was created in (the daemon's main loop);
 *  - writes are queued to one writer and committed in FIFO order, grouped
 *    into transactions (group commit); each write's `done` callback (nullable)
 *    runs on that main context after its transaction committed (ok = TRUE) or
 *    failed (ok = FALSE, error set), in submission order, several per dispatch;
 *  - reads run off the main loop and complete through GAsyncReadyCallback;
 *    a read submitted after a write's `done` ran sees that write;
 *  - alger_store_flush() blocks until everything queued is committed: only
 *    for shutdown and tests, never in a handler.
 *
 * JSON arguments are serialized JSON text (already redacted by the caller
 * where needed; the store redacts `password` members again in every JSON it
 * writes as a safety net).  Timestamps are written by the store in UTC,
 * "YYYY-MM-DD HH:MM:SS.mmm".  Row results are JsonObjects whose members are
 * named after the columns; JSON columns are returned parsed.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ALGER_TYPE_STORE (alger_store_get_type ())
G_DECLARE_INTERFACE (AlgerStore, alger_store, ALGER, STORE, GObject)

typedef void (*AlgerStoreDoneFunc) (gboolean ok, const GError *error, gpointer user_data);

typedef enum {
  ALGER_PAYLOAD_FULL,     /* keep payloads (redacted) */
  ALGER_PAYLOAD_REDACTED, /* keep payloads, redact every string value of credentials-like keys */
  ALGER_PAYLOAD_METADATA, /* no payload bodies, only ids/types/sizes */
} AlgerPayloadPolicy;

typedef enum {
  ALGER_DIRECTION_INCOMING,
  ALGER_DIRECTION_OUTGOING,
} AlgerDirection;

typedef struct {
  const char *id;              /* uuid */
  const char *user_id;         /* nullable (refused connections) */
  const char *client_ip;
  guint client_port;
  const char *user_agent;      /* nullable */
  const char *origin;          /* nullable */
  const char *path;            /* request path + query, password redacted by the caller */
  const char *status;          /* "open", or "refused" for refused handshakes */
  const char *conversation_id; /* nullable: create the conversation row too */
} AlgerConnectionRecord;

typedef struct {
  const char *conversation_id;
  AlgerDirection direction;
  gint64 message_id;
  gint64 request_id;
  gint64 type_code;   /* -1 = unknown (unparseable frame): NULL in the row */
  gint64 status_code; /* -1 = NULL; outgoing frames carry their type here */
  const char *payload; /* JSON text of the whole frame (content parsed) or the raw text */
  const char *error;   /* nullable */
  /* instead of payload: the frame's content (JSON text); the store writes
   * {"id":message_id,"requestId":request_id,"type":type_code,"content":…}
   * itself, off the caller's thread */
  const char *content;
} AlgerFrameRecord;

typedef struct {
  const char *conversation_id; /* nullable */
  const char *execution_id;    /* nullable */
  gint64 message_id;           /* -1 = NULL */
  gint64 type_code;            /* -1 = NULL */
  const char *severity;        /* protocol, auth, pipeline, storage, internal */
  const char *message;
  const char *payload;         /* nullable JSON */
} AlgerErrorRecord;

typedef struct {
  const char *id;
  const char *pipeline_id; /* nullable */
  const char *source;      /* "db" or "payload" */
  const char *graph;       /* JSON text, redacted */
  const char *params;      /* JSON text */
  const char *status;      /* "running" */
  const char *requested_by;
} AlgerExecutionRecord;

struct _AlgerStoreInterface {
  GTypeInterface parent_iface;

  /* writes */
  /* the connection and its conversation; recording the same id again sets
   * their user and the connection's status (a connection is recorded while
   * its credentials are checked, then accepted or refused) */
  void (*open_connection) (AlgerStore *self, const AlgerConnectionRecord *rec,
                           AlgerStoreDoneFunc done, gpointer user_data);
  void (*close_connection) (AlgerStore *self, const char *connection_id,
                            const char *conversation_id, const char *status,
                            AlgerStoreDoneFunc done, gpointer user_data);
  void (*record_frame) (AlgerStore *self, const AlgerFrameRecord *rec,
                        AlgerStoreDoneFunc done, gpointer user_data);
  void (*record_user_action) (AlgerStore *self, const char *user_id, const char *action,
                              const char *details_json, AlgerStoreDoneFunc done,
                              gpointer user_data);
  void (*record_error) (AlgerStore *self, const AlgerErrorRecord *rec,
                        AlgerStoreDoneFunc done, gpointer user_data);
  void (*touch_last_login) (AlgerStore *self, const char *user_id,
                            AlgerStoreDoneFunc done, gpointer user_data);
  void (*create_execution) (AlgerStore *self, const AlgerExecutionRecord *rec,
                            AlgerStoreDoneFunc done, gpointer user_data);
  /* status != NULL: set it; completed: set completed_at; output_* nullable = unchanged */
  void (*update_execution) (AlgerStore *self, const char *execution_id, const char *status,
                            const char *output_file, const char *output_content,
                            gboolean completed, AlgerStoreDoneFunc done, gpointer user_data);
  void (*add_execution_event) (AlgerStore *self, const char *execution_id,
                               const char *event_type, const char *description,
                               const char *payload_json, AlgerStoreDoneFunc done,
                               gpointer user_data);
  void (*save_pipeline) (AlgerStore *self, const char *id, const char *name,
                         const char *full_graph_json, const char *description,
                         const char *metadata_json, AlgerStoreDoneFunc done,
                         gpointer user_data);
  void (*remove_pipeline) (AlgerStore *self, const char *id, AlgerStoreDoneFunc done,
                           gpointer user_data);

  /* reads: result is a JsonNode (object or array), transfer full */
  void (*query) (AlgerStore *self, const char *query_name, GStrv args,
                 GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data);
  JsonNode *(*query_finish) (AlgerStore *self, GAsyncResult *result, GError **error);

  gboolean (*flush) (AlgerStore *self, GError **error);

  /* synchronous: for start-up, the command line and tests only (they block) */
  JsonNode *(*query_sync) (AlgerStore *self, const char *query_name, GStrv args,
                           GError **error);
  /* create the user if missing (created = TRUE); set the hash when created or
   * when reset_password; roles_json used only on creation */
  gboolean (*ensure_user_sync) (AlgerStore *self, const char *username,
                                const char *display_name, const char *roles_json,
                                const char *password_hash, gboolean reset_password,
                                gboolean *created, GError **error);
  /* executions left "running" by a crash become "interrupted", with an event,
   * and connections left "open" become "interrupted" (disconnected_at and
   * the conversation's ended_at set to now); returns how many executions */
  gint (*interrupt_running_sync) (AlgerStore *self, GError **error);
};

/* wrappers, one per vfunc */
void alger_store_open_connection (AlgerStore *self, const AlgerConnectionRecord *rec,
                                  AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_close_connection (AlgerStore *self, const char *connection_id,
                                   const char *conversation_id, const char *status,
                                   AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_record_frame (AlgerStore *self, const AlgerFrameRecord *rec,
                               AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_record_user_action (AlgerStore *self, const char *user_id, const char *action,
                                     const char *details_json, AlgerStoreDoneFunc done,
                                     gpointer user_data);
void alger_store_record_error (AlgerStore *self, const AlgerErrorRecord *rec,
                               AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_touch_last_login (AlgerStore *self, const char *user_id,
                                   AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_create_execution (AlgerStore *self, const AlgerExecutionRecord *rec,
                                   AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_update_execution (AlgerStore *self, const char *execution_id,
                                   const char *status, const char *output_file,
                                   const char *output_content, gboolean completed,
                                   AlgerStoreDoneFunc done, gpointer user_data);
void alger_store_add_execution_event (AlgerStore *self, const char *execution_id,
                                      const char *event_type, const char *description,
                                      const char *payload_json, AlgerStoreDoneFunc done,
                                      gpointer user_data);
void alger_store_save_pipeline (AlgerStore *self, const char *id, const char *name,
                                const char *full_graph_json, const char *description,
                                const char *metadata_json, AlgerStoreDoneFunc done,
                                gpointer user_data);
void alger_store_remove_pipeline (AlgerStore *self, const char *id, AlgerStoreDoneFunc done,
                                  gpointer user_data);

/* named queries (args in order):
 *   "user-by-name"      (username)     -> object (users row + password_hash) or error NOT_FOUND
 *   "pipelines"         ()             -> array of pipelines rows ordered by id
 *   "pipeline"          (id)           -> object or NOT_FOUND
 *   "execution"         (id)           -> object or NOT_FOUND
 *   "executions"        (limit)        -> array, newest first
 *   "execution-events"  (id)           -> array, oldest first
 */
void alger_store_query (AlgerStore *self, const char *query_name, GStrv args,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
JsonNode *alger_store_query_finish (AlgerStore *self, GAsyncResult *result, GError **error);

gboolean alger_store_flush (AlgerStore *self, GError **error);
JsonNode *alger_store_query_sync (AlgerStore *self, const char *query_name, GStrv args,
                                  GError **error);
gboolean alger_store_ensure_user_sync (AlgerStore *self, const char *username,
                                       const char *display_name, const char *roles_json,
                                       const char *password_hash, gboolean reset_password,
                                       gboolean *created, GError **error);
gint alger_store_interrupt_running_sync (AlgerStore *self, GError **error);

G_END_DECLS
