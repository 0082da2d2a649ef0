/* test-executions.c: runs over the protocol (103/104/106/107, pushes, gates,
 * records, tracked outputs) against the real algerd */
#include <string.h>

#include "alger-test-harness.h"

typedef struct {
  AlgerTestServer *server;
} Fixture;

/* what a test case needs: server options and a parameter of its own */
typedef struct {
  const char *const *args;
  const char *param;
} Case;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  const Case *tc = data;

  fx->server = alger_test_server_start (tc->args);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  alger_test_server_free (fx->server);
}

static char *
dashboard_content (void)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (alger_test_shared_dir () == NULL)
    return NULL;
  path = g_build_filename (alger_test_shared_dir (), "fixtures", "dashboard", "request-104.json",
                           NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (
    json_node_get_object (json_parser_get_root (parser)), "content"));
}

static char *
graph_content (const char *graph_json, const char *strategy)
{
  return g_strdup_printf ("{\"graph\":%s%s%s%s}", graph_json, strategy != NULL ? ",\"strategy\":\"" : "",
                          strategy != NULL ? strategy : "", strategy != NULL ? "\"" : "");
}

static JsonObject *
recv_type (AlgerTestClient *client, gint64 type)
{
  JsonObject *frame = alger_test_client_recv (client);

  if (json_object_get_int_member (frame, "type") != type)
    g_error ("expected a %" G_GINT64_FORMAT " frame, got %s", type,
             json_to_string (json_node_init_object (json_node_alloc (), frame), FALSE));
  return frame;
}

static const char *
str (JsonObject *obj, const char *member)
{
  return json_object_get_string_member_with_default (obj, member, NULL);
}

/* start a run; returns the execution id */
static char *
start_run (AlgerTestClient *client, gint type, const char *content, gint64 *request_id)
{
  gint64 id = alger_test_client_send (client, type, content);
  g_autoptr(JsonObject) frame = recv_type (client, type + 100);
  g_autoptr(JsonObject) c = alger_test_frame_content (frame);

  g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, id);
  g_assert_cmpstr (str (c, "status"), ==, "pipeline-execution-started");
  if (request_id != NULL)
    *request_id = id;
  return g_strdup (str (c, "executionId"));
}

typedef struct {
  GPtrArray *nodes; /* 205/305 contents */
  JsonObject *final;
  gint64 final_type;
} RunFrames;

static void
run_frames_clear (RunFrames *rf)
{
  g_ptr_array_unref (rf->nodes);
  g_clear_pointer (&rf->final, json_object_unref);
}

/* collect pushes for request_id until the final 207/307 */
static void
collect (AlgerTestClient *client, gint64 request_id, RunFrames *rf)
{
  rf->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (;;) {
    g_autoptr(JsonObject) frame = alger_test_client_recv (client);
    gint64 type = json_object_get_int_member (frame, "type");

    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, request_id);
    if (type == 205 || type == 305) {
      g_ptr_array_add (rf->nodes, alger_test_frame_content (frame));
      continue;
    }
    g_assert_true (type == 207 || type == 307);
    rf->final = alger_test_frame_content (frame);
    rf->final_type = type;
    return;
  }
}

static const char *const sample_kahn[] = { "n-1001", "n-1002", "n-1003", "n-1004",
                                           "n-1005", "n-1006", "n-1007" };
static const char *const sample_dfs[] = { "n-1001", "n-1002", "n-1003", "n-1005",
                                          "n-1007", "n-1004", "n-1006" };

