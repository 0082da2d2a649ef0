/* bench-engine: time the engine on the figures the original was measured on
 *
 *   bench-engine [--runs N] [--shared DIR]
 *
 * Each case prints ms per run (best and mean of N) next to a baseline
 * measured in the same process, and the speed-up over the original.
 */
#include "config.h"

#include <string.h>

#include "alger-graph.h"
#include "alger-runner.h"

typedef struct {
  double best;
  double mean;
} Timing;

static double
now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

/* parse the graph text, read, validate, run; returns FALSE on error */
static gboolean
run_once (const char *text, JsonNode *parsed, gboolean compat, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(JsonNode) summary = NULL;
  AlgerRunOptions opts = { 0 };

  if (parsed == NULL) {
    parser = json_parser_new ();
    if (!json_parser_load_from_data (parser, text, -1, error))
      return FALSE;
    parsed = json_parser_get_root (parser);
  }
  graph = alger_graph_new_from_json (parsed, 0, error);
  if (graph == NULL)
    return FALSE;
  opts.compat_original = compat;
  summary = alger_runner_run (graph, "kahn", &opts, NULL, NULL, NULL, error);
  return summary != NULL;
}

static gboolean
time_runs (const char *label, const char *text, JsonNode *parsed, gboolean compat, guint runs,
           Timing *out)
{
  g_autoptr(GError) error = NULL;
  double total = 0;

  out->best = G_MAXDOUBLE;
  /* one warm-up run */
  if (!run_once (text, parsed, compat, &error)) {
    g_print ("%-28s FAILED: %s\n", label, error->message);
    return FALSE;
  }
  for (guint r = 0; r < runs; r++) {
    double t0 = now_ms ();
    double dt = 0;
    run_once (text, parsed, compat, NULL);
    dt = now_ms () - t0;
    total += dt;
    out->best = MIN (out->best, dt);
  }
  out->mean = total / runs;
  return TRUE;
}

static double
memcpy_baseline (gsize bytes, guint runs)
{
  g_autofree guint8 *src = g_malloc (bytes);
  g_autofree guint8 *dst = g_malloc (bytes);
  double best = G_MAXDOUBLE;

  memset (src, 1, bytes);
  for (guint r = 0; r < runs; r++) {
    double t0 = now_ms ();
    memcpy (dst, src, bytes);
    best = MIN (best, now_ms () - t0);
    src[r % bytes] ^= dst[(r * 7) % bytes]; /* keep the copy observable */
  }
  return best;
}

/* the floor for reading a parsed graph: visit every member of every node
 * and edge object once, with no engine code at all */
static double
json_walk_baseline (JsonNode *root, guint runs)
{
  JsonObject *pipeline = json_object_get_object_member (json_node_get_object (root), "pipeline");
  const char *arrays[] = { "nodes", "edges" };
  double best = G_MAXDOUBLE;
  gsize count = 0;

  for (guint r = 0; r < runs; r++) {
    double t0 = now_ms ();
    for (guint a = 0; a < G_N_ELEMENTS (arrays); a++) {
      JsonArray *arr = json_object_get_array_member (pipeline, arrays[a]);
      for (guint i = 0; i < json_array_get_length (arr); i++) {
        JsonObjectIter iter;
        const char *name = NULL;
        JsonNode *node = NULL;

        json_object_iter_init_ordered (&iter, json_array_get_object_element (arr, i));
        while (json_object_iter_next_ordered (&iter, &name, &node))
          count += name[0];
      }
    }
    best = MIN (best, now_ms () - t0);
  }
  return count > 0 ? best : 0;
}

static void
print_case (const char *label, const Timing *t, double original_ms, double target,
            const char *baseline_label, double baseline_ms)
{
  g_print ("%-28s best %9.3f ms  mean %9.3f ms  | original %8.1f ms -> %6.0fx (target %3.0fx)"
           "  | baseline %s %.3f ms\n",
           label, t->best, t->mean, original_ms, original_ms / t->best, target, baseline_label,
           baseline_ms);
}

