/* test-durability.c: audit before send, checked the hard way.
 *
 * Several clients run closed loops of 101 requests against the real algerd
 * as fast as it answers; the server is killed with SIGKILL mid-stream,
 * restarted on the same state dir, and every frame any client received must
 * be in the database, with the row of the request it answers (STORE.md,
 * "Durability: audit before effect"). */
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "alger-test-harness.h"

#define N_CLIENTS 6
#define N_ROUNDS 6
/* a round must see at least this many frames, or it proves nothing */
#define MIN_FRAMES 300

typedef struct {
  gint64 id;
  gint64 request_id;
  gint64 type;
} Received;

/* one round: when and how the server dies */
typedef struct {
  AlgerTestServer *server;
  guint total;         /* frames received by all clients */
  gint64 deadline;     /* monotonic time after which to kill */
  guint min_total;     /* …and not before this many frames */
  gboolean from_handler; /* kill inside a message handler, the instant a frame arrives */
  gboolean killed;
} Round;

typedef struct {
  AlgerTestClient *client;
  char *agent;
  GArray *received; /* Received, in arrival order */
  gint64 last_sent;
  Round *round;
  gboolean bad_frame; /* a frame that is not a well-formed 201 answer */
} LoadClient;

static gboolean
time_to_kill (Round *round)
{
  return g_get_monotonic_time () >= round->deadline && round->total >= round->min_total;
}

/* SIGKILL now, without waiting: the clients keep reading what is on its way */
static void
kill_now (Round *round)
{
  g_subprocess_send_signal (round->server->process, SIGKILL);
  round->killed = TRUE;
}

