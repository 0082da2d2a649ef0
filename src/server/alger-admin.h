/* alger-admin.h: the D-Bus administration interface org.alger.Server1
 *
 * Owns the well-known name on the configured bus, exports the generated
 * skeleton at /org/alger/Server1 and maps it onto the daemon's state.
 * Losing the name or the bus is logged; the WebSocket service keeps running.
 */
#pragma once

#include <gio/gio.h>

#include "alger-config.h"
#include "alger-daemon.h"

G_BEGIN_DECLS

#define ALGER_TYPE_ADMIN (alger_admin_get_type ())
G_DECLARE_FINAL_TYPE (AlgerAdmin, alger_admin, ALGER, ADMIN, GObject)

/* connects to @bus (not ALGER_BUS_NONE) in the background; the daemon must be
 * started (store, executions and servers up) and outlive the admin */
AlgerAdmin *alger_admin_new (AlgerDaemon *daemon, AlgerBusType bus);

/* the bus connection once acquired, else NULL */
GDBusConnection *alger_admin_get_connection (AlgerAdmin *self);

G_END_DECLS