static char *
chain_json (guint n)
{
  GString *s = g_string_new ("{\"pipeline\":{\"nodes\":[{\"id\":\"d\",\"data\":{\"kind\":\"dataset\","
                             "\"params\":{\"shape\":[1,4,4]}}}");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, ",{\"id\":\"i%u\",\"data\":{\"kind\":\"identity\"}}", i);
  g_string_append (s, "],\"edges\":[");
  for (guint i = 0; i < n; i++) {
    if (i == 0)
      g_string_append (s, "{\"source\":\"d\",\"target\":\"i0\"}");
    else
      g_string_append_printf (s, ",{\"source\":\"i%u\",\"target\":\"i%u\"}", i - 1, i);
  }
  g_string_append (s, "]}}");
  return g_string_free (s, FALSE);
}

int
main (int argc, char **argv)
{
  gint runs = 20;
  g_autofree char *shared = g_strdup (ALGER_SHARED_DIR);
  g_autofree char *sample_path = NULL;
  g_autofree char *sample = NULL;
  g_autofree char *chain = NULL;
  g_autoptr(JsonParser) chain_parser = json_parser_new ();
  g_autoptr(GOptionContext) context = g_option_context_new ("- engine benchmarks");
  g_autoptr(GError) error = NULL;
  const char *filter_graph =
    "{\"pipeline\":{\"nodes\":["
    "{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":{\"shape\":[16,512,512]}}},"
    "{\"id\":\"f\",\"data\":{\"kind\":\"filter\",\"params\":{\"kernelSize\":9}}}],"
    "\"edges\":[{\"source\":\"d\",\"target\":\"f\"}]}}";
  const char *dataset_graph =
    "{\"pipeline\":{\"nodes\":["
    "{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":{\"shape\":[16,512,512]}}}]}}";
  const GOptionEntry entries[] = {
    { "runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Timed runs per case (default 20)", "N" },
    { "shared", 0, 0, G_OPTION_ARG_FILENAME, &shared, "The shared fixtures folder", "DIR" },
    { NULL }
  };
  Timing t = { 0 };
  Timing t_parsed = { 0 };
  Timing t_dataset = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || runs < 1) {
    g_printerr ("%s\n", error != NULL ? error->message : "--runs must be positive");
    return 2;
  }

  sample_path = g_build_filename (shared, "fixtures", "test_DAG.json", NULL);
  if (!g_file_get_contents (sample_path, &sample, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (time_runs ("sample (test_DAG.json)", sample, NULL, TRUE, (guint) runs, &t))
    print_case ("sample (test_DAG.json)", &t, 14.4, 50, "memcpy 6x64x64 f32",
                memcpy_baseline (6 * 64 * 64 * 4, (guint) runs));

  if (time_runs ("dataset 16x512x512", dataset_graph, NULL, TRUE, (guint) MIN (runs, 5),
                 &t_dataset) &&
      time_runs ("filter 9x9 on 16x512x512", filter_graph, NULL, TRUE, (guint) MIN (runs, 5),
                 &t)) {
    print_case ("filter 9x9 on 16x512x512", &t, 1416, 100, "memcpy 16x512x512 f32",
                memcpy_baseline ((gsize) 16 * 512 * 512 * 4, (guint) runs));
    g_print ("%-28s (of which the dataset node alone: best %.3f ms)\n", "", t_dataset.best);
  }

  chain = chain_json (10000);
  if (time_runs ("identity chain 10,000", chain, NULL, FALSE, (guint) runs, &t) &&
      json_parser_load_from_data (chain_parser, chain, -1, NULL) &&
      time_runs ("identity chain (pre-parsed)", NULL, json_parser_get_root (chain_parser), FALSE,
                 (guint) runs, &t_parsed)) {
    print_case ("identity chain 10,000", &t, 80, 20, "memcpy 10,000 pointers",
                memcpy_baseline (10000 * sizeof (gpointer), (guint) runs));
    print_case ("identity chain (pre-parsed)", &t_parsed, 80, 20, "walk of the JsonNode",
                json_walk_baseline (json_parser_get_root (chain_parser), (guint) runs));
  }
  return 0;
}
