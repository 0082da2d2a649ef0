/* test-graph: reading rules, the five validation steps, Kahn/DFS order */
#include "config.h"

#include <string.h>

#include "alger-error.h"
#include "alger-graph.h"
#include "alger-json-text.h"

static AlgerGraph *
graph_from_string (const char *text, guint max_nodes, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &parse_error))
    g_error ("bad test JSON %s: %s", text, parse_error->message);
  return alger_graph_new_from_json (json_parser_get_root (parser), max_nodes, error);
}

/* graph text -> the error of reading + validation, or NULL when valid */
typedef struct {
  const char *name;
  const char *graph;
  const char *strategy;
  gint code; /* -1: valid */
  const char *message;
} ErrorCase;

#define D(id) "{\"id\":\"" id "\",\"data\":{\"kind\":\"dataset\",\"params\":{\"shape\":[1,2,2]}}}"
#define N(id, kind) "{\"id\":\"" id "\",\"data\":{\"kind\":\"" kind "\"}}"
#define E(s, t) "{\"source\":\"" s "\",\"target\":\"" t "\"}"
#define G(nodes, edges) "{\"pipeline\":{\"nodes\":[" nodes "],\"edges\":[" edges "]}}"

static const ErrorCase error_cases[] = {
  { "valid", G (D ("d") "," N ("i", "identity"), E ("d", "i")), "kahn", -1, NULL },
  { "missing-id", G ("{\"data\":{\"kind\":\"dataset\"}}", ""), "kahn", ALGER_ERROR_PIPELINE,
    "Each node must have a non-empty string 'id'." },
  { "null-id", G ("{\"id\":null,\"data\":{\"kind\":\"dataset\"}}", ""), "kahn",
    ALGER_ERROR_PIPELINE, "Each node must have a non-empty string 'id'." },
  { "empty-id", G ("{\"id\":\"\",\"data\":{\"kind\":\"dataset\"}}", ""), "kahn",
    ALGER_ERROR_PIPELINE, "Each node must have a non-empty string 'id'." },
  { "object-id", G ("{\"id\":{},\"data\":{\"kind\":\"dataset\"}}", ""), "kahn",
    ALGER_ERROR_PIPELINE, "Each node must have a non-empty string 'id'." },
  { "duplicate-id", G (D ("a") "," D ("a"), ""), "kahn", ALGER_ERROR_PIPELINE,
    "Duplicate node id 'a'." },
  { "duplicate-converted-id", G ("{\"id\":5,\"kind\":\"dataset\"},{\"id\":\"5\",\"kind\":\"dataset\"}",
                                 ""), "kahn", ALGER_ERROR_PIPELINE, "Duplicate node id '5'." },
  { "params-list", G ("{\"id\":\"a\",\"data\":{\"kind\":\"dataset\",\"params\":[1]}}", ""), "kahn",
    ALGER_ERROR_PIPELINE, "Node 'a' params must be a dict." },
  { "params-string", G ("{\"id\":\"a\",\"kind\":\"dataset\",\"params\":\"x\"}", ""), "kahn",
    ALGER_ERROR_PIPELINE, "Node 'a' params must be a dict." },
  { "params-null", G ("{\"id\":\"a\",\"data\":{\"kind\":\"dataset\",\"params\":null}}", ""), "kahn",
    -1, NULL },
  { "edge-no-source", G (D ("a"), "{\"target\":\"a\"}"), "kahn", ALGER_ERROR_PIPELINE,
    "Each edge must include 'source' and 'target'." },
  { "edge-empty-target", G (D ("a"), E ("a", "")), "kahn", ALGER_ERROR_PIPELINE,
    "Each edge must include 'source' and 'target'." },
  { "edge-null-target", G (D ("a"), "{\"source\":\"a\",\"target\":null}"), "kahn",
    ALGER_ERROR_PIPELINE, "Each edge must include 'source' and 'target'." },
  /* 1. unknown node, reported for the first such edge */
  { "edge-missing-node", G (D ("i") "," N ("j", "identity"), E ("i", "ghost") "," E ("x", "j")),
    "kahn", ALGER_ERROR_PIPELINE, "Edge refers to missing node: i -> ghost" },
  { "edge-missing-before-cycle",
    G (N ("a", "identity") "," N ("b", "identity"), E ("a", "b") "," E ("b", "a") "," E ("q", "a")),
    "kahn", ALGER_ERROR_PIPELINE, "Edge refers to missing node: q -> a" },
  /* 2. cycles, as networkx prints them */
  { "cycle", G (D ("d") "," N ("i1", "identity") "," N ("i2", "identity") "," N ("i3", "identity"),
                E ("i1", "i2") "," E ("i2", "i3") "," E ("i3", "i1")),
    "kahn", ALGER_ERROR_PIPELINE,
    "Pipeline must be a DAG. Found cycle: [('i1', 'i2', 'forward'), ('i2', 'i3', 'forward'), "
    "('i3', 'i1', 'forward')]" },
  { "self-loop", G (N ("a", "identity"), E ("a", "a")), "kahn", ALGER_ERROR_PIPELINE,
    "Pipeline must be a DAG. Found cycle: [('a', 'a', 'forward')]" },
  { "cycle-quoted-id", G (N ("it's", "identity") "," N ("b", "identity"),
                          E ("it's", "b") "," E ("b", "it's")), "kahn", ALGER_ERROR_PIPELINE,
    "Pipeline must be a DAG. Found cycle: [(\"it's\", 'b', 'forward'), ('b', \"it's\", 'forward')]" },
  { "cycle-before-kind", G (N ("a", "nope") "," N ("b", "identity"), E ("a", "b") "," E ("b", "a")),
    "kahn", ALGER_ERROR_PIPELINE,
    "Pipeline must be a DAG. Found cycle: [('a', 'b', 'forward'), ('b', 'a', 'forward')]" },
  /* 3. kind and arity, node by node in input order */
  { "missing-kind", G (D ("d") "," "{\"id\":\"x\",\"data\":{}}", E ("d", "x")), "kahn",
    ALGER_ERROR_PIPELINE, "Node 'x' is missing 'kind'." },
  { "unknown-kind", G (D ("a") "," N ("b", "blur"), E ("a", "b")), "kahn", ALGER_ERROR_PIPELINE,
    "Node 'b' has unknown kind 'blur'." },
  { "arity-min", G (D ("a") "," N ("c", "concat"), E ("a", "c")), "kahn", ALGER_ERROR_PIPELINE,
    "Node 'c' (kind='concat') expects >= 2 input(s); got 1." },
  { "arity-min-zero", G (N ("i", "identity"), ""), "kahn", ALGER_ERROR_PIPELINE,
    "Node 'i' (kind='identity') expects >= 1 input(s); got 0." },
  { "arity-max", G (D ("a") "," D ("b"), E ("a", "b")), "kahn", ALGER_ERROR_PIPELINE,
    "Node 'b' (kind='dataset') expects <= 0 input(s); got 1." },
  { "arity-max-seg", G (D ("a") "," D ("b") "," N ("s", "segmentation"), E ("a", "s") "," E ("b", "s")),
    "kahn", ALGER_ERROR_PIPELINE, "Node 's' (kind='segmentation') expects <= 1 input(s); got 2." },
  { "arity-duplicate-edge-once", G (D ("a") "," N ("s", "segmentation"), E ("a", "s") "," E ("a", "s")),
    "kahn", -1, NULL },
  { "arity-duplicate-edge-concat", G (D ("a") "," N ("c", "concat"), E ("a", "c") "," E ("a", "c")),
    "kahn", ALGER_ERROR_PIPELINE, "Node 'c' (kind='concat') expects >= 2 input(s); got 1." },
  { "kind-before-later-arity", G (N ("i", "identity") "," N ("k", "blur"), ""), "kahn",
    ALGER_ERROR_PIPELINE, "Node 'i' (kind='identity') expects >= 1 input(s); got 0." },
  /* 4. and 5. */
  { "empty", G ("", ""), "kahn", ALGER_ERROR_PIPELINE, "Graph is empty." },
  { "empty-root", "{}", "kahn", ALGER_ERROR_PIPELINE, "Graph is empty." },
  { "empty-before-strategy", G ("", ""), "bfs", ALGER_ERROR_PIPELINE, "Graph is empty." },
  { "unknown-strategy", G (D ("a"), ""), "bfs", ALGER_ERROR_PIPELINE,
    "Unknown execution strategy: bfs" },
  { "kind-before-strategy", G (N ("a", "blur"), ""), "bfs", ALGER_ERROR_PIPELINE,
    "Node 'a' has unknown kind 'blur'." },
  { "dfs", G (D ("a"), ""), "dfs", -1, NULL },
  /* shapes the original choked on */
  { "nodes-not-list", "{\"nodes\":{}}", "kahn", ALGER_ERROR_PIPELINE, "Graph 'nodes' must be a list." },
  { "node-not-object", G ("3", ""), "kahn", ALGER_ERROR_PIPELINE, "Each node must be an object." },
  { "root-not-object", "[1]", "kahn", ALGER_ERROR_PIPELINE, "Graph must be an object." },
};

