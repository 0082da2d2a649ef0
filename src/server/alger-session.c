/* alger-session.c: one WebSocket connection speaking the Alger protocol */
#define G_LOG_DOMAIN "alger-session"

#include "config.h"

#include "alger-session.h"

#include <string.h>

#include "alger-error.h"
#include "alger-handlers.h"
#include "alger-json-text.h"
#include "alger-uuid.h"

/* frames a client may send ahead while its previous request is being handled */
#define MAX_QUEUED_REQUESTS 256

typedef enum {
  STATE_AUTHENTICATING,
  STATE_READY,
  STATE_REFUSING,
  STATE_CLOSED,
} SessionState;

typedef struct {
  AlgerSession *session; /* strong ref until the row is committed */
  GBytes *data;
  gboolean committed;
} OutFrame;

struct _AlgerSession {
  GObject parent_instance;

  SoupWebsocketConnection *connection;
  AlgerStore *store;
  AlgerHandlers *handlers;

  char *id;
  char *conversation_id;
  gboolean recorded; /* the connection's row is on its way to the store */
  char *client_ip;
  guint client_port;
  char *user_agent;
  char *origin;
  char *path;
  char *username;
  JsonObject *user;
  char *profile_json; /* the 201 content, built once (the profile rarely changes) */
  GString *profile_literal; /* the same as a JSON string literal, made on first send */
  gint64 connected_at;
  gint64 last_seen;
  AlgerSocketStream *stream; /* nullable */
  guint64 max_send_backlog;  /* 0 = no limit */
  guint64 bytes_queued;      /* frame bytes handed to libsoup */
  gboolean dropped;          /* shut down for not reading */
  gboolean closing;          /* the server closed it: no more requests handled */

  SessionState state;
  gint64 last_id;
  gboolean busy;       /* a request is being handled */
  gboolean processing; /* guards process_incoming against reentrancy */
  GQueue incoming;     /* GBytes, in arrival order */
  GQueue outgoing;     /* OutFrame, in id order */
  gulong message_id;
  gulong closed_id;
  gulong pong_id;
  gulong error_id;
};

G_DEFINE_TYPE (AlgerSession, alger_session, G_TYPE_OBJECT)

enum {
  SIGNAL_CLOSED,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

static void process_incoming (AlgerSession *self);
static void record_unhandled (AlgerSession *self);
static void record_one_unhandled (AlgerSession *self, GBytes *bytes);
static void record_protocol_error (AlgerSession *self, gint64 message_id, gint64 type_code,
                                   const char *message);

static void
out_frame_free (OutFrame *frame)
{
  g_clear_pointer (&frame->data, g_bytes_unref);
  g_clear_object (&frame->session);
  g_free (frame);
}

/* bytes of a server (unmasked) WebSocket frame with this payload */
static guint64
ws_frame_size (gsize payload)
{
  return payload + (payload < 126 ? 2 : payload <= 0xffff ? 4 : 10);
}

/* libsoup queues frames without bound for a peer that stopped reading:
 * past max_send_backlog unsent bytes the client is dropped (its socket shut
 * down, which libsoup sees as the peer going away) */
static void
check_backlog (AlgerSession *self)
{
  guint64 written, waiting;
  g_autofree char *message = NULL;

  if (self->stream == NULL || self->max_send_backlog == 0 || self->dropped)
    return;
  written = alger_socket_stream_get_bytes_written (self->stream);
  waiting = self->bytes_queued > written ? self->bytes_queued - written : 0;
  if (waiting <= self->max_send_backlog)
    return;
  self->dropped = TRUE;
  message = g_strdup_printf ("client stopped reading: %" G_GUINT64_FORMAT
                             " bytes waiting to be sent (limit %" G_GUINT64_FORMAT
                             "); connection dropped",
                             waiting, self->max_send_backlog);
  g_message ("%s: %s", self->id, message);
  record_protocol_error (self, -1, -1, message);
  alger_socket_stream_abort (self->stream);
}

static void
flush_outgoing (AlgerSession *self)
{
  /* each frame holds a reference on the session: the last one freed here
   * may be the session's last */
  g_autoptr(AlgerSession) keep = g_object_ref (self);
  OutFrame *head;

  while ((head = g_queue_peek_head (&self->outgoing)) != NULL && head->committed) {
    g_queue_pop_head (&self->outgoing);
    if (self->state != STATE_CLOSED &&
        soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN) {
      gsize len = 0;
      const char *text = g_bytes_get_data (head->data, &len);
      soup_websocket_connection_send_text (self->connection, text);
      /* the GBytes holds the text and its NUL */
      self->bytes_queued += ws_frame_size (len - 1);
    }
    out_frame_free (head);
  }
  check_backlog (self);
}

static void
out_frame_committed (gboolean ok, const GError *error, gpointer user_data)
{
  OutFrame *frame = user_data;
  AlgerSession *self = frame->session;

  /* a failed audit row is reported to the journal by the store; the client is
   * still served (STORE.md: keep serving what we can) */
  if (!ok)
    g_debug ("sending frame whose audit row failed: %s", error != NULL ? error->message : "?");
  frame->committed = TRUE;
  flush_outgoing (self);
}

static char *
error_of_content (gint64 type, const char *content_json)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *obj;

