/* alger-error.h: the AlgerError domain, shared by every part of the server */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ALGER_ERROR (alger_error_quark ())

/* keep in step with the D-Bus names in alger-error.c and dbus/org.alger.Server1.xml */
typedef enum {
  ALGER_ERROR_FAILED,          /* generic failure */
  ALGER_ERROR_INVALID_ARGS,    /* bad argument, bad config value, malformed input */
  ALGER_ERROR_NOT_FOUND,       /* unknown execution, pipeline, user, connection */
  ALGER_ERROR_PIPELINE,        /* engine validation error ("PipelineError") */
  ALGER_ERROR_VALUE,           /* a node raised the equivalent of ValueError */
  ALGER_ERROR_TYPE,            /* a node raised the equivalent of TypeError */
  ALGER_ERROR_OVERFLOW,        /* a node raised the equivalent of OverflowError */
  ALGER_ERROR_LIMIT,           /* a configured limit was exceeded */
  ALGER_ERROR_STORAGE,         /* SQLite or the disk failed */
  ALGER_ERROR_AUTH,            /* bad credentials */
  ALGER_ERROR_PROTOCOL,        /* malformed frame */
  ALGER_ERROR_BUSY,            /* a gate refused the request */
  ALGER_ERROR_NOT_RUNNING,     /* the execution already ended */
} AlgerErrorCode;

#define ALGER_ERROR_N_CODES (ALGER_ERROR_NOT_RUNNING + 1)

GQuark alger_error_quark (void);

/* the Python exception class the original engine raised for this code */
const char *alger_error_python_type (const GError *error);

G_END_DECLS
