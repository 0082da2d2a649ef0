/* alger-node-common.c: python conversions and input checks the kinds share
 *
 * int() follows CPython exactly (messages included), since the original's
 * exceptions escaped the nodes unchanged and users saw them verbatim.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-pyjson.h"

/* CPython's default limit on decimal digits for int(str) (3.11+) */
#define PY_INT_MAX_STR_DIGITS 4300

const char *
alger_json_python_type (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "NoneType";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "list";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "dict";
  switch (json_node_get_value_type (node)) {
  case G_TYPE_BOOLEAN:
    return "bool";
  case G_TYPE_INT64:
    return "int";
  case G_TYPE_DOUBLE:
    return "float";
  case G_TYPE_STRING:
    return "str";
  default:
    return "object";
  }
}

JsonNode *
alger_params_get (JsonObject *params, const char *name)
{
  if (params == NULL || !json_object_has_member (params, name))
    return NULL;
  return json_object_get_member (params, name);
}

static void
words_normalize (GArray *words)
{
  while (words->len > 1 && g_array_index (words, guint32, words->len - 1) == 0)
    g_array_set_size (words, words->len - 1);
  if (words->len == 0) {
    guint32 zero = 0;
    g_array_append_val (words, zero);
  }
}

static GArray *
words_from_u64 (guint64 v)
{
  GArray *words = g_array_new (FALSE, TRUE, sizeof (guint32));
  guint32 lo = (guint32) v, hi = (guint32) (v >> 32);
  g_array_append_val (words, lo);
  g_array_append_val (words, hi);
  words_normalize (words);
  return words;
}

/* words = words * mul + add */
static void
words_mul_add (GArray *words, guint32 mul, guint32 add)
{
  guint64 carry = add;
  for (guint i = 0; i < words->len; i++) {
    guint64 t = (guint64) g_array_index (words, guint32, i) * mul + carry;
    g_array_index (words, guint32, i) = (guint32) t;
    carry = t >> 32;
  }
  if (carry != 0) {
    guint32 c = (guint32) carry;
    g_array_append_val (words, c);
  }
}

/* the exact integer value of a finite, already truncated double */
static GArray *
words_from_integral_double (double d)
{
  GArray *words = g_array_new (FALSE, TRUE, sizeof (guint32));
  int exp2 = 0;
  double m = frexp (fabs (d), &exp2);
  /* |d| = mant * 2^(exp2 - 53) with a 53-bit integer mantissa */
  guint64 mant = (guint64) ldexp (m, 53);
  int shift = exp2 - 53;

  if (shift <= 0) {
    g_array_unref (words);
    return words_from_u64 (mant >> (-shift));
  }
  g_array_set_size (words, (guint) (shift / 32) + 3);
  for (guint b = 0; b < 53; b++) {
    if ((mant >> b) & 1u) {
      guint bit = b + (guint) shift;
      g_array_index (words, guint32, bit / 32) |= 1u << (bit % 32);
    }
  }
  words_normalize (words);
  return words;
}

static gboolean
py_isspace (gunichar c)
{
  /* CPython's Py_UNICODE_ISSPACE: ascii whitespace, the 0x1c..0x1f
   * separators and unicode spaces */
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
         g_unichar_isspace (c);
}

static GArray *
words_from_py_string (const char *s, gboolean *negative, GError **error)
{
  g_autoptr(GArray) words = g_array_new (FALSE, TRUE, sizeof (guint32));
  const char *p = s;
  const char *end = s + strlen (s);
  gboolean ok = TRUE;
  gboolean prev_digit = FALSE;
  guint n_digits = 0;

  if (!g_utf8_validate (s, -1, NULL))
    ok = FALSE;
  /* strip whitespace on both sides */
  while (ok && p < end && py_isspace (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);
  while (ok && end > p) {
    const char *prev = g_utf8_find_prev_char (p, end);
    if (prev == NULL || !py_isspace (g_utf8_get_char (prev)))
      break;
    end = prev;
  }
  *negative = FALSE;
  if (ok && p < end && (*p == '+' || *p == '-')) {
    *negative = *p == '-';
    p++;
  }
  if (p >= end)
    ok = FALSE;
  for (; ok && p < end; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gint digit = g_unichar_digit_value (c);
    if (c == '_') {
      /* one underscore, only between digits */
      if (!prev_digit || g_utf8_next_char (p) >= end)
        ok = FALSE;
      prev_digit = FALSE;
      continue;
    }
    if (digit < 0) {
      ok = FALSE;
      break;
    }
    if (n_digits++ < PY_INT_MAX_STR_DIGITS)
      words_mul_add (words, 10, (guint32) digit);
    prev_digit = TRUE;
  }
  if (!ok) {
    g_autofree char *repr = alger_py_str_repr (s);
    /* python formats the literal with %.200R */
    if (g_utf8_strlen (repr, -1) > 200)
      *g_utf8_offset_to_pointer (repr, 200) = '\0';
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                 "invalid literal for int() with base 10: %s", repr);
    return NULL;
  }
  if (n_digits > PY_INT_MAX_STR_DIGITS) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                 "Exceeds the limit (%d digits) for integer string conversion: "
                 "value has %u digits; use sys.set_int_max_str_digits() to increase the limit",
                 PY_INT_MAX_STR_DIGITS, n_digits);
    return NULL;
  }
  words_normalize (words);
  if (words->len == 1 && g_array_index (words, guint32, 0) == 0)
    *negative = FALSE;
  return g_steal_pointer (&words);
}

