/* bench-engine: time the engine on the figures the original was measured on
 *
 *   bench-engine [--runs N] [--case NAME] [--row LABEL] [--shared DIR]
 *
 * Prints one table: for each case the best (min) and median of N timed runs
 * (after one warm-up), the speed-up over the original's figure on this
 * machine, and a baseline measured in the same process, with the case's
 * ratio to it (so a loaded machine shows up in both columns).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alger-graph.h"
#include "alger-runner.h"

typedef struct {
  double best;
  double median;
} Timing;

typedef enum {
  FROM_TEXT,   /* json-glib JsonParser, then alger_graph_new_from_json */
  FROM_PARSED, /* alger_graph_new_from_json on a JsonNode parsed once */
  FROM_FAST,   /* alger_graph_new_from_text */
} Source;

typedef struct {
  const char *text;
  JsonNode *parsed;
  Source source;
  gboolean compat;
  const char *node_id; /* time this node's own duration instead of the whole run */
  double node_ms;
  gboolean json_summary; /* the summary as a JsonNode too (alger_runner_run, the server's call) */
} Case;

/* --row: only rows whose label starts with this */
static const char *only_row;

static double
now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
node_cb (const AlgerNodeReport *report, gpointer user_data)
{
  Case *c = user_data;

  if (c->node_id != NULL && g_strcmp0 (report->node_id, c->node_id) == 0)
    c->node_ms = report->duration_ms;
}

/* parse (per the case), read, validate, run; returns FALSE on error */
static gboolean
run_once (Case *c, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(AlgerRunSummary) summary = NULL;
  g_autoptr(JsonNode) json = NULL;
  AlgerRunOptions opts = { 0 };

  switch (c->source) {
  case FROM_TEXT:
    parser = json_parser_new_immutable ();
    if (!json_parser_load_from_data (parser, c->text, -1, error))
      return FALSE;
    graph = alger_graph_new_from_json (json_parser_get_root (parser), 0, error);
    break;
  case FROM_PARSED:
    graph = alger_graph_new_from_json (c->parsed, 0, error);
    break;
  case FROM_FAST:
    graph = alger_graph_new_from_text (c->text, -1, 0, error);
    break;
  }
  if (graph == NULL)
    return FALSE;
  opts.compat_original = c->compat;
  if (c->json_summary) {
    json = alger_runner_run (graph, "kahn", &opts, c->node_id != NULL ? node_cb : NULL, c, NULL,
                             error);
    return json != NULL;
  }
  summary = alger_runner_run_summary (graph, "kahn", &opts, c->node_id != NULL ? node_cb : NULL,
                                      c, NULL, error);
  return summary != NULL;
}

static gboolean
time_case (const char *label, Case *c, guint runs, Timing *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree double *t = g_new (double, runs);

  if (only_row != NULL && !g_str_has_prefix (label, only_row))
    return FALSE;
  if (!run_once (c, &error)) { /* warm-up */
    g_print ("%-34s FAILED: %s\n", label, error->message);
    return FALSE;
  }
  for (guint r = 0; r < runs; r++) {
    double t0 = now_ms ();
    run_once (c, NULL);
    t[r] = c->node_id != NULL ? c->node_ms : now_ms () - t0;
  }
  qsort (t, runs, sizeof (double), cmp_double);
  out->best = t[0];
  out->median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
  return TRUE;
}

static volatile guint8 sink;

static double
memcpy_baseline (gsize bytes, guint runs)
{
  g_autofree guint8 *src = g_malloc (bytes);
  g_autofree guint8 *dst = g_malloc (bytes);
  double best = G_MAXDOUBLE;

  memset (src, 1, bytes);
  memset (dst, 0, bytes);
  for (guint r = 0; r < runs; r++) {
    double t0 = now_ms ();
    memcpy (dst, src, bytes);
    best = MIN (best, now_ms () - t0);
    src[r % bytes] ^= dst[(r * 7) % bytes]; /* keep the copy observable */
  }
  sink = dst[bytes / 2];
  return best;
}

