/* alger-config.c: one table of settings drives the key file, the options and the checks */
#include "config.h"

#include "alger-config.h"

#include <glib/gi18n.h>
#include <stddef.h>
#include <string.h>

#include "alger-error.h"

typedef enum {
  KEY_STRING,   /* non-empty text */
  KEY_SECRET,   /* non-empty text, hidden in to_data() */
  KEY_PATH,     /* a path; empty means the derived default */
  KEY_PORT,     /* 1-65535 */
  KEY_PORT_OFF, /* 0-65535, 0 = off */
  KEY_UINT,     /* guint in [min, max] */
  KEY_SIZE,     /* guint64 in [min, max], optional K/M/G suffix (binary) */
  KEY_BUS,
  KEY_PAYLOADS,
  KEY_DELAY,    /* "MIN[,MAX]" into two guints */
  KEY_COMPAT,
} KeyType;

typedef struct {
  const char *group;
  const char *key;
  const char *option; /* long option name, without dashes */
  KeyType type;
  gsize offset;
  gsize offset2; /* KEY_DELAY: the MAX field */
  guint64 min;
  guint64 max;
  const char *default_value;
  const char *arg_description;
  const char *help;
} KeyInfo;

#define OFF(field) offsetof (AlgerConfig, field)

/* keep in step with data/alger.conf (tests/common/test-config.c checks both ways) */
static const KeyInfo keys[] = {
  { "server", "host", "host", KEY_STRING, OFF (host), 0, 0, 0, "127.0.0.1", N_("ADDRESS"),
    N_("Address to listen on") },
  { "server", "port", "port", KEY_PORT, OFF (port), 0, 1, 65535, "8765", N_("PORT"),
    N_("WebSocket port") },
  { "server", "state_dir", "state-dir", KEY_PATH, OFF (state_dir), 0, 0, 0, "", N_("DIR"),
    N_("State directory (default: $STATE_DIRECTORY, else ~/.local/state/alger)") },
  { "server", "database", "database", KEY_PATH, OFF (database), 0, 0, 0, "", N_("FILE"),
    N_("SQLite audit database (default: STATE_DIR/alger.sqlite3)") },
  { "server", "outputs_dir", "outputs-dir", KEY_PATH, OFF (outputs_dir), 0, 0, 0, "", N_("DIR"),
    N_("Where tracked outputs are written (default: STATE_DIR/outputs)") },
  { "server", "pipelines_dir", "pipelines-dir", KEY_PATH, OFF (pipelines_dir), 0, 0, 0, "",
    N_("DIR"), N_("Catalog seed directory") },
  { "server", "max_frame_size", "max-frame-size", KEY_SIZE, OFF (max_frame_size), 0, 1,
    G_MAXINT64, "1048576", N_("BYTES"), N_("Largest WebSocket frame accepted (K/M/G suffixes)") },
  { "server", "max_send_backlog", "max-send-backlog", KEY_SIZE, OFF (max_send_backlog), 0, 0,
    G_MAXINT64, "16777216", N_("BYTES"),
    N_("Unsent bytes a client may leave waiting before it is dropped, 0 = no limit") },
  { "server", "keepalive_interval", "keepalive-interval", KEY_UINT, OFF (keepalive_interval), 0,
    0, 86400, "30", N_("SECONDS"), N_("Seconds between pings, 0 = off") },
  { "server", "keepalive_timeout", "keepalive-timeout", KEY_UINT, OFF (keepalive_timeout), 0, 1,
    86400, "60", N_("SECONDS"), N_("Seconds without a pong before a peer is dropped") },
  { "server", "handshake_timeout", "handshake-timeout", KEY_UINT, OFF (handshake_timeout), 0, 0,
    3600, "10", N_("SECONDS"),
    N_("Seconds a new connection has to send its first request, 0 = no limit") },
  { "server", "listen_backlog", "listen-backlog", KEY_UINT, OFF (listen_backlog), 0, 1, 65535,
    "1024", N_("N"), N_("Listen backlog") },
  { "server", "bus", "bus", KEY_BUS, OFF (bus), 0, 0, 0, "none", N_("system|session|none"),
    N_("Bus for the D-Bus admin interface") },
  { "accounts", "admin_user", "admin-user", KEY_STRING, OFF (admin_user), 0, 0, 0, "admin",
    N_("NAME"), N_("Administrator account created at first start") },
  { "accounts", "admin_password", NULL, KEY_SECRET, OFF (admin_password), 0, 0, 0, "admin", NULL,
    NULL },
  { "store", "payloads", "payloads", KEY_PAYLOADS, OFF (payloads), 0, 0, 0, "full",
    N_("full|redacted|metadata"), N_("How much of each frame payload the audit log keeps") },
  { "executions", "max_concurrent", "max-concurrent", KEY_UINT, OFF (max_concurrent), 0, 1,
    G_MAXUINT, "1", N_("N"), N_("Pipeline runs allowed at once") },
  { "executions", "workers", "workers", KEY_UINT, OFF (workers), 0, 0, 4096, "0", N_("N"),
    N_("Worker threads, 0 = number of cores") },
  { "executions", "node_delay_ms", "node-delay-ms", KEY_DELAY, OFF (node_delay_min_ms),
    OFF (node_delay_max_ms), 0, 3600000, "0", N_("MIN[,MAX]"),
    N_("Delay before each node in milliseconds, fixed or random in MIN..MAX") },
  { "executions", "max_nodes", "max-nodes", KEY_UINT, OFF (max_nodes), 0, 1, G_MAXINT, "10000",
    N_("N"), N_("Largest graph accepted, in nodes") },
  { "executions", "max_elements", "max-elements", KEY_SIZE, OFF (max_elements), 0, 1, G_MAXINT64,
    "67108864", N_("N"), N_("Largest array a node may create, in elements") },
  { "executions", "compat", "compat", KEY_COMPAT, OFF (compat_original), 0, 0, 0, "none",
    N_("original|none"), N_("Reproduce the original engine's results") },
  { "http", "port", "http-port", KEY_PORT_OFF, OFF (http_port), 0, 0, 65535, "8000", N_("PORT"),
    N_("Artifacts HTTP API port, 0 = off") },
};

