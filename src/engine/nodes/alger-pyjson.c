/* alger-pyjson.c: python-identical renderings of values
 *
 * json.dumps(x, sort_keys=True) with the default separators and
 * ensure_ascii, float repr (shortest round-trip, python's choice between
 * fixed and exponent notation) and str repr for error messages.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alger-error.h"
#include "alger-pyjson.h"

#include "alger-json-text.h"

void
alger_py_float_repr_append (GString *out, double d)
{
  char buf[32];

  if (isnan (d)) {
    g_string_append (out, "nan");
    return;
  }
  if (isinf (d)) {
    g_string_append (out, d > 0 ? "inf" : "-inf");
    return;
  }
  if (d == 0.0) {
    g_string_append (out, signbit (d) ? "-0.0" : "0.0");
    return;
  }

  /* one implementation of repr() for the whole project (shortest round trip) */
  g_string_append (out, alger_json_format_double (d, buf));
}

char *
alger_py_float_repr (double d)
{
  GString *out = g_string_new (NULL);
  alger_py_float_repr_append (out, d);
  return g_string_free (out, FALSE);
}

/* python's str.isprintable() for one character */
static gboolean
py_isprintable (gunichar c)
{
  if (c == ' ')
    return TRUE;
  switch (g_unichar_type (c)) {
  case G_UNICODE_CONTROL:
  case G_UNICODE_FORMAT:
  case G_UNICODE_SURROGATE:
  case G_UNICODE_PRIVATE_USE:
  case G_UNICODE_UNASSIGNED:
  case G_UNICODE_LINE_SEPARATOR:
  case G_UNICODE_PARAGRAPH_SEPARATOR:
  case G_UNICODE_SPACE_SEPARATOR:
    return FALSE;
  default:
    return TRUE;
  }
}

char *
alger_py_str_repr (const char *s)
{
  GString *out = g_string_new (NULL);
  char quote = '\'';

  g_return_val_if_fail (s != NULL, NULL);
  if (strchr (s, '\'') != NULL && strchr (s, '"') == NULL)
    quote = '"';
  g_string_append_c (out, quote);
  for (const char *p = s; *p != '\0';) {
    gunichar c = g_utf8_get_char_validated (p, -1);
    if (c == (gunichar) -1 || c == (gunichar) -2) {
      /* not utf-8: show the byte as python shows a surrogate escape */
      g_string_append_printf (out, "\\udc%02x", (guint8) *p);
      p++;
      continue;
    }
    p = g_utf8_next_char (p);
    if (c == (gunichar) quote || c == '\\') {
      g_string_append_c (out, '\\');
      g_string_append_c (out, (char) c);
    } else if (c == '\t') {
      g_string_append (out, "\\t");
    } else if (c == '\n') {
      g_string_append (out, "\\n");
    } else if (c == '\r') {
      g_string_append (out, "\\r");
    } else if (c < 0x20 || c == 0x7f) {
      g_string_append_printf (out, "\\x%02x", c);
    } else if (c < 0x7f || py_isprintable (c)) {
      g_string_append_unichar (out, c);
    } else if (c <= 0xff) {
      g_string_append_printf (out, "\\x%02x", c);
    } else if (c <= 0xffff) {
      g_string_append_printf (out, "\\u%04x", c);
    } else {
      g_string_append_printf (out, "\\U%08x", c);
    }
  }
  g_string_append_c (out, quote);
  return g_string_free (out, FALSE);
}

char *
alger_py_str (const AlgerValue *value)
{
  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_NONE:
    return g_strdup ("None");
  case ALGER_VALUE_BOOL:
    return g_strdup (alger_value_get_bool (value) ? "True" : "False");
  case ALGER_VALUE_INT:
    return g_strdup_printf ("%" G_GINT64_FORMAT, alger_value_get_int (value));
  case ALGER_VALUE_FLOAT:
    return alger_py_float_repr (alger_value_get_float (value));
  case ALGER_VALUE_STRING:
    return g_strdup (alger_value_get_string (value));
  case ALGER_VALUE_ARRAY:
  case ALGER_VALUE_DICT:
  case ALGER_VALUE_LIST:
  default:
    return alger_pyjson_dumps (value, TRUE, NULL);
  }
}

static void
json_string_append (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0';) {
    gunichar c = g_utf8_get_char_validated (p, -1);
    if (c == (gunichar) -1 || c == (gunichar) -2) {
      g_string_append_printf (out, "\\udc%02x", (guint8) *p);
      p++;
      continue;
    }
    p = g_utf8_next_char (p);
    switch (c) {
    case '"':
      g_string_append (out, "\\\"");
      break;
    case '\\':
      g_string_append (out, "\\\\");
      break;
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      g_string_append (out, "\\r");
      break;
    case '\t':
      g_string_append (out, "\\t");
      break;
    case '\b':
      g_string_append (out, "\\b");
      break;
    case '\f':
      g_string_append (out, "\\f");
      break;
    default:
      if (c < 0x20 || (c >= 0x7f && c <= 0xffff)) {
        g_string_append_printf (out, "\\u%04x", c);
      } else if (c > 0xffff) {
        /* ensure_ascii writes astral characters as surrogate pairs */
        gunichar v = c - 0x10000;
        g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
      } else {
        g_string_append_c (out, (char) c);
      }
    }
  }
  g_string_append_c (out, '"');
}

