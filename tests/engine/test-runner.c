/* test-runner: the run API, cancellation, hostile graphs, tracked files,
 * value descriptions */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <string.h>

#include "alger-artifacts.h"
#include "alger-describe.h"
#include "alger-numerics.h"
#include "alger-error.h"
#include "alger-graph.h"
#include "alger-runner.h"

#define D(id) "{\"id\":\"" id "\",\"data\":{\"kind\":\"dataset\",\"params\":{\"shape\":[1,2,2]}}}"
#define N(id, kind) "{\"id\":\"" id "\",\"data\":{\"kind\":\"" kind "\"}}"
#define E(s, t) "{\"source\":\"" s "\",\"target\":\"" t "\"}"
#define G(nodes, edges) "{\"pipeline\":{\"nodes\":[" nodes "],\"edges\":[" edges "]}}"

typedef struct {
  GPtrArray *ids;   /* node ids reported, in order */
  guint n_errors;
  GCancellable *cancel_after_first;
  char *outputs_dir;
  guint n_artifacts;
} Reports;


static void
reports_clear (Reports *r)
{
  g_clear_pointer (&r->ids, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reports, reports_clear)

static void
record_cb (const AlgerNodeReport *rep, gpointer user_data)
{
  Reports *r = user_data;

  if (r->ids == NULL)
    r->ids = g_ptr_array_new_with_free_func (g_free);
  g_assert_cmpuint (rep->order, ==, r->ids->len + 1);
  g_assert_cmpfloat (rep->duration_ms, >=, 0.0);
  g_assert_nonnull (rep->predecessors);
  g_assert_cmpuint (g_strv_length ((char **) rep->predecessors), ==, rep->n_predecessors);
  g_ptr_array_add (r->ids, g_strdup (rep->node_id));
  if (rep->error != NULL) {
    r->n_errors++;
    g_assert_null (rep->value);
  } else {
    g_assert_nonnull (rep->value);
    g_assert_nonnull (rep->artifacts);
  }
  for (guint i = 0; rep->artifacts != NULL && i < rep->artifacts->len; i++) {
    JsonObject *art = json_node_get_object (g_ptr_array_index (rep->artifacts, i));
    const char *path = json_object_get_string_member (art, "path");
    g_autofree char *abs = g_build_filename (r->outputs_dir, path, NULL);
    GStatBuf st;

    g_assert_false (g_path_is_absolute (path));
    g_assert_null (strstr (path, "/../"));
    g_assert_cmpint (g_stat (abs, &st), ==, 0);
    g_assert_cmpint (st.st_size, ==, json_object_get_int_member (art, "size"));
    r->n_artifacts++;
  }
  if (r->cancel_after_first != NULL)
    g_cancellable_cancel (r->cancel_after_first);
}

static JsonNode *
run_text (const char *text, const char *strategy, const AlgerRunOptions *opts, Reports *r,
          GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(GError) parse_error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    g_error ("bad test JSON: %s", parse_error->message);
  graph = alger_graph_new_from_json (json_parser_get_root (parser),
                                     ALGER_GRAPH_DEFAULT_MAX_NODES, error);
  if (graph == NULL)
    return NULL;
  return alger_runner_run (graph, strategy, opts, record_cb, r, cancellable, error);
}

static char *
dump (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static void
test_summary (void)
{
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = run_text (
      G (D ("d") "," N ("i", "identity") "," N ("t", "text"), E ("d", "i") "," E ("i", "t")),
      "kahn", NULL, &r, NULL, &error);
  JsonObject *obj = NULL;
  JsonObject *sink = NULL;
  g_autofree char *order = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (r.ids->len, ==, 3);
  obj = json_node_get_object (summary);
  g_assert_cmpstr (json_object_get_string_member (obj, "strategy"), ==,
                   "breadth-first topological (Kahn)");
  order = dump (json_object_get_member (obj, "order"));
  g_assert_cmpstr (order, ==, "[\"d\",\"i\",\"t\"]");
  sink = json_object_get_object_member (json_object_get_object_member (obj, "sinks"), "t");
  g_assert_cmpstr (json_object_get_string_member (sink, "type"), ==, "str");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (sink, "value"), "LOG: "));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (obj, "sinks")), ==, 1);
}

/* the summary as data: its accessors, and its JSON form equal to what
 * alger_runner_run returns for the same graph (sample, a diamond, dfs) */
