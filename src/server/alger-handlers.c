/* alger-handlers.c: what each request type does (100-107)
 *
 * Every request is audited as a user action before its answer is queued,
 * so the action row always commits before the answer reaches the client.
 */
#define G_LOG_DOMAIN "alger-handlers"

#include "config.h"

#include "alger-handlers.h"

#include "alger-error.h"
#include "alger-json-text.h"
#include "alger-executions.h"
#include "alger-run-requests.h"

struct _AlgerHandlers {
  AlgerStore *store;
  AlgerAccounts *accounts;
  AlgerExecutions *executions;
};

typedef struct {
  AlgerHandlers *handlers;
  AlgerSession *session;
  gint64 id;
  char *text; /* request-specific string (requested username) */
} RequestCtx;

static RequestCtx *
request_ctx_new (AlgerHandlers *handlers, AlgerSession *session, gint64 id)
{
  RequestCtx *ctx = g_new0 (RequestCtx, 1);

  ctx->handlers = handlers;
  ctx->session = g_object_ref (session);
  ctx->id = id;
  return ctx;
}

static void
request_ctx_free (RequestCtx *ctx)
{
  g_clear_object (&ctx->session);
  g_free (ctx->text);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RequestCtx, request_ctx_free)

static void
reply_error (AlgerSession *session, gint64 id, gint64 type, const char *message)
{
  g_autofree char *content = alger_frame_error_content (message);

  alger_session_reply (session, id, type, content);
}

static char *
node_to_string (JsonNode *node)
{
  return alger_json_to_string (node);
}

static char *
builder_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return node_to_string (root);
}

static void
record_action (AlgerHandlers *self, AlgerSession *session, const char *user_id,
               const char *action, JsonBuilder *details)
{
  g_autofree char *text = builder_to_string (details);

  alger_store_record_user_action (self->store,
                                  user_id != NULL ? user_id
                                                  : alger_session_get_user_id (session),
                                  action, text, NULL, NULL);
}

/* a string member, or NULL when absent/null; *wrong_type when present but not a string */
static const char *
get_string (JsonObject *obj, const char *name, gboolean *wrong_type)
{
  JsonNode *node = json_object_get_member (obj, name);

  *wrong_type = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    *wrong_type = TRUE;
    return NULL;
  }
  return json_node_get_string (node);
}

/* ---- 100 login ---- */

static void
login_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(RequestCtx) ctx = user_data;
  AlgerHandlers *self = ctx->handlers;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonBuilder) details = json_builder_new ();
  const char *user_id = NULL;

  user = alger_accounts_verify_finish (ALGER_ACCOUNTS (source), result, &error);
  if (user != NULL)
    user_id = json_object_get_string_member_with_default (user, "id", NULL);

  json_builder_begin_object (details);
  json_builder_set_member_name (details, "messageId");
  json_builder_add_int_value (details, ctx->id);
  json_builder_set_member_name (details, "requestedUsername");
  json_builder_add_string_value (details, ctx->text);
  json_builder_set_member_name (details, "success");
  json_builder_add_boolean_value (details, user != NULL);
  json_builder_end_object (details);
  record_action (self, ctx->session, user_id, "login_attempt", details);

  if (user == NULL) {
    AlgerErrorRecord rec = { 0 };
    rec.conversation_id = alger_session_get_conversation_id (ctx->session);
    rec.message_id = ctx->id;
    rec.type_code = 100;
    rec.severity = "auth";
    rec.message = error->message;
    alger_store_record_error (self->store, &rec, NULL, NULL);
    reply_error (ctx->session, ctx->id, 300, "unknown credentials or password mismatch");
    return;
  }
  {
    g_autoptr(JsonBuilder) login = json_builder_new ();
    json_builder_begin_object (login);
    json_builder_set_member_name (login, "messageId");
    json_builder_add_int_value (login, ctx->id);
    json_builder_end_object (login);
    record_action (self, ctx->session, user_id, "login", login);
  }
  alger_store_touch_last_login (self->store, user_id, NULL, NULL);
  if (g_strcmp0 (user_id, alger_session_get_user_id (ctx->session)) == 0)
    alger_session_touch_last_login (ctx->session);
  alger_session_reply (ctx->session, ctx->id, 200, "{\"status\":\"login-ok\"}");
}

