/* alger-redact.h: keep passwords (and optionally other credentials) out of
 * what is stored or logged.  Pure helpers: no I/O, no global state, safe from
 * any thread.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ALGER_REDACTED "[redacted]"

typedef enum {
  /* every member named "password" (any case) becomes "[redacted]" */
  ALGER_REDACT_PASSWORDS,
  /* passwords as above, and every string value found under a member named
   * "token", "secret" or "authorization" (any case, any depth) too */
  ALGER_REDACT_CREDENTIALS,
} AlgerRedactLevel;

/* in place: every object member named `password` (case-insensitive, at any
 * depth, inside arrays too) gets the string value "[redacted]" */
void alger_redact_json_node (JsonNode *node);

/* like alger_redact_json_node() at the given level; returns how many values
 * were changed (a value already "[redacted]" does not count) */
guint alger_redact_json_node_full (JsonNode *node, AlgerRedactLevel level);

/* parse, redact, re-serialize (compact).  If nothing had to change, the text
 * is returned unchanged (same formatting).  If the text is not JSON, a copy
 * with `password=VALUE` / `"password": "VALUE"` patterns redacted. */
char *alger_redact_json_text (const char *json);
char *alger_redact_json_text_full (const char *json, AlgerRedactLevel level, gboolean *changed);

/* `password=...` parameters in the query (and fragment) of a path or URL,
 * also with a percent-encoded key (`p%61ssword=`), become
 * `password=[redacted]`.  A string without '?' and '/' is taken as a bare
 * query ("username=a&password=b"). */
char *alger_redact_query (const char *path_or_url);

/* free text (log lines, unparseable frames): `password=VALUE`,
 * `password: VALUE`, `"password":"VALUE"` (key in any case, possibly
 * percent-encoded) get their VALUE replaced by "[redacted]" */
char *alger_redact_text (const char *text);

/* cheap pre-check: could this text hold something the level redacts?
 * (a credential key in any case, or a JSON \u escape that could spell one) */
gboolean alger_redact_text_may_need (const char *text, AlgerRedactLevel level);

G_END_DECLS
