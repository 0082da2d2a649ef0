/* alger-value.c: the reference-counted value that flows between nodes
 *
 * Scalars, strings, n-d arrays (64-byte aligned, zero-filled), ordered dicts
 * and lists.  The refcount is atomic because values cross worker threads;
 * everything else is immutable once shared, so no locks are needed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "alger-value.h"

#define ALGER_ARRAY_ALIGN 64
#define ALGER_ARRAY_MMAP_MIN ((gsize) 4 << 20)
#define ALGER_ARRAY_HUGE_ALIGN ((gsize) 2 << 20)

struct _AlgerValue {
  gint ref_count;
  AlgerValueKind kind;
  union {
    gboolean b;
    gint64 i;
    double d;
    struct {
      char *s;
      gboolean from_text;
    } str;
    struct {
      AlgerDType dtype;
      guint ndim;
      gsize n_elements;
      gsize shape[ALGER_VALUE_MAX_NDIM];
      gpointer block; /* what calloc (or mmap) returned */
      gsize mapped;   /* bytes mapped with mmap, 0 when block came from calloc */
      gpointer data;  /* block rounded up to the alignment */
    } arr;
    struct {
      GPtrArray *keys;   /* char* */
      GPtrArray *values; /* AlgerValue* */
    } dict;
    GPtrArray *list;
  };
};

static AlgerValue *
alger_value_alloc (AlgerValueKind kind)
{
  AlgerValue *value = g_new0 (AlgerValue, 1);
  value->ref_count = 1;
  value->kind = kind;
  return value;
}

AlgerValue *
alger_value_ref (AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_atomic_int_inc (&value->ref_count);
  return value;
}

void
alger_value_unref (AlgerValue *value)
{
  g_return_if_fail (value != NULL);
  if (!g_atomic_int_dec_and_test (&value->ref_count))
    return;
  switch (value->kind) {
  case ALGER_VALUE_STRING:
    g_free (value->str.s);
    break;
  case ALGER_VALUE_ARRAY:
#if defined(__linux__)
    if (value->arr.mapped > 0)
      munmap (value->arr.block, value->arr.mapped);
    else
#endif
      free (value->arr.block);
    break;
  case ALGER_VALUE_DICT:
    g_ptr_array_unref (value->dict.keys);
    g_ptr_array_unref (value->dict.values);
    break;
  case ALGER_VALUE_LIST:
    g_ptr_array_unref (value->list);
    break;
  case ALGER_VALUE_NONE:
  case ALGER_VALUE_BOOL:
  case ALGER_VALUE_INT:
  case ALGER_VALUE_FLOAT:
  default:
    break;
  }
  g_free (value);
}

AlgerValueKind
alger_value_get_kind (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, ALGER_VALUE_NONE);
  return value->kind;
}

AlgerValue *
alger_value_new_none (void)
{
  return alger_value_alloc (ALGER_VALUE_NONE);
}

AlgerValue *
alger_value_new_bool (gboolean b)
{
  AlgerValue *value = alger_value_alloc (ALGER_VALUE_BOOL);
  value->b = b ? TRUE : FALSE;
  return value;
}

AlgerValue *
alger_value_new_int (gint64 i)
{
  AlgerValue *value = alger_value_alloc (ALGER_VALUE_INT);
  value->i = i;
  return value;
}

AlgerValue *
alger_value_new_float (double d)
{
  AlgerValue *value = alger_value_alloc (ALGER_VALUE_FLOAT);
  value->d = d;
  return value;
}

AlgerValue *
alger_value_new_string (const char *s, gboolean from_text)
{
  g_return_val_if_fail (s != NULL, NULL);
  return alger_value_new_string_take (g_strdup (s), from_text);
}

AlgerValue *
alger_value_new_string_take (char *s, gboolean from_text)
{
  AlgerValue *value = NULL;

  g_return_val_if_fail (s != NULL, NULL);
  value = alger_value_alloc (ALGER_VALUE_STRING);
  value->str.s = s;
  value->str.from_text = from_text ? TRUE : FALSE;
  return value;
}

gboolean
alger_value_get_bool (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (value->kind == ALGER_VALUE_BOOL, FALSE);
  return value->b;
}

gint64
alger_value_get_int (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, 0);
  /* python bools are ints */
  if (value->kind == ALGER_VALUE_BOOL)
    return value->b ? 1 : 0;
  g_return_val_if_fail (value->kind == ALGER_VALUE_INT, 0);
  return value->i;
}

double
alger_value_get_float (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, 0.0);
  /* numbers widen as in python */
  if (value->kind == ALGER_VALUE_INT)
    return (double) value->i;
  if (value->kind == ALGER_VALUE_BOOL)
    return value->b ? 1.0 : 0.0;
  g_return_val_if_fail (value->kind == ALGER_VALUE_FLOAT, 0.0);
  return value->d;
}

