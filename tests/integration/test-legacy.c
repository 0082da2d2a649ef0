/* test-legacy.c: algerd opens a database written by the original Python
 * server (../shared/fixtures/legacy/original-alger.sqlite3), upgrades it in
 * place with every row kept, redacts the passwords the original stored in
 * clear, and serves the legacy account, catalog and execution. */
#include <string.h>

#include "alger-test-harness.h"

#define LEGACY_EXECUTION "2c9a0019-ad2b-439a-85f5-3eac781d7293"
#define LEGACY_USER_ID "cae0c7f9-94fa-4a9b-b894-a6edee1bf119"

typedef struct {
  const char *table;
  gint64 original; /* rows in the fixture */
} TableCount;

/* the fixture's row counts (README: one scripted session of the original) */
static const TableCount legacy_counts[] = {
  { "users", 1 },
  { "user_actions", 6 },
  { "connections", 2 },
  { "conversations", 2 },
  { "conversation_messages", 22 },
  { "pipelines", 1 },
  { "executions", 1 },
  { "execution_events", 9 },
};

/* every table, for the restart comparison */
enum { T_USERS, T_ACTIONS, T_CONNECTIONS, T_CONVERSATIONS, T_MESSAGES, T_PIPELINES,
       T_EXECUTIONS, T_EVENTS, T_ERRORS };
static const char *const all_tables[] = {
  [T_USERS] = "users",
  [T_ACTIONS] = "user_actions",
  [T_CONNECTIONS] = "connections",
  [T_CONVERSATIONS] = "conversations",
  [T_MESSAGES] = "conversation_messages",
  [T_PIPELINES] = "pipelines",
  [T_EXECUTIONS] = "executions",
  [T_EVENTS] = "execution_events",
  [T_ERRORS] = "error_logs",
};

static char *
fixture_path (void)
{
  const char *shared = alger_test_shared_dir ();

  if (shared == NULL)
    return NULL;
  return g_build_filename (shared, "fixtures", "legacy", "original-alger.sqlite3", NULL);
}

/* a fresh state dir holding a writable copy of the legacy database */
static AlgerTestServer *
start_on_legacy_copy (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fixture = fixture_path ();
  g_autofree char *state_dir = NULL;
  g_autofree char *target = NULL;
  g_autofree char *contents = NULL;
  AlgerTestServer *server;
  gsize len = 0;

  if (fixture == NULL || !g_file_test (fixture, G_FILE_TEST_IS_REGULAR))
    return NULL;
  state_dir = g_dir_make_tmp ("alger-legacy-XXXXXX", &error);
  g_assert_no_error (error);
  target = g_build_filename (state_dir, "alger.sqlite3", NULL);
  /* not g_file_copy: the fixture is read-only and its mode would follow */
  g_file_get_contents (fixture, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 0);
  g_file_set_contents (target, contents, (gssize) len, &error);
  g_assert_no_error (error);
  server = alger_test_server_start_in (state_dir, NULL);
  alger_test_server_guard (server);
  return server;
}

static gint64
count_rows (AlgerTestServer *server, const char *table)
{
  return alger_test_db_int (server, "select count(*) from \"%s\"", table);
}