GArray *
alger_py_int_from_json (JsonNode *node, gboolean *negative, GError **error)
{
  g_return_val_if_fail (negative != NULL, NULL);

  *negative = FALSE;
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)) {
    switch (json_node_get_value_type (node)) {
    case G_TYPE_BOOLEAN:
      return words_from_u64 (json_node_get_boolean (node) ? 1 : 0);
    case G_TYPE_INT64: {
      gint64 v = json_node_get_int (node);
      *negative = v < 0;
      return words_from_u64 (v < 0 ? (guint64) 0 - (guint64) v : (guint64) v);
    }
    case G_TYPE_DOUBLE: {
      double d = json_node_get_double (node);
      if (isnan (d)) {
        g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                             "cannot convert float NaN to integer");
        return NULL;
      }
      if (isinf (d)) {
        g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_OVERFLOW,
                             "cannot convert float infinity to integer");
        return NULL;
      }
      d = trunc (d);
      *negative = d < 0;
      return words_from_integral_double (d);
    }
    case G_TYPE_STRING:
      return words_from_py_string (json_node_get_string (node), negative, error);
    default:
      break;
    }
  }
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_TYPE,
               "int() argument must be a string, a bytes-like object or a real number, not '%s'",
               alger_json_python_type (node));
  return NULL;
}

gboolean
alger_py_int_clamped (JsonNode *node, gint64 lo, gint64 hi, gint64 *out, GError **error)
{
  g_autoptr(GArray) words = NULL;
  gboolean negative = FALSE;
  guint64 mag;

  g_return_val_if_fail (lo <= hi, FALSE);
  words = alger_py_int_from_json (node, &negative, error);
  if (words == NULL)
    return FALSE;
  if (words->len > 2) {
    *out = negative ? lo : hi;
    return TRUE;
  }
  mag = g_array_index (words, guint32, 0);
  if (words->len == 2)
    mag |= (guint64) g_array_index (words, guint32, 1) << 32;
  if (negative) {
    /* compare magnitudes so the most negative values do not overflow */
    guint64 lo_mag = lo < 0 ? (guint64) 0 - (guint64) lo : 0;
    if (lo >= 0 || mag > lo_mag)
      *out = lo;
    else
      *out = MAX (lo, (gint64) (0 - mag));
  } else {
    *out = mag > (guint64) G_MAXINT64 ? hi : CLAMP ((gint64) mag, lo, hi);
  }
  return TRUE;
}

AlgerValue *
alger_value_from_json_node (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return alger_value_new_none ();
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    AlgerValue *list = alger_value_new_list ();
    for (guint i = 0; i < json_array_get_length (array); i++)
      alger_value_list_append (list,
                               alger_value_from_json_node (json_array_get_element (array, i)));
    return list;
  }
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);
    AlgerValue *dict = alger_value_new_dict ();
    JsonObjectIter iter;
    const char *name = NULL;
    JsonNode *member = NULL;
    json_object_iter_init_ordered (&iter, object);
    while (json_object_iter_next_ordered (&iter, &name, &member))
      alger_value_dict_set (dict, name, alger_value_from_json_node (member));
    return dict;
  }
  switch (json_node_get_value_type (node)) {
  case G_TYPE_BOOLEAN:
    return alger_value_new_bool (json_node_get_boolean (node));
  case G_TYPE_INT64:
    return alger_value_new_int (json_node_get_int (node));
  case G_TYPE_DOUBLE:
    return alger_value_new_float (json_node_get_double (node));
  case G_TYPE_STRING:
    return alger_value_new_string (json_node_get_string (node), FALSE);
  default:
    return alger_value_new_none ();
  }
}

gboolean
alger_node_check_array (const char *kind, AlgerValue *input, gboolean need_3d, GError **error)
{
  if (input == NULL || alger_value_get_kind (input) != ALGER_VALUE_ARRAY) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "%s expects a numpy array", kind);
    return FALSE;
  }
  if (need_3d && alger_value_array_get_ndim (input) != 3) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                 "%s expects an array shaped (C, Y, X)", kind);
    return FALSE;
  }
  return TRUE;
}

/* the grammar of python's float(str) after stripping; underscores are
 * dropped into clean when they sit between digits */
