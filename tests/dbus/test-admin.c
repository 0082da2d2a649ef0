/* test-admin.c: the D-Bus administration interface of the real algerd
 *
 * Each test gets its own private bus (GTestDBus) and temporary state dir,
 * starts algerd --bus=session on it, waits for org.alger.Server1 to appear
 * and drives it through the generated proxy, while real WebSocket clients
 * watch the effect on the protocol.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "alger-dbus-generated.h"
#include "alger-test-harness.h"

#define NAME "org.alger.Server1"
#define PATH "/org/alger/Server1"
#define IFACE "org.alger.Server1"
#define WAIT_MS 20000

typedef struct {
  GTestDBus *bus;
  char *address;
  GDBusConnection *conn;
  guint watch_id;
  char *owner;
  AlgerDBusServer1 *proxy;
  AlgerTestServer *server;
  GHashTable *changed; /* property name -> count of PropertiesChanged naming it */
  GPtrArray *started;  /* "id pipeline_id" */
  GPtrArray *finished; /* "id status" */
} Fixture;

typedef struct {
  const char *bus_option; /* --bus=session (default) or --bus=system */
  const char *const *extra;
} FixtureOptions;

/* ---- fixture ---- */

/* An assertion aborts the test: take algerd and the private bus down too.
 * Both inherit the test's output pipes, and GTestDBus's watcher does not
 * notice our death while the bus holds its pipe, so meson would wait for
 * its timeout. */
static volatile pid_t daemon_pid;
static volatile pid_t bus_pid;

static void
on_abort (int signum)
{
  if (daemon_pid > 0)
    kill (daemon_pid, SIGKILL);
  if (bus_pid > 0)
    kill (bus_pid, SIGKILL);
  signal (SIGABRT, SIG_DFL);
  raise (SIGABRT);
}

static void
name_appeared (GDBusConnection *conn, const char *name, const char *owner, gpointer data)
{
  Fixture *fx = data;

  g_free (fx->owner);
  fx->owner = g_strdup (owner);
}

static void
name_vanished (GDBusConnection *conn, const char *name, gpointer data)
{
  Fixture *fx = data;

  g_clear_pointer (&fx->owner, g_free);
}

static gboolean
has_owner (gpointer data)
{
  return ((Fixture *) data)->owner != NULL;
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer data)
{
  Fixture *fx = data;
  GVariantIter iter;
  const char *name;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, NULL)) {
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (fx->changed, name));
    g_hash_table_insert (fx->changed, g_strdup (name), GUINT_TO_POINTER (n + 1));
  }
}

static void
on_started (AlgerDBusServer1 *proxy, const char *id, const char *pipeline_id, gpointer data)
{
  g_ptr_array_add (((Fixture *) data)->started, g_strdup_printf ("%s %s", id, pipeline_id));
}

static void
on_finished (AlgerDBusServer1 *proxy, const char *id, const char *status, gpointer data)
{
  g_ptr_array_add (((Fixture *) data)->finished, g_strdup_printf ("%s %s", id, status));
}

static void
start_daemon (Fixture *fx, const FixtureOptions *options)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (args, (gpointer) (options != NULL && options->bus_option != NULL
                                       ? options->bus_option
                                       : "--bus=session"));
  g_ptr_array_add (args, (gpointer) "--node-delay-ms=300");
  for (guint i = 0; options != NULL && options->extra != NULL && options->extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) options->extra[i]);
  g_ptr_array_add (args, NULL);

  fx->server = alger_test_server_start ((const char *const *) args->pdata);
  daemon_pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (fx->server->process), NULL,
                                        10);
  g_assert_true (alger_test_wait_until (has_owner, fx, WAIT_MS));
  fx->proxy = alger_dbus_server1_proxy_new_sync (fx->conn, G_DBUS_PROXY_FLAGS_NONE, NAME, PATH,
                                                 NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fx->proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), fx);
  g_signal_connect (fx->proxy, "execution-started", G_CALLBACK (on_started), fx);
  g_signal_connect (fx->proxy, "execution-finished", G_CALLBACK (on_finished), fx);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  const FixtureOptions *options = data;
  g_autoptr(GError) error = NULL;

  fx->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->started = g_ptr_array_new_with_free_func (g_free);
  fx->finished = g_ptr_array_new_with_free_func (g_free);
  fx->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fx->bus); /* sets DBUS_SESSION_BUS_ADDRESS, which algerd inherits */
  fx->address = g_strdup (g_test_dbus_get_bus_address (fx->bus));
  if (options != NULL && g_strcmp0 (options->bus_option, "--bus=system") == 0)
    g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", fx->address, TRUE);
  fx->conn = g_dbus_connection_new_for_address_sync (
    fx->address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) pid = g_dbus_connection_call_sync (
      fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixProcessID", g_variant_new ("(s)", "org.freedesktop.DBus"),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    guint32 value = 0;
    if (pid != NULL)
      g_variant_get (pid, "(u)", &value);
    bus_pid = (pid_t) value;
  }
  fx->watch_id = g_bus_watch_name_on_connection (fx->conn, NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                 name_appeared, name_vanished, fx, NULL);
  start_daemon (fx, options);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  if (fx->proxy != NULL)
    g_signal_handlers_disconnect_by_data (fx->proxy, fx);
  g_clear_object (&fx->proxy);
  if (fx->server != NULL && fx->server->process != NULL)
    alger_test_server_stop (fx->server); /* SIGTERM: exit status 0 */
  g_clear_pointer (&fx->server, alger_test_server_free);
  daemon_pid = 0;
  g_bus_unwatch_name (fx->watch_id);
  if (fx->conn != NULL && !g_dbus_connection_is_closed (fx->conn))
    g_dbus_connection_close_sync (fx->conn, NULL, NULL);
  g_clear_object (&fx->conn);
  bus_pid = 0;
  g_test_dbus_down (fx->bus);
  g_clear_object (&fx->bus);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
  g_free (fx->address);
  g_free (fx->owner);
  g_hash_table_unref (fx->changed);
  g_ptr_array_unref (fx->started);
  g_ptr_array_unref (fx->finished);
}

/* ---- helpers ---- */