const char *
alger_value_get_string (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == ALGER_VALUE_STRING, NULL);
  return value->str.s;
}

gboolean
alger_value_string_is_from_text (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (value->kind == ALGER_VALUE_STRING, FALSE);
  return value->str.from_text;
}

/* arrays */

gsize
alger_dtype_get_size (AlgerDType dtype)
{
  switch (dtype) {
  case ALGER_DTYPE_FLOAT32:
    return 4;
  case ALGER_DTYPE_UINT8:
    return 1;
  default:
    g_return_val_if_reached (1);
  }
}

const char *
alger_dtype_to_string (AlgerDType dtype)
{
  switch (dtype) {
  case ALGER_DTYPE_FLOAT32:
    return "float32";
  case ALGER_DTYPE_UINT8:
    return "uint8";
  default:
    g_return_val_if_reached ("unknown");
  }
}

static AlgerValue *
new_array (AlgerDType dtype, guint ndim, const gsize *shape, gboolean zero)
{
  AlgerValue *value = NULL;
  gsize n = 1;
  gsize nbytes = 0;
  gsize padded = 0;
  gpointer block = NULL;
  guintptr addr;

  g_return_val_if_fail (ndim <= ALGER_VALUE_MAX_NDIM, NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);

  for (guint i = 0; i < ndim; i++) {
    if (!g_size_checked_mul (&n, n, shape[i]))
      return NULL;
  }
  if (!g_size_checked_mul (&nbytes, n, alger_dtype_get_size (dtype)))
    return NULL;
  if (!g_size_checked_add (&padded, nbytes, ALGER_ARRAY_ALIGN))
    return NULL;

#if defined(__linux__) && defined(MADV_HUGEPAGE)
  /* large arrays get their own mapping, aligned for transparent huge pages:
   * fresh zero pages, a few faults instead of one per 4 KiB, and no memset
   * (glibc's calloc clears reused heap memory once its mmap threshold has
   * grown past the size, which it does after the first large free) */
  if (padded >= ALGER_ARRAY_MMAP_MIN) {
    gsize map_len = 0;
    gpointer map = NULL;

    if (g_size_checked_add (&map_len, padded, ALGER_ARRAY_HUGE_ALIGN) &&
        (map = mmap (NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                     0)) != MAP_FAILED) {
      guintptr start = ((guintptr) map + ALGER_ARRAY_HUGE_ALIGN - 1) &
                       ~((guintptr) ALGER_ARRAY_HUGE_ALIGN - 1);
      madvise ((gpointer) start, padded, MADV_HUGEPAGE);
      value = alger_value_alloc (ALGER_VALUE_ARRAY);
      value->arr.dtype = dtype;
      value->arr.ndim = ndim;
      value->arr.n_elements = n;
      for (guint i = 0; i < ndim; i++)
        value->arr.shape[i] = shape[i];
      value->arr.block = map;
      value->arr.mapped = map_len;
      value->arr.data = (gpointer) start;
      return value;
    }
  }
#endif
  /* calloc, not posix_memalign+memset: large blocks come zeroed from mmap
   * without touching every page */
  block = zero ? calloc (1, padded) : malloc (padded);
  if (block == NULL)
    return NULL;

  value = alger_value_alloc (ALGER_VALUE_ARRAY);
  value->arr.dtype = dtype;
  value->arr.ndim = ndim;
  value->arr.n_elements = n;
  for (guint i = 0; i < ndim; i++)
    value->arr.shape[i] = shape[i];
  value->arr.block = block;
  addr = ((guintptr) block + ALGER_ARRAY_ALIGN - 1) & ~((guintptr) ALGER_ARRAY_ALIGN - 1);
  value->arr.data = (gpointer) addr;
  return value;
}

AlgerValue *
alger_value_new_array (AlgerDType dtype, guint ndim, const gsize *shape)
{
  return new_array (dtype, ndim, shape, TRUE);
}

AlgerValue *
alger_value_new_array_uninit (AlgerDType dtype, guint ndim, const gsize *shape)
{
  return new_array (dtype, ndim, shape, FALSE);
}

AlgerDType
alger_value_array_get_dtype (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, ALGER_DTYPE_FLOAT32);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, ALGER_DTYPE_FLOAT32);
  return value->arr.dtype;
}

guint
alger_value_array_get_ndim (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, 0);
  return value->arr.ndim;
}

const gsize *
alger_value_array_get_shape (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, NULL);
  return value->arr.shape;
}

gsize
alger_value_array_get_n_elements (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, 0);
  return value->arr.n_elements;
}

gpointer
alger_value_array_get_data (AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, NULL);
  return value->arr.data;
}