static void
assert_sample_run (RunFrames *rf, const char *execution_id, const char *const *order,
                   const char *pipeline_id)
{
  g_assert_cmpuint (rf->nodes->len, ==, 7);
  for (guint i = 0; i < 7; i++) {
    JsonObject *n = g_ptr_array_index (rf->nodes, i);
    g_assert_cmpstr (str (n, "executionId"), ==, execution_id);
    g_assert_cmpstr (str (n, "nodeId"), ==, order[i]);
    g_assert_cmpstr (str (n, "status"), ==, "success");
    g_assert_cmpint (json_object_get_int_member (n, "order"), ==, i + 1);
    g_assert_true (json_object_has_member (n, "durationMs"));
    g_assert_true (json_object_has_member (n, "predecessors"));
    g_assert_true (json_object_has_member (n, "nodeKind"));
  }
  g_assert_cmpint (rf->final_type, ==, 207);
  g_assert_cmpstr (str (rf->final, "status"), ==, "success");
  g_assert_cmpstr (str (rf->final, "executionId"), ==, execution_id);
  g_assert_true (json_object_has_member (rf->final, "durationMs"));
  if (pipeline_id != NULL)
    g_assert_cmpstr (str (rf->final, "pipelineId"), ==, pipeline_id);
  {
    JsonObject *summary = json_object_get_object_member (rf->final, "summary");
    JsonArray *got = json_object_get_array_member (summary, "order");
    g_assert_cmpuint (json_array_get_length (got), ==, 7);
    for (guint i = 0; i < 7; i++)
      g_assert_cmpstr (json_array_get_string_element (got, i), ==, order[i]);
    g_assert_true (json_object_has_member (json_object_get_object_member (summary, "sinks"),
                                           "n-1007"));
  }
}

/* the dashboard's own 104 frame: 204, 7 × 205 (order 1..7), then 207 */
static void
test_dashboard_run (Fixture *fx, gconstpointer data)
{
  g_autofree char *content = dashboard_content ();
  g_autoptr(AlgerTestClient) client = NULL;
  g_autofree char *id = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  if (content == NULL) {
    g_test_skip ("shared fixtures missing");
    return;
  }
  client = alger_test_client_connect (fx->server);
  id = start_run (client, 104, content, &rid);
  /* a version 7 UUID: time-ordered, so the indexes keyed by it grow at
   * their end */
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpint (id[14], ==, '7');
  collect (client, rid, &rf);
  assert_sample_run (&rf, id, sample_kahn, "pl-1795656331495");
  g_assert_cmpstr (str (rf.final, "strategy"), ==, "kahn");
  g_assert_cmpstr (str (json_object_get_object_member (rf.final, "summary"), "strategy"), ==,
                   "breadth-first topological (Kahn)");
  /* frames of the run took consecutive ids */
  g_assert_cmpint (client->last_id, ==, 9);
  run_frames_clear (&rf);

  /* the full row set of one run */
  alger_test_server_stop (fx->server);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where id = '%s' "
                                                  "and status = 'finished' and source = "
                                                  "'payload' and completed_at is not null and "
                                                  "output_file = '%s.json' and requested_by = "
                                                  "(select id from users where username = "
                                                  "'admin') and json_extract(output_content, "
                                                  "'$.order[6]') = 'n-1007'",
                                   id, id),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from execution_events where "
                                      "execution_id = '%s' and event_type = 'tracked-output'",
                                      id),
                   ==, 6);
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from execution_events where "
                                      "execution_id = '%s' and event_type = 'tracked-output' "
                                      "and json_extract(payload, '$.pipelineOwner.id') = "
                                      "'admin' and json_extract(payload, '$.executedBy.id') = "
                                      "(select id from users where username = 'admin')",
                                      id),
                   ==, 6);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from execution_events where "
                                                  "execution_id = '%s' and event_type = "
                                                  "'status'",
                                      id),
                   ==, 2);
  /* the summary event: the summary's members, then who owned and who ran it */
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from execution_events where "
                                      "execution_id = '%s' and event_type = 'summary' and "
                                      "json_valid(payload) and "
                                      "json_extract(payload, '$.order[6]') = 'n-1007' and "
                                      "json_extract(payload, '$.pipelineOwner.id') = 'admin' and "
                                      "json_extract(payload, '$.executedBy.id') = "
                                      "(select id from users where username = 'admin') and "
                                      "json_extract(payload, '$.order') = "
                                      "json_extract((select output_content from executions "
                                      "where id = '%s'), '$.order')",
                                      id, id),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'execute_pipeline' and "
                                                  "json_extract(details, '$.executionId') = '%s'",
                                      id),
                   ==, 1);
  /* the password the dashboard embeds in its graph is stored nowhere */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where graph "
                                                  "like '%%\"password\":\"admin\"%%'"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server,
                                      "select count(*) from conversation_messages where "
                                      "payload like '%%\"password\":\"admin\"%%' or payload "
                                      "like '%%\\\\\"password\\\\\":\\\\\"admin%%'"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "json_extract(graph, "
                                                  "'$.pipeline.meta.server.password') = "
                                                  "'[redacted]'"),
                   ==, 1);
  /* tracked files on disk, inside the execution's folder */
  {
    const char *files[] = { "dataset/n-1001.npy", "segmentation/n-1002.npy",
                            "filter/n-1003.npy", "simulation/n-1005.json",
                            "text/n-1007.txt" };
    g_autofree char *summary = g_strdup_printf ("%s/%s.json", fx->server->outputs_dir, id);
    g_assert_true (g_file_test (summary, G_FILE_TEST_IS_REGULAR));
    for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree char *path = g_build_filename (fx->server->outputs_dir, id, files[i], NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_error ("missing tracked output %s", path);
    }
  }
}

