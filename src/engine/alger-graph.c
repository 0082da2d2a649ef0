/* alger-graph.c: graph reading, validation and Kahn/DFS order
 *
 * Everything here is iterative and O(V+E): graphs of 100,000 nodes or a
 * 5,000-deep chain must not overflow the stack of a worker thread.
 */
#define G_LOG_DOMAIN "alger-graph"

#include "config.h"

#include "alger-graph.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "alger-describe.h"
#include "alger-json-text.h"
#include "alger-error.h"

typedef struct {
  const char *id;        /* in the graph's block, or graph->strings */
  gsize id_len;
  const char *kind_name; /* nullable; the registered kind's name, or a copy (as id) */
  const AlgerNodeKind *kind;
  JsonObject *params;    /* NULL: the shared empty object */
  gboolean track;
} AlgerGraphNode;

/* open addressing, linear probing, power-of-two size (at least 2n slots) */
typedef struct {
  guint32 hash;
  guint32 index1; /* node index + 1; 0 = empty */
} IndexSlot;

struct _AlgerGraph {
  gatomicrefcount ref_count;
  AlgerGraphNode *nodes;
  guint n_nodes;
  /* one block for every array below (and the reading's scratch arrays),
   * carved in order; sized up front from the node and edge counts */
  guint8 *block;
  gsize block_size;
  gsize block_used;
  char *text_next;       /* room for ids and unknown kind names in the block */
  char *text_end;
  GStringChunk *strings; /* the ones that did not fit; NULL until needed */
  IndexSlot *slots;      /* id -> index */
  guint32 slot_mask;
  JsonObject *empty_params;

  /* first edge naming an unknown node (validation step 1), else NULL */
  char *missing_src;
  char *missing_tgt;

  /* deduplicated adjacency in CSR form, in edge order */
  guint *pred_off; /* n_nodes + 1 */
  guint *preds;
  const char **pred_ids; /* per node: its preds' ids then NULL, at pred_off[i] + i;
                          * built on first use (only node reports need it) */
  guint *succ_off;
  guint *succs;
};

/* ---- the graph's block ---------------------------------------------------
 *
 * Reading a graph of n nodes and e edges needs a dozen arrays of n or e
 * elements.  They come from one block, and the block of a freed graph is
 * kept (one, up to SPARE_MAX bytes) for the next graph: a server or a tool
 * reading graphs of similar sizes then writes to pages it already has,
 * instead of the allocator handing back fresh ones (a page fault each:
 * ≈0.9 ms of a 10,000-node chain's ≈3 ms here).  Not under AddressSanitizer,
 * which should see every array freed. */

#define SPARE_MAX ((gsize) 32 << 20)
#define ALIGN16(x) (((gsize) (x) + 15) & ~(gsize) 15)

#if defined(__SANITIZE_ADDRESS__)
#define KEEP_SPARE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_SPARE 0
#endif
#endif
#ifndef KEEP_SPARE
#define KEEP_SPARE 1
#endif

G_LOCK_DEFINE_STATIC (spare);
static guint8 *spare_block;
static gsize spare_size;

/* a block of at least @size bytes (its size in @got) */
static guint8 *
block_get (gsize size, gsize *got)
{
  guint8 *block = NULL;

  if (KEEP_SPARE) {
    G_LOCK (spare);
    /* not a big spare for a small graph: it would stay pinned meanwhile */
    if (spare_block != NULL && spare_size >= size && spare_size / 4 <= size + (1 << 20)) {
      block = spare_block;
      *got = spare_size;
      spare_block = NULL;
      spare_size = 0;
    }
    G_UNLOCK (spare);
  }
  if (block == NULL) {
    block = g_malloc (size);
    *got = size;
  }
  return block;
}

static void
block_put (guint8 *block, gsize size)
{
  if (KEEP_SPARE && size <= SPARE_MAX) {
    G_LOCK (spare);
    /* keep the larger of the two */
    if (spare_size < size) {
      guint8 *tmp = spare_block;
      spare_block = block;
      spare_size = size;
      block = tmp;
    }
    G_UNLOCK (spare);
  }
  g_free (block);
}

#if defined(__GNUC__)
__attribute__ ((destructor)) static void
spare_free_at_exit (void)
{
  g_free (spare_block);
  spare_block = NULL;
}
#endif

/* @size bytes of the block, 16-aligned, zeroed when @zero; the block was
 * sized for everything a reading asks for (see graph_alloc) */
static gpointer
graph_mem (AlgerGraph *graph, gsize size, gboolean zero)
{
  gpointer p = NULL;

  size = ALIGN16 (MAX (size, 1));
  g_assert (size <= graph->block_size - graph->block_used);
  p = graph->block + graph->block_used;
  graph->block_used += size;
  if (zero)
    memset (p, 0, size);
  return p;
}

#define graph_new(graph, type, n) ((type *) graph_mem ((graph), sizeof (type) * (gsize) (n), FALSE))
#define graph_new0(graph, type, n) ((type *) graph_mem ((graph), sizeof (type) * (gsize) (n), TRUE))

/* a NUL-terminated copy of @s (@len bytes) kept by the graph */
static const char *
graph_strdup (AlgerGraph *graph, const char *s, gsize len)
{
  char *out = graph->text_next;

  if (len < (gsize) (graph->text_end - out)) {
    memcpy (out, s, len);
    out[len] = '\0';
    graph->text_next = out + len + 1;
    return out;
  }
  if (graph->strings == NULL)
    graph->strings = g_string_chunk_new (MAX (1024, MIN (len + 1, (gsize) 1 << 20)));
  return g_string_chunk_insert_len (graph->strings, s, (gssize) len);
}

static void
alger_graph_free (AlgerGraph *graph)
{
  for (guint i = 0; i < graph->n_nodes; i++)
    g_clear_pointer (&graph->nodes[i].params, json_object_unref);
  g_clear_pointer (&graph->strings, g_string_chunk_free);
  g_clear_pointer (&graph->empty_params, json_object_unref);
  g_free (graph->missing_src);
  g_free (graph->missing_tgt);
  g_free (graph->pred_ids);
  if (graph->block != NULL)
    block_put (graph->block, graph->block_size);
  g_free (graph);
}

AlgerGraph *
alger_graph_ref (AlgerGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_atomic_ref_count_inc (&graph->ref_count);
  return graph;
}

void
alger_graph_unref (AlgerGraph *graph)
{
  g_return_if_fail (graph != NULL);
  if (g_atomic_ref_count_dec (&graph->ref_count))
    alger_graph_free (graph);
}

#define ALGER_GRAPH_TEXT_MAX_DEPTH ALGER_JSON_MAX_DEPTH

/* FNV-1a: ids are short, and this needs no NUL terminator */
static inline guint32
id_hash (const char *s, gsize len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) s[i]) * 16777619u;
  return h;
}

static guint32
index_size (guint n_nodes)
{
  guint32 size = 16;

  while (size < 2 * (guint64) n_nodes)
    size <<= 1;
  return size;
}

static void
index_init (AlgerGraph *graph, guint n_nodes)
{
  guint32 size = index_size (n_nodes);

  graph->slots = graph_new0 (graph, IndexSlot, size);
  graph->slot_mask = size - 1;
}

/* the index of the node with this id, or -1 */
static gint
index_find (const AlgerGraph *graph, const char *s, gsize len)
{
  guint32 h = id_hash (s, len);

  if (graph->slots == NULL)
    return -1;
  for (guint32 k = h & graph->slot_mask;; k = (k + 1) & graph->slot_mask) {
    const IndexSlot *slot = &graph->slots[k];
    const AlgerGraphNode *node = NULL;

    if (slot->index1 == 0)
      return -1;
    node = &graph->nodes[slot->index1 - 1];
    if (slot->hash == h && node->id_len == len && memcmp (node->id, s, len) == 0)
      return (gint) slot->index1 - 1;
  }
}

