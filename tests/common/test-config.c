/* test-config.c: settings, data/alger.conf and command-line overrides */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "alger-config.h"
#include "alger-error.h"

static char *
conf_path (void)
{
  const char *root = g_getenv ("ALGER_SOURCE_ROOT");

  if (root == NULL)
    root = g_test_get_dir (G_TEST_DIST); /* tests/common, when run by hand */
  if (g_getenv ("ALGER_SOURCE_ROOT") == NULL)
    return g_build_filename (root, "..", "..", "data", "alger.conf", NULL);
  return g_build_filename (root, "data", "alger.conf", NULL);
}

static void
test_defaults (void)
{
  g_autoptr(AlgerConfig) config = alger_config_new ();

  g_assert_cmpstr (config->host, ==, "127.0.0.1");
  g_assert_cmpuint (config->port, ==, 8765);
  g_assert_null (config->state_dir);
  g_assert_null (config->database);
  g_assert_null (config->outputs_dir);
  g_assert_null (config->pipelines_dir);
  g_assert_cmpuint (config->max_frame_size, ==, 1024 * 1024);
  g_assert_cmpuint (config->max_send_backlog, ==, 16 * 1024 * 1024);
  g_assert_cmpuint (config->keepalive_interval, ==, 30);
  g_assert_cmpuint (config->keepalive_timeout, ==, 60);
  g_assert_cmpuint (config->listen_backlog, ==, 1024);
  g_assert_cmpuint (config->handshake_timeout, ==, 10);
  g_assert_cmpint (config->bus, ==, ALGER_BUS_NONE);
  g_assert_cmpstr (config->admin_user, ==, "admin");
  g_assert_cmpstr (config->admin_password, ==, "admin");
  g_assert_cmpstr (config->payloads, ==, "full");
  g_assert_cmpuint (config->max_concurrent, ==, 1);
  g_assert_cmpuint (config->workers, ==, 0);
  g_assert_cmpuint (config->node_delay_min_ms, ==, 0);
  g_assert_cmpuint (config->node_delay_max_ms, ==, 0);
  g_assert_cmpuint (config->max_nodes, ==, 10000);
  g_assert_cmpuint (config->max_elements, ==, 64 * 1024 * 1024);
  g_assert_false (config->compat_original);
  g_assert_cmpuint (config->http_port, ==, 8000);
}

/* "group.key" -> the commented default from data/alger.conf */
static GHashTable *
read_documented_keys (const char *contents)
{
  g_autoptr(GHashTable) documented = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autofree char *group = NULL;
  gboolean explained = FALSE;

  for (gsize i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];
    const char *eq = NULL;

    if (line[0] == '[') {
      const char *close = strchr (line, ']');
      g_assert_nonnull (close);
      g_free (group);
      group = g_strndup (line + 1, (gsize) (close - line - 1));
      explained = FALSE;
      continue;
    }
    if (g_strcmp0 (line, "#") == 0)
      continue;
    if (g_str_has_prefix (line, "# ")) {
      explained = TRUE;
      continue;
    }
    if (line[0] == '#' && line[1] != '\0' && line[1] != ' ' && (eq = strchr (line, '=')) != NULL) {
      g_autofree char *key = g_strndup (line + 1, (gsize) (eq - line - 1));
      g_assert_nonnull (group);
      if (!explained)
        g_error ("data/alger.conf: [%s] %s has no explanation line above it", group, key);
      explained = FALSE;
      g_assert_true (g_hash_table_insert (documented, g_strdup_printf ("%s.%s", group, key),
                                          g_strdup (eq + 1)));
      continue;
    }
    /* nothing else: no live settings in the shipped file */
    if (line[strspn (line, " \t")] != '\0')
      g_error ("data/alger.conf: unexpected line \"%s\"", line);
  }
  return g_steal_pointer (&documented);
}

