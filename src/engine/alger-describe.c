/* alger-describe.c: summary and golden descriptions of values */
#define G_LOG_DOMAIN "alger-describe"

#include "config.h"

#include "alger-describe.h"

#include "alger-numerics.h"
#include "alger-pyjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

char *
alger_describe_format_float (double d)
{
  /* Python's repr(), shared with the text node and the wire writer */
  return alger_py_float_repr (d);
}

static double
element_at (AlgerValue *value, gsize i)
{
  gconstpointer data = alger_value_array_peek_data (value);

  if (alger_value_array_get_dtype (value) == ALGER_DTYPE_UINT8)
    return ((const guint8 *) data)[i];
  return ((const float *) data)[i];
}

/* Neumaier-compensated float64 sum: within an ulp of the exactly rounded sum */
static double
sum_f64 (AlgerValue *value, gsize start, gsize n)
{
  gconstpointer data = alger_value_array_peek_data (value);
  double sum = 0.0;
  double comp = 0.0;

  if (alger_value_array_get_dtype (value) == ALGER_DTYPE_UINT8) {
    const guint8 *u = (const guint8 *) data + start;
    guint64 isum = 0;
    for (gsize i = 0; i < n; i++)
      isum += u[i];
    return (double) isum;
  }
  for (gsize i = 0; i < n; i++) {
    double x = ((const float *) data)[start + i];
    double t = sum + x;
    if (fabs (sum) >= fabs (x))
      comp += (sum - t) + x;
    else
      comp += (x - t) + sum;
    sum = t;
  }
  return sum + comp;
}

/* min/max as numpy: NaN propagates */
static void
array_min_max (AlgerValue *value, double *min_out, double *max_out)
{
  gsize n = alger_value_array_get_n_elements (value);
  gconstpointer data = alger_value_array_peek_data (value);

  if (alger_value_array_get_dtype (value) == ALGER_DTYPE_UINT8) {
    const guint8 *u = data;
    guint8 lo = 255, hi = 0;
    for (gsize i = 0; i < n; i++) {
      lo = MIN (lo, u[i]);
      hi = MAX (hi, u[i]);
    }
    *min_out = lo;
    *max_out = hi;
  } else {
    const float *f = data;
    float lo = INFINITY, hi = -INFINITY;
    gboolean nan = FALSE;
    for (gsize i = 0; i < n; i++) {
      nan |= isnan (f[i]);
      lo = f[i] < lo ? f[i] : lo;
      hi = f[i] > hi ? f[i] : hi;
    }
    *min_out = nan ? NAN : lo;
    *max_out = nan ? NAN : hi;
  }
}

static JsonNode *
number_or_null (double d)
{
  if (!isfinite (d))
    return json_node_new (JSON_NODE_NULL);
  return json_node_init_double (json_node_alloc (), d);
}

/* golden form: non-finite floats are tagged objects */
static JsonNode *
number_tagged (double d)
{
  g_autoptr(JsonObject) obj = NULL;

  if (isfinite (d))
    return json_node_init_double (json_node_alloc (), d);
  obj = json_object_new ();
  json_object_set_string_member (obj, "__float__", isnan (d) ? "nan" : d > 0 ? "inf" : "-inf");
  return json_node_init_object (json_node_alloc (), obj);
}

static JsonArray *
shape_array (AlgerValue *value)
{
  JsonArray *shape = json_array_new ();
  const gsize *dims = alger_value_array_get_shape (value);

  for (guint d = 0; d < alger_value_array_get_ndim (value); d++)
    json_array_add_int_element (shape, (gint64) dims[d]);
  return shape;
}

static double
array_mean_numpy (AlgerValue *value)
{
  gsize n = alger_value_array_get_n_elements (value);

  if (n == 0)
    return NAN;
  if (alger_value_array_get_dtype (value) == ALGER_DTYPE_FLOAT32) {
    float sum = alger_sum_f32 (alger_value_array_peek_data (value), n);
    return (double) (sum / (float) n);
  }
  return sum_f64 (value, 0, n) / (double) n;
}

