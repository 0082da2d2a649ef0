/* alger-socket-input.c: a pollable socket input stream with one poll record
 * for its whole life (see the header for why) */
#define G_LOG_DOMAIN "alger-socket"

#include "config.h"

#include "alger-socket-input.h"

#include <string.h>

/* The watch: attached once, it keeps the socket in the context's poll set.
 * It never dispatches while someone waits on the stream; when the socket
 * polls ready and nobody waits (between a reader's sources, or a reader that
 * stopped reading), it takes the socket out of the poll set until the next
 * source is created, so that a readable or hung-up socket cannot make every
 * iteration return at once. */
typedef struct {
  GSource source;
  GPollFD pfd;
  gboolean polling;
  AlgerSocketInput *input; /* not a reference; cleared when the stream closes */
} Watch;

/* What create_source() hands out: a source without descriptors, ready when
 * the watch's last poll found the socket readable (or hung up). */
typedef struct {
  GSource source;
  AlgerSocketInput *input; /* a reference, as GLib's pollable sources hold */
} Ready;

struct _AlgerSocketInput {
  GInputStream parent_instance;

  GSocket *socket;
  Watch *watch;       /* NULL once closed */
  GSList *waiting;    /* Ready sources not yet finalized (no references) */
  /* the last non-blocking read came back short or would block: until the
   * watch polls the socket readable again there is nothing to read, so the
   * next non-blocking read answers "would block" without a recv() */
  gboolean drained;
  /* read ahead: libsoup reads a WebSocket 1 KB at a time (a 13 KB 104 was
   * 14 recv() calls); small reads take up to READ_AHEAD bytes from the
   * socket and what the reader did not ask for waits here (allocated only
   * while it holds bytes, so an idle connection costs nothing) */
  guint8 *ahead;
  gsize ahead_pos, ahead_len;
};

#define READ_AHEAD 16384

static void alger_socket_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (AlgerSocketInput, alger_socket_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                alger_socket_input_pollable_init))

static gboolean
someone_waits (AlgerSocketInput *self)
{
  for (GSList *l = self->waiting; l != NULL; l = l->next) {
    GSource *source = l->data;

    if (!g_source_is_destroyed (source) && g_source_get_context (source) != NULL)
      return TRUE;
  }
  return FALSE;
}

static void
note_poll (AlgerSocketInput *self, gushort revents)
{
  if (revents & G_IO_IN)
    self->drained = FALSE;
}

static gboolean
watch_check (GSource *source)
{
  Watch *watch = (Watch *) source;

  if (!watch->polling || watch->pfd.revents == 0 || watch->input == NULL)
    return FALSE;
  note_poll (watch->input, watch->pfd.revents);
  return !someone_waits (watch->input);
}

static gboolean
watch_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Watch *watch = (Watch *) source;

  /* a reader may have created its next source since the check */
  if (watch->polling && (watch->input == NULL || !someone_waits (watch->input))) {
    g_source_remove_poll (source, &watch->pfd);
    watch->polling = FALSE;
    watch->pfd.revents = 0;
  }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs watch_funcs = {
  .check = watch_check,
  .dispatch = watch_dispatch,
};

static void
watch_start (Watch *watch)
{
  if (watch->polling)
    return;
  watch->pfd.revents = 0;
  g_source_add_poll ((GSource *) watch, &watch->pfd);
  watch->polling = TRUE;
}

/* a source attached some time after it was created may find the socket out
 * of the poll set (the watch saw nobody waiting meanwhile): put it back */
static gboolean
ready_prepare (GSource *source, gint *timeout)
{
  Ready *ready = (Ready *) source;

  *timeout = -1;
  if (ready->input->watch != NULL && !ready->input->watch->polling)
    watch_start (ready->input->watch);
  return ready->input->ahead != NULL;
}

static gboolean
ready_check (GSource *source)
{
  Ready *ready = (Ready *) source;
  Watch *watch = ready->input->watch;

  if (watch == NULL || ready->input->ahead != NULL)
    return TRUE; /* closed (the read tells the reader so), or bytes read ahead */
  if (!watch->polling)
    return FALSE;
  note_poll (ready->input, watch->pfd.revents);
  return (watch->pfd.revents & (G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_NVAL)) != 0;
}

static gboolean
ready_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Ready *ready = (Ready *) source;
  GPollableSourceFunc func = (GPollableSourceFunc) (void (*) (void)) callback;

  if (func == NULL)
    return G_SOURCE_CONTINUE;
  return func (G_OBJECT (ready->input), user_data);
}

static void
ready_finalize (GSource *source)
{
  Ready *ready = (Ready *) source;

  ready->input->waiting = g_slist_remove (ready->input->waiting, source);
  g_object_unref (ready->input);
}

/* for g_source_set_closure() and g_source_set_dummy_callback(), which
 * libsoup's filter stream sets on the sources of the stream it wraps */
static gboolean
ready_closure_callback (GObject *stream, gpointer data)
{
  GClosure *closure = data;
  GValue param = G_VALUE_INIT;
  GValue result = G_VALUE_INIT;
  gboolean keep;

  g_value_init (&result, G_TYPE_BOOLEAN);
  g_value_init (&param, G_TYPE_OBJECT);
  g_value_set_object (&param, stream);
  g_closure_invoke (closure, &result, 1, &param, NULL);
  keep = g_value_get_boolean (&result);
  g_value_unset (&result);
  g_value_unset (&param);
  return keep;
}

