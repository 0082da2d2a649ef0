/* alger-node-figure.c: a bar chart of the descriptor's channel means
 *
 * {title, subtitle, data: <input>, _image: float32 (3, 180, W)}.  Means are
 * normalised in float32 ((v - min) / span) and each bar is
 * int(20 + norm·140) px tall, so one ulp in a mean can move a bar by a
 * pixel: the descriptor reproduces numpy's sums for that reason.  The
 * five colours were recovered from the original's fixture output.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-nodes-private.h"

#define FIG_HEIGHT 180
#define FIG_BASELINE 165
#define FIG_MIN_WIDTH 160
#define FIG_BAR_STEP 40
#define FIG_BAR_MARGIN 6

static const guint8 palette[][3] = {
  { 249, 115, 22 },
  { 59, 130, 246 },
  { 16, 185, 129 },
  { 236, 72, 153 },
  { 250, 204, 21 },
};

/* data["channel_stats"]["mean"] as float32, or an empty list */
static GArray *
figure_means (AlgerValue *data, GError **error)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (float));
  AlgerValue *stats = alger_value_dict_get (data, "channel_stats");
  AlgerValue *mean = NULL;

  if (stats != NULL && alger_value_get_kind (stats) == ALGER_VALUE_DICT)
    mean = alger_value_dict_get (stats, "mean");
  if (mean == NULL || alger_value_get_kind (mean) != ALGER_VALUE_LIST)
    return values;
  for (guint i = 0; i < alger_value_list_get_length (mean); i++) {
    AlgerValue *item = alger_value_list_get (mean, i);
    AlgerValueKind kind = alger_value_get_kind (item);
    float v;
    if (kind != ALGER_VALUE_FLOAT && kind != ALGER_VALUE_INT && kind != ALGER_VALUE_BOOL) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                   "float() argument must be a string or a real number, not '%s'",
                   alger_value_kind_to_python (kind));
      g_array_unref (values);
      return NULL;
    }
    v = (float) alger_value_get_float (item);
    g_array_append_val (values, v);
  }
  return values;
}

static void
fill_f32 (float *dst, gsize n, float v)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = v;
}

static AlgerValue *
figure_image (GArray *values, GError **error)
{
  g_autoptr(AlgerValue) image = NULL;
  gsize n = values->len;
  gsize shape[3] = { 3, FIG_HEIGHT, MAX ((gsize) FIG_MIN_WIDTH, FIG_BAR_STEP * n) };
  const gsize width = shape[2];
  const gsize plane = FIG_HEIGHT * width;
  const float bg = 0.08f;
  float vmin = INFINITY, vmax = -INFINITY, span;
  float *img;
  g_autofree gsize *bar_y0 = g_new (gsize, MAX (n, 1)); /* G_MAXSIZE: no bar */
  g_autofree float *row = NULL;

  image = alger_value_new_array_uninit (ALGER_DTYPE_FLOAT32, 3, shape);
  if (image == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for the figure");
    return NULL;
  }
  img = alger_value_array_get_data (image);

  for (gsize k = 0; k < n; k++) {
    float v = g_array_index (values, float, k);
    /* np.min/np.max propagate nan */
    vmin = (isnan (v) || v < vmin) && !isnan (vmin) ? v : vmin;
    vmax = (isnan (v) || v > vmax) && !isnan (vmax) ? v : vmax;
  }
  span = vmax - vmin;
  if (span == 0.0f)
    span = fabsf (vmax) != 0.0f ? fabsf (vmax) : 1.0f;

  for (gsize k = 0; k < n; k++) {
    const gsize bw = width / n;
    float norm = (g_array_index (values, float, k) - vmin) / span;
    /* python: int(20 + norm * 140) with norm a float32 scalar (float64 math) */
    double hd = 20.0 + (double) norm * 140.0;
    gsize x0 = k * bw + FIG_BAR_MARGIN, x1 = (k + 1) * bw - FIG_BAR_MARGIN;
    gsize y0;
    gint64 h;

    if (isnan (hd)) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                           "cannot convert float NaN to integer");
      return NULL;
    }
    if (isinf (hd)) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_OVERFLOW,
                           "cannot convert float infinity to integer");
      return NULL;
    }
    h = (gint64) CLAMP (hd, -1e9, 1e9);
    bar_y0[k] = G_MAXSIZE;
    /* python slice rows[165 - h:165]: a negative start counts from the end */
    if (h <= 0 || x0 >= MIN (x1, width))
      continue;
    y0 = h > FIG_BASELINE ? 0 : (gsize) (FIG_BASELINE - h);
    if (h > FIG_BASELINE && h < FIG_HEIGHT + FIG_BASELINE)
      y0 = FIG_HEIGHT - (gsize) (h - FIG_BASELINE);
    bar_y0[k] = y0;
  }

  /* Each row is written whole, from a row kept up to date: bars are
   * disjoint in x and run from their top down to the baseline, so going
   * down a bar only ever appears in the row.  Rows 165-166 are the
   * baseline (0.25), the rest background. */
  row = g_new (float, width);
  for (guint ch = 0; ch < 3; ch++) {
    float *pl = img + ch * plane;

    fill_f32 (row, width, bg);
    for (gsize y = 0; y < FIG_BASELINE; y++) {
      for (gsize k = 0; k < n; k++) {
        if (bar_y0[k] == y) {
          const gsize bw = width / n;
          gsize x0 = k * bw + FIG_BAR_MARGIN, xe = MIN ((k + 1) * bw - FIG_BAR_MARGIN, width);
          fill_f32 (row + x0, xe - x0,
                    (float) palette[k % G_N_ELEMENTS (palette)][ch] / 255.0f);
        }
      }
      memcpy (pl + y * width, row, width * sizeof (float));
    }
    fill_f32 (row, width, 0.25f);
    memcpy (pl + FIG_BASELINE * width, row, width * sizeof (float));
    memcpy (pl + (FIG_BASELINE + 1) * width, row, width * sizeof (float));
    fill_f32 (row, width, bg);
    for (gsize y = FIG_BASELINE + 2; y < FIG_HEIGHT; y++)
      memcpy (pl + y * width, row, width * sizeof (float));
  }
  return g_steal_pointer (&image);
}

static AlgerValue *
figure_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_autoptr(AlgerValue) out = NULL;
  g_autoptr(AlgerValue) image = NULL;
  g_autoptr(GArray) values = NULL;
  JsonNode *title = NULL;
  JsonNode *subtitle = NULL;

  if (input == NULL || alger_value_get_kind (input) != ALGER_VALUE_DICT) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "figure node expects a descriptor dictionary input");
    return NULL;
  }
  values = figure_means (input, error);
  if (values == NULL)
    return NULL;
  image = figure_image (values, error);
  if (image == NULL)
    return NULL;

  title = alger_params_get (params, "title");
  subtitle = alger_params_get (params, "subtitle");
  out = alger_value_new_dict ();
  alger_value_dict_set (out, "title",
                        title != NULL ? alger_value_from_json_node (title)
                                      : alger_value_new_string ("Generated Figure", FALSE));
  alger_value_dict_set (out, "subtitle",
                        subtitle != NULL ? alger_value_from_json_node (subtitle)
                                         : alger_value_new_string ("Auto summary", FALSE));
  alger_value_dict_set (out, "data", alger_value_ref (input));
  alger_value_dict_set (out, "_image", g_steal_pointer (&image));
  return g_steal_pointer (&out);
}

const AlgerNodeKind alger_node_kind_figure = {
  .name = "figure",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = TRUE,
  .run = figure_run,
};