static void
test_conf_documents_every_key (void)
{
  g_autofree char *path = conf_path ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) documented = NULL;
  g_auto(GStrv) known = alger_config_dup_keys ();
  g_autoptr(AlgerConfig) config = alger_config_new ();
  GHashTableIter iter;
  gpointer key;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  documented = read_documented_keys (contents);

  for (gsize i = 0; known[i] != NULL; i++)
    if (!g_hash_table_contains (documented, known[i]))
      g_error ("setting %s is not documented in data/alger.conf", known[i]);
  g_hash_table_iter_init (&iter, documented);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_strv_contains ((const char *const *) known, key))
      g_error ("data/alger.conf documents %s, which is not a setting", (const char *) key);
  g_assert_cmpuint (g_hash_table_size (documented), ==, g_strv_length (known));

  /* as shipped (all commented out) it loads and changes nothing */
  g_assert_true (alger_config_load_file (config, path, &error));
  g_assert_no_error (error);
}

static void
test_conf_defaults_match (void)
{
  g_autofree char *path = conf_path ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) regex = g_regex_new ("^#([a-z_]+=)", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *uncommented = NULL;
  g_autoptr(AlgerConfig) defaults = alger_config_new ();
  g_autoptr(AlgerConfig) loaded = alger_config_new ();
  g_auto(GStrv) known = alger_config_dup_keys ();

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  uncommented = g_regex_replace (regex, contents, -1, 0, "\\1", 0, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (uncommented, "\n#port="));

  /* start from values that differ everywhere, so a key that did not load is noticed */
  g_assert_true (alger_config_load_data (loaded,
                                         "[server]\nhost=::1\nport=1\nstate_dir=/x\ndatabase=/x/d\n"
                                         "outputs_dir=/x/o\npipelines_dir=/x/p\nmax_frame_size=7\n"
                                         "max_send_backlog=7\n"
                                         "keepalive_interval=7\nkeepalive_timeout=7\n"
                                         "listen_backlog=7\nhandshake_timeout=7\nbus=system\n"
                                         "[accounts]\nadmin_user=x\nadmin_password=x\n"
                                         "[store]\npayloads=metadata\n"
                                         "[executions]\nmax_concurrent=7\nworkers=7\n"
                                         "node_delay_ms=7,8\nmax_nodes=7\nmax_elements=7\n"
                                         "compat=original\n[http]\nport=7\n",
                                         &error));
  g_assert_no_error (error);
  for (gsize i = 0; known[i] != NULL; i++) {
    g_autofree char *a = alger_config_get_value (loaded, known[i], NULL);
    g_autofree char *b = alger_config_get_value (defaults, known[i], NULL);
    if (g_strcmp0 (a, b) == 0)
      g_error ("the scratch value for %s equals its default", known[i]);
  }

  g_assert_true (alger_config_load_data (loaded, uncommented, &error));
  g_assert_no_error (error);
  for (gsize i = 0; known[i] != NULL; i++) {
    g_autofree char *a = alger_config_get_value (loaded, known[i], &error);
    g_autofree char *b = alger_config_get_value (defaults, known[i], &error);
    g_assert_no_error (error);
    if (g_strcmp0 (a, b) != 0)
      g_error ("data/alger.conf says %s=%s, the compiled default is %s", known[i], a, b);
  }
}

typedef struct {
  const char *name;
  const char *data;
  const char *message;
} BadCase;

