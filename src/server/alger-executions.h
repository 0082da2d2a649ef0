/* alger-executions.h: runs pipelines for the protocol (103/104/106/107)
 *
 * Owns the worker pool, the live executions and the gates (maintenance,
 * halt, concurrency).  Workers only compute; everything that touches the
 * store, sessions or this object's state happens on the main context.
 */
#pragma once

#include <gio/gio.h>

#include "alger-config.h"
#include "alger-execution.h"
#include "alger-frame.h"
#include "alger-session.h"
#include "alger-store.h"

G_BEGIN_DECLS

#define ALGER_TYPE_EXECUTIONS (alger_executions_get_type ())
G_DECLARE_FINAL_TYPE (AlgerExecutions, alger_executions, ALGER, EXECUTIONS, GObject)

AlgerExecutions *alger_executions_new (const AlgerConfig *config, AlgerStore *store,
                                       GError **error);

/* start a run for the request `request_id` of `session`: checks the gates
 * (answering 399/398/397), records the execution, answers `success_type`
 * (203/204) and queues the graph to a worker.  Give the graph as a tree
 * (`graph`, a stored pipeline) or as the text received (`graph_text`: a
 * checked JSON object text, stored as is and read on the worker without a
 * tree); at least one of them. */
/* @graph_text (the graph as received, when there is no @graph) is taken over */
void alger_executions_start (AlgerExecutions *self, AlgerSession *session, gint64 request_id,
                             gint64 success_type, JsonNode *graph, char *graph_text,
                             const char *source, const char *pipeline_id, const char *strategy,
                             JsonNode *params);

/* new param specs for the four gate properties, which AlgerExecutions has and
 * AlgerDaemon mirrors for D-Bus: maintenance-mode, executions-halted,
 * max-concurrent-executions (>= 1), active-executions (read-only) */
void alger_executions_gate_pspecs (GParamSpec **maintenance_mode, GParamSpec **executions_halted,
                                   GParamSpec **max_concurrent, GParamSpec **active);

/* live runs (transfer container) */
GList *alger_executions_get_running (AlgerExecutions *self);
AlgerExecution *alger_executions_find (AlgerExecutions *self, const char *execution_id);
guint alger_executions_get_n_running (AlgerExecutions *self);

/* stop one run (by = who asked, for the audit); ALGER_ERROR_NOT_FOUND or
 * ALGER_ERROR_NOT_RUNNING when it is not live */
gboolean alger_executions_stop (AlgerExecutions *self, const char *execution_id,
                                const char *by, GError **error);
/* stop every live run; returns how many */
guint alger_executions_stop_all (AlgerExecutions *self, const char *by);
/* TRUE once no run is live (shutdown waits for it) */
gboolean alger_executions_is_idle (AlgerExecutions *self);

G_END_DECLS