static JsonNode *
summary_ndarray (AlgerValue *value)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  double lo = NAN, hi = NAN;

  json_object_set_string_member (obj, "type", "ndarray");
  json_object_set_array_member (obj, "shape", shape_array (value));
  json_object_set_string_member (obj, "dtype",
                                 alger_dtype_to_string (alger_value_array_get_dtype (value)));
  if (alger_value_array_get_n_elements (value) > 0)
    array_min_max (value, &lo, &hi);
  json_object_set_member (obj, "min", number_or_null (lo));
  json_object_set_member (obj, "max", number_or_null (hi));
  json_object_set_member (obj, "mean", number_or_null (array_mean_numpy (value)));
  return json_node_init_object (json_node_alloc (), obj);
}

static JsonObject *
typed_object (const char *type)
{
  JsonObject *obj = json_object_new ();

  json_object_set_string_member (obj, "type", type);
  return obj;
}

static JsonNode *
take_object (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);

  json_object_unref (obj);
  return node;
}

JsonNode *
alger_describe_summary (AlgerValue *value)
{
  JsonObject *obj = NULL;

  g_return_val_if_fail (value != NULL, NULL);

  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_NONE:
    return take_object (typed_object ("none"));
  case ALGER_VALUE_BOOL:
    obj = typed_object ("bool");
    json_object_set_boolean_member (obj, "value", alger_value_get_bool (value));
    return take_object (obj);
  case ALGER_VALUE_INT:
    obj = typed_object ("int");
    json_object_set_int_member (obj, "value", alger_value_get_int (value));
    return take_object (obj);
  case ALGER_VALUE_FLOAT:
    obj = typed_object ("float");
    json_object_set_member (obj, "value", number_or_null (alger_value_get_float (value)));
    return take_object (obj);
  case ALGER_VALUE_STRING:
    obj = typed_object ("str");
    json_object_set_string_member (obj, "value", alger_value_get_string (value));
    return take_object (obj);
  case ALGER_VALUE_DICT: {
    JsonArray *keys = json_array_new ();
    obj = typed_object ("dict");
    for (guint i = 0; i < alger_value_dict_get_size (value); i++)
      json_array_add_string_element (keys, alger_value_dict_get_key (value, i));
    json_object_set_array_member (obj, "keys", keys);
    json_object_set_int_member (obj, "size", alger_value_dict_get_size (value));
    return take_object (obj);
  }
  case ALGER_VALUE_LIST:
    obj = typed_object ("list");
    json_object_set_int_member (obj, "length", alger_value_list_get_length (value));
    return take_object (obj);
  case ALGER_VALUE_ARRAY:
    return summary_ndarray (value);
  default:
    return take_object (typed_object ("none"));
  }
}

static JsonNode *
golden_ndarray (AlgerValue *value)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  gsize n = alger_value_array_get_n_elements (value);
  JsonArray *samples = json_array_new ();
  double sum = sum_f64 (value, 0, n);
  gsize last = G_MAXSIZE;

  json_object_set_string_member (obj, "type", "ndarray");
  json_object_set_array_member (obj, "shape", shape_array (value));
  json_object_set_string_member (obj, "dtype",
                                 alger_dtype_to_string (alger_value_array_get_dtype (value)));
  if (n > 0) {
    double lo = 0, hi = 0;
    array_min_max (value, &lo, &hi);
    json_object_set_member (obj, "min", number_tagged (lo));
    json_object_set_member (obj, "max", number_tagged (hi));
    json_object_set_member (obj, "mean", number_tagged (sum / (double) n));
  } else {
    json_object_set_null_member (obj, "min");
    json_object_set_null_member (obj, "max");
    json_object_set_null_member (obj, "mean");
  }
  json_object_set_member (obj, "sum", number_tagged (sum));
  for (guint k = 0; k < 8 && n > 0; k++) {
    /* floor(k*(n-1)/7) without overflowing for huge n */
    gsize idx = k * ((n - 1) / 7) + k * ((n - 1) % 7) / 7;
    JsonArray *pair = NULL;

    if (idx == last)
      continue;
    last = idx;
    pair = json_array_new ();
    json_array_add_int_element (pair, (gint64) idx);
    json_array_add_element (pair, number_tagged (element_at (value, idx)));
    json_array_add_array_element (samples, pair);
  }
  json_object_set_array_member (obj, "samples", samples);
  if (alger_value_array_get_ndim (value) == 3) {
    const gsize *dims = alger_value_array_get_shape (value);
    JsonArray *sums = json_array_new ();
    gsize plane = dims[1] * dims[2];

    for (gsize c = 0; c < dims[0]; c++)
      json_array_add_element (sums, number_tagged (sum_f64 (value, c * plane, plane)));
    json_object_set_array_member (obj, "channel_sums", sums);
  }
  return json_node_init_object (json_node_alloc (), obj);
}