static const char *const bus_names[] = { "none", "session", "system" };
static const char *const payload_names[] = { "full", "redacted", "metadata" };

/* what the public struct does not show */
typedef struct {
  AlgerConfig pub;
  char *config_file;     /* --config */
  GPtrArray *overrides;  /* (const KeyInfo *, char *value) pairs, in command-line order */
} AlgerConfigPrivate;

#define FIELD(config, off, type) ((type *) (gpointer) ((guint8 *) (config) + (off)))

static gboolean set_key (AlgerConfig *config, const KeyInfo *info, const char *value,
                         gboolean from_cli, GError **error);

AlgerConfig *
alger_config_new (void)
{
  AlgerConfigPrivate *priv = g_new0 (AlgerConfigPrivate, 1);

  priv->overrides = g_ptr_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    g_autoptr(GError) error = NULL;
    if (!set_key (&priv->pub, &keys[i], keys[i].default_value, FALSE, &error))
      g_error ("bad compiled default for %s.%s: %s", keys[i].group, keys[i].key, error->message);
  }
  return &priv->pub;
}

void
alger_config_free (AlgerConfig *config)
{
  AlgerConfigPrivate *priv = (AlgerConfigPrivate *) config;

  if (config == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    KeyType t = keys[i].type;
    if (t == KEY_STRING || t == KEY_SECRET || t == KEY_PATH || t == KEY_PAYLOADS)
      g_clear_pointer (FIELD (config, keys[i].offset, char *), g_free);
  }
  for (guint i = 1; i < priv->overrides->len; i += 2)
    g_free (g_ptr_array_index (priv->overrides, i));
  g_ptr_array_unref (priv->overrides);
  g_free (priv->config_file);
  g_free (priv);
}

