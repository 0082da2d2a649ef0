/* alger-admin.c: the D-Bus administration interface org.alger.Server1
 *
 * The generated skeleton's properties are bound to the daemon's, so a write
 * over D-Bus reaches the gates of AlgerExecutions at once and every change of
 * the daemon (a run starting, a session closing) comes back out as
 * PropertiesChanged.  Methods act on the daemon's objects on the main loop;
 * reads of the store are asynchronous.  Every change is audited with the
 * caller's unix uid, which is looked up asynchronously after the change.
 */
#define G_LOG_DOMAIN "alger-admin"

#include "config.h"

#include "alger-admin.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "alger-dbus-generated.h"
#include "alger-error.h"
#include "alger-frame.h"
#include "alger-names.h"

#define DISCONNECT_REASON "disconnected by an administrator"

/* ---------------- audit ---------------- */

typedef struct {
  AlgerStore *store;
  char *bus;
  char *sender;
  char *action;
  JsonObject *details;
} Audit;

static void
audit_free (Audit *audit)
{
  g_clear_object (&audit->store);
  g_free (audit->bus);
  g_free (audit->sender);
  g_free (audit->action);
  g_clear_pointer (&audit->details, json_object_unref);
  g_free (audit);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Audit, audit_free)

static void
audit_finish (Audit *audit, gint64 uid)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *details = NULL;
  g_autofree char *uid_text = uid >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, uid)
                                       : g_strdup ("unknown");

  json_object_set_string_member (audit->details, "via", "dbus");
  json_object_set_string_member (audit->details, "bus", audit->bus);
  if (audit->sender != NULL)
    json_object_set_string_member (audit->details, "sender", audit->sender);
  else
    json_object_set_null_member (audit->details, "sender");
  if (uid >= 0)
    json_object_set_int_member (audit->details, "uid", uid);
  else
    json_object_set_null_member (audit->details, "uid");
  json_node_set_object (node, audit->details);
  details = alger_json_to_string (node);
  alger_store_record_user_action (audit->store, NULL, audit->action, details, NULL, NULL);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE_ID", ALGER_MSGID_ADMIN_ACTION,
                    "ALGER_ACTION", audit->action, "ALGER_CALLER_UID", uid_text,
                    "ALGER_DETAILS", details, "MESSAGE", "D-Bus admin %s by uid %s (%s): %s",
                    audit->action, uid_text, audit->sender != NULL ? audit->sender : "?",
                    details);
}

static void
on_caller_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Audit) audit = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 uid = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL) {
    g_debug ("GetConnectionUnixUser (%s): %s", audit->sender, error->message);
    audit_finish (audit, -1);
    return;
  }
  g_variant_get (reply, "(u)", &uid);
  audit_finish (audit, uid);
}

/* record @action of the caller of @connection/@sender once its uid is known;
 * takes @details (the action's own members) */
static void
audit_record (AlgerStore *store, AlgerBusType bus, GDBusConnection *connection,
              const char *sender, const char *action, JsonObject *details)
{
  g_autoptr(Audit) audit = g_new0 (Audit, 1);

  audit->store = g_object_ref (store);
  audit->bus = g_strdup (alger_bus_type_to_string (bus));
  audit->sender = g_strdup (sender);
  audit->action = g_strdup (action);
  audit->details = details;
  if (connection == NULL || sender == NULL) {
    audit_finish (audit, -1);
    return;
  }
  /* the bus answers even after we stop: no cancellable, the audit owns its refs */
  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_caller_uid,
                          g_steal_pointer (&audit));
}

/* ---------------- the skeleton: validated property writes ---------------- */

/* The generated skeleton applies org.freedesktop.DBus.Properties.Set straight
 * to its GObject property, and g-authorize-method only sees method calls:
 * GDBusInterfaceSkeleton registers the vtable its class returns from
 * get_vtable() and hooks only its method_call.  So this subclass returns a
 * copy of the generated vtable whose set_property checks the value first
 * (answering org.freedesktop.DBus.Error.InvalidArgs), then chains up and
 * audits the write. */

#define ALGER_TYPE_ADMIN_SKELETON (alger_admin_skeleton_get_type ())
G_DECLARE_FINAL_TYPE (AlgerAdminSkeleton, alger_admin_skeleton, ALGER, ADMIN_SKELETON,
                      AlgerDBusServer1Skeleton)

