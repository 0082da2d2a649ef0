/* alger-node-registry.c: the table of node kinds, in the original's order */
#include "config.h"

#include <string.h>

#include "alger-nodes-private.h"

static const AlgerNodeKind *const kinds[] = {
  &alger_node_kind_dataset,
  &alger_node_kind_identity,
  &alger_node_kind_concat,
  &alger_node_kind_segmentation,
  &alger_node_kind_filter,
  &alger_node_kind_descriptor,
  &alger_node_kind_simulation,
  &alger_node_kind_figure,
  &alger_node_kind_text,
};

const AlgerNodeKind *
alger_node_kind_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    if (strcmp (kinds[i]->name, name) == 0)
      return kinds[i];
  }
  return NULL;
}

const AlgerNodeKind *const *
alger_node_kind_list (guint *n_kinds)
{
  if (n_kinds != NULL)
    *n_kinds = G_N_ELEMENTS (kinds);
  return kinds;
}