/* plain JSON of a nested value, as FORMAT.md's dict `value` */
static JsonNode *
golden_plain (AlgerValue *value)
{
  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_NONE:
    return json_node_new (JSON_NODE_NULL);
  case ALGER_VALUE_BOOL:
    return json_node_init_boolean (json_node_alloc (), alger_value_get_bool (value));
  case ALGER_VALUE_INT:
    return json_node_init_int (json_node_alloc (), alger_value_get_int (value));
  case ALGER_VALUE_FLOAT:
    return number_tagged (alger_value_get_float (value));
  case ALGER_VALUE_STRING:
    return json_node_init_string (json_node_alloc (), alger_value_get_string (value));
  case ALGER_VALUE_ARRAY: {
    JsonObject *obj = json_object_new ();
    json_object_set_member (obj, "__ndarray__", golden_ndarray (value));
    return take_object (obj);
  }
  case ALGER_VALUE_DICT: {
    JsonObject *obj = json_object_new ();
    for (guint i = 0; i < alger_value_dict_get_size (value); i++)
      json_object_set_member (obj, alger_value_dict_get_key (value, i),
                              golden_plain (alger_value_dict_get_value (value, i)));
    return take_object (obj);
  }
  case ALGER_VALUE_LIST: {
    JsonArray *arr = json_array_new ();
    JsonNode *node = NULL;
    for (guint i = 0; i < alger_value_list_get_length (value); i++)
      json_array_add_element (arr, golden_plain (alger_value_list_get (value, i)));
    node = json_node_init_array (json_node_alloc (), arr);
    json_array_unref (arr);
    return node;
  }
  default:
    return json_node_new (JSON_NODE_NULL);
  }
}

JsonNode *
alger_describe_golden (AlgerValue *value)
{
  JsonObject *obj = NULL;

  g_return_val_if_fail (value != NULL, NULL);

  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_ARRAY:
    return golden_ndarray (value);
  case ALGER_VALUE_FLOAT:
    obj = typed_object ("float");
    json_object_set_member (obj, "value", number_tagged (alger_value_get_float (value)));
    return take_object (obj);
  case ALGER_VALUE_STRING:
    obj = typed_object ("str");
    json_object_set_string_member (obj, "value", alger_value_get_string (value));
    json_object_set_boolean_member (obj, "from_text", alger_value_string_is_from_text (value));
    return take_object (obj);
  case ALGER_VALUE_DICT: {
    JsonArray *keys = json_array_new ();
    obj = typed_object ("dict");
    for (guint i = 0; i < alger_value_dict_get_size (value); i++)
      json_array_add_string_element (keys, alger_value_dict_get_key (value, i));
    json_object_set_array_member (obj, "keys", keys);
    json_object_set_member (obj, "value", golden_plain (value));
    return take_object (obj);
  }
  case ALGER_VALUE_LIST: {
    JsonArray *items = json_array_new ();
    obj = typed_object ("list");
    json_object_set_int_member (obj, "length", alger_value_list_get_length (value));
    for (guint i = 0; i < alger_value_list_get_length (value); i++)
      json_array_add_element (items, alger_describe_golden (alger_value_list_get (value, i)));
    json_object_set_array_member (obj, "items", items);
    return take_object (obj);
  }
  default:
    /* none, bool, int: same as the summary */
    return alger_describe_summary (value);
  }
}
