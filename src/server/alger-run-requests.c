/* alger-run-requests.c: the run requests of the protocol (103, 104, 106, 107)
 *
 * Checks each request's payload and answers its errors; a valid 103/104 is
 * handed to AlgerExecutions, which applies the gates and starts the run;
 * 106 stops a live run; 106/107 on runs that ended read the store.
 */
#define G_LOG_DOMAIN "alger-run-requests"

#include "config.h"

#include "alger-run-requests.h"

#include <string.h>

#include "alger-error.h"
#include "alger-json-text.h"


typedef struct {
  AlgerExecutions *self;
  AlgerStore *store;
  AlgerSession *session;
  gint64 request_id;
  gint64 type;
  char *execution_id;
  char *strategy;
  JsonNode *params;
} Request;

static void
request_free (Request *req)
{
  g_object_unref (req->self);
  g_object_unref (req->store);
  g_clear_object (&req->session);
  g_free (req->execution_id);
  g_free (req->strategy);
  g_clear_pointer (&req->params, json_node_unref);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static Request *
request_new (AlgerExecutions *self, AlgerStore *store, AlgerSession *session, AlgerFrame *frame)
{
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->store = g_object_ref (store);
  req->session = g_object_ref (session);
  req->request_id = frame->id;
  req->type = frame->type;
  return req;
}

static void
reply_error (AlgerSession *session, gint64 id, gint64 type, const char *message)
{
  g_autofree char *content = alger_frame_error_content (message);

  alger_session_reply (session, id, type, content);
}

/* a member that must be a non-empty string: NULL + *present when it is something else */
static const char *
string_member (JsonObject *obj, const char *name, gboolean *present)
{
  JsonNode *node = json_object_get_member (obj, name);

  *present = node != NULL && !JSON_NODE_HOLDS_NULL (node);
  if (!*present || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static char *
builder_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return alger_json_to_string (root);
}

static void
record_action (AlgerStore *store, AlgerSession *session, const char *action,
               JsonBuilder *details)
{
  g_autofree char *text = builder_string (details);

  alger_store_record_user_action (store, alger_session_get_user_id (session), action, text,
                                  NULL, NULL);
}

/* a member span of the (checked) content text, parsed on its own; NULL when absent */
static JsonNode *
parse_span (const char *text, gsize start, gsize span)
{
  return span > 0 ? alger_json_parse_utf8 (text + start, span, NULL, NULL) : NULL;
}

/* strategy and params are common to 103 and 104; FALSE when a reply was sent */
static gboolean
read_run_options (Request *req, JsonNode *strategy, JsonNode *params, gint64 error_type)
{
  if (strategy != NULL && !JSON_NODE_HOLDS_NULL (strategy)) {
    if (!JSON_NODE_HOLDS_VALUE (strategy) ||
        json_node_get_value_type (strategy) != G_TYPE_STRING) {
      reply_error (req->session, req->request_id, error_type, "strategy must be a string");
      return FALSE;
    }
    req->strategy = g_strdup (json_node_get_string (strategy));
  }
  if (params != NULL && !JSON_NODE_HOLDS_NULL (params)) {
    if (!JSON_NODE_HOLDS_OBJECT (params)) {
      reply_error (req->session, req->request_id, error_type, "params must be an object");
      return FALSE;
    }
    req->params = json_node_copy (params);
  }
  return TRUE;
}

static void
stored_pipeline_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) row = NULL;
  JsonNode *graph;

  row = alger_store_query_finish (ALGER_STORE (source), result, &error);
  if (row == NULL) {
    reply_error (req->session, req->request_id, 303,
                 g_error_matches (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND)
                   ? "pipeline not found"
                   : error->message);
    return;
  }
  graph = json_object_get_member (json_node_get_object (row), "full_graph");
  if (graph == NULL || !JSON_NODE_HOLDS_OBJECT (graph)) {
    reply_error (req->session, req->request_id, 303, "pipeline graph missing");
    return;
  }
  alger_executions_start (req->self, req->session, req->request_id, 203, graph, NULL, "db",
                          req->execution_id, req->strategy, req->params);
}

