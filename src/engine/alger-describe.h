/* alger-describe.h: JSON descriptions of node outputs
 *
 * Two shapes: the run summary's sink description (ENGINE.md "Summary and
 * sink descriptions", what 207 carries) and the richer golden description of
 * fixtures/golden/FORMAT.md.  Pure; never emits NaN/Infinity into JSON.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "alger-value.h"

G_BEGIN_DECLS

/* Python's repr() of a float: shortest round-trip ("12243.0", "8.7e-08", "nan") */
char *alger_describe_format_float (double d);

/* {type:"none"}, {type:"str"|"int"|"float"|"bool",value}, {type:"dict",keys,size},
 * {type:"list",length}, {type:"ndarray",shape,dtype,min,max,mean}; a
 * non-finite number becomes null */
JsonNode *alger_describe_summary (AlgerValue *value);

/* the FORMAT.md value description (samples, channel_sums, `__ndarray__`, ...) */
JsonNode *alger_describe_golden (AlgerValue *value);

G_END_DECLS
