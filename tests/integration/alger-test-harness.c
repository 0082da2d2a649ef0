/* alger-test-harness.c: run the real algerd and talk to it like a client */
#include "alger-test-harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include <string.h>

#define RECV_TIMEOUT_MS 20000

const char *
alger_test_algerd_path (void)
{
  static char *path = NULL;

  if (path == NULL) {
    const char *root = g_getenv ("ALGER_BUILD_ROOT");
    g_assert_nonnull (root);
    path = g_build_filename (root, "src", "server", "algerd", NULL);
  }
  return path;
}

const char *
alger_test_shared_dir (void)
{
  const char *dir = g_getenv ("ALGER_SHARED_DIR");

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  return dir;
}

static void guard_release (pid_t pid);

static pid_t
pid_of (AlgerTestServer *server)
{
  const char *ident = server->process != NULL ? g_subprocess_get_identifier (server->process)
                                              : NULL;

  return ident != NULL ? (pid_t) g_ascii_strtoll (ident, NULL, 10) : 0;
}

/* reads the rest of a server's stdout until it exits; returns the text */
static gpointer
drain_thread (gpointer data)
{
  g_autoptr(GInputStream) in = data;
  GString *out = g_string_new (NULL);
  char buf[4096];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (out, buf, n);
  return g_string_free (out, FALSE);
}

/* the previous process's output, once it has exited */
static void
join_drain (AlgerTestServer *server)
{
  if (server->drain == NULL)
    return;
  g_free (server->output);
  server->output = g_thread_join (g_steal_pointer (&server->drain));
}

static AlgerTestServer *start_prepared (AlgerTestServer *server, const char *state_dir,
                                        const char *const *extra);

static void
spawn (AlgerTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "algerd: listening on ws://";

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  for (guint i = 0; server->env != NULL && server->env[i] != NULL; i++) {
    g_auto(GStrv) pair = g_strsplit (server->env[i], "=", 2);

    g_assert_nonnull (pair[1]);
    g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
  }
  server->process = g_subprocess_launcher_spawnv (launcher,
                                                  (const char *const *) server->args->pdata,
                                                  &error);
  g_assert_no_error (error);
  join_drain (server);
  g_clear_pointer (&server->output, g_free);
  data = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  for (;;) {
    g_clear_pointer (&line, g_free);
    line = g_data_input_stream_read_line (data, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (line); /* algerd exited before listening */
    if (g_str_has_prefix (line, prefix)) {
      const char *colon = strrchr (line, ':');
      server->port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
      break;
    }
  }
  g_assert_cmpuint (server->port, >, 0);
  /* the data stream goes on (with what it has buffered) on the drain thread */
  server->drain = g_thread_new ("algerd-stdout", drain_thread, g_steal_pointer (&data));
  /* a failed assertion from here on kills it instead of leaving it to hold
   * the test's output open until meson's timeout */
  alger_test_server_guard (server);
}

AlgerTestServer *
alger_test_server_start (const char *const *extra)
{
  return alger_test_server_start_env (extra, NULL);
}

AlgerTestServer *
alger_test_server_start_env (const char *const *extra, const char *const *env)
{
  g_autoptr(GError) error = NULL;
  /* g_dir_make_tmp() replaces the Xs with a unique name */
  g_autofree char *state_dir = g_dir_make_tmp ("alger-test-XXXXXX", &error);
  AlgerTestServer *server;

  g_assert_no_error (error);
  server = g_new0 (AlgerTestServer, 1);
  server->env = g_strdupv ((char **) env);
  return start_prepared (server, state_dir, extra);
}

AlgerTestServer *
alger_test_server_start_in (const char *state_dir, const char *const *extra)
{
  return start_prepared (g_new0 (AlgerTestServer, 1), state_dir, extra);
}

static AlgerTestServer *
start_prepared (AlgerTestServer *server, const char *state_dir, const char *const *extra)
{
  g_assert_true (g_file_test (state_dir, G_FILE_TEST_IS_DIR));
  server->state_dir = g_strdup (state_dir);
  server->database = g_build_filename (server->state_dir, "alger.sqlite3", NULL);
  server->outputs_dir = g_build_filename (server->state_dir, "outputs", NULL);
  server->args = g_ptr_array_new_with_free_func (g_free);
  /* e.g. ALGER_TEST_WRAPPER="valgrind --error-exitcode=99 --leak-check=full" */
  if (g_getenv ("ALGER_TEST_WRAPPER") != NULL) {
    g_auto(GStrv) words = g_strsplit (g_getenv ("ALGER_TEST_WRAPPER"), " ", -1);
    for (guint i = 0; words[i] != NULL; i++) {
      if (words[i][0] != '\0')
        g_ptr_array_add (server->args, g_strdup (words[i]));
    }
  }
  g_ptr_array_add (server->args, g_strdup (alger_test_algerd_path ()));
  g_ptr_array_add (server->args, g_strdup ("--port=0"));
  g_ptr_array_add (server->args, g_strdup_printf ("--state-dir=%s", server->state_dir));
  g_ptr_array_add (server->args, g_strdup ("--bus=none"));
  g_ptr_array_add (server->args, g_strdup ("--http-port=0"));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (server->args, g_strdup (extra[i]));
  g_ptr_array_add (server->args, NULL);
  spawn (server);
  return server;
}

void
alger_test_server_restart (AlgerTestServer *server)
{
  g_autofree char *port = g_strdup_printf ("--port=%u", server->port);

  g_assert_null (server->process);
  for (guint i = 0; i < server->args->len; i++) {
    char *arg = g_ptr_array_index (server->args, i);
    if (arg != NULL && g_str_has_prefix (arg, "--port=")) {
      g_free (arg);
      server->args->pdata[i] = g_steal_pointer (&port);
      break;
    }
  }
  spawn (server);
}

void
alger_test_server_stop (AlgerTestServer *server)
{
  g_autoptr(GError) error = NULL;
  pid_t pid = pid_of (server);

  g_assert_nonnull (server->process);
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  guard_release (pid);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->process);
}

