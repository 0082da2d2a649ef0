/* alger-node.h: the table of node kinds
 *
 * Each kind lives in its own file under nodes/ and exports one
 * AlgerNodeKind; alger-node-registry.c lists them.  Node functions run on
 * worker threads, must be reentrant, and check the cancellable inside long
 * loops (g_cancellable_set_error_if_cancelled).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "alger-value.h"

G_BEGIN_DECLS

typedef struct {
  GCancellable *cancellable; /* nullable */
  guint64 max_elements;      /* per array a node may create; 0 = unlimited */
  gboolean compat_original;  /* --compat=original: behave exactly as the Python engine */
} AlgerNodeContext;

/* input: NULL when the node has no predecessors, the predecessor's value when
 * it has one, and a LIST value of the predecessors' values (edge order) when it
 * has several, exactly as the original passed them.
 * params: never NULL (an empty object when the graph had none).
 * Returns a new value, or NULL with error set (ALGER_ERROR domain; codes
 * PIPELINE for the engine's own messages, VALUE/TYPE/OVERFLOW for what
 * numpy/Python raised in the original, LIMIT for configured limits, or
 * G_IO_ERROR_CANCELLED). */
typedef AlgerValue *(*AlgerNodeRunFunc) (const AlgerNodeContext *ctx,
                                          JsonObject *params,
                                          AlgerValue *input,
                                          GError **error);

typedef struct {
  const char *name;
  gint min_inputs;         /* arity, checked by validation */
  gint max_inputs;         /* -1 = unbounded */
  gboolean always_tracked; /* simulation, figure, text */
  AlgerNodeRunFunc run;
} AlgerNodeKind;

const AlgerNodeKind *alger_node_kind_lookup (const char *name);
const AlgerNodeKind *const *alger_node_kind_list (guint *n_kinds);

G_END_DECLS
