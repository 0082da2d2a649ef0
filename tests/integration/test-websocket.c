/* test-websocket.c: the Alger protocol end to end against the real algerd
 * (connection, frames, sequencing, requests 100-102, audit rows) */
#include <string.h>

#include "alger-test-harness.h"

typedef struct {
  AlgerTestServer *server;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->server = alger_test_server_start (data);
}

static void
fixture_setup_plain (Fixture *fx, gconstpointer data)
{
  fx->server = alger_test_server_start (NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  alger_test_server_free (fx->server);
}

static JsonObject *
expect_frame (AlgerTestClient *client, gint64 id, gint64 request_id, gint64 type)
{
  JsonObject *frame = alger_test_client_recv (client);

  g_assert_cmpint (json_object_get_int_member (frame, "type"), ==, type);
  g_assert_cmpint (json_object_get_int_member (frame, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, request_id);
  g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (frame, "content")));
  return frame;
}

static const char *
content_error (JsonObject *frame, JsonObject **out_content)
{
  JsonObject *content = alger_test_frame_content (frame);

  *out_content = content;
  return json_object_get_string_member_with_default (content, "error", NULL);
}

/* ---- connection ---- */

static void
test_profile (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) content = NULL;
  JsonObject *user;

  g_assert_cmpstr (soup_websocket_connection_get_protocol (client->connection), ==, "alger");
  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
  content = alger_test_frame_content (frame);
  user = json_object_get_object_member (content, "user");
  g_assert_nonnull (user);
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, "admin");
  g_assert_cmpstr (json_object_get_string_member (user, "name"), ==, "Administrator");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (user, "roles")), ==, 2);
  g_assert_true (json_object_has_member (user, "email"));
  g_assert_true (json_object_has_member (user, "metadata"));
  g_assert_true (json_object_has_member (user, "lastLogin"));
  g_assert_false (json_object_has_member (user, "password_hash"));
}

static void
test_profile_errors (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  const struct {
    const char *content;
    const char *error;
  } cases[] = {
    { "{}", "userId is required" },
    { "{\"userId\":\"\"}", "userId is required" },
    { "{\"userId\":\"mallory\"}", "user 'mallory' not found" },
    { "{\"userId\":[1,2]}", "userId must be a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gint64 id = alger_test_client_send (client, 101, cases[i].content);
    g_autoptr(JsonObject) frame = expect_frame (client, id, id, 301);
    g_autoptr(JsonObject) content = NULL;
    g_assert_cmpstr (content_error (frame, &content), ==, cases[i].error);
  }
}

static void
test_subprotocol_choice (Fixture *fx, gconstpointer data)
{
  const char *protocols[] = { "foo", "alger", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerTestClient) client = NULL;

  client = alger_test_client_connect_full (fx->server, "username=admin&password=admin",
                                           protocols, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (soup_websocket_connection_get_protocol (client->connection), ==, "alger");
}

typedef struct {
  const char *name;
  const char *query;
  gboolean offer_alger;
  gushort code;
} RefusalCase;

static const RefusalCase refusal_cases[] = {
  { "bad-password", "username=admin&password=wrong", TRUE, 4401 },
  { "unknown-user", "username=nobody&password=admin", TRUE, 4401 },
  { "no-credentials", NULL, TRUE, 4401 },
  { "no-password", "username=admin", TRUE, 4401 },
  { "no-subprotocol", "username=admin&password=admin", FALSE, 4406 },
};

static void
test_refusal (Fixture *fx, gconstpointer data)
{
  const RefusalCase *rc = data;
  const char *protocols[] = { "alger", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerTestClient) client = NULL;
  g_autofree char *path = NULL;

  client = alger_test_client_connect_full (fx->server, rc->query,
                                           rc->offer_alger ? protocols : NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_test_client_wait_closed (client), ==, rc->code);
  g_assert_nonnull (client->close_reason);
  g_assert_cmpstr (client->close_reason, !=, "");
  /* recorded with the peer address, never with the password */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'refused' and client_ip = '127.0.0.1'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where "
                                                  "payload like '%%127.0.0.1%%'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'login_attempt' and "
                                                  "details like '%%\"success\":false%%'"),
                   ==, 1);
  path = alger_test_db_string (fx->server, "select path from connections");
  g_assert_null (strstr (path, "password=admin"));
  g_assert_null (strstr (path, "password=wrong"));
}

