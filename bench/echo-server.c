/* bench-echo-server: the "bare libsoup" baseline for the WebSocket benchmarks.
 *
 * A SoupServer with one WebSocket handler (any path, subprotocol "alger")
 * that answers every incoming message with one fixed text frame and does
 * nothing else.  It is what algerd would cost if the protocol work were
 * free, so bench/run-ws-bench.sh reports algerd's figures as ratios of it.
 *
 * The listening socket is created here (backlog 1024; GLib's default is
 * 10, which makes bursts of connections stall in SYN retries) and handed to
 * soup_server_listen_socket().
 *
 * Usage: bench-echo-server [--host ADDR] [--port N]
 *   --port 0 picks a free port; the chosen one is printed as
 *   "LISTENING <host> <port>" on stdout once the server accepts.
 */
#include <glib.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>

#define REPLY "{\"id\":1,\"requestId\":1,\"type\":201,\"content\":\"{}\"}"
#define BACKLOG 1024

static const char *const protocols[] = { "alger", NULL };

static void
on_message (SoupWebsocketConnection *conn, gint type, GBytes *message,
            gpointer user_data)
{
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (conn, REPLY);
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  g_object_unref (conn);
}

static void
on_websocket (SoupServer *server, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *conn, gpointer user_data)
{
  g_object_ref (conn);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), NULL);
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static GSocket *
make_listen_socket (const char *host, int port, GError **error)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "not a numeric address: %s", host);
      return NULL;
    }
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (addr, (guint16) port);
  g_autoptr (GSocket) sock = g_socket_new (g_inet_address_get_family (addr),
                                           G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;
  g_socket_set_listen_backlog (sock, BACKLOG);
  if (!g_socket_bind (sock, sa, TRUE, error) || !g_socket_listen (sock, error))
    return NULL;
  return g_steal_pointer (&sock);
}

int
main (int argc, char **argv)
{
  g_autofree char *host = NULL;
  int port = 8765;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "port (default 8765, 0 = any free port)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- bare libsoup WebSocket baseline server");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("bench-echo-server: %s\n", error->message);
      return 2;
    }
  if (host == NULL)
    host = g_strdup ("127.0.0.1");
  if (port < 0 || port > 65535)
    {
      g_printerr ("bench-echo-server: bad port %d\n", port);
      return 2;
    }

  g_autoptr (GSocket) sock = make_listen_socket (host, port, &error);
  if (sock == NULL)
    {
      g_printerr ("bench-echo-server: cannot listen on %s:%d: %s\n",
                  host, port, error->message);
      return 1;
    }

  g_autoptr (SoupServer) server = soup_server_new ("server-header", "bench-echo-server", NULL);
  soup_server_add_websocket_handler (server, NULL, NULL, (char **) protocols,
                                     on_websocket, NULL, NULL);
  if (!soup_server_listen_socket (server, sock, 0, &error))
    {
      g_printerr ("bench-echo-server: %s\n", error->message);
      return 1;
    }

  g_autoptr (GSocketAddress) local = g_socket_get_local_address (sock, &error);
  if (local != NULL)
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  printf ("LISTENING %s %d\n", host, port);
  fflush (stdout);

  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  soup_server_disconnect (server);
  return 0;
}