static void
test_summary_data (void)
{
  const char *shared = g_getenv ("ALGER_SHARED_DIR");
  g_autofree char *sample_path = NULL;
  g_autofree char *sample = NULL;
  const char *diamond =
    G (D ("d") "," N ("a", "identity") "," N ("b", "identity") "," N ("c", "concat") ","
       N ("t", "text") "," D ("e"),
       E ("d", "a") "," E ("d", "b") "," E ("a", "c") "," E ("b", "c") "," E ("c", "t"));
  const char *strategies[] = { "kahn", "dfs" };

  if (shared == NULL) {
    g_test_skip ("ALGER_SHARED_DIR is not set");
    return;
  }
  sample_path = g_build_filename (shared, "fixtures", "test_DAG.json", NULL);
  g_assert_true (g_file_get_contents (sample_path, &sample, NULL, NULL));
  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++) {
    const char *texts[] = { sample, diamond };
    for (guint k = 0; k < G_N_ELEMENTS (texts); k++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(AlgerGraph) graph = alger_graph_new_from_text (texts[k], -1, 0, &error);
      g_autoptr(AlgerRunSummary) summary = NULL;
      g_autoptr(JsonNode) json = NULL;
      g_autoptr(JsonNode) json2 = NULL;
      g_autoptr(JsonNode) direct = NULL;
      g_autofree char *a = NULL;
      g_autofree char *a2 = NULL;
      g_autofree char *b = NULL;
      JsonObject *obj = NULL;
      JsonArray *order = NULL;
      const guint *idx = NULL;
      guint n = 0;

      g_assert_no_error (error);
      summary = alger_runner_run_summary (graph, strategies[s], NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      direct = alger_runner_run (graph, strategies[s], NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      json = alger_run_summary_to_json (summary);
      json2 = alger_run_summary_to_json (summary);
      a = dump (json);
      a2 = dump (json2);
      b = dump (direct);
      g_assert_cmpstr (a, ==, b);
      g_assert_cmpstr (a2, ==, b);

      g_assert_true (alger_run_summary_get_graph (summary) == graph);
      obj = json_node_get_object (direct);
      g_assert_cmpstr (alger_run_summary_get_strategy (summary), ==,
                       json_object_get_string_member (obj, "strategy"));
      order = json_object_get_array_member (obj, "order");
      idx = alger_run_summary_get_order (summary, &n);
      g_assert_cmpuint (n, ==, json_array_get_length (order));
      for (guint i = 0; i < n; i++)
        g_assert_cmpstr (alger_graph_get_node_id (graph, idx[i]), ==,
                         json_array_get_string_element (order, i));
      idx = alger_run_summary_get_sources (summary, &n);
      g_assert_cmpuint (n, ==,
                        json_array_get_length (json_object_get_array_member (obj, "sources")));
      n = alger_run_summary_get_n_sinks (summary);
      g_assert_cmpuint (n, ==,
                        json_object_get_size (json_object_get_object_member (obj, "sinks")));
      for (guint i = 0; i < n; i++) {
        JsonNode *desc = NULL;
        guint node = alger_run_summary_get_sink (summary, i, &desc);
        g_autofree char *d1 = dump (desc);
        g_autofree char *d2 = dump (json_object_get_member (
          json_object_get_object_member (obj, "sinks"), alger_graph_get_node_id (graph, node)));
        g_assert_cmpstr (d1, ==, d2);
      }
    }
  }
}

static void
test_node_error (void)
{
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = run_text (
      G (D ("d") "," "{\"id\":\"f\",\"data\":{\"kind\":\"filter\",\"params\":{\"kernelSize\":2}}},"
         N ("i", "identity"), E ("d", "f") "," E ("f", "i")),
      "kahn", NULL, &r, NULL, &error);

  g_assert_null (summary);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
  g_assert_cmpstr (error->message, ==, "kernelSize must be a positive odd integer");
  g_assert_cmpuint (r.ids->len, ==, 2);
  g_assert_cmpuint (r.n_errors, ==, 1);
}

static void
test_validation_no_report (void)
{
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = run_text (G (D ("d"), ""), "bfs", NULL, &r, NULL, &error);

  g_assert_null (summary);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
  g_assert_null (r.ids);
}

static void
test_cancel_before (void)
{
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autoptr(JsonNode) summary = NULL;

  g_cancellable_cancel (c);
  summary = run_text (G (D ("d"), ""), "kahn", NULL, &r, c, &error);
  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r.ids);
}

static void
test_cancel_from_callback (void)
{
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_auto(Reports) r = { .cancel_after_first = c };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = run_text (
      G (D ("d") "," N ("i", "identity") "," N ("j", "identity"), E ("d", "i") "," E ("i", "j")),
      "dfs", NULL, &r, c, &error);

  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (r.ids->len, ==, 1);
}

static gboolean
cancel_later (gpointer data)
{
  g_usleep (100 * 1000);
  g_cancellable_cancel (data);
  return FALSE;
}

static void
test_cancel_during_delay (void)
{
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  AlgerRunOptions opts = { .node_delay_min_ms = 20000, .node_delay_max_ms = 20000 };
  GThread *thread = g_thread_new ("cancel", (GThreadFunc) cancel_later, c);
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(JsonNode) summary = run_text (G (D ("d"), ""), "kahn", &opts, &r, c, &error);
  double ms = (g_get_monotonic_time () - t0) / 1000.0;

  g_thread_join (thread);
  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (ms, <, 5000);
  g_assert_null (r.ids);
}

static void
test_delays (void)
{
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  AlgerRunOptions opts = { .node_delay_min_ms = 10, .node_delay_max_ms = 20 };
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(JsonNode) summary = run_text (G (D ("d") "," N ("i", "identity"), E ("d", "i")),
                                          "kahn", &opts, &r, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpfloat ((g_get_monotonic_time () - t0) / 1000.0, >=, 20.0);
}

static char *
chain_text (guint n)
{
  GString *s = g_string_new ("{\"nodes\":[" D ("n0"));

  for (guint i = 1; i < n; i++)
    g_string_append_printf (s, ",{\"id\":\"n%u\",\"kind\":\"identity\"}", i);
  g_string_append (s, "],\"edges\":[");
  for (guint i = 1; i < n; i++)
    g_string_append_printf (s, "%s{\"source\":\"n%u\",\"target\":\"n%u\"}", i > 1 ? "," : "",
                            i - 1, i);
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

static void
test_big_graphs (void)
{
  guint sizes[] = { 5000, ALGER_GRAPH_DEFAULT_MAX_NODES };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
    for (guint s = 0; s < 2; s++) {
      g_autofree char *text = chain_text (sizes[k]);
      g_auto(Reports) r = { 0 };
      g_autoptr(GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(JsonNode) summary = run_text (text, s == 0 ? "kahn" : "dfs", NULL, &r, NULL,
                                              &error);
      g_autofree char *last = g_strdup_printf ("n%u", sizes[k] - 1);

      g_assert_no_error (error);
      g_assert_cmpuint (r.ids->len, ==, sizes[k]);
      g_assert_cmpstr (g_ptr_array_index (r.ids, sizes[k] - 1), ==, last);
      g_test_message ("%u-node chain (%s): %.1f ms with parsing", sizes[k], s == 0 ? "kahn" : "dfs",
                      (g_get_monotonic_time () - t0) / 1000.0);
    }
  }
  {
    g_autofree char *text = chain_text (ALGER_GRAPH_DEFAULT_MAX_NODES + 1);
    g_auto(Reports) r = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) summary = run_text (text, "kahn", NULL, &r, NULL, &error);

    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT);
    g_assert_null (r.ids);
  }
}