static GSourceFuncs ready_funcs = {
  .prepare = ready_prepare,
  .check = ready_check,
  .dispatch = ready_dispatch,
  .finalize = ready_finalize,
  .closure_callback = (GSourceFunc) (void (*) (void)) ready_closure_callback,
};

static void
watch_release (AlgerSocketInput *self)
{
  Watch *watch = g_steal_pointer (&self->watch);

  if (watch == NULL)
    return;
  watch->input = NULL;
  g_source_destroy ((GSource *) watch);
  g_source_unref ((GSource *) watch);
}

/* hand out bytes read ahead; 0 when there are none */
static gsize
take_ahead (AlgerSocketInput *self, void *buffer, gsize count)
{
  gsize n;

  if (self->ahead == NULL)
    return 0;
  n = MIN (count, self->ahead_len - self->ahead_pos);
  memcpy (buffer, self->ahead + self->ahead_pos, n);
  self->ahead_pos += n;
  if (self->ahead_pos == self->ahead_len)
    g_clear_pointer (&self->ahead, g_free);
  return n;
}

static gssize
alger_socket_input_read (GInputStream *stream, void *buffer, gsize count,
                         GCancellable *cancellable, GError **error)
{
  AlgerSocketInput *self = ALGER_SOCKET_INPUT (stream);
  gsize n = take_ahead (self, buffer, count);

  if (n > 0 || count == 0)
    return (gssize) n;
  self->drained = FALSE;
  return g_socket_receive_with_blocking (self->socket, buffer, count, TRUE, cancellable, error);
}

static gboolean
alger_socket_input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* the socket itself is closed by its connection (AlgerSocketStream) */
  watch_release (ALGER_SOCKET_INPUT (stream));
  return TRUE;
}

static gboolean
alger_socket_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
alger_socket_input_is_readable (GPollableInputStream *stream)
{
  AlgerSocketInput *self = ALGER_SOCKET_INPUT (stream);

  return self->ahead != NULL || g_socket_condition_check (self->socket, G_IO_IN) != 0;
}

static GSource *
alger_socket_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  AlgerSocketInput *self = ALGER_SOCKET_INPUT (stream);
  GSource *source = g_source_new (&ready_funcs, sizeof (Ready));
  GSource *wrapper;

  g_source_set_static_name (source, "AlgerSocketInput");
  ((Ready *) source)->input = g_object_ref (self);
  self->waiting = g_slist_prepend (self->waiting, source);
  if (self->watch != NULL)
    watch_start (self->watch);
  if (cancellable == NULL)
    return source;
  /* with a cancellable, GLib's wrapper adds the cancellable as a child */
  wrapper = g_pollable_source_new_full (self, source, cancellable);
  g_source_unref (source);
  return wrapper;
}

static gssize
alger_socket_input_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                                     GError **error)
{
  AlgerSocketInput *self = ALGER_SOCKET_INPUT (stream);
  guint8 chunk[READ_AHEAD];
  gsize want = count < READ_AHEAD ? READ_AHEAD : count;
  guint8 *into = count < READ_AHEAD ? chunk : buffer;
  gsize n = take_ahead (self, buffer, count);
  gssize got;

  if (n > 0 || count == 0)
    return (gssize) n;
  if (self->drained) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                         "no data until the socket polls readable");
    return -1;
  }
  got = g_socket_receive_with_blocking (self->socket, (gchar *) into, want, FALSE, NULL, error);
  if (got > 0 && (gsize) got < want)
    self->drained = TRUE;
  else if (got < 0 && error != NULL &&
           g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    self->drained = TRUE;
  if (got <= 0 || into == buffer)
    return got;
  n = MIN ((gsize) got, count);
  memcpy (buffer, chunk, n);
  if ((gsize) got > n) {
    self->ahead = g_memdup2 (chunk + n, (gsize) got - n);
    self->ahead_pos = 0;
    self->ahead_len = (gsize) got - n;
  }
  return (gssize) n;
}

static void
alger_socket_input_dispose (GObject *object)
{
  AlgerSocketInput *self = ALGER_SOCKET_INPUT (object);

  watch_release (self);
  g_clear_pointer (&self->ahead, g_free);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (alger_socket_input_parent_class)->dispose (object);
}

static void
alger_socket_input_class_init (AlgerSocketInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->dispose = alger_socket_input_dispose;
  input_class->read_fn = alger_socket_input_read;
  input_class->close_fn = alger_socket_input_close;
}

static void
alger_socket_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = alger_socket_input_can_poll;
  iface->is_readable = alger_socket_input_is_readable;
  iface->create_source = alger_socket_input_create_source;
  iface->read_nonblocking = alger_socket_input_read_nonblocking;
}

static void
alger_socket_input_init (AlgerSocketInput *self)
{
}

AlgerSocketInput *
alger_socket_input_new (GSocket *socket)
{
  AlgerSocketInput *self;
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  Watch *watch;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = g_object_new (ALGER_TYPE_SOCKET_INPUT, NULL);
  self->socket = g_object_ref (socket);
  watch = (Watch *) g_source_new (&watch_funcs, sizeof (Watch));
  g_source_set_static_name ((GSource *) watch, "AlgerSocketInput watch");
  watch->input = self;
  watch->pfd.fd = g_socket_get_fd (socket);
  watch->pfd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
  g_source_attach ((GSource *) watch, context);
  self->watch = watch;
  return self;
}
