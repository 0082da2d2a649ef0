/* alger-node-segmentation.c: (arr >= threshold).astype(uint8)
 *
 * numpy compares a float32 array with a python float in float32 (value
 * based casting), so the threshold is rounded to float32 first, unless it
 * is too large for float32, in which case numpy compares in float64.
 * The original ignored `method`; options beyond it go in
 * segmentation_threshold().
 */
#include "config.h"

#include <float.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alger-error.h"
#include "alger-nodes-private.h"

static gboolean
segmentation_threshold (const AlgerNodeContext *ctx, JsonObject *params, double *threshold,
                        GError **error)
{
  JsonNode *node = alger_params_get (params, "threshold");

  /* the original ignored `method` (otsu, EXP): only the threshold counts */
  *threshold = 0.5;
  if (node == NULL)
    return TRUE;
  return alger_py_float_from_json (node, threshold, error);
}

static AlgerValue *
segmentation_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input,
                  GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  double threshold = 0.5;
  gboolean wide;
  float thr32;
  gconstpointer src;
  AlgerDType dtype;
  guint8 *dst;
  gsize n;

  if (!alger_node_check_array ("segmentation", input, FALSE, error))
    return NULL;
  if (!segmentation_threshold (ctx, params, &threshold, error))
    return NULL;

  out = alger_value_new_array_uninit (ALGER_DTYPE_UINT8, alger_value_array_get_ndim (input),
                               alger_value_array_get_shape (input));
  if (out == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for the segmentation");
    return NULL;
  }
  wide = isfinite (threshold) && fabs (threshold) > FLT_MAX;
  thr32 = (float) threshold;
  src = alger_value_array_peek_data (input);
  dtype = alger_value_array_get_dtype (input);
  dst = alger_value_array_get_data (out);
  n = alger_value_array_get_n_elements (input);
  if (dtype == ALGER_DTYPE_FLOAT32 && !wide) {
    const float *f = src;
    gsize i = 0;
#ifdef __SSE2__
    /* sixteen at a time: ordered compares (NaN is not >=), masks packed to bytes */
    const __m128 t = _mm_set1_ps (thr32);
    const __m128i one = _mm_set1_epi8 (1);
    for (; i + 16 <= n; i += 16) {
      __m128i a = _mm_castps_si128 (_mm_cmpge_ps (_mm_loadu_ps (f + i), t));
      __m128i b = _mm_castps_si128 (_mm_cmpge_ps (_mm_loadu_ps (f + i + 4), t));
      __m128i c = _mm_castps_si128 (_mm_cmpge_ps (_mm_loadu_ps (f + i + 8), t));
      __m128i d = _mm_castps_si128 (_mm_cmpge_ps (_mm_loadu_ps (f + i + 12), t));
      __m128i bytes = _mm_packs_epi16 (_mm_packs_epi32 (a, b), _mm_packs_epi32 (c, d));
      _mm_storeu_si128 ((__m128i *) (dst + i), _mm_and_si128 (bytes, one));
    }
#endif
    for (; i < n; i++)
      dst[i] = f[i] >= thr32;
  } else {
    for (gsize i = 0; i < n; i++) {
      float v = alger_array_get_f32 (src, dtype, i);
      dst[i] = wide ? (double) v >= threshold : v >= thr32;
    }
  }
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_segmentation = {
  .name = "segmentation",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = FALSE,
  .run = segmentation_run,
};