struct _AlgerAdminSkeleton {
  AlgerDBusServer1Skeleton parent_instance;
  AlgerAdmin *admin; /* unowned: the admin owns the skeleton */
};

G_DEFINE_TYPE (AlgerAdminSkeleton, alger_admin_skeleton, ALGER_DBUS_TYPE_SERVER1_SKELETON)

struct _AlgerAdmin {
  GObject parent_instance;

  AlgerDaemon *daemon; /* unowned: the daemon owns the admin */
  AlgerBusType bus;
  AlgerAdminSkeleton *skeleton;
  GPtrArray *bindings;
  GDBusConnection *connection;
  GCancellable *cancellable;
  guint owner_id;
  gulong closed_id;
  gboolean exported;
};

G_DEFINE_TYPE (AlgerAdmin, alger_admin, G_TYPE_OBJECT)

static GDBusInterfaceSetPropertyFunc generated_set_property;

/* "MaxConcurrentExecutions" -> "max_concurrent_executions" */
static char *
snake_case (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p++) {
    if (g_ascii_isupper (*p) && p != name)
      g_string_append_c (out, '_');
    g_string_append_c (out, g_ascii_tolower (*p));
  }
  return g_string_free (out, FALSE);
}

static gboolean
validate_property (const char *property_name, GVariant *value, GError **error)
{
  if (g_strcmp0 (property_name, "MaxConcurrentExecutions") == 0 &&
      g_variant_get_uint32 (value) == 0) {
    g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                         "MaxConcurrentExecutions must be at least 1");
    return FALSE;
  }
  return TRUE;
}

static gboolean
admin_skeleton_set_property (GDBusConnection *connection, const char *sender,
                             const char *object_path, const char *interface_name,
                             const char *property_name, GVariant *value, GError **error,
                             gpointer user_data)
{
  AlgerAdminSkeleton *skeleton = ALGER_ADMIN_SKELETON (user_data);
  AlgerAdmin *admin = skeleton->admin;
  g_autofree char *action = NULL;
  g_autofree char *snake = NULL;
  JsonObject *details;

  if (!validate_property (property_name, value, error)) {
    g_autofree char *text = g_variant_print (value, FALSE);
    g_debug ("refused %s = %s from %s", property_name, text, sender);
    return FALSE;
  }
  if (!generated_set_property (connection, sender, object_path, interface_name, property_name,
                               value, error, user_data))
    return FALSE;
  if (admin == NULL)
    return TRUE;
  snake = snake_case (property_name);
  action = g_strconcat ("admin_set_", snake, NULL);
  details = json_object_new ();
  json_object_set_string_member (details, "property", property_name);
  json_object_set_member (details, "value", json_gvariant_serialize (value));
  audit_record (alger_daemon_get_store (admin->daemon), admin->bus, connection, sender, action,
                details);
  return TRUE;
}

static GDBusInterfaceVTable *
admin_skeleton_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  static GDBusInterfaceVTable vtable;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GDBusInterfaceSkeletonClass *parent_class =
      G_DBUS_INTERFACE_SKELETON_CLASS (alger_admin_skeleton_parent_class);

    vtable = *parent_class->get_vtable (skeleton);
    generated_set_property = vtable.set_property;
    vtable.set_property = admin_skeleton_set_property;
    g_once_init_leave (&initialized, 1);
  }
  return &vtable;
}

static void
alger_admin_skeleton_class_init (AlgerAdminSkeletonClass *klass)
{
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = admin_skeleton_get_vtable;
}

static void
alger_admin_skeleton_init (AlgerAdminSkeleton *self)
{
}

/* ---------------- helpers ---------------- */

static char *
caller_description (GDBusMethodInvocation *invocation)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  return g_strdup_printf ("D-Bus %s", sender != NULL ? sender : "peer");
}

static void
audit_invocation (AlgerAdmin *self, GDBusMethodInvocation *invocation, const char *action,
                  JsonObject *details)
{
  audit_record (alger_daemon_get_store (self->daemon), self->bus,
                g_dbus_method_invocation_get_connection (invocation),
                g_dbus_method_invocation_get_sender (invocation), action,
                details != NULL ? details : json_object_new ());
}