/* params that must fail cleanly: no crash, no huge allocation, a message */
static const struct {
  const char *name;
  const char *params;
  guint64 max_elements;
} hostile_datasets[] = {
  { "huge", "{\"shape\":[100000,100000,100000]}", G_GUINT64_CONSTANT (1) << 28 },
  { "huge-unlimited", "{\"shape\":[100000,100000,100000]}", 0 },
  { "overflow", "{\"shape\":[4294967296,4294967296,4294967296]}", 0 },
  { "negative", "{\"shape\":[-1,3,3]}", 0 },
  { "non-integer", "{\"shape\":[1.5,2,2]}", 0 },
  { "string", "{\"shape\":[\"a\",2,2]}", 0 },
};

static void
test_hostile_dataset (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autofree char *text = g_strdup_printf (
      "{\"nodes\":[{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":%s}}]}",
      hostile_datasets[i].params);
  AlgerRunOptions opts = { .max_elements = hostile_datasets[i].max_elements };
  g_auto(Reports) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = NULL;

#ifdef __SANITIZE_ADDRESS__
  /* ASan aborts on a petabyte calloc instead of returning NULL */
  if (hostile_datasets[i].max_elements == 0 && strstr (hostile_datasets[i].name, "huge") != NULL) {
    g_test_skip ("unlimited huge allocation under AddressSanitizer");
    return;
  }
#endif
  summary = run_text (text, "kahn", &opts, &r, NULL, &error);
  g_assert_null (summary);
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
  g_test_message ("%s: %s (%s)", hostile_datasets[i].name, error->message,
                  alger_error_python_type (error));
}

static void
test_hostile_kernels (void)
{
  const char *kernels[] = { "-3", "0", "2", "\"abc\"", "1.5", "null", "[3]" };

  for (guint k = 0; k < G_N_ELEMENTS (kernels); k++) {
    g_autofree char *text = g_strdup_printf (
        G (D ("d") ",{\"id\":\"f\",\"data\":{\"kind\":\"filter\",\"params\":{\"kernelSize\":%s}}}",
           E ("d", "f")), kernels[k]);
    g_auto(Reports) r = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) summary = run_text (text, "kahn", NULL, &r, NULL, &error);

    /* 1.5 may be truncated as python's int() does */
    if (g_strcmp0 (kernels[k], "1.5") == 0 && summary != NULL)
      continue;
    g_assert_null (summary);
    g_assert_nonnull (error);
    g_test_message ("kernelSize %s: %s", kernels[k], error->message);
  }
}

/* every regular file under @dir, relative to @root */
static void
list_files (const char *root, const char *dir, GPtrArray *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = NULL;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *child = g_build_filename (dir, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      list_files (root, child, out);
    else
      g_ptr_array_add (out, g_strdup (child + strlen (root) + 1));
  }
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name = NULL;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      rm_rf (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
test_path_tricks (void)
{
  const char *ids[] = {
    "../../etc/passwd", "a/b", "..", ".", "/abs", "sp ace", "\xc3\xbc", "%2E%2E", "a\\b",
    ".hidden", "~", "%", NULL /* long one added below */,
  };
  g_autofree char *root = g_dir_make_tmp ("alger-paths-XXXXXX", NULL);
  g_autofree char *outputs = g_build_filename (root, "outputs", NULL);
  g_autoptr(GString) text = g_string_new ("{\"nodes\":[");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *longid = g_strnfill (1000, 'x');
  g_auto(Reports) r = { .outputs_dir = outputs };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = NULL;
  AlgerRunOptions opts = { .outputs_dir = outputs, .execution_id = "exec-1" };
  guint n = G_N_ELEMENTS (ids);

  ids[n - 1] = longid;
  for (guint i = 0; i < n; i++) {
    g_autofree char *escaped = g_strescape (ids[i], "\xc3\xbc");
    g_string_append_printf (text, "%s{\"id\":\"%s\",\"data\":{\"kind\":\"dataset\",\"params\":"
                            "{\"shape\":[1,2,2]},\"trackOutput\":true}}", i > 0 ? "," : "",
                            escaped);
  }
  g_string_append (text, "]}");
  summary = run_text (text->str, "kahn", &opts, &r, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_artifacts, ==, n);

  g_assert_cmpint (g_mkdir_with_parents (outputs, 0700), ==, 0);
  list_files (root, root, files);
  g_assert_cmpuint (files->len, ==, n); /* one each, no temporary left behind */
  for (guint i = 0; i < files->len; i++) {
    const char *f = g_ptr_array_index (files, i);
    g_assert_true (g_str_has_prefix (f, "outputs/exec-1/dataset/"));
    g_assert_null (strchr (f + strlen ("outputs/exec-1/dataset/"), '/'));
    g_assert_true (g_str_has_suffix (f, ".png"));
  }
  rm_rf (root);
}

static void
test_bad_execution_id (void)
{
  const char *bad[] = { "../x", "", "a/b", ".", "..", "x y" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    AlgerRunOptions opts = { .outputs_dir = "/nonexistent", .execution_id = bad[i] };
    g_auto(Reports) r = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) summary = run_text (G (D ("d"), ""), "kahn", &opts, &r, NULL, &error);

    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
    g_assert_null (r.ids);
  }
}

static void
test_safe_name (void)
{
  const char *names[] = { "../../etc/passwd", "a/b", "..", ".", "", "%", "%25", "ok-name_1.x",
                          "\xc3\xbc", "a\nb" };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *longname = g_strnfill (5000, '/');
  g_autofree char *safe_long = alger_artifacts_safe_name (longname);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *s = alger_artifacts_safe_name (names[i]);
    g_assert_null (strchr (s, '/'));
    g_assert_cmpstr (s, !=, ".");
    g_assert_cmpstr (s, !=, "..");
    g_assert_cmpint (s[0], !=, '.');
    g_assert_cmpuint (strlen (s), >, 0);
    g_assert_true (g_hash_table_add (seen, g_steal_pointer (&s)));
  }
  g_assert_cmpuint (strlen (safe_long), <=, 200);
  g_assert_null (strchr (safe_long, '/'));
  {
    g_autofree char *plain = alger_artifacts_safe_name ("ok-name_1.x");
    g_assert_cmpstr (plain, ==, "ok-name_1.x");
  }
}