static double
parse_baseline (const char *text, guint runs)
{
  double best = G_MAXDOUBLE;

  for (guint r = 0; r < runs; r++) {
    g_autoptr(JsonParser) parser = json_parser_new_immutable ();
    double t0 = now_ms ();
    json_parser_load_from_data (parser, text, -1, NULL);
    best = MIN (best, now_ms () - t0);
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
print_header (void)
{
  g_print ("%-34s %9s %9s | %9s %7s %6s | %-30s %9s %7s\n", "case", "best ms", "median", "original",
           "speed", "target", "baseline (same run)", "ms", "ratio");
  g_print ("%.*s\n", 34 + 20 + 28 + 50, "----------------------------------------------------"
                                         "----------------------------------------------------"
                                         "------------------------------------------------------");
}

static void
print_row (const char *label, const Timing *t, double original_ms, double target,
           const char *baseline_label, double baseline_ms)
{
  char orig[16] = "", speed[16] = "", tgt[16] = "";

  if (original_ms > 0) {
    g_snprintf (orig, sizeof orig, "%.1f", original_ms);
    g_snprintf (speed, sizeof speed, "%.0fx", original_ms / t->best);
  }
  if (target > 0)
    g_snprintf (tgt, sizeof tgt, "%.0fx", target);
  g_print ("%-34s %9.3f %9.3f | %9s %7s %6s | %-30s %9.3f %6.1fx\n", label, t->best, t->median,
           orig, speed, tgt, baseline_label, baseline_ms,
           baseline_ms > 0 ? t->best / baseline_ms : 0.0);
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

static gboolean
want (const char *only, const char *name)
{
  return only == NULL || g_str_has_prefix (name, only);
}

int
main (int argc, char **argv)
{
  gint runs = 20;
  g_autofree char *only = NULL;
  g_autofree char *row = NULL;
  g_autofree char *shared = g_strdup (ALGER_SHARED_DIR);
  g_autofree char *sample_path = NULL;
  g_autofree char *sample = NULL;
  g_autofree char *chain = NULL;
  g_autoptr(JsonParser) sample_parser = json_parser_new_immutable ();
  g_autoptr(JsonParser) chain_parser = json_parser_new_immutable ();
  g_autoptr(GOptionContext) context = g_option_context_new ("- engine benchmarks");
  g_autoptr(GError) error = NULL;
  const char *filter_graph =
    "{\"pipeline\":{\"nodes\":["
    "{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":{\"shape\":[16,512,512]}}},"
    "{\"id\":\"f\",\"data\":{\"kind\":\"filter\",\"params\":{\"kernelSize\":9}}}],"
    "\"edges\":[{\"source\":\"d\",\"target\":\"f\"}]}}";
  const GOptionEntry entries[] = {
    { "runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Timed runs per case (default 20)", "N" },
    { "case", 'c', 0, G_OPTION_ARG_STRING, &only,
      "Only cases whose name starts with this (sample, dataset, filter, chain)", "NAME" },
    { "row", 'r', 0, G_OPTION_ARG_STRING, &row,
      "Only rows whose label starts with this (\"chain 10,000, text (own\")", "LABEL" },
    { "shared", 0, 0, G_OPTION_ARG_FILENAME, &shared, "The shared fixtures folder", "DIR" },
    { NULL }
  };
  double mc_small = 0, mc_big = 0;
  Timing t = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || runs < 1) {
    g_printerr ("%s\n", error != NULL ? error->message : "--runs must be positive");
    return 2;
  }

  only_row = row;
  sample_path = g_build_filename (shared, "fixtures", "test_DAG.json", NULL);
  if (!g_file_get_contents (sample_path, &sample, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  print_header ();

  if (want (only, "sample")) {
    Case c = { sample, NULL, FROM_TEXT, TRUE, NULL, 0, FALSE };
    double parse_ms = parse_baseline (sample, (guint) runs);

    mc_small = memcpy_baseline (6 * 64 * 64 * 4, (guint) runs);
    if (time_case ("sample, text (json-glib), compat", &c, (guint) runs, &t))
      print_row ("sample, text (json-glib), compat", &t, 14.4, 50, "json-glib parse alone",
                 parse_ms);
    c.source = FROM_FAST;
    if (time_case ("sample, text (own reader), compat", &c, (guint) runs, &t))
      print_row ("sample, text (own reader), compat", &t, 14.4, 50, "memcpy 6x64x64 f32", mc_small);
    json_parser_load_from_data (sample_parser, sample, -1, NULL);
    c.source = FROM_PARSED;
    c.parsed = json_parser_get_root (sample_parser);
    if (time_case ("sample, parsed, compat", &c, (guint) runs, &t))
      print_row ("sample, parsed, compat", &t, 14.4, 50, "memcpy 6x64x64 f32", mc_small);
    c.compat = FALSE;
    if (time_case ("sample, parsed, default", &c, (guint) runs, &t))
      print_row ("sample, parsed, default", &t, 14.4, 50, "memcpy 6x64x64 f32", mc_small);
  }

  if (want (only, "dataset") || want (only, "filter")) {
    guint n = (guint) MIN (runs, 10);
    Case c = { filter_graph, NULL, FROM_FAST, FALSE, "d", 0, FALSE };

    mc_big = memcpy_baseline ((gsize) 16 * 512 * 512 * 4, n);
    if (want (only, "dataset") && time_case ("dataset 16x512x512 (node)", &c, n, &t))
      print_row ("dataset 16x512x512 (node)", &t, 0, 0, "memcpy 16x512x512 f32", mc_big);
    c.node_id = "f";
    if (want (only, "filter") && time_case ("filter 9x9 16x512x512 (node)", &c, n, &t))
      print_row ("filter 9x9 16x512x512 (node)", &t, 1416, 100, "memcpy 16x512x512 f32", mc_big);
    c.compat = TRUE;
    if (want (only, "filter") && time_case ("filter 9x9, compat (node)", &c, n, &t))
      print_row ("filter 9x9, compat (node)", &t, 1416, 100, "memcpy 16x512x512 f32", mc_big);
    c.compat = FALSE;
    c.node_id = NULL;
    if (want (only, "filter") && time_case ("dataset + filter 9x9 (whole run)", &c, n, &t))
      print_row ("dataset + filter 9x9 (whole run)", &t, 1416, 100, "memcpy 16x512x512 f32",
                 mc_big);
  }

  if (want (only, "chain")) {
    Case c = { NULL, NULL, FROM_TEXT, FALSE, NULL, 0, FALSE };
    double parse_ms;

    chain = chain_json (10000);
    c.text = chain;
    parse_ms = parse_baseline (chain, (guint) runs);
    if (time_case ("chain 10,000, text (json-glib)", &c, (guint) runs, &t))
      print_row ("chain 10,000, text (json-glib)", &t, 80, 20, "json-glib parse alone", parse_ms);
    c.source = FROM_FAST;
    if (time_case ("chain 10,000, text (own reader)", &c, (guint) runs, &t))
      print_row ("chain 10,000, text (own reader)", &t, 80, 20, "json-glib parse alone", parse_ms);
    c.json_summary = TRUE;
    if (time_case ("chain 10,000, own reader, JsonNode", &c, (guint) runs, &t))
      print_row ("chain 10,000, own reader, JsonNode", &t, 80, 20, "json-glib parse alone",
                 parse_ms);
    c.json_summary = FALSE;
    json_parser_load_from_data (chain_parser, chain, -1, NULL);
    c.source = FROM_PARSED;
    c.parsed = json_parser_get_root (chain_parser);
    if (time_case ("chain 10,000, parsed JsonNode", &c, (guint) runs, &t))
      print_row ("chain 10,000, parsed JsonNode", &t, 80, 20, "walk of the JsonNode",
                 json_walk_baseline (c.parsed, (guint) runs));
  }
  return 0;
}