static void
test_stored_run (Fixture *fx, gconstpointer data)
{
  const char *strategy = ((const Case *) data)->param;
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *content = NULL;
  g_autofree char *id = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  content = g_strdup_printf ("{\"pipelineId\":\"demo\",\"strategy\":\"%s\"}", strategy);
  id = start_run (client, 103, content, &rid);
  collect (client, rid, &rf);
  assert_sample_run (&rf, id, g_str_equal (strategy, "dfs") ? sample_dfs : sample_kahn, "demo");
  g_assert_cmpstr (str (rf.final, "strategy"), ==, strategy);
  g_assert_cmpstr (str (g_ptr_array_index (rf.nodes, 0), "pipelineId"), ==, "demo");
  run_frames_clear (&rf);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "source = 'db' and pipeline_id = 'demo'"),
                   ==, 1);
}

typedef struct {
  gint type;
  const char *content;
  gint reply;
  const char *error;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { 103, "{}", 303, "pipelineId is required" },
  { 103, "{\"pipelineId\":\"\"}", 303, "pipelineId is required" },
  { 103, "{\"pipelineId\":[1]}", 303, "pipelineId must be a string" },
  { 103, "{\"pipelineId\":\"nope\"}", 303, "pipeline not found" },
  { 104, "{}", 304, "graph definition missing" },
  { 104, "{\"graph\":null}", 304, "graph definition missing" },
  { 104, "{\"graph\":\"text\"}", 304, "graph definition missing" },
  { 104, "{\"graph\":{},\"strategy\":5}", 304, "strategy must be a string" },
  { 104, "{\"graph\":{},\"pipelineId\":5}", 304, "pipelineId must be a string" },
  { 104, "{\"graph\":{},\"params\":[1]}", 304, "params must be an object" },
  /* members are found as a JSON reader sees them: escaped keys, the last duplicate */
  { 104, "{\"graph\":{},\"gr\\u0061ph\":null}", 304, "graph definition missing" },
  { 104, "{\"graph\":{},\"str\\u0061tegy\":[]}", 304, "strategy must be a string" },
  { 106, "{}", 306, "executionId is required" },
  { 106, "{\"executionId\":\"nope\"}", 306, "execution not found" },
  { 107, "{}", 307, "executionId is required" },
  { 107, "{\"executionId\":\"nope\"}", 307, "execution not found" },
};

static void
test_request_errors (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    gint64 id = alger_test_client_send (client, error_cases[i].type, error_cases[i].content);
    g_autoptr(JsonObject) frame = recv_type (client, error_cases[i].reply);
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, id);
    g_assert_cmpstr (str (c, "error"), ==, error_cases[i].error);
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions"), ==, 0);
}