static gboolean
py_float_literal (const char *p, const char *end, GString *clean)
{
  gboolean digits = FALSE;
  const char *word;

  if (p < end && (*p == '+' || *p == '-'))
    g_string_append_c (clean, *p++);
  word = p;
  if (end - word == 3 && g_ascii_strncasecmp (word, "nan", 3) == 0) {
    g_string_append (clean, "nan");
    return TRUE;
  }
  if ((end - word == 3 && g_ascii_strncasecmp (word, "inf", 3) == 0) ||
      (end - word == 8 && g_ascii_strncasecmp (word, "infinity", 8) == 0)) {
    g_string_append (clean, "inf");
    return TRUE;
  }
  for (gboolean frac = FALSE;; frac = TRUE) {
    gboolean prev_digit = FALSE;
    while (p < end && (g_ascii_isdigit (*p) || *p == '_')) {
      if (*p == '_') {
        if (!prev_digit || p + 1 >= end || !g_ascii_isdigit (p[1]))
          return FALSE;
        prev_digit = FALSE;
        p++;
        continue;
      }
      g_string_append_c (clean, *p++);
      prev_digit = digits = TRUE;
    }
    if (frac || p >= end || *p != '.')
      break;
    g_string_append_c (clean, *p++);
  }
  if (!digits)
    return FALSE;
  if (p < end && (*p == 'e' || *p == 'E')) {
    gboolean exp_digits = FALSE;
    g_string_append_c (clean, *p++);
    if (p < end && (*p == '+' || *p == '-'))
      g_string_append_c (clean, *p++);
    while (p < end && (g_ascii_isdigit (*p) || *p == '_')) {
      if (*p == '_') {
        if (!exp_digits || p + 1 >= end || !g_ascii_isdigit (p[1]))
          return FALSE;
        p++;
        continue;
      }
      g_string_append_c (clean, *p++);
      exp_digits = TRUE;
    }
    if (!exp_digits)
      return FALSE;
  }
  return p == end;
}

gboolean
alger_py_float_from_json (JsonNode *node, double *out, GError **error)
{
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)) {
    switch (json_node_get_value_type (node)) {
    case G_TYPE_BOOLEAN:
      *out = json_node_get_boolean (node) ? 1.0 : 0.0;
      return TRUE;
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return TRUE;
    case G_TYPE_STRING: {
      const char *s = json_node_get_string (node);
      const char *p = s;
      const char *end = s + strlen (s);
      g_autoptr(GString) clean = g_string_new (NULL);
      while (p < end && g_ascii_isspace (*p))
        p++;
      while (end > p && g_ascii_isspace (end[-1]))
        end--;
      if (py_float_literal (p, end, clean)) {
        *out = g_ascii_strtod (clean->str, NULL);
        return TRUE;
      }
      g_autofree char *repr = alger_py_str_repr (s);
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_VALUE,
                   "could not convert string to float: %s", repr);
      return FALSE;
    }
    default:
      break;
    }
  }
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_TYPE,
               "float() argument must be a string or a real number, not '%s'",
               alger_json_python_type (node));
  return FALSE;
}

gboolean
alger_node_get_cyx (const char *kind, AlgerValue *input, gsize shape[3], GError **error)
{
  guint ndim;

  if (!alger_node_check_array (kind, input, FALSE, error))
    return FALSE;
  ndim = alger_value_array_get_ndim (input);
  if (ndim == 2) {
    shape[0] = 1;
    memcpy (shape + 1, alger_value_array_get_shape (input), 2 * sizeof (gsize));
    return TRUE;
  }
  if (ndim == 3) {
    memcpy (shape, alger_value_array_get_shape (input), 3 * sizeof (gsize));
    return TRUE;
  }
  return alger_node_check_array (kind, input, TRUE, error);
}

const float *
alger_node_f32_data (AlgerValue *input, float **owned, GError **error)
{
  gsize n = alger_value_array_get_n_elements (input);
  gconstpointer src = alger_value_array_peek_data (input);
  float *copy = NULL;

  *owned = NULL;
  if (alger_value_array_get_dtype (input) == ALGER_DTYPE_FLOAT32)
    return src;
  copy = g_try_new (float, MAX (n, 1));
  if (copy == NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED,
                         "Unable to allocate memory for a float32 copy");
    return NULL;
  }
  if (alger_value_array_get_dtype (input) == ALGER_DTYPE_UINT8) {
    const guint8 *u8 = src;
    gsize i = 0;
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128 ();
    for (; i + 16 <= n; i += 16) {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (u8 + i));
      __m128i lo = _mm_unpacklo_epi8 (v, zero);
      __m128i hi = _mm_unpackhi_epi8 (v, zero);
      _mm_storeu_ps (copy + i, _mm_cvtepi32_ps (_mm_unpacklo_epi16 (lo, zero)));
      _mm_storeu_ps (copy + i + 4, _mm_cvtepi32_ps (_mm_unpackhi_epi16 (lo, zero)));
      _mm_storeu_ps (copy + i + 8, _mm_cvtepi32_ps (_mm_unpacklo_epi16 (hi, zero)));
      _mm_storeu_ps (copy + i + 12, _mm_cvtepi32_ps (_mm_unpackhi_epi16 (hi, zero)));
    }
#endif
    for (; i < n; i++)
      copy[i] = (float) u8[i];
  } else {
    AlgerDType dtype = alger_value_array_get_dtype (input);
    for (gsize i = 0; i < n; i++)
      copy[i] = alger_array_get_f32 (src, dtype, i);
  }
  *owned = copy;
  return copy;
}