/* index_find, trying node @hint first (ids are unique, so a match is the
 * answer): edges mostly name the node of the edge before or the next one */
static inline gint
index_find_hinted (const AlgerGraph *graph, const char *s, gsize len, guint hint)
{
  if (hint < graph->n_nodes && graph->nodes[hint].id_len == len &&
      memcmp (graph->nodes[hint].id, s, len) == 0)
    return (gint) hint;
  return index_find (graph, s, len);
}

/* stores node @index's id; a repeated id is ALGER_ERROR_PIPELINE */
static gboolean
node_set_id (AlgerGraph *graph, guint index, const char *s, gsize len, GError **error)
{
  AlgerGraphNode *out = &graph->nodes[index];
  guint32 h = id_hash (s, len);

  out->id = graph_strdup (graph, s, len);
  out->id_len = len;
  for (guint32 k = h & graph->slot_mask;; k = (k + 1) & graph->slot_mask) {
    IndexSlot *slot = &graph->slots[k];
    const AlgerGraphNode *other = NULL;

    if (slot->index1 == 0) {
      slot->hash = h;
      slot->index1 = index + 1;
      return TRUE;
    }
    other = &graph->nodes[slot->index1 - 1];
    if (slot->hash == h && other->id_len == len && memcmp (other->id, s, len) == 0) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Duplicate node id '%s'.", out->id);
      return FALSE;
    }
  }
}

/* the kind named @name (python's `a or b`: the first non-empty candidate) */
static void
node_set_kind (AlgerGraph *graph, AlgerGraphNode *out, const char *name)
{
  out->kind = alger_node_kind_lookup (name);
  if (out->kind != NULL) {
    out->kind_name = out->kind->name;
  } else {
    out->kind_name = graph_strdup (graph, name, strlen (name));
  }
}

/* room kept in the block for ids (more go to a GStringChunk) */
static gsize
text_room (guint n_nodes)
{
  return MAX (1024, MIN ((gsize) n_nodes * 16, (gsize) 1 << 20));
}

/* everything graph_mem is asked for while reading n nodes and e edges: the
 * nodes, the index, the CSR arrays (at most e kept edges), the ids, and the
 * scratch of read_edges/tread_edges and build_adjacency */
static gsize
block_size_for (guint n, guint e)
{
  gsize n1 = (gsize) n + 1;
  gsize e1 = MAX ((gsize) e, 1);

  return ALIGN16 (sizeof (AlgerGraphNode) * MAX (n, 1)) +
         ALIGN16 (sizeof (IndexSlot) * index_size (n)) +
         2 * ALIGN16 (sizeof (guint) * n1) + 2 * ALIGN16 (sizeof (guint) * e1) +
         ALIGN16 (text_room (n)) +
         ALIGN16 (2 * sizeof (guint) * e1) +                          /* resolved ends */
         ALIGN16 (sizeof (guint) * e1) + ALIGN16 (sizeof (guint) * n1) + /* by_target, stamp */
         ALIGN16 (e1) + ALIGN16 (sizeof (guint) * n1);                 /* keep, fill */
}

static AlgerGraph *
graph_alloc (guint n_nodes, guint n_edges)
{
  AlgerGraph *graph = g_new0 (AlgerGraph, 1);

  g_atomic_ref_count_init (&graph->ref_count);
  graph->block = block_get (block_size_for (n_nodes, n_edges), &graph->block_size);
  graph->nodes = graph_new0 (graph, AlgerGraphNode, MAX (n_nodes, 1));
  index_init (graph, n_nodes);
  graph->text_next = graph_new (graph, char, text_room (n_nodes));
  graph->text_end = graph->text_next + text_room (n_nodes);
  graph->empty_params = json_object_new ();
  return graph;
}

static gboolean
check_limits (guint n_nodes, guint n_edges, guint max_nodes, GError **error)
{
  if (max_nodes > 0 && n_nodes > max_nodes) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                 "Graph has %u nodes; the limit is %u.", n_nodes, max_nodes);
    return FALSE;
  }
  if (max_nodes > 0 && n_edges > (guint64) max_nodes * ALGER_GRAPH_EDGES_PER_NODE) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT,
                 "Graph has %u edges; the limit is %" G_GUINT64_FORMAT ".", n_edges,
                 (guint64) max_nodes * ALGER_GRAPH_EDGES_PER_NODE);
    return FALSE;
  }
  return TRUE;
}

/* Python's str() of a JSON scalar, as the original converted ids; NULL for
 * null, objects and arrays.  Strings are returned as is (no copy): @buf
 * holds the text of other scalars. */
static const char *
scalar_to_string (JsonNode *node, char **buf)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node)) {
  case G_TYPE_STRING:
    return json_node_get_string (node);
  case G_TYPE_INT64:
    *buf = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    return *buf;
  case G_TYPE_DOUBLE:
    *buf = alger_describe_format_float (json_node_get_double (node));
    return *buf;
  case G_TYPE_BOOLEAN:
    return json_node_get_boolean (node) ? "True" : "False";
  default:
    return NULL;
  }
}

/* the members the engine reads, found in one pass over the object (a
 * hash lookup per candidate name costs more on large graphs) */
typedef struct {
  JsonNode *id;
  JsonNode *data;
  JsonNode *params;
  JsonNode *kind;
  JsonNode *type;
  JsonNode *track_output; /* trackOutput */
  JsonNode *track_output2; /* track_output */
  JsonNode *source;
  JsonNode *target;
} Members;

static void
scan_members (JsonObject *obj, Members *m)
{
  JsonObjectIter iter;
  const char *name = NULL;
  JsonNode *node = NULL;

  memset (m, 0, sizeof (*m));
  if (obj == NULL)
    return;
  json_object_iter_init_ordered (&iter, obj);
  while (json_object_iter_next_ordered (&iter, &name, &node)) {
    JsonNode **slot = NULL;

    if (JSON_NODE_HOLDS_NULL (node))
      continue;
    if (strcmp (name, "id") == 0)
      slot = &m->id;
    else if (strcmp (name, "data") == 0)
      slot = &m->data;
    else if (strcmp (name, "params") == 0)
      slot = &m->params;
    else if (strcmp (name, "kind") == 0)
      slot = &m->kind;
    else if (strcmp (name, "type") == 0)
      slot = &m->type;
    else if (strcmp (name, "trackOutput") == 0)
      slot = &m->track_output;
    else if (strcmp (name, "track_output") == 0)
      slot = &m->track_output2;
    else if (strcmp (name, "source") == 0)
      slot = &m->source;
    else if (strcmp (name, "target") == 0)
      slot = &m->target;
    if (slot != NULL)
      *slot = node;
  }
}

static JsonNode *
member_or_null (JsonObject *obj, const char *name)
{
  JsonNode *node = NULL;

  if (obj == NULL)
    return NULL;
  node = json_object_get_member (obj, name);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static void
read_kind (AlgerGraph *graph, AlgerGraphNode *out, const Members *data, const Members *node)
{
  JsonNode *cands[] = { data->kind, data->type, node->kind, node->type };

  /* python's `a or b or ...`: empty strings fall through */
  for (guint i = 0; i < G_N_ELEMENTS (cands); i++) {
    g_autofree char *buf = NULL;
    const char *s = scalar_to_string (cands[i], &buf);

    if (s == NULL || s[0] == '\0')
      continue;
    node_set_kind (graph, out, s);
    return;
  }
}

static gboolean
parse_flag (JsonNode *node)
{
  const char *yes[] = { "true", "1", "yes", "on" };
  const char *s = NULL;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node)) {
  case G_TYPE_BOOLEAN:
    return json_node_get_boolean (node);
  case G_TYPE_INT64:
    return json_node_get_int (node) != 0;
  case G_TYPE_DOUBLE:
    return json_node_get_double (node) != 0.0;
  case G_TYPE_STRING:
    s = json_node_get_string (node);
    for (guint i = 0; i < G_N_ELEMENTS (yes); i++) {
      if (g_ascii_strcasecmp (s, yes[i]) == 0)
        return TRUE;
    }
    /* false/0/no/off and anything unrecognised: never write files by accident */
    return FALSE;
  default:
    return FALSE;
  }
}