static GVariant *
get_prop (Fixture *fx, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *value = NULL;

  reply = g_dbus_connection_call_sync (fx->conn, NAME, PATH, "org.freedesktop.DBus.Properties",
                                       "Get", g_variant_new ("(ss)", IFACE, name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static gboolean
get_bool (Fixture *fx, const char *name)
{
  g_autoptr(GVariant) value = get_prop (fx, name);

  return g_variant_get_boolean (value);
}

static guint
get_uint (Fixture *fx, const char *name)
{
  g_autoptr(GVariant) value = get_prop (fx, name);

  return g_variant_get_uint32 (value);
}

/* NULL on success */
static GError *
set_prop (Fixture *fx, const char *name, GVariant *value)
{
  GError *error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (fx->conn, NAME, PATH, "org.freedesktop.DBus.Properties",
                                       "Set", g_variant_new ("(ssv)", IFACE, name, value), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  return error;
}

static void
set_ok (Fixture *fx, const char *name, GVariant *value)
{
  g_autoptr(GError) error = set_prop (fx, name, value);

  g_assert_no_error (error);
}

static void
assert_remote_error (GError *error, const char *name)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, name);
}

static guint
changed_count (Fixture *fx, const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fx->changed, name));
}

typedef struct {
  Fixture *fx;
  const char *name;
  guint above;
} ChangedWait;

static gboolean
changed_more (gpointer data)
{
  ChangedWait *w = data;

  return changed_count (w->fx, w->name) > w->above;
}

/* wait for a PropertiesChanged naming @name after @before were seen */
static void
wait_changed (Fixture *fx, const char *name, guint before)
{
  ChangedWait w = { fx, name, before };

  if (!alger_test_wait_until (changed_more, &w, WAIT_MS))
    g_error ("no PropertiesChanged for %s", name);
}

typedef struct {
  GPtrArray *array;
  const char *item;
} ItemWait;

static gboolean
has_item (gpointer data)
{
  ItemWait *w = data;

  for (guint i = 0; i < w->array->len; i++) {
    if (g_strcmp0 (g_ptr_array_index (w->array, i), w->item) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
wait_item (GPtrArray *array, const char *item)
{
  ItemWait w = { array, item };

  if (!alger_test_wait_until (has_item, &w, WAIT_MS))
    g_error ("no signal \"%s\"", item);
}

typedef struct {
  Fixture *fx;
  const char *property;
  guint value;
} ProxyUintWait;

static gboolean
proxy_uint_is (gpointer data)
{
  ProxyUintWait *w = data;
  g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (w->fx->proxy),
                                                            w->property);

  return v != NULL && g_variant_get_uint32 (v) == w->value;
}

/* the proxy's cache follows PropertiesChanged: wait until it shows @value */
static void
wait_cached_uint (Fixture *fx, const char *property, guint value)
{
  ProxyUintWait w = { fx, property, value };

  if (!alger_test_wait_until (proxy_uint_is, &w, WAIT_MS))
    g_error ("%s never became %u", property, value);
}

static JsonObject *
recv_type (AlgerTestClient *client, gint64 type)
{
  JsonObject *frame = alger_test_client_recv (client);

  if (json_object_get_int_member (frame, "type") != type)
    g_error ("expected a %" G_GINT64_FORMAT " frame, got %" G_GINT64_FORMAT ": %s", type,
             json_object_get_int_member (frame, "type"),
             json_object_get_string_member_with_default (frame, "content", ""));
  return frame;
}

static const char *
str (JsonObject *obj, const char *member)
{
  return json_object_get_string_member_with_default (obj, member, NULL);
}

/* send a run request and expect the refusal @type with @message */
static void
expect_refusal (AlgerTestClient *client, gint request_type, const char *content, gint64 type,
                const char *message)
{
  gint64 id = alger_test_client_send (client, request_type, content);
  g_autoptr(JsonObject) frame = recv_type (client, type);
  g_autoptr(JsonObject) c = alger_test_frame_content (frame);

  g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, id);
  g_assert_cmpstr (str (c, "error"), ==, message);
}

#define DEMO "{\"pipelineId\":\"demo\"}"
#define MAINTENANCE_MESSAGE "Pipelines unavailable while maintenance mode is active."
#define HALTED_MESSAGE "Pipeline executions are halted."
#define BUSY_MESSAGE "Too many pipeline execution requests in progress."

/* 103 demo: returns the execution id */
static char *
start_run (AlgerTestClient *client, gint64 *request_id)
{
  gint64 id = alger_test_client_send (client, 103, DEMO);
  g_autoptr(JsonObject) frame = recv_type (client, 203);
  g_autoptr(JsonObject) c = alger_test_frame_content (frame);

  g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, id);
  g_assert_cmpstr (str (c, "status"), ==, "pipeline-execution-started");
  if (request_id != NULL)
    *request_id = id;
  return g_strdup (str (c, "executionId"));
}

/* skip node reports until the run's final frame: assert 307 "stopped" */
static void
expect_stopped (AlgerTestClient *client, const char *execution_id, gint64 request_id)
{
  for (;;) {
    g_autoptr(JsonObject) frame = alger_test_client_recv (client);
    gint64 type = json_object_get_int_member (frame, "type");
    g_autoptr(JsonObject) c = NULL;

    if (type == 205)
      continue;
    g_assert_cmpint (type, ==, 307);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, request_id);
    c = alger_test_frame_content (frame);
    g_assert_cmpstr (str (c, "status"), ==, "stopped");
    g_assert_cmpstr (str (c, "executionId"), ==, execution_id);
    return;
  }
}

typedef struct {
  AlgerTestServer *server;
  const char *sql;
} DbWait;

static gboolean
db_nonzero (gpointer data)
{
  DbWait *w = data;

  return alger_test_db_int (w->server, "%s", w->sql) > 0;
}

static void
wait_db (AlgerTestServer *server, const char *sql)
{
  DbWait w = { server, sql };

  if (!alger_test_wait_until (db_nonzero, &w, WAIT_MS))
    g_error ("never true: %s", sql);
}

/* ---- properties ---- */