static void
send_next (LoadClient *lc)
{
  if (soup_websocket_connection_get_state (lc->client->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  lc->last_sent = alger_test_client_send (lc->client, 101, "{\"userId\":\"admin\"}");
}

/* runs after the harness's own handler, which queued the parsed frame */
static void
on_load_message (SoupWebsocketConnection *conn, SoupWebsocketDataType type, GBytes *message,
                 gpointer user_data)
{
  LoadClient *lc = user_data;
  JsonObject *frame = g_queue_pop_tail (&lc->client->frames);
  Received r;

  g_assert_nonnull (frame);
  r.id = json_object_get_int_member (frame, "id");
  r.request_id = json_object_get_int_member (frame, "requestId");
  r.type = json_object_get_int_member (frame, "type");
  json_object_unref (frame);
  /* a closed loop: the answer to what we sent, with the next id */
  if (r.type != 201 || r.request_id != lc->last_sent || r.id != lc->last_sent)
    lc->bad_frame = TRUE;
  g_array_append_val (lc->received, r);
  lc->round->total++;
  if (!lc->round->killed && lc->round->from_handler && time_to_kill (lc->round))
    kill_now (lc->round);
  send_next (lc);
}

static gboolean
all_closed (gpointer data)
{
  LoadClient *clients = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    if (!clients[i].client->closed)
      return FALSE;
  return TRUE;
}

static gboolean
round_timer_due (gpointer data)
{
  Round *round = data;

  return round->killed || time_to_kill (round);
}

/* rows of one conversation, keyed "direction/message_id/request_id/type_code" */
typedef struct {
  GHashTable *rows;
  guint n_incoming;
  guint n_outgoing;
} ConversationRows;

static void
load_conversation (AlgerTestServer *server, const char *agent, ConversationRows *out)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *conv = NULL;
  int rc;

  g_assert_cmpint (alger_test_db_int (server,
                                      "select count(*) from conversations c join connections k "
                                      "on c.connection_id = k.id where k.user_agent = '%s'",
                                      agent),
                   ==, 1);
  conv = alger_test_db_string (server,
                               "select c.id from conversations c join connections k on "
                               "c.connection_id = k.id where k.user_agent = '%s'",
                               agent);
  g_assert_nonnull (conv);

  out->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  out->n_incoming = out->n_outgoing = 0;
  rc = sqlite3_open_v2 (server->database, &db, SQLITE_OPEN_READONLY, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  rc = sqlite3_prepare_v2 (db,
                           "select direction, message_id, request_id, type_code, "
                           "json_extract(payload, '$.content.user.id'), "
                           "json_extract(payload, '$.content.userId') "
                           "from conversation_messages where conversation_id = ?1",
                           -1, &stmt, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, conv, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    const char *direction = (const char *) sqlite3_column_text (stmt, 0);
    gboolean outgoing = g_strcmp0 (direction, "outgoing") == 0;
    const char *who = (const char *) sqlite3_column_text (stmt, outgoing ? 4 : 5);
    char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                 direction, (gint64) sqlite3_column_int64 (stmt, 1),
                                 (gint64) sqlite3_column_int64 (stmt, 2),
                                 (gint64) sqlite3_column_int64 (stmt, 3));

    /* the row carries the frame's payload, not just its header */
    g_assert_cmpstr (who, ==, "admin");
    /* no frame is recorded twice */
    g_assert_true (g_hash_table_add (out->rows, key));
    if (outgoing)
      out->n_outgoing++;
    else
      out->n_incoming++;
  }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static gboolean
has_row (ConversationRows *rows, const char *direction, gint64 message_id, gint64 request_id,
         gint64 type)
{
  g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                                          "/%" G_GINT64_FORMAT,
                                          direction, message_id, request_id, type);
  return g_hash_table_contains (rows->rows, key);
}

/* run the load on a live server, kill -9 it, return the clients */
static LoadClient *
run_round (AlgerTestServer *server, guint index, Round *round)
{
  LoadClient *clients = g_new0 (LoadClient, N_CLIENTS);

  round->server = server;
  round->total = 0;
  round->killed = FALSE;
  round->min_total = MIN_FRAMES;
  for (guint i = 0; i < N_CLIENTS; i++) {
    LoadClient *lc = &clients[i];

    lc->agent = g_strdup_printf ("alger-durability/%d/round-%u/client-%u", (int) getpid (),
                                 index, i);
    lc->client = alger_test_client_connect_with_agent (server, lc->agent);
    lc->received = g_array_new (FALSE, FALSE, sizeof (Received));
    lc->round = round;
    g_signal_connect_after (lc->client->connection, "message", G_CALLBACK (on_load_message),
                            lc);
  }
  /* all clients start together, then run closed loops */
  round->deadline += g_get_monotonic_time ();
  for (guint i = 0; i < N_CLIENTS; i++)
    send_next (&clients[i]);

  g_assert_true (alger_test_wait_until (round_timer_due, round, 60000));
  /* mid-stream: every client has a request in flight right now */
  if (!round->killed)
    kill_now (round);
  /* take what was already on its way (those frames were sent, so they count) */
  g_assert_true (alger_test_wait_until (all_closed, clients, 20000));
  alger_test_server_kill (server); /* reap it */
  alger_test_server_guard (NULL);
  return clients;
}

/* returns how many clients had an answer committed that never reached them */
static guint
check_round (AlgerTestServer *server, LoadClient *clients, guint total)
{
  guint checked = 0;
  guint in_flight = 0;

  for (guint i = 0; i < N_CLIENTS; i++) {
    LoadClient *lc = &clients[i];
    ConversationRows rows;

    g_assert_false (lc->bad_frame);
    load_conversation (server, lc->agent, &rows);
    for (guint k = 0; k < lc->received->len; k++) {
      Received *r = &g_array_index (lc->received, Received, k);

      /* ids run 1, 2, 3… with no gap */
      g_assert_cmpint (r->id, ==, (gint64) k + 1);
      if (!has_row (&rows, "outgoing", r->id, r->request_id, r->type))
        g_error ("client %u received frame id %" G_GINT64_FORMAT " (requestId %" G_GINT64_FORMAT
                 ", type %" G_GINT64_FORMAT ") that is not in the database",
                 i, r->id, r->request_id, r->type);
      if (!has_row (&rows, "incoming", r->request_id, r->request_id, 101))
        g_error ("client %u received an answer to request %" G_GINT64_FORMAT
                 " whose incoming row is not in the database",
                 i, r->request_id);
      checked++;
    }
    /* one request in flight at most: the server cannot have recorded more
     * than one answer (or request) beyond what the client saw */
    g_assert_cmpuint (rows.n_outgoing, >=, lc->received->len);
    g_assert_cmpuint (rows.n_outgoing, <=, lc->received->len + 1);
    g_assert_cmpuint (rows.n_incoming, >=, lc->received->len);
    g_assert_cmpuint (rows.n_incoming, <=, lc->received->len + 1);
    if (rows.n_outgoing > lc->received->len)
      in_flight++;
    /* the crashed connection is recorded, with its user once it was
     * answered (one killed while its credentials were still being checked
     * has none yet) */
    g_assert_cmpint (alger_test_db_int (server,
                                        "select count(*) from connections where "
                                        "user_agent = '%s' and (user_id is not null or %u = 0) "
                                        "and client_ip = '127.0.0.1'",
                                        lc->agent, lc->received->len),
                     ==, 1);
    g_hash_table_unref (rows.rows);
  }
  g_assert_cmpuint (checked, ==, total);
  return in_flight;
}

static void
free_round (LoadClient *clients)
{
  for (guint i = 0; i < N_CLIENTS; i++) {
    g_signal_handlers_disconnect_by_data (clients[i].client->connection, &clients[i]);
    alger_test_client_free (clients[i].client);
    g_array_unref (clients[i].received);
    g_free (clients[i].agent);
  }
  g_free (clients);
}

static void
test_kill_mid_stream (void)
{
  g_autoptr(AlgerTestServer) server = alger_test_server_start (NULL);
  /* kill at different moments, early to later in the stream; odd rounds
   * kill from the message handler the instant a frame arrives, when an
   * answer sent before its commit would most likely be lost */
  const gint64 delays_ms[N_ROUNDS] = { 150, 300, 500, 700, 900, 1100 };
  guint grand_total = 0;

  alger_test_server_guard (server);
  for (guint index = 0; index < N_ROUNDS; index++) {
    Round round = { 0 };
    LoadClient *clients;
    gint64 stale;
    guint in_flight;

    round.deadline = delays_ms[index] * 1000; /* relative; run_round adds the start time */
    round.from_handler = index % 2 == 1;
    clients = run_round (server, index, &round);
    g_test_message ("round %u: %u frames received by %d clients before kill -9 (%s)", index,
                    round.total, N_CLIENTS, round.from_handler ? "on a frame" : "on a timer");
    g_assert_cmpuint (round.total, >=, MIN_FRAMES);
    alger_test_server_restart (server);
    alger_test_server_guard (server);
    in_flight = check_round (server, clients, round.total);
    g_test_message ("round %u: %u of %d clients had an answer committed but not received "
                    "(killed between commit and delivery)", index, in_flight, N_CLIENTS);
    stale = alger_test_db_int (server, "select count(*) from connections where status = 'open'");
    g_test_message ("round %u: %" G_GINT64_FORMAT " connection rows still 'open' after the "
                    "restart", index, stale);
    free_round (clients);
    grand_total += round.total;
  }
  g_test_message ("%u frames checked over %d rounds", grand_total, N_ROUNDS);
  /* the crashed connections: all recorded; nothing marks them at start yet
   * (they stay 'open'), but whatever marks them must say when they ended */
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where "
                                              "user_agent like 'alger-durability/%%/round-%%'"),
                   ==, N_CLIENTS * N_ROUNDS);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where "
                                              "user_agent like 'alger-durability/%%/round-%%' "
                                              "and (status = 'open') = (disconnected_at is not "
                                              "null)"),
                   ==, 0);

  /* the restarted server serves: a fresh client gets its profile */
  {
    g_autoptr(AlgerTestClient) client = alger_test_client_connect_with_agent (
      server, "alger-durability/after");
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) content = NULL;

    alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    frame = alger_test_client_recv (client);
    g_assert_cmpint (json_object_get_int_member (frame, "type"), ==, 201);
    g_assert_cmpint (json_object_get_int_member (frame, "id"), ==, 1);
    content = alger_test_frame_content (frame);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (content,
                                                                                    "user"),
                                                    "id"),
                     ==, "admin");
  }
  /* and shuts down cleanly after the crashes (asserts exit status 0) */
  alger_test_server_stop (server);
  alger_test_server_guard (NULL);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where "
                                              "user_agent = 'alger-durability/after' and "
                                              "status = 'closed' and disconnected_at is not "
                                              "null"),
                   ==, 1);
  {
    g_autofree char *integrity = alger_test_db_string (server, "pragma integrity_check");
    g_assert_cmpstr (integrity, ==, "ok");
  }
}