static gboolean
has_error_log (gpointer data)
{
  return alger_test_db_int (data, "select count(*) from error_logs") > 0;
}

static void
test_refusal_other_subprotocol (Fixture *fx, gconstpointer data)
{
  const char *protocols[] = { "foo", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerTestClient) client = NULL;

  /* libsoup answers the handshake with 400 on its own; PROTOCOL.md allows it */
  client = alger_test_client_connect_full (fx->server, "username=admin&password=admin",
                                           protocols, &error);
  if (client != NULL)
    g_assert_cmpuint (alger_test_client_wait_closed (client), ==, 4406);
  else
    g_assert_nonnull (error);
  /* no frame follows a refused handshake to wait on: the row lands on its own */
  g_assert_true (alger_test_wait_until (has_error_log, fx->server, 10000));
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs"), ==, 1);
}

/* ---- sequencing ---- */

static void
test_sequence_recovery (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) f1 = NULL;
  g_autoptr(JsonObject) f2 = NULL;
  g_autoptr(JsonObject) f3 = NULL;
  g_autoptr(JsonObject) f4 = NULL;
  g_autoptr(JsonObject) c2 = NULL;

  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  f1 = expect_frame (client, 1, 1, 201);
  /* skip an id: 395 with expected/received, requestId = received id */
  alger_test_client_send_raw (client, "{\"id\":5,\"requestId\":5,\"type\":101,"
                                      "\"content\":\"{\\\"userId\\\":\\\"admin\\\"}\"}");
  f2 = expect_frame (client, 2, 5, 395);
  c2 = alger_test_frame_content (f2);
  g_assert_cmpstr (json_object_get_string_member (c2, "error"), ==, "incorrect message id");
  g_assert_cmpint (json_object_get_int_member (c2, "expectedId"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (c2, "receivedId"), ==, 5);
  /* the 395 advanced last_id: the old expected id is now wrong too */
  alger_test_client_send_raw (client, "{\"id\":2,\"requestId\":2,\"type\":101,\"content\":\"{}\"}");
  f3 = expect_frame (client, 3, 2, 395);
  /* and (last id) + 1 works again */
  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  f4 = expect_frame (client, 4, 4, 201);
}

static void
test_unknown_type (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  const gint types[] = { 150, 105, 200, 0, -1 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    gint64 id = alger_test_client_send (client, types[i], "{}");
    g_autoptr(JsonObject) frame = expect_frame (client, id, id, 396);
    g_autoptr(JsonObject) content = NULL;
    g_autofree char *want = g_strdup_printf ("Unsupported message type: %d", types[i]);
    g_assert_cmpstr (content_error (frame, &content), ==, want);
  }
}

/* every malformed variant gets 396 with requestId 0, before the id check */
static const char *const malformed[] = {
  "not json",
  "[1,2,3]",
  "42",
  "\"text\"",
  "{}",
  "{\"requestId\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":\"x\",\"requestId\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":1.5,\"requestId\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":true,\"requestId\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":9223372036854775808,\"requestId\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":1,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":1,\"requestId\":null,\"type\":101,\"content\":\"{}\"}",
  "{\"id\":1,\"requestId\":1,\"content\":\"{}\"}",
  "{\"id\":1,\"requestId\":1,\"type\":\"abc\",\"content\":\"{}\"}",
  "{\"id\":1,\"requestId\":1,\"type\":101,\"content\":{}}",
  "{\"id\":1,\"requestId\":1,\"type\":101,\"content\":5}",
  "{\"id\":1,\"requestId\":1,\"type\":101,\"content\":\"{not json\"}",
  "{\"id\":1,\"requestId\":1,\"type\":101,\"content\":\"[1]\"}",
  "{\"id\":1,\"requestId\":1,\"type\":101,\"content\":\"3\"}",
};