static void
test_properties_read (Fixture *fx, gconstpointer data)
{
  g_autoptr(GVariant) version = get_prop (fx, "Version");

  g_assert_cmpstr (g_variant_get_string (version, NULL), ==, ALGER_VERSION);
  g_assert_cmpstr (alger_dbus_server1_get_version (fx->proxy), ==, ALGER_VERSION);
  g_assert_false (get_bool (fx, "MaintenanceMode"));
  g_assert_false (get_bool (fx, "ExecutionsHalted"));
  g_assert_cmpuint (get_uint (fx, "MaxConcurrentExecutions"), ==, 1);
  g_assert_cmpuint (get_uint (fx, "ActiveExecutions"), ==, 0);
  g_assert_cmpuint (get_uint (fx, "ActiveConnections"), ==, 0);

  /* the read-only ones refuse writes */
  {
    g_autoptr(GError) e1 = set_prop (fx, "ActiveExecutions", g_variant_new_uint32 (3));
    g_autoptr(GError) e2 = set_prop (fx, "Version", g_variant_new_string ("9"));
    g_assert_error (e1, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_assert_error (e2, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  }
}

/* ActiveConnections and ActiveExecutions follow sessions and runs, with PropertiesChanged */
static void
test_properties_live (Fixture *fx, gconstpointer data)
{
  guint before = changed_count (fx, "ActiveConnections");
  AlgerTestClient *client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  gint64 rid;

  wait_changed (fx, "ActiveConnections", before);
  wait_cached_uint (fx, "ActiveConnections", 1);
  g_assert_cmpuint (get_uint (fx, "ActiveConnections"), ==, 1);

  before = changed_count (fx, "ActiveExecutions");
  id = start_run (client, &rid);
  wait_changed (fx, "ActiveExecutions", before);
  wait_cached_uint (fx, "ActiveExecutions", 1);
  g_assert_cmpuint (get_uint (fx, "ActiveExecutions"), ==, 1);
  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, NULL);
  expect_stopped (client, id, rid);
  wait_cached_uint (fx, "ActiveExecutions", 0);

  alger_test_client_free (client);
  wait_cached_uint (fx, "ActiveConnections", 0);
  g_assert_cmpuint (get_uint (fx, "ActiveConnections"), ==, 0);
}

static void
test_properties_write (Fixture *fx, gconstpointer data)
{
  struct {
    const char *name;
    const char *value;
    const char *reset;
  } rows[] = {
    { "MaintenanceMode", "true", "false" },
    { "ExecutionsHalted", "true", "false" },
    { "MaxConcurrentExecutions", "uint32 5", "uint32 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autoptr(GVariant) value = g_variant_parse (NULL, rows[i].value, NULL, NULL, NULL);
    g_autoptr(GVariant) reset = g_variant_parse (NULL, rows[i].reset, NULL, NULL, NULL);
    g_autoptr(GVariant) got = NULL;
    g_autoptr(GVariant) got_reset = NULL;
    guint before = changed_count (fx, rows[i].name);

    set_ok (fx, rows[i].name, value);
    got = get_prop (fx, rows[i].name);
    g_assert_true (g_variant_equal (got, value));
    wait_changed (fx, rows[i].name, before);

    before = changed_count (fx, rows[i].name);
    set_ok (fx, rows[i].name, reset);
    got_reset = get_prop (fx, rows[i].name);
    g_assert_true (g_variant_equal (got_reset, reset));
    wait_changed (fx, rows[i].name, before);
  }

  /* 0 is refused, and nothing changes */
  {
    g_autoptr(GError) error = set_prop (fx, "MaxConcurrentExecutions", g_variant_new_uint32 (0));
    assert_remote_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_assert_cmpuint (get_uint (fx, "MaxConcurrentExecutions"), ==, 1);
  }
  /* a value of the wrong type too */
  {
    g_autoptr(GError) error = set_prop (fx, "MaintenanceMode", g_variant_new_uint32 (1));
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_assert_false (get_bool (fx, "MaintenanceMode"));
  }
  /* the generated proxy setter reaches the daemon as well */
  {
    guint before = changed_count (fx, "MaxConcurrentExecutions");
    alger_dbus_server1_set_max_concurrent_executions (fx->proxy, 3);
    wait_changed (fx, "MaxConcurrentExecutions", before);
    g_assert_cmpuint (get_uint (fx, "MaxConcurrentExecutions"), ==, 3);
  }
}

/* ---- the properties drive the protocol ---- */

static void
test_gate_maintenance (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  gint64 rid;

  set_ok (fx, "MaintenanceMode", g_variant_new_boolean (TRUE));
  expect_refusal (client, 103, DEMO, 399, MAINTENANCE_MESSAGE);
  expect_refusal (client, 104, "{\"graph\":{}}", 399, MAINTENANCE_MESSAGE);
  /* every session, not only those opened before */
  {
    g_autoptr(AlgerTestClient) late = alger_test_client_connect (fx->server);
    expect_refusal (late, 103, DEMO, 399, MAINTENANCE_MESSAGE);
  }
  set_ok (fx, "MaintenanceMode", g_variant_new_boolean (FALSE));
  id = start_run (client, &rid);
  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, NULL);
  expect_stopped (client, id, rid);
}

static void
test_gate_halted (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  gint64 rid;

  set_ok (fx, "ExecutionsHalted", g_variant_new_boolean (TRUE));
  expect_refusal (client, 103, DEMO, 398, HALTED_MESSAGE);
  expect_refusal (client, 104, "{\"graph\":{}}", 398, HALTED_MESSAGE);
  set_ok (fx, "ExecutionsHalted", g_variant_new_boolean (FALSE));
  id = start_run (client, &rid);
  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, NULL);
  expect_stopped (client, id, rid);
}

