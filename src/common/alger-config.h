/* alger-config.h: settings from data/alger.conf and the command line */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ALGER_BUS_NONE,    /* no D-Bus admin interface (the default: safe for a plain user run) */
  ALGER_BUS_SESSION, /* a desktop user's session bus */
  ALGER_BUS_SYSTEM,  /* the systemd service (alger.service passes --bus=system) */
} AlgerBusType;

typedef struct {
  /* [server] */
  char *host;                 /* "127.0.0.1" */
  guint port;                 /* 8765, 1-65535; 0 (any free port) only from the command line */
  char *state_dir;            /* NULL until finish: $STATE_DIRECTORY, else user state dir/alger */
  char *database;             /* NULL until finish: <state_dir>/alger.sqlite3 */
  char *outputs_dir;          /* NULL until finish: <state_dir>/outputs */
  char *pipelines_dir;        /* NULL until finish: ALGER_DATADIR/pipelines, else the source tree's */
  guint64 max_frame_size;     /* bytes, 1 MiB */
  guint64 max_send_backlog;   /* bytes waiting for a client that does not read, 16 MiB; 0 = no limit */
  guint keepalive_interval;   /* seconds between pings, 30; 0 = off */
  guint keepalive_timeout;    /* seconds without pong before drop, 60 */
  guint handshake_timeout;    /* seconds until the first request is read, 10; 0 = no limit */
  guint listen_backlog;       /* 1024 */
  AlgerBusType bus;           /* none */
  /* [accounts] */
  char *admin_user;           /* "admin" */
  char *admin_password;       /* "admin": only used to create the account at first start */
  /* [store] */
  char *payloads;             /* "full" | "redacted" | "metadata" */
  /* [executions] */
  guint max_concurrent;       /* 1 */
  guint workers;              /* 0 = number of cores */
  guint node_delay_min_ms;    /* "node_delay_ms = MIN[,MAX]", 0 */
  guint node_delay_max_ms;
  guint max_nodes;            /* 10000 */
  guint64 max_elements;       /* 64 Mi elements per array */
  gboolean compat_original;   /* "compat = original | none", none */
  /* [http] */
  guint http_port;            /* 8000; 0 = off */
} AlgerConfig;

AlgerConfig *alger_config_new (void);
void alger_config_free (AlgerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerConfig, alger_config_free)

/* Load a key file over the current values. Unknown groups or keys and bad values are
 * errors (ALGER_ERROR_INVALID_ARGS) naming the file, group, key and value, e.g.
 * `alger.conf: [server] port: "abc" is not a valid port (1-65535)`. An empty value
 * for a path key means "the default". */
gboolean alger_config_load_file (AlgerConfig *config, const char *path, GError **error);
gboolean alger_config_load_data (AlgerConfig *config, const char *data, GError **error);

/* Set one value: @key is "group.key" ("server.port"; '-' and '_' are the same) or an
 * option name with or without the dashes ("--port", "http-port"). */
gboolean alger_config_set (AlgerConfig *config, const char *key, const char *value,
                           GError **error);

/* The canonical text of a value ("server.port" -> "8765"; unset paths -> ""), or NULL
 * with an error for an unknown key. */
char *alger_config_get_value (AlgerConfig *config, const char *key, GError **error);

/* every known key as "group.key", in file order */
GStrv alger_config_dup_keys (void);

/* The effective configuration as key-file text (for --print-config and the journal);
 * admin_password is written as "(set)" unless @show_secrets. */
char *alger_config_to_data (AlgerConfig *config, gboolean show_secrets);

/* Options: --config FILE, --host, --port, --state-dir, --database, --outputs-dir,
 * --pipelines-dir, --max-frame-size, --keepalive-interval, --keepalive-timeout, --bus,
 * --admin-user, --payloads, --max-concurrent, --workers, --node-delay-ms MIN[,MAX],
 * --max-nodes, --max-elements, --compat, --http-port. Values are checked while the
 * command line is parsed, but only remembered: alger_config_apply_options() then loads
 * the --config file (if given) and applies the options over it, so options win
 * whatever their order. The group refers to @config, which must outlive it. */
GOptionGroup *alger_config_get_option_group (AlgerConfig *config);

/* the --config FILE given on the command line, or NULL */
const char *alger_config_get_config_file (AlgerConfig *config);

/* load the --config file, if any, then apply the remembered options in command-line
 * order. Callers wanting a default file (ALGER_SYSCONFDIR "/alger.conf") load it first
 * with alger_config_load_file() when --config is not given. */
gboolean alger_config_apply_options (AlgerConfig *config, GError **error);

/* Fill the derived defaults (state_dir, then database and outputs_dir under it,
 * pipelines_dir) and check cross-field rules (delay MIN <= MAX, the HTTP port differs
 * from the WebSocket port). Call once, after files and options. */
gboolean alger_config_finish (AlgerConfig *config, GError **error);

const char *alger_bus_type_to_string (AlgerBusType bus);

G_END_DECLS