static const BadCase bad_cases[] = {
  { "unknown-group", "[sever]\nport=1\n", "<data>: unknown group [sever]" },
  { "unknown-key", "[server]\nprot=1\n", "<data>: [server] unknown key \"prot\"" },
  { "key-in-wrong-group", "[http]\nhost=x\n", "<data>: [http] unknown key \"host\"" },
  { "port-word", "[server]\nport=abc\n", "<data>: [server] port: \"abc\" is not a valid port (1-65535)" },
  { "port-zero", "[server]\nport=0\n", "<data>: [server] port: \"0\" is not a valid port (1-65535)" },
  { "port-too-big", "[server]\nport=65536\n",
    "<data>: [server] port: \"65536\" is not a valid port (1-65535)" },
  { "port-negative", "[server]\nport=-1\n",
    "<data>: [server] port: \"-1\" is not a valid port (1-65535)" },
  { "port-plus", "[server]\nport=+80\n", "<data>: [server] port: \"+80\" is not a valid port (1-65535)" },
  { "port-empty", "[server]\nport=\n", "<data>: [server] port: \"\" is not a valid port (1-65535)" },
  { "port-float", "[server]\nport=80.0\n",
    "<data>: [server] port: \"80.0\" is not a valid port (1-65535)" },
  { "http-port-too-big", "[http]\nport=70000\n",
    "<data>: [http] port: \"70000\" is not a valid port (1-65535, or 0 for off)" },
  { "host-empty", "[server]\nhost=\n",
    "<data>: [server] host: \"\" is not valid: the value must not be empty" },
  { "bus-unknown", "[server]\nbus=user\n",
    "<data>: [server] bus: \"user\" is not a valid bus (system, session or none)" },
  { "frame-size-zero", "[server]\nmax_frame_size=0\n",
    "<data>: [server] max_frame_size: \"0\" is not a valid size (1-9223372036854775807, K/M/G "
    "suffixes allowed)" },
  { "frame-size-unit", "[server]\nmax_frame_size=1T\n",
    "<data>: [server] max_frame_size: \"1T\" is not a valid size (1-9223372036854775807, K/M/G "
    "suffixes allowed)" },
  { "keepalive-negative", "[server]\nkeepalive_interval=-5\n",
    "<data>: [server] keepalive_interval: \"-5\" is not a valid number (0-86400)" },
  { "keepalive-timeout-zero", "[server]\nkeepalive_timeout=0\n",
    "<data>: [server] keepalive_timeout: \"0\" is not a valid number (1-86400)" },
  { "backlog-word", "[server]\nlisten_backlog=lots\n",
    "<data>: [server] listen_backlog: \"lots\" is not a valid number (1-65535)" },
  { "admin-user-empty", "[accounts]\nadmin_user= \n",
    "<data>: [accounts] admin_user: \"\" is not valid: the value must not be empty" },
  { "payloads-unknown", "[store]\npayloads=none\n",
    "<data>: [store] payloads: \"none\" is not a valid payload policy (full, redacted or metadata)" },
  { "max-concurrent-zero", "[executions]\nmax_concurrent=0\n",
    "<data>: [executions] max_concurrent: \"0\" is not a valid number (1-4294967295)" },
  { "workers-negative", "[executions]\nworkers=-1\n",
    "<data>: [executions] workers: \"-1\" is not a valid number (0-4096)" },
  { "delay-reversed", "[executions]\nnode_delay_ms=5,1\n",
    "<data>: [executions] node_delay_ms: \"5,1\" is not a valid delay (MIN must not exceed MAX)" },
  { "delay-three", "[executions]\nnode_delay_ms=1,2,3\n",
    "<data>: [executions] node_delay_ms: \"1,2,3\" is not a valid delay (MIN or MIN,MAX in "
    "milliseconds, 0-3600000)" },
  { "delay-negative", "[executions]\nnode_delay_ms=-1\n",
    "<data>: [executions] node_delay_ms: \"-1\" is not a valid delay (MIN or MIN,MAX in "
    "milliseconds, 0-3600000)" },
  { "delay-empty-max", "[executions]\nnode_delay_ms=1,\n",
    "<data>: [executions] node_delay_ms: \"1,\" is not a valid delay (MIN or MIN,MAX in "
    "milliseconds, 0-3600000)" },
  { "max-nodes-zero", "[executions]\nmax_nodes=0\n",
    "<data>: [executions] max_nodes: \"0\" is not a valid number (1-2147483647)" },
  { "max-elements-word", "[executions]\nmax_elements=many\n",
    "<data>: [executions] max_elements: \"many\" is not a valid size (1-9223372036854775807, K/M/G "
    "suffixes allowed)" },
  { "compat-unknown", "[executions]\ncompat=python\n",
    "<data>: [executions] compat: \"python\" is not a valid compatibility mode (original or none)" },
};