void
alger_test_server_kill (AlgerTestServer *server)
{
  pid_t pid = pid_of (server);

  g_assert_nonnull (server->process);
  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, NULL);
  guard_release (pid);
  g_clear_object (&server->process);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  }
  g_rmdir (path);
}

void
alger_test_server_free (AlgerTestServer *server)
{
  if (server == NULL)
    return;
  if (server->process != NULL)
    alger_test_server_kill (server);
  if (g_getenv ("ALGER_TEST_KEEP") == NULL)
    remove_tree (server->state_dir);
  g_free (server->state_dir);
  g_free (server->database);
  g_free (server->outputs_dir);
  g_ptr_array_unref (server->args);
  g_strfreev (server->env);
  join_drain (server);
  g_free (server->output);
  g_free (server);
}

char *
alger_test_server_read_output (AlgerTestServer *server)
{
  g_assert_null (server->process); /* it has exited: the pipe ends */
  join_drain (server);
  return g_strdup (server->output != NULL ? server->output : "");
}

/* ---- client ---- */

static void
on_message (SoupWebsocketConnection *conn, SoupWebsocketDataType type, GBytes *message,
            gpointer user_data)
{
  AlgerTestClient *client = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  JsonObject *obj;

  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  obj = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_int_member (obj, "id") > client->last_id)
    client->last_id = json_object_get_int_member (obj, "id");
  g_queue_push_tail (&client->frames, json_object_ref (obj));
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  AlgerTestClient *client = user_data;

  client->closed = TRUE;
  client->close_code = soup_websocket_connection_get_close_code (conn);
  client->close_reason = g_strdup (soup_websocket_connection_get_close_data (conn));
}

typedef struct {
  gboolean done;
  SoupWebsocketConnection *connection;
  GError *error;
} ConnectResult;