static gboolean
parse_uint (const char *text, guint64 min, guint64 max, gboolean suffixes, guint64 *out)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  gsize len = strlen (s);
  guint64 scale = 1;
  guint64 value = 0;

  if (suffixes && len > 0) {
    const char *units = "KMG";
    gsize unit_len = 1;
    char u = g_ascii_toupper (s[len - 1]);

    if (len > 3 && g_str_has_suffix (s, "iB")) {
      u = g_ascii_toupper (s[len - 3]);
      unit_len = 3;
    }
    if (strchr (units, u) != NULL && u != '\0') {
      scale = u == 'K' ? 1024 : u == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
      s[len - unit_len] = '\0';
      g_strstrip (s);
    }
  }
  if (s[0] == '\0' || s[0] == '+' || s[0] == '-')
    return FALSE;
  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64 / scale, &value, NULL))
    return FALSE;
  value *= scale;
  if (value < min || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

static int
lookup_name (const char *const *names, gsize n, const char *value)
{
  g_autofree char *s = g_strstrip (g_strdup (value));

  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp (s, names[i]) == 0)
      return (int) i;
  return -1;
}

static gboolean bad_value (GError **error, const char *value, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
bad_value (GError **error, const char *value, const char *fmt, ...)
{
  va_list args;
  g_autofree char *detail = NULL;

  va_start (args, fmt);
  detail = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "\"%s\" %s", value, detail);
  return FALSE;
}

/* @from_cli: the command line may ask for port 0 (any free port), which the test
 * harness uses; in a file it is almost certainly a mistake */
