/* alger-socket-stream.c: an accepted connection with an AlgerSocketInput */
#define G_LOG_DOMAIN "alger-socket"

#include "config.h"

#include "alger-socket-input.h"
#include "alger-socket-output.h"
#include "alger-socket-stream.h"

struct _AlgerSocketStream {
  GIOStream parent_instance;

  GSocketConnection *connection;
  AlgerSocketInput *input;
  AlgerSocketOutput *output;
  GSource *deadline;
  AlgerSocketStreamExpired expired;
  gpointer expired_data;
};

G_DEFINE_TYPE (AlgerSocketStream, alger_socket_stream, G_TYPE_IO_STREAM)

static GInputStream *
alger_socket_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (ALGER_SOCKET_STREAM (stream)->input);
}

static GOutputStream *
alger_socket_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (ALGER_SOCKET_STREAM (stream)->output);
}

static gboolean
alger_socket_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  AlgerSocketStream *self = ALGER_SOCKET_STREAM (stream);

  g_input_stream_close (G_INPUT_STREAM (self->input), NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (self->output), NULL, NULL);
  return g_io_stream_close (G_IO_STREAM (self->connection), cancellable, error);
}

/* closing a socket does not block: done at once, as GSocketConnection does,
 * instead of GIOStream's default of a worker thread */
static void
alger_socket_stream_close_async (GIOStream *stream, int io_priority, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, alger_socket_stream_close_async);
  g_task_set_priority (task, io_priority);
  if (alger_socket_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
alger_socket_stream_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
alger_socket_stream_dispose (GObject *object)
{
  AlgerSocketStream *self = ALGER_SOCKET_STREAM (object);

  alger_socket_stream_cancel_deadline (self);
  /* GIOStream's dispose closes the stream, which needs both */
  G_OBJECT_CLASS (alger_socket_stream_parent_class)->dispose (object);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->connection);
}

static void
alger_socket_stream_class_init (AlgerSocketStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = alger_socket_stream_dispose;
  stream_class->get_input_stream = alger_socket_stream_get_input_stream;
  stream_class->get_output_stream = alger_socket_stream_get_output_stream;
  stream_class->close_fn = alger_socket_stream_close;
  stream_class->close_async = alger_socket_stream_close_async;
  stream_class->close_finish = alger_socket_stream_close_finish;
}

static void
alger_socket_stream_init (AlgerSocketStream *self)
{
}

AlgerSocketStream *
alger_socket_stream_new (GSocketConnection *connection)
{
  AlgerSocketStream *self;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);

  self = g_object_new (ALGER_TYPE_SOCKET_STREAM, NULL);
  self->connection = g_object_ref (connection);
  self->input = alger_socket_input_new (g_socket_connection_get_socket (connection));
  self->output = alger_socket_output_new (g_socket_connection_get_socket (connection));
  return self;
}

GSocketConnection *
alger_socket_stream_get_connection (AlgerSocketStream *self)
{
  g_return_val_if_fail (ALGER_IS_SOCKET_STREAM (self), NULL);

  return self->connection;
}

guint64
alger_socket_stream_get_bytes_written (AlgerSocketStream *self)
{
  g_return_val_if_fail (ALGER_IS_SOCKET_STREAM (self), 0);

  return alger_socket_output_get_bytes_written (self->output);
}

static gboolean
deadline_passed (gpointer user_data)
{
  AlgerSocketStream *self = user_data;
  g_autoptr(AlgerSocketStream) keep = g_object_ref (self);

  g_clear_pointer (&self->deadline, g_source_unref);
  if (self->expired != NULL)
    self->expired (self, self->expired_data);
  alger_socket_stream_abort (self);
  return G_SOURCE_REMOVE;
}

void
alger_socket_stream_set_deadline (AlgerSocketStream *self, guint seconds,
                                  AlgerSocketStreamExpired expired, gpointer user_data)
{
  g_return_if_fail (ALGER_IS_SOCKET_STREAM (self));

  alger_socket_stream_cancel_deadline (self);
  self->expired = expired;
  self->expired_data = user_data;
  self->deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_static_name (self->deadline, "[alger-socket] deadline");
  /* the stream destroys the source before it goes: no reference needed */
  g_source_set_callback (self->deadline, deadline_passed, self, NULL);
  g_source_attach (self->deadline, g_main_context_get_thread_default ());
}

void
alger_socket_stream_cancel_deadline (AlgerSocketStream *self)
{
  g_return_if_fail (ALGER_IS_SOCKET_STREAM (self));

  if (self->deadline != NULL) {
    g_source_destroy (self->deadline);
    g_clear_pointer (&self->deadline, g_source_unref);
  }
}

void
alger_socket_stream_abort (AlgerSocketStream *self)
{
  g_return_if_fail (ALGER_IS_SOCKET_STREAM (self));

  g_socket_shutdown (g_socket_connection_get_socket (self->connection), TRUE, TRUE, NULL);
}
