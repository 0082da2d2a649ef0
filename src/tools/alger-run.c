/* alger-run: run one pipeline graph with the engine, print its summary
 *
 * Also writes the golden document of fixtures/golden/FORMAT.md (--golden),
 * which is how the engine is checked against the original's outputs.
 */
#define G_LOG_DOMAIN "alger-run"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "alger-describe.h"
#include "alger-error.h"
#include "alger-graph.h"
#include "alger-runner.h"

#define DEFAULT_MAX_ELEMENTS (G_GUINT64_CONSTANT (1) << 28)

enum {
  EXIT_OK = 0,
  EXIT_RUN_FAILED = 1,
  EXIT_USAGE = 2,
};

typedef struct {
  AlgerValue **values; /* by node index, filled by the callback */
  AlgerGraph *graph;
} Collected;

static void
collect_cb (const AlgerNodeReport *rep, gpointer user_data)
{
  Collected *col = user_data;
  gint i = alger_graph_lookup (col->graph, rep->node_id);

  if (rep->value != NULL && i >= 0)
    col->values[i] = alger_value_ref (rep->value);
}

static void
print_json (JsonNode *node, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 1);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static JsonArray *
ids_of (AlgerGraph *graph, GArray *indices)
{
  JsonArray *arr = json_array_new ();

  for (guint k = 0; k < indices->len; k++)
    json_array_add_string_element (arr,
                                   alger_graph_get_node_id (graph, g_array_index (indices, guint, k)));
  return arr;
}

/* the FORMAT.md document for a successful run */
static void
golden_success (JsonObject *doc, AlgerGraph *graph, JsonNode *summary, AlgerValue **values)
{
  JsonObject *sum = json_node_get_object (summary);
  g_autoptr(GArray) sinks = alger_graph_get_sinks (graph);
  JsonObject *summary_sinks = json_object_new ();
  JsonObject *outputs = json_object_new ();
  JsonArray *sink_ids = ids_of (graph, sinks);

  json_object_set_string_member (doc, "strategy", json_object_get_string_member (sum, "strategy"));
  json_object_set_member (doc, "order", json_node_copy (json_object_get_member (sum, "order")));
  json_object_set_member (doc, "sources",
                          json_node_copy (json_object_get_member (sum, "sources")));
  json_object_set_array_member (doc, "sinks", sink_ids);
  for (guint k = 0; k < sinks->len; k++) {
    guint i = g_array_index (sinks, guint, k);
    JsonNode *desc = alger_describe_summary (values[i]);

    if (alger_value_get_kind (values[i]) == ALGER_VALUE_STRING)
      json_object_set_boolean_member (json_node_get_object (desc), "from_text",
                                      alger_value_string_is_from_text (values[i]));
    json_object_set_member (summary_sinks, alger_graph_get_node_id (graph, i), desc);
  }
  json_object_set_object_member (doc, "summary_sinks", summary_sinks);
  for (guint i = 0; i < alger_graph_get_n_nodes (graph); i++) {
    JsonObject *out = json_object_new ();
    JsonArray *inputs = json_array_new ();
    const char *const *preds = alger_graph_get_predecessor_ids (graph, i);

    for (guint k = 0; preds[k] != NULL; k++)
      json_array_add_string_element (inputs, preds[k]);
    json_object_set_string_member (out, "kind", alger_graph_get_node_kind_name (graph, i));
    json_object_set_array_member (out, "inputs", inputs);
    if (values[i] != NULL)
      json_object_set_member (out, "value", alger_describe_golden (values[i]));
    json_object_set_object_member (outputs, alger_graph_get_node_id (graph, i), out);
  }
  json_object_set_object_member (doc, "outputs", outputs);
}

static char *
strategy_from_file (JsonNode *root)
{
  JsonNode *node = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  node = json_object_get_member (json_node_get_object (root), "strategy");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  /* not a string: pass its JSON text through, so it fails as unknown */
  return json_to_string (node, FALSE);
}