static void
test_error_case (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = graph_from_string (c->graph, 0, &error);

  if (graph != NULL)
    alger_graph_validate (graph, c->strategy, &error);
  if (c->code < 0) {
    g_assert_no_error (error);
    return;
  }
  g_assert_error (error, ALGER_ERROR, c->code);
  g_assert_cmpstr (error->message, ==, c->message);
}

/* the same case read straight from the text must end the same way */
static void
test_error_case_text (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = alger_graph_new_from_text (c->graph, -1, 0, &error);

  if (graph != NULL)
    alger_graph_validate (graph, c->strategy, &error);
  if (c->code < 0) {
    g_assert_no_error (error);
    return;
  }
  g_assert_error (error, ALGER_ERROR, c->code);
  g_assert_cmpstr (error->message, ==, c->message);
}

/* both readers give the same graph (or the same reading error) */
static void
assert_readers_agree (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error_json = NULL;
  g_autoptr(GError) error_text = NULL;
  g_autoptr(AlgerGraph) a = NULL;
  g_autoptr(AlgerGraph) b = NULL;
  g_autoptr(JsonNode) root = alger_json_parse (text, strlen (text), NULL, NULL);

  g_assert_nonnull (root);
  a = alger_graph_new_from_json (root, 0, &error_json);
  b = alger_graph_new_from_text (text, -1, 0, &error_text);
  if (a == NULL) {
    g_assert_null (b);
    g_assert_cmpint (error_json->code, ==, error_text->code);
    g_assert_cmpstr (error_json->message, ==, error_text->message);
    return;
  }
  g_assert_no_error (error_text);
  g_assert_cmpuint (alger_graph_get_n_nodes (a), ==, alger_graph_get_n_nodes (b));
  for (guint i = 0; i < alger_graph_get_n_nodes (a); i++) {
    g_autofree char *pa = NULL;
    g_autofree char *pb = NULL;
    g_autoptr(JsonNode) na = json_node_init_object (json_node_alloc (),
                                                     alger_graph_get_node_params (a, i));
    g_autoptr(JsonNode) nb = json_node_init_object (json_node_alloc (),
                                                     alger_graph_get_node_params (b, i));

    g_assert_cmpstr (alger_graph_get_node_id (a, i), ==, alger_graph_get_node_id (b, i));
    g_assert_cmpint (alger_graph_lookup (b, alger_graph_get_node_id (a, i)), ==, (gint) i);
    g_assert_cmpstr (alger_graph_get_node_kind_name (a, i), ==,
                     alger_graph_get_node_kind_name (b, i));
    g_assert_true (alger_graph_get_node_kind (a, i) == alger_graph_get_node_kind (b, i));
    g_assert_cmpint (alger_graph_get_node_track_flag (a, i), ==,
                     alger_graph_get_node_track_flag (b, i));
    pa = json_to_string (na, FALSE);
    pb = json_to_string (nb, FALSE);
    g_assert_cmpstr (pa, ==, pb);
  }
  g_clear_error (&error_json);
  g_clear_error (&error_text);
  if (alger_graph_validate (a, "kahn", &error_json)) {
    g_assert_true (alger_graph_validate (b, "kahn", &error_text));
    for (guint i = 0; i < alger_graph_get_n_nodes (a); i++) {
      const char *const *ia = alger_graph_get_predecessor_ids (a, i);
      const char *const *ib = alger_graph_get_predecessor_ids (b, i);
      g_assert_cmpstrv (ia, ib);
    }
  } else {
    g_assert_false (alger_graph_validate (b, "kahn", &error_text));
    g_assert_cmpstr (error_json->message, ==, error_text->message);
  }
}

