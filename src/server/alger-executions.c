/* alger-executions.c: runs pipelines for the protocol (103/104/106/107)
 *
 * A run's life: the request is checked, then the gates; the execution row
 * and its "created" event are queued to the store before the 20x, so they
 * commit first.  The graph runs on a pool worker, which also writes the
 * tracked files and the output file; node reports and the end come back to
 * the main context, where they are recorded and re-emitted by the
 * AlgerExecution for whoever listens (the session pushes 205/305, 207/307).
 */
#define G_LOG_DOMAIN "alger-executions"

#include "config.h"

#include "alger-executions.h"

#include <math.h>
#include <string.h>

#include "alger-artifacts.h"
#include "alger-error.h"
#include "alger-graph.h"
#include "alger-json-text.h"
#include "alger-mailbox.h"
#include "alger-redact.h"
#include "alger-runner.h"

struct _AlgerExecutions {
  GObject parent_instance;

  const AlgerConfig *config;
  AlgerStore *store;
  GThreadPool *pool;
  GMainContext *context;
  AlgerMailbox *mailbox; /* workers' reports to the main context */
  GHashTable *running; /* id -> RunState */

  gboolean maintenance_mode;
  gboolean executions_halted;
  guint max_concurrent;
};

G_DEFINE_TYPE (AlgerExecutions, alger_executions, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAINTENANCE_MODE,
  PROP_EXECUTIONS_HALTED,
  PROP_MAX_CONCURRENT_EXECUTIONS,
  PROP_ACTIVE_EXECUTIONS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_EXECUTION_STARTED,
  SIGNAL_EXECUTION_FINISHED,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

/* main-context state of one live run */
typedef struct {
  AlgerExecutions *owner; /* weak: the owner outlives its runs (dispose waits) */
  AlgerExecution *execution;
  AlgerSession *session; /* nullable */
  gint64 request_id;
  gulong node_handler;
  gulong finished_handler;
  char *executed_by; /* {id,label} as compact JSON */
  gint64 started_mono;
} RunState;

/* what a worker needs; owned by the worker job */
typedef struct {
  AlgerExecutions *owner;
  AlgerExecution *execution; /* ref: read-only fields, cancellable */
  JsonNode *graph;
  char *graph_text; /* the graph as received (104), read without a JsonNode tree */
  char *strategy;
  char *outputs_dir;
  guint max_nodes;
  guint64 max_elements;
  gboolean compat_original;
  guint delay_min_ms;
  guint delay_max_ms;
  char *username;       /* who runs it: the owner when the graph names none */
  char *pipeline_owner; /* {id,label}, found by the worker (the graph is large) */
  char *executed_by;    /* a copy of the RunState's */
  AlgerMailbox *mailbox; /* the owner's: outlives the job (dispose waits) */
} Job;

/* one node's report, made on the worker as the texts the main loop records
 * and sends */
typedef struct {
  AlgerExecutions *owner;
  char *execution_id;
  char *content;       /* 205/305 content, compact JSON */
  char *error;         /* the node's error (a 305), else NULL */
  char *description;   /* of its tracked-output events */
  GPtrArray *tracked;  /* tracked-output event payloads (char *) */
} NodeMsg;

typedef struct {
  AlgerExecutions *owner;
  char *execution_id;
  JsonNode *summary;  /* on success */
  char *summary_text; /* the summary as compact JSON, made on the worker */
  GError *error;      /* on failure or cancellation */
  double duration_ms;
  char *output_file;  /* written by the worker, nullable */
  char *pipeline_owner; /* the owner the worker found */
} EndMsg;

static void
run_state_free (RunState *state)
{
  if (state->session != NULL) {
    g_clear_signal_handler (&state->node_handler, state->execution);
    g_clear_signal_handler (&state->finished_handler, state->execution);
  }
  g_clear_object (&state->session);
  g_clear_object (&state->execution);
  g_free (state->executed_by);
  g_free (state);
}

static void
job_free (Job *job)
{
  g_clear_object (&job->execution);
  g_clear_pointer (&job->graph, json_node_unref);
  g_free (job->graph_text);
  g_free (job->strategy);
  g_free (job->outputs_dir);
  g_free (job->username);
  g_free (job->pipeline_owner);
  g_free (job->executed_by);
  g_free (job);
}

static void
node_msg_free (NodeMsg *msg)
{
  g_free (msg->execution_id);
  g_free (msg->content);
  g_free (msg->error);
  g_free (msg->description);
  g_clear_pointer (&msg->tracked, g_ptr_array_unref);
  g_free (msg);
}

static void
end_msg_free (EndMsg *msg)
{
  g_free (msg->execution_id);
  g_clear_pointer (&msg->summary, json_node_unref);
  g_free (msg->summary_text);
  g_clear_error (&msg->error);
  g_free (msg->output_file);
  g_free (msg->pipeline_owner);
  g_free (msg);
}

static double
round_ms (double ms)
{
  return round (ms * 1000.0) / 1000.0;
}

static char *
builder_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return alger_json_to_string (root);
}

