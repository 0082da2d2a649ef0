/* alger-socket-output.c: socket output that counts the bytes it wrote */
#define G_LOG_DOMAIN "alger-socket"

#include "config.h"

#include "alger-socket-output.h"

struct _AlgerSocketOutput {
  GOutputStream parent_instance;

  GSocket *socket;
  guint64 written;
};

static void alger_socket_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (AlgerSocketOutput, alger_socket_output, G_TYPE_OUTPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                alger_socket_output_pollable_init))

static gssize
socket_send (AlgerSocketOutput *self, const void *buffer, gsize count, gboolean blocking,
             GCancellable *cancellable, GError **error)
{
  gssize n = g_socket_send_with_blocking (self->socket, buffer, count, blocking, cancellable,
                                          error);

  if (n > 0)
    self->written += (guint64) n;
  return n;
}

static gssize
alger_socket_output_write (GOutputStream *stream, const void *buffer, gsize count,
                           GCancellable *cancellable, GError **error)
{
  return socket_send (ALGER_SOCKET_OUTPUT (stream), buffer, count, TRUE, cancellable, error);
}

static gssize
alger_socket_output_write_nonblocking (GPollableOutputStream *stream, const void *buffer,
                                       gsize count, GError **error)
{
  return socket_send (ALGER_SOCKET_OUTPUT (stream), buffer, count, FALSE, NULL, error);
}

static gboolean
alger_socket_output_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
alger_socket_output_is_writable (GPollableOutputStream *stream)
{
  return g_socket_condition_check (ALGER_SOCKET_OUTPUT (stream)->socket, G_IO_OUT) != 0;
}

static GSource *
alger_socket_output_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  g_autoptr(GSource) socket_source =
    g_socket_create_source (ALGER_SOCKET_OUTPUT (stream)->socket, G_IO_OUT, cancellable);

  return g_pollable_source_new_full (stream, socket_source, cancellable);
}

static void
alger_socket_output_finalize (GObject *object)
{
  g_clear_object (&ALGER_SOCKET_OUTPUT (object)->socket);
  G_OBJECT_CLASS (alger_socket_output_parent_class)->finalize (object);
}

static void
alger_socket_output_class_init (AlgerSocketOutputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = alger_socket_output_finalize;
  /* no close_fn: the connection closes the socket */
  stream_class->write_fn = alger_socket_output_write;
}

static void
alger_socket_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = alger_socket_output_can_poll;
  iface->is_writable = alger_socket_output_is_writable;
  iface->create_source = alger_socket_output_create_source;
  iface->write_nonblocking = alger_socket_output_write_nonblocking;
}

static void
alger_socket_output_init (AlgerSocketOutput *self)
{
}

AlgerSocketOutput *
alger_socket_output_new (GSocket *socket)
{
  AlgerSocketOutput *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = g_object_new (ALGER_TYPE_SOCKET_OUTPUT, NULL);
  self->socket = g_object_ref (socket);
  return self;
}

guint64
alger_socket_output_get_bytes_written (AlgerSocketOutput *self)
{
  g_return_val_if_fail (ALGER_IS_SOCKET_OUTPUT (self), 0);

  return self->written;
}