static void
test_text_reader_agrees (void)
{
  const char *shared = g_getenv ("ALGER_SHARED_DIR");
  g_autofree char *golden = NULL;
  g_autofree char *sample = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name = NULL;
  guint n = 0;
  const char *cases[] = {
    /* repeated keys: the last wins, a null one counts as missing */
    "{\"nodes\":[{\"id\":\"a\",\"id\":\"b\",\"kind\":\"dataset\"}],\"nodes\":[{\"id\":\"c\","
    "\"kind\":\"dataset\",\"kind\":null,\"type\":\"identity\"}]}",
    "{\"pipeline\":{\"nodes\":[{\"id\":\"x\",\"kind\":\"dataset\"}]},\"pipeline\":null,"
    "\"nodes\":[{\"id\":\"y\",\"kind\":\"dataset\"}]}",
    "{\"pipeline\":{\"nodes\":[]},\"pipeline\":{\"nodes\":[{\"id\":\"z\"}],\"pipeline\":1}}",
    /* escaped keys and ids, ids that are numbers or booleans */
    "{\"n\\u006fdes\":[{\"\\u0069d\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"data\":{\"kind\":\"dataset\"}},"
    "{\"id\":12,\"kind\":\"identity\"},{\"id\":-0,\"kind\":\"identity\"},"
    "{\"id\":1.5e3,\"kind\":\"identity\"},{\"id\":true,\"kind\":\"identity\"},"
    "{\"id\":99999999999999999999,\"kind\":\"identity\"}],"
    "\"edges\":[{\"source\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"target\":12},{\"source\":\"12\",\"target\":\"0\"},"
    "{\"source\":0,\"target\":1500.0},{\"source\":\"1500.0\",\"target\":\"True\"},"
    "{\"source\":\"True\",\"target\":1e+20}]}",
    /* params: nested, empty, wrong type; kinds falling through */
    "{\"nodes\":[{\"id\":\"a\",\"params\":{\"shape\":[1,2,3],\"seed\":123456789012345678901234,"
    "\"x\":{\"y\":[null,true,1.25,\"s\"]}},\"data\":{\"kind\":\"\",\"type\":\"dataset\"}},"
    "{\"id\":\"b\",\"data\":{\"params\":{}},\"kind\":\"nope\"},"
    "{\"id\":\"c\",\"data\":{\"params\":null},\"params\":{\"k\":1},\"kind\":7}]}",
    "{\"nodes\":[{\"id\":\"a\",\"data\":{\"params\":[1]}}]}",
    "{\"nodes\":[{\"id\":\"a\",\"data\":{\"params\":\"x\"}}]}",
    /* track flags */
    "{\"nodes\":[{\"id\":\"a\",\"trackOutput\":\"Yes\"},{\"id\":\"b\",\"track_output\":2.5},"
    "{\"id\":\"c\",\"data\":{\"trackOutput\":0},\"trackOutput\":true},"
    "{\"id\":\"d\",\"data\":{\"track_output\":\"off\"}},{\"id\":\"e\",\"trackOutput\":[1]},"
    "{\"id\":\"f\",\"trackOutput\":\"ON\"}]}",
    /* shapes that fail */
    "[]", "{\"pipeline\":[]}", "{\"nodes\":{}}", "{\"nodes\":[],\"edges\":3}",
    "{\"nodes\":[1]}", "{\"nodes\":[{\"id\":\"a\"},{\"id\":\"a\"}]}",
    "{\"nodes\":[{\"id\":\"a\"}],\"edges\":[{\"source\":\"a\"}]}",
    "{\"nodes\":[{\"id\":\"a\"}],\"edges\":[\"x\"]}",
    "{\"nodes\":[{\"id\":\"a\"}],\"edges\":[{\"source\":\"a\",\"target\":\"q\"},"
    "{\"source\":\"r\",\"target\":\"a\"}]}",
    "{\"nodes\":[{\"id\":\"a\",\"kind\":\"identity\"},{\"id\":\"b\",\"kind\":\"identity\"}],"
    "\"edges\":[{\"source\":\"a\",\"target\":\"b\"},{\"source\":\"b\",\"target\":\"a\"}]}",
    " { } ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_readers_agree (cases[i]);

  g_assert_nonnull (shared);
  sample = g_build_filename (shared, "fixtures", "test_DAG.json", NULL);
  g_assert_true (g_file_get_contents (sample, &text, NULL, NULL));
  assert_readers_agree (text);
  golden = g_build_filename (shared, "fixtures", "golden", "graphs", NULL);
  dir = g_dir_open (golden, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (golden, name, NULL);
    g_autofree char *contents = NULL;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    assert_readers_agree (contents);
    n++;
  }
  g_assert_cmpuint (n, >, 10);
}

/* the text reader accepts exactly what the wire reader accepts */
static void
test_text_reader_strict (void)
{
  const char *texts[] = {
    "", " ", "{", "}", "{\"nodes\":[}", "{\"nodes\":[1,]}", "{'nodes':[]}", "{\"a\":1,}",
    "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}",
    "{\"a\":1e999}", "{\"a\":-1E+400}", "{\"a\":NaN}", "{\"a\":tru}", "{\"a\":nul}",
    "{\"a\":\"\\u0000\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\t\"}",
    "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}",
    "{} x", "{}{}", "{\"a\":1} // c", "/* c */ {}", "{\"a\":\"unterminated}",
    "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\\u0041\"}", "{\"a\":\"\xc3\xa9\"}",
    "{\"a\":[1e308,-0.0,0,1E-400,123456789012345678901234567890]}", "\t{\"a\":{}}\r\n",
    "{\"a\":[[[[]]]]}", "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", "{\"a\":0x10}", "{\"a\":+1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr(GError) wire_error = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = alger_json_parse (texts[i], strlen (texts[i]), NULL, &wire_error);
    g_autoptr(AlgerGraph) graph = alger_graph_new_from_text (texts[i], -1, 0, &error);

    if (node == NULL) {
      g_assert_null (graph);
      g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
      g_assert_true (g_str_has_prefix (error->message, "offset "));
    } else {
      /* valid JSON: either a graph or a reading error, never a text error */
      g_assert_true (graph != NULL || error->code == ALGER_ERROR_PIPELINE);
    }
  }
}

static void
test_text_reader_depth (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"a\":");
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  graph = alger_graph_new_from_text (deep->str, (gssize) deep->len, 0, &error);
  g_assert_null (graph);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "nested too deeply"));
  /* not NUL-terminated: the length is honoured */
  g_clear_error (&error);
  graph = alger_graph_new_from_text ("{\"nodes\":[]}garbage", 12, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_graph_get_n_nodes (graph), ==, 0);
}