static void
handle_login (AlgerHandlers *self, AlgerSession *session, AlgerFrame *frame)
{
  RequestCtx *ctx = request_ctx_new (self, session, frame->id);
  gboolean bad_user = FALSE, bad_password = FALSE;
  const char *username = get_string (alger_frame_get_content (frame), "username", &bad_user);
  const char *password = get_string (alger_frame_get_content (frame), "password", &bad_password);

  ctx->text = g_strdup (username);
  alger_accounts_verify_async (self->accounts, username, password, NULL, login_done, ctx);
}

/* ---- 101 user data ---- */

static void
add_member_copy (JsonBuilder *builder, JsonObject *row, const char *from, const char *to)
{
  JsonNode *node = json_object_get_member (row, from);

  json_builder_set_member_name (builder, to);
  if (node == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_value (builder, json_node_copy (node));
}

static char *
profile_content (JsonObject *user)
{
  g_autoptr(JsonBuilder) reply = json_builder_new ();

  json_builder_begin_object (reply);
  json_builder_set_member_name (reply, "user");
  json_builder_begin_object (reply);
  add_member_copy (reply, user, "username", "id");
  add_member_copy (reply, user, "display_name", "name");
  add_member_copy (reply, user, "roles", "roles");
  add_member_copy (reply, user, "email", "email");
  add_member_copy (reply, user, "metadata", "metadata");
  add_member_copy (reply, user, "last_login", "lastLogin");
  json_builder_end_object (reply);
  json_builder_end_object (reply);
  return builder_to_string (reply);
}

static void
handle_user_data (AlgerHandlers *self, AlgerSession *session, AlgerFrame *frame)
{
  gboolean wrong_type = FALSE;
  /* hot path (dashboards poll it): read from the content's text */
  g_autofree char *user_id = alger_frame_dup_content_string (frame, "userId", &wrong_type);
  GString *details;

  if (wrong_type) {
    reply_error (session, frame->id, 301, "userId must be a string");
    return;
  }
  if (user_id == NULL || user_id[0] == '\0') {
    reply_error (session, frame->id, 301, "userId is required");
    return;
  }
  /* details written directly, profile cached */
  details = g_string_sized_new (64);
  g_string_append_len (details, "{\"messageId\":", 13);
  alger_json_append_int (details, frame->id);
  g_string_append_len (details, ",\"requestedUserId\":", 19);
  alger_json_append_string (details, user_id, -1);
  g_string_append_c (details, '}');
  alger_store_record_user_action (self->store, alger_session_get_user_id (session),
                                  "get_user_data", details->str, NULL, NULL);
  g_string_free (details, TRUE);

  /* only the connected user's own profile: others look the same as unknown */
  if (g_strcmp0 (user_id, alger_session_get_username (session)) != 0 &&
      g_strcmp0 (user_id, alger_session_get_user_id (session)) != 0) {
    g_autofree char *msg = g_strdup_printf ("user '%s' not found", user_id);
    reply_error (session, frame->id, 301, msg);
    return;
  }
  if (alger_session_get_profile_json (session) == NULL)
    alger_session_set_profile_json (session,
                                    profile_content (alger_session_get_user (session)));
  alger_session_reply (session, frame->id, 201, alger_session_get_profile_json (session));
}

/* ---- 102 catalog ---- */

static JsonNode *
catalog_entry (JsonObject *row)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonNode *graph = json_object_get_member (row, "full_graph");
  JsonNode *nodes = NULL;

  if (graph != NULL && JSON_NODE_HOLDS_OBJECT (graph)) {
    JsonObject *g = json_node_get_object (graph);
    JsonNode *pipeline = json_object_get_member (g, "pipeline");
    JsonObject *holder = pipeline != NULL && JSON_NODE_HOLDS_OBJECT (pipeline)
                           ? json_node_get_object (pipeline)
                           : g;
    nodes = json_object_get_member (holder, "nodes");
  }
  json_builder_begin_object (builder);
  add_member_copy (builder, row, "id", "id");
  add_member_copy (builder, row, "name", "name");
  add_member_copy (builder, row, "full_graph", "full_graph");
  json_builder_set_member_name (builder, "nodes");
  if (nodes != NULL)
    json_builder_add_value (builder, json_node_copy (nodes));
  else
    json_builder_add_null_value (builder);
  add_member_copy (builder, row, "description", "description");
  add_member_copy (builder, row, "metadata", "metadata");
  add_member_copy (builder, row, "created_at", "created_at");
  add_member_copy (builder, row, "updated_at", "updated_at");
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
catalog_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(RequestCtx) ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) rows = NULL;
  g_autoptr(JsonBuilder) details = json_builder_new ();
  g_autoptr(JsonBuilder) reply = json_builder_new ();
  g_autofree char *content = NULL;
  JsonArray *array = NULL;
  guint n = 0;

  rows = alger_store_query_finish (ALGER_STORE (source), result, &error);
  if (rows != NULL && JSON_NODE_HOLDS_ARRAY (rows)) {
    array = json_node_get_array (rows);
    n = json_array_get_length (array);
  }
  json_builder_begin_object (details);
  json_builder_set_member_name (details, "messageId");
  json_builder_add_int_value (details, ctx->id);
  json_builder_set_member_name (details, "pipelineCount");
  json_builder_add_int_value (details, n);
  json_builder_end_object (details);
  record_action (ctx->handlers, ctx->session, NULL, "list_pipelines", details);

  if (error != NULL) {
    AlgerErrorRecord rec = { 0 };
    rec.conversation_id = alger_session_get_conversation_id (ctx->session);
    rec.message_id = ctx->id;
    rec.type_code = 102;
    rec.severity = "storage";
    rec.message = error->message;
    alger_store_record_error (ctx->handlers->store, &rec, NULL, NULL);
  }
  if (n == 0) {
    reply_error (ctx->session, ctx->id, 302, "no pipeline data available");
    return;
  }
  json_builder_begin_object (reply);
  json_builder_set_member_name (reply, "pipelines");
  json_builder_begin_array (reply);
  for (guint i = 0; i < n; i++)
    json_builder_add_value (reply, catalog_entry (json_array_get_object_element (array, i)));
  json_builder_end_array (reply);
  json_builder_end_object (reply);
  content = builder_to_string (reply);
  alger_session_reply (ctx->session, ctx->id, 202, content);
}