static void
test_malformed (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  gint64 expected_id = 1;

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++) {
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) content = NULL;
    const char *error;

    alger_test_client_send_raw (client, malformed[i]);
    frame = expect_frame (client, expected_id++, 0, 396);
    error = content_error (frame, &content);
    g_assert_nonnull (error);
    g_assert_cmpstr (error, !=, "");
  }
  /* still usable: the next id is the last received + 1 */
  {
    gint64 id = alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    g_autoptr(JsonObject) ok = expect_frame (client, id, id, 201);
    g_assert_cmpint (id, ==, (gint64) G_N_ELEMENTS (malformed) + 1);
  }
  /* each bad frame is audited with its error */
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from conversation_messages where "
                                      "direction = 'incoming' and error is not null"),
                   ==, G_N_ELEMENTS (malformed));
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where "
                                                  "severity = 'protocol'"),
                   ==, G_N_ELEMENTS (malformed));
}

static void
test_lenient_ids (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) f1 = NULL;
  g_autoptr(JsonObject) f2 = NULL;
  g_autoptr(JsonObject) f3 = NULL;

  /* decimal strings and an empty content are accepted, as the original did */
  alger_test_client_send_raw (client, "{\"id\":\"1\",\"requestId\":\"1\",\"type\":\"101\","
                                      "\"content\":\"{\\\"userId\\\":\\\"admin\\\"}\"}");
  f1 = expect_frame (client, 1, 1, 201);
  alger_test_client_send_raw (client, "{\"id\":2,\"requestId\":2,\"type\":101,\"content\":\"\"}");
  f2 = expect_frame (client, 2, 2, 301);
  /* binary frames holding UTF-8 JSON are handled like text */
  {
    const char *text = "{\"id\":3,\"requestId\":3,\"type\":101,"
                       "\"content\":\"{\\\"userId\\\":\\\"admin\\\"}\"}";
    alger_test_client_send_binary (client, text, strlen (text));
    f3 = expect_frame (client, 3, 3, 201);
  }
  /* a binary frame that is not UTF-8 gets 396 */
  {
    const guint8 junk[] = { 0xff, 0xfe, 0x00, 0x80 };
    g_autoptr(JsonObject) f4 = NULL;
    alger_test_client_send_binary (client, junk, sizeof junk);
    f4 = expect_frame (client, 4, 0, 396);
  }
}

static void
test_oversized_frame (Fixture *fx, gconstpointer data)
{
  const guint8 payload[16] = "{\"id\":1,\"reque";

  /* a header announcing more than 1 MiB is refused before the payload is read */
  g_assert_cmpint (alger_test_raw_exchange (fx->server, 0x1, payload, 1024 * 1024 + 16,
                                            sizeof payload),
                   ==, 1009);
}

static void
test_small_frame_limit (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  g_autofree guint8 *big = g_malloc0 (600);

  /* under the configured 512-byte limit: served */
  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
  memset (big, 'x', 600);
  g_assert_cmpint (alger_test_raw_exchange (fx->server, 0x1, big, 600, 600), ==, 1009);
}

static void
test_invalid_utf8_text (Fixture *fx, gconstpointer data)
{
  const guint8 junk[] = { '{', 0xc3, 0x28, '}' };

  g_assert_cmpint (alger_test_raw_exchange (fx->server, 0x1, junk, sizeof junk, sizeof junk),
                   ==, 1007);
}

/* ---- requests ---- */

static void
test_login (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) bad = NULL;
  g_autoptr(JsonObject) okc = NULL;
  g_autoptr(JsonObject) badc = NULL;
  gint64 id;

  id = alger_test_client_send (client, 100, "{\"username\":\"admin\",\"password\":\"admin\"}");
  ok = expect_frame (client, id, id, 200);
  okc = alger_test_frame_content (ok);
  g_assert_cmpstr (json_object_get_string_member (okc, "status"), ==, "login-ok");
  id = alger_test_client_send (client, 100, "{\"username\":\"admin\",\"password\":\"nope\"}");
  bad = expect_frame (client, id, id, 300);
  g_assert_cmpstr (content_error (bad, &badc), ==, "unknown credentials or password mismatch");

  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'login_attempt'"),
                   ==, 2);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'login'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from users where "
                                                  "username = 'admin' and last_login is not null"),
                   ==, 1);
  /* the password never reaches the database */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where payload like '%%nope%%' or payload "
                                                  "like '%%\"password\":\"admin\"%%'"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "details like '%%nope%%'"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from users where "
                                                  "password_hash like '$%%' and "
                                                  "password_hash not like '%%admin%%'"),
                   ==, 1);
}

