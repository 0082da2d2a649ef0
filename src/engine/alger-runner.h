/* alger-runner.h: running a validated pipeline graph
 *
 * alger_runner_run() validates, orders and runs a graph on the calling
 * thread (meant to be a worker: no main context is used, no globals), reports
 * each node through a callback as it completes or fails, writes tracked
 * outputs, and returns the run summary.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "alger-graph.h"
#include "alger-value.h"

G_BEGIN_DECLS

typedef struct {
  const char *outputs_dir;  /* nullable: do not write tracked outputs */
  const char *execution_id; /* required when outputs_dir is set (folder name) */
  guint64 max_elements;     /* per array a node may create; 0 = unlimited */
  gboolean compat_original; /* --compat=original */
  guint node_delay_min_ms;  /* random wait before each node (simulated work), */
  guint node_delay_max_ms;  /* interrupted at once by the cancellable */
  gboolean keep_values;     /* keep every output alive until the run ends */
} AlgerRunOptions;

/* what the callback sees for each node; everything is owned by the runner
 * and valid only during the call (ref/copy what you keep) */
typedef struct {
  const char *node_id;
  const char *node_kind;
  guint order;                     /* 1, 2, 3… in execution order */
  double duration_ms;              /* the node's own run time (no simulated delay) */
  const char *const *predecessors; /* NULL-terminated ids, edge order */
  guint n_predecessors;
  const GError *error;             /* NULL on success */
  GPtrArray *artifacts;            /* JsonNode {path,format,size,executionId,metadata?} */
  AlgerValue *value;               /* the output; NULL on failure */
} AlgerNodeReport;

/* called on the runner's thread, once per node that ran */
typedef void (*AlgerNodeCallback) (const AlgerNodeReport *report, gpointer user_data);

/* The result of a run as data: the graph (a reference), the strategy's
 * label, the order and the sources as node indices, and each sink's
 * description (alger_describe_summary).  Building the JSON form costs three
 * json-glib allocations per node of the order (a 10,000-node chain spends
 * more on that than on reading and running), so it is made only on request. */
typedef struct _AlgerRunSummary AlgerRunSummary;

void alger_run_summary_free (AlgerRunSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerRunSummary, alger_run_summary_free)

AlgerGraph *alger_run_summary_get_graph (const AlgerRunSummary *summary); /* transfer none */
const char *alger_run_summary_get_strategy (const AlgerRunSummary *summary); /* the label */
/* node indices, owned by the summary */
const guint *alger_run_summary_get_order (const AlgerRunSummary *summary, guint *n_nodes);
const guint *alger_run_summary_get_sources (const AlgerRunSummary *summary, guint *n_sources);
/* the sinks, in input order: their index, and their description (transfer none) */
guint alger_run_summary_get_n_sinks (const AlgerRunSummary *summary);
guint alger_run_summary_get_sink (const AlgerRunSummary *summary, guint k, JsonNode **description);
/* {strategy:<label>, order, sources, sinks:{id: description}}: the node
 * alger_runner_run() returns (a new one per call; the sink descriptions'
 * objects are shared with the summary, as json_node_copy() shares them) */
JsonNode *alger_run_summary_to_json (const AlgerRunSummary *summary);

/* alger_runner_run() with the summary as data (the same run, reports and errors) */
AlgerRunSummary *alger_runner_run_summary (AlgerGraph *graph,
                                           const char *strategy,
                                           const AlgerRunOptions *opts,
                                           AlgerNodeCallback callback,
                                           gpointer user_data,
                                           GCancellable *cancellable,
                                           GError **error);

/* Returns {strategy:<label>, order, sources, sinks:{id: description}}.
 * @strategy: "kahn" (also when NULL) or "dfs".
 * Errors: ALGER_ERROR_PIPELINE (validation, with the original's messages;
 * no node ran), whatever a node raised (ALGER_ERROR_*, after its report),
 * ALGER_ERROR_STORAGE when a tracked file cannot be written,
 * G_IO_ERROR_CANCELLED when @cancellable fires (no report after it). */
JsonNode *alger_runner_run (AlgerGraph *graph,
                            const char *strategy,
                            const AlgerRunOptions *opts,
                            AlgerNodeCallback callback,
                            gpointer user_data,
                            GCancellable *cancellable,
                            GError **error);

G_END_DECLS
