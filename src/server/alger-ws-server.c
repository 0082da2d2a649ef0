/* alger-ws-server.c: the SoupServer that accepts Alger WebSocket sessions
 *
 * Upgrades any path offering the `alger` subprotocol, then authenticates
 * from the query string after the upgrade, so refusals are close frames a
 * browser can read (4401, 4406).  Sessions are tracked here; the server
 * also runs the keepalive sweep that drops peers which stopped answering.
 */
#define G_LOG_DOMAIN "alger-ws-server"

#include "config.h"

#include "alger-ws-server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "alger-error.h"
#include "alger-names.h"
#include "alger-redact.h"
#include "alger-socket-stream.h"

struct _AlgerWsServer {
  GObject parent_instance;

  const AlgerConfig *config;
  AlgerStore *store;
  AlgerAccounts *accounts;
  AlgerHandlers *handlers;
  SoupServer *server;
  GSocket *listen_socket;
  GSocketService *service; /* accepts, then hands each connection to server */
  GHashTable *sessions; /* AlgerSession -> itself (strong ref) */
  guint sweep_id;
  gboolean shutting_down;
};

G_DEFINE_TYPE (AlgerWsServer, alger_ws_server, G_TYPE_OBJECT)

enum {
  SIGNAL_SESSIONS_CHANGED,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

typedef struct {
  AlgerWsServer *server;
  AlgerSession *session;
} VerifyCtx;

/* the qdata on an accepted connection's remote address: a GWeakRef to its
 * AlgerSocketStream */
static GQuark
stream_quark (void)
{
  return g_quark_from_static_string ("alger-socket-stream");
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* an error_logs row about a connection, not about one of its frames */
static void
record_connection_error (AlgerWsServer *self, const char *conversation_id, const char *message)
{
  AlgerErrorRecord rec = { 0 };

  rec.conversation_id = conversation_id;
  rec.severity = "protocol";
  rec.message = message;
  rec.message_id = -1;
  rec.type_code = -1;
  alger_store_record_error (self->store, &rec, NULL, NULL);
}

/* the stream accepted with this remote address (a new reference), if any */
static AlgerSocketStream *
stream_of_remote (GSocketAddress *remote)
{
  GWeakRef *ref = remote != NULL ? g_object_get_qdata (G_OBJECT (remote), stream_quark ()) : NULL;

  return ref != NULL ? g_weak_ref_get (ref) : NULL;
}

/* a connection that sent no complete request in time (a half-open socket,
 * headers trickled in byte by byte): each holds a descriptor until closed */
static void
on_handshake_expired (AlgerSocketStream *stream, gpointer user_data)
{
  AlgerWsServer *self = user_data;
  g_autoptr(GSocketAddress) remote =
    g_socket_connection_get_remote_address (alger_socket_stream_get_connection (stream), NULL);
  g_autofree char *peer = NULL;
  g_autofree char *message = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (remote)) {
    g_autofree char *ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
    peer = g_strdup_printf ("%s:%u", ip,
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
  }
  message = g_strdup_printf ("no complete request within %u s from %s; connection closed",
                             self->config->handshake_timeout, peer != NULL ? peer : "unknown");
  record_connection_error (self, NULL, message);
}

/* the first request is in: the connection has met its deadline */
static void
on_request_read (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  g_autoptr(AlgerSocketStream) stream = stream_of_remote (soup_server_message_get_remote_address (msg));

  if (stream != NULL)
    alger_socket_stream_cancel_deadline (stream);
}

static void
on_session_closed (AlgerSession *session, gpointer user_data)
{
  AlgerWsServer *self = user_data;

  g_signal_handlers_disconnect_by_data (session, self);
  g_hash_table_remove (self->sessions, session);
  g_signal_emit (self, signals[SIGNAL_SESSIONS_CHANGED], 0);
}

static void
verify_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VerifyCtx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  user = alger_accounts_verify_finish (ALGER_ACCOUNTS (source), result, &error);
  if (user != NULL) {
    alger_session_accept (ctx->session, user);
    g_signal_emit (ctx->server, signals[SIGNAL_SESSIONS_CHANGED], 0);
  } else if (g_error_matches (error, ALGER_ERROR, ALGER_ERROR_AUTH))
    alger_session_refuse (ctx->session, 4401, "unknown credentials or password mismatch",
                          "auth");
  else
    alger_session_refuse (ctx->session, 4401, error->message, "storage");
  g_object_unref (ctx->session);
  g_object_unref (ctx->server);
  g_free (ctx);
}

static char *
header_or_null (SoupMessageHeaders *headers, const char *name)
{
  const char *value = soup_message_headers_get_one (headers, name);

  return value != NULL ? g_strdup (value) : NULL;
}

static void
on_websocket (SoupServer *server, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *connection, gpointer user_data)
{
  AlgerWsServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *full_path = NULL;
  g_autofree char *redacted = NULL;
  g_autofree char *user_agent = header_or_null (headers, "User-Agent");
  g_autofree char *origin = header_or_null (headers, "Origin");
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autofree char *ip = NULL;
  AlgerSessionPeer peer = { 0 };
  g_autoptr(AlgerSocketStream) stream = NULL;
  AlgerSession *session;
  JsonObject *cached;

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  full_path = query != NULL ? g_strconcat (g_uri_get_path (uri), "?", query, NULL)
                            : g_strdup (g_uri_get_path (uri));
  redacted = alger_redact_query (full_path);
  if (G_IS_INET_SOCKET_ADDRESS (remote)) {
    GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (remote);
    ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
    peer.client_port = g_inet_socket_address_get_port (inet);
  }
  peer.client_ip = ip != NULL ? ip : "unknown";
  peer.user_agent = user_agent;
  peer.origin = origin;
  peer.path = redacted;
  peer.username = params != NULL ? g_hash_table_lookup (params, "username") : NULL;
  peer.password = params != NULL ? g_hash_table_lookup (params, "password") : NULL;

  stream = stream_of_remote (remote);
  peer.stream = stream;
  peer.max_send_backlog = self->config->max_send_backlog;

  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           self->config->max_frame_size);
  soup_websocket_connection_set_keepalive_interval (connection,
                                                    self->config->keepalive_interval);