static void
test_catalog (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) content = NULL;
  JsonArray *pipelines;
  JsonObject *demo;
  const char *keys[] = { "id", "name", "full_graph", "nodes", "description", "metadata",
                         "created_at", "updated_at" };

  alger_test_client_send (client, 102, "{}");
  frame = expect_frame (client, 1, 1, 202);
  content = alger_test_frame_content (frame);
  pipelines = json_object_get_array_member (content, "pipelines");
  g_assert_cmpuint (json_array_get_length (pipelines), >=, 1);
  demo = json_array_get_object_element (pipelines, 0);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (demo, keys[i]));
  g_assert_cmpstr (json_object_get_string_member (demo, "id"), ==, "demo");
  g_assert_cmpstr (json_object_get_string_member (demo, "name"), ==, "Basic");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (demo, "nodes")), ==, 7);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'list_pipelines'"),
                   ==, 1);
}

static void
test_catalog_empty (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) content = NULL;

  alger_test_client_send (client, 102, "{}");
  frame = expect_frame (client, 1, 1, 302);
  g_assert_cmpstr (content_error (frame, &content), ==, "no pipeline data available");
}

/* every frame in and out has its row, with its ids, types and payload */
static void
test_audit_rows (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  guint n = 20;

  for (guint i = 0; i < n; i++) {
    gint64 id = alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    g_autoptr(JsonObject) frame = expect_frame (client, id, id, 201);
  }
  g_clear_pointer (&client, alger_test_client_free);
  alger_test_server_stop (fx->server);

  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages"),
                   ==, 2 * n);
  for (guint i = 1; i <= n; i++) {
    g_assert_cmpint (alger_test_db_int (fx->server,
                                        "select count(*) from conversation_messages where "
                                        "direction = 'incoming' and message_id = %u and "
                                        "request_id = %u and type_code = 101 and "
                                        "json_extract(payload, '$.content.userId') = 'admin'",
                                        i, i),
                     ==, 1);
    g_assert_cmpint (alger_test_db_int (fx->server,
                                        "select count(*) from conversation_messages where "
                                        "direction = 'outgoing' and message_id = %u and "
                                        "request_id = %u and type_code = 201 and "
                                        "status_code = 201 and "
                                        "json_extract(payload, '$.content.user.id') = 'admin'",
                                        i, i),
                     ==, 1);
  }
  /* the request's row precedes its answer */
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from conversation_messages o join "
                                      "conversation_messages i on i.message_id = o.request_id "
                                      "and i.direction = 'incoming' where o.direction = "
                                      "'outgoing' and i.id > o.id"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'closed' and disconnected_at is not "
                                                  "null and path = '/?username=admin&password="
                                                  "[redacted]'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversations where "
                                                  "ended_at is not null"),
                   ==, 1);
}

/* clients that leave while their answer waits for its audit row: the answer
 * is still recorded, never sent, and the session (whose last reference the
 * pending frame held) is freed safely; the server goes on serving */
static void
test_gone_with_reply_pending (Fixture *fx, gconstpointer data)
{
  guint n = 20, burst = 5;

  /* each client sends a burst (ids 1..burst: each answer takes the next id,
   * so all are in sequence) and closes at once: its answers are still
   * waiting for their rows when the server sees it go */
  for (guint i = 0; i < n; i++) {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);

    for (guint k = 1; k <= burst; k++) {
      g_autofree char *text = g_strdup_printf (
          "{\"id\":%u,\"requestId\":%u,\"type\":101,\"content\":\"{\\\"userId\\\":\\\"admin\\\"}\"}", k, k);
      alger_test_client_send_raw (client, text);
    }
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    /* until the server answers the close: a client that drops its socket
     * at once can make the server's next write fail (the peer answers it
     * with a reset), and libsoup then stops reading frames that were
     * already on their way, which the server never saw */
    alger_test_client_wait_closed (client);
  }
  {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
    gint64 id = alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    g_autoptr(JsonObject) frame = expect_frame (client, id, id, 201);
  }
  alger_test_server_stop (fx->server);
  /* every frame in is recorded: handled, or (its client gone while the
   * credentials were still being checked) with the reason it was not */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'incoming' and type_code = "
                                                  "101 and json_extract(payload, "
                                                  "'$.content.userId') = 'admin'"),
                   ==, n * burst + 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'incoming' and (error is "
                                                  "null or error = 'not handled: the connection "
                                                  "closed first')"),
                   ==, n * burst + 1);
  /* each handled one has its answer recorded */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'incoming' and error is null"),
                   ==, alger_test_db_int (fx->server, "select count(*) from "
                                                      "conversation_messages where direction = "
                                                      "'outgoing' and type_code = 201"));
  /* and every connection, with its conversation, even one that left before
   * its user was known */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'closed'"),
                   ==, n + 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversations where "
                                                  "ended_at is not null and last_message_id is "
                                                  "not null"),
                   ==, n + 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages m "
                                                  "join conversations c on c.id = "
                                                  "m.conversation_id where m.id < "
                                                  "c.first_message_id or m.id > "
                                                  "c.last_message_id"),
                   ==, 0);
}