static char *
object_string (JsonObject *object)
{
  return alger_json_object_to_string (object);
}

/* ---------------- main-context side: records and signals ---------------- */

static void notify_active (AlgerExecutions *self);

static void
record_event (AlgerExecutions *self, const char *execution_id, const char *type,
              const char *description, const char *payload)
{
  alger_store_add_execution_event (self->store, execution_id, type, description, payload, NULL,
                                   NULL);
}

static void
deliver_node (gpointer data)
{
  NodeMsg *msg = data;
  AlgerExecutions *self = msg->owner;
  RunState *state = g_hash_table_lookup (self->running, msg->execution_id);

  if (state == NULL)
    return;
  for (guint i = 0; i < msg->tracked->len; i++)
    record_event (self, msg->execution_id, "tracked-output", msg->description,
                  g_ptr_array_index (msg->tracked, i));
  if (msg->error != NULL) {
    AlgerErrorRecord rec = { 0 };
    rec.conversation_id = state->session != NULL
                            ? alger_session_get_conversation_id (state->session)
                            : NULL;
    rec.execution_id = msg->execution_id;
    rec.message_id = -1;
    rec.type_code = 305;
    rec.severity = "pipeline";
    rec.message = msg->error;
    alger_store_record_error (self->store, &rec, NULL, NULL);
  }
  alger_execution_emit_node (state->execution, msg->content, msg->error != NULL);
  }