static void
connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConnectResult *res = user_data;

  res->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                           &res->error);
  res->done = TRUE;
}

static gboolean
connect_done (gpointer data)
{
  return ((ConnectResult *) data)->done;
}

gboolean
alger_test_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data)) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_main_context_iteration (NULL, FALSE);
    if (!cond (data))
      g_usleep (200);
  }
  return TRUE;
}

static AlgerTestClient *
client_connect (AlgerTestServer *server, const char *query, const char *const *protocols,
                const char *user_agent, GError **error)
{
  AlgerTestClient *client = g_new0 (AlgerTestClient, 1);
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  ConnectResult res = { 0 };

  g_queue_init (&client->frames);
  if (user_agent != NULL)
    client->session = soup_session_new_with_options ("user-agent", user_agent, NULL);
  else
    client->session = soup_session_new ();
  url = g_strdup_printf ("ws://127.0.0.1:%u/%s%s", server->port, query != NULL ? "?" : "",
                         query != NULL ? query : "");
  msg = soup_message_new ("GET", url);
  soup_session_websocket_connect_async (client->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, connected, &res);
  g_assert_true (alger_test_wait_until (connect_done, &res, RECV_TIMEOUT_MS));
  if (res.connection == NULL) {
    g_propagate_error (error, res.error);
    alger_test_client_free (client);
    return NULL;
  }
  client->connection = res.connection;
  soup_websocket_connection_set_max_incoming_payload_size (client->connection, 0);
  g_signal_connect (client->connection, "message", G_CALLBACK (on_message), client);
  g_signal_connect (client->connection, "closed", G_CALLBACK (on_closed), client);
  return client;
}

AlgerTestClient *
alger_test_client_connect_full (AlgerTestServer *server, const char *query,
                                const char *const *protocols, GError **error)
{
  return client_connect (server, query, protocols, NULL, error);
}

AlgerTestClient *
alger_test_client_connect_with_agent (AlgerTestServer *server, const char *user_agent)
{
  const char *protocols[] = { "alger", NULL };
  g_autoptr(GError) error = NULL;
  AlgerTestClient *client;

  client = client_connect (server, "username=admin&password=admin", protocols, user_agent,
                           &error);
  g_assert_no_error (error);
  return client;
}

AlgerTestClient *
alger_test_client_connect (AlgerTestServer *server)
{
  const char *protocols[] = { "alger", NULL };
  g_autoptr(GError) error = NULL;
  AlgerTestClient *client;

  client = alger_test_client_connect_full (server, "username=admin&password=admin", protocols,
                                           &error);
  g_assert_no_error (error);
  return client;
}

static gboolean
client_closed (gpointer data)
{
  return ((AlgerTestClient *) data)->closed;
}

void
alger_test_client_free (AlgerTestClient *client)
{
  if (client == NULL)
    return;
  if (client->connection != NULL) {
    g_signal_handlers_disconnect_by_data (client->connection, client);
    if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_clear_object (&client->connection);
  }
  g_queue_clear_full (&client->frames, (GDestroyNotify) json_object_unref);
  g_clear_object (&client->session);
  g_free (client->close_reason);
  g_free (client);
}

void
alger_test_client_send_raw (AlgerTestClient *client, const char *text)
{
  soup_websocket_connection_send_text (client->connection, text);
}

void
alger_test_client_send_binary (AlgerTestClient *client, gconstpointer data, gsize len)
{
  soup_websocket_connection_send_binary (client->connection, data, len);
}

gint64
alger_test_client_send (AlgerTestClient *client, gint type, const char *content_json)
{
  g_autoptr(JsonNode) content = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *escaped = NULL;
  g_autofree char *text = NULL;
  gint64 id = client->last_id + 1;

  json_node_set_string (content, content_json != NULL ? content_json : "{}");
  json_generator_set_root (gen, content);
  escaped = json_generator_to_data (gen, NULL);
  text = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",\"requestId\":%" G_GINT64_FORMAT
                          ",\"type\":%d,\"content\":%s}",
                          id, id, type, escaped);
  alger_test_client_send_raw (client, text);
  return id;
}

