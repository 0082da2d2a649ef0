/* alger-node-descriptor.c: placeholder until the kind lands */
#include "config.h"

#include "alger-error.h"
#include "alger-nodes-private.h"

static AlgerValue *
descriptor_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED, "structural-descriptor: not implemented yet");
  return NULL;
}

const AlgerNodeKind alger_node_kind_descriptor = {
  .name = "structural-descriptor",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = FALSE,
  .run = descriptor_run,
};