static void
test_gate_concurrency (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) a = alger_test_client_connect (fx->server);
  g_autoptr(AlgerTestClient) b = alger_test_client_connect (fx->server);
  g_autofree char *id_a = NULL;
  g_autofree char *id_b = NULL;
  gint64 rid_a, rid_b;
  guint stopped = 0;

  id_a = start_run (a, &rid_a);
  {
    gint64 bid = alger_test_client_send (b, 103, DEMO);
    g_autoptr(JsonObject) frame = recv_type (b, 397);
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, bid);
    g_assert_cmpstr (str (c, "error"), ==, BUSY_MESSAGE);
    g_assert_cmpint (json_object_get_int_member (c, "activeExecutions"), ==, 1);
  }
  /* raise the limit: the second run is accepted at once */
  set_ok (fx, "MaxConcurrentExecutions", g_variant_new_uint32 (2));
  id_b = start_run (b, &rid_b);
  g_assert_cmpuint (get_uint (fx, "ActiveExecutions"), ==, 2);
  /* and lowering it gates the third */
  set_ok (fx, "MaxConcurrentExecutions", g_variant_new_uint32 (1));
  {
    g_autoptr(AlgerTestClient) c = alger_test_client_connect (fx->server);
    gint64 cid = alger_test_client_send (c, 103, DEMO);
    g_autoptr(JsonObject) frame = recv_type (c, 397);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, cid);
  }
  g_assert_true (alger_dbus_server1_call_halt_sync (fx->proxy, &stopped, NULL, NULL));
  g_assert_cmpuint (stopped, ==, 2);
  expect_stopped (a, id_a, rid_a);
  expect_stopped (b, id_b, rid_b);
}

/* ---- methods and signals ---- */

static void
test_halt_resume (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *started = NULL;
  g_autofree char *finished = NULL;
  guint stopped = 99;
  guint before = changed_count (fx, "ExecutionsHalted");
  gint64 rid;

  id = start_run (client, &rid);
  started = g_strdup_printf ("%s demo", id);
  wait_item (fx->started, started);

  g_assert_true (alger_dbus_server1_call_halt_sync (fx->proxy, &stopped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stopped, ==, 1);
  expect_stopped (client, id, rid);
  finished = g_strdup_printf ("%s stopped", id);
  wait_item (fx->finished, finished);
  g_assert_true (get_bool (fx, "ExecutionsHalted"));
  wait_changed (fx, "ExecutionsHalted", before);
  expect_refusal (client, 103, DEMO, 398, HALTED_MESSAGE);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where id = "
                                                  "'%s' and status = 'stopped'",
                                      id),
                   ==, 1);

  /* nothing running: 0 */
  g_assert_true (alger_dbus_server1_call_halt_sync (fx->proxy, &stopped, NULL, &error));
  g_assert_cmpuint (stopped, ==, 0);

  before = changed_count (fx, "ExecutionsHalted");
  g_assert_true (alger_dbus_server1_call_resume_sync (fx->proxy, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (get_bool (fx, "ExecutionsHalted"));
  wait_changed (fx, "ExecutionsHalted", before);
  id2 = start_run (client, &rid);
  g_assert_true (alger_dbus_server1_call_stop_execution_sync (fx->proxy, id2, NULL, &error));
  expect_stopped (client, id2, rid);
}

static void
test_stop_execution (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  g_autoptr(GError) unknown = NULL;
  g_autofree char *id = NULL;
  g_autofree char *finished = NULL;
  gint64 rid;

  id = start_run (client, &rid);
  g_assert_true (alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, &error));
  g_assert_no_error (error);
  expect_stopped (client, id, rid);
  finished = g_strdup_printf ("%s stopped", id);
  wait_item (fx->finished, finished);

  g_assert_false (alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, &again));
  assert_remote_error (again, "org.alger.Server1.Error.NotFound");
  g_assert_false (alger_dbus_server1_call_stop_execution_sync (fx->proxy, "no-such-run", NULL,
                                                              &unknown));
  assert_remote_error (unknown, "org.alger.Server1.Error.NotFound");
}

/* a run that ends by itself: both signals, "finished" */
static void
test_signals (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autofree char *started = NULL;
  g_autofree char *finished = NULL;
  gint64 rid;

  id = start_run (client, &rid);
  started = g_strdup_printf ("%s demo", id);
  wait_item (fx->started, started);
  finished = g_strdup_printf ("%s finished", id);
  wait_item (fx->finished, finished);
  g_assert_cmpuint (fx->started->len, ==, 1);
  g_assert_cmpuint (fx->finished->len, ==, 1);
}

static const char *
dict_string (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return NULL;
  return value;
}

static void
test_list_executions (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) one = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *user_id = alger_test_db_string (fx->server,
                                                   "select id from users where username = "
                                                   "'admin'");
  gint64 rid;

  g_assert_true (alger_dbus_server1_call_list_executions_sync (fx->proxy, 10, &all, NULL,
                                                               &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (all), ==, 0);
  g_clear_pointer (&all, g_variant_unref);

  id1 = start_run (client, &rid);
  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id1, NULL, NULL);
  expect_stopped (client, id1, rid);
  id2 = start_run (client, &rid);

  g_assert_true (alger_dbus_server1_call_list_executions_sync (fx->proxy, 0, &all, NULL,
                                                               &error));
  g_assert_cmpuint (g_variant_n_children (all), ==, 2);
  first = g_variant_get_child_value (all, 0);
  second = g_variant_get_child_value (all, 1);
  /* newest first */
  g_assert_cmpstr (dict_string (first, "id"), ==, id2);
  g_assert_cmpstr (dict_string (first, "status"), ==, "running");
  g_assert_cmpstr (dict_string (first, "pipeline_id"), ==, "demo");
  g_assert_cmpstr (dict_string (first, "requested_by"), ==, user_id);
  g_assert_nonnull (dict_string (first, "started_at"));
  g_assert_null (dict_string (first, "completed_at"));
  g_assert_cmpstr (dict_string (second, "id"), ==, id1);
  g_assert_cmpstr (dict_string (second, "status"), ==, "stopped");
  g_assert_nonnull (dict_string (second, "completed_at"));

  g_assert_true (alger_dbus_server1_call_list_executions_sync (fx->proxy, 1, &one, NULL,
                                                               &error));
  g_assert_cmpuint (g_variant_n_children (one), ==, 1);

  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id2, NULL, NULL);
  expect_stopped (client, id2, rid);
}

