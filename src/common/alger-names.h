/* alger-names.h: well-known names in one place */
#pragma once

#define ALGER_DBUS_NAME "org.alger.Server1"
#define ALGER_DBUS_PATH "/org/alger/Server1"
#define ALGER_DBUS_INTERFACE "org.alger.Server1"

#define ALGER_WS_SUBPROTOCOL "alger"
#define ALGER_DEFAULT_PORT 8765
#define ALGER_DEFAULT_HTTP_PORT 8000

/* journal MESSAGE_IDs for events operators search for */
#define ALGER_MSGID_STARTUP "7a1c0e3bd2f94f6f8a0d0b1e52c6a001"
#define ALGER_MSGID_SHUTDOWN "7a1c0e3bd2f94f6f8a0d0b1e52c6a002"
#define ALGER_MSGID_DEFAULT_PASSWORD "7a1c0e3bd2f94f6f8a0d0b1e52c6a003"
#define ALGER_MSGID_ADMIN_ACTION "7a1c0e3bd2f94f6f8a0d0b1e52c6a004"
#define ALGER_MSGID_STORAGE_ERROR "7a1c0e3bd2f94f6f8a0d0b1e52c6a005"