static gboolean
read_track (const Members *data, const Members *node)
{
  JsonNode *cands[] = {
    data->track_output, data->track_output2, node->track_output, node->track_output2,
  };

  for (guint i = 0; i < G_N_ELEMENTS (cands); i++) {
    if (cands[i] != NULL)
      return parse_flag (cands[i]);
  }
  return FALSE;
}

static gboolean
read_node (AlgerGraph *graph, guint index, JsonNode *jnode, GError **error)
{
  AlgerGraphNode *out = &graph->nodes[index];
  Members nm;
  Members dm;
  JsonNode *params = NULL;
  g_autofree char *buf = NULL;
  const char *id = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (jnode)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "Each node must be an object.");
    return FALSE;
  }
  scan_members (json_node_get_object (jnode), &nm);
  id = scalar_to_string (nm.id, &buf);
  if (id == NULL || id[0] == '\0') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "Each node must have a non-empty string 'id'.");
    return FALSE;
  }
  if (!node_set_id (graph, index, id, strlen (id), error))
    return FALSE;
  scan_members (nm.data != NULL && JSON_NODE_HOLDS_OBJECT (nm.data)
                  ? json_node_get_object (nm.data) : NULL, &dm);

  params = dm.params != NULL ? dm.params : nm.params;
  if (params != NULL && !JSON_NODE_HOLDS_OBJECT (params)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Node '%s' params must be a dict.", id);
    return FALSE;
  }
  /* nodes never modify params, so graphs without them share one empty object */
  if (params != NULL)
    out->params = json_object_ref (json_node_get_object (params));
  read_kind (graph, out, &dm, &nm);
  out->track = read_track (&dm, &nm);
  return TRUE;
}

static JsonArray *
get_array_member (JsonObject *obj, const char *name, GError **error)
{
  JsonNode *node = member_or_null (obj, name);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Graph '%s' must be a list.", name);
    return NULL;
  }
  return json_node_get_array (node);
}

/* Builds the deduplicated CSR adjacency from resolved edges (pairs src, tgt).
 * Edges are bucketed by target (stably, so edge order holds inside a bucket)
 * and a per-source stamp spots repeats: O(V+E), no hashing. */
static void
build_adjacency (AlgerGraph *graph, const guint *edges, guint n_edges)
{
  guint n = graph->n_nodes;
  /* scratch from the block too (gone with the graph) */
  guint *by_target = graph_new (graph, guint, MAX (n_edges, 1));
  guint *stamp = graph_new0 (graph, guint, n + 1);
  guint8 *keep = graph_new0 (graph, guint8, MAX (n_edges, 1));
  guint *fill = graph_new0 (graph, guint, n + 1);
  guint n_kept = 0;

  graph->pred_off = graph_new0 (graph, guint, n + 1);
  graph->succ_off = graph_new0 (graph, guint, n + 1);
  /* bucket edge indices by target, in edge order */
  for (guint e = 0; e < n_edges; e++)
    fill[edges[2 * e + 1] + 1]++;
  for (guint i = 0; i < n; i++)
    fill[i + 1] += fill[i];
  for (guint e = 0; e < n_edges; e++)
    by_target[fill[edges[2 * e + 1]]++] = e;
  /* fill[t] is now the end of t's bucket; walk the buckets in order */
  for (guint t = 0, k = 0; t < n; t++) {
    for (; k < fill[t]; k++) {
      guint e = by_target[k];
      guint s = edges[2 * e];

      if (stamp[s] == t + 1)
        continue;
      stamp[s] = t + 1;
      keep[e] = TRUE;
      n_kept++;
      graph->pred_off[t + 1]++;
      graph->succ_off[s + 1]++;
    }
  }
  for (guint i = 0; i < n; i++) {
    graph->pred_off[i + 1] += graph->pred_off[i];
    graph->succ_off[i + 1] += graph->succ_off[i];
  }
  graph->preds = graph_new (graph, guint, MAX (n_kept, 1));
  graph->succs = graph_new (graph, guint, MAX (n_kept, 1));
  memset (fill, 0, sizeof (guint) * (n + 1));
  for (guint e = 0; e < n_edges; e++) {
    guint s = edges[2 * e];
    guint t = edges[2 * e + 1];
    guint k = 0;

    if (!keep[e])
      continue;
    k = graph->pred_off[t] + fill[t]++;
    graph->preds[k] = s;
  }
  memset (fill, 0, sizeof (guint) * (n + 1));
  for (guint e = 0; e < n_edges; e++) {
    guint s = edges[2 * e];

    if (!keep[e])
      continue;
    graph->succs[graph->succ_off[s] + fill[s]++] = edges[2 * e + 1];
  }
}

static gboolean
read_edges (AlgerGraph *graph, JsonArray *edges, GError **error)
{
  guint n_edges = edges != NULL ? json_array_get_length (edges) : 0;
  guint *resolved = graph_new (graph, guint, 2 * (gsize) MAX (n_edges, 1));

  for (guint e = 0; e < n_edges; e++) {
    JsonNode *jedge = json_array_get_element (edges, e);
    g_autofree char *src_buf = NULL;
    g_autofree char *tgt_buf = NULL;
    const char *src = NULL;
    const char *tgt = NULL;
    Members em;
    gint s = -1;
    gint t = -1;

    scan_members (JSON_NODE_HOLDS_OBJECT (jedge) ? json_node_get_object (jedge) : NULL, &em);
    src = scalar_to_string (em.source, &src_buf);
    tgt = scalar_to_string (em.target, &tgt_buf);
    if (src == NULL || tgt == NULL || src[0] == '\0' || tgt[0] == '\0') {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "Each edge must include 'source' and 'target'.");
      return FALSE;
    }
    s = index_find (graph, src, strlen (src));
    t = index_find (graph, tgt, strlen (tgt));
    if ((s < 0 || t < 0) && graph->missing_src == NULL) {
      graph->missing_src = g_strdup (src);
      graph->missing_tgt = g_strdup (tgt);
    }
    resolved[2 * e] = (guint) s;
    resolved[2 * e + 1] = (guint) t;
  }
  /* adjacency only makes sense once every edge resolves */
  if (graph->missing_src == NULL)
    build_adjacency (graph, resolved, n_edges);
  return TRUE;
}

AlgerGraph *
alger_graph_new_from_json (JsonNode *root, guint max_nodes, GError **error)
{
  g_autoptr(AlgerGraph) graph = NULL;
  JsonObject *obj = NULL;
  JsonNode *pipeline = NULL;
  JsonArray *nodes = NULL;
  JsonArray *edges = NULL;
  GError *local_error = NULL;
  guint n_nodes = 0;
  guint n_edges = 0;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Graph must be an object.");
    return NULL;
  }
  obj = json_node_get_object (root);
  pipeline = member_or_null (obj, "pipeline");
  if (pipeline != NULL) {
    if (!JSON_NODE_HOLDS_OBJECT (pipeline)) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "Graph 'pipeline' must be an object.");
      return NULL;
    }
    obj = json_node_get_object (pipeline);
  }
  nodes = get_array_member (obj, "nodes", &local_error);
  if (local_error == NULL)
    edges = get_array_member (obj, "edges", &local_error);
  if (local_error != NULL) {
    g_propagate_error (error, local_error);
    return NULL;
  }
  n_nodes = nodes != NULL ? json_array_get_length (nodes) : 0;
  n_edges = edges != NULL ? json_array_get_length (edges) : 0;
  if (!check_limits (n_nodes, n_edges, max_nodes, error))
    return NULL;

  graph = graph_alloc (n_nodes, n_edges);
  for (guint i = 0; i < n_nodes; i++) {
    /* counted first, so a failed read still frees what it set */
    graph->n_nodes++;
    if (!read_node (graph, i, json_array_get_element (nodes, i), error))
      return NULL;
  }
  if (!read_edges (graph, edges, error))
    return NULL;
  return g_steal_pointer (&graph);
}