static AlgerValue *
float_array (guint ndim, const gsize *shape, float (*fill) (gsize))
{
  AlgerValue *v = alger_value_new_array (ALGER_DTYPE_FLOAT32, ndim, shape);
  float *data = alger_value_array_get_data (v);

  for (gsize i = 0; i < alger_value_array_get_n_elements (v); i++)
    data[i] = fill (i);
  return v;
}

static float
fill_half (gsize i)
{
  return (float) i * 0.5f;
}

static float
fill_ramp (gsize i)
{
  return -0.5f + (float) i * 0.07f;
}

static GPtrArray *
write_value (const char *outputs, const char *id, AlgerValue *value, GError **error)
{
  g_autoptr(AlgerArtifactsFolder) folder = alger_artifacts_folder_new (outputs, "exec", error);

  return folder != NULL ? alger_artifacts_folder_write (folder, "k", id, value, error) : NULL;
}

static char *
artifact_path (const char *outputs, GPtrArray *arts, const char *member)
{
  JsonObject *obj = json_node_get_object (g_ptr_array_index (arts, 0));

  if (member != NULL)
    obj = json_object_get_object_member (obj, member);
  return g_build_filename (outputs, json_object_get_string_member (obj, "path"), NULL);
}

static void
check_npy (const char *path, AlgerValue *v, const char *descr, const char *shape)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint hlen = 0;
  g_autofree char *header = NULL;
  gsize nbytes = alger_value_array_get_n_elements (v) *
                 alger_dtype_get_size (alger_value_array_get_dtype (v));

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, 8, "\x93NUMPY\x01\x00", 8);
  hlen = (guint8) contents[8] | ((guint) (guint8) contents[9] << 8);
  g_assert_cmpuint ((10 + hlen) % 64, ==, 0);
  g_assert_cmpint (contents[10 + hlen - 1], ==, '\n');
  header = g_strndup (contents + 10, hlen);
  g_assert_nonnull (strstr (header, descr));
  g_assert_nonnull (strstr (header, "'fortran_order': False"));
  g_assert_nonnull (strstr (header, shape));
  g_assert_cmpuint (len, ==, 10 + hlen + nbytes);
  g_assert_cmpmem (contents + 10 + hlen, nbytes, alger_value_array_peek_data (v), nbytes);
}