  if (type < 300 || type >= 400)
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, content_json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  obj = json_node_get_object (root);
  if (json_object_has_member (obj, "error") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "error")) &&
      json_node_get_value_type (json_object_get_member (obj, "error")) == G_TYPE_STRING)
    return g_strdup (json_object_get_string_member (obj, "error"));
  return NULL;
}

static void
send_frame (AlgerSession *self, gint64 request_id, gint64 type, const char *content_json)
{
  AlgerFrameRecord rec = { 0 };
  g_autofree char *error = NULL;
  g_autofree char *text = NULL;
  OutFrame *frame;
  gsize len = 0;
  gint64 id;

  if (self->state == STATE_CLOSED)
    return;
  if (content_json == NULL)
    content_json = "{}";
  id = ++self->last_id;
  if (content_json == self->profile_json) {
    /* the hot path of dashboards polling their profile: escape it once */
    GString *out;

    if (self->profile_literal == NULL) {
      self->profile_literal = g_string_new (NULL);
      alger_json_append_string (self->profile_literal, content_json, -1);
    }
    out = g_string_sized_new (80 + self->profile_literal->len);
    alger_frame_append_head (out, id, request_id, type);
    g_string_append_len (out, self->profile_literal->str, (gssize) self->profile_literal->len);
    g_string_append_c (out, '}');
    len = out->len;
    text = g_string_free (out, FALSE);
  } else {
    text = alger_frame_serialize (id, request_id, type, content_json, &len);
  }
  error = error_of_content (type, content_json);

  frame = g_new0 (OutFrame, 1);
  frame->session = g_object_ref (self);
  frame->data = g_bytes_new_take (g_steal_pointer (&text), len + 1);
  g_queue_push_tail (&self->outgoing, frame);

  rec.conversation_id = self->conversation_id;
  rec.direction = ALGER_DIRECTION_OUTGOING;
  rec.message_id = id;
  rec.request_id = request_id;
  rec.type_code = type;
  rec.status_code = type;
  rec.content = content_json; /* the store writes the frame around it */
  rec.error = error;
  alger_store_record_frame (self->store, &rec, out_frame_committed, frame);
}

void
alger_session_reply (AlgerSession *self, gint64 request_id, gint64 type, const char *content_json)
{
  g_return_if_fail (ALGER_IS_SESSION (self));

  send_frame (self, request_id, type, content_json);
  self->busy = FALSE;
  process_incoming (self);
}

void
alger_session_push (AlgerSession *self, gint64 request_id, gint64 type, const char *content_json)
{
  g_return_if_fail (ALGER_IS_SESSION (self));

  send_frame (self, request_id, type, content_json);
}