static void
test_bad_value (gconstpointer user_data)
{
  const BadCase *c = user_data;
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (alger_config_load_data (config, c->data, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_cmpstr (error->message, ==, c->message);
}

static void
test_bad_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("alger-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "alger.conf", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(AlgerConfig) config = alger_config_new ();

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "[server]\nport=abc\n", -1, &error));
  g_assert_false (alger_config_load_file (config, path, &error));
  expected = g_strdup_printf ("%s: [server] port: \"abc\" is not a valid port (1-65535)", path);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* not a key file at all */
  g_assert_true (g_file_set_contents (path, "port 8765\n", -1, &error));
  g_assert_false (alger_config_load_file (config, path, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_false (alger_config_load_file (config, path, &error));
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_assert_cmpuint (config->port, ==, 8765);
}

typedef struct {
  const char *key;
  const char *value;
  const char *canonical_key;
  const char *expected; /* canonical value, or NULL: refused with @message */
  const char *message;
} OverrideCase;

static const OverrideCase override_cases[] = {
  { "server.port", "9000", "server.port", "9000", NULL },
  { "--port", " 9001 ", "server.port", "9001", NULL },
  { "port", "65535", "server.port", "65535", NULL },
  { "host", "0.0.0.0", "server.host", "0.0.0.0", NULL },
  { "server.state-dir", "/var/lib/alger", "server.state_dir", "/var/lib/alger", NULL },
  { "--state-dir", "", "server.state_dir", "", NULL },
  { "database", "/tmp/a.db", "server.database", "/tmp/a.db", NULL },
  { "outputs-dir", "/tmp/out", "server.outputs_dir", "/tmp/out", NULL },
  { "pipelines_dir", "/tmp/p", "server.pipelines_dir", "/tmp/p", NULL },
  { "max-frame-size", "2M", "server.max_frame_size", "2097152", NULL },
  { "max-frame-size", "64 KiB", "server.max_frame_size", "65536", NULL },
  { "max-frame-size", "1g", "server.max_frame_size", "1073741824", NULL },
  { "max-send-backlog", "0", "server.max_send_backlog", "0", NULL },
  { "max-send-backlog", "64K", "server.max_send_backlog", "65536", NULL },
  { "keepalive-interval", "0", "server.keepalive_interval", "0", NULL },
  { "keepalive-timeout", "5", "server.keepalive_timeout", "5", NULL },
  { "listen-backlog", "16", "server.listen_backlog", "16", NULL },
  { "handshake-timeout", "0", "server.handshake_timeout", "0", NULL },
  { "bus", "system", "server.bus", "system", NULL },
  { "--bus", "Session", "server.bus", "session", NULL },
  { "admin-user", "root", "accounts.admin_user", "root", NULL },
  { "accounts.admin_password", " s3cret ", "accounts.admin_password", " s3cret ", NULL },
  { "payloads", "redacted", "store.payloads", "redacted", NULL },
  { "store.payloads", "metadata", "store.payloads", "metadata", NULL },
  { "max-concurrent", "4", "executions.max_concurrent", "4", NULL },
  { "workers", "8", "executions.workers", "8", NULL },
  { "node-delay-ms", "5", "executions.node_delay_ms", "5", NULL },
  { "node-delay-ms", "5,50", "executions.node_delay_ms", "5,50", NULL },
  { "node-delay-ms", " 1 , 1 ", "executions.node_delay_ms", "1", NULL },
  { "max-nodes", "3", "executions.max_nodes", "3", NULL },
  { "max-elements", "16M", "executions.max_elements", "16777216", NULL },
  { "compat", "original", "executions.compat", "original", NULL },
  { "executions.compat", "none", "executions.compat", "none", NULL },
  { "http-port", "0", "http.port", "0", NULL },
  { "http.port", "8080", "http.port", "8080", NULL },
  { "--port", "abc", NULL, NULL, "--port: \"abc\" is not a valid port (1-65535)" },
  { "server.port", "0", NULL, NULL, "[server] port: \"0\" is not a valid port (1-65535)" },
  /* the command line may ask for any free port (the integration harness does) */
  { "--port", "0", "server.port", "0", NULL },
  { "--port", "65536", NULL, NULL, "--port: \"65536\" is not a valid port (1-65535)" },
  { "--node-delay-ms", "5,1", NULL, NULL,
    "--node-delay-ms: \"5,1\" is not a valid delay (MIN must not exceed MAX)" },
  { "--bus", "user", NULL, NULL, "--bus: \"user\" is not a valid bus (system, session or none)" },
  { "admin-password", "x", NULL, NULL, "unknown setting \"admin-password\"" },
  { "server.nope", "1", NULL, NULL, "unknown setting \"server.nope\"" },
  { "nope", "1", NULL, NULL, "unknown setting \"nope\"" },
};

static void
test_override (gconstpointer user_data)
{
  const OverrideCase *c = user_data;
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  if (c->expected == NULL) {
    g_assert_false (alger_config_set (config, c->key, c->value, &error));
    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
    g_assert_cmpstr (error->message, ==, c->message);
    return;
  }
  g_assert_true (alger_config_set (config, c->key, c->value, &error));
  g_assert_no_error (error);
  value = alger_config_get_value (config, c->canonical_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, c->expected);
}

static void
test_struct_fields (void)
{
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (alger_config_load_data (config,
                                         "[server]\nbus=session\nmax_frame_size=4K\n"
                                         "[executions]\nnode_delay_ms=2,9\ncompat=original\n"
                                         "[store]\npayloads=REDACTED\n",
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpint (config->bus, ==, ALGER_BUS_SESSION);
  g_assert_cmpuint (config->max_frame_size, ==, 4096);
  g_assert_cmpuint (config->node_delay_min_ms, ==, 2);
  g_assert_cmpuint (config->node_delay_max_ms, ==, 9);
  g_assert_true (config->compat_original);
  g_assert_cmpstr (config->payloads, ==, "redacted");
  g_assert_cmpstr (alger_bus_type_to_string (ALGER_BUS_SYSTEM), ==, "system");
}

static void
test_options (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("alger-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "alger.conf", NULL);
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  /* --config comes last, yet the options before it win over the file */
  const char *argv_in[] = { "algerd", "--port", "9000", "--node-delay-ms=5,10", "--port=0",
                            "--http-port=0", "--port=9001",
                            "--config", path, "extra", NULL };
  g_auto(GStrv) argv = g_strdupv ((char **) argv_in);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path,
                                      "[server]\nport=7000\nbus=session\n"
                                      "[executions]\nnode_delay_ms=1\nmax_nodes=5\n",
                                      -1, &error));
  g_option_context_set_main_group (context, alger_config_get_option_group (config));
  g_assert_true (g_option_context_parse_strv (context, &argv, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (argv), ==, 2);
  g_assert_cmpstr (argv[1], ==, "extra");
  g_assert_cmpstr (alger_config_get_config_file (config), ==, path);
  /* nothing applied yet */
  g_assert_cmpuint (config->port, ==, 8765);

  g_assert_true (alger_config_apply_options (config, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->port, ==, 9001);
  g_assert_cmpint (config->bus, ==, ALGER_BUS_SESSION);
  g_assert_cmpuint (config->node_delay_min_ms, ==, 5);
  g_assert_cmpuint (config->node_delay_max_ms, ==, 10);
  g_assert_cmpuint (config->max_nodes, ==, 5);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_options_bad (void)
{
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *argv_in[] = { "algerd", "--http-port", "99999", NULL };
  g_auto(GStrv) argv = g_strdupv ((char **) argv_in);

  g_option_context_set_main_group (context, alger_config_get_option_group (config));
  g_assert_false (g_option_context_parse_strv (context, &argv, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_cmpstr (error->message, ==,
                   "--http-port: \"99999\" is not a valid port (1-65535, or 0 for off)");
  g_clear_error (&error);

  /* a --config file that does not exist fails at apply time, naming it */
  {
    g_autoptr(AlgerConfig) config2 = alger_config_new ();
    g_autoptr(GOptionContext) context2 = g_option_context_new (NULL);
    const char *argv2_in[] = { "algerd", "-c", "/nonexistent/alger.conf", NULL };
    g_auto(GStrv) argv2 = g_strdupv ((char **) argv2_in);

    g_option_context_set_main_group (context2, alger_config_get_option_group (config2));
    g_assert_true (g_option_context_parse_strv (context2, &argv2, &error));
    g_assert_false (alger_config_apply_options (config2, &error));
    g_assert_true (g_str_has_prefix (error->message, "/nonexistent/alger.conf: "));
  }
}

static void
test_finish (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(AlgerConfig) explicit_paths = alger_config_new ();
  g_autoptr(AlgerConfig) user = alger_config_new ();
  g_autoptr(AlgerConfig) clash = alger_config_new ();
  g_autofree char *user_state = g_build_filename (g_get_user_state_dir (), "alger", NULL);

  g_setenv ("STATE_DIRECTORY", "/var/lib/alger:/var/lib/other", TRUE);
  g_assert_true (alger_config_finish (config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->state_dir, ==, "/var/lib/alger");
  g_assert_cmpstr (config->database, ==, "/var/lib/alger/alger.sqlite3");
  g_assert_cmpstr (config->outputs_dir, ==, "/var/lib/alger/outputs");
  g_assert_nonnull (config->pipelines_dir);
  g_assert_true (g_str_has_suffix (config->pipelines_dir, "pipelines"));
  g_assert_true (g_file_test (config->pipelines_dir, G_FILE_TEST_IS_DIR));

  g_assert_true (alger_config_load_data (explicit_paths,
                                         "[server]\nstate_dir=/s\ndatabase=/d/a.db\n", &error));
  g_assert_true (alger_config_finish (explicit_paths, &error));
  g_assert_cmpstr (explicit_paths->state_dir, ==, "/s");
  g_assert_cmpstr (explicit_paths->database, ==, "/d/a.db");
  g_assert_cmpstr (explicit_paths->outputs_dir, ==, "/s/outputs");

  g_unsetenv ("STATE_DIRECTORY");
  g_assert_true (alger_config_finish (user, &error));
  g_assert_cmpstr (user->state_dir, ==, user_state);

  g_assert_true (alger_config_set (clash, "http-port", "8765", &error));
  g_assert_false (alger_config_finish (clash, &error));
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
  g_assert_true (g_str_has_prefix (error->message, "[http] port: \"8765\""));
}

static void
test_to_data (void)
{
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(AlgerConfig) again = alger_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *hidden = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_true (alger_config_set (config, "accounts.admin_password", "hunter2", &error));
  g_assert_true (alger_config_set (config, "node-delay-ms", "3,4", &error));
  hidden = alger_config_to_data (config, FALSE);
  g_assert_null (strstr (hidden, "hunter2"));
  g_assert_nonnull (strstr (hidden, "admin_password=(set)"));
  shown = alger_config_to_data (config, TRUE);
  g_assert_true (alger_config_load_data (again, shown, &error));
  g_assert_no_error (error);
  a = alger_config_to_data (again, TRUE);
  g_assert_cmpstr (a, ==, shown);
  b = alger_config_get_value (again, "executions.node_delay_ms", &error);
  g_assert_cmpstr (b, ==, "3,4");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/alger/config/defaults", test_defaults);
  g_test_add_func ("/alger/config/conf/documents-every-key", test_conf_documents_every_key);
  g_test_add_func ("/alger/config/conf/defaults-match", test_conf_defaults_match);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/config/bad/%s", bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_value);
  }
  g_test_add_func ("/alger/config/bad-file", test_bad_file);
  for (gsize i = 0; i < G_N_ELEMENTS (override_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/config/set/%" G_GSIZE_FORMAT "-%s", i,
                                             override_cases[i].key);
    g_test_add_data_func (path, &override_cases[i], test_override);
  }
  g_test_add_func ("/alger/config/struct-fields", test_struct_fields);
  g_test_add_func ("/alger/config/options", test_options);
  g_test_add_func ("/alger/config/options-bad", test_options_bad);
  g_test_add_func ("/alger/config/finish", test_finish);
  g_test_add_func ("/alger/config/to-data", test_to_data);

  return g_test_run ();
}
