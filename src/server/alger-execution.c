/* alger-execution.c: one pipeline run */
#define G_LOG_DOMAIN "alger-execution"

#include "config.h"

#include "alger-execution.h"

#include "alger-uuid.h"

struct _AlgerExecution {
  GObject parent_instance;

  char *id;
  char *source;
  char *pipeline_id;
  char *strategy;
  char *requested_by;
  AlgerExecutionStatus status;
  GCancellable *cancellable;
  gint64 started_at;
  gboolean stop_requested;
};

G_DEFINE_TYPE (AlgerExecution, alger_execution, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_NODE_FINISHED,
  SIGNAL_FINISHED,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

const char *
alger_execution_status_to_string (AlgerExecutionStatus status)
{
  switch (status) {
  case ALGER_EXECUTION_RUNNING:
    return "running";
  case ALGER_EXECUTION_FINISHED:
    return "finished";
  case ALGER_EXECUTION_FAILED:
    return "failed";
  case ALGER_EXECUTION_STOPPED:
    return "stopped";
  case ALGER_EXECUTION_INTERRUPTED:
    return "interrupted";
  default:
    return "unknown";
  }
}

const char *
alger_execution_get_id (AlgerExecution *self)
{
  return self->id;
}

const char *
alger_execution_get_source (AlgerExecution *self)
{
  return self->source;
}

const char *
alger_execution_get_pipeline_id (AlgerExecution *self)
{
  return self->pipeline_id;
}

const char *
alger_execution_get_strategy (AlgerExecution *self)
{
  return self->strategy;
}

const char *
alger_execution_get_requested_by (AlgerExecution *self)
{
  return self->requested_by;
}

AlgerExecutionStatus
alger_execution_get_status (AlgerExecution *self)
{
  return self->status;
}

GCancellable *
alger_execution_get_cancellable (AlgerExecution *self)
{
  return self->cancellable;
}

gint64
alger_execution_get_started_at (AlgerExecution *self)
{
  return self->started_at;
}

gboolean
alger_execution_request_stop (AlgerExecution *self)
{
  g_return_val_if_fail (ALGER_IS_EXECUTION (self), FALSE);

  if (self->status != ALGER_EXECUTION_RUNNING || self->stop_requested)
    return FALSE;
  self->stop_requested = TRUE;
  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

gboolean
alger_execution_is_stop_requested (AlgerExecution *self)
{
  return self->stop_requested;
}

void
alger_execution_emit_node (AlgerExecution *self, const char *content, gboolean failed)
{
  g_return_if_fail (ALGER_IS_EXECUTION (self));
  g_return_if_fail (content != NULL);

  /* after a stop is acknowledged the client must see no further node */
  if (self->stop_requested || self->status != ALGER_EXECUTION_RUNNING)
    return;
  g_signal_emit (self, signals[SIGNAL_NODE_FINISHED], 0, content, failed);
}

void
alger_execution_finish (AlgerExecution *self, AlgerExecutionStatus status,
                        JsonObject *final_report)
{
  g_return_if_fail (ALGER_IS_EXECUTION (self));

  if (self->status != ALGER_EXECUTION_RUNNING)
    return;
  if (self->stop_requested)
    status = ALGER_EXECUTION_STOPPED;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATUS]);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, final_report);
}

static void
alger_execution_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AlgerExecution *self = ALGER_EXECUTION (object);

  switch (prop_id) {
  case PROP_STATUS:
    g_value_set_string (value, alger_execution_status_to_string (self->status));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
alger_execution_finalize (GObject *object)
{
  AlgerExecution *self = ALGER_EXECUTION (object);

  g_free (self->id);
  g_free (self->source);
  g_free (self->pipeline_id);
  g_free (self->strategy);
  g_free (self->requested_by);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (alger_execution_parent_class)->finalize (object);
}

static void
alger_execution_class_init (AlgerExecutionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = alger_execution_get_property;
  object_class->finalize = alger_execution_finalize;

  props[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, "running",
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                              G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* content: the 205/305 content object as compact JSON text (made on the
   * worker, so the main loop only forwards it); failed: a 305 */
  signals[SIGNAL_NODE_FINISHED] = g_signal_new ("node-finished", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2,
                                                G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                                                G_TYPE_BOOLEAN);
  /* report: the 207/307 content object */
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           1, JSON_TYPE_OBJECT);
}

static void
alger_execution_init (AlgerExecution *self)
{
  self->id = alger_uuid_v7_new ();
  self->cancellable = g_cancellable_new ();
  self->started_at = g_get_real_time ();
  self->status = ALGER_EXECUTION_RUNNING;
}

AlgerExecution *
alger_execution_new (const char *source, const char *pipeline_id, const char *strategy,
                     const char *requested_by)
{
  AlgerExecution *self = g_object_new (ALGER_TYPE_EXECUTION, NULL);

  self->source = g_strdup (source);
  self->pipeline_id = g_strdup (pipeline_id);
  self->strategy = g_strdup (strategy);
  self->requested_by = g_strdup (requested_by);
  return self;
}