static void
test_shutdown (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;

  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
  g_subprocess_send_signal (fx->server->process, SIGTERM);
  g_assert_cmpuint (alger_test_client_wait_closed (client), ==, 1001);
  g_subprocess_wait (fx->server->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (fx->server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (fx->server->process), ==, 0);
  g_clear_object (&fx->server->process);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'closed'"),
                   ==, 1);
}

/* a client that stops answering pings is dropped and the drop recorded */
static void
test_keepalive_drop (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  GIOStream *stream;
  gint64 deadline;

  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
  /* stop reading entirely: no pong goes back */
  stream = soup_websocket_connection_get_io_stream (client->connection);
  g_assert_nonnull (stream);
  g_signal_handlers_disconnect_by_data (client->connection, client);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline &&
         alger_test_db_int (fx->server, "select count(*) from error_logs where message like "
                                        "'%%keepalive%%'") == 0)
    g_usleep (100000);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where "
                                                  "message like '%%keepalive%%'"),
                   ==, 1);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* a client that answers pings stays connected however long it idles */
static void
test_keepalive_alive (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;

  alger_test_wait_until (never, NULL, 5000);
  g_assert_false (client->closed);
  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs"), ==, 0);
}

static gint64
backlog_drops (AlgerTestServer *server)
{
  return alger_test_db_int (server, "select count(*) from error_logs where message like "
                                    "'client stopped reading%%'");
}

/* a client that sends requests but never reads the answers is dropped once
 * more than --max-send-backlog bytes wait for it: the answers do not pile up
 * in the server without bound; other clients go on */
static void
test_send_backlog (Fixture *fx, gconstpointer data)
{
  /* a 4 KB receive window: the kernel's buffers fill after a few answers */
  g_autoptr(GSocketConnection) conn = alger_test_raw_open (fx->server, 4096);
  GSocket *socket = g_socket_connection_get_socket (conn);
  g_autoptr(AlgerTestClient) other = NULL;
  g_autoptr(JsonObject) frame = NULL;
  guint8 buf[65536];
  gint64 sent = 0, deadline;
  gssize n;

  /* ids 1, 2, 3 …: each the answer's id before it, read or not; twenty
   * at a time, the next ones once these are answered (recorded), so the 256
   * queued requests that close a connection are never reached */
  while (sent < 4000 && backlog_drops (fx->server) == 0) {
    g_autoptr(GByteArray) batch = g_byte_array_new ();

    for (guint i = 0; i < 20; i++) {
      g_autofree char *text =
        g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",\"requestId\":%" G_GINT64_FORMAT
                         ",\"type\":102,\"content\":\"{}\"}",
                         sent + 1, sent + 1);

      alger_test_raw_append_frame (batch, 0x1, (const guint8 *) text, strlen (text),
                                   strlen (text));
      sent++;
    }
    /* after the drop writes fail: that ends the loop too */
    if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                    batch->data, batch->len, NULL, NULL, NULL))
      break;
    deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    while (alger_test_db_int (fx->server, "select count(*) from conversation_messages where "
                                          "direction = 'outgoing'") < sent &&
           backlog_drops (fx->server) == 0 && g_get_monotonic_time () < deadline)
      g_usleep (10000);
  }
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (backlog_drops (fx->server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (50000);
  g_assert_cmpint (backlog_drops (fx->server), ==, 1);

  /* the socket was shut down: what the kernel held, then the end */
  g_socket_set_timeout (socket, 10);
  do
    n = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
  while (n > 0);
  g_assert_cmpint (n, <=, 0);
  g_assert_true (n == 0 || n == -1);

  /* recorded as closed; the server serves others */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (alger_test_db_int (fx->server, "select count(*) from connections where status = "
                                        "'closed' and disconnected_at is not null") == 0 &&
         g_get_monotonic_time () < deadline)
    g_usleep (50000);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'closed'"),
                   ==, 1);
  other = alger_test_client_connect (fx->server);
  alger_test_client_send (other, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (other, 1, 1, 201);
}

/* a client may send 256 requests ahead of the one being handled; the next
 * one closes the connection with 1008.  Every frame that arrived is in the
 * audit log, those never handled with that error, and nothing is answered
 * after the close (no 395 for the ids that went unanswered) */
/* @n frames (ids 1..@n, request @type, @content as a JSON string literal)
 * written at once behind a raw connection's upgrade; returns the close code
 * the server sent, then closes our end and waits (at most 20 s) until
 * @done_sql counts a row, so the server has recorded the end */
static gint
raw_flood (Fixture *fx, GSocketConnection *conn, guint type, const char *content, guint n,
           const char *done_sql)
{
  g_autoptr(GByteArray) batch = g_byte_array_new ();
  gint64 deadline;
  gint code;

  for (guint i = 1; i <= n; i++) {
    g_autofree char *text = g_strdup_printf (
        "{\"id\":%u,\"requestId\":%u,\"type\":%u,\"content\":%s}", i, i, type, content);

    alger_test_raw_append_frame (batch, 0x1, (const guint8 *) text, strlen (text), strlen (text));
  }
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            batch->data, batch->len, NULL, NULL, NULL));
  code = alger_test_raw_read_close (conn);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (alger_test_db_int (fx->server, "%s", done_sql) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  return code;
}

