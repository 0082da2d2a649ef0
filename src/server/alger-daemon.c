/* alger-daemon.c: the one server object
 *
 * Owns config, store, accounts, executions and the WebSocket server, and
 * holds the administrable state (maintenance, halt, concurrency) as
 * properties bound to AlgerExecutions, so the D-Bus admin can bind to them.
 */
#define G_LOG_DOMAIN "alger-daemon"

#include "config.h"

#include "alger-daemon.h"

#include <glib/gi18n.h>

#include "alger-accounts.h"
#include "alger-admin.h"
#include "alger-error.h"
#include "alger-handlers.h"
#include "alger-names.h"
#include "alger-sqlite-store.h"

/* how long shutdown waits for close handshakes and stopping runs */
#define SHUTDOWN_GRACE_USEC (3 * G_USEC_PER_SEC)

struct _AlgerDaemon {
  GObject parent_instance;

  AlgerConfig *config;
  AlgerStore *store;
  AlgerAccounts *accounts;
  AlgerExecutions *executions;
  AlgerHandlers *handlers;
  AlgerWsServer *ws_server;
  AlgerAdmin *admin; /* D-Bus administration, unless bus = none */


  guint shutdown_id;
  gint64 shutdown_deadline;
  gboolean stopping;
};

G_DEFINE_TYPE (AlgerDaemon, alger_daemon, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAINTENANCE_MODE,
  PROP_EXECUTIONS_HALTED,
  PROP_MAX_CONCURRENT_EXECUTIONS,
  PROP_ACTIVE_EXECUTIONS,
  PROP_ACTIVE_CONNECTIONS,
  PROP_VERSION,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_STOPPED,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

static gboolean
seed_catalog (AlgerDaemon *self, GError **error)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint imported = 0;

  if (self->config->pipelines_dir == NULL ||
      !g_file_test (self->config->pipelines_dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  dir = g_dir_open (self->config->pipelines_dir, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) local_error = NULL;
    g_autoptr(JsonNode) existing = NULL;
    g_autofree char *graph = NULL;
    g_autofree char *metadata = NULL;
    JsonObject *obj;
    const char *id;
    char *args[2] = { NULL, NULL };

    if (!g_str_has_suffix (name, ".json"))
      continue;
    path = g_build_filename (self->config->pipelines_dir, name, NULL);
    if (!json_parser_load_from_file (parser, path, &local_error) ||
        !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
      g_warning (_("Skipping catalog file %s: %s"), path,
                 local_error != NULL ? local_error->message : _("not a JSON object"));
      continue;
    }
    obj = json_node_get_object (json_parser_get_root (parser));
    id = json_object_get_string_member_with_default (obj, "id", NULL);
    if (id == NULL || !json_object_has_member (obj, "full_graph")) {
      g_warning (_("Skipping catalog file %s: it needs \"id\" and \"full_graph\""), path);
      continue;
    }
    args[0] = (char *) id;
    existing = alger_store_query_sync (self->store, "pipeline", args, &local_error);
    if (existing != NULL)
      continue;
    if (!g_error_matches (local_error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    graph = alger_json_to_string (json_object_get_member (obj, "full_graph"));
    metadata = json_object_has_member (obj, "metadata")
                 ? alger_json_to_string (json_object_get_member (obj, "metadata"))
                 : g_strdup ("{}");
    alger_store_save_pipeline (self->store, id,
                               json_object_get_string_member_with_default (obj, "name", id),
                               graph,
                               json_object_get_string_member_with_default (obj, "description",
                                                                           ""),
                               metadata, NULL, NULL);
    imported++;
  }
  if (imported > 0) {
    g_message (_("Imported %u pipeline(s) into the catalog from %s"), imported,
               self->config->pipelines_dir);
    return alger_store_flush (self->store, error);
  }
  return TRUE;
}

/* the gate state lives once, in AlgerExecutions (which applies it); the
 * daemon's properties of the same names delegate to it and re-announce its
 * changes, so the D-Bus admin binds to the daemon alone */
static void
on_executions_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  GParamSpec *own = g_object_class_find_property (G_OBJECT_GET_CLASS (user_data), pspec->name);

  if (own != NULL)
    g_object_notify_by_pspec (G_OBJECT (user_data), own);
}

gboolean
alger_daemon_start (AlgerDaemon *self, GError **error)
{
  g_autoptr(AlgerSqliteStore) store = NULL;
  AlgerPayloadPolicy policy = ALGER_PAYLOAD_FULL;
  gboolean default_password = FALSE;
  gint interrupted;

  g_return_val_if_fail (ALGER_IS_DAEMON (self), FALSE);

  if (!alger_payload_policy_from_string (self->config->payloads, &policy)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, _("Unknown payload policy %s"),
                 self->config->payloads);
    return FALSE;
  }
  store = alger_sqlite_store_new (self->config->database, policy, error);
  if (store == NULL)
    return FALSE;
  self->store = ALGER_STORE (g_steal_pointer (&store));

  interrupted = alger_store_interrupt_running_sync (self->store, error);
  if (interrupted < 0)
    return FALSE;
  if (interrupted > 0)
    g_warning (_("%d execution(s) left running by an earlier crash are now 'interrupted'"),
               interrupted);

  self->accounts = alger_accounts_new (self->store);
  if (!alger_accounts_ensure_admin (self->accounts, self->config->admin_user,
                                    self->config->admin_password, &default_password, error))
    return FALSE;
  if (default_password)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE_ID",
                      ALGER_MSGID_DEFAULT_PASSWORD, "MESSAGE",
                      _("The account '%s' still has its default password: change it with "
                        "'algerd --set-password %s'"),
                      self->config->admin_user, self->config->admin_user);
  if (!seed_catalog (self, error))
    return FALSE;

  if (g_mkdir_with_parents (self->config->outputs_dir, 0750) != 0) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, _("Cannot create %s: %s"),
                 self->config->outputs_dir, g_strerror (errno));
    return FALSE;
  }
  self->executions = alger_executions_new (self->config, self->store, error);
  if (self->executions == NULL)
    return FALSE;
  g_signal_connect_object (self->executions, "notify", G_CALLBACK (on_executions_notify), self,
                           0);

  self->handlers = alger_handlers_new (self->store, self->accounts, self->executions);
  self->ws_server = alger_ws_server_new (self->config, self->store, self->accounts,
                                         self->handlers);
  g_signal_connect_object (self->ws_server, "sessions-changed",
                           G_CALLBACK (alger_daemon_notify_connections), self,
                           G_CONNECT_SWAPPED);
  if (!alger_ws_server_listen (self->ws_server, error))
    return FALSE;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", ALGER_MSGID_STARTUP,
                    "MESSAGE", _("algerd %s listening on ws://%s:%u/ (database %s)"),
                    PACKAGE_VERSION, self->config->host, alger_daemon_get_port (self),
                    self->config->database);
  if (self->config->bus != ALGER_BUS_NONE)
    self->admin = alger_admin_new (self, self->config->bus);
  return TRUE;
}

