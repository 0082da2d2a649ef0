/* alger-node-concat.c: placeholder until the kind lands */
#include "config.h"

#include "alger-error.h"
#include "alger-nodes-private.h"

static AlgerValue *
concat_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED, "concat: not implemented yet");
  return NULL;
}

const AlgerNodeKind alger_node_kind_concat = {
  .name = "concat",
  .min_inputs = 2,
  .max_inputs = -1,
  .always_tracked = FALSE,
  .run = concat_run,
};