/* a 104 read without building its graph on the main loop still credits the
 * owner the dashboard wrote into it (`pipeline.meta.owner`, or a root `meta`),
 * also when the keys arrive escaped */
static void
test_owner_from_graph (Fixture *fx, gconstpointer data)
{
#define TRACKED_NODE                                                                           \
  "{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":{\"maxSamples\":2},\"trackOutput\":true}}"
  static const struct {
    const char *content;
    const char *owner;
  } cases[] = {
    { "{\"gr\\u0061ph\":{\"pipeline\":{\"meta\":{\"owner\":{\"id\":\"alice\",\"label\":"
      "\"Alice\"}},\"nodes\":[" TRACKED_NODE "],\"edges\":[]}},\"pipel\\u0069neId\":\"demo\"}",
      "alice" },
    { "{\"graph\":{\"meta\":{\"owner\":\"bob\"},\"nodes\":[" TRACKED_NODE "],\"edges\":[]}}",
      "bob" },
    { "{\"graph\":{\"nodes\":[" TRACKED_NODE "],\"edges\":[]}}", "admin" },
  };
#undef TRACKED_NODE
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *content = cases[i].content;
    g_autofree char *id = NULL;
    RunFrames rf = { 0 };
    gint64 rid;

    id = start_run (client, 104, content, &rid);
    collect (client, rid, &rf);
    g_assert_cmpint (rf.final_type, ==, 207);
    run_frames_clear (&rf);
    g_assert_cmpint (alger_test_db_int (fx->server,
                                        "select count(*) from execution_events where "
                                        "execution_id = '%s' and event_type = 'tracked-output' "
                                        "and json_extract(payload, '$.pipelineOwner.id') = '%s'",
                                        id, cases[i].owner),
                     ==, 1);
  }
  /* a known pipeline id is kept (an unknown one would be stored as NULL) */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "pipeline_id = 'demo'"),
                   ==, 1);
}

static void
test_validation_failure (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *content = graph_content (
    "{\"nodes\":[{\"id\":\"a\",\"data\":{\"kind\":\"identity\"}},"
    "{\"id\":\"b\",\"data\":{\"kind\":\"identity\"}}],"
    "\"edges\":[{\"source\":\"a\",\"target\":\"b\"},{\"source\":\"b\",\"target\":\"a\"}]}",
    NULL);
  g_autofree char *id = NULL;
  g_autofree char *output = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  id = start_run (client, 104, content, &rid);
  collect (client, rid, &rf);
  g_assert_cmpuint (rf.nodes->len, ==, 0);
  g_assert_cmpint (rf.final_type, ==, 307);
  g_assert_cmpstr (str (rf.final, "status"), ==, "error");
  g_assert_true (g_str_has_prefix (str (rf.final, "error"), "Pipeline must be a DAG. Found cycle:"));
  run_frames_clear (&rf);

  /* 107 on a failed run */
  {
    g_autofree char *req = g_strdup_printf ("{\"executionId\":\"%s\"}", id);
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) c = NULL;
    g_autofree char *file = g_strdup_printf ("%s-error.json", id);
    alger_test_client_send (client, 107, req);
    frame = recv_type (client, 307);
    c = alger_test_frame_content (frame);
    g_assert_cmpstr (str (c, "status"), ==, "failed");
    g_assert_cmpstr (str (c, "file"), ==, file);
    g_assert_true (g_str_has_prefix (
      str (json_object_get_object_member (c, "content"), "error"), "Pipeline must be a DAG"));
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "status = 'failed'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from error_logs where "
                                                  "severity = 'pipeline' and execution_id = '%s'",
                                      id),
                   ==, 1);
  output = g_strdup_printf ("%s/%s-error.json", fx->server->outputs_dir, id);
  g_assert_true (g_file_test (output, G_FILE_TEST_IS_REGULAR));
}