static void
test_npy (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-npy-XXXXXX", NULL);
  gsize shape3[] = { 2, 3, 4 };
  gsize shape1[] = { 5 };
  g_autoptr(AlgerValue) f = float_array (3, shape3, fill_half);
  g_autoptr(AlgerValue) u = alger_value_new_array (ALGER_DTYPE_UINT8, 1, shape1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a1 = write_value (outputs, "f", f, &error);
  g_autoptr(GPtrArray) a2 = NULL;
  g_autofree char *p1 = NULL;
  g_autofree char *p2 = NULL;

  g_assert_no_error (error);
  p1 = artifact_path (outputs, a1, NULL);
  g_assert_true (g_str_has_suffix (p1, "/exec/k/f.npy"));
  check_npy (p1, f, "'descr': '<f4'", "'shape': (2, 3, 4)");
  ((guint8 *) alger_value_array_get_data (u))[3] = 200;
  a2 = write_value (outputs, "u", u, &error);
  g_assert_no_error (error);
  p2 = artifact_path (outputs, a2, NULL);
  check_npy (p2, u, "'descr': '|u1'", "'shape': (5,)");
  g_assert_cmpstr (json_object_get_string_member (
                       json_node_get_object (g_ptr_array_index (a2, 0)), "format"), ==, "npy");
  rm_rf (outputs);
}

static guint8 *
read_png (const char *path, png_uint_32 format, guint *width, guint *height)
{
  png_image image = { .version = PNG_IMAGE_VERSION };
  guint8 *buf = NULL;

  g_assert_true (png_image_begin_read_from_file (&image, path));
  image.format = format;
  *width = image.width;
  *height = image.height;
  buf = g_malloc (PNG_IMAGE_SIZE (image));
  g_assert_true (png_image_finish_read (&image, NULL, buf, 0, NULL));
  return buf;
}

static guint8
expect_pixel (float v)
{
  if (isnan (v))
    return 0;
  return v <= 0.f ? 0 : v >= 1.f ? 255 : (guint8) lrintf (v * 255.f);
}

/* values that exercise every branch of the pixel conversion: below 0, above
 * 1, NaN, infinities, -0, and exact halves (k + 0.5) / 255, which must round
 * to even like lrintf */
static float
fill_pixels (gsize i)
{
  static const float special[] = { NAN, -INFINITY, INFINITY, -0.f, 0.f, 1.f, -1.f, 2.f,
                                   0.5f / 255.f, 1.5f / 255.f, 2.5f / 255.f, 254.5f / 255.f,
                                   1.f - 1e-7f, 1e-30f };

  if (i % 5 == 0)
    return special[(i / 5) % G_N_ELEMENTS (special)];
  return -0.2f + (float) ((i * 2654435761u) % 100003u) / 100003.f * 1.4f;
}

/* the RGB PNG at @path holds exactly @rgb's (C=3, Y, X float planes)
 * pixels, interleaved, each rounded as expect_pixel() does */
static void
assert_rgb_png (const char *path, AlgerValue *rgb)
{
  const gsize *shape = alger_value_array_get_shape (rgb);
  const float *c = alger_value_array_peek_data (rgb);
  guint w = 0, h = 0;
  g_autofree guint8 *px = read_png (path, PNG_FORMAT_RGB, &w, &h);

  g_assert_cmpuint (w, ==, shape[2]);
  g_assert_cmpuint (h, ==, shape[1]);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      for (guint ch = 0; ch < 3; ch++)
        g_assert_cmpuint (px[(y * w + x) * 3 + ch], ==,
                          expect_pixel (c[(ch * h + y) * w + x]));
}

static void
test_png (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-png-XXXXXX", NULL);
  gsize gray_shape[] = { 1, 5, 7 };
  gsize rgb_shape[] = { 3, 4, 5 };
  gsize mask_shape[] = { 3, 3 };
  g_autoptr(AlgerValue) gray = float_array (3, gray_shape, fill_ramp);
  g_autoptr(AlgerValue) rgb = float_array (3, rgb_shape, fill_ramp);
  g_autoptr(AlgerValue) mask = alger_value_new_array (ALGER_DTYPE_UINT8, 2, mask_shape);
  g_autoptr(GError) error = NULL;
  const float *g = alger_value_array_peek_data (gray);
  guint w = 0, h = 0;

  {
    g_autoptr(GPtrArray) arts = write_value (outputs, "gray", gray, &error);
    g_autofree char *path = NULL;
    g_autofree guint8 *px = NULL;

    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    g_assert_true (g_str_has_suffix (path, ".png"));
    px = read_png (path, PNG_FORMAT_GRAY, &w, &h);
    g_assert_cmpuint (w, ==, 7);
    g_assert_cmpuint (h, ==, 5);
    for (guint i = 0; i < 35; i++)
      g_assert_cmpuint (px[i], ==, expect_pixel (g[i]));
  }
  {
    g_autoptr(GPtrArray) arts = write_value (outputs, "rgb", rgb, &error);
    g_autofree char *path = NULL;

    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    assert_rgb_png (path, rgb);
  }
  {
    g_autoptr(GPtrArray) arts = NULL;
    g_autofree char *path = NULL;
    g_autofree guint8 *px = NULL;

    ((guint8 *) alger_value_array_get_data (mask))[4] = 1;
    arts = write_value (outputs, "mask", mask, &error);
    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    px = read_png (path, PNG_FORMAT_GRAY, &w, &h);
    g_assert_cmpuint (px[4], ==, 255);
    g_assert_cmpuint (px[0], ==, 0);
  }
  rm_rf (outputs);
}

/* a chart: flat background and bars, as the figure node draws.  Its rows
 * repeat, so the PNG takes the run encoder: the file is far smaller than
 * the pixels, and every pixel reads back exactly */
static float
fill_chart (gsize i)
{
  gsize ch = i / (90 * 120), y = (i / 120) % 90, x = i % 120;
  gsize bar = x / 20;

  if (x % 20 >= 4 && y >= 10 + bar * 12)
    return (float) ((bar * 37 + ch * 71) % 255) / 255.f;
  return 23.f / 255.f;
}

static void
test_png_chart (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-png-XXXXXX", NULL);
  gsize shape[] = { 3, 90, 120 };
  g_autoptr(AlgerValue) chart = float_array (3, shape, fill_chart);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) arts = write_value (outputs, "chart", chart, &error);
  g_autofree char *path = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  path = artifact_path (outputs, arts, NULL);
  assert_rgb_png (path, chart);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, 90 * (1 + 3 * 120) / 8);
  rm_rf (outputs);
}

/* rows wider than the converter's 16-pixel blocks, with a tail: every
 * pixel must equal the scalar rounding */
static void
test_png_wide_rows (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-png-XXXXXX", NULL);
  gsize gray_shape[] = { 7, 53 };
  gsize rgb_shape[] = { 3, 6, 41 };
  g_autoptr(AlgerValue) gray = float_array (2, gray_shape, fill_pixels);
  g_autoptr(AlgerValue) rgb = float_array (3, rgb_shape, fill_pixels);
  const float *g = alger_value_array_peek_data (gray);
  guint w = 0, h = 0;

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) arts = write_value (outputs, "gray", gray, &error);
    g_autofree char *path = NULL;
    g_autofree guint8 *px = NULL;

    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    px = read_png (path, PNG_FORMAT_GRAY, &w, &h);
    g_assert_cmpuint (w, ==, 53);
    g_assert_cmpuint (h, ==, 7);
    for (guint i = 0; i < 7 * 53; i++)
      g_assert_cmpuint (px[i], ==, expect_pixel (g[i]));
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) arts = write_value (outputs, "rgb", rgb, &error);
    g_autofree char *path = NULL;

    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    assert_rgb_png (path, rgb);
  }
  rm_rf (outputs);
}