static gboolean
has_frame (gpointer data)
{
  AlgerTestClient *client = data;

  return !g_queue_is_empty (&client->frames) || client->closed;
}

JsonObject *
alger_test_client_recv (AlgerTestClient *client)
{
  if (!alger_test_wait_until (has_frame, client, RECV_TIMEOUT_MS))
    g_error ("no frame within %d ms", RECV_TIMEOUT_MS);
  if (g_queue_is_empty (&client->frames))
    g_error ("connection closed (code %u, %s) while waiting for a frame", client->close_code,
             client->close_reason != NULL ? client->close_reason : "");
  return g_queue_pop_head (&client->frames);
}

gboolean
alger_test_client_poll (AlgerTestClient *client, guint ms)
{
  alger_test_wait_until (has_frame, client, ms);
  return !g_queue_is_empty (&client->frames);
}

JsonObject *
alger_test_frame_content (JsonObject *frame)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *text = json_object_get_string_member (frame, "content");

  g_assert_nonnull (text);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

gushort
alger_test_client_wait_closed (AlgerTestClient *client)
{
  g_assert_true (alger_test_wait_until (client_closed, client, RECV_TIMEOUT_MS));
  return client->close_code;
}

/* ---- database ---- */

static sqlite3_stmt *
prepare (AlgerTestServer *server, sqlite3 **db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_open_v2 (server->database, db, SQLITE_OPEN_READONLY, NULL);

  g_assert_cmpint (rc, ==, SQLITE_OK);
  sqlite3_busy_timeout (*db, 5000);
  rc = sqlite3_prepare_v2 (*db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (*db));
  return stmt;
}

gint64
alger_test_db_int (AlgerTestServer *server, const char *sql_format, ...)
{
  g_autofree char *sql = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt;
  gint64 value = -1;
  va_list args;

  va_start (args, sql_format);
  sql = g_strdup_vprintf (sql_format, args);
  va_end (args);
  stmt = prepare (server, &db, sql);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

char *
alger_test_db_string (AlgerTestServer *server, const char *sql_format, ...)
{
  g_autofree char *sql = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt;
  char *value = NULL;
  va_list args;

  va_start (args, sql_format);
  sql = g_strdup_vprintf (sql_format, args);
  va_end (args);
  stmt = prepare (server, &db, sql);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* ---- raw client: exact bytes on the wire, for limits libsoup's client hides ---- */

static gboolean
read_exact (GInputStream *in, guint8 *buf, gsize len)
{
  gsize got = 0;

  return g_input_stream_read_all (in, buf, len, &got, NULL, NULL) && got == len;
}

GSocketConnection *
alger_test_raw_open (AlgerTestServer *server, gint rcvbuf)
{
  return alger_test_raw_open_query (server, rcvbuf, "username=admin&password=admin");
}

GSocketConnection *
alger_test_raw_open_query (AlgerTestServer *server, gint rcvbuf, const char *query)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) server->port);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  GInputStream *in;
  guint8 byte;
  guint state = 0;
  gsize written = 0;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  /* before connecting, so the window it advertises stays small */
  if (rcvbuf > 0)
    g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL));
  g_socket_set_timeout (socket, 20);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  conn = g_socket_connection_factory_create_connection (socket);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  request = g_strdup_printf ("GET /?%s HTTP/1.1\r\n"
                             "Host: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Protocol: alger\r\n\r\n",
                             query, server->port);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), &written, NULL, &error);
  g_assert_no_error (error);
  /* skip the 101 response headers */
  while (state < 4 && read_exact (in, &byte, 1))
    state = (byte == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (byte == '\r' ? 1 : 0);
  g_assert_cmpuint (state, ==, 4);
  return g_steal_pointer (&conn);
}

