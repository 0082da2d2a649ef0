/* alger-runner.c: run a graph node by node, report, write, summarise */
#define G_LOG_DOMAIN "alger-runner"

#include "config.h"

#include "alger-runner.h"

#include "alger-artifacts.h"
#include "alger-describe.h"
#include "alger-error.h"

typedef struct {
  AlgerGraph *graph;
  AlgerValue **values; /* by node index */
  GRand *rand;         /* only for simulated delays */
  AlgerArtifactsFolder *folder; /* only when outputs are written */
} RunState;

static void
run_state_clear (RunState *st)
{
  for (guint i = 0; st->values != NULL && i < alger_graph_get_n_nodes (st->graph); i++)
    g_clear_pointer (&st->values[i], alger_value_unref);
  g_clear_pointer (&st->values, g_free);
  g_clear_pointer (&st->rand, g_rand_free);
  g_clear_pointer (&st->folder, alger_artifacts_folder_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunState, run_state_clear)

/* sleep @ms, waking at once when @cancellable fires; FALSE if cancelled */
static gboolean
wait_cancellable (GCancellable *cancellable, guint ms)
{
  GPollFD pfd = { 0 };
  gint64 deadline = 0;

  if (ms == 0)
    return !g_cancellable_is_cancelled (cancellable);
  if (cancellable == NULL || !g_cancellable_make_pollfd (cancellable, &pfd)) {
    g_usleep ((gulong) ms * 1000);
    return !g_cancellable_is_cancelled (cancellable);
  }
  deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  while (!g_cancellable_is_cancelled (cancellable)) {
    gint64 left = deadline - g_get_monotonic_time ();
    if (left <= 0)
      break;
    /* round up so we never spin on a sub-millisecond remainder */
    g_poll (&pfd, 1, (gint) ((left + 999) / 1000));
  }
  g_cancellable_release_fd (cancellable);
  return !g_cancellable_is_cancelled (cancellable);
}

static void
report (AlgerNodeCallback callback,
        gpointer user_data,
        const AlgerGraph *graph,
        guint index,
        guint order,
        double duration_ms,
        const GError *error,
        GPtrArray *artifacts,
        AlgerValue *value)
{
  AlgerNodeReport rep = { 0 };

  if (callback == NULL)
    return;
  rep.node_id = alger_graph_get_node_id (graph, index);
  rep.node_kind = alger_graph_get_node_kind_name (graph, index);
  rep.order = order;
  rep.duration_ms = duration_ms;
  rep.predecessors = alger_graph_get_predecessor_ids (graph, index);
  alger_graph_get_predecessors (graph, index, &rep.n_predecessors);
  rep.error = error;
  rep.artifacts = artifacts;
  rep.value = value;
  callback (&rep, user_data);
}

struct _AlgerRunSummary {
  AlgerGraph *graph;
  const char *strategy; /* static label */
  GArray *order;        /* guint node indices */
  GArray *sources;
  GArray *sinks;
  JsonNode **sink_descs; /* by position in sinks */
};

void
alger_run_summary_free (AlgerRunSummary *summary)
{
  if (summary == NULL)
    return;
  for (guint k = 0; summary->sink_descs != NULL && k < summary->sinks->len; k++)
    g_clear_pointer (&summary->sink_descs[k], json_node_unref);
  g_free (summary->sink_descs);
  g_clear_pointer (&summary->sinks, g_array_unref);
  g_clear_pointer (&summary->sources, g_array_unref);
  g_clear_pointer (&summary->order, g_array_unref);
  g_clear_pointer (&summary->graph, alger_graph_unref);
  g_free (summary);
}

AlgerGraph *
alger_run_summary_get_graph (const AlgerRunSummary *summary)
{
  return summary->graph;
}

const char *
alger_run_summary_get_strategy (const AlgerRunSummary *summary)
{
  return summary->strategy;
}

const guint *
alger_run_summary_get_order (const AlgerRunSummary *summary, guint *n_nodes)
{
  *n_nodes = summary->order->len;
  return (const guint *) summary->order->data;
}

const guint *
alger_run_summary_get_sources (const AlgerRunSummary *summary, guint *n_sources)
{
  *n_sources = summary->sources->len;
  return (const guint *) summary->sources->data;
}

guint
alger_run_summary_get_n_sinks (const AlgerRunSummary *summary)
{
  return summary->sinks->len;
}

guint
alger_run_summary_get_sink (const AlgerRunSummary *summary, guint k, JsonNode **description)
{
  g_return_val_if_fail (k < summary->sinks->len, 0);
  if (description != NULL)
    *description = summary->sink_descs[k];
  return g_array_index (summary->sinks, guint, k);
}

static JsonArray *
ids_array (const AlgerGraph *graph, GArray *indices)
{
  JsonArray *arr = json_array_sized_new (indices->len);

  for (guint k = 0; k < indices->len; k++)
    json_array_add_string_element (arr,
                                   alger_graph_get_node_id (graph,
                                                            g_array_index (indices, guint, k)));
  return arr;
}

/* @steal: hand the descriptions over instead of sharing them (the summary
 * is about to be freed) */
static JsonNode *
summary_to_json (AlgerRunSummary *summary, gboolean steal)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  JsonObject *descs = json_object_new ();

  json_object_set_string_member (obj, "strategy", summary->strategy);
  json_object_set_array_member (obj, "order", ids_array (summary->graph, summary->order));
  json_object_set_array_member (obj, "sources", ids_array (summary->graph, summary->sources));
  for (guint k = 0; k < summary->sinks->len; k++)
    json_object_set_member (descs,
                            alger_graph_get_node_id (summary->graph,
                                                     g_array_index (summary->sinks, guint, k)),
                            steal ? g_steal_pointer (&summary->sink_descs[k])
                                  : json_node_copy (summary->sink_descs[k]));
  json_object_set_object_member (obj, "sinks", descs);
  return json_node_init_object (json_node_alloc (), obj);
}

