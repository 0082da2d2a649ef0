/* alger-node-descriptor.c: per-channel mean/std/max/min (structural-descriptor)
 *
 * {shape: [C, Y, X], channel_stats: {mean, std, max, min}} with numpy's
 * float32 pairwise reductions per channel, so the figure built from these
 * means gets the original's bar heights.  `metrics` was ignored by the
 * original; richer descriptors can hook into descriptor_run later.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-numerics.h"

typedef float v4f __attribute__ ((vector_size (16)));
typedef gint32 v4i __attribute__ ((vector_size (16)));

/* max and min four lanes at a time; FALSE (use the exact loop) when a nan
 * shows up */
static gboolean
minmax_fast (const float *p, gsize n, float *hi_out, float *lo_out)
{
  v4f vh, vl;
  v4i bad;
  float hi, lo;
  gsize i;

  if (n < 16)
    return FALSE;
  memcpy (&vh, p, sizeof vh);
  vl = vh;
  bad = vh != vh;
  for (i = 4; i + 4 <= n; i += 4) {
    v4f v;
    v4i gt, lt;
    memcpy (&v, p + i, sizeof v);
    gt = v > vh;
    lt = v < vl;
    vh = (v4f) ((gt & (v4i) v) | (~gt & (v4i) vh));
    vl = (v4f) ((lt & (v4i) v) | (~lt & (v4i) vl));
    bad |= v != v;
  }
  hi = vh[0];
  lo = vl[0];
  for (guint k = 0; k < 4; k++) {
    if (bad[k])
      return FALSE;
    hi = vh[k] > hi ? vh[k] : hi;
    lo = vl[k] < lo ? vl[k] : lo;
  }
  for (; i < n; i++) {
    if (isnan (p[i]))
      return FALSE;
    hi = p[i] > hi ? p[i] : hi;
    lo = p[i] < lo ? p[i] : lo;
  }
  /* the exact loop keeps the first of equal values: only -0.0 and 0.0 are
   * equal yet different, so a zero extreme is the first zero in the plane */
  if (hi == 0.0f || lo == 0.0f) {
    for (i = 0; p[i] != 0.0f; i++)
      ;
    if (hi == 0.0f)
      hi = p[i];
    if (lo == 0.0f)
      lo = p[i];
  }
  *hi_out = hi;
  *lo_out = lo;
  return TRUE;
}

static AlgerValue *
float_list_new (const float *values, gsize n)
{
  AlgerValue *list = alger_value_new_list ();
  for (gsize i = 0; i < n; i++)
    alger_value_list_append (list, alger_value_new_float ((double) values[i]));
  return list;
}

static AlgerValue *
descriptor_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input,
                GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(AlgerValue) shape_list = NULL;
  g_autoptr(AlgerValue) stats = NULL;
  g_autofree float *owned = NULL;
  g_autofree float *mean = NULL;
  g_autofree float *std = NULL;
  g_autofree float *max = NULL;
  g_autofree float *min = NULL;
  const float *data = NULL;
  gsize shape[3];
  gsize plane;

  if (!alger_node_get_cyx ("structural-descriptor", input, shape, error))
    return NULL;
  plane = shape[1] * shape[2];
  if (shape[0] > 0 && plane == 0) {
    /* numpy: mean and std warn and give nan, then max raises */
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                         "zero-size array to reduction operation maximum which has no identity");
    return NULL;
  }
  data = alger_node_f32_data (input, &owned, error);
  if (data == NULL)
    return NULL;

  mean = g_new (float, shape[0] + 1);
  std = g_new (float, shape[0] + 1);
  max = g_new (float, shape[0] + 1);
  min = g_new (float, shape[0] + 1);
  for (gsize c = 0; c < shape[0]; c++) {
    const float *p = data + c * plane;
    float hi = p[0], lo = p[0];
    if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
      return NULL;
    mean[c] = alger_mean_f32 (p, plane);
    std[c] = alger_std_f32_with_mean (p, plane, mean[c]);
    /* np.max/np.min propagate nan */
    if (minmax_fast (p, plane, &max[c], &min[c]))
      continue;
    for (gsize i = 1; i < plane && !isnan (hi); i++)
      hi = (p[i] > hi || isnan (p[i])) ? p[i] : hi;
    for (gsize i = 1; i < plane && !isnan (lo); i++)
      lo = (p[i] < lo || isnan (p[i])) ? p[i] : lo;
    max[c] = hi;
    min[c] = lo;
  }

  shape_list = alger_value_new_list ();
  for (guint d = 0; d < 3; d++)
    alger_value_list_append (shape_list, alger_value_new_int ((gint64) shape[d]));
  stats = alger_value_new_dict ();
  alger_value_dict_set (stats, "mean", float_list_new (mean, shape[0]));
  alger_value_dict_set (stats, "std", float_list_new (std, shape[0]));
  alger_value_dict_set (stats, "max", float_list_new (max, shape[0]));
  alger_value_dict_set (stats, "min", float_list_new (min, shape[0]));
  out = alger_value_new_dict ();
  alger_value_dict_set (out, "shape", g_steal_pointer (&shape_list));
  alger_value_dict_set (out, "channel_stats", g_steal_pointer (&stats));
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_descriptor = {
  .name = "structural-descriptor",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = FALSE,
  .run = descriptor_run,
};