static void
test_too_many_queued (Fixture *fx, gconstpointer data)
{
  g_autoptr(GSocketConnection) conn = alger_test_raw_open (fx->server, 0);
  const guint n = 400;

  /* 102 is answered from a reader thread: the first keeps the session busy
   * while the rest queue */
  g_assert_cmpint (raw_flood (fx, conn, 102, "\"{}\"", n,
                              "select count(*) from connections where status = 'closed'"),
                   ==, 1008);
  alger_test_server_stop (fx->server);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'incoming'"),
                   ==, n);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(distinct message_id) from "
                                                  "conversation_messages where direction = "
                                                  "'incoming'"),
                   ==, n);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'incoming' and error = '%s'",
                                      "not handled: the connection closed first"),
                   >=, n - 257);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where type_code = 395"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where message = "
                                                  "'incorrect message id'"),
                   ==, 0);
}

/* frames a client sends while its credentials are checked and refused are
 * on record (with the refused connection's conversation), never handled */
static void
test_refused_frames_recorded (Fixture *fx, gconstpointer data)
{
  g_autoptr(GSocketConnection) conn =
    alger_test_raw_open_query (fx->server, 0, "username=admin&password=wrong");
  const guint n = 5;

  /* sent at once, behind the upgrade: they arrive while the password is
   * hashed, and the ones after the close frame until the server drops us */
  g_assert_cmpint (raw_flood (fx, conn, 101, "\"{\\\"userId\\\":\\\"admin\\\"}\"", n,
                              "select count(*) from connections where disconnected_at is not null"),
                   ==, 4401);
  alger_test_server_stop (fx->server);
  /* the connection stays refused, with its end; one conversation, no user */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'refused' and user_id is null and "
                                                  "disconnected_at is not null"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversations c join "
                                                  "connections k on k.id = c.connection_id "
                                                  "where c.user_id is null and c.ended_at is "
                                                  "not null"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages m "
                                                  "join conversations c on c.id = "
                                                  "m.conversation_id where m.direction = "
                                                  "'incoming' and m.error = '%s'",
                                      "not handled: credentials refused"),
                   ==, n);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(distinct message_id) from "
                                                  "conversation_messages"),
                   ==, n);
  /* nothing was answered */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversation_messages "
                                                  "where direction = 'outgoing'"),
                   ==, 0);
}

/* a TCP connection to the server, nothing sent yet */
static GSocket *
tcp_connect (AlgerTestServer *server)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) server->port);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  return socket;
}