static void
assert_no_clear_password (AlgerTestServer *server)
{
  static const struct {
    const char *table;
    const char *column;
  } columns[] = {
    { "connections", "path" },
    { "conversation_messages", "payload" },
    { "conversation_messages", "error" },
    { "executions", "graph" },
    { "executions", "params" },
    { "execution_events", "payload" },
    { "user_actions", "details" },
    { "pipelines", "full_graph" },
    { "error_logs", "payload" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++) {
    gint64 n = alger_test_db_int (server,
                                  "select count(*) from \"%s\" where \"%s\" like "
                                  "'%%password=admin%%' or \"%s\" like '%%\"password\":\"admin\"%%' "
                                  "or \"%s\" like '%%\"password\": \"admin\"%%'",
                                  columns[i].table, columns[i].column, columns[i].column,
                                  columns[i].column);
    if (n != 0)
      g_error ("%s.%s: %" G_GINT64_FORMAT " rows still hold the password in clear",
               columns[i].table, columns[i].column, n);
  }
}

static JsonObject *
request (AlgerTestClient *client, gint type, const char *content, gint64 expect_type)
{
  gint64 id = alger_test_client_send (client, type, content);
  JsonObject *frame = alger_test_client_recv (client);

  if (json_object_get_int_member (frame, "type") != expect_type)
    g_error ("request %d: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT ": %s", type,
             expect_type, json_object_get_int_member (frame, "type"),
             json_object_get_string_member (frame, "content"));
  g_assert_cmpint (json_object_get_int_member (frame, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, id);
  return frame;
}

static void
test_upgrade (void)
{
  g_autoptr(AlgerTestServer) server = start_on_legacy_copy ();
  gint64 after_first[G_N_ELEMENTS (all_tables)];
  g_autofree char *hash = NULL;
  gint64 version;

  if (server == NULL) {
    g_test_skip ("legacy fixture not found (set ALGER_SHARED_DIR)");
    return;
  }

  /* upgraded in place: versioned, every original row kept */
  version = alger_test_db_int (server, "pragma user_version");
  g_assert_cmpint (version, >, 0);
  for (guint i = 0; i < G_N_ELEMENTS (legacy_counts); i++) {
    gint64 n = count_rows (server, legacy_counts[i].table);
    if (n < legacy_counts[i].original)
      g_error ("%s: %" G_GINT64_FORMAT " rows after the upgrade, the original had %" G_GINT64_FORMAT,
               legacy_counts[i].table, n, legacy_counts[i].original);
  }
  /* the original rows themselves, by their ids, not just their number */
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from users where id = '"
                                              LEGACY_USER_ID "' and username = 'admin' and "
                                              "email = 'admin@example.com'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from conversation_messages "
                                              "where id between 1 and 22"),
                   ==, 22);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from execution_events where "
                                              "execution_id = '" LEGACY_EXECUTION "'"),
                   >=, 9);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where "
                                              "user_agent = 'Python/3.11 websockets/10.4'"),
                   ==, 2);
  /* a finished execution is not touched by the crash recovery */
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from executions where id = '"
                                              LEGACY_EXECUTION "' and status = 'finished'"),
                   ==, 1);

  /* redacted, not deleted: the login frame and the paths are still there */
  assert_no_clear_password (server);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where path "
                                              "like '/?username=admin&password=%%' and "
                                              "user_agent like 'Python%%'"),
                   ==, 2);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from conversation_messages "
                                              "where id = 1 and type_code = 100 and "
                                              "json_extract(payload, '$.content.username') = "
                                              "'admin' and json_extract(payload, "
                                              "'$.content.password') is not null"),
                   ==, 1);

  /* the account had no hash: the server gave it one (never the password) */
  hash = alger_test_db_string (server, "select password_hash from users where username = "
                                       "'admin'");
  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "$"));
  g_assert_null (strstr (hash, "admin"));

  /* the legacy account logs in with the default password and sees its data */
  {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect_with_agent (
      server, "alger-legacy/1");
    g_autoptr(JsonObject) login = NULL;
    g_autoptr(JsonObject) profile = NULL;
    g_autoptr(JsonObject) pc = NULL;
    g_autoptr(JsonObject) catalog = NULL;
    g_autoptr(JsonObject) cc = NULL;
    JsonObject *user;
    JsonArray *pipelines;
    JsonObject *demo;

    login = request (client, 100, "{\"username\":\"admin\",\"password\":\"admin\"}", 200);

    profile = request (client, 101, "{\"userId\":\"admin\"}", 201);
    pc = alger_test_frame_content (profile);
    user = json_object_get_object_member (pc, "user");
    g_assert_nonnull (user);
    g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, "admin");
    g_assert_cmpstr (json_object_get_string_member (user, "name"), ==, "Administrator");
    g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, "admin@example.com");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (user, "roles")), ==,
                      2);
    /* the 100 above updated the legacy row's last_login */
    g_assert_cmpstr (json_object_get_string_member (user, "lastLogin"), !=,
                     "2026-11-26 01:14:23");

    catalog = request (client, 102, "{}", 202);
    cc = alger_test_frame_content (catalog);
    pipelines = json_object_get_array_member (cc, "pipelines");
    g_assert_nonnull (pipelines);
    g_assert_cmpuint (json_array_get_length (pipelines), ==, 1);
    demo = json_array_get_object_element (pipelines, 0);
    g_assert_cmpstr (json_object_get_string_member (demo, "id"), ==, "demo");
    g_assert_cmpstr (json_object_get_string_member (demo, "name"), ==, "Basic");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (demo, "nodes")), ==,
                      7);

    /* the legacy run's output, from its stored summary (107 is issue 4) */
    {
      g_autofree char *stored = NULL;
      g_autoptr(JsonNode) stored_node = NULL;
      g_autoptr(JsonObject) out = NULL;
      g_autoptr(JsonObject) oc = NULL;
      g_autoptr(GError) error = NULL;
      JsonNode *content;

      stored = alger_test_db_string (server, "select output_content from executions where id "
                                             "= '" LEGACY_EXECUTION "'");
      g_assert_nonnull (stored);
      stored_node = json_from_string (stored, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (stored_node));

      out = request (client, 107, "{\"executionId\":\"" LEGACY_EXECUTION "\"}", 207);
      oc = alger_test_frame_content (out);
      g_assert_cmpstr (json_object_get_string_member (oc, "executionId"), ==, LEGACY_EXECUTION);
      g_assert_cmpstr (json_object_get_string_member (oc, "file"), ==, LEGACY_EXECUTION ".json");
      content = json_object_get_member (oc, "content");
      g_assert_nonnull (content);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (content));
      g_assert_true (json_node_equal (content, stored_node));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                          json_node_get_object (content), "order")),
                        ==, 7);
    }
  }

  /* a clean stop, then a restart: nothing migrated, imported or created twice */
  alger_test_server_stop (server);
  alger_test_server_guard (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (all_tables); i++)
    after_first[i] = count_rows (server, all_tables[i]);
  g_assert_cmpint (after_first[T_CONNECTIONS], ==, 3);
  g_assert_cmpint (after_first[T_CONVERSATIONS], ==, 3);
  g_assert_cmpint (after_first[T_MESSAGES], ==, 22 + 2 * 4); /* 100, 101, 102, 107 */
  alger_test_server_restart (server);
  alger_test_server_guard (server);
  g_assert_cmpint (alger_test_db_int (server, "pragma user_version"), ==, version);
  for (guint i = 0; i < G_N_ELEMENTS (all_tables); i++) {
    gint64 n = count_rows (server, all_tables[i]);
    if (n != after_first[i])
      g_error ("%s: %" G_GINT64_FORMAT " rows after a restart, %" G_GINT64_FORMAT " before",
               all_tables[i], n, after_first[i]);
  }
  {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect_with_agent (
      server, "alger-legacy/2");
    g_autoptr(JsonObject) profile = request (client, 101, "{\"userId\":\"admin\"}", 201);
  }
  alger_test_server_stop (server);
  alger_test_server_guard (NULL);
  /* only the new connection's rows were added */
  for (guint i = 0; i < G_N_ELEMENTS (all_tables); i++) {
    gint64 added = count_rows (server, all_tables[i]) - after_first[i];
    gint64 want = 0;

    switch (i) {
    case T_CONNECTIONS:
    case T_CONVERSATIONS:
      want = 1;
      break;
    case T_MESSAGES:
      want = 2;
      break;
    case T_ACTIONS: /* get_user_data */
      want = 1;
      break;
    default:
      break;
    }
    if (added != want)
      g_error ("%s: %" G_GINT64_FORMAT " rows added by one connection with one 101, expected %"
               G_GINT64_FORMAT, all_tables[i], added, want);
  }
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from users"), ==, 1);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from pipelines"), ==, 1);
  assert_no_clear_password (server);
  {
    g_autofree char *integrity = alger_test_db_string (server, "pragma integrity_check");
    g_assert_cmpstr (integrity, ==, "ok");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/legacy/upgrade", test_upgrade);
  return g_test_run ();
}
