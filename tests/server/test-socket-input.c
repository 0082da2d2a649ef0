/* test-socket-input.c: AlgerSocketStream / AlgerSocketInput on a real socket
 * pair: readiness, "would block" without data, short reads, hang-ups,
 * cancellation, and that a socket nobody reads does not keep the main loop
 * spinning */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "alger-socket-stream.h"

typedef struct {
  int peer;                    /* the other end, written with write(2) */
  GSocketConnection *connection;
  AlgerSocketStream *stream;
  GPollableInputStream *input;
  GMainContext *context;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  int fds[2];
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  f->peer = fds[1];
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  f->connection = g_socket_connection_factory_create_connection (socket);
  f->context = g_main_context_ref_thread_default ();
  f->stream = alger_socket_stream_new (f->connection);
  f->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (f->stream)));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->stream);
  g_clear_object (&f->connection);
  if (f->peer >= 0)
    close (f->peer);
  /* nothing of the stream may stay attached */
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_unref (f->context);
}

static void
peer_write (Fixture *f, const char *text)
{
  gsize len = strlen (text);

  g_assert_cmpint (write (f->peer, text, len), ==, (gssize) len);
}

static gboolean
count_ready (GObject *stream, gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
  return G_SOURCE_CONTINUE;
}

static GSource *
attach_counter (Fixture *f, guint *count, GCancellable *cancellable)
{
  GSource *source = g_pollable_input_stream_create_source (f->input, cancellable);

  g_source_set_callback (source, G_SOURCE_FUNC (count_ready), count, NULL);
  g_source_attach (source, f->context);
  return source;
}

static void
drop_source (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* iterate without blocking until nothing is dispatched; returns how many
 * iterations dispatched something (bounded, so a spinning source fails) */
static guint
drain_context (Fixture *f)
{
  guint busy = 0;

  while (busy < 100 && g_main_context_iteration (f->context, FALSE))
    busy++;
  return busy;
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* how many blocking iterations the context makes in 30 ms: a few when it
 * sleeps in poll(), thousands when a descriptor keeps it awake */
static guint
iterations_in_30ms (Fixture *f)
{
  gboolean done = FALSE;
  guint n = 0;
  GSource *timeout = g_timeout_source_new (30);

  g_source_set_callback (timeout, set_flag, &done, NULL);
  g_source_attach (timeout, f->context);
  while (!done) {
    g_main_context_iteration (f->context, TRUE);
    n++;
  }
  g_source_unref (timeout);
  return n;
}

static void
wait_for (Fixture *f, guint *count, guint at_least)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (*count < at_least && g_get_monotonic_time () < deadline)
    g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (*count, >=, at_least);
}

static gssize
read_nb (Fixture *f, char *buf, gsize size, GError **error)
{
  return g_pollable_input_stream_read_nonblocking (f->input, buf, size, NULL, error);
}

static void
test_readiness (Fixture *f, gconstpointer data)
{
  char buf[64];
  guint count = 0;
  g_autoptr(GError) error = NULL;
  GSource *source;

  g_assert_true (g_pollable_input_stream_can_poll (f->input));
  g_assert_false (g_pollable_input_stream_is_readable (f->input));
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  source = attach_counter (f, &count, NULL);
  g_assert_cmpuint (drain_context (f), ==, 0);
  g_assert_cmpuint (count, ==, 0);

  peer_write (f, "hello");
  wait_for (f, &count, 1);
  g_assert_true (g_pollable_input_stream_is_readable (f->input));
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, 5);
  g_assert_no_error (error);
  g_assert_cmpmem (buf, 5, "hello", 5);

  /* a short read: the next one would block */
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  /* data that arrives after the short read is seen at the next poll */
  peer_write (f, "world");
  count = 0;
  wait_for (f, &count, 1);
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, 5);
  g_assert_cmpmem (buf, 5, "world", 5);

  drop_source (source);
}

/* reads that fill the buffer keep reading; the data comes in order */
static void
test_full_reads (Fixture *f, gconstpointer data)
{
  char buf[4];
  GString *got = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gssize n;

  peer_write (f, "0123456789");
  while ((n = read_nb (f, buf, sizeof buf, &error)) > 0)
    g_string_append_len (got, buf, n);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpstr (got->str, ==, "0123456789");
  g_string_free (got, TRUE);
}

/* small reads take what the socket holds at once (libsoup reads 1 KB at a
 * time); the rest is handed out in order, the stream stays readable and a
 * new source is ready at once although the socket itself has nothing left */