static void
test_dict_with_image (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-fig-XXXXXX", NULL);
  gsize shape[] = { 3, 4, 5 };
  g_autoptr(AlgerValue) fig = alger_value_new_dict ();
  g_autoptr(AlgerValue) data = alger_value_new_dict ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) arts = NULL;
  g_autofree char *img = NULL;
  g_autofree char *meta = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj = NULL;

  alger_value_dict_set (data, "energy", alger_value_new_float (12243.0));
  alger_value_dict_set (fig, "title", alger_value_new_string ("T", FALSE));
  alger_value_dict_set (fig, "data", g_steal_pointer (&data));
  alger_value_dict_set (fig, "_image", float_array (3, shape, fill_ramp));
  arts = write_value (outputs, "fig", fig, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (arts->len, ==, 1);
  img = artifact_path (outputs, arts, NULL);
  meta = artifact_path (outputs, arts, "metadata");
  g_assert_true (g_str_has_suffix (img, "fig.png"));
  g_assert_true (g_str_has_suffix (meta, "fig.json"));
  g_assert_true (json_parser_load_from_file (parser, meta, &error));
  obj = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (obj, "title"), ==, "T");
  g_assert_false (json_object_has_member (obj, "_image"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (obj, "data"),
                                                    "energy"), ==, 12243.0);
  rm_rf (outputs);
}

/* the tracked .json text, byte for byte: json.dumps(value, indent=2) as
 * the original wrote it (", "/": " separators, ensure_ascii, shortest
 * round-trip floats, non-finite floats as null, small arrays as nested
 * lists, large ones as their summary, the image member left out) */
static void
test_json_text (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-json-XXXXXX", NULL);
  gsize shape2[] = { 2, 2 };
  gsize shape_u8[] = { 3 };
  gsize shape_big[] = { 65537 };
  gsize shape_img[] = { 3, 4, 5 };
  g_autoptr(AlgerValue) v = alger_value_new_dict ();
  g_autoptr(AlgerValue) nested = alger_value_new_dict ();
  g_autoptr(AlgerValue) list = alger_value_new_list ();
  AlgerValue *f2 = alger_value_new_array (ALGER_DTYPE_FLOAT32, 2, shape2);
  AlgerValue *u8 = alger_value_new_array (ALGER_DTYPE_UINT8, 1, shape_u8);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) arts = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *text = NULL;
  float *fd = alger_value_array_get_data (f2);
  guint8 *ud = alger_value_array_get_data (u8);

  fd[0] = 0.1f;
  fd[1] = NAN;
  fd[2] = -2.5f;
  fd[3] = 1e-7f;
  ud[0] = 0;
  ud[1] = 7;
  ud[2] = 255;
  alger_value_dict_set (v, "s", alger_value_new_string ("q\"b\\n\n\t\x01\xc3\xa9\xf0\x9f\x98\x80", FALSE));
  alger_value_dict_set (v, "i", alger_value_new_int (-42));
  alger_value_dict_set (v, "f", alger_value_new_float (0.1));
  alger_value_dict_set (v, "tiny", alger_value_new_float (1e-7));
  alger_value_dict_set (v, "big", alger_value_new_float (1e22));
  alger_value_dict_set (v, "nan", alger_value_new_float (NAN));
  alger_value_dict_set (v, "t", alger_value_new_bool (TRUE));
  alger_value_dict_set (v, "n", alger_value_new_none ());
  alger_value_dict_set (v, "empty", alger_value_new_dict ());
  alger_value_dict_set (v, "nolist", alger_value_new_list ());
  alger_value_list_append (list, alger_value_new_int (1));
  alger_value_list_append (list, alger_value_new_string ("two", FALSE));
  alger_value_list_append (list, alger_value_new_list ());
  alger_value_dict_set (v, "list", alger_value_ref (list));
  alger_value_dict_set (nested, "f2", f2);
  alger_value_dict_set (nested, "u8", u8);
  alger_value_dict_set (nested, "huge", float_array (1, shape_big, fill_half));
  alger_value_dict_set (v, "arrays", g_steal_pointer (&nested));
  alger_value_dict_set (v, "_image", float_array (3, shape_img, fill_ramp));

  arts = write_value (outputs, "j", v, &error);
  g_assert_no_error (error);
  meta = artifact_path (outputs, arts, "metadata");
  g_assert_true (g_file_get_contents (meta, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   "{\n"
                   "  \"s\": \"q\\\"b\\\\n\\n\\t\\u0001\\u00e9\\ud83d\\ude00\",\n"
                   "  \"i\": -42,\n"
                   "  \"f\": 0.1,\n"
                   "  \"tiny\": 1e-07,\n"
                   "  \"big\": 1e+22,\n"
                   "  \"nan\": null,\n"
                   "  \"t\": true,\n"
                   "  \"n\": null,\n"
                   "  \"empty\": {},\n"
                   "  \"nolist\": [],\n"
                   "  \"list\": [\n"
                   "    1,\n"
                   "    \"two\",\n"
                   "    []\n"
                   "  ],\n"
                   "  \"arrays\": {\n"
                   "    \"f2\": [\n"
                   "      [\n"
                   "        0.10000000149011612,\n"
                   "        null\n"
                   "      ],\n"
                   "      [\n"
                   "        -2.5,\n"
                   "        1.0000000116860974e-07\n"
                   "      ]\n"
                   "    ],\n"
                   "    \"u8\": [\n"
                   "      0,\n"
                   "      7,\n"
                   "      255\n"
                   "    ],\n"
                   "    \"huge\": {\n"
                   "      \"__ndarray__\": {\n"
                   "        \"type\": \"ndarray\",\n"
                   "        \"shape\": [\n"
                   "          65537\n"
                   "        ],\n"
                   "        \"dtype\": \"float32\",\n"
                   "        \"min\": 0.0,\n"
                   "        \"max\": 32768.0,\n"
                   "        \"mean\": 16384.0\n"
                   "      }\n"
                   "    }\n"
                   "  }\n"
                   "}");
  rm_rf (outputs);
}