/* the server closes it: the next read sees the end (not the 10 s timeout) */
static void
assert_closed_by_server (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  char buf[256];
  gssize n;

  g_socket_set_timeout (socket, 10);
  n = g_socket_receive (socket, buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
}

/* a connection that sends no complete request within --handshake-timeout
 * (nothing at all, or headers that never end) is closed and recorded; one
 * that completed its handshake may idle past it */
static void
test_handshake_timeout (Fixture *fx, gconstpointer data)
{
  g_autoptr(GSocket) silent = tcp_connect (fx->server);
  g_autoptr(GSocket) trickle = tcp_connect (fx->server);
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(JsonObject) frame = NULL;
  static const char partial[] = "GET /?username=admin&password=admin HTTP/1.1\r\nHost: x\r\n";
  gint64 deadline;

  g_assert_cmpint (g_socket_send (trickle, partial, sizeof partial - 1, NULL, NULL), ==,
                   sizeof partial - 1);
  assert_closed_by_server (silent);
  assert_closed_by_server (trickle);
  /* the rows are written as the sockets close: wait for their commit */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (alger_test_db_int (fx->server, "select count(*) from error_logs where message like "
                                        "'no complete request%%'") < 2 &&
         g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where message "
                                                  "like 'no complete request within 1 s from "
                                                  "127.0.0.1:%%'"),
                   ==, 2);

  /* the WebSocket client connected first and has idled past the deadline */
  alger_test_wait_until (never, NULL, 1500);
  g_assert_false (client->closed);
  alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
  frame = expect_frame (client, 1, 1, 201);
}

int
main (int argc, char **argv)
{
  static const char *const small_limit[] = { "--max-frame-size=512", NULL };
  static const char *const no_catalog[] = { "--pipelines-dir=/nonexistent", NULL };
  static const char *const short_handshake[] = { "--handshake-timeout=1", NULL };
  static const char *const small_backlog[] = { "--max-send-backlog=64K", NULL };
  static const char *const fast_keepalive[] = { "--keepalive-interval=1",
                                                "--keepalive-timeout=2", NULL };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, data) \
  g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)

  ADD ("/alger/ws/profile", test_profile, NULL);
  ADD ("/alger/ws/profile/errors", test_profile_errors, NULL);
  ADD ("/alger/ws/subprotocol/choice", test_subprotocol_choice, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (refusal_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/ws/refuse/%s", refusal_cases[i].name);
    g_test_add (path, Fixture, &refusal_cases[i], fixture_setup_plain, test_refusal,
                fixture_teardown);
  }
  ADD ("/alger/ws/refuse/other-subprotocol", test_refusal_other_subprotocol, NULL);
  ADD ("/alger/ws/sequence/recovery", test_sequence_recovery, NULL);
  ADD ("/alger/ws/sequence/unknown-type", test_unknown_type, NULL);
  ADD ("/alger/ws/frames/malformed", test_malformed, NULL);
  ADD ("/alger/ws/frames/lenient", test_lenient_ids, NULL);
  ADD ("/alger/ws/frames/oversized", test_oversized_frame, NULL);
  ADD ("/alger/ws/frames/configured-limit", test_small_frame_limit, small_limit);
  ADD ("/alger/ws/frames/invalid-utf8", test_invalid_utf8_text, NULL);
  ADD ("/alger/ws/login", test_login, NULL);
  ADD ("/alger/ws/catalog", test_catalog, NULL);
  ADD ("/alger/ws/catalog/empty", test_catalog_empty, no_catalog);
  ADD ("/alger/ws/audit/rows", test_audit_rows, NULL);
  ADD ("/alger/ws/shutdown", test_shutdown, NULL);
  ADD ("/alger/ws/gone-with-reply-pending", test_gone_with_reply_pending, NULL);
  ADD ("/alger/ws/keepalive/drop", test_keepalive_drop, fast_keepalive);
  ADD ("/alger/ws/keepalive/alive", test_keepalive_alive, fast_keepalive);
  ADD ("/alger/ws/send-backlog", test_send_backlog, small_backlog);
  ADD ("/alger/ws/too-many-queued", test_too_many_queued, NULL);
  ADD ("/alger/ws/refused-frames-recorded", test_refused_frames_recorded, NULL);
  ADD ("/alger/ws/handshake-timeout", test_handshake_timeout, short_handshake);
  return g_test_run ();
}