static void
handle_run_stored (AlgerExecutions *self, AlgerStore *store, AlgerSession *session,
                   AlgerFrame *frame)
{
  g_autoptr(Request) req = request_new (self, store, session, frame);
  gboolean present = FALSE;
  const char *pipeline_id = string_member (alger_frame_get_content (frame), "pipelineId", &present);
  char *args[2] = { NULL, NULL };

  if (pipeline_id == NULL || pipeline_id[0] == '\0') {
    reply_error (session, frame->id, 303,
                 present && pipeline_id == NULL ? "pipelineId must be a string"
                                                : "pipelineId is required");
    return;
  }
  if (!read_run_options (req, json_object_get_member (alger_frame_get_content (frame), "strategy"),
                         json_object_get_member (alger_frame_get_content (frame), "params"), 303))
    return;
  req->execution_id = g_strdup (pipeline_id); /* holds the pipeline id here */
  args[0] = req->execution_id;
  alger_store_query (store, "pipeline", args, NULL, stored_pipeline_done,
                     g_steal_pointer (&req));
}

static void
handle_run_adhoc (AlgerExecutions *self, AlgerStore *store, AlgerSession *session,
                  AlgerFrame *frame)
{
  g_autoptr(Request) req = request_new (self, store, session, frame);
  /* the graph stays text: validated and built on the run's worker thread;
   * the small members are found in one pass and parsed on their own */
  static const char *const names[] = { "graph", "pipelineId", "strategy", "params" };
  const char *text = frame->content_text;
  gsize starts[G_N_ELEMENTS (names)], spans[G_N_ELEMENTS (names)];
  g_autoptr(JsonNode) id_node = NULL;
  g_autoptr(JsonNode) strategy = NULL;
  g_autoptr(JsonNode) params = NULL;
  const char *pipeline_id = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    alger_frame_find_content_member (frame, names[i], &starts[i], &spans[i]);
  if (spans[0] == 0 || text[starts[0]] != '{') {
    reply_error (session, frame->id, 304, "graph definition missing");
    return;
  }
  id_node = parse_span (text, starts[1], spans[1]);
  strategy = parse_span (text, starts[2], spans[2]);
  params = parse_span (text, starts[3], spans[3]);
  if (id_node != NULL && !JSON_NODE_HOLDS_NULL (id_node)) {
    if (!JSON_NODE_HOLDS_VALUE (id_node) || json_node_get_value_type (id_node) != G_TYPE_STRING) {
      reply_error (session, frame->id, 304, "pipelineId must be a string");
      return;
    }
    pipeline_id = json_node_get_string (id_node);
  }
  if (!read_run_options (req, strategy, params, 304))
    return;
  alger_executions_start (self, session, frame->id, 204, NULL,
                          g_strndup (text + starts[0], spans[0]), "payload", pipeline_id,
                          req->strategy, req->params);
}

static void
stop_lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) row = NULL;
  g_autofree char *message = NULL;

  row = alger_store_query_finish (ALGER_STORE (source), result, &error);
  if (row == NULL) {
    reply_error (req->session, req->request_id, 306, "execution not found");
    return;
  }
  message = g_strdup_printf ("execution '%s' is not running (status=%s)", req->execution_id,
                             json_object_get_string_member_with_default (
                               json_node_get_object (row), "status", "unknown"));
  reply_error (req->session, req->request_id, 306, message);
}

static void
handle_stop (AlgerExecutions *self, AlgerStore *store, AlgerSession *session,
             AlgerFrame *frame)
{
  g_autoptr(Request) req = request_new (self, store, session, frame);
  g_autoptr(JsonBuilder) details = json_builder_new ();
  gboolean present = FALSE;
  const char *id = string_member (alger_frame_get_content (frame), "executionId", &present);
  char *args[2] = { NULL, NULL };
  g_autofree char *by = NULL;
  g_autofree char *reply = NULL;

  if (id == NULL || id[0] == '\0') {
    reply_error (session, frame->id, 306, "executionId is required");
    return;
  }
  req->execution_id = g_strdup (id);
  json_builder_begin_object (details);
  json_builder_set_member_name (details, "messageId");
  json_builder_add_int_value (details, frame->id);
  json_builder_set_member_name (details, "executionId");
  json_builder_add_string_value (details, id);
  json_builder_end_object (details);
  record_action (store, session, "stop_execution", details);

  by = g_strdup_printf ("user %s", alger_session_get_username (session));
  if (alger_executions_stop (self, id, by, NULL)) {
    reply = g_strdup_printf ("{\"executionId\":\"%s\",\"status\":\"stopped\"}", id);
    alger_session_reply (session, frame->id, 206, reply);
    return;
  }
  args[0] = req->execution_id;
  alger_store_query (store, "execution", args, NULL, stop_lookup_done,
                     g_steal_pointer (&req));
}