static void
test_runtime_failure (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *content = graph_content (
    "{\"nodes\":[{\"id\":\"d\",\"data\":{\"kind\":\"dataset\",\"params\":{\"seed\":-1}}},"
    "{\"id\":\"i\",\"data\":{\"kind\":\"identity\"}}],"
    "\"edges\":[{\"source\":\"d\",\"target\":\"i\"}]}",
    "dfs");
  g_autofree char *id = NULL;
  RunFrames rf = { 0 };
  gint64 rid;
  JsonObject *node;

  id = start_run (client, 104, content, &rid);
  collect (client, rid, &rf);
  g_assert_cmpuint (rf.nodes->len, ==, 1);
  node = g_ptr_array_index (rf.nodes, 0);
  g_assert_cmpstr (str (node, "nodeId"), ==, "d");
  g_assert_cmpstr (str (node, "status"), ==, "error");
  g_assert_cmpstr (str (node, "error"), ==, "expected non-negative integer");
  g_assert_cmpint (rf.final_type, ==, 307);
  g_assert_cmpstr (str (rf.final, "error"), ==, "expected non-negative integer");
  g_assert_cmpstr (str (rf.final, "strategy"), ==, "dfs");
  run_frames_clear (&rf);
}

/* 397 while busy, and the count comes from live runs */
static void
test_busy_gate (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) a = alger_test_client_connect (fx->server);
  g_autoptr(AlgerTestClient) b = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  id = start_run (a, 103, "{\"pipelineId\":\"demo\"}", &rid);
  {
    gint64 bid = alger_test_client_send (b, 103, "{\"pipelineId\":\"demo\"}");
    g_autoptr(JsonObject) frame = recv_type (b, 397);
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);
    g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, bid);
    g_assert_cmpstr (str (c, "error"), ==, "Too many pipeline execution requests in progress.");
    g_assert_cmpint (json_object_get_int_member (c, "activeExecutions"), ==, 1);
  }
  collect (a, rid, &rf);
  run_frames_clear (&rf);
  /* free again once the run ended */
  id2 = start_run (b, 103, "{\"pipelineId\":\"demo\"}", &rid);
  collect (b, rid, &rf);
  g_assert_cmpint (rf.final_type, ==, 207);
  run_frames_clear (&rf);
}

/* 106 really stops: no 205 after the 206, final 307 "stopped", status stays stopped */
static void
test_stop (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autofree char *req = NULL;
  g_autoptr(JsonObject) first = NULL;
  gboolean acked = FALSE;
  gint64 rid;
  guint nodes_before_ack = 0;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  first = recv_type (client, 205);
  req = g_strdup_printf ("{\"executionId\":\"%s\"}", id);
  alger_test_client_send (client, 106, req);
  for (;;) {
    g_autoptr(JsonObject) frame = alger_test_client_recv (client);
    gint64 type = json_object_get_int_member (frame, "type");
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);

    if (type == 206) {
      g_assert_cmpstr (str (c, "status"), ==, "stopped");
      g_assert_cmpstr (str (c, "executionId"), ==, id);
      acked = TRUE;
    } else if (type == 205) {
      g_assert_false (acked);
      nodes_before_ack++;
    } else {
      g_assert_cmpint (type, ==, 307);
      g_assert_true (acked);
      g_assert_cmpstr (str (c, "status"), ==, "stopped");
      g_assert_cmpint (json_object_get_int_member (frame, "requestId"), ==, rid);
      break;
    }
  }
  g_assert_cmpuint (nodes_before_ack, <, 6);
  /* nothing more arrives for it */
  g_assert_false (alger_test_client_poll (client, 1500));
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'stopped'",
                                      id),
                   ==, 1);
  /* 107 and 106 on the stopped run */
  {
    g_autoptr(JsonObject) f1 = NULL;
    g_autoptr(JsonObject) f2 = NULL;
    g_autoptr(JsonObject) c1 = NULL;
    g_autoptr(JsonObject) c2 = NULL;
    g_autofree char *want1 = g_strdup_printf ("execution '%s' is not available (status=stopped)", id);
    g_autofree char *want2 = g_strdup_printf ("execution '%s' is not running (status=stopped)", id);
    alger_test_client_send (client, 107, req);
    f1 = recv_type (client, 307);
    c1 = alger_test_frame_content (f1);
    g_assert_cmpstr (str (c1, "error"), ==, want1);
    alger_test_client_send (client, 106, req);
    f2 = recv_type (client, 306);
    c2 = alger_test_frame_content (f2);
    g_assert_cmpstr (str (c2, "error"), ==, want2);
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'stopped'",
                                      id),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'stop_execution'"),
                   ==, 2);
}

