/* alger-node-identity.c: passes its single input through (same reference) */
#include "config.h"

#include "alger-nodes-private.h"

static AlgerValue *
identity_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_return_val_if_fail (input != NULL, NULL);
  return alger_value_ref (input);
}

const AlgerNodeKind alger_node_kind_identity = {
  .name = "identity",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = FALSE,
  .run = identity_run,
};