static void
record_incoming (AlgerSession *self, const char *data, gsize len, AlgerFrame *frame,
                 const GError *error)
{
  AlgerFrameRecord rec = { 0 };
  /* a frame that parsed: the store writes it around its content */
  g_autofree char *payload = frame != NULL ? NULL : alger_frame_audit_payload (data, len);

  rec.conversation_id = self->conversation_id;
  rec.direction = ALGER_DIRECTION_INCOMING;
  rec.message_id = frame != NULL ? frame->id : alger_frame_peek_id (data, len);
  rec.request_id = frame != NULL ? frame->request_id : -1;
  rec.type_code = frame != NULL ? frame->type : -1;
  rec.status_code = -1;
  rec.payload = payload;
  rec.content = frame != NULL ? frame->content_text : NULL;
  rec.error = error != NULL ? error->message : NULL;
  alger_store_record_frame (self->store, &rec, NULL, NULL);
}

static void
record_protocol_error (AlgerSession *self, gint64 message_id, gint64 type_code,
                       const char *message)
{
  AlgerErrorRecord rec = { 0 };

  rec.conversation_id = self->conversation_id;
  rec.message_id = message_id;
  rec.type_code = type_code;
  rec.severity = "protocol";
  rec.message = message;
  alger_store_record_error (self->store, &rec, NULL, NULL);
}

/* handle one frame; returns with self->busy set when a handler still owes a reply */
static void
handle_frame (AlgerSession *self, GBytes *bytes)
{
  g_autoptr(AlgerFrame) frame = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  frame = alger_frame_parse (data, len, &error);
  record_incoming (self, data, len, frame, error);

  if (frame == NULL) {
    g_autofree char *content = alger_frame_error_content (error->message);
    record_protocol_error (self, alger_frame_peek_id (data, len), -1, error->message);
    send_frame (self, 0, 396, content);
    return;
  }
  if (frame->id != self->last_id + 1) {
    g_autofree char *content = NULL;
    g_autofree char *msg = g_strdup ("incorrect message id");
    content = g_strdup_printf ("{\"error\":\"incorrect message id\",\"expectedId\":%"
                               G_GINT64_FORMAT ",\"receivedId\":%" G_GINT64_FORMAT "}",
                               self->last_id + 1, frame->id);
    record_protocol_error (self, frame->id, frame->type, msg);
    send_frame (self, frame->id, 395, content);
    return;
  }
  if (!alger_frame_type_is_request (frame->type)) {
    g_autofree char *msg = g_strdup_printf ("Unsupported message type: %" G_GINT64_FORMAT,
                                            frame->type);
    g_autofree char *content = alger_frame_error_content (msg);
    record_protocol_error (self, frame->id, frame->type, msg);
    send_frame (self, frame->id, 396, content);
    return;
  }
  self->busy = TRUE;
  alger_handlers_dispatch (self->handlers, self, frame);
}

static void
process_incoming (AlgerSession *self)
{
  if (self->processing)
    return;
  self->processing = TRUE;
  g_object_ref (self);
  while (self->state == STATE_READY && !self->busy && !self->closing) {
    g_autoptr(GBytes) bytes = g_queue_pop_head (&self->incoming);
    if (bytes == NULL)
      break;
    handle_frame (self, bytes);
  }
  self->processing = FALSE;
  g_object_unref (self);
}

static void
on_message (SoupWebsocketConnection *connection, SoupWebsocketDataType type, GBytes *message,
            gpointer user_data)
{
  AlgerSession *self = user_data;

  self->last_seen = g_get_monotonic_time ();
  if (self->state == STATE_CLOSED)
    return;
  /* a refused client's frames are recorded until its close, never handled */
  if (self->state == STATE_REFUSING) {
    record_one_unhandled (self, message);
    return;
  }
  /* once the server has closed the connection, what still arrives is
   * recorded, not handled: its answers could not be sent */
  if (self->closing && self->state == STATE_READY) {
    record_one_unhandled (self, message);
    return;
  }
  if (g_queue_get_length (&self->incoming) >= MAX_QUEUED_REQUESTS) {
    g_queue_push_tail (&self->incoming, g_bytes_ref (message));
    alger_session_close (self, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                         "too many requests queued");
    return;
  }
  g_queue_push_tail (&self->incoming, g_bytes_ref (message));
  process_incoming (self);
}