/* "YYYY-MM-DD HH:MM:SS.mmm" in UTC, like the store's timestamps */
static char *
format_usec (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *text = NULL;

  if (dt == NULL)
    return g_strdup ("");
  text = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%03d", text, (int) ((usec % G_USEC_PER_SEC) / 1000));
}

/* ---------------- methods ---------------- */

static gboolean
handle_halt (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation, AlgerAdmin *self)
{
  g_autofree char *by = caller_description (invocation);
  JsonObject *details = json_object_new ();
  guint stopped;

  g_object_set (self->daemon, "executions-halted", TRUE, NULL);
  stopped = alger_executions_stop_all (alger_daemon_get_executions (self->daemon), by);
  json_object_set_int_member (details, "stopped", stopped);
  audit_invocation (self, invocation, "admin_halt", details);
  alger_dbus_server1_complete_halt (iface, invocation, stopped);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_resume (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation, AlgerAdmin *self)
{
  g_object_set (self->daemon, "executions-halted", FALSE, NULL);
  audit_invocation (self, invocation, "admin_resume", NULL);
  alger_dbus_server1_complete_resume (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_stop_execution (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation,
                       const char *id, AlgerAdmin *self)
{
  g_autofree char *by = caller_description (invocation);
  g_autoptr(GError) error = NULL;
  JsonObject *details;

  if (!alger_executions_stop (alger_daemon_get_executions (self->daemon), id, by, &error)) {
    g_dbus_method_invocation_return_gerror (invocation, error);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  details = json_object_new ();
  json_object_set_string_member (details, "executionId", id);
  audit_invocation (self, invocation, "admin_stop_execution", details);
  alger_dbus_server1_complete_stop_execution (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
add_string (GVariantDict *dict, JsonObject *row, const char *member)
{
  JsonNode *node = json_object_get_member (row, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    g_variant_dict_insert (dict, member, "s", json_node_get_string (node));
}

static void
on_executions_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) rows = alger_store_query_finish (ALGER_STORE (source), result, &error);
  GVariantBuilder builder;
  JsonArray *array;

  if (rows == NULL) {
    g_dbus_method_invocation_return_gerror (invocation, error);
    return;
  }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  array = json_node_get_array (rows);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonObject *row = json_array_get_object_element (array, i);
    g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
    const char *members[] = { "id", "status", "pipeline_id", "requested_by", "started_at",
                              "completed_at" };

    for (guint j = 0; j < G_N_ELEMENTS (members); j++)
      add_string (&dict, row, members[j]);
    g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
  }
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(aa{sv})", &builder));
}

static gboolean
handle_list_executions (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation, guint limit,
                        AlgerAdmin *self)
{
  g_autofree char *limit_text = g_strdup_printf ("%u", limit);
  char *args[] = { limit_text, NULL };

  /* no limit argument: every row */
  alger_store_query (alger_daemon_get_store (self->daemon), "executions",
                     limit > 0 ? args : NULL, self->cancellable, on_executions_listed,
                     g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gint
compare_sessions (gconstpointer a, gconstpointer b)
{
  gint64 ta = alger_session_get_connected_at ((AlgerSession *) a);
  gint64 tb = alger_session_get_connected_at ((AlgerSession *) b);

  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

static gboolean
handle_list_connections (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation,
                         AlgerAdmin *self)
{
  GList *sessions = alger_ws_server_get_sessions (alger_daemon_get_ws_server (self->daemon));
  GVariantBuilder builder;

  sessions = g_list_sort (sessions, compare_sessions);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (GList *l = sessions; l != NULL; l = l->next) {
    AlgerSession *session = l->data;
    g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
    g_autofree char *connected_at = format_usec (alger_session_get_connected_at (session));
    const char *user = alger_session_get_username (session);
    const char *ip = alger_session_get_client_ip (session);

    g_variant_dict_insert (&dict, "id", "s", alger_session_get_id (session));
    g_variant_dict_insert (&dict, "user", "s", user != NULL ? user : "");
    g_variant_dict_insert (&dict, "client_ip", "s", ip != NULL ? ip : "");
    g_variant_dict_insert (&dict, "client_port", "u", alger_session_get_client_port (session));
    g_variant_dict_insert (&dict, "connected_at", "s", connected_at);
    g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
  }
  g_list_free (sessions);
  alger_dbus_server1_complete_list_connections (iface, invocation,
                                                g_variant_builder_end (&builder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_disconnect_client (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation,
                          const char *connection_id, AlgerAdmin *self)
{
  AlgerSession *session =
    alger_ws_server_find_session (alger_daemon_get_ws_server (self->daemon), connection_id);
  JsonObject *details;

  if (session == NULL || !alger_session_is_open (session)) {
    g_dbus_method_invocation_return_error (invocation, ALGER_ERROR, ALGER_ERROR_NOT_FOUND,
                                           "No open connection '%s'", connection_id);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  details = json_object_new ();
  json_object_set_string_member (details, "connectionId", connection_id);
  if (alger_session_get_username (session) != NULL)
    json_object_set_string_member (details, "user", alger_session_get_username (session));
  alger_session_close (session, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, DISCONNECT_REASON);
  audit_invocation (self, invocation, "admin_disconnect_client", details);
  alger_dbus_server1_complete_disconnect_client (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* a write to the store the method waits for before replying */
typedef struct {
  GDBusMethodInvocation *invocation;
  AlgerStore *store;
  AlgerBusType bus;
  char *id;
  char *action;
  JsonObject *details;
} StoreCall;

static void
store_call_free (StoreCall *call)
{
  g_clear_object (&call->invocation);
  g_clear_object (&call->store);
  g_free (call->id);
  g_free (call->action);
  g_clear_pointer (&call->details, json_object_unref);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreCall, store_call_free)

static StoreCall *
store_call_new (AlgerAdmin *self, GDBusMethodInvocation *invocation, const char *id,
                const char *action)
{
  StoreCall *call = g_new0 (StoreCall, 1);

  call->invocation = g_object_ref (invocation);
  call->store = g_object_ref (alger_daemon_get_store (self->daemon));
  call->bus = self->bus;
  call->id = g_strdup (id);
  call->action = g_strdup (action);
  call->details = json_object_new ();
  json_object_set_string_member (call->details, "pipelineId", id);
  return call;
}

static void
store_call_done (gboolean ok, const GError *error, gpointer user_data)
{
  g_autoptr(StoreCall) call = user_data;

  if (!ok) {
    g_dbus_method_invocation_return_gerror (call->invocation, error);
    return;
  }
  audit_record (call->store, call->bus,
                g_dbus_method_invocation_get_connection (call->invocation),
                g_dbus_method_invocation_get_sender (call->invocation), call->action,
                g_steal_pointer (&call->details));
  if (g_strcmp0 (call->action, "admin_import_pipeline") == 0)
    g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(s)", call->id));
  else
    g_dbus_method_invocation_return_value (call->invocation, NULL);
}

/* a catalog entry as in data/pipelines: {id, full_graph, name?, description?, metadata?} */
static JsonObject *
parse_pipeline (const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *obj;
  JsonNode *node;
  const char *optional_strings[] = { "name", "description" };

  if (!json_parser_load_from_data (parser, json, -1, &local_error)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "The pipeline is not JSON: %s",
                 local_error->message);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "The pipeline must be a JSON object");
    return NULL;
  }
  obj = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (obj, "id");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING || *json_node_get_string (node) == '\0') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "The pipeline needs a non-empty string \"id\"");
    return NULL;
  }
  node = json_object_get_member (obj, "full_graph");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "The pipeline needs an object \"full_graph\"");
    return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (optional_strings); i++) {
    node = json_object_get_member (obj, optional_strings[i]);
    if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) ||
                         json_node_get_value_type (node) != G_TYPE_STRING)) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                   "\"%s\" must be a string", optional_strings[i]);
      return NULL;
    }
  }
  node = json_object_get_member (obj, "metadata");
  if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "\"metadata\" must be an object");
    return NULL;
  }
  return json_object_ref (obj);
}