static void
deliver_end (gpointer data)
{
  EndMsg *msg = data;
  AlgerExecutions *self = msg->owner;
  RunState *state = g_hash_table_lookup (self->running, msg->execution_id);
  g_autoptr(JsonObject) final = json_object_new ();
  g_autofree char *status_payload = NULL;
  g_autofree char *status_description = NULL;
  g_autofree char *output_content = NULL;
  AlgerExecutionStatus status;
  const char *status_name;
  const char *pipeline_id;

  if (state == NULL)
    return;
  if (alger_execution_is_stop_requested (state->execution) ||
      g_error_matches (msg->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    status = ALGER_EXECUTION_STOPPED;
  else if (msg->error != NULL)
    status = ALGER_EXECUTION_FAILED;
  else
    status = ALGER_EXECUTION_FINISHED;
  status_name = alger_execution_status_to_string (status);
  pipeline_id = alger_execution_get_pipeline_id (state->execution);

  json_object_set_string_member (final, "executionId", msg->execution_id);
  if (status == ALGER_EXECUTION_FINISHED) {
    g_autofree char *summary_payload = NULL;
    const char *owner = msg->pipeline_owner;
    const char *by = state->executed_by;
    const char *text = msg->summary_text;
    gsize len = strlen (text);

    /* the summary event carries who owned and who ran the pipeline: the
     * summary object's text with two more members, no tree copied */
    g_assert (len >= 2 && text[len - 1] == '}');
    summary_payload = g_strdup_printf ("%.*s%s\"pipelineOwner\":%s,\"executedBy\":%s}",
                                       (int) (len - 1), text, len > 2 ? "," : "", owner, by);
    output_content = g_strdup (text);
    json_object_set_string_member (final, "status", "success");
    json_object_set_member (final, "summary", g_steal_pointer (&msg->summary));
    alger_store_update_execution (self->store, msg->execution_id, status_name, msg->output_file,
                                  output_content, TRUE, NULL, NULL);
    status_description = g_strdup_printf ("Execution status updated to '%s'", status_name);
    status_payload = g_strdup_printf ("{\"status\":\"%s\"}", status_name);
    record_event (self, msg->execution_id, "status", status_description, status_payload);
    record_event (self, msg->execution_id, "summary", "Execution finished with DAG summary.",
                  summary_payload);
  } else {
    const char *text = msg->error != NULL ? msg->error->message : "stopped";
    g_autofree char *error_content = alger_frame_error_content (text);
    AlgerErrorRecord rec = { 0 };

    json_object_set_string_member (final, "status",
                                   status == ALGER_EXECUTION_STOPPED ? "stopped" : "error");
    if (status == ALGER_EXECUTION_STOPPED)
      json_object_set_string_member (final, "error", "execution stopped");
    else
      json_object_set_string_member (final, "error", text);
    alger_store_update_execution (self->store, msg->execution_id, status_name,
                                  status == ALGER_EXECUTION_FAILED ? msg->output_file : NULL,
                                  status == ALGER_EXECUTION_FAILED ? error_content : NULL,
                                  TRUE, NULL, NULL);
    status_description = g_strdup_printf ("Execution status updated to '%s'", status_name);
    status_payload = g_strdup_printf ("{\"status\":\"%s\"}", status_name);
    record_event (self, msg->execution_id, "status", status_description, status_payload);
    if (status == ALGER_EXECUTION_FAILED) {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *failure = NULL;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, text);
      json_builder_set_member_name (b, "errorType");
      json_builder_add_string_value (b, alger_error_python_type (msg->error));
      json_builder_end_object (b);
      failure = builder_string (b);
      record_event (self, msg->execution_id, "failure", "Execution failed.", failure);
      rec.conversation_id = state->session != NULL
                              ? alger_session_get_conversation_id (state->session)
                              : NULL;
      rec.execution_id = msg->execution_id;
      rec.message_id = -1;
      rec.type_code = 307;
      rec.severity = "pipeline";
      rec.message = text;
      alger_store_record_error (self->store, &rec, NULL, NULL);
    }
  }
  json_object_set_double_member (final, "durationMs", round_ms (msg->duration_ms));
  json_object_set_string_member (final, "strategy", alger_execution_get_strategy (state->execution));
  if (pipeline_id != NULL)
    json_object_set_string_member (final, "pipelineId", pipeline_id);
  else
    json_object_set_null_member (final, "pipelineId");

  g_object_ref (state->execution);
  {
    g_autoptr(AlgerExecution) execution = state->execution;
    gpointer key = NULL;
    g_hash_table_steal_extended (self->running, msg->execution_id, &key, NULL);
    g_free (key);
    alger_execution_finish (execution, status, final);
    g_signal_emit (self, signals[SIGNAL_EXECUTION_FINISHED], 0, execution);
    run_state_free (state);
  }
  notify_active (self);
  }

/* ---------------- worker side ---------------- */

static JsonNode *pipeline_owner (JsonNode *graph, const char *graph_text, const char *username);

typedef struct {
  Job *job;
} WorkerCtx;

static void
append_member_name (GString *out, const char *name)
{
  if (out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  alger_json_append_string (out, name, -1);
  g_string_append_c (out, ':');
}

static void
append_string_member (GString *out, const char *name, const char *value)
{
  append_member_name (out, name);
  alger_json_append_string (out, value, -1);
}

/* the 205/305 content: executionId, nodeId, nodeKind, status, durationMs,
 * predecessors, order, then pipelineId (runs of a stored pipeline) and
 * error (a failed node) */
static char *
node_content (Job *job, const AlgerNodeReport *report, const char *kind)
{
  GString *out = g_string_sized_new (256);
  char number[32];

  g_string_append_c (out, '{');
  append_string_member (out, "executionId", alger_execution_get_id (job->execution));
  append_string_member (out, "nodeId", report->node_id);
  append_string_member (out, "nodeKind", kind);
  append_string_member (out, "status", report->error == NULL ? "success" : "error");
  append_member_name (out, "durationMs");
  g_string_append (out, alger_json_format_double (round_ms (report->duration_ms), number));
  append_member_name (out, "predecessors");
  g_string_append_c (out, '[');
  for (guint i = 0; report->predecessors != NULL && report->predecessors[i] != NULL; i++) {
    if (i > 0)
      g_string_append_c (out, ',');
    alger_json_append_string (out, report->predecessors[i], -1);
  }
  g_string_append_c (out, ']');
  append_member_name (out, "order");
  alger_json_append_int (out, report->order);
  if (g_strcmp0 (alger_execution_get_source (job->execution), "db") == 0)
    append_string_member (out, "pipelineId", alger_execution_get_pipeline_id (job->execution));
  if (report->error != NULL)
    append_string_member (out, "error", report->error->message);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* a tracked-output event: nodeId, nodeKind, artifact, pipelineOwner, executedBy */
static char *
tracked_payload (Job *job, const AlgerNodeReport *report, const char *kind, JsonNode *artifact)
{
  GString *out = g_string_sized_new (384);

  g_string_append_c (out, '{');
  append_string_member (out, "nodeId", report->node_id);
  append_string_member (out, "nodeKind", kind);
  append_member_name (out, "artifact");
  alger_json_append_node (out, artifact);
  append_member_name (out, "pipelineOwner");
  g_string_append (out, job->pipeline_owner);
  append_member_name (out, "executedBy");
  g_string_append (out, job->executed_by);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
worker_node_cb (const AlgerNodeReport *report, gpointer user_data)
{
  WorkerCtx *wctx = user_data;
  Job *job = wctx->job;
  NodeMsg *msg = g_new0 (NodeMsg, 1);
  const char *kind = report->node_kind != NULL ? report->node_kind : "";

  msg->owner = job->owner;
  msg->execution_id = g_strdup (alger_execution_get_id (job->execution));
  msg->content = node_content (job, report, kind);
  msg->error = report->error != NULL ? g_strdup (report->error->message) : NULL;
  msg->description =
    g_strdup_printf ("Tracked output saved for node '%s' (%s).", report->node_id, kind);
  msg->tracked = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; report->artifacts != NULL && i < report->artifacts->len; i++)
    g_ptr_array_add (msg->tracked,
                     tracked_payload (job, report, kind, g_ptr_array_index (report->artifacts, i)));
  alger_mailbox_post (job->mailbox, (AlgerMailboxFunc) deliver_node, msg,
                      (GDestroyNotify) node_msg_free);
}

static char *
write_output_file (Job *job, JsonNode *summary, const GError *run_error)
{
  const char *id = alger_execution_get_id (job->execution);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (g_error_matches (run_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  if (summary != NULL) {
    g_autoptr(JsonGenerator) gen = json_generator_new ();
    json_generator_set_root (gen, summary);
    json_generator_set_pretty (gen, TRUE);
    text = json_generator_to_data (gen, NULL);
    name = g_strdup_printf ("%s.json", id);
  } else {
    text = alger_frame_error_content (run_error != NULL ? run_error->message : "failed");
    name = g_strdup_printf ("%s-error.json", id);
  }
  path = g_build_filename (job->outputs_dir, name, NULL);
  if (!alger_artifacts_write_text (path, text, &error)) {
    g_warning ("cannot write %s: %s", path, error->message);
    return NULL;
  }
  return g_steal_pointer (&name);
}

static void
worker_run (gpointer data, gpointer pool_data)
{
  Job *job = data;
  WorkerCtx wctx = { job };
  EndMsg *msg = g_new0 (EndMsg, 1);
  GCancellable *cancellable = alger_execution_get_cancellable (job->execution);
  g_autoptr(AlgerGraph) graph = NULL;
  AlgerRunOptions options = { 0 };
  gint64 start = g_get_monotonic_time ();

  msg->owner = job->owner;
  msg->execution_id = g_strdup (alger_execution_get_id (job->execution));
  {
    g_autoptr(JsonNode) owner = pipeline_owner (job->graph, job->graph_text, job->username);

    job->pipeline_owner = alger_json_to_string (owner);
    msg->pipeline_owner = g_strdup (job->pipeline_owner);
  }

  options.outputs_dir = job->outputs_dir;
  options.execution_id = msg->execution_id;
  options.max_elements = job->max_elements;
  options.compat_original = job->compat_original;
  options.node_delay_min_ms = job->delay_min_ms;
  options.node_delay_max_ms = job->delay_max_ms;

  graph = job->graph_text != NULL
            ? alger_graph_new_from_text (job->graph_text, -1, job->max_nodes, &msg->error)
            : alger_graph_new_from_json (job->graph, job->max_nodes, &msg->error);
  if (graph != NULL)
    msg->summary = alger_runner_run (graph, job->strategy, &options, worker_node_cb, &wctx,
                                     cancellable, &msg->error);
  if (msg->summary == NULL && msg->error == NULL)
    g_set_error_literal (&msg->error, ALGER_ERROR, ALGER_ERROR_FAILED, "run failed");
  /* serialized here, not on the main loop (a 10,000-node order is large) */
  if (msg->summary != NULL)
    msg->summary_text = alger_json_to_string (msg->summary);
  msg->duration_ms = (double) (g_get_monotonic_time () - start) / 1000.0;
  msg->output_file = write_output_file (job, msg->summary, msg->error);
  alger_mailbox_post (job->mailbox, (AlgerMailboxFunc) deliver_end, msg,
                      (GDestroyNotify) end_msg_free);
  job_free (job);
}

/* ---------------- session binding ---------------- */

static void
on_node_finished (AlgerExecution *execution, const char *content, gboolean failed,
                  gpointer user_data)
{
  RunState *state = user_data;

  alger_session_push (state->session, state->request_id, failed ? 305 : 205, content);
}

static void
on_finished (AlgerExecution *execution, JsonObject *report, gpointer user_data)
{
  RunState *state = user_data;
  g_autofree char *content = object_string (report);
  gboolean ok = g_strcmp0 (json_object_get_string_member (report, "status"), "success") == 0;

  alger_session_push (state->session, state->request_id, ok ? 207 : 307, content);
}

static void
notify_active (AlgerExecutions *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACTIVE_EXECUTIONS]);
}

/* ---------------- starting a run ---------------- */

static void
reply_error (AlgerSession *session, gint64 id, gint64 type, const char *message)
{
  g_autofree char *content = alger_frame_error_content (message);

  alger_session_reply (session, id, type, content);
}

static void
record_action (AlgerExecutions *self, AlgerSession *session, const char *action,
               JsonBuilder *details)
{
  g_autofree char *text = builder_string (details);

  alger_store_record_user_action (self->store, alger_session_get_user_id (session), action, text,
                                  NULL, NULL);
}

static JsonNode *
who (const char *id, const char *label)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id != NULL ? id : "unknown");
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, label != NULL ? label : (id != NULL ? id : "unknown"));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* the original credited the pipeline to the owner the dashboard writes into
 * the graph (`pipeline.meta.owner`, {id,label}), else to whoever runs it */
static JsonNode *
owner_in_meta (JsonNode *meta)
{
  JsonNode *owner;

  if (meta == NULL || !JSON_NODE_HOLDS_OBJECT (meta))
    return NULL;
  owner = json_object_get_member (json_node_get_object (meta), "owner");
  if (owner != NULL && JSON_NODE_HOLDS_OBJECT (owner) &&
      json_object_has_member (json_node_get_object (owner), "id"))
    return json_node_copy (owner);
  if (owner != NULL && JSON_NODE_HOLDS_VALUE (owner) &&
      json_node_get_value_type (owner) == G_TYPE_STRING)
    return who (json_node_get_string (owner), json_node_get_string (owner));
  return NULL;
}

static JsonNode *
owner_in (JsonObject *holder)
{
  return owner_in_meta (holder != NULL ? json_object_get_member (holder, "meta") : NULL);
}

/* the same, for an object given as (checked) JSON text: only `meta` is parsed */
static JsonNode *
owner_in_text (const char *text, gsize length)
{
  gsize start = 0, span = 0;
  g_autoptr(JsonNode) meta = NULL;

  if (!alger_json_find_member (text, length, "meta", &start, &span))
    return NULL;
  meta = alger_json_parse_utf8 (text + start, span, NULL, NULL);
  return owner_in_meta (meta);
}

/* from the graph as a tree, or else from its text (the 104 path never builds it) */
static JsonNode *
pipeline_owner (JsonNode *graph, const char *graph_text, const char *username)
{
  JsonNode *owner = NULL;

  if (graph != NULL) {
    JsonObject *root = JSON_NODE_HOLDS_OBJECT (graph) ? json_node_get_object (graph) : NULL;
    JsonNode *pipeline = root != NULL ? json_object_get_member (root, "pipeline") : NULL;

    if (pipeline != NULL && JSON_NODE_HOLDS_OBJECT (pipeline))
      owner = owner_in (json_node_get_object (pipeline));
    if (owner == NULL)
      owner = owner_in (root);
  } else {
    /* one pass over the graph for both places the owner may be */
    static const char *const names[] = { "pipeline", "meta" };
    gsize starts[2], spans[2];

    alger_json_find_members (graph_text, strlen (graph_text), names, 2, starts, spans);
    if (spans[0] > 0 && graph_text[starts[0]] == '{')
      owner = owner_in_text (graph_text + starts[0], spans[0]);
    if (owner == NULL && spans[1] > 0) {
      g_autoptr(JsonNode) meta = alger_json_parse_utf8 (graph_text + starts[1], spans[1], NULL, NULL);

      owner = owner_in_meta (meta);
    }
  }
  if (owner == NULL)
    owner = who (username, username);
  return owner;
}

/* the gates of PROTOCOL.md, in order; TRUE when the request may run */
static gboolean
check_gates (AlgerExecutions *self, AlgerSession *session, gint64 request_id)
{
  guint active = g_hash_table_size (self->running);

  if (self->maintenance_mode) {
    reply_error (session, request_id, 399,
                 "Pipelines unavailable while maintenance mode is active.");
    return FALSE;
  }
  if (self->executions_halted) {
    reply_error (session, request_id, 398, "Pipeline executions are halted.");
    return FALSE;
  }
  if (active >= self->max_concurrent) {
    g_autofree char *content =
      g_strdup_printf ("{\"error\":\"Too many pipeline execution requests in progress.\","
                       "\"activeExecutions\":%u}",
                       active);
    alger_session_reply (session, request_id, 397, content);
    return FALSE;
  }
  return TRUE;
}

void
alger_executions_start (AlgerExecutions *self, AlgerSession *session, gint64 request_id,
                        gint64 success_type, JsonNode *graph, char *graph_text_in,
                        const char *source, const char *pipeline_id, const char *strategy_in,
                        JsonNode *params)
{
  g_autoptr(AlgerExecution) execution = NULL;
  g_autofree char *graph_text = graph_text_in;
  g_autofree char *params_text = NULL;
  g_autofree char *created = NULL;
  g_autofree char *reply = NULL;
  g_autoptr(JsonBuilder) details = json_builder_new ();
  AlgerExecutionRecord rec = { 0 };
  RunState *state;
  Job *job;
  const char *strategy = strategy_in != NULL ? strategy_in : "kahn";
  const char *user_id = alger_session_get_user_id (session);

  g_return_if_fail (ALGER_IS_EXECUTIONS (self));
  g_return_if_fail (graph != NULL || graph_text_in != NULL);

  if (!check_gates (self, session, request_id))
    return;

  execution = alger_execution_new (source, pipeline_id, strategy, user_id);
  state = g_new0 (RunState, 1);
  state->owner = self;
  state->execution = g_object_ref (execution);
  state->session = g_object_ref (session);
  state->request_id = request_id;
  {
    g_autoptr(JsonNode) by = who (user_id, user_id);

    state->executed_by = alger_json_to_string (by);
  }
  state->started_mono = g_get_monotonic_time ();

  /* the worker starts first: what follows (records, the 20x) is main-loop
   * work that can overlap the run, and everything the worker reports comes
   * back through this context, after it */
  job = g_new0 (Job, 1);
  job->owner = self;
  job->execution = g_object_ref (execution);
  job->graph = graph != NULL ? json_node_ref (graph) : NULL;
  job->graph_text = graph_text != NULL ? g_strdup (graph_text) : NULL;
  job->strategy = g_strdup (strategy);
  job->outputs_dir = g_strdup (self->config->outputs_dir);
  job->max_nodes = self->config->max_nodes;
  job->max_elements = self->config->max_elements;
  job->compat_original = self->config->compat_original;
  job->delay_min_ms = self->config->node_delay_min_ms;
  job->delay_max_ms = self->config->node_delay_max_ms;
  job->username = g_strdup (alger_session_get_username (session));
  job->executed_by = g_strdup (state->executed_by);
  job->mailbox = self->mailbox;
  g_thread_pool_push (self->pool, job, NULL);

  /* the store redacts the embedded password (off the main loop); the text as
   * received saves serializing the graph again */
  if (graph_text == NULL)
    graph_text = alger_json_to_string (graph);
  params_text = params != NULL ? alger_json_to_string (params) : g_strdup ("{}");

  rec.id = alger_execution_get_id (execution);
  rec.pipeline_id = pipeline_id;
  rec.source = source;
  rec.graph = graph_text;
  rec.params = params_text;
  rec.status = "running";
  rec.requested_by = user_id;
  alger_store_create_execution (self->store, &rec, NULL, NULL);
  created = g_strdup_printf ("{\"status\":\"running\",\"source\":\"%s\"}", source);
  record_event (self, rec.id, "status", "Execution created with status 'running'", created);

  json_builder_begin_object (details);
  json_builder_set_member_name (details, "messageId");
  json_builder_add_int_value (details, request_id);
  json_builder_set_member_name (details, "executionId");
  json_builder_add_string_value (details, rec.id);
  json_builder_set_member_name (details, "strategy");
  json_builder_add_string_value (details, strategy);
  json_builder_set_member_name (details, "pipelineId");
  if (pipeline_id != NULL)
    json_builder_add_string_value (details, pipeline_id);
  else
    json_builder_add_null_value (details);
  json_builder_set_member_name (details, "source");
  json_builder_add_string_value (details, source);
  json_builder_end_object (details);
  record_action (self, session, "execute_pipeline", details);

  state->node_handler = g_signal_connect (execution, "node-finished",
                                          G_CALLBACK (on_node_finished), state);
  state->finished_handler = g_signal_connect (execution, "finished", G_CALLBACK (on_finished),
                                              state);
  g_hash_table_insert (self->running, g_strdup (rec.id), state);

  reply = g_strdup_printf ("{\"executionId\":\"%s\",\"status\":\"pipeline-execution-started\"}",
                           rec.id);
  alger_session_reply (session, request_id, success_type, reply);
  g_signal_emit (self, signals[SIGNAL_EXECUTION_STARTED], 0, execution);
  notify_active (self);
}

/* ---------------- administration ---------------- */

gboolean
alger_executions_stop (AlgerExecutions *self, const char *execution_id, const char *by,
                       GError **error)
{
  RunState *state;
  g_autofree char *payload = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (ALGER_IS_EXECUTIONS (self), FALSE);

  state = execution_id != NULL ? g_hash_table_lookup (self->running, execution_id) : NULL;
  if (state == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_NOT_FOUND, "execution '%s' is not running",
                 execution_id != NULL ? execution_id : "");
    return FALSE;
  }
  if (!alger_execution_request_stop (state->execution)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_NOT_RUNNING,
                 "execution '%s' is already stopping", execution_id);
    return FALSE;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "stopped");
  json_builder_set_member_name (b, "requestedBy");
  json_builder_add_string_value (b, by != NULL ? by : "unknown");
  json_builder_end_object (b);
  payload = builder_string (b);
  alger_store_update_execution (self->store, execution_id, "stopped", NULL, NULL, FALSE, NULL,
                                NULL);
  record_event (self, execution_id, "stop", "Execution stop requested.", payload);
  return TRUE;
}