  session = alger_session_new (connection, self->store, self->handlers, &peer);
  g_hash_table_add (self->sessions, session);
  g_signal_connect (session, "closed", G_CALLBACK (on_session_closed), self);

  if (self->shutting_down) {
    alger_session_refuse (session, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down",
                          "protocol");
    return;
  }
  if (soup_websocket_connection_get_protocol (connection) == NULL) {
    alger_session_refuse (session, 4406, "subprotocol 'alger' required", "protocol");
    return;
  }
  cached = alger_accounts_verify_cached (self->accounts, peer.username, peer.password);
  if (cached != NULL) {
    alger_session_accept (session, cached);
    json_object_unref (cached);
    g_signal_emit (self, signals[SIGNAL_SESSIONS_CHANGED], 0);
  } else {
    VerifyCtx *ctx = g_new0 (VerifyCtx, 1);
    ctx->server = g_object_ref (self);
    ctx->session = g_object_ref (session);
    alger_session_verifying (session);
    alger_accounts_verify_async (self->accounts, peer.username, peer.password, NULL,
                                 verify_done, ctx);
  }
}

/* libsoup itself answers 400 to a client offering only other subprotocols:
 * record those refusals too */
static void
on_request_finished (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  AlgerWsServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *message = NULL;
  const char *host = soup_server_message_get_remote_host (msg);

  if (soup_server_message_get_status (msg) != SOUP_STATUS_BAD_REQUEST ||
      !soup_message_headers_header_contains (headers, "Upgrade", "websocket"))
    return;
  message = g_strdup_printf ("WebSocket handshake refused (no acceptable subprotocol) from %s",
                             host != NULL ? host : "unknown");
  record_connection_error (self, NULL, message);
}

static gboolean
keepalive_sweep (gpointer user_data)
{
  AlgerWsServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) self->config->keepalive_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer key;
  g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (now - alger_session_get_last_seen (key) > limit)
      g_ptr_array_add (dead, g_object_ref (key));
  }
  for (guint i = 0; i < dead->len; i++) {
    AlgerSession *session = g_ptr_array_index (dead, i);

    record_connection_error (self, alger_session_get_conversation_id (session),
                             "peer stopped answering keepalive pings");
    alger_session_close (session, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "keepalive timeout");
  }
  return G_SOURCE_CONTINUE;
}

/* Connections are accepted here and handed to libsoup as streams
 * (soup_server_accept_iostream): with soup_server_listen_socket(), libsoup
 * 3.2 leaks each accepted GSocket (about 340 bytes per connection, a bare
 * libsoup echo server too, under valgrind) */
static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  AlgerWsServer *self = user_data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerSocketStream) stream = NULL;

  if (self->shutting_down || local == NULL || remote == NULL)
    return TRUE; /* closed when the connection is freed */
  /* answers are small and go at once, as libsoup's own listener sets */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1,
                       NULL);
  stream = alger_socket_stream_new (connection);
  /* libsoup hands this same address object to the WebSocket handler, which
   * finds the stream through it (weakly: the address may outlive it) */
  {
    GWeakRef *ref = g_new (GWeakRef, 1);

    g_weak_ref_init (ref, stream);
    g_object_set_qdata_full (G_OBJECT (remote), stream_quark (), ref, weak_ref_free);
  }
  if (self->config->handshake_timeout > 0)
    alger_socket_stream_set_deadline (stream, self->config->handshake_timeout,
                                      on_handshake_expired, self);
  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (stream), local, remote, &error))
    g_debug ("cannot accept a connection: %s", error->message);
  return TRUE;
}

