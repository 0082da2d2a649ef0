/* alger-node-filter.c: k×k mean filter with edge padding, float32
 *
 * The original summed each window as one flattened row-major block with
 * numpy's pairwise rule and divided by float32(k·k).  Two ways here:
 * - separable running sums in double: O(1) per pixel.  Bit-identical when
 *   the data are small integers (every order of summation is then exact,
 *   e.g. a segmentation), otherwise within float32 rounding of numpy;
 * - the exact pairwise sum, eight output pixels at a time (lane i of every
 *   vector belongs to pixel x+i, so each lane follows numpy's order), used
 *   under compat_original for non-integer data.
 */
#include "config.h"

#include <math.h>
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

/* every helper that passes a vector by value is always inlined: a
 * 32-byte vector travels in different registers in the avx2 and default
 * clones, so an out-of-line call between them would break (e.g. at -O0) */
#define VEC_INLINE static inline __attribute__ ((always_inline))

VEC_INLINE v8f
load8 (const float *p)
{
  v8f v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* numpy's pairwise_sum for n <= 128, with vectors of 8 independent pixels
 * as elements; inlined so each target clone of filter_row gets its own */
VEC_INLINE v8f
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

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FILTER_CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define FILTER_CLONES
#endif

/* above 128 elements: split at n/2 rounded down to a multiple of 8.  the
 * result goes through a pointer: a 32-byte vector return would use
 * different registers in the avx2 and default clones */
FILTER_CLONES
static void
pairwise8 (const float *base, const gsize *off, gsize n, v8f *res)
{
  gsize n2;
  v8f left, right;

  if (n <= 128) {
    *res = pairwise8_small (base, off, n);
    return;
  }
  n2 = n / 2;
  n2 -= n2 % 8;
  pairwise8 (base, off, n2, &left);
  pairwise8 (base, off + n2, n - n2, &right);
  *res = left + right;
}

/* one output row: windows start at row y of the padded plane */
FILTER_CLONES
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
      for (gsize b = 0; b < n; b += ALGER_NUMPY_BUFSIZE) {
        v8f part;
        pairwise8 (prow + x, off + b, MIN (ALGER_NUMPY_BUFSIZE, n - b), &part);
        sum += part;
      }
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

typedef gint32 v8i __attribute__ ((vector_size (LANES * sizeof (gint32))));

/* true when every partial sum of a window is an exactly representable
 * integer, so any summation order gives numpy's float32 result.  Eight
 * at a time: within the limit (<= 2^24, so |v| fits an int32) a value is
 * an integer exactly when truncating it to int32 and back gives it again;
 * NaN fails the limit test as in the scalar loop */
static gboolean
plane_is_small_integer (const float *plane, gsize len, gsize n)
{
  const float limit = 16777216.0f / (float) n;
  const v8f vlimit = { limit, limit, limit, limit, limit, limit, limit, limit };
  const v8f sign = { -0.0f, -0.0f, -0.0f, -0.0f, -0.0f, -0.0f, -0.0f, -0.0f };
  gsize i = 0;

  for (; i + LANES <= len; i += LANES) {
    v8f v = load8 (plane + i);
    v8f a = (v8f) (~(v8i) sign & (v8i) v); /* |v| */
    v8i ok = a <= vlimit;
    v8i whole;
    v8f kept;
    if ((ok[0] & ok[1] & ok[2] & ok[3] & ok[4] & ok[5] & ok[6] & ok[7]) == 0)
      return FALSE;
    whole = __builtin_convertvector (v, v8i);
    kept = __builtin_convertvector (whole, v8f);
    ok = kept == v;
    if ((ok[0] & ok[1] & ok[2] & ok[3] & ok[4] & ok[5] & ok[6] & ok[7]) == 0)
      return FALSE;
  }
  for (; i < len; i++) {
    float v = plane[i];
    if (!(fabsf (v) <= limit) || v != truncf (v))
      return FALSE;
  }
  return TRUE;
}

typedef double v4d __attribute__ ((vector_size (4 * sizeof (double))));
typedef float v4f __attribute__ ((vector_size (4 * sizeof (float))));

VEC_INLINE v4d
load4d (const double *p)
{
  v4d v;
  memcpy (&v, p, sizeof v);
  return v;
}

VEC_INLINE v4d
load4f (const float *p)
{
  v4f v;
  memcpy (&v, p, sizeof v);
  return __builtin_convertvector (v, v4d);
}

/* box sums in double, straight from the unpadded channel: running column
 * sums over k clamped rows (vsum, stored at offset pad, border columns
 * repeated), then k shifted adds per output row.  Loops run across x four
 * lanes at a time; vsum has 4 spare entries so no lane reads out of bounds */
FILTER_CLONES
static gboolean
filter_plane_separable (const AlgerNodeContext *ctx, const float *src, gsize k, gsize width,
                        gsize height, double *vsum, float *out, GError **error)
{
  const float div = (float) (k * k);
  const gsize pad = k / 2;
  double *mid = vsum + pad;

  memset (vsum, 0, (width + k + 3) * sizeof (double));
  for (gsize i = 0; i < k; i++) {
    const float *row = src + (i < pad ? 0 : MIN (i - pad, height - 1)) * width;
    for (gsize x = 0; x < width; x++)
      mid[x] += row[x];
  }
  for (gsize y = 0; y < height; y++) {
    float *orow = out + y * width;
    if (y > 0) {
      /* rows y+pad in, y-1-pad out, both clamped to the edge */
      const float *add = src + MIN (y + pad, height - 1) * width;
      const float *sub = src + (y < pad + 1 ? 0 : y - 1 - pad) * width;
      gsize x = 0;
      for (; x + 4 <= width; x += 4) {
        v4d v = load4d (mid + x) + (load4f (add + x) - load4f (sub + x));
        memcpy (mid + x, &v, sizeof v);
      }
      for (; x < width; x++)
        mid[x] += (double) add[x] - (double) sub[x];
      if ((y & 255) == 0 && g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
    }
    for (gsize px = 0; px < pad; px++) {
      vsum[px] = mid[0];
      mid[width + px] = mid[width - 1];
    }
    for (gsize x = 0; x < width; x += 4) {
      v4d h = load4d (vsum + x);
      v4f f;
      for (gsize dx = 1; dx < k; dx++)
        h += load4d (vsum + x + dx);
      /* numpy: float32(sum) / float32(k·k) */
      f = __builtin_convertvector (h, v4f) / div;
      if (x + 4 <= width)
        memcpy (orow + x, &f, sizeof f);
      else
        memcpy (orow + x, &f, (width - x) * sizeof (float));
    }
  }
  return TRUE;
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
  g_autofree double *vsum = NULL;
  gsize shape[3];
  gsize pad, pw, ph, n, plane_len;
  gint64 ksize = 3;
  g_autofree float *owned = NULL;
  const float *data = NULL;
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
  out = alger_value_new_array_uninit (ALGER_DTYPE_FLOAT32, 3, shape);
  if (out == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for the filter");
    return NULL;
  }
  if (shape[0] * shape[1] * shape[2] == 0)
    return g_steal_pointer (&out);
  data = alger_node_f32_data (input, &owned, error);
  if (data == NULL)
    return NULL;
  dst = alger_value_array_get_data (out);
  vsum = g_try_new (double, shape[2] + (gsize) ksize + 3);
  if (vsum == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for the filter");
    return NULL;
  }

  for (gsize c = 0; c < shape[0]; c++) {
    gsize base = c * shape[1] * shape[2];
    const float *chan = data + base;
    if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
      return NULL;
    /* uint8 data are integers up to 255: no need to look when that is small */
    if (!ctx->compat_original ||
        (alger_value_array_get_dtype (input) == ALGER_DTYPE_UINT8 &&
         255.0f <= 16777216.0f / (float) n) ||
        plane_is_small_integer (chan, shape[1] * shape[2], n)) {
      if (!filter_plane_separable (ctx, chan, (gsize) ksize, shape[2], shape[1], vsum,
                                   dst + base, error))
        return NULL;
      continue;
    }

    /* exact path: np.pad(mode="edge") into a plane, then pairwise windows */
    if (plane == NULL) {
      plane = g_try_new0 (float, plane_len);
      off = plane != NULL ? g_try_new (gsize, n) : NULL;
      if (off == NULL) {
        g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                             "Unable to allocate memory for the filter");
        return NULL;
      }
      for (gsize e = 0; e < n; e++)
        off[e] = (e / (gsize) ksize) * pw + e % (gsize) ksize;
    }
    for (gsize py = 0; py < ph; py++) {
      gsize sy = py < pad ? 0 : MIN (py - pad, shape[1] - 1);
      float *row = plane + py * pw;
      memcpy (row + pad, chan + sy * shape[2], shape[2] * sizeof (float));
      for (gsize px = 0; px < pad; px++) {
        row[px] = row[pad];
        row[pad + shape[2] + px] = row[pad + shape[2] - 1];
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