guint
alger_graph_get_n_nodes (const AlgerGraph *graph)
{
  g_return_val_if_fail (graph != NULL, 0);
  return graph->n_nodes;
}

gint
alger_graph_lookup (const AlgerGraph *graph, const char *node_id)
{
  g_return_val_if_fail (graph != NULL, -1);
  g_return_val_if_fail (node_id != NULL, -1);
  return index_find (graph, node_id, strlen (node_id));
}

const char *
alger_graph_get_node_id (const AlgerGraph *graph, guint index)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  return graph->nodes[index].id;
}

const char *
alger_graph_get_node_kind_name (const AlgerGraph *graph, guint index)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  return graph->nodes[index].kind_name;
}

const AlgerNodeKind *
alger_graph_get_node_kind (const AlgerGraph *graph, guint index)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  return graph->nodes[index].kind;
}

JsonObject *
alger_graph_get_node_params (const AlgerGraph *graph, guint index)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  return graph->nodes[index].params != NULL ? graph->nodes[index].params : graph->empty_params;
}

gboolean
alger_graph_get_node_track_flag (const AlgerGraph *graph, guint index)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, FALSE);
  return graph->nodes[index].track;
}

gboolean
alger_graph_node_is_tracked (const AlgerGraph *graph, guint index)
{
  const AlgerGraphNode *node = NULL;

  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, FALSE);
  node = &graph->nodes[index];
  return node->track || (node->kind != NULL && node->kind->always_tracked);
}

const guint *
alger_graph_get_predecessors (const AlgerGraph *graph, guint index, guint *n_preds)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  g_return_val_if_fail (n_preds != NULL, NULL);
  if (graph->pred_off == NULL) {
    *n_preds = 0;
    return NULL;
  }
  *n_preds = graph->pred_off[index + 1] - graph->pred_off[index];
  return graph->preds + graph->pred_off[index];
}

static const char **
build_pred_ids (const AlgerGraph *graph)
{
  guint n = graph->n_nodes;
  const char **ids = g_new (const char *, graph->pred_off[n] + n);

  for (guint t = 0; t < n; t++) {
    for (guint k = graph->pred_off[t]; k < graph->pred_off[t + 1]; k++)
      ids[k + t] = graph->nodes[graph->preds[k]].id;
    ids[graph->pred_off[t + 1] + t] = NULL;
  }
  return ids;
}

const char *const *
alger_graph_get_predecessor_ids (const AlgerGraph *graph, guint index)
{
  static const char *const empty[] = { NULL };
  AlgerGraph *mutable_graph = (AlgerGraph *) graph;
  const char **ids = NULL;

  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  if (graph->pred_off == NULL)
    return empty;
  /* a graph may be shared between threads: the first builder wins */
  ids = g_atomic_pointer_get (&mutable_graph->pred_ids);
  if (ids == NULL) {
    ids = build_pred_ids (graph);
    if (!g_atomic_pointer_compare_and_exchange (&mutable_graph->pred_ids, NULL, ids)) {
      g_free (ids);
      ids = g_atomic_pointer_get (&mutable_graph->pred_ids);
    }
  }
  return ids + graph->pred_off[index] + index;
}

const guint *
alger_graph_get_successors (const AlgerGraph *graph, guint index, guint *n_succs)
{
  g_return_val_if_fail (graph != NULL && index < graph->n_nodes, NULL);
  g_return_val_if_fail (n_succs != NULL, NULL);
  if (graph->succ_off == NULL) {
    *n_succs = 0;
    return NULL;
  }
  *n_succs = graph->succ_off[index + 1] - graph->succ_off[index];
  return graph->succs + graph->succ_off[index];
}

/* Python repr() of a str, as networkx's cycle list prints ids */
static void
append_python_repr (GString *out, const char *s)
{
  char quote = (strchr (s, '\'') != NULL && strchr (s, '"') == NULL) ? '"' : '\'';

  g_string_append_c (out, quote);
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
    if (*p == '\\' || *p == (guchar) quote)
      g_string_append_printf (out, "\\%c", *p);
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else if (*p == '\r')
      g_string_append (out, "\\r");
    else if (*p == '\t')
      g_string_append (out, "\\t");
    else if (*p < 0x20 || *p == 0x7f)
      g_string_append_printf (out, "\\x%02x", *p);
    else
      g_string_append_c (out, (char) *p);
  }
  g_string_append_c (out, quote);
}

/* Iterative three-colour DFS in input order, successors in edge order.
 * Returns the cycle as node indices (first == the node the back edge
 * reaches), or NULL when the graph is acyclic. */
static GArray *
find_cycle (const AlgerGraph *graph)
{
  guint n = graph->n_nodes;
  g_autofree guint8 *colour = g_new0 (guint8, MAX (n, 1)); /* 0 white, 1 grey, 2 black */
  g_autofree guint *stack = g_new (guint, MAX (n, 1));
  g_autofree guint *next = g_new0 (guint, MAX (n, 1));
  g_autofree guint *depth = g_new (guint, MAX (n, 1));

  for (guint root = 0; root < n; root++) {
    guint top = 0;

    if (colour[root] != 0)
      continue;
    stack[top++] = root;
    colour[root] = 1;
    depth[root] = 0;
    while (top > 0) {
      guint u = stack[top - 1];
      guint begin = graph->succ_off[u];
      guint end = graph->succ_off[u + 1];

      if (begin + next[u] < end) {
        guint v = graph->succs[begin + next[u]++];

        if (colour[v] == 1) {
          GArray *cycle = g_array_new (FALSE, FALSE, sizeof (guint));
          g_array_append_vals (cycle, stack + depth[v], top - depth[v]);
          return cycle;
        }
        if (colour[v] == 0) {
          colour[v] = 1;
          depth[v] = top;
          stack[top++] = v;
        }
      } else {
        colour[u] = 2;
        top--;
      }
    }
  }
  return NULL;
}

static gboolean
check_arity (const AlgerGraph *graph, guint i, GError **error)
{
  const AlgerGraphNode *node = &graph->nodes[i];
  gint64 n_in = graph->pred_off[i + 1] - graph->pred_off[i];

  if (node->kind_name == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Node '%s' is missing 'kind'.",
                 node->id);
    return FALSE;
  }
  if (node->kind == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Node '%s' has unknown kind '%s'.",
                 node->id, node->kind_name);
    return FALSE;
  }
  if (n_in < node->kind->min_inputs) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                 "Node '%s' (kind='%s') expects >= %d input(s); got %" G_GINT64_FORMAT ".",
                 node->id, node->kind_name, node->kind->min_inputs, n_in);
    return FALSE;
  }
  if (node->kind->max_inputs >= 0 && n_in > node->kind->max_inputs) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                 "Node '%s' (kind='%s') expects <= %d input(s); got %" G_GINT64_FORMAT ".",
                 node->id, node->kind_name, node->kind->max_inputs, n_in);
    return FALSE;
  }
  return TRUE;
}

