/* alger-socket-stream.h: the stream a WebSocket session reads and writes:
 * an accepted GSocketConnection whose input is an AlgerSocketInput (one poll
 * record per connection instead of one per read) and whose output is the
 * connection's own */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ALGER_TYPE_SOCKET_STREAM (alger_socket_stream_get_type ())
G_DECLARE_FINAL_TYPE (AlgerSocketStream, alger_socket_stream, ALGER, SOCKET_STREAM, GIOStream)

/* create it on the thread whose main context serves the connection */
AlgerSocketStream *alger_socket_stream_new (GSocketConnection *connection);

G_END_DECLS