static gboolean
shutdown_poll (gpointer user_data)
{
  AlgerDaemon *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean idle = alger_executions_is_idle (self->executions) &&
                  alger_ws_server_get_n_sessions (self->ws_server) == 0;

  if (!idle && g_get_monotonic_time () < self->shutdown_deadline)
    return G_SOURCE_CONTINUE;
  self->shutdown_id = 0;
  if (!alger_store_flush (self->store, &error))
    g_warning (_("Could not flush the audit store: %s"), error->message);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", ALGER_MSGID_SHUTDOWN,
                    "MESSAGE", "%s", _("algerd stopped"));
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
  return G_SOURCE_REMOVE;
}

void
alger_daemon_stop (AlgerDaemon *self)
{
  g_return_if_fail (ALGER_IS_DAEMON (self));

  if (self->stopping)
    return;
  self->stopping = TRUE;
  if (self->ws_server == NULL || self->executions == NULL) {
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
    return;
  }
  alger_ws_server_shutdown (self->ws_server, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                            "server shutting down");
  alger_executions_stop_all (self->executions, "shutdown");
  self->shutdown_deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_USEC;
  self->shutdown_id = g_timeout_add (20, shutdown_poll, self);
}

const AlgerConfig *
alger_daemon_get_config (AlgerDaemon *self)
{
  return self->config;
}

