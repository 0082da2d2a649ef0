/* test-nodes.c: the value type and each kind's parameters and errors
 *
 * Table-driven (json-glib tests/invalid.c style): params as JSON text,
 * the expected error code and python's exact message, or the expected
 * seed of the generator.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-numerics.h"
#include "alger-rng.h"

static JsonObject *
parse_params (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static AlgerValue *
run_kind (const AlgerNodeKind *kind, const char *params, AlgerValue *input, gboolean compat,
          guint64 max_elements, GError **error)
{
  g_autoptr(JsonObject) p = parse_params (params);
  AlgerNodeContext ctx = { NULL, max_elements, compat };
  return kind->run (&ctx, p, input, error);
}

/* value type */

static void
test_value_array (void)
{
  const gsize shape[3] = { 3, 5, 7 };
  const gsize huge[2] = { G_MAXSIZE / 2, 3 };
  g_autoptr(AlgerValue) a = alger_value_new_array (ALGER_DTYPE_FLOAT32, 3, shape);
  g_autoptr(AlgerValue) scalar = alger_value_new_array (ALGER_DTYPE_UINT8, 0, NULL);
  const float *data = alger_value_array_peek_data (a);

  g_assert_cmpuint ((guintptr) data % 64, ==, 0);
  g_assert_cmpuint (alger_value_array_get_n_elements (a), ==, 105);
  for (guint i = 0; i < 105; i++)
    g_assert_cmpfloat (data[i], ==, 0.0f);
  g_assert_cmpuint (alger_value_array_get_n_elements (scalar), ==, 1);
  g_assert_null (alger_value_new_array (ALGER_DTYPE_FLOAT32, 2, huge));
  g_assert_cmpstr (alger_dtype_to_string (ALGER_DTYPE_UINT8), ==, "uint8");
  g_assert_cmpstr (alger_value_kind_to_python (ALGER_VALUE_ARRAY), ==, "ndarray");
}

static void
test_value_dict (void)
{
  g_autoptr(AlgerValue) d = alger_value_new_dict ();
  g_autoptr(AlgerValue) s = alger_value_new_string ("x", TRUE);

  alger_value_dict_set (d, "b", alger_value_new_int (1));
  alger_value_dict_set (d, "a", alger_value_ref (s));
  alger_value_dict_set (d, "b", alger_value_new_float (2.5));
  g_assert_cmpuint (alger_value_dict_get_size (d), ==, 2);
  g_assert_cmpstr (alger_value_dict_get_key (d, 0), ==, "b");
  g_assert_cmpfloat (alger_value_get_float (alger_value_dict_get (d, "b")), ==, 2.5);
  g_assert_true (alger_value_dict_get (d, "a") == s);
  g_assert_null (alger_value_dict_get (d, "c"));
  g_assert_true (alger_value_string_is_from_text (s));
}

/* dataset: seeds */

typedef struct {
  const char *params;
  const char *seed; /* decimal seed expected, or NULL for an error */
  gint code;
  const char *message;
} DatasetCase;

