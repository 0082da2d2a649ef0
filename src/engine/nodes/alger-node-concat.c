/* alger-node-concat.c: np.concatenate(inputs, axis=0)
 *
 * The original required every input to share the trailing (Y, X) shape and
 * made the result float32 as soon as one input was float32.
 */
#include "config.h"

#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"

static AlgerValue *
concat_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  gsize shape[ALGER_VALUE_MAX_NDIM] = { 0 };
  AlgerDType dtype = ALGER_DTYPE_UINT8;
  AlgerValue *first = NULL;
  guint ndim;
  guint n;
  gsize pos = 0;

  if (input == NULL || alger_value_get_kind (input) != ALGER_VALUE_LIST ||
      alger_value_list_get_length (input) < 1) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "concat expects at least two inputs");
    return NULL;
  }
  n = alger_value_list_get_length (input);
  for (guint i = 0; i < n; i++) {
    AlgerValue *item = alger_value_list_get (input, i);
    if (alger_value_get_kind (item) != ALGER_VALUE_ARRAY) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "concat expects numpy arrays");
      return NULL;
    }
    if (alger_value_array_get_dtype (item) == ALGER_DTYPE_FLOAT32)
      dtype = ALGER_DTYPE_FLOAT32;
  }

  /* every input's shape[1:] must agree: the (Y, X) of a (C, Y, X) stack */
  first = alger_value_list_get (input, 0);
  ndim = alger_value_array_get_ndim (first);
  for (guint i = 1; i < n; i++) {
    AlgerValue *item = alger_value_list_get (input, i);
    guint nd = alger_value_array_get_ndim (item);
    gboolean same = MAX (nd, 1) == MAX (ndim, 1);
    for (guint d = 1; same && d < nd; d++)
      same = alger_value_array_get_shape (item)[d] == alger_value_array_get_shape (first)[d];
    if (!same) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "concat inputs must share (Y, X) dimensions");
      return NULL;
    }
  }
  for (guint i = 0; i < n; i++) {
    if (alger_value_array_get_ndim (alger_value_list_get (input, i)) == 0) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                           "zero-dimensional arrays cannot be concatenated");
      return NULL;
    }
  }

  memcpy (shape, alger_value_array_get_shape (first), ndim * sizeof (gsize));
  shape[0] = 0;
  for (guint i = 0; i < n; i++) {
    gsize rows = alger_value_array_get_shape (alger_value_list_get (input, i))[0];
    if (!g_size_checked_add (&shape[0], shape[0], rows)) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_LIMIT, "concat result is too large");
      return NULL;
    }
  }
  out = alger_value_new_array (dtype, ndim, shape);
  if (out == NULL ||
      (ctx->max_elements > 0 && alger_value_array_get_n_elements (out) > ctx->max_elements)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                 "concat result exceeds the element limit of %" G_GUINT64_FORMAT,
                 ctx->max_elements);
    return NULL;
  }

  for (guint i = 0; i < n; i++) {
    AlgerValue *item = alger_value_list_get (input, i);
    gsize count = alger_value_array_get_n_elements (item);
    gconstpointer src = alger_value_array_peek_data (item);
    AlgerDType src_dtype = alger_value_array_get_dtype (item);
    guint8 *dst = alger_value_array_get_data (out);

    if (src_dtype == dtype) {
      memcpy (dst + pos * alger_dtype_get_size (dtype), src, count * alger_dtype_get_size (dtype));
    } else {
      float *fdst = (float *) dst + pos;
      for (gsize j = 0; j < count; j++)
        fdst[j] = alger_array_get_f32 (src, src_dtype, j);
    }
    pos += count;
  }
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_concat = {
  .name = "concat",
  .min_inputs = 2,
  .max_inputs = -1,
  .always_tracked = FALSE,
  .run = concat_run,
};
