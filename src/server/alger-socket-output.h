/* alger-socket-output.h: a pollable output stream on a connected socket
 * that counts what it wrote.
 *
 * libsoup queues WebSocket frames without bound when the peer stops reading;
 * the session compares what it handed to libsoup with what reached the
 * socket (alger_socket_output_get_bytes_written) to tell how much is
 * waiting, and drops a client that lets too much pile up. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ALGER_TYPE_SOCKET_OUTPUT (alger_socket_output_get_type ())
G_DECLARE_FINAL_TYPE (AlgerSocketOutput, alger_socket_output, ALGER, SOCKET_OUTPUT, GOutputStream)

AlgerSocketOutput *alger_socket_output_new (GSocket *socket);

/* bytes accepted by the kernel since the stream was made (main thread) */
guint64 alger_socket_output_get_bytes_written (AlgerSocketOutput *self);

G_END_DECLS