static void
test_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = graph_from_string (G (D ("a") "," D ("b") "," D ("c"), ""), 2,
                                                   &error);

  g_assert_null (graph);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "limit is 2"));
  g_clear_error (&error);
  graph = graph_from_string (G (D ("a") "," D ("b"), ""), 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_graph_get_n_nodes (graph), ==, 2);
}

static void
test_reading_rules (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = graph_from_string (
      "{\"nodes\":["
      /* 0: data.kind beats data.type, type and kind */
      "{\"id\":\"a\",\"type\":\"card\",\"kind\":\"text\",\"data\":{\"kind\":\"dataset\","
      "\"type\":\"figure\"}},"
      /* 1: data.type beats node kind */
      "{\"id\":\"b\",\"kind\":\"identity\",\"data\":{\"type\":\"text\"}},"
      /* 2: node kind beats node type; empty data.kind falls through */
      "{\"id\":\"c\",\"kind\":\"identity\",\"type\":\"card\",\"data\":{\"kind\":\"\"}},"
      /* 3: node type last; integer id */
      "{\"id\":7,\"type\":\"filter\",\"params\":{\"kernelSize\":3}},"
      /* 4: float and bool ids; track flags as strings */
      "{\"id\":1.5,\"kind\":\"identity\",\"data\":{\"trackOutput\":\"Yes\"}},"
      "{\"id\":true,\"kind\":\"identity\",\"data\":{\"track_output\":\"off\"},\"trackOutput\":true},"
      "{\"id\":\"g\",\"kind\":\"identity\",\"trackOutput\":\"ON\"},"
      "{\"id\":\"h\",\"kind\":\"identity\",\"track_output\":\"0\"},"
      "{\"id\":\"i\",\"kind\":\"identity\",\"data\":{\"trackOutput\":1,\"params\":null}},"
      "{\"id\":\"j\"}"
      "],\"edges\":[{\"source\":7,\"target\":1.5,\"id\":\"e1\",\"animated\":true}]}",
      0, &error);
  JsonObject *params = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (alger_graph_get_n_nodes (graph), ==, 10);
  g_assert_cmpstr (alger_graph_get_node_kind_name (graph, 0), ==, "dataset");
  g_assert_cmpstr (alger_graph_get_node_kind_name (graph, 1), ==, "text");
  g_assert_cmpstr (alger_graph_get_node_kind_name (graph, 2), ==, "identity");
  g_assert_cmpstr (alger_graph_get_node_kind_name (graph, 3), ==, "filter");
  g_assert_null (alger_graph_get_node_kind_name (graph, 9));
  g_assert_null (alger_graph_get_node_kind (graph, 9));
  g_assert_nonnull (alger_graph_get_node_kind (graph, 3));
  g_assert_cmpstr (alger_graph_get_node_id (graph, 3), ==, "7");
  g_assert_cmpstr (alger_graph_get_node_id (graph, 4), ==, "1.5");
  g_assert_cmpstr (alger_graph_get_node_id (graph, 5), ==, "True");
  g_assert_cmpint (alger_graph_lookup (graph, "7"), ==, 3);
  g_assert_cmpint (alger_graph_lookup (graph, "nope"), ==, -1);
  params = alger_graph_get_node_params (graph, 3);
  g_assert_cmpint (json_object_get_int_member (params, "kernelSize"), ==, 3);
  g_assert_cmpuint (json_object_get_size (alger_graph_get_node_params (graph, 8)), ==, 0);
  g_assert_cmpuint (json_object_get_size (alger_graph_get_node_params (graph, 0)), ==, 0);
  g_assert_false (alger_graph_get_node_track_flag (graph, 0));
  g_assert_true (alger_graph_get_node_track_flag (graph, 4));
  g_assert_false (alger_graph_get_node_track_flag (graph, 5)); /* data wins over the node */
  g_assert_true (alger_graph_get_node_track_flag (graph, 6));
  g_assert_false (alger_graph_get_node_track_flag (graph, 7));
  g_assert_true (alger_graph_get_node_track_flag (graph, 8));
  /* text is always tracked */
  g_assert_true (alger_graph_node_is_tracked (graph, 1));
  g_assert_false (alger_graph_node_is_tracked (graph, 2));
  {
    const char *const *preds = alger_graph_get_predecessor_ids (graph, 4);
    g_assert_cmpstr (preds[0], ==, "7");
    g_assert_null (preds[1]);
  }
}