int
main (int argc, char **argv)
{
  g_autofree char *strategy = NULL;
  g_autofree char *outputs_dir = NULL;
  g_autofree char *execution_id = NULL;
  g_autofree char *compat = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *basename = NULL;
  g_auto(GStrv) files = NULL;
  gboolean golden = FALSE;
  gint64 max_nodes = ALGER_GRAPH_DEFAULT_MAX_NODES;
  gint64 max_elements = (gint64) DEFAULT_MAX_ELEMENTS;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(JsonNode) summary = NULL;
  g_autoptr(JsonObject) doc = NULL;
  g_autoptr(JsonNode) doc_node = NULL;
  AlgerRunOptions opts = { 0 };
  Collected col = { NULL, NULL };
  gsize len = 0;
  const GOptionEntry entries[] = {
    { "strategy", 's', 0, G_OPTION_ARG_STRING, &strategy,
      N_("Execution order: kahn or dfs (default: the file's \"strategy\", else kahn)"), "NAME" },
    { "outputs", 'o', 0, G_OPTION_ARG_FILENAME, &outputs_dir,
      N_("Write tracked outputs under DIR/<execution-id>/"), "DIR" },
    { "execution-id", 0, 0, G_OPTION_ARG_STRING, &execution_id,
      N_("Execution id naming the outputs folder (default: a random UUID)"), "ID" },
    { "golden", 'g', 0, G_OPTION_ARG_NONE, &golden,
      N_("Print the golden document (dag-golden/1) instead of the summary"), NULL },
    { "max-nodes", 0, 0, G_OPTION_ARG_INT64, &max_nodes,
      N_("Refuse graphs with more nodes (0: no limit; default 100000)"), "N" },
    { "max-elements", 0, 0, G_OPTION_ARG_INT64, &max_elements,
      N_("Refuse arrays with more elements (0: no limit; default 268435456)"), "N" },
    { "compat", 0, 0, G_OPTION_ARG_STRING, &compat,
      N_("\"original\": behave exactly as the Python engine (ignore newer options)"), "MODE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("GRAPH.json") },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("— run a pipeline graph"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (
      context,
      _("Prints the run summary as JSON. Exit status: 0 on success; 1 when the run "
        "failed (the error goes to stderr); 2 for bad options or an unreadable graph.\n"
        "With --golden the document is printed for failed runs too (\"ok\": false) and "
        "the exit status is 0, since a failure can be the expected result; pair it with "
        "--compat=original to compare with the goldens."));
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return EXIT_USAGE;
  }
  if (files == NULL || g_strv_length (files) != 1) {
    g_printerr (_("Expected exactly one graph file; see --help.\n"));
    return EXIT_USAGE;
  }
  if (max_nodes < 0 || max_nodes > G_MAXUINT || max_elements < 0) {
    g_printerr (_("Limits must be between 0 and %u.\n"), G_MAXUINT);
    return EXIT_USAGE;
  }
  if (compat != NULL && g_strcmp0 (compat, "original") != 0 && g_strcmp0 (compat, "none") != 0) {
    g_printerr (_("Unknown compatibility mode '%s' (expected \"original\").\n"), compat);
    return EXIT_USAGE;
  }
  if (!g_file_get_contents (files[0], &contents, &len, &error)) {
    g_printerr ("%s\n", error->message);
    return EXIT_USAGE;
  }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, contents, (gssize) len, &error)) {
    g_printerr (_("%s: not valid JSON: %s\n"), files[0], error->message);
    return EXIT_USAGE;
  }
  if (strategy == NULL)
    strategy = strategy_from_file (json_parser_get_root (parser));
  if (strategy == NULL)
    strategy = g_strdup (ALGER_STRATEGY_KAHN);
  if (execution_id == NULL)
    execution_id = g_uuid_string_random ();

  opts.outputs_dir = outputs_dir;
  opts.execution_id = execution_id;
  opts.max_elements = (guint64) max_elements;
  opts.compat_original = g_strcmp0 (compat, "original") == 0;
  opts.keep_values = golden;

  graph = alger_graph_new_from_json (json_parser_get_root (parser), (guint) max_nodes, &error);
  if (graph != NULL) {
    col.graph = graph;
    col.values = g_new0 (AlgerValue *, alger_graph_get_n_nodes (graph));
    summary = alger_runner_run (graph, strategy, &opts, golden ? collect_cb : NULL, &col, NULL,
                                &error);
  }

  if (!golden) {
    if (summary == NULL) {
      g_printerr ("%s: %s\n", alger_error_python_type (error), error->message);
    } else {
      print_json (summary, TRUE);
    }
  } else {
    basename = g_path_get_basename (files[0]);
    doc = json_object_new ();
    json_object_set_string_member (doc, "format", "dag-golden/1");
    json_object_set_string_member (doc, "graph", basename);
    if (g_str_has_suffix (basename, ".json"))
      basename[strlen (basename) - 5] = '\0';
    json_object_set_string_member (doc, "case", basename);
    json_object_set_string_member (doc, "strategy_arg", strategy);
    json_object_set_boolean_member (doc, "ok", summary != NULL);
    if (summary != NULL) {
      golden_success (doc, graph, summary, col.values);
    } else {
      JsonObject *err = json_object_new ();
      json_object_set_string_member (err, "type", alger_error_python_type (error));
      json_object_set_string_member (err, "message", error->message);
      json_object_set_object_member (doc, "error", err);
    }
    doc_node = json_node_init_object (json_node_alloc (), doc);
    print_json (doc_node, TRUE);
  }

  for (guint i = 0; col.values != NULL && i < alger_graph_get_n_nodes (graph); i++)
    g_clear_pointer (&col.values[i], alger_value_unref);
  g_free (col.values);
  if (summary == NULL && !golden)
    return EXIT_RUN_FAILED;
  return EXIT_OK;
}