static const DatasetCase dataset_cases[] = {
  { "{\"shape\": [9], \"seed\": 7}", "7", 0, NULL },
  { "{\"shape\": [9], \"seed\": 7.9}", "7", 0, NULL },
  { "{\"shape\": [9], \"seed\": \" 7 \"}", "7", 0, NULL },
  { "{\"shape\": [9], \"seed\": \"+0_7\"}", "7", 0, NULL },
  { "{\"shape\": [9], \"seed\": true}", "1", 0, NULL },
  { "{\"shape\": [9], \"seed\": -0.5}", "0", 0, NULL },
  { "{\"shape\": [9]}", "0", 0, NULL },
  { "{\"shape\": [9], \"seed\": 4294967301}", "4294967301", 0, NULL },
  { "{\"shape\": [9], \"seed\": 4294967301.0}", "4294967301", 0, NULL },
  { "{\"shape\": [9], \"seed\": 1e20}", "100000000000000000000", 0, NULL },
  { "{\"shape\": [9], \"seed\": \"100000000000000000000\"}", "100000000000000000000", 0, NULL },
  { "{\"shape\": [9], \"seed\": \"3.7\"}", NULL, ALGER_ERROR_VALUE,
    "invalid literal for int() with base 10: '3.7'" },
  { "{\"shape\": [9], \"seed\": \"1__0\"}", NULL, ALGER_ERROR_VALUE,
    "invalid literal for int() with base 10: '1__0'" },
  { "{\"shape\": [9], \"seed\": \"\"}", NULL, ALGER_ERROR_VALUE,
    "invalid literal for int() with base 10: ''" },
  { "{\"shape\": [9], \"seed\": -1}", NULL, ALGER_ERROR_VALUE, "expected non-negative integer" },
  { "{\"shape\": [9], \"seed\": -1.5}", NULL, ALGER_ERROR_VALUE, "expected non-negative integer" },
  { "{\"shape\": [9], \"seed\": \"-3\"}", NULL, ALGER_ERROR_VALUE,
    "expected non-negative integer" },
  { "{\"shape\": [9], \"seed\": null}", NULL, ALGER_ERROR_TYPE,
    "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'" },
  { "{\"shape\": [9], \"seed\": [1]}", NULL, ALGER_ERROR_TYPE,
    "int() argument must be a string, a bytes-like object or a real number, not 'list'" },
  { "{\"shape\": [9], \"seed\": {}}", NULL, ALGER_ERROR_TYPE,
    "int() argument must be a string, a bytes-like object or a real number, not 'dict'" },
  { "{\"shape\": [2, \"3\"]}", NULL, ALGER_ERROR_TYPE,
    "'str' object cannot be interpreted as an integer" },
  { "{\"shape\": [2.0, 3]}", NULL, ALGER_ERROR_TYPE,
    "'float' object cannot be interpreted as an integer" },
  { "{\"shape\": [-1, 3]}", NULL, ALGER_ERROR_VALUE, "negative dimensions are not allowed" },
  { "{\"shape\": 5}", NULL, ALGER_ERROR_TYPE, "'int' object is not iterable" },
  { "{\"shape\": null}", NULL, ALGER_ERROR_TYPE, "'NoneType' object is not iterable" },
  { "{\"shape\": [100000, 100000, 100000]}", NULL, ALGER_ERROR_LIMIT,
    "dataset shape [100000, 100000, 100000] has 1000000000000000 elements; "
    "the limit is 1000000" },
};

static void
test_dataset_case (gconstpointer data)
{
  const DatasetCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerValue) v = run_kind (&alger_node_kind_dataset, c->params, NULL, TRUE, 1000000,
                                      &error);

  if (c->seed == NULL) {
    g_assert_null (v);
    g_assert_error (error, ALGER_ERROR, c->code);
    g_assert_cmpstr (error->message, ==, c->message);
  } else {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
    g_autoptr(GArray) words = NULL;
    gboolean negative = FALSE;
    float expect[9];
    AlgerRng rng;

    g_assert_no_error (error);
    json_node_set_string (node, c->seed);
    words = alger_py_int_from_json (node, &negative, NULL);
    alger_rng_init_words (&rng, (const guint32 *) words->data, words->len);
    alger_rng_fill_float (&rng, expect, 9);
    g_assert_cmpuint (alger_value_array_get_n_elements (v), ==, 9);
    g_assert_cmpmem (alger_value_array_peek_data (v), 9 * sizeof (float), expect, sizeof expect);
  }
}