gboolean
alger_graph_validate (const AlgerGraph *graph, const char *strategy, GError **error)
{
  g_autoptr(GArray) cycle = NULL;

  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (graph->missing_src != NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Edge refers to missing node: %s -> %s",
                 graph->missing_src, graph->missing_tgt);
    return FALSE;
  }
  cycle = find_cycle (graph);
  if (cycle != NULL) {
    g_autoptr(GString) msg = g_string_new ("Pipeline must be a DAG. Found cycle: [");

    for (guint k = 0; k < cycle->len; k++) {
      guint u = g_array_index (cycle, guint, k);
      guint v = g_array_index (cycle, guint, (k + 1) % cycle->len);

      g_string_append (msg, k > 0 ? ", (" : "(");
      append_python_repr (msg, graph->nodes[u].id);
      g_string_append (msg, ", ");
      append_python_repr (msg, graph->nodes[v].id);
      g_string_append (msg, ", 'forward')");
    }
    g_string_append_c (msg, ']');
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, msg->str);
    return FALSE;
  }
  for (guint i = 0; i < graph->n_nodes; i++) {
    if (!check_arity (graph, i, error))
      return FALSE;
  }
  if (graph->n_nodes == 0) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Graph is empty.");
    return FALSE;
  }
  if (alger_graph_strategy_label (strategy) == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Unknown execution strategy: %s",
                 strategy != NULL ? strategy : "None");
    return FALSE;
  }
  return TRUE;
}

const char *
alger_graph_strategy_label (const char *strategy)
{
  if (strategy == NULL || g_strcmp0 (strategy, ALGER_STRATEGY_KAHN) == 0)
    return "breadth-first topological (Kahn)";
  if (g_strcmp0 (strategy, ALGER_STRATEGY_DFS) == 0)
    return "depth-first topological (DFS postorder)";
  return NULL;
}

static GArray *
order_kahn (const AlgerGraph *graph)
{
  guint n = graph->n_nodes;
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  g_autofree guint *indeg = g_new (guint, n);
  guint *queue = NULL;
  guint head = 0;

  g_array_set_size (order, n);
  queue = (guint *) order->data; /* the FIFO's contents are the order itself */
  order->len = 0;
  for (guint i = 0; i < n; i++) {
    indeg[i] = graph->pred_off[i + 1] - graph->pred_off[i];
    if (indeg[i] == 0)
      queue[order->len++] = i;
  }
  while (head < order->len) {
    guint u = queue[head++];

    for (guint k = graph->succ_off[u]; k < graph->succ_off[u + 1]; k++) {
      guint v = graph->succs[k];
      if (--indeg[v] == 0)
        queue[order->len++] = v;
    }
  }
  return order;
}

static GArray *
order_dfs (const AlgerGraph *graph)
{
  guint n = graph->n_nodes;
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  g_autofree guint *stack = g_new (guint, n);
  g_autofree guint *next = g_new0 (guint, n);
  guint *post = NULL;
  guint n_post = 0;

  g_array_set_size (order, n);
  post = (guint *) order->data;
  /* sources first, then anything not reached, both in input order */
  for (guint pass = 0; pass < 2; pass++) {
    for (guint root = 0; root < n; root++) {
      guint top = 0;

      if (seen[root] || (pass == 0 && graph->pred_off[root + 1] != graph->pred_off[root]))
        continue;
      seen[root] = TRUE;
      stack[top++] = root;
      while (top > 0) {
        guint u = stack[top - 1];
        guint k = graph->succ_off[u] + next[u];

        if (k < graph->succ_off[u + 1]) {
          guint v = graph->succs[k];
          next[u]++;
          if (!seen[v]) {
            seen[v] = TRUE;
            stack[top++] = v;
          }
        } else {
          post[n_post++] = u;
          top--;
        }
      }
    }
  }
  for (guint i = 0; i < n / 2; i++) {
    guint tmp = post[i];
    post[i] = post[n - 1 - i];
    post[n - 1 - i] = tmp;
  }
  return order;
}

GArray *
alger_graph_get_order (const AlgerGraph *graph, const char *strategy, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);

  if (!alger_graph_validate (graph, strategy, error))
    return NULL;
  if (g_strcmp0 (strategy, ALGER_STRATEGY_DFS) == 0)
    return order_dfs (graph);
  return order_kahn (graph);
}

static GArray *
nodes_with_degree_zero (const AlgerGraph *graph, const guint *off)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < graph->n_nodes; i++) {
    if (off == NULL || off[i + 1] == off[i])
      g_array_append_val (out, i);
  }
  return out;
}

GArray *
alger_graph_get_sources (const AlgerGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  return nodes_with_degree_zero (graph, graph->pred_off);
}

GArray *
alger_graph_get_sinks (const AlgerGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  return nodes_with_degree_zero (graph, graph->succ_off);
}

/* ---- reading straight from JSON text ------------------------------------
 *
 * Two steps.  check_value() walks the whole text once with the wire
 * reader's rules (alger-json-text.c: RFC 8259 only, depth 512, no U+0000,
 * valid UTF-8), building nothing.  The text is then known to be well formed,
 * so the graph is read with cheap skipping: only ids, kinds, track flags,
 * edge ends and params objects (handed to the wire reader) are looked at.
 * The rules of reading are those of alger_graph_new_from_json. */

/* a member the reader wants: pipeline, nodes or edges (last one wins) */
typedef struct {
  const char *v; /* at the value; NULL when missing or null */
  guint count;   /* elements, when the value is an array */
} Cand;

typedef struct {
  const char *start;
  const char *p;
  const char *end;
  const char *reason;
  guint depth;
  gboolean in_pipeline; /* inside the value of the root's "pipeline" */
  Cand root[3];         /* the root's pipeline, nodes, edges */
  Cand pipe[3];         /* the same inside root.pipeline */
  GString *keybuf;
} Text;

static const char *const graph_keys[] = { "pipeline", "nodes", "edges" };

/* ends a plain run inside a string: '"', '\\', control bytes, >= 0x80 */
static inline gboolean
is_str_stop (guchar c)
{
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* ends a number or literal: whitespace, ',', ']', '}', ':' */
static inline gboolean
is_scalar_stop (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}' ||
         c == ':';
}

#if defined(__SSE2__)
#include <emmintrin.h>
#define STR_SCAN_SSE2 1
#endif

/* the first '"' or '\\' of [p, end), or @end (text already checked) */
static inline const char *
quote_or_backslash (const char *p, const char *end)
{
#ifdef STR_SCAN_SSE2
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i bslash = _mm_set1_epi8 ('\\');

  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128 ((const __m128i *) p);
    int mask = _mm_movemask_epi8 (_mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                                _mm_cmpeq_epi8 (v, bslash)));
    if (mask != 0)
      return p + __builtin_ctz ((unsigned) mask);
    p += 16;
  }
#endif
  while (p < end && *p != '"' && *p != '\\')
    p++;
  return p;
}

static gboolean
text_fail (Text *t, const char *p, const char *reason)
{
  if (t->reason == NULL) {
    t->reason = reason;
    t->p = p;
  }
  return FALSE;
}

