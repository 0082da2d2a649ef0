/* alger-socket-input.h: a pollable input stream on a connected socket whose
 * poll record lives as long as the stream.
 *
 * libsoup's WebSocket connection destroys its input source and creates a new
 * one around every read. On a GSocket each of those adds or removes a file
 * descriptor in the main context, which GLib answers with a wake-up of the
 * context (a write to its eventfd) and a rebuilt poll set: two system calls
 * and an extra loop iteration per request. This stream keeps one poll record
 * for the socket (a "watch" source attached once) and hands out sources
 * without descriptors that become ready when the watch polls readable. See
 * docs/ARCHITECTURE.md. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ALGER_TYPE_SOCKET_INPUT (alger_socket_input_get_type ())
G_DECLARE_FINAL_TYPE (AlgerSocketInput, alger_socket_input, ALGER, SOCKET_INPUT, GInputStream)

/* the watch is attached to the thread-default main context: create the
 * stream on the thread whose context will read it */
AlgerSocketInput *alger_socket_input_new (GSocket *socket);

G_END_DECLS