static void
test_dataset_special (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerValue) scalar = NULL;
  g_autoptr(AlgerValue) empty = NULL;
  g_autoptr(AlgerValue) deflt = NULL;
  g_autoptr(JsonNode) nan = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonNode) inf = json_node_new (JSON_NODE_VALUE);
  gboolean negative;
  GArray *words;

  scalar = run_kind (&alger_node_kind_dataset, "{\"shape\": []}", NULL, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_value_array_get_ndim (scalar), ==, 0);
  g_assert_cmpfloat (*(const float *) alger_value_array_peek_data (scalar), ==,
                     0.8506242036819458f);
  empty = run_kind (&alger_node_kind_dataset, "{\"shape\": [2, 0, 5]}", NULL, TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_value_array_get_n_elements (empty), ==, 0);
  deflt = run_kind (&alger_node_kind_dataset, "{}", NULL, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_value_array_get_shape (deflt)[2], ==, 64);

  json_node_set_double (nan, NAN);
  words = alger_py_int_from_json (nan, &negative, &error);
  g_assert_null (words);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_VALUE);
  g_assert_cmpstr (error->message, ==, "cannot convert float NaN to integer");
  g_clear_error (&error);
  json_node_set_double (inf, -INFINITY);
  words = alger_py_int_from_json (inf, &negative, &error);
  g_assert_null (words);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_OVERFLOW);
  g_assert_cmpstr (error->message, ==, "cannot convert float infinity to integer");
}

/* filter */

typedef struct {
  const char *params;
  const char *message; /* NULL: succeeds */
} FilterCase;

static const FilterCase filter_cases[] = {
  { "{\"kernelSize\": \"abc\"}", "kernelSize must be an integer" },
  { "{\"kernelSize\": null}", "kernelSize must be an integer" },
  { "{\"kernelSize\": 4}", "kernelSize must be a positive odd integer" },
  { "{\"kernelSize\": 0}", "kernelSize must be a positive odd integer" },
  { "{\"kernelSize\": -3}", "kernelSize must be a positive odd integer" },
  { "{\"kernelSize\": \"5\"}", NULL },
  { "{\"kernelSize\": 3.7}", NULL },
  { "{\"filterType\": \"median\"}", "Unsupported filterType 'median'. Supported: mean/average." },
  { "{\"filterType\": \"Average\", \"kernelSize\": 1}", NULL },
};

static AlgerValue *
make_dataset (const char *params)
{
  return run_kind (&alger_node_kind_dataset, params, NULL, TRUE, 0, NULL);
}

static void
test_filter_case (gconstpointer data)
{
  const FilterCase *c = data;
  g_autoptr(AlgerValue) input = make_dataset ("{\"shape\": [2, 6, 7], \"seed\": 3}");
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerValue) v = run_kind (&alger_node_kind_filter, c->params, input, TRUE, 0,
                                      &error);

  if (c->message != NULL) {
    g_assert_null (v);
    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
    g_assert_cmpstr (error->message, ==, c->message);
  } else {
    g_assert_no_error (error);
    g_assert_cmpuint (alger_value_array_get_n_elements (v), ==, 84);
  }
}

/* naive reference: edge-clamped window, float32 pairwise via the numerics */
static void
test_filter_exact (void)
{
  const gsize ks[] = { 1, 3, 5, 9, 13, 15 };
  g_autoptr(AlgerValue) input = make_dataset ("{\"shape\": [2, 19, 21], \"seed\": 5}");
  const float *src = alger_value_array_peek_data (input);

  for (guint t = 0; t < G_N_ELEMENTS (ks); t++) {
    gsize k = ks[t], pad = k / 2;
    g_autofree char *params = g_strdup_printf ("{\"kernelSize\": %" G_GSIZE_FORMAT "}", k);
    g_autoptr(AlgerValue) exact = run_kind (&alger_node_kind_filter, params, input, TRUE, 0,
                                            NULL);
    g_autoptr(AlgerValue) fast = run_kind (&alger_node_kind_filter, params, input, FALSE, 0,
                                           NULL);
    const float *e = alger_value_array_peek_data (exact);
    const float *f = alger_value_array_peek_data (fast);
    g_autofree float *win = g_new (float, k * k);
    for (gsize c = 0; c < 2; c++) {
      for (gsize y = 0; y < 19; y++) {
        for (gsize x = 0; x < 21; x++) {
          gsize i = (c * 19 + y) * 21 + x;
          float ref;
          for (gsize dy = 0; dy < k; dy++) {
            for (gsize dx = 0; dx < k; dx++) {
              gssize sy = CLAMP ((gssize) (y + dy) - (gssize) pad, 0, 18);
              gssize sx = CLAMP ((gssize) (x + dx) - (gssize) pad, 0, 20);
              win[dy * k + dx] = src[(c * 19 + (gsize) sy) * 21 + (gsize) sx];
            }
          }
          ref = alger_sum_f32 (win, k * k) / (float) (k * k);
          g_assert_cmpfloat (e[i], ==, ref);
          g_assert_cmpfloat_with_epsilon (f[i], ref, 4e-7);
        }
      }
    }
  }
}