static inline const char *
ws (const char *p, const char *end)
{
  /* JSON whitespace is all <= ' ': one test for the usual non-space byte */
  while (p < end && (guchar) *p <= ' ' &&
         (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (const char *p, gunichar *out)
{
  gunichar v = 0;

  for (int i = 0; i < 4; i++) {
    int h = hex_digit (p[i]);
    if (h < 0)
      return FALSE;
    v = (v << 4) | (gunichar) h;
  }
  *out = v;
  return TRUE;
}

/* t->p at the opening quote */
static gboolean
check_string_slow (Text *t)
{
  const guchar *p = (const guchar *) t->p + 1;
  const guchar *end = (const guchar *) t->end;
  const guchar *s = p;
  gboolean high = FALSE;

  for (;;) {
    p = alger_json_text_plain_end (p, end);
    if (p >= end)
      return text_fail (t, (const char *) p, "unterminated string");
    if (*p == '"')
      break;
    if (*p >= 0x80) {
      high = TRUE;
      p++;
      continue;
    }
    if (*p < 0x20)
      return text_fail (t, (const char *) p, "control character in string");
    /* an escape */
    if (++p >= end)
      break;
    switch (*p) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      p++;
      break;
    case 'u': {
      gunichar u = 0;
      if (end - p < 5)
        return text_fail (t, (const char *) p + 1, "truncated \\u escape");
      if (!read_hex4 ((const char *) p + 1, &u))
        return text_fail (t, (const char *) p + 1, "bad \\u escape");
      if (u == 0)
        return text_fail (t, (const char *) p + 5, "\\u0000 is not supported in strings");
      p += 5;
      break;
    }
    default:
      return text_fail (t, (const char *) p + 1, "bad escape in string");
    }
  }
  if (p >= end)
    return text_fail (t, (const char *) p, "unterminated string");
  if (high && !g_utf8_validate_len ((const char *) s, (gsize) (p - s), NULL))
    return text_fail (t, (const char *) s, "text is not valid UTF-8");
  t->p = (const char *) p + 1;
  return TRUE;
}

/* check_string_slow, with the usual case (a plain string ending within
 * sixteen bytes) inline */
static inline gboolean
check_string (Text *t)
{
#ifdef STR_SCAN_SSE2
  const guchar *p = (const guchar *) t->p + 1;

  if ((const guchar *) t->end - p >= 16) {
    const __m128i v = _mm_loadu_si128 ((const __m128i *) p);
    const __m128i hit =
      _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                  _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                    _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
    int mask = _mm_movemask_epi8 (hit);
    if (mask != 0 && p[__builtin_ctz ((unsigned) mask)] == '"') {
      t->p = (const char *) p + __builtin_ctz ((unsigned) mask) + 1;
      return TRUE;
    }
  }
#endif
  return check_string_slow (t);
}

static gboolean
check_number (Text *t)
{
  const char *p = t->p;
  const char *s = p;
  gboolean integral = TRUE;

  if (p < t->end && *p == '-')
    p++;
  if (p >= t->end || !g_ascii_isdigit (*p))
    return text_fail (t, p, "bad number");
  if (*p == '0')
    p++;
  else
    while (p < t->end && g_ascii_isdigit (*p))
      p++;
  if (p < t->end && *p == '.') {
    integral = FALSE;
    p++;
    if (p >= t->end || !g_ascii_isdigit (*p))
      return text_fail (t, p, "bad number");
    while (p < t->end && g_ascii_isdigit (*p))
      p++;
  }
  if (p < t->end && (*p == 'e' || *p == 'E')) {
    integral = FALSE;
    p++;
    if (p < t->end && (*p == '+' || *p == '-'))
      p++;
    if (p >= t->end || !g_ascii_isdigit (*p))
      return text_fail (t, p, "bad number");
    while (p < t->end && g_ascii_isdigit (*p))
      p++;
  }
  /* the wire reader refuses doubles that overflow; only long or
   * exponent forms can */
  if (!integral && (p - s > 300 || memchr (s, 'e', (gsize) (p - s)) != NULL ||
                    memchr (s, 'E', (gsize) (p - s)) != NULL)) {
    g_autofree char *num = g_strndup (s, (gsize) (p - s));
    if (!isfinite (g_ascii_strtod (num, NULL)))
      return text_fail (t, p, "number out of range");
  }
  t->p = p;
  return TRUE;
}

static gboolean
check_literal (Text *t, const char *lit, gsize len)
{
  if ((gsize) (t->end - t->p) < len || memcmp (t->p, lit, len) != 0)
    return text_fail (t, t->p, "unexpected character");
  t->p += len;
  return TRUE;
}

static const char *tval_string (const char *v, const char *end, GString *buf, gsize *len);

/* which of graph_keys the key at @k (its quote) is, or -1 */
static int
graph_key (Text *t, const char *k)
{
  gsize len = 0;
  const char *s = tval_string (k, t->end, t->keybuf, &len);

  for (int i = 0; i < 3; i++) {
    if (strlen (graph_keys[i]) == len && memcmp (s, graph_keys[i], len) == 0)
      return i;
  }
  return -1;
}

/* @count: where to store the element count of an array (or NULL) */
static gboolean
check_value (Text *t, guint *count)
{
  t->p = ws (t->p, t->end);
  if (t->p >= t->end)
    return text_fail (t, t->p, "unexpected end of text");
  switch (*t->p) {
  case '{':
  case '[': {
    char close = *t->p == '{' ? '}' : ']';
    gboolean is_obj = close == '}';

    if (++t->depth > ALGER_GRAPH_TEXT_MAX_DEPTH)
      return text_fail (t, t->p, "nested too deeply");
    t->p = ws (t->p + 1, t->end);
    if (count != NULL)
      *count = 0;
    if (is_obj)
      count = NULL; /* only arrays are counted, per element */
    if (t->p < t->end && *t->p == close) {
      t->p++;
      t->depth--;
      return TRUE;
    }
    for (;;) {
      int which = -1;

      if (is_obj) {
        const char *key = NULL;

        t->p = ws (t->p, t->end);
        if (t->p >= t->end || *t->p != '"')
          return text_fail (t, t->p, "expected a string key");
        key = t->p;
        if (!check_string (t))
          return FALSE;
        t->p = ws (t->p, t->end);
        if (t->p >= t->end || *t->p != ':')
          return text_fail (t, t->p, "expected ':'");
        t->p = ws (t->p + 1, t->end);
        /* remember the members the graph is read from */
        if (t->depth == 1 || (t->depth == 2 && t->in_pipeline))
          which = graph_key (t, key);
        if (which == 0 && t->depth == 1) {
          t->in_pipeline = TRUE;
          memset (t->pipe, 0, sizeof t->pipe);
        }
      }
      if (which >= 0) {
        Cand *cand = t->depth == 1 ? &t->root[which] : &t->pipe[which];
        cand->v = *t->p == 'n' ? NULL : t->p;
        cand->count = 0;
        if (!check_value (t, &cand->count))
          return FALSE;
        if (which == 0 && t->depth == 1)
          t->in_pipeline = FALSE;
      } else if (t->p < t->end && *t->p == '"') {
        if (!check_string (t)) /* the usual member value, without a call */
          return FALSE;
      } else if (!check_value (t, NULL)) {
        return FALSE;
      }
      if (count != NULL)
        (*count)++;
      t->p = ws (t->p, t->end);
      if (t->p < t->end && *t->p == ',') {
        t->p = ws (t->p + 1, t->end);
        continue;
      }
      if (t->p < t->end && *t->p == close) {
        t->p++;
        t->depth--;
        return TRUE;
      }
      return text_fail (t, t->p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  case '"':
    return check_string (t);
  case 't':
    return check_literal (t, "true", 4);
  case 'f':
    return check_literal (t, "false", 5);
  case 'n':
    return check_literal (t, "null", 4);
  default:
    if (*t->p == '-' || g_ascii_isdigit (*t->p))
      return check_number (t);
    return text_fail (t, t->p, "unexpected character");
  }
}

/* -- walking text already checked -- */

static inline const char *
skip_string (const char *p, const char *end)
{
  const char *q = p + 1;

  for (;;) {
    q = quote_or_backslash (q, end);
    if (*q == '"')
      return q + 1;
    q += 2;
  }
}

static const char *
skip_value (const char *p, const char *end)
{
  guint depth = 0;

  if (*p == '"')
    return skip_string (p, end);
  if (*p != '{' && *p != '[') {
    while (p < end && !is_scalar_stop ((guchar) *p))
      p++;
    return p;
  }
  do {
    char c = *p;
    if (c == '"') {
      p = skip_string (p, end);
      continue;
    }
    if (c == '{' || c == '[')
      depth++;
    else if (c == '}' || c == ']')
      depth--;
    p++;
  } while (depth > 0);
  return p;
}

/* a value's text: first byte tells its type */
typedef const char *TVal;

static inline gboolean
tval_is_null (TVal v)
{
  return v == NULL || *v == 'n';
}

/* unescape the string literal at @v (at its quote) into @out, as the wire
 * reader does (lone surrogates become U+FFFD) */
static void
unescape_string (TVal v, GString *out)
{
  const char *p = v + 1;

  g_string_truncate (out, 0);
  for (;;) {
    const char *run = p;
    while (*p != '"' && *p != '\\')
      p++;
    g_string_append_len (out, run, p - run);
    if (*p == '"')
      return;
    p++;
    switch (*p++) {
    case 'b': g_string_append_c (out, '\b'); break;
    case 'f': g_string_append_c (out, '\f'); break;
    case 'n': g_string_append_c (out, '\n'); break;
    case 'r': g_string_append_c (out, '\r'); break;
    case 't': g_string_append_c (out, '\t'); break;
    case 'u': {
      gunichar u = 0;
      read_hex4 (p, &u);
      p += 4;
      if (u >= 0xD800 && u <= 0xDBFF) {
        gunichar lo = 0;
        if (p[0] == '\\' && p[1] == 'u' && read_hex4 (p + 2, &lo) && lo >= 0xDC00 &&
            lo <= 0xDFFF) {
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        } else {
          u = 0xFFFD;
        }
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        u = 0xFFFD;
      }
      g_string_append_unichar (out, u);
      break;
    }
    default: /* '"', '\\', '/' */
      g_string_append_c (out, p[-1]);
      break;
    }
  }
}

/* a string value's content: borrowed from the text when it has no escape
 * (not NUL-terminated then), else unescaped into @buf */
static const char *
tval_string (TVal v, const char *end, GString *buf, gsize *len)
{
  const char *p = quote_or_backslash (v + 1, end);

  if (*p == '"') {
    *len = (gsize) (p - v - 1);
    return v + 1;
  }
  unescape_string (v, buf);
  *len = buf->len;
  return buf->str;
}

typedef enum { NUM_INT, NUM_DOUBLE } NumKind;

static NumKind
tval_number (TVal v, const char *end, gint64 *i, double *d)
{
  const char *e = skip_value (v, end);
  char tmp[64];
  g_autofree char *big = NULL;
  const char *num = tmp;
  gsize len = (gsize) (e - v);

  if (len < sizeof tmp) {
    memcpy (tmp, v, len);
    tmp[len] = '\0';
  } else {
    num = big = g_strndup (v, len);
  }
  if (strpbrk (num, ".eE") == NULL) {
    errno = 0;
    *i = g_ascii_strtoll (num, NULL, 10);
    if (errno != ERANGE)
      return NUM_INT;
  }
  *d = g_ascii_strtod (num, NULL);
  return NUM_DOUBLE;
}

/* scalar_to_string for text: NULL for null, objects and arrays */
static const char *
tval_to_string (TVal v, const char *end, GString *buf, gsize *len)
{
  gint64 i = 0;
  double d = 0;

  if (v == NULL)
    return NULL;
  switch (*v) {
  case '"':
    return tval_string (v, end, buf, len);
  case 't':
  case 'f':
    *len = *v == 't' ? 4 : 5;
    return *v == 't' ? "True" : "False";
  case 'n':
  case '{':
  case '[':
    return NULL;
  default:
    g_string_truncate (buf, 0);
    if (tval_number (v, end, &i, &d) == NUM_INT) {
      g_string_append_printf (buf, "%" G_GINT64_FORMAT, i);
    } else {
      g_autofree char *f = alger_describe_format_float (d);
      g_string_append (buf, f);
    }
    *len = buf->len;
    return buf->str;
  }
}

static gboolean
tval_flag (TVal v, const char *end, GString *buf)
{
  const char *yes[] = { "true", "1", "yes", "on" };
  gint64 i = 0;
  double d = 0;
  gsize len = 0;
  const char *s = NULL;

  switch (*v) {
  case 't':
    return TRUE;
  case 'f':
  case 'n':
  case '{':
  case '[':
    return FALSE;
  case '"':
    s = tval_string (v, end, buf, &len);
    for (guint k = 0; k < G_N_ELEMENTS (yes); k++) {
      if (len == strlen (yes[k]) && g_ascii_strncasecmp (s, yes[k], len) == 0)
        return TRUE;
    }
    return FALSE;
  default:
    return tval_number (v, end, &i, &d) == NUM_INT ? i != 0 : d != 0.0;
  }
}

typedef struct {
  TVal id, data, params, kind, type, track_output, track_output2, source, target;
} TMembers;

static inline gboolean
key_is (const char *k, gsize len, const char *name)
{
  return strlen (name) == len && memcmp (k, name, len) == 0;
}

/* the members the engine reads (the last of a repeated key wins; a null
 * value counts as missing); @obj at '{' or NULL.  Returns the end of the
 * object (NULL when @obj is not one).  With @data, the members of the
 * (last) "data" object are scanned into it on the way, as
 * tscan_members (m->data, ..., data, NULL) would. */
static const char *
tscan_members (TVal obj, const char *end, GString *keybuf, TMembers *m, TMembers *data)
{
  const char *p = NULL;

  memset (m, 0, sizeof (*m));
  if (data != NULL)
    memset (data, 0, sizeof (*data));
  if (obj == NULL || *obj != '{')
    return NULL;
  p = ws (obj + 1, end);
  while (*p != '}') {
    gsize klen = 0;
    const char *k = p + 1;
    const char *q = k;
    TVal v = NULL;
    TVal *slot = NULL;

    /* the key, read once: borrowed when it has no escape */
    q = quote_or_backslash (q, end);
    if (*q == '"') {
      klen = (gsize) (q - k);
      q++;
    } else {
      k = tval_string (p, end, keybuf, &klen);
      q = skip_string (p, end);
    }
    switch (klen > 0 ? k[0] : 0) {
    case 'i':
      if (key_is (k, klen, "id"))
        slot = &m->id;
      break;
    case 'd':
      if (key_is (k, klen, "data"))
        slot = &m->data;
      break;
    case 'p':
      if (key_is (k, klen, "params"))
        slot = &m->params;
      break;
    case 'k':
      if (key_is (k, klen, "kind"))
        slot = &m->kind;
      break;
    case 't':
      if (key_is (k, klen, "type"))
        slot = &m->type;
      else if (key_is (k, klen, "trackOutput"))
        slot = &m->track_output;
      else if (key_is (k, klen, "track_output"))
        slot = &m->track_output2;
      else if (key_is (k, klen, "target"))
        slot = &m->target;
      break;
    case 's':
      if (key_is (k, klen, "source"))
        slot = &m->source;
      break;
    default:
      break;
    }
    /* (@k may live in @keybuf: not used past here) */
    p = ws (q, end) + 1; /* ':' */
    v = ws (p, end);
    if (data != NULL && slot == &m->data) {
      if (*v == '{') {
        p = tscan_members (v, end, keybuf, data, NULL);
      } else {
        memset (data, 0, sizeof (*data));
        p = skip_value (v, end);
      }
    } else {
      p = skip_value (v, end);
    }
    p = ws (p, end);
    if (*p == ',')
      p = ws (p + 1, end);
    if (slot != NULL)
      *slot = tval_is_null (v) ? NULL : v;
  }
  return p + 1;
}

typedef struct {
  const char *end;
  GString *buf;
  GString *buf2;
  /* the last known kind looked up, by its text */
  const char *last_kind_text;
  gsize last_kind_len;
  const AlgerNodeKind *last_kind;
} TCtx;

/* @next: set to the end of the node object */
static gboolean
tread_node (AlgerGraph *graph, guint index, TVal v, TCtx *c, const char **next, GError **error)
{
  AlgerGraphNode *out = &graph->nodes[index];
  TMembers nm, dm;
  TVal params = NULL;
  gsize len = 0;
  const char *id = NULL;

  if (*v != '{') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "Each node must be an object.");
    return FALSE;
  }
  *next = tscan_members (v, c->end, c->buf, &nm, &dm);
  id = tval_to_string (nm.id, c->end, c->buf, &len);
  if (id == NULL || len == 0) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                         "Each node must have a non-empty string 'id'.");
    return FALSE;
  }
  if (!node_set_id (graph, index, id, len, error))
    return FALSE;

  params = dm.params != NULL ? dm.params : nm.params;
  if (params != NULL && *params != '{') {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Node '%s' params must be a dict.",
                 out->id);
    return FALSE;
  }
  if (params != NULL && *ws (params + 1, c->end) != '}') {
    g_autoptr(JsonNode) node = NULL;
    const char *pend = skip_value (params, c->end);

    /* checked above, so this cannot fail */
    node = alger_json_parse_utf8 (params, (gsize) (pend - params), NULL, error);
    if (node == NULL)
      return FALSE;
    out->params = json_object_ref (json_node_get_object (node));
  }

  {
    TVal cands[] = { dm.kind, dm.type, nm.kind, nm.type };
    gboolean stable = FALSE;
    /* python's `a or b or ...`: empty strings fall through */
    for (guint i = 0; i < G_N_ELEMENTS (cands); i++) {
      const char *s = tval_to_string (cands[i], c->end, c->buf, &len);
      if (s == NULL || len == 0)
        continue;
      /* consecutive nodes mostly share their kind: skip the registry */
      if (c->last_kind != NULL && len == c->last_kind_len &&
          memcmp (s, c->last_kind_text, len) == 0) {
        out->kind = c->last_kind;
        out->kind_name = c->last_kind->name;
        break;
      }
      /* not in c->buf: in the text or a literal, so it stays valid */
      stable = s != c->buf->str;
      if (stable) {
        c->last_kind_text = s;
        c->last_kind_len = len;
      }
      if (s != c->buf->str) {
        g_string_truncate (c->buf, 0);
        g_string_append_len (c->buf, s, (gssize) len);
        s = c->buf->str;
      }
      node_set_kind (graph, out, s);
      /* only a known kind is remembered (an unknown one is copied per node) */
      c->last_kind = stable ? out->kind : NULL;
      break;
    }
  }
  {
    TVal cands[] = { dm.track_output, dm.track_output2, nm.track_output, nm.track_output2 };
    for (guint i = 0; i < G_N_ELEMENTS (cands); i++) {
      if (cands[i] != NULL) {
        out->track = tval_flag (cands[i], c->end, c->buf);
        break;
      }
    }
  }
  return TRUE;
}