static void
output_lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) row = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *content = NULL;
  g_autofree char *message = NULL;
  g_autofree char *file = NULL;
  JsonObject *obj;
  const char *status;
  JsonNode *output;

  row = alger_store_query_finish (ALGER_STORE (source), result, &error);
  if (row == NULL) {
    reply_error (req->session, req->request_id, 307, "execution not found");
    return;
  }
  obj = json_node_get_object (row);
  status = json_object_get_string_member_with_default (obj, "status", "unknown");
  output = json_object_get_member (obj, "output_content");
  if (g_strcmp0 (status, "running") == 0) {
    /* a row left running by a server that has not restarted yet */
    message = g_strdup_printf ("execution '%s' is still running", req->execution_id);
    reply_error (req->session, req->request_id, 307, message);
    return;
  }
  if (g_strcmp0 (status, "finished") == 0 || g_strcmp0 (status, "failed") == 0) {
    gboolean ok = status[0] == 'f' && status[1] == 'i';
    file = g_strdup_printf (ok ? "%s.json" : "%s-error.json", req->execution_id);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "executionId");
    json_builder_add_string_value (b, req->execution_id);
    if (!ok) {
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, "failed");
    }
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, file);
    json_builder_set_member_name (b, "content");
    if (output != NULL)
      json_builder_add_value (b, json_node_copy (output));
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
    content = builder_string (b);
    alger_session_reply (req->session, req->request_id, ok ? 207 : 307, content);
    return;
  }
  message = g_strdup_printf ("execution '%s' is not available (status=%s)", req->execution_id,
                             status);
  reply_error (req->session, req->request_id, 307, message);
}

static void
handle_output (AlgerExecutions *self, AlgerStore *store, AlgerSession *session,
               AlgerFrame *frame)
{
  g_autoptr(Request) req = request_new (self, store, session, frame);
  g_autoptr(JsonBuilder) details = json_builder_new ();
  gboolean present = FALSE;
  const char *id = string_member (alger_frame_get_content (frame), "executionId", &present);
  char *args[2] = { NULL, NULL };

  if (id == NULL || id[0] == '\0') {
    reply_error (session, frame->id, 307, "executionId is required");
    return;
  }
  req->execution_id = g_strdup (id);
  json_builder_begin_object (details);
  json_builder_set_member_name (details, "executionId");
  json_builder_add_string_value (details, id);
  json_builder_set_member_name (details, "messageId");
  json_builder_add_int_value (details, frame->id);
  json_builder_end_object (details);
  record_action (store, session, "request_output", details);

  if (alger_executions_find (self, id) != NULL) {
    g_autofree char *message = g_strdup_printf ("execution '%s' is still running", id);
    reply_error (session, frame->id, 307, message);
    return;
  }
  args[0] = req->execution_id;
  alger_store_query (store, "execution", args, NULL, output_lookup_done,
                     g_steal_pointer (&req));
}

void
alger_run_requests_handle (AlgerExecutions *self, AlgerStore *store, AlgerSession *session,
                           AlgerFrame *frame)
{
  g_return_if_fail (ALGER_IS_EXECUTIONS (self));

  switch (frame->type) {
  case 103:
    handle_run_stored (self, store, session, frame);
    break;
  case 104:
    handle_run_adhoc (self, store, session, frame);
    break;
  case 106:
    handle_stop (self, store, session, frame);
    break;
  case 107:
    handle_output (self, store, session, frame);
    break;
  default:
    g_return_if_reached ();
  }
}