/* 107 on a finished run; 106 on it changes nothing */
static void
test_output_and_stop_finished (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autofree char *req = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  collect (client, rid, &rf);
  req = g_strdup_printf ("{\"executionId\":\"%s\"}", id);
  {
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) c = NULL;
    g_autofree char *file = g_strdup_printf ("%s.json", id);
    alger_test_client_send (client, 107, req);
    frame = recv_type (client, 207);
    c = alger_test_frame_content (frame);
    g_assert_cmpstr (str (c, "executionId"), ==, id);
    g_assert_cmpstr (str (c, "file"), ==, file);
    g_assert_cmpstr (str (json_object_get_object_member (c, "content"), "strategy"), ==,
                     "breadth-first topological (Kahn)");
  }
  {
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) c = NULL;
    g_autofree char *want = g_strdup_printf ("execution '%s' is not running (status=finished)", id);
    alger_test_client_send (client, 106, req);
    frame = recv_type (client, 306);
    c = alger_test_frame_content (frame);
    g_assert_cmpstr (str (c, "error"), ==, want);
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "status = 'finished'"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from user_actions where "
                                                  "action = 'request_output'"),
                   ==, 1);
  run_frames_clear (&rf);
}

/* 107 while running; requests interleave with pushes under one id sequence */
static void
test_interleaving (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autofree char *req = NULL;
  gint64 rid, last = 0;
  gboolean got_running = FALSE, got_profile = FALSE, done = FALSE;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  last = client->last_id;
  req = g_strdup_printf ("{\"executionId\":\"%s\"}", id);
  alger_test_client_send (client, 107, req);
  while (!done) {
    g_autoptr(JsonObject) frame = alger_test_client_recv (client);
    gint64 type = json_object_get_int_member (frame, "type");
    g_autoptr(JsonObject) c = alger_test_frame_content (frame);

    g_assert_cmpint (json_object_get_int_member (frame, "id"), ==, last + 1);
    last++;
    if (type == 307 && json_object_get_int_member (frame, "requestId") != rid) {
      g_autofree char *want = g_strdup_printf ("execution '%s' is still running", id);
      g_assert_cmpstr (str (c, "error"), ==, want);
      got_running = TRUE;
      alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    } else if (type == 201) {
      got_profile = TRUE;
    } else if (type == 207) {
      done = TRUE;
    }
  }
  g_assert_true (got_running);
  g_assert_true (got_profile);
}

/* a client that disconnects does not stop its run */
static void
test_disconnect_mid_run (Fixture *fx, gconstpointer data)
{
  AlgerTestClient *client = alger_test_client_connect (fx->server);
  g_autoptr(AlgerTestClient) other = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) first = NULL;
  gint64 rid, deadline;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  first = recv_type (client, 205);
  alger_test_client_free (client);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline &&
         alger_test_db_int (fx->server, "select count(*) from executions where id = '%s' and "
                                        "status = 'finished'", id) == 0)
    g_usleep (50000);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'finished'",
                                      id),
                   ==, 1);
  other = alger_test_client_connect (fx->server);
  {
    g_autofree char *req = g_strdup_printf ("{\"executionId\":\"%s\"}", id);
    g_autoptr(JsonObject) frame = NULL;
    alger_test_client_send (other, 107, req);
    frame = recv_type (other, 207);
  }
}