gboolean
alger_ws_server_listen (AlgerWsServer *self, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GResolver) resolver = NULL;

  g_return_val_if_fail (ALGER_IS_WS_SERVER (self), FALSE);

  address = g_inet_address_new_from_string (self->config->host);
  if (address == NULL) {
    g_autolist(GInetAddress) addresses = NULL;
    resolver = g_resolver_get_default ();
    addresses = g_resolver_lookup_by_name (resolver, self->config->host, NULL, error);
    if (addresses == NULL) {
      g_prefix_error (error, "cannot resolve listen address %s: ", self->config->host);
      return FALSE;
    }
    address = g_object_ref (addresses->data);
  }
  sockaddr = g_inet_socket_address_new (address, self->config->port);
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* GLib listens with a backlog of 10: too few for bursts of handshakes */
  g_socket_set_listen_backlog (socket, (gint) self->config->listen_backlog);
  if (!g_socket_bind (socket, sockaddr, TRUE, error) || !g_socket_listen (socket, error)) {
    g_prefix_error (error, "cannot listen on %s:%u: ", self->config->host, self->config->port);
    return FALSE;
  }
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error)) {
    g_clear_object (&self->service);
    return FALSE;
  }
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  self->listen_socket = g_object_ref (socket);
  if (self->config->keepalive_interval > 0 && self->config->keepalive_timeout > 0)
    self->sweep_id = g_timeout_add_seconds (MAX (1, self->config->keepalive_interval / 2),
                                            keepalive_sweep, self);
  return TRUE;
}

guint
alger_ws_server_get_port (AlgerWsServer *self)
{
  g_autoptr(GSocketAddress) address = NULL;

  /* from our own socket: soup_server_get_uris() leaks an address in libsoup 3.2 */
  if (self->listen_socket == NULL)
    return 0;
  address = g_socket_get_local_address (self->listen_socket, NULL);
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

SoupServer *
alger_ws_server_get_soup_server (AlgerWsServer *self)
{
  return self->server;
}

void
alger_ws_server_shutdown (AlgerWsServer *self, gushort code, const char *reason)
{
  GList *sessions;

  g_return_if_fail (ALGER_IS_WS_SERVER (self));

  self->shutting_down = TRUE;
  if (self->service != NULL) {
    g_socket_service_stop (self->service);
    g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  }
  soup_server_disconnect (self->server);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  sessions = alger_ws_server_get_sessions (self);
  for (GList *l = sessions; l != NULL; l = l->next)
    alger_session_close (l->data, code, reason);
  g_list_free (sessions);
}

GList *
alger_ws_server_get_sessions (AlgerWsServer *self)
{
  return g_hash_table_get_keys (self->sessions);
}

AlgerSession *
alger_ws_server_find_session (AlgerWsServer *self, const char *connection_id)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (g_strcmp0 (alger_session_get_id (key), connection_id) == 0)
      return key;
  }
  return NULL;
}

guint
alger_ws_server_get_n_sessions (AlgerWsServer *self)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (alger_session_is_open (key))
      n++;
  }
  return n;
}

static void
alger_ws_server_dispose (GObject *object)
{
  AlgerWsServer *self = ALGER_WS_SERVER (object);

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->sessions != NULL) {
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init (&iter, self->sessions);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_signal_handlers_disconnect_by_data (key, self);
    g_hash_table_remove_all (self->sessions);
  }
  if (self->server != NULL)
    g_signal_handlers_disconnect_by_data (self->server, self);
  if (self->service != NULL) {
    g_signal_handlers_disconnect_by_data (self->service, self);
    g_socket_service_stop (self->service);
    g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    g_clear_object (&self->service);
  }
  g_clear_object (&self->server);
  g_clear_object (&self->listen_socket);
  G_OBJECT_CLASS (alger_ws_server_parent_class)->dispose (object);
}

static void
alger_ws_server_finalize (GObject *object)
{
  AlgerWsServer *self = ALGER_WS_SERVER (object);

  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->accounts);
  G_OBJECT_CLASS (alger_ws_server_parent_class)->finalize (object);
}

static void
alger_ws_server_class_init (AlgerWsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = alger_ws_server_dispose;
  object_class->finalize = alger_ws_server_finalize;

  /* a session was accepted or closed */
  signals[SIGNAL_SESSIONS_CHANGED] = g_signal_new ("sessions-changed", G_TYPE_FROM_CLASS (klass),
                                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                   G_TYPE_NONE, 0);
}

static void
alger_ws_server_init (AlgerWsServer *self)
{
  self->sessions = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
}

AlgerWsServer *
alger_ws_server_new (const AlgerConfig *config, AlgerStore *store, AlgerAccounts *accounts,
                     AlgerHandlers *handlers)
{
  AlgerWsServer *self = g_object_new (ALGER_TYPE_WS_SERVER, NULL);
  const char *protocols[] = { ALGER_WS_SUBPROTOCOL, NULL };

  self->config = config;
  self->store = g_object_ref (store);
  self->accounts = g_object_ref (accounts);
  self->handlers = handlers;
  self->server = soup_server_new ("server-header", "algerd/" PACKAGE_VERSION, NULL);
  soup_server_add_websocket_handler (self->server, NULL, NULL, (char **) protocols,
                                     on_websocket, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (on_request_read), self);
  return self;
}
