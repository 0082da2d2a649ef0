/* test-pyjson.c: python's repr(float), repr(str) and json.dumps(sort_keys=True)
 *
 * Expected strings were printed by CPython 3.11.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-pyjson.h"

typedef struct {
  guint64 bits;
  const char *repr;
} FloatCase;

static const FloatCase float_cases[] = {
  { 0, "0.0" },
  { 9223372036854775808u, "-0.0" },
  { 4607182418800017408u, "1.0" },
  { 4667956274757894144u, "12243.0" },
  { 4591870180066957722u, "0.1" },
  { 4846369599423283200u, "1e+16" },
  { 4831355200913801216u, "1000000000000000.0" },
  { 4862596447618666293u, "1.2345678901234568e+17" },
  { 4501173716561952768u, "8.710262733302443e-08" },
  { 4547007122018943789u, "0.0001" },
  { 4532020583610935537u, "1e-05" },
  { 4534972062662729065u, "1.5e-05" },
  { 13836183955189006336u, "-2.5" },
  { 5183643170566569984u, "3.4028234663852886e+38" },
  { 1, "5e-324" },
  { 9218868437227405311u, "1.7976931348623157e+308" },
  { 4599075939470750516u, "0.30000000000000004" },
  { 4845873199050653696u, "9007199254740992.0" },
  { 4936209963552724370u, "1e+22" },
  { 4502148214488346440u, "1e-07" },
  { 4638387860618067575u, "123.456" },
  { 9221120237041090560u, "nan" },
  { 9218868437227405312u, "inf" },
  { 18442240474082181120u, "-inf" },
  { 4606962843965718528u, "0.975622296333313" },
  { 4501576318743216128u, "9.243102283562621e-08" },
  { 6103021453049119613u, "1e+100" },
  { 4636737291354636288u, "100.0" },
  { 4698053236609777664u, "1234567.0" },
};

static void
test_float_repr (gconstpointer data)
{
  const FloatCase *fc = data;
  double d;
  g_autofree char *repr = NULL;

  memcpy (&d, &fc->bits, sizeof d);
  repr = alger_py_float_repr (d);
  g_assert_cmpstr (repr, ==, fc->repr);
}

static void
test_str_repr (void)
{
  const char *cases[][2] = {
    { "3.7", "'3.7'" },
    { "a'b", "\"a'b\"" },
    { "a'b\"c", "'a\\'b\"c'" },
    { "\t\x01\xc3\xa9\xe2\x80\x8b\xf0\x9f\x98\x80", "'\\t\\x01\xc3\xa9\\u200b\xf0\x9f\x98\x80'" },
    { "", "''" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *repr = alger_py_str_repr (cases[i][0]);
    g_assert_cmpstr (repr, ==, cases[i][1]);
  }
}

static void
test_dumps (void)
{
  g_autoptr(AlgerValue) dict = alger_value_new_dict ();
  g_autoptr(AlgerValue) inner = alger_value_new_dict ();
  g_autoptr(AlgerValue) list = alger_value_new_list ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *summary = NULL;
  const gsize shape[2] = { 2, 3 };

  alger_value_list_append (list, alger_value_new_int (1));
  alger_value_list_append (list, alger_value_new_float (2.5));
  alger_value_list_append (list, alger_value_new_none ());
  alger_value_list_append (list, alger_value_new_bool (TRUE));
  alger_value_list_append (list, alger_value_new_bool (FALSE));
  alger_value_dict_set (inner, "z", alger_value_new_float (NAN));
  alger_value_dict_set (inner, "y", alger_value_new_float (INFINITY));
  /* insertion order b, a, c: the output is sorted */
  alger_value_dict_set (dict, "b", g_steal_pointer (&list));
  alger_value_dict_set (dict, "a",
                        alger_value_new_string ("x\"\\\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                                "\x01\x7f",
                                                FALSE));
  alger_value_dict_set (dict, "c", g_steal_pointer (&inner));
  out = alger_pyjson_dumps (dict, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==,
                   "{\"a\": \"x\\\"\\\\\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0001\\u007f\", "
                   "\"b\": [1, 2.5, null, true, false], "
                   "\"c\": {\"y\": Infinity, \"z\": NaN}}");

  /* json.dumps raises on arrays; the summary form is our extension */
  alger_value_dict_set (dict, "arr", alger_value_new_array (ALGER_DTYPE_UINT8, 2, shape));
  g_clear_pointer (&out, g_free);
  out = alger_pyjson_dumps (dict, FALSE, &error);
  g_assert_null (out);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_TYPE);
  g_assert_cmpstr (error->message, ==, "Object of type ndarray is not JSON serializable");
  summary = alger_pyjson_dumps (alger_value_dict_get (dict, "arr"), TRUE, NULL);
  g_assert_cmpstr (summary, ==, "{\"dtype\": \"uint8\", \"shape\": [2, 3]}");
}

static void
test_quote_big_integers (void)
{
  const char *cases[][2] = {
    { "{\"seed\": 18446744073709551616}", "{\"seed\": \"18446744073709551616\"}" },
    { "[9223372036854775807, -9223372036854775808, 9223372036854775808]",
      "[9223372036854775807, -9223372036854775808, \"9223372036854775808\"]" },
    { "[-9223372036854775809, 1e400, 123456789012345678901.5]",
      "[\"-9223372036854775809\", 1e400, 123456789012345678901.5]" },
    { "{\"a\\\"99999999999999999999\": \"99999999999999999999\"}",
      "{\"a\\\"99999999999999999999\": \"99999999999999999999\"}" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *out = alger_json_quote_big_integers (cases[i][0]);
    g_assert_cmpstr (out, ==, cases[i][1]);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (float_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/pyjson/float-repr/%u", i);
    g_test_add_data_func (path, &float_cases[i], test_float_repr);
  }
  g_test_add_func ("/alger/pyjson/str-repr", test_str_repr);
  g_test_add_func ("/alger/pyjson/dumps", test_dumps);
  g_test_add_func ("/alger/pyjson/quote-big-integers", test_quote_big_integers);
  return g_test_run ();
}