static void
test_filter_2d_and_cancel (void)
{
  g_autoptr(AlgerValue) flat = make_dataset ("{\"shape\": [6, 5], \"seed\": 1}");
  g_autoptr(AlgerValue) big = make_dataset ("{\"shape\": [4, 512, 512], \"seed\": 1}");
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(JsonObject) p = parse_params ("{\"kernelSize\": 9}");
  g_autoptr(GError) error = NULL;

  out = run_kind (&alger_node_kind_filter, "{}", flat, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_value_array_get_ndim (out), ==, 3);
  g_assert_cmpuint (alger_value_array_get_shape (out)[0], ==, 1);

  g_cancellable_cancel (cancel);
  for (guint compat = 0; compat < 2; compat++) {
    AlgerNodeContext ctx = { cancel, 0, compat };
    gint64 t0 = g_get_monotonic_time ();
    AlgerValue *v = alger_node_kind_filter.run (&ctx, p, big, &error);
    g_assert_null (v);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (g_get_monotonic_time () - t0, <, 50000);
    g_clear_error (&error);
  }
}

/* other kinds */

static void
test_segmentation (void)
{
  const gsize shape[1] = { 3 };
  g_autoptr(AlgerValue) input = alger_value_new_array (ALGER_DTYPE_FLOAT32, 1, shape);
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(AlgerValue) none = alger_value_new_none ();
  g_autoptr(GError) error = NULL;
  float *d = alger_value_array_get_data (input);
  const guint8 *o;

  d[0] = 0.1f;
  d[1] = 0.5f;
  d[2] = 0.09999999f;
  /* 0.10000000149011613 > 0.1f in double, but rounds to 0.1f */
  out = run_kind (&alger_node_kind_segmentation,
                  "{\"threshold\": 0.10000000149011613, \"method\": \"otsu\"}", input, TRUE, 0,
                  &error);
  g_assert_no_error (error);
  o = alger_value_array_peek_data (out);
  g_assert_cmpuint (o[0], ==, 1);
  g_assert_cmpuint (o[1], ==, 1);
  g_assert_cmpuint (o[2], ==, 0);
  g_assert_null (run_kind (&alger_node_kind_segmentation, "{}", none, TRUE, 0, &error));
  g_assert_cmpstr (error->message, ==, "segmentation expects a numpy array");
  g_clear_error (&error);
  g_assert_null (run_kind (&alger_node_kind_segmentation, "{\"threshold\": \"x\"}", input, TRUE,
                           0, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_VALUE);
  g_assert_cmpstr (error->message, ==, "could not convert string to float: 'x'");
}

static void
test_concat (void)
{
  g_autoptr(AlgerValue) a = make_dataset ("{\"shape\": [1, 2, 3]}");
  g_autoptr(AlgerValue) b = make_dataset ("{\"shape\": [2, 2, 4]}");
  g_autoptr(AlgerValue) seg = run_kind (&alger_node_kind_segmentation, "{}", a, TRUE, 0, NULL);
  g_autoptr(AlgerValue) list = alger_value_new_list ();
  g_autoptr(AlgerValue) bad = alger_value_new_list ();
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(GError) error = NULL;

  alger_value_list_append (list, alger_value_ref (seg));
  alger_value_list_append (list, alger_value_ref (a));
  out = run_kind (&alger_node_kind_concat, "{}", list, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (alger_value_array_get_dtype (out), ==, ALGER_DTYPE_FLOAT32);
  g_assert_cmpuint (alger_value_array_get_shape (out)[0], ==, 2);
  g_assert_cmpfloat (((const float *) alger_value_array_peek_data (out))[0], ==, 1.0f);

  alger_value_list_append (bad, alger_value_ref (a));
  alger_value_list_append (bad, alger_value_ref (b));
  g_assert_null (run_kind (&alger_node_kind_concat, "{}", bad, TRUE, 0, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
  g_assert_cmpstr (error->message, ==, "concat inputs must share (Y, X) dimensions");
}

static void
test_image_kinds_reject (void)
{
  const AlgerNodeKind *kinds[] = { &alger_node_kind_filter, &alger_node_kind_descriptor,
                                   &alger_node_kind_simulation };
  g_autoptr(AlgerValue) s = alger_value_new_string ("x", FALSE);
  g_autoptr(AlgerValue) four = make_dataset ("{\"shape\": [1, 2, 2, 2]}");

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *m1 = g_strdup_printf ("%s expects a numpy array", kinds[i]->name);
    g_autofree char *m2 = g_strdup_printf ("%s expects an array shaped (C, Y, X)",
                                           kinds[i]->name);
    g_assert_null (run_kind (kinds[i], "{}", s, TRUE, 0, &error));
    g_assert_cmpstr (error->message, ==, m1);
    g_clear_error (&error);
    g_assert_null (run_kind (kinds[i], "{}", four, TRUE, 0, &error));
    g_assert_cmpstr (error->message, ==, m2);
  }
}

static void
test_simulation_steps (void)
{
  g_autoptr(AlgerValue) input = make_dataset ("{\"shape\": [2, 3, 4]}");
  const struct {
    const char *params;
    gint64 steps;
  } cases[] = {
    { "{\"steps\": 1}", 1 },     { "{\"steps\": 0}", 1 },      { "{\"steps\": 1000}", 256 },
    { "{\"steps\": \"12\"}", 12 }, { "{\"steps\": 1e300}", 256 }, { "{\"steps\": -5}", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(AlgerValue) v = run_kind (&alger_node_kind_simulation, cases[i].params, input, TRUE,
                                        0, &error);
    AlgerValue *series;
    g_assert_no_error (error);
    g_assert_cmpint (alger_value_get_int (alger_value_dict_get (v, "steps")), ==,
                     cases[i].steps);
    series = alger_value_dict_get (v, "series");
    g_assert_cmpuint (alger_value_list_get_length (series), ==, (guint) cases[i].steps);
    g_assert_cmpfloat (alger_value_get_float (alger_value_list_get (series, 0)), ==, 0.0);
  }
}

static void
test_figure_equal_values (void)
{
  g_autoptr(AlgerValue) input = make_dataset ("{\"shape\": [2, 3, 4]}");
  g_autoptr(AlgerValue) desc = NULL;
  g_autoptr(AlgerValue) fig = NULL;
  g_autoptr(GError) error = NULL;
  AlgerValue *image;
  const float *img;

  desc = run_kind (&alger_node_kind_descriptor, "{}", input, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_null (run_kind (&alger_node_kind_figure, "{}", input, TRUE, 0, &error));
  g_assert_cmpstr (error->message, ==, "figure node expects a descriptor dictionary input");
  g_clear_error (&error);
  /* two equal means: both bars 20 px, 160 px wide canvas, bars 80 px apart */
  alger_value_dict_set (alger_value_dict_get (desc, "channel_stats"), "mean",
                        alger_value_new_list ());
  alger_value_list_append (alger_value_dict_get (alger_value_dict_get (desc, "channel_stats"),
                                                 "mean"),
                           alger_value_new_float (0.5));
  alger_value_list_append (alger_value_dict_get (alger_value_dict_get (desc, "channel_stats"),
                                                 "mean"),
                           alger_value_new_float (0.5));
  fig = run_kind (&alger_node_kind_figure, "{\"title\": \"T\"}", desc, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (alger_value_get_string (alger_value_dict_get (fig, "title")), ==, "T");
  g_assert_true (alger_value_dict_get (fig, "data") == desc);
  image = alger_value_dict_get (fig, "_image");
  g_assert_cmpuint (alger_value_array_get_shape (image)[2], ==, 160);
  img = alger_value_array_peek_data (image);
  /* red channel: bar 0 (orange) spans x 6..73, rows 145..164 */
  g_assert_cmpfloat (img[144 * 160 + 6], ==, 0.08f);
  g_assert_cmpfloat (img[145 * 160 + 6], ==, 249.0f / 255.0f);
  g_assert_cmpfloat (img[164 * 160 + 73], ==, 249.0f / 255.0f);
  g_assert_cmpfloat (img[164 * 160 + 74], ==, 0.08f);
  g_assert_cmpfloat (img[165 * 160 + 74], ==, 0.25f);
  g_assert_cmpfloat (img[150 * 160 + 86], ==, 59.0f / 255.0f);
}

static void
test_text (void)
{
  g_autoptr(AlgerValue) list = alger_value_new_list ();
  g_autoptr(AlgerValue) d = alger_value_new_dict ();
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(AlgerValue) arr = make_dataset ("{\"shape\": [1]}");
  g_autoptr(GError) error = NULL;

  alger_value_dict_set (d, "b", alger_value_new_float (12243.0));
  alger_value_dict_set (d, "a", alger_value_new_int (1));
  alger_value_list_append (list, alger_value_new_string ("LOG: x", TRUE));
  alger_value_list_append (list, alger_value_ref (d));
  out = run_kind (&alger_node_kind_text, "{\"prefix\": \"P\"}", list, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (alger_value_get_string (out), ==, "P: LOG: x | {\"a\": 1, \"b\": 12243.0}");
  g_assert_true (alger_value_string_is_from_text (out));
  g_clear_pointer (&out, alger_value_unref);
  out = run_kind (&alger_node_kind_text, "{}", d, TRUE, 0, &error);
  g_assert_cmpstr (alger_value_get_string (out), ==, "LOG: {\"a\": 1, \"b\": 12243.0}");
  g_assert_null (run_kind (&alger_node_kind_text, "{}", arr, TRUE, 0, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_TYPE);
}

static void
test_registry (void)
{
  guint n = 0;
  const AlgerNodeKind *const *kinds = alger_node_kind_list (&n);
  const AlgerNodeKind *sd = alger_node_kind_lookup ("structural-descriptor");

  g_assert_cmpuint (n, ==, 9);
  for (guint i = 0; i < n; i++)
    g_assert_true (alger_node_kind_lookup (kinds[i]->name) == kinds[i]);
  g_assert_nonnull (sd);
  g_assert_cmpint (sd->min_inputs, ==, 1);
  g_assert_null (alger_node_kind_lookup ("descriptor"));
  g_assert_true (alger_node_kind_lookup ("text")->always_tracked);
  g_assert_cmpint (alger_node_kind_lookup ("concat")->max_inputs, ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/value/array", test_value_array);
  g_test_add_func ("/alger/value/dict", test_value_dict);
  for (guint i = 0; i < G_N_ELEMENTS (dataset_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/nodes/dataset/params/%u", i);
    g_test_add_data_func (path, &dataset_cases[i], test_dataset_case);
  }
  g_test_add_func ("/alger/nodes/dataset/special", test_dataset_special);
  for (guint i = 0; i < G_N_ELEMENTS (filter_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/nodes/filter/params/%u", i);
    g_test_add_data_func (path, &filter_cases[i], test_filter_case);
  }
  g_test_add_func ("/alger/nodes/filter/exact", test_filter_exact);
  g_test_add_func ("/alger/nodes/filter/2d-and-cancel", test_filter_2d_and_cancel);
  g_test_add_func ("/alger/nodes/segmentation", test_segmentation);
  g_test_add_func ("/alger/nodes/concat", test_concat);
  g_test_add_func ("/alger/nodes/image-kinds-reject", test_image_kinds_reject);
  g_test_add_func ("/alger/nodes/simulation/steps", test_simulation_steps);
  g_test_add_func ("/alger/nodes/figure/equal-values", test_figure_equal_values);
  g_test_add_func ("/alger/nodes/text", test_text);
  g_test_add_func ("/alger/nodes/registry", test_registry);
  return g_test_run ();
}
