/* alger-socket-stream.h: the stream a WebSocket session reads and writes:
 * an accepted GSocketConnection whose input is an AlgerSocketInput (one poll
 * record per connection instead of one per read) and whose output is an
 * AlgerSocketOutput (which counts what it wrote) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ALGER_TYPE_SOCKET_STREAM (alger_socket_stream_get_type ())
G_DECLARE_FINAL_TYPE (AlgerSocketStream, alger_socket_stream, ALGER, SOCKET_STREAM, GIOStream)

/* create it on the thread whose main context serves the connection */
AlgerSocketStream *alger_socket_stream_new (GSocketConnection *connection);

GSocketConnection *alger_socket_stream_get_connection (AlgerSocketStream *self);

/* bytes the kernel accepted from this stream so far */
guint64 alger_socket_stream_get_bytes_written (AlgerSocketStream *self);

/* shut the socket down both ways at once, for a peer that stopped reading:
 * what is queued is dropped and the next read sees the end of the stream */
void alger_socket_stream_abort (AlgerSocketStream *self);

typedef void (*AlgerSocketStreamExpired) (AlgerSocketStream *stream, gpointer user_data);

/* abort the stream in @seconds (on the thread-default main context) unless
 * the deadline is cancelled first; @expired (nullable) is called just
 * before.  One deadline at a time: setting one replaces the last. */
void alger_socket_stream_set_deadline (AlgerSocketStream *self, guint seconds,
                                       AlgerSocketStreamExpired expired, gpointer user_data);
void alger_socket_stream_cancel_deadline (AlgerSocketStream *self);

G_END_DECLS
