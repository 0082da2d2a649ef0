/* alger-test-harness.h: run the real algerd and talk to it like a client */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  GSubprocess *process;
  char *state_dir;
  char *database;
  char *outputs_dir;
  guint port;
  GPtrArray *args; /* the command line, to restart with the same options */
  /* its stdout after the "listening" line, read to the end by a thread of
   * ours (so that its writes neither fail nor block on a full pipe) */
  GThread *drain;
  char *output;
  GStrv env; /* NAME=VALUE set for it (nullable); kept for restarts */
} AlgerTestServer;

/* extra: NULL-terminated extra algerd options (nullable) */
AlgerTestServer *alger_test_server_start (const char *const *extra);
/* the same, with NAME=VALUE entries (nullable) added to its environment;
 * every server starts without G_MESSAGES_DEBUG unless env sets it (the
 * test process keeps its own environment: setenv is not thread-safe) */
AlgerTestServer *alger_test_server_start_env (const char *const *extra,
                                              const char *const *env);
/* start on an existing (prepared) state dir, e.g. one holding a legacy
 * alger.sqlite3; the server owns it from now on (freed with the server) */
AlgerTestServer *alger_test_server_start_in (const char *state_dir, const char *const *extra);
/* start again on the same state dir (and the same port) */
void alger_test_server_restart (AlgerTestServer *server);
/* SIGTERM and wait: asserts exit status 0 */
void alger_test_server_stop (AlgerTestServer *server);
/* SIGKILL and wait */
void alger_test_server_kill (AlgerTestServer *server);
void alger_test_server_free (AlgerTestServer *server);
/* what it printed on stdout after the "listening" line, up to its exit
 * (call once it is stopped or killed) */
char *alger_test_server_read_output (AlgerTestServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerTestServer, alger_test_server_free)

/* if the test aborts (failed g_assert, g_error), SIGKILL this server so it
 * does not outlive the test holding its output pipes; call again after each
 * (re)start, and with NULL once it is stopped */
void alger_test_server_guard (AlgerTestServer *server);

const char *alger_test_algerd_path (void);
const char *alger_test_shared_dir (void); /* ../shared, or NULL */

typedef struct {
  SoupSession *session;
  SoupWebsocketConnection *connection;
  GQueue frames; /* JsonObject, raw frames as received */
  gboolean closed;
  gushort close_code;
  char *close_reason;
  gint64 last_id; /* highest id received */
} AlgerTestClient;

/* connect with ?query (nullable) offering protocols (NULL = none); NULL + error on failure */
AlgerTestClient *alger_test_client_connect_full (AlgerTestServer *server, const char *query,
                                                 const char *const *protocols,
                                                 GError **error);
/* admin/admin, subprotocol alger; asserts success */
AlgerTestClient *alger_test_client_connect (AlgerTestServer *server);
/* admin/admin, subprotocol alger, sending this User-Agent; asserts success */
AlgerTestClient *alger_test_client_connect_with_agent (AlgerTestServer *server,
                                                       const char *user_agent);
void alger_test_client_free (AlgerTestClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerTestClient, alger_test_client_free)

void alger_test_client_send_raw (AlgerTestClient *client, const char *text);
void alger_test_client_send_binary (AlgerTestClient *client, gconstpointer data, gsize len);
/* send a request with id = last received id + 1; returns that id */
gint64 alger_test_client_send (AlgerTestClient *client, gint type, const char *content_json);
/* the next frame (waits up to 20 s; fails the test on timeout) */
JsonObject *alger_test_client_recv (AlgerTestClient *client);
/* the parsed `content` of a frame */
JsonObject *alger_test_frame_content (JsonObject *frame);
/* wait until closed (up to 20 s); returns the close code */
gushort alger_test_client_wait_closed (AlgerTestClient *client);
/* TRUE if a frame arrives within ms */
gboolean alger_test_client_poll (AlgerTestClient *client, guint ms);

/* spin the default main context until cond() or timeout */
gboolean alger_test_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms);

/* a raw WebSocket (admin/admin, alger) past its handshake; rcvbuf > 0 sets
 * the client's receive buffer first (a small window for a slow reader) */
GSocketConnection *alger_test_raw_open (AlgerTestServer *server, gint rcvbuf);
/* the same with another query string ("username=admin&password=wrong") */
GSocketConnection *alger_test_raw_open_query (AlgerTestServer *server, gint rcvbuf,
                                              const char *query);
/* append one masked frame: `opcode`, a header declaring `declared_len`
 * bytes, then `sent_len` bytes of `payload` */
void alger_test_raw_append_frame (GByteArray *out, guint8 opcode, const guint8 *payload,
                                  gsize declared_len, gsize sent_len);
/* read frames until the server's close frame: its code (-1: none came) */
gint alger_test_raw_read_close (GSocketConnection *conn);
/* open a raw WebSocket (admin/admin, alger), send one masked frame with `opcode`
 * whose header declares `declared_len` bytes but carries only `sent_len` of
 * `payload`, and return the code of the close frame the server sends (-1 none) */
gint alger_test_raw_exchange (AlgerTestServer *server, guint8 opcode, const guint8 *payload,
                              gsize declared_len, gsize sent_len);

/* read-only queries on the server's database */
gint64 alger_test_db_int (AlgerTestServer *server, const char *sql_format, ...) G_GNUC_PRINTF (2, 3);
char *alger_test_db_string (AlgerTestServer *server, const char *sql_format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