/* the order a graph runs in, as "a,b,c" */
static char *
order_string (const char *text, const char *strategy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = graph_from_string (text, 0, &error);
  g_autoptr(GArray) order = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  g_assert_no_error (error);
  order = alger_graph_get_order (graph, strategy, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < order->len; k++)
    g_ptr_array_add (ids, (gpointer) alger_graph_get_node_id (graph, g_array_index (order, guint, k)));
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

static void
test_orders (void)
{
  const char *diamond = G (D ("d") "," N ("a", "identity") "," N ("b", "identity") ","
                           N ("c", "concat"),
                           E ("d", "a") "," E ("d", "b") "," E ("a", "c") "," E ("b", "c"));
  /* two sources; successors visited in edge order, not node order */
  const char *two = G (N ("t", "text") "," D ("x") "," N ("p", "identity") "," D ("y") ","
                       N ("q", "identity"),
                       E ("y", "q") "," E ("x", "t") "," E ("q", "t") "," E ("x", "p") ","
                       E ("x", "t"));
  g_autofree char *k1 = order_string (diamond, "kahn");
  g_autofree char *d1 = order_string (diamond, "dfs");
  g_autofree char *k2 = order_string (two, "kahn");
  g_autofree char *d2 = order_string (two, "dfs");
  g_autofree char *k3 = order_string (two, NULL);

  g_assert_cmpstr (k1, ==, "d,a,b,c");
  g_assert_cmpstr (d1, ==, "d,b,a,c");
  /* kahn: queue x, y; x -> t (indeg 2, now 1), p; y -> q; p; q -> t */
  g_assert_cmpstr (k2, ==, "x,y,p,q,t");
  g_assert_cmpstr (k3, ==, k2);
  /* dfs: from x: t (post), p (post), x (post); from y: q (post), y -> reversed */
  g_assert_cmpstr (d2, ==, "y,q,x,p,t");
}

static void
test_inputs_edge_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = graph_from_string (
      G (D ("a") "," D ("b") "," N ("t", "text"),
         E ("b", "t") "," E ("a", "t") "," E ("b", "t")), 0, &error);
  g_autoptr(GArray) sources = NULL;
  g_autoptr(GArray) sinks = NULL;
  const guint *preds = NULL;
  guint n_preds = 0;
  guint n_succs = 0;

  g_assert_no_error (error);
  preds = alger_graph_get_predecessors (graph, 2, &n_preds);
  g_assert_cmpuint (n_preds, ==, 2);
  g_assert_cmpuint (preds[0], ==, 1);
  g_assert_cmpuint (preds[1], ==, 0);
  alger_graph_get_successors (graph, 1, &n_succs);
  g_assert_cmpuint (n_succs, ==, 1);
  sources = alger_graph_get_sources (graph);
  sinks = alger_graph_get_sinks (graph);
  g_assert_cmpuint (sources->len, ==, 2);
  g_assert_cmpuint (g_array_index (sources, guint, 0), ==, 0);
  g_assert_cmpuint (sinks->len, ==, 1);
  g_assert_cmpuint (g_array_index (sinks, guint, 0), ==, 2);
}

