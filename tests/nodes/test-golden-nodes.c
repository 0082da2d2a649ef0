/* test-golden-nodes.c: every node of every golden graph, against the golden
 *
 * A minimal chain runner (the golden's own order and input lists) feeds the
 * kinds directly, so these tests need nothing from the graph runner.  Node
 * outputs are compared as check_golden.py does, but stricter: floats inside
 * dicts must be bit-identical (the figure depends on it) and text strings
 * must match character for character.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-node.h"
#include "alger-numerics.h"

static const char *const node_error_cases[] = {
  "err_filter_even_kernel",
  "err_filter_kernel_abc",
  NULL,
};

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static char *
golden_dir (void)
{
  const char *shared = g_getenv ("ALGER_SHARED_DIR");
  if (shared == NULL)
    return NULL;
  return g_build_filename (shared, "fixtures", "golden", NULL);
}

static JsonNode *
load_json (const char *dir, const char *sub, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, sub, file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* compat_original runs must be bit-exact; default runs may differ from
 * numpy's pairwise sums by float32 rounding (the fast filter path) */
static gboolean strict = TRUE;

static gboolean
close_enough (double g, double c)
{
  if (isnan (g) || isnan (c))
    return isnan (g) && isnan (c);
  return fabs (g - c) <= 1e-6 || fabs (g - c) <= 1e-5 * fabs (g);
}

#define ASSERT_CLOSE(path, g, c)                                                           \
  G_STMT_START                                                                              \
  {                                                                                         \
    if (!close_enough ((g), (c)))                                                           \
      g_error ("%s: expected %.17g, got %.17g", (path), (double) (g), (double) (c));        \
  }                                                                                         \
  G_STMT_END

static void
cmp_array (JsonObject *g, AlgerValue *v, const char *path)
{
  JsonArray *shape = json_object_get_array_member (g, "shape");
  const gsize *vshape = NULL;
  gconstpointer data = NULL;
  AlgerDType dtype;
  gsize n;
  double lo = INFINITY, hi = -INFINITY, sum = 0.0;

  g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_ARRAY);
  g_assert_cmpuint (alger_value_array_get_ndim (v), ==, json_array_get_length (shape));
  vshape = alger_value_array_get_shape (v);
  for (guint i = 0; i < json_array_get_length (shape); i++)
    g_assert_cmpuint (vshape[i], ==, (gsize) json_array_get_int_element (shape, i));
  dtype = alger_value_array_get_dtype (v);
  g_assert_cmpstr (alger_dtype_to_string (dtype), ==,
                   json_object_get_string_member (g, "dtype"));
  n = alger_value_array_get_n_elements (v);
  data = alger_value_array_peek_data (v);
  for (gsize i = 0; i < n; i++) {
    double x = dtype == ALGER_DTYPE_UINT8 ? ((const guint8 *) data)[i]
                                          : ((const float *) data)[i];
    lo = MIN (lo, x);
    hi = MAX (hi, x);
    sum += x;
  }
  if (n > 0) {
    ASSERT_CLOSE (path, json_object_get_double_member (g, "min"), lo);
    ASSERT_CLOSE (path, json_object_get_double_member (g, "max"), hi);
    ASSERT_CLOSE (path, json_object_get_double_member (g, "mean"), sum / (double) n);
  }
  ASSERT_CLOSE (path, json_object_get_double_member (g, "sum"), sum);
  if (json_object_has_member (g, "samples")) {
    JsonArray *samples = json_object_get_array_member (g, "samples");
    for (guint i = 0; i < json_array_get_length (samples); i++) {
      JsonArray *s = json_array_get_array_element (samples, i);
      gsize idx = (gsize) json_array_get_int_element (s, 0);
      double gv = json_array_get_double_element (s, 1);
      double cv = dtype == ALGER_DTYPE_UINT8 ? ((const guint8 *) data)[idx]
                                             : ((const float *) data)[idx];
      g_assert_cmpuint (idx, <, n);
      /* single elements come straight from the computation: bit-exact */
      if (strict ? gv != cv : !close_enough (gv, cv))
        g_error ("%s: sample %" G_GSIZE_FORMAT ": expected %.17g, got %.17g", path, idx, gv,
                 cv);
    }
  }
  if (json_object_has_member (g, "channel_sums")) {
    JsonArray *cs = json_object_get_array_member (g, "channel_sums");
    gsize plane = vshape[1] * vshape[2];
    g_assert_cmpuint (json_array_get_length (cs), ==, vshape[0]);
    for (gsize c = 0; c < vshape[0]; c++) {
      double s = 0.0;
      for (gsize i = 0; i < plane; i++)
        s += dtype == ALGER_DTYPE_UINT8 ? ((const guint8 *) data)[c * plane + i]
                                        : ((const float *) data)[c * plane + i];
      ASSERT_CLOSE (path, json_array_get_double_element (cs, (guint) c), s);
    }
  }
}