static void
test_scalars (void)
{
  g_autofree char *outputs = g_dir_make_tmp ("alger-txt-XXXXXX", NULL);
  struct {
    AlgerValue *value;
    const char *ext;
    const char *text;
  } cases[] = {
    { alger_value_new_string ("LOG: a | b", TRUE), "txt", "LOG: a | b" },
    { alger_value_new_float (0.1), "txt", "0.1" },
    { alger_value_new_float (12243.0), "txt", "12243.0" },
    { alger_value_new_int (-5), "txt", "-5" },
    { alger_value_new_bool (TRUE), "txt", "True" },
    { alger_value_new_none (), "txt", "None" },
    { alger_value_new_list (), "json", "[]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *id = g_strdup_printf ("n%u", i);
    g_autoptr(GPtrArray) arts = write_value (outputs, id, cases[i].value, &error);
    g_autofree char *path = NULL;
    g_autofree char *contents = NULL;

    g_assert_no_error (error);
    path = artifact_path (outputs, arts, NULL);
    g_assert_true (g_str_has_suffix (path, cases[i].ext));
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, cases[i].text);
    alger_value_unref (cases[i].value);
  }
  rm_rf (outputs);
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* names in @dir, sorted, joined with ' ' */
static char *
list_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, cmp_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* one folder per execution, made at the first write (with the outputs
 * folder if missing); each file renamed into place from a hidden temporary
 * name, which a leftover file of that name does not block */
static void
test_folder (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("alger-folder-XXXXXX", NULL);
  g_autofree char *outputs = g_build_filename (tmp, "missing", "outputs", NULL);
  g_autofree char *run = g_build_filename (outputs, "run-1", NULL);
  g_autofree char *text_dir = g_build_filename (run, "text", NULL);
  g_autofree char *leftover = g_build_filename (text_dir, ".b.txt.tmp", NULL);
  g_autofree char *b_txt = g_build_filename (text_dir, "b.txt", NULL);
  g_autofree char *other = g_build_filename (tmp, "also-missing", NULL);
  g_autoptr(AlgerArtifactsFolder) folder = alger_artifacts_folder_new (outputs, "run-1", NULL);
  g_autoptr(AlgerValue) one = alger_value_new_string ("one", TRUE);
  g_autoptr(AlgerValue) two = alger_value_new_string ("two", TRUE);
  g_autoptr(AlgerValue) three = alger_value_new_int (3);
  g_autoptr(GPtrArray) a1 = NULL;
  g_autoptr(GPtrArray) a2 = NULL;
  g_autoptr(GPtrArray) a3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *text = NULL;
  g_autofree char *contents = NULL;

  g_assert_null (alger_artifacts_folder_new (outputs, "../up", &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_nonnull (folder);
  /* nothing is made before the first file */
  g_assert_false (g_file_test (outputs, G_FILE_TEST_EXISTS));

  a1 = alger_artifacts_folder_write (folder, "text", "a", one, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (a1->pdata[0]), "path"),
                   ==, "run-1/text/a.txt");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (a1->pdata[0]),
                                                  "executionId"),
                   ==, "run-1");
  g_assert_true (g_file_set_contents (leftover, "stale", -1, NULL));
  a2 = alger_artifacts_folder_write (folder, "text", "b", two, &error);
  g_assert_no_error (error);
  a3 = alger_artifacts_folder_write (folder, "other/kind", "c", three, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (a3->pdata[0]), "path"),
                   ==, "run-1/other%2Fkind/c.txt");

  listing = list_dir (run);
  g_assert_cmpstr (listing, ==, "other%2Fkind text");
  g_clear_pointer (&listing, g_free);
  /* the stale temporary is left alone, and no other temporary remains */
  listing = list_dir (text_dir);
  g_assert_cmpstr (listing, ==, ".b.txt.tmp a.txt b.txt");
  g_assert_true (g_file_get_contents (leftover, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "stale");
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (b_txt, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "two");

  /* a whole-file text, folder made when missing */
  text = g_build_filename (other, "run-1.json", NULL);
  g_assert_true (alger_artifacts_write_text (text, "{}", &error));
  g_assert_no_error (error);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (text, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "{}");
  g_clear_pointer (&listing, g_free);
  listing = list_dir (other);
  g_assert_cmpstr (listing, ==, "run-1.json");
  rm_rf (tmp);
}