static gboolean
set_key (AlgerConfig *config, const KeyInfo *info, const char *value, gboolean from_cli,
         GError **error)
{
  guint64 n = 0;

  switch (info->type) {
  case KEY_STRING:
  case KEY_SECRET: {
    g_autofree char *s = g_strstrip (g_strdup (value));
    if (s[0] == '\0')
      return bad_value (error, value, _("is not valid: the value must not be empty"));
    g_free (*FIELD (config, info->offset, char *));
    *FIELD (config, info->offset, char *) = info->type == KEY_SECRET ? g_strdup (value)
                                                                      : g_steal_pointer (&s);
    return TRUE;
  }
  case KEY_PATH: {
    g_autofree char *s = g_strstrip (g_strdup (value));
    g_free (*FIELD (config, info->offset, char *));
    *FIELD (config, info->offset, char *) = s[0] != '\0' ? g_steal_pointer (&s) : NULL;
    return TRUE;
  }
  case KEY_PORT:
    if (from_cli && parse_uint (value, 0, 0, FALSE, &n)) {
      *FIELD (config, info->offset, guint) = 0;
      return TRUE;
    }
    if (!parse_uint (value, 1, 65535, FALSE, &n))
      return bad_value (error, value, _("is not a valid port (1-65535)"));
    *FIELD (config, info->offset, guint) = (guint) n;
    return TRUE;
  case KEY_PORT_OFF:
    if (!parse_uint (value, 0, 65535, FALSE, &n))
      return bad_value (error, value, _("is not a valid port (1-65535, or 0 for off)"));
    *FIELD (config, info->offset, guint) = (guint) n;
    return TRUE;
  case KEY_UINT:
    if (!parse_uint (value, info->min, info->max, FALSE, &n))
      return bad_value (error, value, _("is not a valid number (%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ")"), info->min, info->max);
    *FIELD (config, info->offset, guint) = (guint) n;
    return TRUE;
  case KEY_SIZE:
    if (!parse_uint (value, info->min, info->max, TRUE, &n))
      return bad_value (error, value,
                        _("is not a valid size (%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                          ", K/M/G suffixes allowed)"), info->min, info->max);
    *FIELD (config, info->offset, guint64) = n;
    return TRUE;
  case KEY_BUS: {
    int i = lookup_name (bus_names, G_N_ELEMENTS (bus_names), value);
    if (i < 0)
      return bad_value (error, value, _("is not a valid bus (system, session or none)"));
    *FIELD (config, info->offset, AlgerBusType) = (AlgerBusType) i;
    return TRUE;
  }
  case KEY_PAYLOADS: {
    int i = lookup_name (payload_names, G_N_ELEMENTS (payload_names), value);
    if (i < 0)
      return bad_value (error, value, _("is not a valid payload policy (full, redacted or metadata)"));
    g_free (*FIELD (config, info->offset, char *));
    *FIELD (config, info->offset, char *) = g_strdup (payload_names[i]);
    return TRUE;
  }
  case KEY_COMPAT: {
    static const char *const modes[] = { "none", "original" };
    int i = lookup_name (modes, G_N_ELEMENTS (modes), value);
    if (i < 0)
      return bad_value (error, value, _("is not a valid compatibility mode (original or none)"));
    *FIELD (config, info->offset, gboolean) = i == 1;
    return TRUE;
  }
  case KEY_DELAY: {
    g_auto(GStrv) parts = g_strsplit (value, ",", -1);
    guint64 lo = 0;
    guint64 hi = 0;
    guint n_parts = g_strv_length (parts);

    if (n_parts < 1 || n_parts > 2 || !parse_uint (parts[0], info->min, info->max, FALSE, &lo) ||
        (n_parts == 2 && !parse_uint (parts[1], info->min, info->max, FALSE, &hi)))
      return bad_value (error, value,
                        _("is not a valid delay (MIN or MIN,MAX in milliseconds, 0-%" G_GUINT64_FORMAT ")"), info->max);
    if (n_parts == 1)
      hi = lo;
    if (lo > hi)
      return bad_value (error, value, _("is not a valid delay (MIN must not exceed MAX)"));
    *FIELD (config, info->offset, guint) = (guint) lo;
    *FIELD (config, info->offset2, guint) = (guint) hi;
    return TRUE;
  }
  default:
    g_assert_not_reached ();
  }
}

static char *
get_key (AlgerConfig *config, const KeyInfo *info)
{
  switch (info->type) {
  case KEY_STRING:
  case KEY_SECRET:
  case KEY_PATH:
  case KEY_PAYLOADS: {
    const char *s = *FIELD (config, info->offset, char *);
    return g_strdup (s != NULL ? s : "");
  }
  case KEY_PORT:
  case KEY_PORT_OFF:
  case KEY_UINT:
    return g_strdup_printf ("%u", *FIELD (config, info->offset, guint));
  case KEY_SIZE:
    return g_strdup_printf ("%" G_GUINT64_FORMAT, *FIELD (config, info->offset, guint64));
  case KEY_BUS:
    return g_strdup (alger_bus_type_to_string (*FIELD (config, info->offset, AlgerBusType)));
  case KEY_COMPAT:
    return g_strdup (*FIELD (config, info->offset, gboolean) ? "original" : "none");
  case KEY_DELAY: {
    guint lo = *FIELD (config, info->offset, guint);
    guint hi = *FIELD (config, info->offset2, guint);
    return lo == hi ? g_strdup_printf ("%u", lo) : g_strdup_printf ("%u,%u", lo, hi);
  }
  default:
    g_assert_not_reached ();
  }
}

/* "server.port", "server.state-dir", "--port", "http-port" */
static const KeyInfo *
find_key (const char *name)
{
  g_autofree char *norm = NULL;
  const char *dot;

  while (*name == '-')
    name++;
  norm = g_strdup (name);
  dot = strchr (norm, '.');
  if (dot != NULL) {
    g_autofree char *group = g_strndup (norm, (gsize) (dot - norm));
    g_autofree char *key = g_strdelimit (g_strdup (dot + 1), "-", '_');
    for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
      if (g_strcmp0 (keys[i].group, group) == 0 && g_strcmp0 (keys[i].key, key) == 0)
        return &keys[i];
    return NULL;
  }
  g_strdelimit (norm, "_", '-');
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_strcmp0 (keys[i].option, norm) == 0)
      return &keys[i];
  return NULL;
}

const char *
alger_bus_type_to_string (AlgerBusType bus)
{
  if ((guint) bus >= G_N_ELEMENTS (bus_names))
    return "none";
  return bus_names[bus];
}

static gboolean
load_keyfile (AlgerConfig *config, GKeyFile *kf, const char *origin, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (gsize g = 0; groups[g] != NULL; g++) {
    g_auto(GStrv) names = NULL;
    gboolean known_group = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
      known_group |= g_strcmp0 (keys[i].group, groups[g]) == 0;
    if (!known_group) {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, _("%s: unknown group [%s]"),
                   origin, groups[g]);
      return FALSE;
    }
    names = g_key_file_get_keys (kf, groups[g], NULL, error);
    if (names == NULL)
      return FALSE;
    for (gsize k = 0; names[k] != NULL; k++) {
      const KeyInfo *info = NULL;
      g_autofree char *value = NULL;

      for (gsize i = 0; i < G_N_ELEMENTS (keys) && info == NULL; i++)
        if (g_strcmp0 (keys[i].group, groups[g]) == 0 && g_strcmp0 (keys[i].key, names[k]) == 0)
          info = &keys[i];
      if (info == NULL) {
        g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, _("%s: [%s] unknown key \"%s\""),
                     origin, groups[g], names[k]);
        return FALSE;
      }
      value = g_key_file_get_string (kf, groups[g], names[k], error);
      if (value == NULL) {
        g_prefix_error (error, "%s: [%s] %s: ", origin, groups[g], names[k]);
        return FALSE;
      }
      if (!set_key (config, info, value, FALSE, error)) {
        g_prefix_error (error, "%s: [%s] %s: ", origin, groups[g], names[k]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
alger_config_load_file (AlgerConfig *config, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *origin = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  origin = g_filename_display_name (path);
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "%s: %s", origin,
                 local_error->message);
    return FALSE;
  }
  return load_keyfile (config, kf, origin, error);
}

gboolean
alger_config_load_data (AlgerConfig *config, const char *data, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (!g_key_file_load_from_data (kf, data, (gsize) -1, G_KEY_FILE_NONE, &local_error)) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "%s: %s", "<data>",
                 local_error->message);
    return FALSE;
  }
  return load_keyfile (config, kf, "<data>", error);
}

