/* alger-nodes-private.h: helpers shared by the node kinds
 *
 * Python-compatible parameter conversion (int(), float()), JSON to value,
 * and the common input checks of the image-like kinds.
 */
#pragma once

#include "alger-node.h"

G_BEGIN_DECLS

extern const AlgerNodeKind alger_node_kind_identity;
extern const AlgerNodeKind alger_node_kind_dataset;
extern const AlgerNodeKind alger_node_kind_concat;
extern const AlgerNodeKind alger_node_kind_segmentation;
extern const AlgerNodeKind alger_node_kind_filter;
extern const AlgerNodeKind alger_node_kind_descriptor;
extern const AlgerNodeKind alger_node_kind_simulation;
extern const AlgerNodeKind alger_node_kind_figure;
extern const AlgerNodeKind alger_node_kind_text;

/* the python type name of a json node ("int", "float", "str", "list", ...) */
const char *alger_json_python_type (JsonNode *node);

/* python int(x): little-endian 32-bit words of |x| (at least one word, no
 * leading zero words), sign in *negative.  errors: ALGER_ERROR_VALUE/TYPE/
 * OVERFLOW with python's message. */
GArray *alger_py_int_from_json (JsonNode *node, gboolean *negative, GError **error);

/* python int(x) clamped into [lo, hi] (for parameters like steps) */
gboolean alger_py_int_clamped (JsonNode *node, gint64 lo, gint64 hi, gint64 *out,
                               GError **error);

/* python float(x), messages included */
gboolean alger_py_float_from_json (JsonNode *node, double *out, GError **error);

/* a json node as a value (ints stay ints, objects keep member order) */
AlgerValue *alger_value_from_json_node (JsonNode *node);

/* the value of a member, or NULL when missing (a json null is returned) */
JsonNode *alger_params_get (JsonObject *params, const char *name);

/* checks of the image-like kinds: "<kind> expects a numpy array" and
 * "<kind> expects an array shaped (C, Y, X)" */
gboolean alger_node_check_array (const char *kind, AlgerValue *input, gboolean need_3d,
                                 GError **error);

/* the (C, Y, X) shape of an image-like input: 2-D arrays gain a channel
 * axis, anything else fails as the original did */
gboolean alger_node_get_cyx (const char *kind, AlgerValue *input, gsize shape[3],
                             GError **error);

/* the elements as float32: the array's own data, or a converted copy
 * stored in *owned (uint8 input, as np.asarray(x, dtype=np.float32)) */
const float *alger_node_f32_data (AlgerValue *input, float **owned, GError **error);

/* float32 view of an array element (uint8 arrays are widened) */
static inline float
alger_array_get_f32 (gconstpointer data, AlgerDType dtype, gsize i)
{
  if (dtype == ALGER_DTYPE_UINT8)
    return (float) ((const guint8 *) data)[i];
  return ((const float *) data)[i];
}

G_END_DECLS