JsonNode *
alger_run_summary_to_json (const AlgerRunSummary *summary)
{
  g_return_val_if_fail (summary != NULL, NULL);
  return summary_to_json ((AlgerRunSummary *) summary, FALSE);
}

static AlgerRunSummary *
build_summary (RunState *st, const char *strategy, GArray *order)
{
  AlgerRunSummary *summary = g_new0 (AlgerRunSummary, 1);

  summary->graph = alger_graph_ref (st->graph);
  summary->strategy = alger_graph_strategy_label (strategy);
  summary->order = g_array_ref (order);
  summary->sources = alger_graph_get_sources (st->graph);
  summary->sinks = alger_graph_get_sinks (st->graph);
  summary->sink_descs = g_new0 (JsonNode *, MAX (summary->sinks->len, 1));
  for (guint k = 0; k < summary->sinks->len; k++)
    summary->sink_descs[k] =
      alger_describe_summary (st->values[g_array_index (summary->sinks, guint, k)]);
  return summary;
}

/* NULL, the single input, or a new LIST of the inputs in edge order */
static AlgerValue *
gather_input (RunState *st, guint index)
{
  guint n_preds = 0;
  const guint *preds = alger_graph_get_predecessors (st->graph, index, &n_preds);
  AlgerValue *list = NULL;

  if (n_preds == 0)
    return NULL;
  if (n_preds == 1)
    return alger_value_ref (st->values[preds[0]]);
  list = alger_value_new_list ();
  for (guint k = 0; k < n_preds; k++)
    alger_value_list_append (list, alger_value_ref (st->values[preds[k]]));
  return list;
}

/* drop outputs nobody needs any more, so a long pipeline keeps few arrays */
static void
release_inputs (RunState *st, guint index, guint *consumers_left)
{
  guint n_preds = 0;
  const guint *preds = alger_graph_get_predecessors (st->graph, index, &n_preds);

  for (guint k = 0; k < n_preds; k++) {
    if (--consumers_left[preds[k]] == 0)
      g_clear_pointer (&st->values[preds[k]], alger_value_unref);
  }
}