static gboolean
slow_connection_recorded (gpointer data)
{
  return alger_test_db_int (data, "select count(*) from connections k join conversations c on "
                                  "c.connection_id = k.id where k.path like "
                                  "'%%username=slow%%' and k.status = 'open' and k.user_id is "
                                  "null and c.user_id is null") == 1;
}

/* a connection is on record while its credentials are checked (the hash is
 * slow on purpose): kill -9 then, and the row is there after the restart,
 * ended as 'interrupted', without a user */
static void
test_kill_while_verifying (void)
{
  g_autoptr(AlgerTestServer) server = alger_test_server_start (NULL);
  g_autoptr(AlgerTestClient) client = NULL;
  g_autoptr(GError) error = NULL;
  const char *protocols[] = { "alger", NULL };
  sqlite3 *db = NULL;

  alger_test_server_guard (server);
  alger_test_server_stop (server);
  /* sha512-crypt with 50 million rounds: checking any password against it
   * takes the server tens of seconds */
  g_assert_cmpint (sqlite3_open (server->database, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "insert into users (id, username, password_hash) values "
                                 "('slow-user', 'slow', '$6$rounds=50000000$saltsalt$"
                                 "notthehash')",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  alger_test_server_restart (server);
  alger_test_server_guard (server);

  client = alger_test_client_connect_full (server, "username=slow&password=secret", protocols,
                                           &error);
  g_assert_no_error (error);
  g_assert_true (alger_test_wait_until (slow_connection_recorded, server, 10000));
  alger_test_server_kill (server);
  alger_test_server_guard (NULL);

  alger_test_server_restart (server);
  alger_test_server_guard (server);
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections k join "
                                              "conversations c on c.connection_id = k.id where "
                                              "k.path like '%%username=slow%%' and k.status = "
                                              "'interrupted' and k.user_id is null and "
                                              "k.disconnected_at is not null and c.ended_at is "
                                              "not null"),
                   ==, 1);
  /* the password is not on record */
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from connections where path like "
                                              "'%%secret%%'"),
                   ==, 0);
  alger_test_server_stop (server);
  alger_test_server_guard (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/durability/kill-mid-stream", test_kill_mid_stream);
  g_test_add_func ("/alger/durability/kill-while-verifying", test_kill_while_verifying);
  return g_test_run ();
}