gboolean
alger_config_set (AlgerConfig *config, const char *key, const char *value, GError **error)
{
  const KeyInfo *info;
  gboolean from_cli;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  info = find_key (key);
  if (info == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, _("unknown setting \"%s\""), key);
    return FALSE;
  }
  from_cli = strchr (key, '.') == NULL;
  if (!set_key (config, info, value, from_cli, error)) {
    if (!from_cli || info->option == NULL)
      g_prefix_error (error, "[%s] %s: ", info->group, info->key);
    else
      g_prefix_error (error, "--%s: ", info->option);
    return FALSE;
  }
  return TRUE;
}

char *
alger_config_get_value (AlgerConfig *config, const char *key, GError **error)
{
  const KeyInfo *info;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  info = find_key (key);
  if (info == NULL) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, _("unknown setting \"%s\""), key);
    return NULL;
  }
  return get_key (config, info);
}

GStrv
alger_config_dup_keys (void)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    g_autofree char *name = g_strdup_printf ("%s.%s", keys[i].group, keys[i].key);
    g_strv_builder_add (builder, name);
  }
  return g_strv_builder_end (builder);
}

char *
alger_config_to_data (AlgerConfig *config, gboolean show_secrets)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  g_return_val_if_fail (config != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    g_autofree char *value = get_key (config, &keys[i]);
    if (keys[i].type == KEY_SECRET && !show_secrets)
      g_key_file_set_string (kf, keys[i].group, keys[i].key, "(set)");
    else
      g_key_file_set_string (kf, keys[i].group, keys[i].key, value);
  }
  return g_key_file_to_data (kf, NULL, NULL);
}

static gboolean
option_cb (const char *option_name, const char *value, gpointer user_data, GError **error)
{
  AlgerConfigPrivate *priv = user_data;
  const KeyInfo *info = find_key (option_name);
  g_autoptr(AlgerConfig) scratch = NULL;

  if (g_strcmp0 (option_name, "--config") == 0 || g_strcmp0 (option_name, "-c") == 0) {
    g_free (priv->config_file);
    priv->config_file = g_strdup (value);
    return TRUE;
  }
  if (info == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, _("unknown option %s"),
                 option_name);
    return FALSE;
  }
  /* check now, so the user hears about it while options are parsed; apply later */
  scratch = alger_config_new ();
  if (!set_key (scratch, info, value, TRUE, error)) {
    g_prefix_error (error, "--%s: ", info->option);
    return FALSE;
  }
  g_ptr_array_add (priv->overrides, (gpointer) info);
  g_ptr_array_add (priv->overrides, g_strdup (value));
  return TRUE;
}