static void
test_format_float (void)
{
  const struct {
    double d;
    const char *s;
  } cases[] = {
    { 12243.0, "12243.0" }, { 8.710262733302443e-08, "8.710262733302443e-08" },
    { 0.1, "0.1" }, { 1e16, "1e+16" }, { 1e15, "1000000000000000.0" }, { 1e-5, "1e-05" },
    { 0.0001, "0.0001" }, { -0.0, "-0.0" }, { 0.0, "0.0" }, { 1.5, "1.5" },
    { 123456789.0, "123456789.0" }, { 5e-324, "5e-324" }, { 1.7976931348623157e308,
    "1.7976931348623157e+308" }, { 0.3202168345451355, "0.3202168345451355" },
    { NAN, "nan" }, { INFINITY, "inf" }, { -INFINITY, "-inf" }, { -2.5e-7, "-2.5e-07" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *s = alger_describe_format_float (cases[i].d);
    g_assert_cmpstr (s, ==, cases[i].s);
  }
}

static void
test_describe (void)
{
  gsize shape[] = { 1, 2, 3 };
  g_autoptr(AlgerValue) arr = float_array (3, shape, fill_half);
  g_autoptr(JsonNode) golden = alger_describe_golden (arr);
  g_autoptr(JsonNode) summary = alger_describe_summary (arr);
  g_autofree char *gs = dump (golden);
  g_autofree char *ss = dump (summary);
  g_autoptr(AlgerValue) dict = alger_value_new_dict ();
  g_autoptr(AlgerValue) nan = alger_value_new_float (NAN);
  g_autoptr(JsonNode) dsum = NULL;
  g_autoptr(JsonNode) dgold = NULL;
  g_autoptr(JsonNode) nsum = NULL;
  g_autofree char *ds = NULL;
  g_autofree char *dg = NULL;
  g_autofree char *ns = NULL;

  g_assert_nonnull (strstr (gs, "\"samples\":[[0,0.0],[1,0.5],[2,1.0],[3,1.5],[4,2.0],[5,2.5]]"));
  g_assert_nonnull (strstr (gs, "\"channel_sums\":[7.5]"));
  g_assert_nonnull (strstr (gs, "\"sum\":7.5"));
  g_assert_nonnull (strstr (gs, "\"mean\":1.25"));
  g_assert_cmpstr (ss, ==, "{\"type\":\"ndarray\",\"shape\":[1,2,3],\"dtype\":\"float32\","
                           "\"min\":0.0,\"max\":2.5,\"mean\":1.25}");

  alger_value_dict_set (dict, "b", alger_value_new_int (2));
  alger_value_dict_set (dict, "a", alger_value_ref (arr));
  alger_value_dict_set (dict, "f", alger_value_new_float (INFINITY));
  dsum = alger_describe_summary (dict);
  dgold = alger_describe_golden (dict);
  ds = dump (dsum);
  dg = dump (dgold);
  g_assert_cmpstr (ds, ==, "{\"type\":\"dict\",\"keys\":[\"b\",\"a\",\"f\"],\"size\":3}");
  g_assert_nonnull (strstr (dg, "\"a\":{\"__ndarray__\":{\"type\":\"ndarray\""));
  g_assert_nonnull (strstr (dg, "\"f\":{\"__float__\":\"inf\"}"));
  nsum = alger_describe_summary (nan);
  ns = dump (nsum);
  g_assert_cmpstr (ns, ==, "{\"type\":\"float\",\"value\":null}");
}

static void
test_pairwise_sum (void)
{
  /* 0.1f summed: sequential float32 accumulation drifts, numpy's pairwise does not */
  g_autofree float *data = g_new (float, 100000);
  float sum = 0;

  for (guint i = 0; i < 100000; i++)
    data[i] = 0.1f;
  sum = alger_sum_f32 (data, 100000);
  g_assert_cmpfloat (fabs (sum - 10000.0f), <, 0.01);
  g_assert_cmpfloat (alger_sum_f32 (data, 0), ==, 0.0f);
  g_assert_cmpfloat (alger_sum_f32 (data, 3), ==, 0.1f + 0.1f + 0.1f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/alger/runner/summary", test_summary);
  g_test_add_func ("/alger/runner/summary-data", test_summary_data);
  g_test_add_func ("/alger/runner/node-error", test_node_error);
  g_test_add_func ("/alger/runner/validation-no-report", test_validation_no_report);
  g_test_add_func ("/alger/runner/cancel/before", test_cancel_before);
  g_test_add_func ("/alger/runner/cancel/from-callback", test_cancel_from_callback);
  g_test_add_func ("/alger/runner/cancel/during-delay", test_cancel_during_delay);
  g_test_add_func ("/alger/runner/delays", test_delays);
  g_test_add_func ("/alger/runner/big-graphs", test_big_graphs);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_datasets); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/runner/hostile/dataset-%s",
                                             hostile_datasets[i].name);
    g_test_add_data_func (path, GUINT_TO_POINTER (i), test_hostile_dataset);
  }
  g_test_add_func ("/alger/runner/hostile/kernel-sizes", test_hostile_kernels);
  g_test_add_func ("/alger/runner/hostile/path-tricks", test_path_tricks);
  g_test_add_func ("/alger/runner/hostile/execution-id", test_bad_execution_id);
  g_test_add_func ("/alger/artifacts/safe-name", test_safe_name);
  g_test_add_func ("/alger/artifacts/npy", test_npy);
  g_test_add_func ("/alger/artifacts/png", test_png);
  g_test_add_func ("/alger/artifacts/png-wide-rows", test_png_wide_rows);
  g_test_add_func ("/alger/artifacts/png-chart", test_png_chart);
  g_test_add_func ("/alger/artifacts/dict-with-image", test_dict_with_image);
  g_test_add_func ("/alger/artifacts/json-text", test_json_text);
  g_test_add_func ("/alger/artifacts/scalars", test_scalars);
  g_test_add_func ("/alger/artifacts/folder", test_folder);
  g_test_add_func ("/alger/describe/format-float", test_format_float);
  g_test_add_func ("/alger/describe/descriptions", test_describe);
  g_test_add_func ("/alger/describe/pairwise-sum", test_pairwise_sum);
  return g_test_run ();
}