static void
cmp_json (JsonNode *g, AlgerValue *v, const char *path)
{
  if (JSON_NODE_HOLDS_NULL (g)) {
    g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_NONE);
  } else if (JSON_NODE_HOLDS_OBJECT (g)) {
    JsonObject *o = json_node_get_object (g);
    if (json_object_get_size (o) == 1 && json_object_has_member (o, "__ndarray__")) {
      cmp_array (json_object_get_object_member (o, "__ndarray__"), v, path);
      return;
    }
    g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_DICT);
    g_assert_cmpuint (alger_value_dict_get_size (v), ==, json_object_get_size (o));
    for (guint i = 0; i < alger_value_dict_get_size (v); i++) {
      const char *key = alger_value_dict_get_key (v, i);
      g_autofree char *sub = g_strdup_printf ("%s.%s", path, key);
      g_assert_true (json_object_has_member (o, key));
      cmp_json (json_object_get_member (o, key), alger_value_dict_get_value (v, i), sub);
    }
  } else if (JSON_NODE_HOLDS_ARRAY (g)) {
    JsonArray *a = json_node_get_array (g);
    g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_LIST);
    g_assert_cmpuint (alger_value_list_get_length (v), ==, json_array_get_length (a));
    for (guint i = 0; i < json_array_get_length (a); i++) {
      g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i);
      cmp_json (json_array_get_element (a, i), alger_value_list_get (v, i), sub);
    }
  } else {
    switch (json_node_get_value_type (g)) {
    case G_TYPE_INT64:
      g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_INT);
      g_assert_cmpint (alger_value_get_int (v), ==, json_node_get_int (g));
      break;
    case G_TYPE_DOUBLE:
      g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_FLOAT);
      /* python floats made from float32 results: must be bit-identical */
      if (strict ? json_node_get_double (g) != alger_value_get_float (v)
                 : !close_enough (json_node_get_double (g), alger_value_get_float (v)))
        g_error ("%s: expected %.17g, got %.17g", path, json_node_get_double (g),
                 alger_value_get_float (v));
      break;
    case G_TYPE_STRING:
      g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_STRING);
      g_assert_cmpstr (alger_value_get_string (v), ==, json_node_get_string (g));
      break;
    case G_TYPE_BOOLEAN:
      g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_BOOL);
      g_assert_cmpint (alger_value_get_bool (v), ==, json_node_get_boolean (g));
      break;
    default:
      g_assert_not_reached ();
    }
  }
}

static void
cmp_value (JsonObject *desc, AlgerValue *v, const char *path)
{
  const char *type = json_object_get_string_member (desc, "type");

  if (g_strcmp0 (type, "ndarray") == 0) {
    cmp_array (desc, v, path);
  } else if (g_strcmp0 (type, "dict") == 0) {
    JsonArray *keys = json_object_get_array_member (desc, "keys");
    g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_DICT);
    g_assert_cmpuint (alger_value_dict_get_size (v), ==, json_array_get_length (keys));
    for (guint i = 0; i < json_array_get_length (keys); i++)
      g_assert_cmpstr (alger_value_dict_get_key (v, i), ==,
                       json_array_get_string_element (keys, i));
    cmp_json (json_object_get_member (desc, "value"), v, path);
  } else if (g_strcmp0 (type, "str") == 0) {
    g_assert_cmpint (alger_value_get_kind (v), ==, ALGER_VALUE_STRING);
    g_assert_cmpstr (alger_value_get_string (v), ==, json_object_get_string_member (desc, "value"));
    g_assert_cmpint (alger_value_string_is_from_text (v), ==,
                     json_object_get_boolean_member (desc, "from_text"));
  } else {
    g_error ("%s: unhandled golden type %s", path, type);
  }
}

typedef struct {
  char *id;
  const AlgerNodeKind *kind;
  JsonObject *params;
} GoldenNode;

static GHashTable *
read_nodes (JsonObject *graph, GPtrArray **order_out)
{
  JsonArray *nodes = json_object_get_array_member (json_object_get_object_member (graph,
                                                                                  "pipeline"),
                                                   "nodes");
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GPtrArray *order = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (nodes); i++) {
    JsonObject *n = json_array_get_object_element (nodes, i);
    JsonObject *data = json_object_get_object_member (n, "data");
    GoldenNode *gn = g_new0 (GoldenNode, 1);
    gn->id = (char *) json_object_get_string_member (n, "id");
    gn->kind = alger_node_kind_lookup (json_object_get_string_member (data, "kind"));
    gn->params = json_object_get_object_member (data, "params");
    g_assert_nonnull (gn->kind);
    g_hash_table_insert (table, gn->id, gn);
    g_ptr_array_add (order, gn->id);
  }
  *order_out = order;
  return table;
}