static void
test_connections (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) a = alger_test_client_connect (fx->server);
  g_autoptr(AlgerTestClient) b = alger_test_client_connect (fx->server);
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) unknown = NULL;
  g_autofree char *id_a = NULL;
  guint32 port = 0;

  wait_cached_uint (fx, "ActiveConnections", 2);
  g_assert_true (alger_dbus_server1_call_list_connections_sync (fx->proxy, &list, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (list), ==, 2);
  for (guint i = 0; i < 2; i++) {
    g_autoptr(GVariant) row = g_variant_get_child_value (list, i);
    g_assert_nonnull (dict_string (row, "id"));
    g_assert_cmpstr (dict_string (row, "user"), ==, "admin");
    g_assert_cmpstr (dict_string (row, "client_ip"), ==, "127.0.0.1");
    g_assert_true (g_variant_lookup (row, "client_port", "u", &port));
    g_assert_cmpuint (port, >, 0);
    g_assert_nonnull (dict_string (row, "connected_at"));
    if (i == 0)
      id_a = g_strdup (dict_string (row, "id"));
  }
  /* oldest first: a's session */
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from connections where id = '%s'", id_a),
                   ==, 1);

  g_assert_true (alger_dbus_server1_call_disconnect_client_sync (fx->proxy, id_a, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (alger_test_client_wait_closed (a), ==, 1008);
  g_assert_cmpstr (a->close_reason, ==, "disconnected by an administrator");
  g_assert_false (b->closed);
  wait_cached_uint (fx, "ActiveConnections", 1);
  g_assert_true (alger_dbus_server1_call_list_connections_sync (fx->proxy, &after, NULL,
                                                                &error));
  g_assert_cmpuint (g_variant_n_children (after), ==, 1);

  g_assert_false (alger_dbus_server1_call_disconnect_client_sync (fx->proxy, "no-such-client",
                                                                 NULL, &unknown));
  assert_remote_error (unknown, "org.alger.Server1.Error.NotFound");
}

static const char *const bad_pipelines[] = {
  "not json",
  "[1, 2]",
  "{\"full_graph\": {}}",
  "{\"id\": \"\", \"full_graph\": {}}",
  "{\"id\": 5, \"full_graph\": {}}",
  "{\"id\": \"x\"}",
  "{\"id\": \"x\", \"full_graph\": []}",
  "{\"id\": \"x\", \"full_graph\": {}, \"name\": 1}",
  "{\"id\": \"x\", \"full_graph\": {}, \"description\": {}}",
  "{\"id\": \"x\", \"full_graph\": {}, \"metadata\": \"m\"}",
};

static void
test_pipelines (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) gone = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("ALGER_SOURCE_ROOT"), "data", "pipelines",
                                            "demo.json", NULL);
  g_autofree char *demo = NULL;
  g_autofree char *json = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *run = NULL;
  char *at;

  /* the demo entry under another id */
  g_assert_true (g_file_get_contents (path, &demo, NULL, NULL));
  at = strstr (demo, "\"id\": \"demo\"");
  g_assert_nonnull (at);
  json = g_strdup_printf ("%.*s\"id\": \"imported\"%s", (int) (at - demo), demo,
                          at + strlen ("\"id\": \"demo\""));
  g_assert_true (alger_dbus_server1_call_import_pipeline_sync (fx->proxy, json, &id, NULL,
                                                               &error));
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "imported");
  name = alger_test_db_string (fx->server, "select name from pipelines where id = 'imported'");
  g_assert_cmpstr (name, ==, "Basic");
  /* runnable at once over the protocol */
  {
    gint64 rid = alger_test_client_send (client, 103, "{\"pipelineId\":\"imported\"}");
    g_autoptr(JsonObject) frame = recv_type (client, 203);
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, rid);
    run = g_strdup (str (c, "executionId"));
    alger_dbus_server1_call_stop_execution_sync (fx->proxy, run, NULL, NULL);
    expect_stopped (client, run, rid);
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad_pipelines); i++) {
    g_autoptr(GError) bad = NULL;
    g_autofree char *out = NULL;

    g_test_message ("ImportPipeline (%s)", bad_pipelines[i]);
    g_assert_false (alger_dbus_server1_call_import_pipeline_sync (fx->proxy, bad_pipelines[i],
                                                                  &out, NULL, &bad));
    assert_remote_error (bad, "org.alger.Server1.Error.InvalidArgs");
  }

  g_assert_true (alger_dbus_server1_call_remove_pipeline_sync (fx->proxy, "imported", NULL,
                                                               &error));
  g_assert_no_error (error);
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from pipelines where id = 'imported'"),
                   ==, 0);
  g_assert_false (alger_dbus_server1_call_remove_pipeline_sync (fx->proxy, "imported", NULL,
                                                                &gone));
  assert_remote_error (gone, "org.alger.Server1.Error.NotFound");
}

/* every change lands in user_actions with the caller's uid */
static void
test_audit (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *sql = NULL;
  g_autofree char *id = NULL;
  guint stopped;
  gint64 rid;
  const char *actions[] = { "admin_set_maintenance_mode", "admin_set_executions_halted",
                            "admin_set_max_concurrent_executions", "admin_halt",
                            "admin_resume", "admin_stop_execution",
                            "admin_disconnect_client", "admin_import_pipeline",
                            "admin_remove_pipeline" };

  set_ok (fx, "MaintenanceMode", g_variant_new_boolean (FALSE));
  set_ok (fx, "ExecutionsHalted", g_variant_new_boolean (FALSE));
  set_ok (fx, "MaxConcurrentExecutions", g_variant_new_uint32 (2));
  id = start_run (client, &rid);
  alger_dbus_server1_call_stop_execution_sync (fx->proxy, id, NULL, NULL);
  expect_stopped (client, id, rid);
  alger_dbus_server1_call_halt_sync (fx->proxy, &stopped, NULL, NULL);
  alger_dbus_server1_call_resume_sync (fx->proxy, NULL, NULL);
  alger_dbus_server1_call_import_pipeline_sync (
    fx->proxy, "{\"id\":\"audited\",\"full_graph\":{}}", NULL, NULL, NULL);
  alger_dbus_server1_call_remove_pipeline_sync (fx->proxy, "audited", NULL, NULL);
  {
    g_autoptr(GVariant) list = NULL;
    g_autoptr(GVariant) row = NULL;
    alger_dbus_server1_call_list_connections_sync (fx->proxy, &list, NULL, NULL);
    row = g_variant_get_child_value (list, 0);
    alger_dbus_server1_call_disconnect_client_sync (fx->proxy, dict_string (row, "id"), NULL,
                                                    NULL);
  }

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++) {
    g_autofree char *q = g_strdup_printf (
      "select count(*) from user_actions where action = '%s' and user_id is null and "
      "json_extract(details, '$.uid') = %u and json_extract(details, '$.via') = 'dbus' and "
      "json_extract(details, '$.sender') = '%s'",
      actions[i], (guint) getuid (), g_dbus_connection_get_unique_name (fx->conn));
    g_test_message ("%s", actions[i]);
    wait_db (fx->server, q);
  }
  sql = g_strdup_printf ("select count(*) from user_actions where action = "
                         "'admin_set_max_concurrent_executions' and "
                         "json_extract(details, '$.value') = 2");
  g_assert_cmpint (alger_test_db_int (fx->server, "%s", sql), ==, 1);
  /* a refused write is not a change */
  {
    g_autoptr(GError) error = set_prop (fx, "MaxConcurrentExecutions", g_variant_new_uint32 (0));
    g_assert_nonnull (error);
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'admin_set_max_concurrent_executions' "
                                                  "and json_extract(details, '$.value') = 0"),
                   ==, 0);
}

