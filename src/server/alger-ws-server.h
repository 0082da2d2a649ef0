/* alger-ws-server.h: the SoupServer that accepts Alger WebSocket sessions */
#pragma once

#include <libsoup/soup.h>

#include "alger-accounts.h"
#include "alger-config.h"
#include "alger-handlers.h"
#include "alger-session.h"
#include "alger-store.h"

G_BEGIN_DECLS

#define ALGER_TYPE_WS_SERVER (alger_ws_server_get_type ())
G_DECLARE_FINAL_TYPE (AlgerWsServer, alger_ws_server, ALGER, WS_SERVER, GObject)

AlgerWsServer *alger_ws_server_new (const AlgerConfig *config, AlgerStore *store,
                                    AlgerAccounts *accounts, AlgerHandlers *handlers);
gboolean alger_ws_server_listen (AlgerWsServer *self, GError **error);
/* the port actually bound (useful with port 0 in tests) */
guint alger_ws_server_get_port (AlgerWsServer *self);
SoupServer *alger_ws_server_get_soup_server (AlgerWsServer *self);
/* stop accepting and close every session with `code` */
void alger_ws_server_shutdown (AlgerWsServer *self, gushort code, const char *reason);
/* open sessions (transfer container) */
GList *alger_ws_server_get_sessions (AlgerWsServer *self);
AlgerSession *alger_ws_server_find_session (AlgerWsServer *self, const char *connection_id);
guint alger_ws_server_get_n_sessions (AlgerWsServer *self);

G_END_DECLS