static AlgerValue *
run_node (GoldenNode *gn, GHashTable *outputs, GPtrArray *inputs, GError **error)
{
  g_autoptr(AlgerValue) input = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();
  AlgerNodeContext ctx = { NULL, 0, strict };

  if (inputs->len == 1) {
    input = alger_value_ref (g_hash_table_lookup (outputs, g_ptr_array_index (inputs, 0)));
  } else if (inputs->len > 1) {
    input = alger_value_new_list ();
    for (guint i = 0; i < inputs->len; i++)
      alger_value_list_append (input, alger_value_ref (g_hash_table_lookup (
                                        outputs, g_ptr_array_index (inputs, i))));
  }
  return gn->kind->run (&ctx, gn->params != NULL ? gn->params : empty, input, error);
}

static void
test_golden_case (gconstpointer data)
{
  const char *name = strchr (data, '/') + 1;
  g_autofree char *dir = golden_dir ();
  g_autoptr(JsonNode) graph = NULL;
  g_autoptr(JsonNode) expected = NULL;
  g_autoptr(GHashTable) nodes = NULL;
  g_autoptr(GHashTable) outputs = NULL;
  g_autoptr(GPtrArray) node_order = NULL;
  JsonObject *exp = NULL;

  strict = g_str_has_prefix (data, "compat/");
  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_test_skip ("golden fixtures not found (ALGER_SHARED_DIR)");
    return;
  }
  graph = load_json (dir, "graphs", name);
  expected = load_json (dir, "expected", name);
  exp = json_node_get_object (expected);
  nodes = read_nodes (json_node_get_object (graph), &node_order);
  outputs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) alger_value_unref);

  if (json_object_get_boolean_member (exp, "ok")) {
    JsonArray *order = json_object_get_array_member (exp, "order");
    JsonObject *outs = json_object_get_object_member (exp, "outputs");
    for (guint i = 0; i < json_array_get_length (order); i++) {
      const char *id = json_array_get_string_element (order, i);
      JsonObject *out = json_object_get_object_member (outs, id);
      JsonArray *in = json_object_get_array_member (out, "inputs");
      g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_strdup_printf ("%s/%s", name, id);
      GoldenNode *gn = g_hash_table_lookup (nodes, id);
      AlgerValue *value = NULL;
      for (guint j = 0; j < json_array_get_length (in); j++)
        g_ptr_array_add (inputs, (gpointer) json_array_get_string_element (in, j));
      value = run_node (gn, outputs, inputs, &error);
      g_assert_no_error (error);
      g_assert_nonnull (value);
      g_hash_table_insert (outputs, gn->id, value);
      cmp_value (json_object_get_object_member (out, "value"), value, path);
    }
  } else {
    /* node-level failures: the graphs are chains in node order */
    JsonObject *err = json_object_get_object_member (exp, "error");
    g_autoptr(GError) error = NULL;
    const char *prev = NULL;
    for (guint i = 0; i < node_order->len && error == NULL; i++) {
      const char *id = g_ptr_array_index (node_order, i);
      g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
      AlgerValue *value = NULL;
      if (prev != NULL)
        g_ptr_array_add (inputs, (gpointer) prev);
      value = run_node (g_hash_table_lookup (nodes, id), outputs, inputs, &error);
      if (value != NULL)
        g_hash_table_insert (outputs, (gpointer) id, value);
      prev = id;
    }
    g_assert_nonnull (error);
    g_assert_cmpstr (error->message, ==, json_object_get_string_member (err, "message"));
    g_assert_cmpstr (alger_error_python_type (error), ==,
                     json_object_get_string_member (err, "type"));
  }
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *exp_dir = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  g_test_init (&argc, &argv, NULL);
  dir = golden_dir ();
  exp_dir = dir != NULL ? g_build_filename (dir, "expected", NULL) : NULL;
  d = exp_dir != NULL ? g_dir_open (exp_dir, 0, NULL) : NULL;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree char *name = NULL;
    if (!g_str_has_suffix (entry, ".json"))
      continue;
    name = g_strndup (entry, strlen (entry) - 5);
    if (g_str_has_prefix (name, "err_") &&
        !g_strv_contains (node_error_cases, name))
      continue;
    g_ptr_array_add (names, g_steal_pointer (&name));
  }
  if (names->len == 0)
    g_ptr_array_add (names, g_strdup ("missing"));
  /* each case is "compat/<name>" or "default/<name>" */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    for (guint m = 0; m < 2; m++) {
      char *data = g_strdup_printf ("%s/%s", m == 0 ? "compat" : "default",
                                    (char *) g_ptr_array_index (names, i));
      g_autofree char *path = g_strdup_printf ("/alger/golden-nodes/%s", data);
      g_ptr_array_add (cases, data);
      g_test_add_data_func (path, data, test_golden_case);
    }
  }
  return g_test_run ();
}