/* ---- bus trouble does not take the WebSocket service down ---- */

static void
test_name_replaced (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 result = 0;

  /* another connection takes the name (algerd allows replacement) */
  reply = g_dbus_connection_call_sync (fx->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", NAME, 0x2 /* REPLACE_EXISTING */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1); /* PRIMARY_OWNER */
  /* algerd still serves its clients */
  {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
    g_autofree char *id = NULL;
    gint64 rid;
    id = start_run (client, &rid);
    g_assert_nonnull (id);
  }
  g_assert_nonnull (fx->server->process);
}

static void
test_bus_lost (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) before = alger_test_client_connect (fx->server);

  /* take the bus away under algerd */
  g_clear_object (&fx->proxy);
  g_dbus_connection_close_sync (fx->conn, NULL, NULL);
  bus_pid = 0;
  g_test_dbus_down (fx->bus);
  {
    g_autoptr(AlgerTestClient) after = alger_test_client_connect (fx->server);
    g_autofree char *id = NULL;
    gint64 rid;
    id = start_run (after, &rid);
    g_assert_nonnull (id);
    g_assert_false (before->closed);
  }
  /* teardown: SIGTERM still exits 0; a fresh bus for g_test_dbus_down */
  alger_test_server_stop (fx->server);
  g_clear_object (&fx->bus);
  fx->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fx->bus);
}

/* the system-bus code path, on the private bus via DBUS_SYSTEM_BUS_ADDRESS */
static void
test_system_bus (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint stopped = 1;

  g_assert_cmpstr (alger_dbus_server1_get_version (fx->proxy), ==, ALGER_VERSION);
  g_assert_true (alger_dbus_server1_call_halt_sync (fx->proxy, &stopped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stopped, ==, 0);
  wait_db (fx->server, "select count(*) from user_actions where action = 'admin_halt' and "
                       "json_extract(details, '$.bus') = 'system'");
}

/* no bus at all: a warning, and the WebSocket service runs */
static void
test_no_bus (void)
{
  const char *extra[] = { "--bus=session", NULL };
  g_autoptr(AlgerTestServer) server = NULL;
  g_autoptr(AlgerTestClient) client = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  g_autofree char *id = NULL;
  gint64 rid;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/alger-test-bus", TRUE);
  server = alger_test_server_start (extra);
  if (saved != NULL)
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);
  else
    g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  daemon_pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (server->process), NULL, 10);
  client = alger_test_client_connect (server);
  id = start_run (client, &rid);
  g_assert_nonnull (id);
  alger_test_server_stop (server); /* exit status 0 */
  daemon_pid = 0;
}

/* the D-Bus activation file starts algerd on the first call */
static void
test_activation (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("alger-activation-XXXXXX", &error);
  g_autofree char *bin = g_build_filename (dir, "bin", NULL);
  g_autofree char *services = g_build_filename (dir, "services", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *wrapper = g_build_filename (bin, "algerd", NULL);
  g_autofree char *template_path = g_build_filename (g_getenv ("ALGER_SOURCE_ROOT"), "data",
                                                     "org.alger.Server1.service.in", NULL);
  g_autofree char *template = NULL;
  g_autofree char *service = NULL;
  g_autofree char *service_path = g_build_filename (services, "org.alger.Server1.service", NULL);
  g_autofree char *script = NULL;
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) conn = NULL;
  g_autoptr(GVariant) version = NULL;
  g_autoptr(GVariant) pid = NULL;
  g_autoptr(GString) text = NULL;
  guint32 value = 0;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (bin, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (services, 0700), ==, 0);
  /* the installed Exec line, with --bus=system, reaches a wrapper that keeps
   * the test's own options last (they win); the daemon's stdout (dbus-daemon
   * passes on the test's, which meson reads as TAP) goes to stderr */
  script = g_strdup_printf ("#!/bin/sh\nexec '%s' \"$@\" --bus=session --port=0 --http-port=0 "
                            "--state-dir='%s' >&2\n",
                            alger_test_algerd_path (), state);
  g_assert_true (g_file_set_contents (wrapper, script, -1, NULL));
  g_assert_cmpint (g_chmod (wrapper, 0700), ==, 0);
  g_assert_true (g_file_get_contents (template_path, &template, NULL, NULL));
  text = g_string_new (template);
  g_assert_cmpuint (g_string_replace (text, "@sbindir@", bin, 0), ==, 1);
  service = g_string_free (g_steal_pointer (&text), FALSE);
  g_assert_nonnull (strstr (service, "Name=org.alger.Server1\n"));
  g_assert_nonnull (strstr (service, "SystemdService=alger.service\n"));
  g_assert_true (g_file_set_contents (service_path, service, -1, NULL));

  g_test_dbus_add_service_dir (bus, services);
  g_test_dbus_up (bus);
  conn = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  version = g_dbus_connection_call_sync (conn, NAME, PATH, "org.freedesktop.DBus.Properties",
                                         "Get", g_variant_new ("(ss)", IFACE, "Version"),
                                         G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000,
                                         NULL, &error);
  g_assert_no_error (error);
  pid = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                     g_variant_new ("(s)", NAME), G_VARIANT_TYPE ("(u)"),
                                     G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (pid, "(u)", &value);
  g_assert_cmpuint (value, >, 0);
  daemon_pid = (pid_t) value;
  {
    g_autoptr(GVariant) inner = NULL;
    g_variant_get (version, "(v)", &inner);
    g_assert_cmpstr (g_variant_get_string (inner, NULL), ==, ALGER_VERSION);
  }
  /* stop it (dbus-daemon reaps it) and wait until it is gone */
  g_assert_cmpint (kill ((pid_t) value, SIGTERM), ==, 0);
  for (guint i = 0; i < 2000 && kill ((pid_t) value, 0) == 0; i++)
    g_usleep (10000);
  g_assert_cmpint (kill ((pid_t) value, 0), !=, 0);
  daemon_pid = 0;
  g_dbus_connection_close_sync (conn, NULL, NULL);
  g_test_dbus_down (bus);
  {
    const char *argv[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
}

/* ---- the README's command lines ---- */

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static GPtrArray *
readme_commands (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("ALGER_SOURCE_ROOT"), "README.md", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *commands = g_ptr_array_new_with_free_func (g_free);
  gboolean in_section = FALSE;
  gboolean in_fence = FALSE;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];

    if (g_str_has_prefix (line, "## ")) {
      in_section = g_str_equal (line, "## Administration");
      continue;
    }
    if (!in_section)
      continue;
    if (g_str_has_prefix (line, "```")) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence && (g_str_has_prefix (line, "gdbus ") || g_str_has_prefix (line, "busctl ")))
      g_ptr_array_add (commands, g_strdup (line));
  }
  return commands;
}