/* deep and wide graphs: no recursion, linear time */
static void
test_deep_chain (void)
{
  GString *text = g_string_new ("{\"nodes\":[" D ("n0"));
  guint n = 100000;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = NULL;
  g_autoptr(GArray) order = NULL;
  g_autofree char *json = NULL;
  gint64 t0 = 0;

  for (guint i = 1; i < n; i++)
    g_string_append_printf (text, ",{\"id\":\"n%u\",\"kind\":\"identity\"}", i);
  g_string_append (text, "],\"edges\":[");
  for (guint i = 1; i < n; i++)
    g_string_append_printf (text, "%s{\"source\":\"n%u\",\"target\":\"n%u\"}", i > 1 ? "," : "",
                            i - 1, i);
  g_string_append (text, "]}");
  json = g_string_free (text, FALSE);
  graph = graph_from_string (json, ALGER_GRAPH_DEFAULT_MAX_NODES, &error);
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  for (guint s = 0; s < 2; s++) {
    g_clear_pointer (&order, g_array_unref);
    order = alger_graph_get_order (graph, s == 0 ? "kahn" : "dfs", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (order->len, ==, n);
    g_assert_cmpuint (g_array_index (order, guint, n - 1), ==, n - 1);
  }
  g_test_message ("validate+order x2 of a %u-deep chain: %.1f ms", n,
                  (g_get_monotonic_time () - t0) / 1000.0);

  /* a 100,000-node cycle is found without recursion too */
  {
    g_autofree char *cyc = g_strdup_printf ("{\"nodes\":[{\"id\":\"x\",\"kind\":\"identity\"},"
                                            "{\"id\":\"y\",\"kind\":\"identity\"}],\"edges\":["
                                            "{\"source\":\"x\",\"target\":\"y\"},"
                                            "{\"source\":\"y\",\"target\":\"x\"}]}");
    g_autoptr(AlgerGraph) g2 = graph_from_string (cyc, 0, &error);
    g_assert_false (alger_graph_validate (g2, "kahn", &error));
    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
  }
}

static void
test_long_cycle (void)
{
  GString *text = g_string_new ("{\"nodes\":[");
  guint n = 50000;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerGraph) graph = NULL;
  g_autofree char *json = NULL;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s{\"id\":\"n%u\",\"kind\":\"identity\"}", i > 0 ? "," : "", i);
  g_string_append (text, "],\"edges\":[");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s{\"source\":\"n%u\",\"target\":\"n%u\"}", i > 0 ? "," : "",
                            i, (i + 1) % n);
  g_string_append (text, "]}");
  json = g_string_free (text, FALSE);
  graph = graph_from_string (json, 0, &error);
  g_assert_no_error (error);
  g_assert_false (alger_graph_validate (graph, "kahn", &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PIPELINE);
  g_assert_true (g_str_has_prefix (error->message, "Pipeline must be a DAG. Found cycle: [('n0', 'n1'"));
  g_assert_true (g_str_has_suffix (error->message, "('n49999', 'n0', 'forward')]"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/graph/validate/%s", error_cases[i].name);
    g_test_add_data_func (path, &error_cases[i], test_error_case);
  }
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/graph/text/error/%s", error_cases[i].name);
    g_test_add_data_func (path, &error_cases[i], test_error_case_text);
  }
  g_test_add_func ("/alger/graph/text/agrees", test_text_reader_agrees);
  g_test_add_func ("/alger/graph/text/strict", test_text_reader_strict);
  g_test_add_func ("/alger/graph/text/depth", test_text_reader_depth);
  g_test_add_func ("/alger/graph/limit", test_limit);
  g_test_add_func ("/alger/graph/reading-rules", test_reading_rules);
  g_test_add_func ("/alger/graph/orders", test_orders);
  g_test_add_func ("/alger/graph/inputs-edge-order", test_inputs_edge_order);
  g_test_add_func ("/alger/graph/deep-chain", test_deep_chain);
  g_test_add_func ("/alger/graph/long-cycle", test_long_cycle);
  return g_test_run ();
}
