/* alger-value.h: what flows between pipeline nodes
 *
 * A value is immutable once handed to another node and reference counted
 * (atomically: values cross threads), so a large array is shared, never
 * copied, when several nodes read it.  Pure: no I/O.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ALGER_VALUE_NONE,
  ALGER_VALUE_BOOL,
  ALGER_VALUE_INT,
  ALGER_VALUE_FLOAT,
  ALGER_VALUE_STRING,
  ALGER_VALUE_ARRAY,
  ALGER_VALUE_DICT,
  ALGER_VALUE_LIST,
} AlgerValueKind;

typedef enum {
  ALGER_DTYPE_FLOAT32,
  ALGER_DTYPE_UINT8,
} AlgerDType;

#define ALGER_VALUE_MAX_NDIM 32

typedef struct _AlgerValue AlgerValue;

AlgerValue *alger_value_ref (AlgerValue *value);
void alger_value_unref (AlgerValue *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerValue, alger_value_unref)

AlgerValueKind alger_value_get_kind (const AlgerValue *value);

/* scalars and strings */
AlgerValue *alger_value_new_none (void);
AlgerValue *alger_value_new_bool (gboolean b);
AlgerValue *alger_value_new_int (gint64 i);
AlgerValue *alger_value_new_float (double d);
/* from_text: the string was made by a `text` node (kept through identity) */
AlgerValue *alger_value_new_string (const char *s, gboolean from_text);
AlgerValue *alger_value_new_string_take (char *s, gboolean from_text);
gboolean alger_value_get_bool (const AlgerValue *value);
gint64 alger_value_get_int (const AlgerValue *value);
double alger_value_get_float (const AlgerValue *value);
const char *alger_value_get_string (const AlgerValue *value);
gboolean alger_value_string_is_from_text (const AlgerValue *value);

/* n-dimensional C-order arrays; the data is zero-filled on creation and may be
 * written only by the node that created it, before it returns the value.
 * Returns NULL (no allocation) when the element count overflows gsize or
 * the allocation fails. */
AlgerValue *alger_value_new_array (AlgerDType dtype, guint ndim, const gsize *shape);
/* the same, but the data is left uninitialised: for a node that writes
 * every element before returning (saves clearing reused memory) */
AlgerValue *alger_value_new_array_uninit (AlgerDType dtype, guint ndim, const gsize *shape);
AlgerDType alger_value_array_get_dtype (const AlgerValue *value);
guint alger_value_array_get_ndim (const AlgerValue *value);
const gsize *alger_value_array_get_shape (const AlgerValue *value);
gsize alger_value_array_get_n_elements (const AlgerValue *value);
gpointer alger_value_array_get_data (AlgerValue *value);
gconstpointer alger_value_array_peek_data (const AlgerValue *value);
const char *alger_dtype_to_string (AlgerDType dtype); /* "float32", "uint8" */
gsize alger_dtype_get_size (AlgerDType dtype);

/* dicts keep insertion order; setting an existing key replaces its value in place */
AlgerValue *alger_value_new_dict (void);
void alger_value_dict_set (AlgerValue *dict, const char *key, AlgerValue *value /* transfer full */);
AlgerValue *alger_value_dict_get (const AlgerValue *dict, const char *key); /* transfer none */
guint alger_value_dict_get_size (const AlgerValue *dict);
const char *alger_value_dict_get_key (const AlgerValue *dict, guint index);
AlgerValue *alger_value_dict_get_value (const AlgerValue *dict, guint index); /* transfer none */

/* lists */
AlgerValue *alger_value_new_list (void);
void alger_value_list_append (AlgerValue *list, AlgerValue *value /* transfer full */);
guint alger_value_list_get_length (const AlgerValue *list);
AlgerValue *alger_value_list_get (const AlgerValue *list, guint index); /* transfer none */

/* Python-compatible names, as the original's messages use them */
const char *alger_value_kind_to_python (AlgerValueKind kind); /* "NoneType", "bool", "int", "float", "str", "ndarray", "dict", "list" */

G_END_DECLS
