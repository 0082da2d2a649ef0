/* alger-graph.h: reading, validating and ordering a pipeline graph
 *
 * Pure: no I/O, no main context.  A graph is immutable once read and
 * reference counted (atomically), so it may be shared between threads.
 * Node indices are positions in the graph's `nodes` array (input order).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "alger-node.h"

G_BEGIN_DECLS

/* default node limit used by the tools; the server passes its configured one */
#define ALGER_GRAPH_DEFAULT_MAX_NODES 100000

/* edges may repeat nodes (multi-input kinds), so allow more of them */
#define ALGER_GRAPH_EDGES_PER_NODE 16

#define ALGER_STRATEGY_KAHN "kahn"
#define ALGER_STRATEGY_DFS "dfs"

typedef struct _AlgerGraph AlgerGraph;

/* Reads a React Flow export (`root.pipeline` if present, else `root`).
 * Reading errors (ids, params, edges) are ALGER_ERROR_PIPELINE with the
 * original's messages; more than @max_nodes nodes (0 = no limit) or more than
 * ALGER_GRAPH_EDGES_PER_NODE × @max_nodes edges is ALGER_ERROR_LIMIT. */
AlgerGraph *alger_graph_new_from_json (JsonNode *root, guint max_nodes, GError **error);
/* The same from JSON text (UTF-8, @length -1 for NUL-terminated), without
 * building a JsonNode tree for the whole document: the text is checked as
 * strict RFC 8259 JSON (the rules of the wire reader, alger-json-text.h;
 * failures are ALGER_ERROR_INVALID_ARGS "offset N: reason"), then only the
 * members the engine reads are extracted; params objects become JsonObjects.
 * Numbers follow the wire reader: an integer outside gint64 is a double. */
AlgerGraph *alger_graph_new_from_text (const char *text, gssize length, guint max_nodes,
                                       GError **error);
AlgerGraph *alger_graph_ref (AlgerGraph *graph);
void alger_graph_unref (AlgerGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerGraph, alger_graph_unref)

guint alger_graph_get_n_nodes (const AlgerGraph *graph);
/* index of the node with this id, or -1 */
gint alger_graph_lookup (const AlgerGraph *graph, const char *node_id);
const char *alger_graph_get_node_id (const AlgerGraph *graph, guint index);
/* nullable: the graph gave no kind */
const char *alger_graph_get_node_kind_name (const AlgerGraph *graph, guint index);
/* nullable: kind missing or not registered */
const AlgerNodeKind *alger_graph_get_node_kind (const AlgerGraph *graph, guint index);
/* never NULL (an empty object when the graph had none); transfer none */
JsonObject *alger_graph_get_node_params (const AlgerGraph *graph, guint index);
/* the graph's track flag only (see alger_graph_node_is_tracked) */
gboolean alger_graph_get_node_track_flag (const AlgerGraph *graph, guint index);
/* track flag, or a kind that is always tracked */
gboolean alger_graph_node_is_tracked (const AlgerGraph *graph, guint index);

/* Predecessors in edge order, a duplicated edge counted once.  Only
 * meaningful when every edge names a known node (validation step 1). */
const guint *alger_graph_get_predecessors (const AlgerGraph *graph, guint index, guint *n_preds);
/* the same as NULL-terminated ids (owned by the graph) */
const char *const *alger_graph_get_predecessor_ids (const AlgerGraph *graph, guint index);
const guint *alger_graph_get_successors (const AlgerGraph *graph, guint index, guint *n_succs);

/* The five validation steps of ENGINE.md, in order; the first failure is
 * returned as ALGER_ERROR_PIPELINE with the original's exact message. */
gboolean alger_graph_validate (const AlgerGraph *graph, const char *strategy, GError **error);

/* "breadth-first topological (Kahn)" etc., or NULL for an unknown strategy */
const char *alger_graph_strategy_label (const char *strategy);

/* Execution order as node indices (validates first). */
GArray *alger_graph_get_order (const AlgerGraph *graph, const char *strategy, GError **error);

/* node indices with no inputs / no outputs, in input order */
GArray *alger_graph_get_sources (const AlgerGraph *graph);
GArray *alger_graph_get_sinks (const AlgerGraph *graph);

G_END_DECLS
