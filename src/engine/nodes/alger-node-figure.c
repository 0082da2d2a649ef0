/* alger-node-figure.c: placeholder until the kind lands */
#include "config.h"

#include "alger-error.h"
#include "alger-nodes-private.h"

static AlgerValue *
figure_run (const AlgerNodeContext *ctx, JsonObject *params, AlgerValue *input, GError **error)
{
  g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_FAILED, "figure: not implemented yet");
  return NULL;
}

const AlgerNodeKind alger_node_kind_figure = {
  .name = "figure",
  .min_inputs = 1,
  .max_inputs = 1,
  .always_tracked = TRUE,
  .run = figure_run,
};