static void
on_pong (SoupWebsocketConnection *connection, GBytes *message, gpointer user_data)
{
  AlgerSession *self = user_data;

  self->last_seen = g_get_monotonic_time ();
}

/* libsoup drops a peer whose frame is over the limit without a close frame;
 * PROTOCOL.md promises 1009, so write that close frame ourselves before the
 * stream goes (nothing of ours is half-written: we are mid-read) */
static void
on_error (SoupWebsocketConnection *connection, GError *error, gpointer user_data)
{
  AlgerSession *self = user_data;
  AlgerErrorRecord rec = { 0 };
  static const char reason[] = "frame too big";
  guint8 frame[2 + 2 + sizeof reason - 1];
  GIOStream *stream;

  rec.conversation_id = self->state == STATE_READY ? self->conversation_id : NULL;
  rec.severity = "protocol";
  rec.message = error->message;
  rec.message_id = -1;
  rec.type_code = -1;
  alger_store_record_error (self->store, &rec, NULL, NULL);

  if (!g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    return;
  stream = soup_websocket_connection_get_io_stream (connection);
  if (stream == NULL)
    return;
  frame[0] = 0x88;
  frame[1] = (guint8) (sizeof frame - 2);
  frame[2] = SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8;
  frame[3] = SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff;
  memcpy (frame + 4, reason, sizeof reason - 1);
  if (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)))
    g_pollable_output_stream_write_nonblocking (
      G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)), frame, sizeof frame,
      NULL, NULL);
}

static void record_open (AlgerSession *self);

/* frames received but never handled (the client left while an earlier one
 * was in progress, or before its credentials were checked): recorded all
 * the same, with that as their error */
static void
record_one_unhandled (AlgerSession *self, GBytes *bytes)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr(AlgerFrame) frame = alger_frame_parse (data, len, NULL);
  g_autoptr(GError) error = g_error_new_literal (ALGER_ERROR, ALGER_ERROR_PROTOCOL,
                                                 self->state == STATE_REFUSING
                                                   ? ALGER_SESSION_REFUSED_ERROR
                                                   : ALGER_SESSION_UNHANDLED_ERROR);

  record_incoming (self, data, len, frame, error);
}

static void
record_unhandled (AlgerSession *self)
{
  GBytes *bytes;

  while ((bytes = g_queue_pop_head (&self->incoming)) != NULL) {
    record_one_unhandled (self, bytes);
    g_bytes_unref (bytes);
  }
}

static void
on_closed (SoupWebsocketConnection *connection, gpointer user_data)
{
  AlgerSession *self = user_data;
  SessionState was = self->state;

  if (was == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  /* a client that leaves while its credentials are being checked is
   * recorded too, as a connection without a user */
  if (was == STATE_AUTHENTICATING && !self->recorded)
    record_open (self);
  if (was == STATE_READY || was == STATE_AUTHENTICATING) {
    record_unhandled (self);
    alger_store_close_connection (self->store, self->id, self->conversation_id, "closed", NULL,
                                  NULL);
  } else if (was == STATE_REFUSING) {
    /* the connection stays 'refused'; it and its conversation get their end */
    alger_store_close_connection (self->store, self->id, self->conversation_id, "refused", NULL,
                                  NULL);
  }
  g_queue_clear_full (&self->incoming, (GDestroyNotify) g_bytes_unref);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  g_object_unref (self);
}

/* the connection's row and its conversation's (user: NULL until known) */
static void
record_open (AlgerSession *self)
{
  AlgerConnectionRecord rec = { 0 };

  rec.id = self->id;
  rec.user_id = alger_session_get_user_id (self);
  rec.client_ip = self->client_ip;
  rec.client_port = self->client_port;
  rec.user_agent = self->user_agent;
  rec.origin = self->origin;
  rec.path = self->path;
  rec.status = "open";
  rec.conversation_id = self->conversation_id;
  alger_store_open_connection (self->store, &rec, NULL, NULL);
  self->recorded = TRUE;
}

void
alger_session_verifying (AlgerSession *self)
{
  g_return_if_fail (ALGER_IS_SESSION (self));

  if (self->state != STATE_AUTHENTICATING || self->recorded)
    return;
  record_open (self);
}

void
alger_session_accept (AlgerSession *self, JsonObject *user)
{
  g_return_if_fail (ALGER_IS_SESSION (self));

  if (self->state != STATE_AUTHENTICATING)
    return;
  self->user = json_object_ref (user);
  record_open (self);
  self->state = STATE_READY;
  process_incoming (self);
}

static void
refusal_recorded (gboolean ok, const GError *error, gpointer user_data)
{
  g_autoptr(AlgerSession) self = user_data;
  gushort code = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (self), "close-code"));
  const char *reason = g_object_get_data (G_OBJECT (self), "close-reason");

  if (self->state != STATE_CLOSED &&
      soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, code, reason);
}

