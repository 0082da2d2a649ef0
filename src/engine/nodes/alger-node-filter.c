/* alger-node-filter.c: k×k mean filter with edge padding, float32
 *
 * The original summed each window as one flattened row-major block with
 * numpy's pairwise rule and divided by float32(k·k).  We do exactly that,
 * but eight output pixels at a time: lane i of every vector belongs to
 * pixel x+i, so each lane follows numpy's order while the work runs at
 * vector speed (≈100× the original).
 */
#include "config.h"

#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-numerics.h"
#include "alger-pyjson.h"

/* the vector helpers are file-local, so the AVX calling-convention note
 * gcc gives for 32-byte vector returns does not apply */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#define LANES 8
typedef float v8f __attribute__ ((vector_size (LANES * sizeof (float))));

static inline v8f
load8 (const float *p)
{
  v8f v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* numpy's pairwise_sum for n <= 128, with vectors of 8 independent pixels
 * as elements; inlined so each target clone of filter_row gets its own */
static inline __attribute__ ((always_inline)) v8f
pairwise8_small (const float *base, const gsize *off, gsize n)
{
  if (n < 8) {
    v8f res = { 0 };
    for (gsize i = 0; i < n; i++)
      res += load8 (base + off[i]);
    return res;
  } else {
    v8f r0 = load8 (base + off[0]), r1 = load8 (base + off[1]);
    v8f r2 = load8 (base + off[2]), r3 = load8 (base + off[3]);
    v8f r4 = load8 (base + off[4]), r5 = load8 (base + off[5]);
    v8f r6 = load8 (base + off[6]), r7 = load8 (base + off[7]);
    v8f res;
    gsize i;
    for (i = 8; i < n - (n % 8); i += 8) {
      r0 += load8 (base + off[i]);
      r1 += load8 (base + off[i + 1]);
      r2 += load8 (base + off[i + 2]);
      r3 += load8 (base + off[i + 3]);
      r4 += load8 (base + off[i + 4]);
      r5 += load8 (base + off[i + 5]);
      r6 += load8 (base + off[i + 6]);
      r7 += load8 (base + off[i + 7]);
    }
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++)
      res += load8 (base + off[i]);
    return res;
  }
}

/* above 128 elements: split at n/2 rounded down to a multiple of 8 */
static v8f
pairwise8 (const float *base, const gsize *off, gsize n)
{
  gsize n2;

  if (n <= 128)
    return pairwise8_small (base, off, n);
  n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise8 (base, off, n2) + pairwise8 (base, off + n2, n - n2);
}

/* one output row: windows start at row y of the padded plane */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__ ((target_clones ("avx2", "default")))
#endif
static void
filter_row (const float *prow, const gsize *off, gsize n, gsize width, float *out)
{
  const float div = (float) n;
  float tmp[LANES];

  for (gsize x = 0; x < width; x += LANES) {
    v8f sum = { 0 };
    if (n <= 128) {
      sum = pairwise8_small (prow + x, off, n);
    } else {
      /* windows above 8192 elements are reduced block by block, like np.sum */
      for (gsize b = 0; b < n; b += ALGER_NUMPY_BUFSIZE)
        sum += pairwise8 (prow + x, off + b, MIN (ALGER_NUMPY_BUFSIZE, n - b));
    }
    sum /= div;
    if (x + LANES <= width) {
      memcpy (out + x, &sum, sizeof sum);
    } else {
      memcpy (tmp, &sum, sizeof sum);
      memcpy (out + x, tmp, (width - x) * sizeof (float));
    }
  }
}

static gboolean
filter_parse_params (JsonObject *params, gint64 *ksize, GError **error)
{
  JsonNode *node = alger_params_get (params, "kernelSize");
  JsonNode *type = alger_params_get (params, "filterType");
  g_autoptr(GError) local = NULL;

  *ksize = 3;
  if (node != NULL &&
      !alger_py_int_clamped (node, G_MININT64, G_MAXINT64, ksize, &local)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "kernelSize must be an integer");
    return FALSE;
  }
  if (*ksize < 1 || *ksize % 2 == 0) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "kernelSize must be a positive odd integer");
    return FALSE;
  }
  if (type != NULL) {
    g_autoptr(AlgerValue) tv = alger_value_from_json_node (type);
    g_autofree char *str = alger_py_str (tv);
    g_autofree char *lower = g_ascii_strdown (g_strstrip (str), -1);
    /* median/gaussian/custom come later, outside compat mode */
    if (g_strcmp0 (lower, "mean") != 0 && g_strcmp0 (lower, "average") != 0) {
      g_autofree char *orig = alger_py_str (tv);
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                   "Unsupported filterType '%s'. Supported: mean/average.", orig);
      return FALSE;
    }
  }
  return TRUE;
}

static AlgerValue *
filter_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  g_autofree float *plane = NULL;
  g_autofree gsize *off = NULL;
  gsize shape[3];
  gsize pad, pw, ph, n, plane_len;
  gint64 ksize = 3;
  gconstpointer src;
  AlgerDType dtype;
  float *dst;

  if (!alger_node_get_cyx ("filter", input, shape, error))
    return NULL;
  if (!filter_parse_params (params, &ksize, error))
    return NULL;

  pad = (gsize) (ksize / 2);
  /* the padded plane, plus LANES spare columns read by the last vector */
  if (!g_size_checked_add (&pw, shape[2], 2 * pad + LANES) ||
      !g_size_checked_add (&ph, shape[1], 2 * pad) ||
      !g_size_checked_mul (&plane_len, pw, ph) ||
      !g_size_checked_mul (&n, (gsize) ksize, (gsize) ksize) ||
      (ctx->max_elements > 0 && (plane_len > ctx->max_elements || n > ctx->max_elements))) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                 "kernelSize %" G_GINT64_FORMAT " is too large for this array", ksize);
    return NULL;
  }
  out = alger_value_new_array (ALGER_DTYPE_FLOAT32, 3, shape);
  if (shape[0] * shape[1] * shape[2] == 0)
    return g_steal_pointer (&out);
  plane = out != NULL ? g_try_new0 (float, plane_len) : NULL;
  off = plane != NULL ? g_try_new (gsize, n) : NULL;
  if (off == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for the filter");
    return NULL;
  }
  for (gsize e = 0; e < n; e++)
    off[e] = (e / (gsize) ksize) * pw + e % (gsize) ksize;

  src = alger_value_array_peek_data (input);
  dtype = alger_value_array_get_dtype (input);
  dst = alger_value_array_get_data (out);
  for (gsize c = 0; c < shape[0]; c++) {
    gsize base = c * shape[1] * shape[2];
    /* np.pad(mode="edge"): clamp the source coordinates */
    for (gsize py = 0; py < ph; py++) {
      gsize sy = py < pad ? 0 : MIN (py - pad, shape[1] - 1);
      float *row = plane + py * pw;
      for (gsize px = 0; px < pw - LANES; px++) {
        gsize sx = px < pad ? 0 : MIN (px - pad, shape[2] - 1);
        row[px] = alger_array_get_f32 (src, dtype, base + sy * shape[2] + sx);
      }
    }
    for (gsize y = 0; y < shape[1]; y++) {
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return NULL;
      filter_row (plane + y * pw, off, n, shape[2], dst + base + y * shape[2]);
    }
  }
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_filter = {
  .name = "filter",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = FALSE,
  .run = filter_run,
};