static gboolean
tread_edges (AlgerGraph *graph, const Cand *edges, TCtx *c, GError **error)
{
  guint n_edges = edges->v != NULL ? edges->count : 0;
  guint *resolved = graph_new (graph, guint, 2 * (gsize) MAX (n_edges, 1));
  const char *p = edges->v != NULL ? ws (edges->v + 1, c->end) : NULL;

  for (guint e = 0; e < n_edges; e++) {
    TMembers em;
    gsize src_len = 0, tgt_len = 0;
    const char *src = NULL;
    const char *tgt = NULL;
    gint s = -1, t = -1;

    p = tscan_members (p, c->end, c->buf, &em, NULL);
    src = tval_to_string (em.source, c->end, c->buf, &src_len);
    tgt = tval_to_string (em.target, c->end, c->buf2, &tgt_len);
    if (src == NULL || tgt == NULL || src_len == 0 || tgt_len == 0) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "Each edge must include 'source' and 'target'.");
      return FALSE;
    }
    /* a chain's source is the edge before's target, its target the next node */
    s = index_find_hinted (graph, src, src_len, e > 0 ? resolved[2 * e - 1] : 0);
    t = index_find_hinted (graph, tgt, tgt_len, (guint) s + 1);
    if ((s < 0 || t < 0) && graph->missing_src == NULL) {
      graph->missing_src = g_strndup (src, src_len);
      graph->missing_tgt = g_strndup (tgt, tgt_len);
    }
    resolved[2 * e] = (guint) s;
    resolved[2 * e + 1] = (guint) t;
    p = ws (p, c->end);
    if (*p == ',')
      p = ws (p + 1, c->end);
  }
  if (graph->missing_src == NULL)
    build_adjacency (graph, resolved, n_edges);
  return TRUE;
}

