/* alger-node-simulation.c: a toy series from the image's mean profile
 *
 * profile = arr.mean(axis=0).mean(axis=0) (sequential float32 sums, as
 * numpy reduces a non-inner axis), series = sin(float32(2π)·linspace(0, 1,
 * steps)) · mean(profile) in float32, energy = float(arr.sum()).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-numerics.h"

#define SIM_DEFAULT_STEPS 10
#define SIM_MAX_STEPS 256

typedef float v4f __attribute__ ((vector_size (4 * sizeof (float))));

/* acc[i] += a[i] */
static void
add_f32 (float *acc, const float *a, gsize n)
{
  gsize i = 0;

  for (; i + 4 <= n; i += 4) {
    v4f x, y;
    memcpy (&x, acc + i, sizeof x);
    memcpy (&y, a + i, sizeof y);
    x += y;
    memcpy (acc + i, &x, sizeof x);
  }
  for (; i < n; i++)
    acc[i] += a[i];
}

static AlgerValue *
simulation_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input,
                GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(AlgerValue) series = NULL;
  g_autofree float *owned = NULL;
  g_autofree float *rows = NULL;
  g_autofree float *profile = NULL;
  JsonNode *steps_node = NULL;
  JsonNode *type_node = NULL;
  const float *data = NULL;
  gint64 steps = SIM_DEFAULT_STEPS;
  gsize shape[3];
  gsize plane;
  float m;
  float energy;
  const float two_pi = (float) (2.0 * G_PI);

  if (!alger_node_get_cyx ("simulation", input, shape, error))
    return NULL;
  steps_node = alger_params_get (params, "steps");
  if (steps_node != NULL &&
      !alger_py_int_clamped (steps_node, 1, SIM_MAX_STEPS, &steps, error))
    return NULL;
  data = alger_node_f32_data (input, &owned, error);
  if (data == NULL)
    return NULL;
  plane = shape[1] * shape[2];

  /* mean over channels: out[y, x] accumulates channel by channel
   * (elementwise, so four lanes at a time give the same floats) */
  rows = g_new0 (float, plane + 1);
  for (gsize c = 0; c < shape[0]; c++) {
    const float *p = data + c * plane;
    if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
      return NULL;
    add_f32 (rows, p, plane);
  }
  {
    const float div = (float) shape[0];
    const v4f vdiv = { div, div, div, div };
    gsize i = 0;
    for (; i + 4 <= plane; i += 4) {
      v4f r;
      memcpy (&r, rows + i, sizeof r);
      r /= vdiv;
      memcpy (rows + i, &r, sizeof r);
    }
    for (; i < plane; i++)
      rows[i] /= div;
  }
  /* then over rows */
  profile = g_new0 (float, shape[2] + 1);
  for (gsize y = 0; y < shape[1]; y++)
    add_f32 (profile, rows + y * shape[2], shape[2]);
  for (gsize x = 0; x < shape[2]; x++)
    profile[x] /= (float) shape[1];
  m = alger_mean_f32 (profile, shape[2]);

  series = alger_value_new_list ();
  for (gint64 i = 0; i < steps; i++) {
    /* np.linspace(0, 1, steps, dtype=float32): float64 i*step, last = 1 */
    double lin = steps > 1 ? (i == steps - 1 ? 1.0 : (double) i * (1.0 / (double) (steps - 1)))
                           : 0.0;
    float arg = two_pi * (float) lin;
    float v = sinf (arg) * m;
    alger_value_list_append (series, alger_value_new_float ((double) v));
  }
  energy = alger_sum_f32 (data, alger_value_array_get_n_elements (input));

  out = alger_value_new_dict ();
  type_node = alger_params_get (params, "simulationType");
  alger_value_dict_set (out, "simulationType",
                        type_node != NULL ? alger_value_from_json_node (type_node)
                                          : alger_value_new_string ("generic", FALSE));
  alger_value_dict_set (out, "steps", alger_value_new_int (steps));
  alger_value_dict_set (out, "series", g_steal_pointer (&series));
  alger_value_dict_set (out, "energy", alger_value_new_float ((double) energy));
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_simulation = {
  .name = "simulation",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = TRUE,
  .run = simulation_run,
};