void
alger_session_refuse (AlgerSession *self, gushort close_code, const char *reason,
                      const char *severity)
{
  AlgerConnectionRecord rec = { 0 };
  AlgerErrorRecord err = { 0 };
  g_autofree char *details = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (ALGER_IS_SESSION (self));

  if (self->state != STATE_AUTHENTICATING)
    return;
  self->state = STATE_REFUSING;

  /* the connection and its conversation (no user), so that what the client
   * sent while its credentials were checked is on record, not handled */
  rec.id = self->id;
  rec.client_ip = self->client_ip;
  rec.client_port = self->client_port;
  rec.user_agent = self->user_agent;
  rec.origin = self->origin;
  rec.path = self->path;
  rec.status = "refused";
  rec.conversation_id = self->conversation_id;
  alger_store_open_connection (self->store, &rec, NULL, NULL);
  record_unhandled (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "connectionId");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "requestedUsername");
  json_builder_add_string_value (builder, self->username);
  json_builder_set_member_name (builder, "clientIp");
  json_builder_add_string_value (builder, self->client_ip);
  json_builder_set_member_name (builder, "clientPort");
  json_builder_add_int_value (builder, self->client_port);
  json_builder_set_member_name (builder, "closeCode");
  json_builder_add_int_value (builder, close_code);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  details = alger_json_to_string (node);

  err.severity = severity;
  err.message = reason;
  err.payload = details;
  err.message_id = -1;
  err.type_code = -1;
  alger_store_record_error (self->store, &err, NULL, NULL);
  g_object_set_data (G_OBJECT (self), "close-code", GUINT_TO_POINTER (close_code));
  g_object_set_data_full (G_OBJECT (self), "close-reason", g_strdup (reason), g_free);
  alger_store_record_user_action (self->store, NULL, "login_attempt", details,
                                  refusal_recorded, g_object_ref (self));
}

void
alger_session_close (AlgerSession *self, gushort code, const char *reason)
{
  g_return_if_fail (ALGER_IS_SESSION (self));

  /* requests still queued are not handled: recorded now, as those that
   * arrive until the peer answers the close (a request in progress
   * finishes, its answer recorded but not sent) */
  self->closing = TRUE;
  if (self->state == STATE_READY)
    record_unhandled (self);
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, code, reason);
}

const char *
alger_session_get_id (AlgerSession *self)
{
  return self->id;
}

const char *
alger_session_get_conversation_id (AlgerSession *self)
{
  return self->conversation_id;
}

JsonObject *
alger_session_get_user (AlgerSession *self)
{
  return self->user;
}

const char *
alger_session_get_profile_json (AlgerSession *self)
{
  return self->profile_json;
}

void
alger_session_set_profile_json (AlgerSession *self, char *profile_json)
{
  g_free (self->profile_json);
  self->profile_json = profile_json;
  if (self->profile_literal != NULL)
    g_string_free (g_steal_pointer (&self->profile_literal), TRUE);
}