static void
test_read_ahead (Fixture *f, gconstpointer data)
{
  g_autofree char *sent = g_malloc (5000);
  GString *got = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char buf[1024];
  guint count = 0;
  int pending = -1;
  GSource *source;
  gssize n;

  for (gsize i = 0; i < 5000; i++)
    sent[i] = (char) ('a' + i % 26);
  g_assert_cmpint (write (f->peer, sent, 5000), ==, 5000);
  n = read_nb (f, buf, sizeof buf, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 1024);
  g_string_append_len (got, buf, n);
  /* one recv() took everything */
  g_assert_cmpint (ioctl (g_socket_get_fd (g_socket_connection_get_socket (f->connection)),
                          FIONREAD, &pending),
                   ==, 0);
  g_assert_cmpint (pending, ==, 0);
  g_assert_true (g_pollable_input_stream_is_readable (f->input));
  source = attach_counter (f, &count, NULL);
  wait_for (f, &count, 1);
  drop_source (source);
  while ((n = read_nb (f, buf, sizeof buf, &error)) > 0)
    g_string_append_len (got, buf, n);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpmem (got->str, got->len, sent, 5000);
  g_assert_false (g_pollable_input_stream_is_readable (f->input));
  /* a blocking read after a partial one also gets the bytes read ahead */
  g_clear_error (&error);
  peer_write (f, "0123456789");
  count = 0;
  source = attach_counter (f, &count, NULL);
  wait_for (f, &count, 1);
  drop_source (source);
  g_assert_cmpint (read_nb (f, buf, 4, &error), ==, 4);
  g_assert_cmpint (g_input_stream_read (G_INPUT_STREAM (f->input), buf, sizeof buf, NULL, &error),
                   ==, 6);
  g_assert_cmpmem (buf, 6, "456789", 6);
  g_string_free (got, TRUE);
}

/* a readable socket with no source waiting must not make every iteration
 * return at once; the next source sees the data */
static void
test_no_reader_no_spin (Fixture *f, gconstpointer data)
{
  char buf[64];
  guint count = 0;
  GSource *source = attach_counter (f, &count, NULL);
  g_autoptr(GError) error = NULL;

  drop_source (source);
  peer_write (f, "pending");
  g_assert_cmpuint (iterations_in_30ms (f), <=, 3);

  source = attach_counter (f, &count, NULL);
  wait_for (f, &count, 1);
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, 7);
  drop_source (source);

  /* the same for a hang-up */
  close (f->peer);
  f->peer = -1;
  g_assert_cmpuint (iterations_in_30ms (f), <=, 3);
}

/* a source created before the data came but attached only later still
 * sees it, although the watch stopped polling while nobody waited */
static void
test_late_attach (Fixture *f, gconstpointer data)
{
  char buf[64];
  guint count = 0;
  GSource *source = g_pollable_input_stream_create_source (f->input, NULL);
  g_autoptr(GError) error = NULL;

  g_source_set_callback (source, G_SOURCE_FUNC (count_ready), &count, NULL);
  peer_write (f, "late");
  g_assert_cmpuint (iterations_in_30ms (f), <=, 3);
  g_source_attach (source, f->context);
  wait_for (f, &count, 1);
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, 4);
  drop_source (source);
}

static void
test_hangup (Fixture *f, gconstpointer data)
{
  char buf[64];
  guint count = 0;
  GSource *source = attach_counter (f, &count, NULL);
  g_autoptr(GError) error = NULL;

  close (f->peer);
  f->peer = -1;
  wait_for (f, &count, 1);
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, 0);
  g_assert_no_error (error);
  drop_source (source);
}

static void
test_cancellable (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint count = 0;
  GSource *source = attach_counter (f, &count, cancellable);

  g_assert_cmpuint (drain_context (f), ==, 0);
  g_cancellable_cancel (cancellable);
  wait_for (f, &count, 1);
  drop_source (source);
}

static void
test_close (Fixture *f, gconstpointer data)
{
  char buf[8];
  g_autoptr(GError) error = NULL;
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (f->stream));

  g_assert_true (G_IS_POLLABLE_OUTPUT_STREAM (output));
  g_assert_cmpint (g_output_stream_write (output, "ping", 4, NULL, &error), ==, 4);
  g_assert_cmpint (read (f->peer, buf, sizeof buf), ==, 4);

  g_assert_true (g_io_stream_close (G_IO_STREAM (f->stream), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_input_stream_is_closed (G_INPUT_STREAM (f->input)));
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (f->connection)));
  /* the peer sees the end */
  g_assert_cmpint (read (f->peer, buf, sizeof buf), ==, 0);
  g_assert_cmpint (read_nb (f, buf, sizeof buf, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
closed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_io_stream_close_finish (G_IO_STREAM (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_close_async (Fixture *f, gconstpointer data)
{
  gboolean done = FALSE;
  char buf[8];

  g_io_stream_close_async (G_IO_STREAM (f->stream), G_PRIORITY_DEFAULT, NULL, closed_cb, &done);
  while (!done)
    g_main_context_iteration (f->context, TRUE);
  g_assert_cmpint (read (f->peer, buf, sizeof buf), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add ("/alger/socket-input/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("readiness", test_readiness);
  ADD ("full-reads", test_full_reads);
  ADD ("read-ahead", test_read_ahead);
  ADD ("no-reader-no-spin", test_no_reader_no_spin);
  ADD ("late-attach", test_late_attach);
  ADD ("hangup", test_hangup);
  ADD ("cancellable", test_cancellable);
  ADD ("close", test_close);
  ADD ("close-async", test_close_async);
#undef ADD
  return g_test_run ();
}
