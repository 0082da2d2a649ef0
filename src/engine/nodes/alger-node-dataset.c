/* alger-node-dataset.c: np.random.default_rng(seed).random(shape, float32)
 *
 * Parameter handling follows the original line by line: tuple(shape), then
 * int(seed), then SeedSequence's sign check, then numpy's shape checks, each
 * with python's message.  The element budget is checked before allocating.
 */
#include "config.h"

#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-rng.h"

static const gsize default_shape[] = { 6, 64, 64 };

/* tuple(params.get("shape", (6, 64, 64))), then numpy's per-entry checks */
static gboolean
dataset_parse_shape (JsonNode *node, gsize *shape, guint *ndim, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(GList) members = NULL;
  const char *type = NULL;

  if (node == NULL) {
    *ndim = G_N_ELEMENTS (default_shape);
    memcpy (shape, default_shape, sizeof default_shape);
    return TRUE;
  }
  type = alger_json_python_type (node);
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    for (guint i = 0; i < json_array_get_length (array); i++)
      g_ptr_array_add (items, json_array_get_element (array, i));
  } else if (JSON_NODE_HOLDS_OBJECT (node)) {
    /* tuple(dict) is its keys: strings, rejected below unless empty */
    members = json_object_get_members (json_node_get_object (node));
    if (members != NULL) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                           "'str' object cannot be interpreted as an integer");
      return FALSE;
    }
  } else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING) {
    if (*json_node_get_string (node) != '\0') {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                           "'str' object cannot be interpreted as an integer");
      return FALSE;
    }
  } else {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_TYPE, "'%s' object is not iterable", type);
    return FALSE;
  }

  if (items->len > ALGER_VALUE_MAX_NDIM) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                 "maximum supported dimension for an ndarray is %d, found %u",
                 ALGER_VALUE_MAX_NDIM, items->len);
    return FALSE;
  }
  for (guint i = 0; i < items->len; i++) {
    JsonNode *item = g_ptr_array_index (items, i);
    GType vtype = JSON_NODE_HOLDS_VALUE (item) ? json_node_get_value_type (item) : G_TYPE_NONE;
    gint64 v;
    if (vtype == G_TYPE_INT64) {
      v = json_node_get_int (item);
    } else if (vtype == G_TYPE_BOOLEAN) {
      v = json_node_get_boolean (item) ? 1 : 0;
    } else {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                   "'%s' object cannot be interpreted as an integer",
                   alger_json_python_type (item));
      return FALSE;
    }
    if (v < 0) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                           "negative dimensions are not allowed");
      return FALSE;
    }
    shape[i] = (gsize) v;
  }
  *ndim = items->len;
  return TRUE;
}

static char *
shape_to_string (const gsize *shape, guint ndim)
{
  GString *out = g_string_new ("[");
  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (out, "%s%" G_GSIZE_FORMAT, i > 0 ? ", " : "", shape[i]);
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

static gboolean
dataset_check_size (const AlgerNodeContext *ctx, const gsize *shape, guint ndim, GError **error)
{
  guint64 n = 1;
  gboolean overflow = FALSE;
  gboolean empty = FALSE;
  g_autofree char *str = NULL;

  for (guint i = 0; i < ndim; i++) {
    if (shape[i] == 0)
      empty = TRUE;
    else if (!g_uint64_checked_mul (&n, n, shape[i]))
      overflow = TRUE;
  }
  if (empty)
    return TRUE;
  /* numpy's own limit: the byte size must fit a signed intp */
  if (!overflow && n > (guint64) G_MAXSSIZE / sizeof (float))
    overflow = TRUE;
  if (ctx->max_elements > 0 && (overflow || n > ctx->max_elements)) {
    str = shape_to_string (shape, ndim);
    if (overflow)
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                   "dataset shape %s has more than %" G_GUINT64_FORMAT
                   " elements; the limit is %" G_GUINT64_FORMAT,
                   str, G_MAXUINT64 / sizeof (float), ctx->max_elements);
    else
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                   "dataset shape %s has %" G_GUINT64_FORMAT
                   " elements; the limit is %" G_GUINT64_FORMAT,
                   str, n, ctx->max_elements);
    return FALSE;
  }
  if (overflow) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                         "array is too big; `arr.size * arr.dtype.itemsize` "
                         "is larger than the maximum possible size.");
    return FALSE;
  }
  return TRUE;
}

/* fill in chunks so a huge dataset can be cancelled quickly */
#define DATASET_CHUNK (1u << 20)

static AlgerValue *
dataset_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  gsize shape[ALGER_VALUE_MAX_NDIM] = { 0 };
  guint ndim = 0;
  gboolean negative = FALSE;
  g_autoptr(GArray) seed = NULL;
  g_autoptr(AlgerValue) array = NULL;
  JsonNode *seed_node = NULL;
  float *data = NULL;
  gsize n;
  AlgerRng rng;

  if (!dataset_parse_shape (alger_params_get (params, "shape"), shape, &ndim, error))
    return NULL;

  seed_node = alger_params_get (params, "seed");
  if (seed_node != NULL) {
    seed = alger_py_int_from_json (seed_node, &negative, error);
    if (seed == NULL)
      return NULL;
    if (negative) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                           "expected non-negative integer");
      return NULL;
    }
  }

  if (!dataset_check_size (ctx, shape, ndim, error))
    return NULL;
  array = alger_value_new_array_uninit (ALGER_DTYPE_FLOAT32, ndim, shape);
  if (array == NULL) {
    g_autofree char *str = shape_to_string (shape, ndim);
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                 "Unable to allocate memory for an array with shape %s and data type float32",
                 str);
    return NULL;
  }

  if (seed != NULL)
    alger_rng_init_words (&rng, (const guint32 *) seed->data, seed->len);
  else
    alger_rng_init_u64 (&rng, 0);
  data = alger_value_array_get_data (array);
  n = alger_value_array_get_n_elements (array);
  for (gsize off = 0; off < n; off += DATASET_CHUNK) {
    if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
      return NULL;
    alger_rng_fill_float (&rng, data + off, MIN (DATASET_CHUNK, n - off));
  }
  return g_steal_pointer (&array);
}

const AlgerNodeKind alger_node_kind_dataset = {
  .name = "dataset",
  .min_inputs = 0,
  .max_inputs = 0,
  .always_tracked = FALSE,
  .run = dataset_run,
};