static gint
compare_keys (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const AlgerValue *dict = user_data;
  /* utf-8 byte order is code point order, as python sorts str */
  return strcmp (alger_value_dict_get_key (dict, *(const guint *) a),
                 alger_value_dict_get_key (dict, *(const guint *) b));
}

gboolean
alger_pyjson_append (GString *out, const AlgerValue *value, gboolean arrays_as_summary,
                     GError **error)
{
  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_NONE:
    g_string_append (out, "null");
    return TRUE;
  case ALGER_VALUE_BOOL:
    g_string_append (out, alger_value_get_bool (value) ? "true" : "false");
    return TRUE;
  case ALGER_VALUE_INT:
    g_string_append_printf (out, "%" G_GINT64_FORMAT, alger_value_get_int (value));
    return TRUE;
  case ALGER_VALUE_FLOAT: {
    double d = alger_value_get_float (value);
    if (isnan (d))
      g_string_append (out, "NaN");
    else if (isinf (d))
      g_string_append (out, d > 0 ? "Infinity" : "-Infinity");
    else
      alger_py_float_repr_append (out, d);
    return TRUE;
  }
  case ALGER_VALUE_STRING:
    json_string_append (out, alger_value_get_string (value));
    return TRUE;
  case ALGER_VALUE_LIST:
    g_string_append_c (out, '[');
    for (guint i = 0; i < alger_value_list_get_length (value); i++) {
      if (i > 0)
        g_string_append (out, ", ");
      if (!alger_pyjson_append (out, alger_value_list_get (value, i), arrays_as_summary, error))
        return FALSE;
    }
    g_string_append_c (out, ']');
    return TRUE;
  case ALGER_VALUE_DICT: {
    guint n = alger_value_dict_get_size (value);
    g_autofree guint *order = g_new (guint, MAX (n, 1));
    for (guint i = 0; i < n; i++)
      order[i] = i;
    g_qsort_with_data (order, (gint) n, sizeof (guint), compare_keys, (gpointer) value);
    g_string_append_c (out, '{');
    for (guint i = 0; i < n; i++) {
      if (i > 0)
        g_string_append (out, ", ");
      json_string_append (out, alger_value_dict_get_key (value, order[i]));
      g_string_append (out, ": ");
      if (!alger_pyjson_append (out, alger_value_dict_get_value (value, order[i]),
                                arrays_as_summary, error))
        return FALSE;
    }
    g_string_append_c (out, '}');
    return TRUE;
  }
  case ALGER_VALUE_ARRAY: {
    const gsize *shape = alger_value_array_get_shape (value);
    if (!arrays_as_summary) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                           "Object of type ndarray is not JSON serializable");
      return FALSE;
    }
    g_string_append_printf (out, "{\"dtype\": \"%s\", \"shape\": [",
                            alger_dtype_to_string (alger_value_array_get_dtype (value)));
    for (guint i = 0; i < alger_value_array_get_ndim (value); i++)
      g_string_append_printf (out, "%s%" G_GSIZE_FORMAT, i > 0 ? ", " : "", shape[i]);
    g_string_append (out, "]}");
    return TRUE;
  }
  default:
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_TYPE,
                         "Object is not JSON serializable");
    return FALSE;
  }
}

char *
alger_pyjson_dumps (const AlgerValue *value, gboolean arrays_as_summary, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (value != NULL, NULL);
  if (!alger_pyjson_append (out, value, arrays_as_summary, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
digits_fit_int64 (const char *digits, gsize len, gboolean negative)
{
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
  if (len != 19)
    return len < 19;
  return strncmp (digits, limit, 19) <= 0;
}

char *
alger_json_quote_big_integers (const char *text)
{
  GString *out = NULL;
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);
  out = g_string_sized_new (strlen (text) + 16);
  while (*p != '\0') {
    if (*p == '"') {
      /* copy a string literal verbatim, escapes included */
      const char *q = p + 1;
      while (*q != '\0' && *q != '"')
        q += (*q == '\\' && q[1] != '\0') ? 2 : 1;
      if (*q == '"')
        q++;
      g_string_append_len (out, p, q - p);
      p = q;
    } else if (*p == '-' || g_ascii_isdigit (*p)) {
      const char *digits = *p == '-' ? p + 1 : p;
      const char *q = digits;
      while (g_ascii_isdigit (*q))
        q++;
      if (q > digits && *q != '.' && *q != 'e' && *q != 'E' &&
          !digits_fit_int64 (digits, q - digits, *p == '-')) {
        g_string_append_c (out, '"');
        g_string_append_len (out, p, q - p);
        g_string_append_c (out, '"');
      } else {
        while (g_ascii_isdigit (*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
               *q == '-')
          q++;
        g_string_append_len (out, p, q - p);
      }
      p = q;
    } else {
      g_string_append_c (out, *p++);
    }
  }
  return g_string_free (out, FALSE);
}