static gboolean
handle_import_pipeline (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation,
                        const char *json, AlgerAdmin *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) obj = parse_pipeline (json, &error);
  g_autofree char *graph = NULL;
  g_autofree char *metadata = NULL;
  const char *id;
  StoreCall *call;

  if (obj == NULL) {
    g_dbus_method_invocation_return_gerror (invocation, error);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  }
  id = json_object_get_string_member (obj, "id");
  graph = alger_json_to_string (json_object_get_member (obj, "full_graph"));
  metadata = json_object_has_member (obj, "metadata")
               ? alger_json_to_string (json_object_get_member (obj, "metadata"))
               : g_strdup ("{}");
  call = store_call_new (self, invocation, id, "admin_import_pipeline");
  alger_store_save_pipeline (alger_daemon_get_store (self->daemon), id,
                             json_object_get_string_member_with_default (obj, "name", id),
                             graph,
                             json_object_get_string_member_with_default (obj, "description", ""),
                             metadata, store_call_done, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_pipeline_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(StoreCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) row = alger_store_query_finish (ALGER_STORE (source), result, &error);

  if (row == NULL) {
    if (g_error_matches (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND))
      g_dbus_method_invocation_return_error (call->invocation, ALGER_ERROR,
                                             ALGER_ERROR_NOT_FOUND,
                                             "No pipeline '%s' in the catalog", call->id);
    else
      g_dbus_method_invocation_return_gerror (call->invocation, error);
    return;
  }
  alger_store_remove_pipeline (call->store, call->id, store_call_done, call);
  call = NULL;
}

