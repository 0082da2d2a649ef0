/* alger-node-text.c: "<prefix>: " + entries joined with " | "
 *
 * One input is one entry; several inputs arrive as a list, one entry each
 * in edge order.  Strings are written as themselves, everything else as
 * json.dumps(x, sort_keys=True).  The result is marked from_text.
 */
#include "config.h"

#include "alger-error.h"
#include "alger-nodes-private.h"
#include "alger-pyjson.h"

static gboolean
text_append_entry (GString *out, AlgerValue *entry, gboolean compat, GError **error)
{
  if (alger_value_get_kind (entry) == ALGER_VALUE_STRING) {
    g_string_append (out, alger_value_get_string (entry));
    return TRUE;
  }
  /* json.dumps raised on arrays; outside compat mode we print a summary */
  return alger_pyjson_append (out, entry, !compat, error);
}

static AlgerValue *
text_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(AlgerValue) prefix = NULL;
  g_autofree char *prefix_str = NULL;
  JsonNode *prefix_node = alger_params_get (params, "prefix");

  g_return_val_if_fail (input != NULL, NULL);
  prefix = prefix_node != NULL ? alger_value_from_json_node (prefix_node)
                               : alger_value_new_string ("LOG", FALSE);
  prefix_str = alger_py_str (prefix);
  g_string_append_printf (out, "%s: ", prefix_str);

  if (alger_value_get_kind (input) == ALGER_VALUE_LIST) {
    for (guint i = 0; i < alger_value_list_get_length (input); i++) {
      if (i > 0)
        g_string_append (out, " | ");
      if (!text_append_entry (out, alger_value_list_get (input, i), ctx->compat_original,
                              error))
        return NULL;
    }
  } else if (!text_append_entry (out, input, ctx->compat_original, error)) {
    return NULL;
  }
  return alger_value_new_string_take (g_string_free (g_steal_pointer (&out), FALSE), TRUE);
}

const AlgerNodeKind alger_node_kind_text = {
  .name = "text",
  .min_inputs = 1,
  .max_inputs = -1,
  .always_tracked = TRUE,
  .run = text_run,
};