static gboolean
tcheck_array (const Cand *cand, const char *name, GError **error)
{
  if (cand->v != NULL && *cand->v != '[') {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Graph '%s' must be a list.", name);
    return FALSE;
  }
  return TRUE;
}

AlgerGraph *
alger_graph_new_from_text (const char *text, gssize length, guint max_nodes, GError **error)
{
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(GString) buf = g_string_new (NULL);
  g_autoptr(GString) buf2 = g_string_new (NULL);
  Text t = { 0 };
  TCtx c = { 0 };
  const char *obj = NULL;
  const Cand *cands = NULL; /* pipeline, nodes, edges of the graph object */
  const char *p = NULL;
  guint n_nodes = 0;
  guint n_edges = 0;

  g_return_val_if_fail (text != NULL || length <= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = (gssize) strlen (text);
  t.start = t.p = text;
  t.end = text + length;
  t.keybuf = buf;
  if (check_value (&t, NULL)) {
    t.p = ws (t.p, t.end);
    if (t.p < t.end)
      text_fail (&t, t.p, "trailing characters after the JSON value");
  }
  if (t.reason != NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "offset %" G_GSIZE_FORMAT ": %s",
                 (gsize) (t.p - t.start), t.reason);
    return NULL;
  }

  c.end = t.end;
  c.buf = buf;
  c.buf2 = buf2;
  obj = ws (text, t.end);
  if (*obj != '{') {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE, "Graph must be an object.");
    return NULL;
  }
  cands = t.root;
  if (t.root[0].v != NULL) {
    if (*t.root[0].v != '{') {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PIPELINE,
                           "Graph 'pipeline' must be an object.");
      return NULL;
    }
    cands = t.pipe;
  }
  if (!tcheck_array (&cands[1], "nodes", error) || !tcheck_array (&cands[2], "edges", error))
    return NULL;
  n_nodes = cands[1].v != NULL ? cands[1].count : 0;
  n_edges = cands[2].v != NULL ? cands[2].count : 0;
  if (!check_limits (n_nodes, n_edges, max_nodes, error))
    return NULL;

  graph = graph_alloc (n_nodes, n_edges);
  p = n_nodes > 0 ? ws (cands[1].v + 1, t.end) : NULL;
  for (guint i = 0; i < n_nodes; i++) {
    graph->n_nodes++;
    if (!tread_node (graph, i, p, &c, &p, error))
      return NULL;
    p = ws (p, t.end);
    if (*p == ',')
      p = ws (p + 1, t.end);
  }
  if (!tread_edges (graph, &cands[2], &c, error))
    return NULL;
  return g_steal_pointer (&graph);
}