static gboolean
handle_remove_pipeline (AlgerDBusServer1 *iface, GDBusMethodInvocation *invocation,
                        const char *id, AlgerAdmin *self)
{
  StoreCall *call = store_call_new (self, invocation, id, "admin_remove_pipeline");
  char *args[] = { call->id, NULL };

  alger_store_query (call->store, "pipeline", args, self->cancellable, on_pipeline_found, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---------------- signals ---------------- */

static void
on_execution_started (AlgerExecutions *executions, AlgerExecution *execution, AlgerAdmin *self)
{
  const char *pipeline_id = alger_execution_get_pipeline_id (execution);

  alger_dbus_server1_emit_execution_started (ALGER_DBUS_SERVER1 (self->skeleton),
                                             alger_execution_get_id (execution),
                                             pipeline_id != NULL ? pipeline_id : "");
}

static void
on_execution_finished (AlgerExecutions *executions, AlgerExecution *execution,
                       AlgerAdmin *self)
{
  alger_dbus_server1_emit_execution_finished (
    ALGER_DBUS_SERVER1 (self->skeleton), alger_execution_get_id (execution),
    alger_execution_status_to_string (alger_execution_get_status (execution)));
}

/* ---------------- the bus ---------------- */

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  AlgerAdmin *self = user_data;

  g_message (_("Administration interface %s on the %s bus"), name,
             alger_bus_type_to_string (self->bus));
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  AlgerAdmin *self = user_data;

  g_warning (_("Lost or could not own the name %s on the %s bus: D-Bus administration is "
               "unavailable; the WebSocket service keeps running"),
             name, alger_bus_type_to_string (self->bus));
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished,
                      GError *error, gpointer user_data)
{
  AlgerAdmin *self = user_data;

  g_warning (_("Lost the connection to the %s bus (%s): D-Bus administration is unavailable; "
               "the WebSocket service keeps running"),
             alger_bus_type_to_string (self->bus),
             error != NULL ? error->message : _("closed"));
}

static void
on_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = g_bus_get_finish (result, &error);
  AlgerAdmin *self;

  if (connection == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = ALGER_ADMIN (user_data);
  if (connection == NULL) {
    g_warning (_("Cannot connect to the %s bus: %s; D-Bus administration is unavailable, "
                 "the WebSocket service keeps running"),
               alger_bus_type_to_string (self->bus), error->message);
    return;
  }
  /* the bus going away must not end the process (the default for g_bus_get) */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  self->connection = g_steal_pointer (&connection);
  self->closed_id = g_signal_connect (self->connection, "closed",
                                      G_CALLBACK (on_connection_closed), self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                         self->connection, ALGER_DBUS_PATH, &error)) {
    g_warning (_("Cannot export %s: %s"), ALGER_DBUS_PATH, error->message);
    return;
  }
  self->exported = TRUE;
  self->owner_id = g_bus_own_name_on_connection (self->connection, ALGER_DBUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT,
                                                 on_name_acquired, on_name_lost, self, NULL);
}

GDBusConnection *
alger_admin_get_connection (AlgerAdmin *self)
{
  g_return_val_if_fail (ALGER_IS_ADMIN (self), NULL);
  return self->connection;
}