static void
handle_catalog (AlgerHandlers *self, AlgerSession *session, AlgerFrame *frame)
{
  RequestCtx *ctx = request_ctx_new (self, session, frame->id);

  alger_store_query (self->store, "pipelines", NULL, NULL, catalog_done, ctx);
}

/* ---- dispatch ---- */

void
alger_handlers_dispatch (AlgerHandlers *self, AlgerSession *session, AlgerFrame *frame)
{
  switch (frame->type) {
  case 100:
    handle_login (self, session, frame);
    break;
  case 101:
    handle_user_data (self, session, frame);
    break;
  case 102:
    handle_catalog (self, session, frame);
    break;
  case 103:
  case 104:
  case 106:
  case 107:
    alger_run_requests_handle (self->executions, self->store, session, frame);
    break;
  default:
    g_assert_not_reached ();
  }
}

AlgerHandlers *
alger_handlers_new (AlgerStore *store, AlgerAccounts *accounts, AlgerExecutions *executions)
{
  AlgerHandlers *self = g_new0 (AlgerHandlers, 1);

  self->store = g_object_ref (store);
  self->accounts = g_object_ref (accounts);
  self->executions = executions;
  return self;
}

void
alger_handlers_free (AlgerHandlers *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->store);
  g_clear_object (&self->accounts);
  g_free (self);
}
