/* alger-execution.h: one pipeline run
 *
 * Created and observed on the main context.  The graph runs on a worker
 * of AlgerExecutions' pool; its reports come back to the main context and
 * are re-emitted here as signals, so the WebSocket session that started
 * the run and the D-Bus admin can each subscribe without knowing each other.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  ALGER_EXECUTION_RUNNING,
  ALGER_EXECUTION_FINISHED,
  ALGER_EXECUTION_FAILED,
  ALGER_EXECUTION_STOPPED,
  ALGER_EXECUTION_INTERRUPTED,
} AlgerExecutionStatus;

const char *alger_execution_status_to_string (AlgerExecutionStatus status);

#define ALGER_TYPE_EXECUTION (alger_execution_get_type ())
G_DECLARE_FINAL_TYPE (AlgerExecution, alger_execution, ALGER, EXECUTION, GObject)

AlgerExecution *alger_execution_new (const char *source, const char *pipeline_id,
                                     const char *strategy, const char *requested_by);

const char *alger_execution_get_id (AlgerExecution *self);
const char *alger_execution_get_source (AlgerExecution *self);
const char *alger_execution_get_pipeline_id (AlgerExecution *self); /* nullable */
const char *alger_execution_get_strategy (AlgerExecution *self);
const char *alger_execution_get_requested_by (AlgerExecution *self);
AlgerExecutionStatus alger_execution_get_status (AlgerExecution *self);
GCancellable *alger_execution_get_cancellable (AlgerExecution *self);
gint64 alger_execution_get_started_at (AlgerExecution *self); /* unix usec */

/* ask the run to stop: cancels it; from now on no node report is emitted and
 * the status becomes (and stays) "stopped".  FALSE if it had already ended. */
gboolean alger_execution_request_stop (AlgerExecution *self);
gboolean alger_execution_is_stop_requested (AlgerExecution *self);

/* main context only; used by AlgerExecutions as reports arrive */
void alger_execution_emit_node (AlgerExecution *self, const char *content, gboolean failed);
void alger_execution_finish (AlgerExecution *self, AlgerExecutionStatus status,
                             JsonObject *final_report);

G_END_DECLS