gconstpointer
alger_value_array_peek_data (const AlgerValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == ALGER_VALUE_ARRAY, NULL);
  return value->arr.data;
}

/* dicts */

AlgerValue *
alger_value_new_dict (void)
{
  AlgerValue *value = alger_value_alloc (ALGER_VALUE_DICT);
  value->dict.keys = g_ptr_array_new_with_free_func (g_free);
  value->dict.values = g_ptr_array_new_with_free_func ((GDestroyNotify) alger_value_unref);
  return value;
}

static gint
alger_value_dict_find (const AlgerValue *dict, const char *key)
{
  /* dicts here are small (a handful of keys), a linear scan is fastest */
  for (guint i = 0; i < dict->dict.keys->len; i++) {
    if (g_strcmp0 (g_ptr_array_index (dict->dict.keys, i), key) == 0)
      return (gint) i;
  }
  return -1;
}

void
alger_value_dict_set (AlgerValue *dict, const char *key, AlgerValue *value)
{
  gint idx;

  g_return_if_fail (dict != NULL);
  g_return_if_fail (dict->kind == ALGER_VALUE_DICT);
  g_return_if_fail (key != NULL);
  g_return_if_fail (value != NULL);

  idx = alger_value_dict_find (dict, key);
  if (idx >= 0) {
    alger_value_unref (g_ptr_array_index (dict->dict.values, idx));
    g_ptr_array_index (dict->dict.values, idx) = value;
    return;
  }
  g_ptr_array_add (dict->dict.keys, g_strdup (key));
  g_ptr_array_add (dict->dict.values, value);
}

AlgerValue *
alger_value_dict_get (const AlgerValue *dict, const char *key)
{
  gint idx;

  g_return_val_if_fail (dict != NULL, NULL);
  g_return_val_if_fail (dict->kind == ALGER_VALUE_DICT, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  idx = alger_value_dict_find (dict, key);
  return idx >= 0 ? g_ptr_array_index (dict->dict.values, idx) : NULL;
}

guint
alger_value_dict_get_size (const AlgerValue *dict)
{
  g_return_val_if_fail (dict != NULL, 0);
  g_return_val_if_fail (dict->kind == ALGER_VALUE_DICT, 0);
  return dict->dict.keys->len;
}

const char *
alger_value_dict_get_key (const AlgerValue *dict, guint index)
{
  g_return_val_if_fail (dict != NULL, NULL);
  g_return_val_if_fail (dict->kind == ALGER_VALUE_DICT, NULL);
  g_return_val_if_fail (index < dict->dict.keys->len, NULL);
  return g_ptr_array_index (dict->dict.keys, index);
}

AlgerValue *
alger_value_dict_get_value (const AlgerValue *dict, guint index)
{
  g_return_val_if_fail (dict != NULL, NULL);
  g_return_val_if_fail (dict->kind == ALGER_VALUE_DICT, NULL);
  g_return_val_if_fail (index < dict->dict.values->len, NULL);
  return g_ptr_array_index (dict->dict.values, index);
}

/* lists */

AlgerValue *
alger_value_new_list (void)
{
  AlgerValue *value = alger_value_alloc (ALGER_VALUE_LIST);
  value->list = g_ptr_array_new_with_free_func ((GDestroyNotify) alger_value_unref);
  return value;
}

void
alger_value_list_append (AlgerValue *list, AlgerValue *value)
{
  g_return_if_fail (list != NULL);
  g_return_if_fail (list->kind == ALGER_VALUE_LIST);
  g_return_if_fail (value != NULL);
  g_ptr_array_add (list->list, value);
}

guint
alger_value_list_get_length (const AlgerValue *list)
{
  g_return_val_if_fail (list != NULL, 0);
  g_return_val_if_fail (list->kind == ALGER_VALUE_LIST, 0);
  return list->list->len;
}

AlgerValue *
alger_value_list_get (const AlgerValue *list, guint index)
{
  g_return_val_if_fail (list != NULL, NULL);
  g_return_val_if_fail (list->kind == ALGER_VALUE_LIST, NULL);
  g_return_val_if_fail (index < list->list->len, NULL);
  return g_ptr_array_index (list->list, index);
}

const char *
alger_value_kind_to_python (AlgerValueKind kind)
{
  switch (kind) {
  case ALGER_VALUE_NONE:
    return "NoneType";
  case ALGER_VALUE_BOOL:
    return "bool";
  case ALGER_VALUE_INT:
    return "int";
  case ALGER_VALUE_FLOAT:
    return "float";
  case ALGER_VALUE_STRING:
    return "str";
  case ALGER_VALUE_ARRAY:
    return "ndarray";
  case ALGER_VALUE_DICT:
    return "dict";
  case ALGER_VALUE_LIST:
    return "list";
  default:
    return "object";
  }
}
