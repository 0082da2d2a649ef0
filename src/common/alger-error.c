/* alger-error.c: AlgerError, registered as D-Bus errors org.alger.Server1.Error.* */
#include "alger-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry alger_error_entries[] = {
  { ALGER_ERROR_FAILED, "org.alger.Server1.Error.Failed" },
  { ALGER_ERROR_INVALID_ARGS, "org.alger.Server1.Error.InvalidArgs" },
  { ALGER_ERROR_NOT_FOUND, "org.alger.Server1.Error.NotFound" },
  { ALGER_ERROR_PIPELINE, "org.alger.Server1.Error.Pipeline" },
  { ALGER_ERROR_VALUE, "org.alger.Server1.Error.Value" },
  { ALGER_ERROR_TYPE, "org.alger.Server1.Error.Type" },
  { ALGER_ERROR_OVERFLOW, "org.alger.Server1.Error.Overflow" },
  { ALGER_ERROR_LIMIT, "org.alger.Server1.Error.Limit" },
  { ALGER_ERROR_STORAGE, "org.alger.Server1.Error.Storage" },
  { ALGER_ERROR_AUTH, "org.alger.Server1.Error.Auth" },
  { ALGER_ERROR_PROTOCOL, "org.alger.Server1.Error.Protocol" },
  { ALGER_ERROR_BUSY, "org.alger.Server1.Error.Busy" },
  { ALGER_ERROR_NOT_RUNNING, "org.alger.Server1.Error.NotRunning" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (alger_error_entries) == ALGER_ERROR_N_CODES);

GQuark
alger_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("alger-error-quark", &quark, alger_error_entries,
                                      G_N_ELEMENTS (alger_error_entries));
  return (GQuark) quark;
}

const char *
alger_error_python_type (const GError *error)
{
  if (error == NULL || error->domain != ALGER_ERROR)
    return "Exception";
  switch (error->code) {
  case ALGER_ERROR_PIPELINE:
  case ALGER_ERROR_LIMIT:
    return "PipelineError";
  case ALGER_ERROR_VALUE:
    return "ValueError";
  case ALGER_ERROR_TYPE:
    return "TypeError";
  case ALGER_ERROR_OVERFLOW:
    return "OverflowError";
  default:
    return "Exception";
  }
}
