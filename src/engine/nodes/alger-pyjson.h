/* alger-pyjson.h: python's json.dumps(x, sort_keys=True), repr(float), repr(str)
 *
 * The text node writes objects the way the original engine's Python did,
 * so the strings it produces can be compared with the goldens.
 */
#pragma once

#include <glib.h>

#include "alger-value.h"

G_BEGIN_DECLS

/* repr(float): shortest round-trip digits, "1e+16", "12243.0", "nan", "inf" */
char *alger_py_float_repr (double d);
void alger_py_float_repr_append (GString *out, double d);

/* repr(str): python quoting and escapes */
char *alger_py_str_repr (const char *s);

/* str(x) for scalars and strings, as python prints them ("True", "None") */
char *alger_py_str (const AlgerValue *value);

/* json.dumps(value, sort_keys=True): ", " / ": " separators, ensure_ascii,
 * NaN/Infinity as python writes them.  Arrays are not JSON serialisable:
 * TypeError unless arrays_as_summary, which writes {"dtype", "shape"}. */
char *alger_pyjson_dumps (const AlgerValue *value, gboolean arrays_as_summary, GError **error);
gboolean alger_pyjson_append (GString *out, const AlgerValue *value, gboolean arrays_as_summary,
                              GError **error);

/* json-glib 1.6 wraps integer literals outside gint64 (2^64 reads as -1).
 * Python kept them exact, and seeds may be that large, so graph readers can
 * pass the raw text through this first: such literals become JSON strings
 * of their digits, which int() (alger_py_int_from_json) reads exactly.
 * Everything else, string contents included, is copied unchanged. */
char *alger_json_quote_big_integers (const char *text);

G_END_DECLS
