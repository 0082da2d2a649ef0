/* alger-session.h: one WebSocket connection speaking the Alger protocol
 *
 * Owns the connection's sequencing (last_id), its audit rows and its send
 * queue: every frame goes to the store first and reaches the socket only
 * from the store's commit callback, in order ("audit before send").
 * Requests are handled one at a time, in arrival order, by AlgerHandlers.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "alger-frame.h"
#include "alger-socket-stream.h"
#include "alger-store.h"

G_BEGIN_DECLS

#define ALGER_TYPE_SESSION (alger_session_get_type ())

/* the error recorded with a frame the session received but never handled */
#define ALGER_SESSION_UNHANDLED_ERROR "not handled: the connection closed first"
/* the error recorded with frames a refused client sent before its close */
#define ALGER_SESSION_REFUSED_ERROR "not handled: credentials refused"
G_DECLARE_FINAL_TYPE (AlgerSession, alger_session, ALGER, SESSION, GObject)

typedef struct _AlgerHandlers AlgerHandlers;

typedef struct {
  const char *client_ip;
  guint client_port;
  const char *user_agent;
  const char *origin;
  const char *path; /* already redacted */
  const char *username;
  const char *password;
  AlgerSocketStream *stream; /* nullable: the connection's stream, to watch its backlog */
  guint64 max_send_backlog;  /* 0 = no limit */
} AlgerSessionPeer;

AlgerSession *alger_session_new (SoupWebsocketConnection *connection, AlgerStore *store,
                                 AlgerHandlers *handlers, const AlgerSessionPeer *peer);

/* accept the authenticated user (row of users) and start serving, or refuse
 * the connection with a close code once the refusal is recorded */
/* credentials are being checked (a slow hash): the connection goes on
 * record now, without a user, so that a crash meanwhile does not lose it */
void alger_session_verifying (AlgerSession *self);
void alger_session_accept (AlgerSession *self, JsonObject *user);
void alger_session_refuse (AlgerSession *self, gushort close_code, const char *reason,
                           const char *severity);

/* the handler's single answer to `request` (releases the next queued request) */
void alger_session_reply (AlgerSession *self, gint64 request_id, gint64 type,
                          const char *content_json);
/* a pushed frame (execution progress); does not end the current request */
void alger_session_push (AlgerSession *self, gint64 request_id, gint64 type,
                         const char *content_json);
/* close from the server side (shutdown: 1001; admin disconnect) */
void alger_session_close (AlgerSession *self, gushort code, const char *reason);

const char *alger_session_get_id (AlgerSession *self);
const char *alger_session_get_conversation_id (AlgerSession *self);
const char *alger_session_get_user_id (AlgerSession *self);
const char *alger_session_get_username (AlgerSession *self);
JsonObject *alger_session_get_user (AlgerSession *self);
/* the cached 201 content for this session's user (NULL until set) */
const char *alger_session_get_profile_json (AlgerSession *self);
void alger_session_set_profile_json (AlgerSession *self, char *profile_json /* transfer full */);
/* a login succeeded: the profile's lastLogin changes */
void alger_session_touch_last_login (AlgerSession *self);
const char *alger_session_get_client_ip (AlgerSession *self);
guint alger_session_get_client_port (AlgerSession *self);
gint64 alger_session_get_connected_at (AlgerSession *self); /* unix usec */
gboolean alger_session_is_open (AlgerSession *self);
/* monotonic usec of the last frame or pong from the peer (keepalive) */
gint64 alger_session_get_last_seen (AlgerSession *self);

G_END_DECLS