void
alger_session_touch_last_login (AlgerSession *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

  if (self->user == NULL)
    return;
  json_object_set_string_member (self->user, "last_login", stamp);
  alger_session_set_profile_json (self, NULL);
}

const char *
alger_session_get_user_id (AlgerSession *self)
{
  if (self->user == NULL || !json_object_has_member (self->user, "id"))
    return NULL;
  return json_object_get_string_member (self->user, "id");
}

const char *
alger_session_get_username (AlgerSession *self)
{
  return self->username;
}

const char *
alger_session_get_client_ip (AlgerSession *self)
{
  return self->client_ip;
}

guint
alger_session_get_client_port (AlgerSession *self)
{
  return self->client_port;
}

gint64
alger_session_get_connected_at (AlgerSession *self)
{
  return self->connected_at;
}

gboolean
alger_session_is_open (AlgerSession *self)
{
  return self->state == STATE_READY;
}

gint64
alger_session_get_last_seen (AlgerSession *self)
{
  return self->last_seen;
}

static void
alger_session_dispose (GObject *object)
{
  AlgerSession *self = ALGER_SESSION (object);

  if (self->connection != NULL) {
    g_clear_signal_handler (&self->message_id, self->connection);
    g_clear_signal_handler (&self->closed_id, self->connection);
    g_clear_signal_handler (&self->pong_id, self->connection);
    g_clear_signal_handler (&self->error_id, self->connection);
  }
  g_queue_clear_full (&self->incoming, (GDestroyNotify) g_bytes_unref);
  G_OBJECT_CLASS (alger_session_parent_class)->dispose (object);
}

static void
alger_session_finalize (GObject *object)
{
  AlgerSession *self = ALGER_SESSION (object);

  /* every OutFrame holds a ref, so none can be left here */
  g_clear_object (&self->connection);
  g_clear_object (&self->store);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->user, json_object_unref);
  alger_session_set_profile_json (self, NULL);
  g_free (self->id);
  g_free (self->conversation_id);
  g_free (self->client_ip);
  g_free (self->user_agent);
  g_free (self->origin);
  g_free (self->path);
  g_free (self->username);
  G_OBJECT_CLASS (alger_session_parent_class)->finalize (object);
}

static void
alger_session_class_init (AlgerSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = alger_session_dispose;
  object_class->finalize = alger_session_finalize;

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
alger_session_init (AlgerSession *self)
{
  g_queue_init (&self->incoming);
  g_queue_init (&self->outgoing);
}

AlgerSession *
alger_session_new (SoupWebsocketConnection *connection, AlgerStore *store,
                   AlgerHandlers *handlers, const AlgerSessionPeer *peer)
{
  AlgerSession *self = g_object_new (ALGER_TYPE_SESSION, NULL);

  self->connection = g_object_ref (connection);
  self->store = g_object_ref (store);
  self->handlers = handlers;
  self->id = alger_uuid_v7_new ();
  self->conversation_id = alger_uuid_v7_new ();
  self->client_ip = g_strdup (peer->client_ip);
  self->client_port = peer->client_port;
  self->user_agent = g_strdup (peer->user_agent);
  self->origin = g_strdup (peer->origin);
  self->path = g_strdup (peer->path);
  self->username = g_strdup (peer->username);
  self->stream = peer->stream != NULL ? g_object_ref (peer->stream) : NULL;
  self->max_send_backlog = peer->max_send_backlog;
  self->connected_at = g_get_real_time ();
  self->last_seen = g_get_monotonic_time ();
  self->message_id = g_signal_connect (connection, "message", G_CALLBACK (on_message), self);
  self->closed_id = g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  self->error_id = g_signal_connect (connection, "error", G_CALLBACK (on_error), self);
  if (g_signal_lookup ("pong", SOUP_TYPE_WEBSOCKET_CONNECTION) != 0)
    self->pong_id = g_signal_connect (connection, "pong", G_CALLBACK (on_pong), self);
  return self;
}