/* kill -9 mid-run: the row becomes interrupted and the gate is not blocked */
static void
test_crash_mid_run (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(AlgerTestClient) again = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  g_autoptr(JsonObject) first = NULL;
  gint64 rid;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  first = recv_type (client, 205);
  alger_test_server_kill (fx->server);
  g_clear_pointer (&client, alger_test_client_free);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'running'",
                                      id),
                   ==, 1);
  alger_test_server_restart (fx->server);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'interrupted'",
                                      id),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from execution_events where "
                                                  "execution_id = '%s' and payload like "
                                                  "'%%interrupted%%'",
                                      id),
                   ==, 1);
  /* the crashed connection is closed too, not left open for good */
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'open'"),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from connections where "
                                                  "status = 'interrupted' and disconnected_at "
                                                  "is not null"),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from conversations where "
                                                  "ended_at is null"),
                   ==, 0);
  again = alger_test_client_connect (fx->server);
  id2 = start_run (again, 103, "{\"pipelineId\":\"demo\"}", &rid);
  g_assert_cmpstr (id2, !=, id);
}

/* hostile graphs over the protocol: too many nodes, a huge shape, path tricks */
static void
test_hostile_graphs (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autoptr(GString) big = g_string_new ("{\"nodes\":[");
  g_autofree char *content = NULL;
  g_autofree char *id = NULL;
  RunFrames rf = { 0 };
  gint64 rid;

  /* more nodes than --max-nodes=50 */
  for (guint i = 0; i < 60; i++)
    g_string_append_printf (big, "%s{\"id\":\"n%u\",\"data\":{\"kind\":\"identity\"}}",
                            i > 0 ? "," : "", i);
  g_string_append (big, "],\"edges\":[]}");
  content = graph_content (big->str, NULL);
  id = start_run (client, 104, content, &rid);
  collect (client, rid, &rf);
  g_assert_cmpint (rf.final_type, ==, 307);
  g_assert_nonnull (strstr (str (rf.final, "error"), "50"));
  run_frames_clear (&rf);
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&content, g_free);

  /* a dataset far over the element budget fails cleanly, before allocating */
  content = graph_content ("{\"nodes\":[{\"id\":\"d\",\"data\":{\"kind\":\"dataset\","
                           "\"params\":{\"shape\":[100000,100000,100000]}}}],\"edges\":[]}",
                           NULL);
  id = start_run (client, 104, content, &rid);
  collect (client, rid, &rf);
  g_assert_cmpuint (rf.nodes->len, ==, 1);
  g_assert_cmpstr (str (g_ptr_array_index (rf.nodes, 0), "status"), ==, "error");
  g_assert_cmpint (rf.final_type, ==, 307);
  run_frames_clear (&rf);
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&content, g_free);

  /* node ids that try to leave the execution's folder */
  content = graph_content ("{\"nodes\":[{\"id\":\"../../../escape\",\"data\":{\"kind\":"
                           "\"dataset\",\"params\":{\"shape\":[1,4,4]},\"trackOutput\":true}},"
                           "{\"id\":\"a/b\",\"data\":{\"kind\":\"text\"}}],"
                           "\"edges\":[{\"source\":\"../../../escape\",\"target\":\"a/b\"}]}",
                           NULL);
  id = start_run (client, 104, content, &rid);
  collect (client, rid, &rf);
  g_assert_cmpint (rf.final_type, ==, 207);
  run_frames_clear (&rf);
  {
    g_autofree char *escaped = g_build_filename (fx->server->state_dir, "escape.npy", NULL);
    g_autofree char *escaped2 = g_build_filename (fx->server->outputs_dir, "escape.npy", NULL);
    g_autofree char *dir = g_build_filename (fx->server->outputs_dir, id, "dataset", NULL);
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (escaped2, G_FILE_TEST_EXISTS));
    g_assert_nonnull (d);
    g_assert_nonnull (g_dir_read_name (d)); /* the file is inside the run's folder */
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from execution_events where "
                                                  "event_type = 'tracked-output' and "
                                                  "(json_extract(payload, '$.artifact.path') "
                                                  "like '../%%' or json_extract(payload, "
                                                  "'$.artifact.path') like '%%/../%%' or "
                                                  "json_extract(payload, '$.artifact.path') "
                                                  "not like '%s/%%')",
                                      id),
                   ==, 0);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from execution_events where "
                                                  "event_type = 'tracked-output'"),
                   ==, 2);
}