/* point a README line at the private bus */
static char *
retarget (const char *line, const char *address)
{
  g_autofree char *quoted = g_shell_quote (address);
  g_auto(GStrv) words = g_strsplit (line, " ", -1);
  GString *out = g_string_new (NULL);
  gboolean busctl = g_str_has_prefix (line, "busctl ");

  for (guint i = 0; words[i] != NULL; i++) {
    const char *w = words[i];

    if (g_str_equal (w, "--system") || g_str_equal (w, "--session") || g_str_equal (w, "--user"))
      continue;
    if (out->len > 0)
      g_string_append_c (out, ' ');
    g_string_append (out, w);
    if (i == 0 && busctl)
      g_string_append_printf (out, " --address=%s", quoted);
    else if (i == 1 && !busctl) /* gdbus call|introspect */
      g_string_append_printf (out, " --address %s", quoted);
  }
  return g_string_free (out, FALSE);
}

static gboolean
client_closed (gpointer data)
{
  return ((AlgerTestClient *) data)->closed;
}

static void
test_readme (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) commands = readme_commands ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("alger-readme-XXXXXX", &error);
  g_autofree char *pipeline = NULL;
  const char *controls[] = { "MaintenanceMode", "Halt", "Resume", "MaxConcurrentExecutions",
                             "StopExecution", "ListExecutions", "ListConnections",
                             "DisconnectClient", "ImportPipeline", "RemovePipeline" };
  gboolean have_busctl = have_program ("busctl");
  guint ran = 0;

  g_assert_no_error (error);
  /* every control is documented for both tools */
  for (guint c = 0; c < G_N_ELEMENTS (controls); c++) {
    gboolean in_gdbus = FALSE, in_busctl = FALSE;
    for (guint i = 0; i < commands->len; i++) {
      const char *line = g_ptr_array_index (commands, i);
      if (strstr (line, controls[c]) == NULL)
        continue;
      in_gdbus |= g_str_has_prefix (line, "gdbus ");
      in_busctl |= g_str_has_prefix (line, "busctl ");
    }
    g_test_message ("control %s: gdbus %d busctl %d", controls[c], in_gdbus, in_busctl);
    g_assert_true (in_gdbus && in_busctl);
  }

  pipeline = g_build_filename (dir, "pipeline.json", NULL);
  g_assert_true (g_file_set_contents (pipeline,
                                      "{\n  \"id\": \"my-pipeline\",\n  \"name\": \"Mine\",\n"
                                      "  \"full_graph\": {\"nodes\": [], \"edges\": []}\n}\n",
                                      -1, NULL));
  for (guint i = 0; i < commands->len; i++) {
    const char *line = g_ptr_array_index (commands, i);
    g_autofree char *command = retarget (line, fx->address);
    g_auto(GStrv) env = g_get_environ ();
    g_autoptr(AlgerTestClient) runner = NULL;
    g_autoptr(AlgerTestClient) victim = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *execution_id = NULL;
    const char *argv[] = { "/bin/sh", "-c", command, NULL };
    gint64 rid = 0;
    gint status = -1;

    if (g_str_has_prefix (line, "busctl ") && !have_busctl) {
      g_test_message ("no busctl: not running %s", line);
      continue;
    }
    if (strstr (line, "$EXECUTION_ID") != NULL) {
      set_ok (fx, "MaintenanceMode", g_variant_new_boolean (FALSE));
      set_ok (fx, "ExecutionsHalted", g_variant_new_boolean (FALSE));
      runner = alger_test_client_connect (fx->server);
      execution_id = start_run (runner, &rid);
      env = g_environ_setenv (env, "EXECUTION_ID", execution_id, TRUE);
    }
    if (strstr (line, "$CONNECTION_ID") != NULL) {
      g_autoptr(GVariant) list = NULL;
      g_autoptr(GVariant) row = NULL;
      victim = alger_test_client_connect (fx->server);
      wait_cached_uint (fx, "ActiveConnections", 1);
      g_assert_true (alger_dbus_server1_call_list_connections_sync (fx->proxy, &list, NULL,
                                                                    NULL));
      g_assert_cmpuint (g_variant_n_children (list), ==, 1);
      row = g_variant_get_child_value (list, 0);
      env = g_environ_setenv (env, "CONNECTION_ID", dict_string (row, "id"), TRUE);
    }
    g_test_message ("$ %s", command);
    g_spawn_sync (dir, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                  &error);
    g_assert_no_error (error);
    g_test_message ("%s%s", out, err);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("README command failed (%s): %s\n%s", error->message, line, err);
    ran++;
    if (runner != NULL)
      expect_stopped (runner, execution_id, rid);
    if (victim != NULL) {
      g_assert_true (alger_test_wait_until (client_closed, victim, WAIT_MS));
      g_assert_cmpuint (victim->close_code, ==, 1008);
      g_clear_pointer (&victim, alger_test_client_free);
      wait_cached_uint (fx, "ActiveConnections", 0);
    }
    if (runner != NULL) {
      g_clear_pointer (&runner, alger_test_client_free);
      wait_cached_uint (fx, "ActiveConnections", 0);
    }
  }
  g_assert_cmpuint (ran, >=, 20);
  /* the last lines: the session-bus forms */
  g_assert_true (get_bool (fx, "MaintenanceMode"));
  g_assert_true (get_bool (fx, "ExecutionsHalted"));
  g_assert_cmpuint (get_uint (fx, "MaxConcurrentExecutions"), ==, 4);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'admin_import_pipeline'"),
                   ==, have_busctl ? 2 : 1);
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from pipelines where id = 'my-pipeline'"),
                   ==, 0);
  g_unlink (pipeline);
  g_rmdir (dir);
}