static void
bind (AlgerAdmin *self, const char *property, GBindingFlags flags)
{
  g_ptr_array_add (self->bindings,
                   g_object_ref (g_object_bind_property (self->daemon, property,
                                                         self->skeleton, property,
                                                         flags | G_BINDING_SYNC_CREATE)));
}

AlgerAdmin *
alger_admin_new (AlgerDaemon *daemon, AlgerBusType bus)
{
  AlgerAdmin *self;
  AlgerExecutions *executions;

  g_return_val_if_fail (ALGER_IS_DAEMON (daemon), NULL);
  g_return_val_if_fail (bus == ALGER_BUS_SESSION || bus == ALGER_BUS_SYSTEM, NULL);
  executions = alger_daemon_get_executions (daemon);
  g_return_val_if_fail (executions != NULL, NULL);

  self = g_object_new (ALGER_TYPE_ADMIN, NULL);
  self->daemon = daemon;
  self->bus = bus;
  self->skeleton = g_object_new (ALGER_TYPE_ADMIN_SKELETON, NULL);
  self->skeleton->admin = self;

  /* the skeleton's GObject properties carry the daemon's names */
  bind (self, "maintenance-mode", G_BINDING_BIDIRECTIONAL);
  bind (self, "executions-halted", G_BINDING_BIDIRECTIONAL);
  bind (self, "max-concurrent-executions", G_BINDING_BIDIRECTIONAL);
  bind (self, "active-executions", G_BINDING_DEFAULT);
  bind (self, "active-connections", G_BINDING_DEFAULT);
  bind (self, "version", G_BINDING_DEFAULT);

  g_signal_connect_object (self->skeleton, "handle-halt", G_CALLBACK (handle_halt), self, 0);
  g_signal_connect_object (self->skeleton, "handle-resume", G_CALLBACK (handle_resume), self,
                           0);
  g_signal_connect_object (self->skeleton, "handle-stop-execution",
                           G_CALLBACK (handle_stop_execution), self, 0);
  g_signal_connect_object (self->skeleton, "handle-list-executions",
                           G_CALLBACK (handle_list_executions), self, 0);
  g_signal_connect_object (self->skeleton, "handle-list-connections",
                           G_CALLBACK (handle_list_connections), self, 0);
  g_signal_connect_object (self->skeleton, "handle-disconnect-client",
                           G_CALLBACK (handle_disconnect_client), self, 0);
  g_signal_connect_object (self->skeleton, "handle-import-pipeline",
                           G_CALLBACK (handle_import_pipeline), self, 0);
  g_signal_connect_object (self->skeleton, "handle-remove-pipeline",
                           G_CALLBACK (handle_remove_pipeline), self, 0);
  g_signal_connect_object (executions, "execution-started", G_CALLBACK (on_execution_started),
                           self, 0);
  g_signal_connect_object (executions, "execution-finished",
                           G_CALLBACK (on_execution_finished), self, 0);

  g_bus_get (bus == ALGER_BUS_SYSTEM ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, self->cancellable,
             on_bus, self);
  return self;
}

static void
alger_admin_dispose (GObject *object)
{
  AlgerAdmin *self = ALGER_ADMIN (object);

  g_cancellable_cancel (self->cancellable);
  if (self->owner_id != 0) {
    g_bus_unown_name (self->owner_id);
    self->owner_id = 0;
  }
  if (self->exported) {
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
    self->exported = FALSE;
  }
  if (self->connection != NULL)
    g_clear_signal_handler (&self->closed_id, self->connection);
  g_clear_object (&self->connection);
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (g_ptr_array_index (self->bindings, i));
  g_ptr_array_set_size (self->bindings, 0);
  if (self->skeleton != NULL)
    self->skeleton->admin = NULL;
  g_clear_object (&self->skeleton);
  G_OBJECT_CLASS (alger_admin_parent_class)->dispose (object);
}

static void
alger_admin_finalize (GObject *object)
{
  AlgerAdmin *self = ALGER_ADMIN (object);

  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->bindings);
  G_OBJECT_CLASS (alger_admin_parent_class)->finalize (object);
}

static void
alger_admin_class_init (AlgerAdminClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = alger_admin_dispose;
  object_class->finalize = alger_admin_finalize;
}

static void
alger_admin_init (AlgerAdmin *self)
{
  self->cancellable = g_cancellable_new ();
  self->bindings = g_ptr_array_new_with_free_func (g_object_unref);
}