/* SIGTERM mid-run: the run is stopped and recorded before the server exits 0 */
static void
test_sigterm_mid_run (Fixture *fx, gconstpointer data)
{
  g_autoptr(AlgerTestClient) client = alger_test_client_connect (fx->server);
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) first = NULL;
  gint64 rid;

  id = start_run (client, 103, "{\"pipelineId\":\"demo\"}", &rid);
  first = recv_type (client, 205);
  alger_test_server_stop (fx->server);
  g_assert_cmpuint (alger_test_client_wait_closed (client), ==, 1001);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "id = '%s' and status = 'stopped' and "
                                                  "completed_at is not null",
                                      id),
                   ==, 1);
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from execution_events where "
                                                  "execution_id = '%s' and event_type = 'stop'",
                                      id),
                   ==, 1);
}

/* concurrent runs from several sessions, each with its own id sequence */
static void
test_concurrent_sessions (Fixture *fx, gconstpointer data)
{
  AlgerTestClient *clients[3];
  gint64 rids[3];
  char *ids[3] = { NULL };

  for (guint i = 0; i < 3; i++) {
    clients[i] = alger_test_client_connect (fx->server);
    ids[i] = start_run (clients[i], 103, "{\"pipelineId\":\"demo\"}", &rids[i]);
  }
  for (guint i = 0; i < 3; i++) {
    RunFrames rf = { 0 };
    collect (clients[i], rids[i], &rf);
    assert_sample_run (&rf, ids[i], sample_kahn, "demo");
    g_assert_cmpint (clients[i]->last_id, ==, 9);
    run_frames_clear (&rf);
    alger_test_client_free (clients[i]);
    g_free (ids[i]);
  }
  g_assert_cmpint (alger_test_db_int (fx->server, "select count(*) from executions where "
                                                  "status = 'finished'"),
                   ==, 3);
}

static const char *const paced[] = { "--node-delay-ms=150,250", NULL };
static const char *const paced4[] = { "--node-delay-ms=50,100", "--max-concurrent=4", NULL };
static const Case plain = { NULL, NULL };
static const Case with_delay = { paced, NULL };
static const Case with_delay4 = { paced4, NULL };
static const char *const small_limits[] = { "--max-nodes=50", NULL };
static const Case limited = { small_limits, NULL };
static const Case kahn = { NULL, "kahn" };
static const Case dfs = { NULL, "dfs" };

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, tc) \
  g_test_add (path, Fixture, &tc, fixture_setup, fn, fixture_teardown)

  ADD ("/alger/exec/dashboard-104", test_dashboard_run, plain);
  ADD ("/alger/exec/stored/kahn", test_stored_run, kahn);
  ADD ("/alger/exec/stored/dfs", test_stored_run, dfs);
  ADD ("/alger/exec/errors", test_request_errors, plain);
  ADD ("/alger/exec/owner-from-graph", test_owner_from_graph, plain);
  ADD ("/alger/exec/failure/validation", test_validation_failure, plain);
  ADD ("/alger/exec/failure/runtime", test_runtime_failure, plain);
  ADD ("/alger/exec/gate/busy", test_busy_gate, with_delay);
  ADD ("/alger/exec/stop/running", test_stop, with_delay);
  ADD ("/alger/exec/stop/finished", test_output_and_stop_finished, plain);
  ADD ("/alger/exec/interleaving", test_interleaving, with_delay);
  ADD ("/alger/exec/disconnect", test_disconnect_mid_run, with_delay);
  ADD ("/alger/exec/crash", test_crash_mid_run, with_delay);
  ADD ("/alger/exec/sigterm", test_sigterm_mid_run, with_delay);
  ADD ("/alger/exec/hostile", test_hostile_graphs, limited);
  ADD ("/alger/exec/concurrent", test_concurrent_sessions, with_delay4);
  return g_test_run ();
}