/* ---- the policy file, by dbus-daemon's own parser ---- */

static void
run_ok (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  gint status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s: %s\n%s", argv[0], error->message, err);
}

/* start dbus-daemon on a config including @policy: TRUE if it came up */
static gboolean
dbus_daemon_accepts (const char *dir, const char *policy, char **out_stderr)
{
  g_autofree char *conf = g_build_filename (dir, "bus.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDataInputStream) stdout_data = NULL;
  g_autofree char *line = NULL;
  g_autofree char *err = NULL;

  text = g_strdup_printf (
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>system</type>\n"
    "  <listen>unix:dir=%s</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context=\"default\">\n"
    "    <allow user=\"*\"/>\n"
    "    <deny own=\"*\"/>\n"
    "    <deny send_type=\"method_call\"/>\n"
    "    <allow send_destination=\"org.freedesktop.DBus\"/>\n"
    "  </policy>\n"
    "  <include>%s</include>\n"
    "</busconfig>\n",
    dir, policy);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, "dbus-daemon", "--nofork", "--nopidfile", "--print-address",
                             "--config-file", conf, NULL);
  g_assert_no_error (error);
  stdout_data = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  line = g_data_input_stream_read_line (stdout_data, NULL, NULL, NULL);
  if (line != NULL) {
    g_subprocess_send_signal (daemon, SIGTERM);
    g_subprocess_wait (daemon, NULL, NULL);
    g_unlink (conf);
    return g_str_has_prefix (line, "unix:");
  }
  g_subprocess_communicate_utf8 (daemon, NULL, NULL, NULL, &err, NULL);
  g_subprocess_wait (daemon, NULL, NULL);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  g_unlink (conf);
  return FALSE;
}

static void
test_policy (gconstpointer data)
{
  g_autofree char *policy = g_build_filename (g_getenv ("ALGER_SOURCE_ROOT"), "data",
                                              "org.alger.Server1.conf", NULL);
  g_autofree char *broken = NULL;
  g_autofree char *err = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  char *at;

  if (!have_program ("xmllint") || !have_program ("dbus-daemon")) {
    g_test_skip ("xmllint or dbus-daemon missing");
    return;
  }
  {
    const char *argv[] = { "xmllint", "--noout", policy, NULL };
    run_ok (argv);
  }
  dir = g_dir_make_tmp ("alger-policy-XXXXXX", &error);
  g_assert_no_error (error);
  if (!dbus_daemon_accepts (dir, policy, &err))
    g_error ("dbus-daemon refused %s:\n%s", policy, err);

  /* the check has teeth: a policy dbus-daemon cannot parse is refused */
  g_assert_true (g_file_get_contents (policy, &text, NULL, NULL));
  at = strstr (text, "<policy context=\"default\">");
  g_assert_nonnull (at);
  memcpy (at, "<policy context=\"defaulx\">", strlen ("<policy context=\"default\">"));
  broken = g_build_filename (dir, "broken.conf", NULL);
  g_assert_true (g_file_set_contents (broken, text, -1, NULL));
  g_clear_pointer (&err, g_free);
  g_assert_false (dbus_daemon_accepts (dir, broken, &err));
  g_test_message ("broken policy: %s", err);
  g_unlink (broken);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const char *const system_extra[] = { NULL };
  static const FixtureOptions system_bus = { "--bus=system", system_extra };

  g_test_init (&argc, &argv, NULL);
  signal (SIGABRT, on_abort);

#define ADD(path, fn, data)                                                                        \
  g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("/alger/dbus/properties/read", test_properties_read, NULL);
  ADD ("/alger/dbus/properties/live", test_properties_live, NULL);
  ADD ("/alger/dbus/properties/write", test_properties_write, NULL);
  ADD ("/alger/dbus/gate/maintenance", test_gate_maintenance, NULL);
  ADD ("/alger/dbus/gate/halted", test_gate_halted, NULL);
  ADD ("/alger/dbus/gate/concurrency", test_gate_concurrency, NULL);
  ADD ("/alger/dbus/method/halt-resume", test_halt_resume, NULL);
  ADD ("/alger/dbus/method/stop-execution", test_stop_execution, NULL);
  ADD ("/alger/dbus/method/list-executions", test_list_executions, NULL);
  ADD ("/alger/dbus/method/connections", test_connections, NULL);
  ADD ("/alger/dbus/method/pipelines", test_pipelines, NULL);
  ADD ("/alger/dbus/signals", test_signals, NULL);
  ADD ("/alger/dbus/audit", test_audit, NULL);
  ADD ("/alger/dbus/bus/name-replaced", test_name_replaced, NULL);
  ADD ("/alger/dbus/bus/lost", test_bus_lost, NULL);
  ADD ("/alger/dbus/bus/system", test_system_bus, &system_bus);
  ADD ("/alger/dbus/readme", test_readme, NULL);
#undef ADD
  g_test_add_data_func ("/alger/dbus/policy", NULL, test_policy);
  g_test_add_func ("/alger/dbus/bus/none", test_no_bus);
  g_test_add_func ("/alger/dbus/activation", test_activation);
  return g_test_run ();
}