AlgerStore *
alger_daemon_get_store (AlgerDaemon *self)
{
  return self->store;
}

AlgerExecutions *
alger_daemon_get_executions (AlgerDaemon *self)
{
  return self->executions;
}

AlgerWsServer *
alger_daemon_get_ws_server (AlgerDaemon *self)
{
  return self->ws_server;
}

guint
alger_daemon_get_port (AlgerDaemon *self)
{
  return self->ws_server != NULL ? alger_ws_server_get_port (self->ws_server) : 0;
}

static void
alger_daemon_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AlgerDaemon *self = ALGER_DAEMON (object);

  switch (prop_id) {
  case PROP_MAINTENANCE_MODE:
  case PROP_EXECUTIONS_HALTED:
  case PROP_MAX_CONCURRENT_EXECUTIONS:
  case PROP_ACTIVE_EXECUTIONS:
    if (self->executions != NULL)
      g_object_get_property (G_OBJECT (self->executions), pspec->name, value);
    else
      g_param_value_set_default (pspec, value);
    break;
  case PROP_ACTIVE_CONNECTIONS:
    g_value_set_uint (value, self->ws_server != NULL
                               ? alger_ws_server_get_n_sessions (self->ws_server)
                               : 0);
    break;
  case PROP_VERSION:
    g_value_set_string (value, PACKAGE_VERSION);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
alger_daemon_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  AlgerDaemon *self = ALGER_DAEMON (object);

  switch (prop_id) {
  case PROP_MAINTENANCE_MODE:
  case PROP_EXECUTIONS_HALTED:
  case PROP_MAX_CONCURRENT_EXECUTIONS:
    /* before start there is nothing to gate; the config sets the limit */
    if (self->executions != NULL)
      g_object_set_property (G_OBJECT (self->executions), pspec->name, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

/* the daemon's connection count changes as sessions open and close */
void
alger_daemon_notify_connections (AlgerDaemon *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACTIVE_CONNECTIONS]);
}

static void
alger_daemon_dispose (GObject *object)
{
  AlgerDaemon *self = ALGER_DAEMON (object);

  g_clear_handle_id (&self->shutdown_id, g_source_remove);
  g_clear_object (&self->admin);
  g_clear_object (&self->ws_server);
  g_clear_object (&self->executions);
  g_clear_pointer (&self->handlers, alger_handlers_free);
  g_clear_object (&self->accounts);
  if (self->store != NULL) {
    alger_store_flush (self->store, NULL);
    /* run the commit callbacks still queued: they hold the last sessions */
    while (g_main_context_iteration (NULL, FALSE))
      ;
  }
  g_clear_object (&self->store);
  G_OBJECT_CLASS (alger_daemon_parent_class)->dispose (object);
}

static void
alger_daemon_finalize (GObject *object)
{
  AlgerDaemon *self = ALGER_DAEMON (object);

  g_clear_pointer (&self->config, alger_config_free);
  G_OBJECT_CLASS (alger_daemon_parent_class)->finalize (object);
}

static void
alger_daemon_class_init (AlgerDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = alger_daemon_get_property;
  object_class->set_property = alger_daemon_set_property;
  object_class->dispose = alger_daemon_dispose;
  object_class->finalize = alger_daemon_finalize;

  alger_executions_gate_pspecs (&props[PROP_MAINTENANCE_MODE], &props[PROP_EXECUTIONS_HALTED],
                                &props[PROP_MAX_CONCURRENT_EXECUTIONS],
                                &props[PROP_ACTIVE_EXECUTIONS]);
  props[PROP_ACTIVE_CONNECTIONS] =
    g_param_spec_uint ("active-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_VERSION] = g_param_spec_string ("version", NULL, NULL, PACKAGE_VERSION,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* shutdown finished: sessions closed, runs stopped, store flushed */
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                          0);
}

static void
alger_daemon_init (AlgerDaemon *self)
{
}

AlgerDaemon *
alger_daemon_new (AlgerConfig *config)
{
  AlgerDaemon *self = g_object_new (ALGER_TYPE_DAEMON, NULL);

  self->config = config;
  return self;
}