AlgerRunSummary *
alger_runner_run_summary (AlgerGraph *graph,
                          const char *strategy,
                          const AlgerRunOptions *opts,
                          AlgerNodeCallback callback,
                          gpointer user_data,
                          GCancellable *cancellable,
                          GError **error)
{
  static const AlgerRunOptions defaults = { 0 };
  g_auto(RunState) st = { graph, NULL, NULL, NULL };
  g_autoptr(GArray) order = NULL;
  g_autofree guint *consumers_left = NULL;
  AlgerNodeContext ctx = { 0 };
  guint n = 0;

  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (opts == NULL)
    opts = &defaults;
  if (opts->outputs_dir != NULL) {
    st.folder = alger_artifacts_folder_new (opts->outputs_dir, opts->execution_id, error);
    if (st.folder == NULL)
      return NULL;
  }
  order = alger_graph_get_order (graph, strategy, error);
  if (order == NULL)
    return NULL;

  n = alger_graph_get_n_nodes (graph);
  st.values = g_new0 (AlgerValue *, n);
  consumers_left = g_new (guint, n);
  for (guint i = 0; i < n; i++) {
    alger_graph_get_successors (graph, i, &consumers_left[i]);
    /* sinks (no consumers) and kept values are never released early */
    if (opts->keep_values)
      consumers_left[i] = G_MAXUINT;
  }
  if (opts->node_delay_max_ms > 0)
    st.rand = g_rand_new ();
  ctx.cancellable = cancellable;
  ctx.max_elements = opts->max_elements;
  ctx.compat_original = opts->compat_original;

  for (guint k = 0; k < order->len; k++) {
    guint i = g_array_index (order, guint, k);
    const AlgerNodeKind *kind = alger_graph_get_node_kind (graph, i);
    g_autoptr(AlgerValue) input = NULL;
    g_autoptr(AlgerValue) output = NULL;
    g_autoptr(GPtrArray) artifacts = NULL;
    g_autoptr(GError) local_error = NULL;
    gint64 t0 = 0;
    double ms = 0;

    if (st.rand != NULL) {
      guint lo = MIN (opts->node_delay_min_ms, opts->node_delay_max_ms);
      wait_cancellable (cancellable,
                        (guint) g_rand_int_range (st.rand, (gint32) lo,
                                                  (gint32) opts->node_delay_max_ms + 1));
    }
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return NULL;

    input = gather_input (&st, i);
    /* the duration only goes to the callback: no clock reads without one */
    if (callback != NULL)
      t0 = g_get_monotonic_time ();
    output = kind->run (&ctx, alger_graph_get_node_params (graph, i), input, &local_error);
    if (callback != NULL)
      ms = (double) (g_get_monotonic_time () - t0) / 1000.0;
    g_clear_pointer (&input, alger_value_unref);

    /* a stop wins over whatever the node produced: no report after it */
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return NULL;
    if (output == NULL && local_error == NULL)
      g_set_error (&local_error, ALGER_ERROR, ALGER_ERROR_FAILED, "Node '%s' produced no value.",
                   alger_graph_get_node_id (graph, i));
    if (output != NULL && st.folder != NULL && alger_graph_node_is_tracked (graph, i)) {
      artifacts = alger_artifacts_folder_write (st.folder, alger_graph_get_node_kind_name (graph, i),
                                                alger_graph_get_node_id (graph, i), output,
                                                &local_error);
    }
    if (local_error != NULL) {
      report (callback, user_data, graph, i, k + 1, ms, local_error, NULL, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
    if (artifacts == NULL && callback != NULL)
      artifacts = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
    report (callback, user_data, graph, i, k + 1, ms, NULL, artifacts, output);
    st.values[i] = g_steal_pointer (&output);
    release_inputs (&st, i, consumers_left);
  }
  return build_summary (&st, strategy, order);
}

JsonNode *
alger_runner_run (AlgerGraph *graph,
                  const char *strategy,
                  const AlgerRunOptions *opts,
                  AlgerNodeCallback callback,
                  gpointer user_data,
                  GCancellable *cancellable,
                  GError **error)
{
  g_autoptr(AlgerRunSummary) summary =
    alger_runner_run_summary (graph, strategy, opts, callback, user_data, cancellable, error);

  if (summary == NULL)
    return NULL;
  return summary_to_json (summary, TRUE);
}
