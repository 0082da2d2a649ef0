/* alger-daemon.h: the one server object: owns config, store, accounts,
 * executions and the servers; holds the administrable state */
#pragma once

#include <gio/gio.h>

#include "alger-config.h"
#include "alger-executions.h"
#include "alger-store.h"
#include "alger-ws-server.h"

G_BEGIN_DECLS

#define ALGER_TYPE_DAEMON (alger_daemon_get_type ())
G_DECLARE_FINAL_TYPE (AlgerDaemon, alger_daemon, ALGER, DAEMON, GObject)

/* takes ownership of config */
AlgerDaemon *alger_daemon_new (AlgerConfig *config);
/* open the store (migrating it), create the admin account, seed the catalog,
 * listen; blocking work happens here, before the main loop runs */
gboolean alger_daemon_start (AlgerDaemon *self, GError **error);
/* stop accepting, close sessions with 1001, stop runs, flush; emits "stopped" */
void alger_daemon_stop (AlgerDaemon *self);

const AlgerConfig *alger_daemon_get_config (AlgerDaemon *self);
AlgerStore *alger_daemon_get_store (AlgerDaemon *self);
AlgerExecutions *alger_daemon_get_executions (AlgerDaemon *self);
AlgerWsServer *alger_daemon_get_ws_server (AlgerDaemon *self);
guint alger_daemon_get_port (AlgerDaemon *self);
void alger_daemon_notify_connections (AlgerDaemon *self);

G_END_DECLS