void
alger_test_raw_append_frame (GByteArray *out, guint8 opcode, const guint8 *payload,
                             gsize declared_len, gsize sent_len)
{
  const guint8 mask[4] = { 1, 2, 3, 4 };
  guint8 byte;

  byte = 0x80 | opcode;
  g_byte_array_append (out, &byte, 1);
  if (declared_len < 126) {
    byte = 0x80 | (guint8) declared_len;
    g_byte_array_append (out, &byte, 1);
  } else if (declared_len <= 0xffff) {
    byte = 0x80 | 126;
    g_byte_array_append (out, &byte, 1);
    byte = (guint8) (declared_len >> 8);
    g_byte_array_append (out, &byte, 1);
    byte = (guint8) declared_len;
    g_byte_array_append (out, &byte, 1);
  } else {
    byte = 0x80 | 127;
    g_byte_array_append (out, &byte, 1);
    for (gint shift = 56; shift >= 0; shift -= 8) {
      byte = (guint8) ((guint64) declared_len >> shift);
      g_byte_array_append (out, &byte, 1);
    }
  }
  g_byte_array_append (out, mask, 4);
  for (gsize i = 0; i < sent_len; i++) {
    byte = payload[i] ^ mask[i % 4];
    g_byte_array_append (out, &byte, 1);
  }
}

gint
alger_test_raw_exchange (AlgerTestServer *server, guint8 opcode, const guint8 *payload,
                         gsize declared_len, gsize sent_len)
{
  g_autoptr(GSocketConnection) conn = alger_test_raw_open (server, 0);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  gsize written = 0;

  alger_test_raw_append_frame (frame, opcode, payload, declared_len, sent_len);
  /* the server may close before reading it all: ignore write errors */
  g_output_stream_write_all (out, frame->data, frame->len, &written, NULL, NULL);

  return alger_test_raw_read_close (conn);
}

gint
alger_test_raw_read_close (GSocketConnection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));

  for (;;) {
    guint8 head[2];
    guint64 len;
    g_autofree guint8 *body = NULL;

    if (!read_exact (in, head, 2))
      return -1;
    len = head[1] & 0x7f;
    if (len == 126) {
      guint8 ext[2];
      if (!read_exact (in, ext, 2))
        return -1;
      len = ((guint64) ext[0] << 8) | ext[1];
    } else if (len == 127) {
      guint8 ext[8];
      if (!read_exact (in, ext, 8))
        return -1;
      len = 0;
      for (guint i = 0; i < 8; i++)
        len = (len << 8) | ext[i];
    }
    body = g_malloc (len + 1);
    if (len > 0 && !read_exact (in, body, len))
      return -1;
    if ((head[0] & 0x0f) == 0x8)
      return len >= 2 ? (body[0] << 8) | body[1] : 1005;
  }
}

/* ---- abort guard: a failed assertion must not leave algerd running ---- */

static volatile pid_t guarded_pid;

/* the process has exited: its pid may be reused */
static void
guard_release (pid_t pid)
{
  if (pid > 0 && guarded_pid == pid)
    guarded_pid = 0;
}

static void
guard_on_fatal_signal (int sig)
{
  if (guarded_pid > 0)
    kill (guarded_pid, SIGKILL);
  signal (sig, SIG_DFL);
  raise (sig);
}

void
alger_test_server_guard (AlgerTestServer *server)
{
  static gboolean installed = FALSE;
  const char *ident = NULL;

  if (!installed) {
    signal (SIGABRT, guard_on_fatal_signal); /* g_assert */
    signal (SIGTRAP, guard_on_fatal_signal); /* g_error */
    installed = TRUE;
  }
  if (server != NULL && server->process != NULL)
    ident = g_subprocess_get_identifier (server->process);
  guarded_pid = ident != NULL ? (pid_t) g_ascii_strtoll (ident, NULL, 10) : 0;
}