guint
alger_executions_stop_all (AlgerExecutions *self, const char *by)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  for (guint i = 0; i < ids->len; i++) {
    if (alger_executions_stop (self, g_ptr_array_index (ids, i), by, NULL))
      n++;
  }
  return n;
}

GList *
alger_executions_get_running (AlgerExecutions *self)
{
  GList *list = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    list = g_list_prepend (list, ((RunState *) value)->execution);
  return list;
}

AlgerExecution *
alger_executions_find (AlgerExecutions *self, const char *execution_id)
{
  RunState *state = g_hash_table_lookup (self->running, execution_id);

  return state != NULL ? state->execution : NULL;
}

guint
alger_executions_get_n_running (AlgerExecutions *self)
{
  return g_hash_table_size (self->running);
}

gboolean
alger_executions_is_idle (AlgerExecutions *self)
{
  return g_hash_table_size (self->running) == 0;
}

/* ---------------- GObject ---------------- */

static void
alger_executions_get_property (GObject *object, guint prop_id, GValue *value,
                               GParamSpec *pspec)
{
  AlgerExecutions *self = ALGER_EXECUTIONS (object);

  switch (prop_id) {
  case PROP_MAINTENANCE_MODE:
    g_value_set_boolean (value, self->maintenance_mode);
    break;
  case PROP_EXECUTIONS_HALTED:
    g_value_set_boolean (value, self->executions_halted);
    break;
  case PROP_MAX_CONCURRENT_EXECUTIONS:
    g_value_set_uint (value, self->max_concurrent);
    break;
  case PROP_ACTIVE_EXECUTIONS:
    g_value_set_uint (value, g_hash_table_size (self->running));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
alger_executions_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  AlgerExecutions *self = ALGER_EXECUTIONS (object);

  switch (prop_id) {
  case PROP_MAINTENANCE_MODE:
    if (self->maintenance_mode != g_value_get_boolean (value)) {
      self->maintenance_mode = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  case PROP_EXECUTIONS_HALTED:
    if (self->executions_halted != g_value_get_boolean (value)) {
      self->executions_halted = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  case PROP_MAX_CONCURRENT_EXECUTIONS:
    if (self->max_concurrent != g_value_get_uint (value)) {
      self->max_concurrent = g_value_get_uint (value);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
alger_executions_dispose (GObject *object)
{
  AlgerExecutions *self = ALGER_EXECUTIONS (object);

  /* workers hold no ref to us: cancel them and wait, then drop their reports */
  if (self->pool != NULL) {
    alger_executions_stop_all (self, "shutdown");
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
    while (g_main_context_iteration (self->context, FALSE))
      ;
  }
  g_clear_pointer (&self->mailbox, alger_mailbox_close);
  G_OBJECT_CLASS (alger_executions_parent_class)->dispose (object);
}

static void
alger_executions_finalize (GObject *object)
{
  AlgerExecutions *self = ALGER_EXECUTIONS (object);

  g_clear_pointer (&self->running, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (alger_executions_parent_class)->finalize (object);
}

void
alger_executions_gate_pspecs (GParamSpec **maintenance_mode, GParamSpec **executions_halted,
                              GParamSpec **max_concurrent, GParamSpec **active)
{
  *maintenance_mode =
    g_param_spec_boolean ("maintenance-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  *executions_halted =
    g_param_spec_boolean ("executions-halted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  *max_concurrent =
    g_param_spec_uint ("max-concurrent-executions", NULL, NULL, 1, G_MAXUINT, 1,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  *active = g_param_spec_uint ("active-executions", NULL, NULL, 0, G_MAXUINT, 0,
                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
alger_executions_class_init (AlgerExecutionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = alger_executions_get_property;
  object_class->set_property = alger_executions_set_property;
  object_class->dispose = alger_executions_dispose;
  object_class->finalize = alger_executions_finalize;

  alger_executions_gate_pspecs (&props[PROP_MAINTENANCE_MODE], &props[PROP_EXECUTIONS_HALTED],
                                &props[PROP_MAX_CONCURRENT_EXECUTIONS],
                                &props[PROP_ACTIVE_EXECUTIONS]);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_EXECUTION_STARTED] =
    g_signal_new ("execution-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, ALGER_TYPE_EXECUTION);
  signals[SIGNAL_EXECUTION_FINISHED] =
    g_signal_new ("execution-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, ALGER_TYPE_EXECUTION);
}

static void
alger_executions_init (AlgerExecutions *self)
{
  self->running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) run_state_free);
  self->max_concurrent = 1;
}

AlgerExecutions *
alger_executions_new (const AlgerConfig *config, AlgerStore *store, GError **error)
{
  g_autoptr(AlgerExecutions) self = g_object_new (ALGER_TYPE_EXECUTIONS, NULL);
  guint workers = config->workers > 0 ? config->workers : g_get_num_processors ();

  self->config = config;
  self->store = g_object_ref (store);
  self->context = g_main_context_ref_thread_default ();
  self->mailbox = alger_mailbox_new (self->context, G_PRIORITY_DEFAULT, "[alger] run reports");
  self->max_concurrent = MAX (1, config->max_concurrent);
  self->pool = g_thread_pool_new (worker_run, NULL, (gint) workers, FALSE, error);
  if (self->pool == NULL)
    return NULL;
  return g_steal_pointer (&self);
}