GOptionGroup *
alger_config_get_option_group (AlgerConfig *config)
{
  AlgerConfigPrivate *priv = (AlgerConfigPrivate *) config;
  GOptionGroup *group;
  GOptionEntry entries[G_N_ELEMENTS (keys) + 2];
  gsize n = 0;

  g_return_val_if_fail (config != NULL, NULL);

  group = g_option_group_new ("config", _("Configuration options (override the file):"),
                              _("Show configuration options"), priv, NULL);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  memset (entries, 0, sizeof entries);
  entries[n++] = (GOptionEntry) { "config", 'c', 0, G_OPTION_ARG_CALLBACK, (gpointer) option_cb,
                                  N_("Configuration file"), N_("FILE") };
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (keys[i].option == NULL)
      continue;
    entries[n++] = (GOptionEntry) { keys[i].option, 0, 0, G_OPTION_ARG_CALLBACK,
                                    (gpointer) option_cb, keys[i].help, keys[i].arg_description };
  }
  g_option_group_add_entries (group, entries);
  return group;
}

const char *
alger_config_get_config_file (AlgerConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return ((AlgerConfigPrivate *) config)->config_file;
}

gboolean
alger_config_apply_options (AlgerConfig *config, GError **error)
{
  AlgerConfigPrivate *priv = (AlgerConfigPrivate *) config;

  g_return_val_if_fail (config != NULL, FALSE);

  if (priv->config_file != NULL && !alger_config_load_file (config, priv->config_file, error))
    return FALSE;
  for (guint i = 0; i + 1 < priv->overrides->len; i += 2) {
    const KeyInfo *info = g_ptr_array_index (priv->overrides, i);
    const char *value = g_ptr_array_index (priv->overrides, i + 1);
    if (!set_key (config, info, value, TRUE, error)) {
      g_prefix_error (error, "--%s: ", info->option);
      return FALSE;
    }
  }
  return TRUE;
}

static char *
default_state_dir (void)
{
  const char *systemd = g_getenv ("STATE_DIRECTORY");

  /* systemd passes a colon-separated list when StateDirectory= names several */
  if (systemd != NULL && systemd[0] != '\0') {
    const char *colon = strchr (systemd, ':');
    return colon != NULL ? g_strndup (systemd, (gsize) (colon - systemd)) : g_strdup (systemd);
  }
  return g_build_filename (g_get_user_state_dir (), "alger", NULL);
}

gboolean
alger_config_finish (AlgerConfig *config, GError **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->state_dir == NULL)
    config->state_dir = default_state_dir ();
  if (config->database == NULL)
    config->database = g_build_filename (config->state_dir, "alger.sqlite3", NULL);
  if (config->outputs_dir == NULL)
    config->outputs_dir = g_build_filename (config->state_dir, "outputs", NULL);
  if (config->pipelines_dir == NULL) {
    config->pipelines_dir = g_build_filename (ALGER_DATADIR, "pipelines", NULL);
    if (!g_file_test (config->pipelines_dir, G_FILE_TEST_IS_DIR)) {
      g_free (config->pipelines_dir);
      config->pipelines_dir = g_build_filename (ALGER_SOURCE_DATADIR, "pipelines", NULL);
    }
  }

  if (config->node_delay_min_ms > config->node_delay_max_ms) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                 _("[executions] node_delay_ms: \"%u,%u\" is not a valid delay (MIN must not exceed MAX)"),
                 config->node_delay_min_ms, config->node_delay_max_ms);
    return FALSE;
  }
  if (config->http_port != 0 && config->http_port == config->port) {
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                 _("[http] port: \"%u\" is already the WebSocket port ([server] port); "
                   "the artifacts API is served there anyway, use 0 to turn the second port off"),
                 config->http_port);
    return FALSE;
  }
  return TRUE;
}
