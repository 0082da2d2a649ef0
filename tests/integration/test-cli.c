/* test-cli.c: algerd's command line: version, configuration errors, accounts */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "alger-test-harness.h"

/* run algerd to completion; returns its exit status, output in *out */
static int
run_algerd (const char *const *args, const char *stdin_text, char **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_buf = NULL;
  g_autofree char *stderr_buf = NULL;

  g_ptr_array_add (argv, (gpointer) alger_test_algerd_path ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, stdin_text, NULL, &stdout_buf, &stderr_buf, &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_strconcat (stdout_buf, stderr_buf, NULL);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
}

static void
test_version (void)
{
  const char *args[] = { "--version", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (run_algerd (args, NULL, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "algerd "));
}

typedef struct {
  const char *name;
  const char *option;
  const char *config; /* key file contents, or NULL */
  const char *expect; /* in the message */
} BadCase;

static const BadCase bad_cases[] = {
  { "port-text", "--port=abc", NULL, "abc" },
  { "port-range", "--port=70000", NULL, "70000" },
  { "bus", "--bus=moon", NULL, "moon" },
  { "delay", "--node-delay-ms=5,1", NULL, "5,1" },
  { "unknown-key", NULL, "[server]\nportt = 1\n", "portt" },
  { "unknown-group", NULL, "[nowhere]\nport = 1\n", "nowhere" },
  { "bad-value", NULL, "[server]\nport = many\n", "many" },
};

static void
test_bad_config (gconstpointer data)
{
  const BadCase *tc = data;
  g_autofree char *dir = g_dir_make_tmp ("alger-cli-XXXXXX", NULL);
  g_autofree char *state = g_strdup_printf ("--state-dir=%s", dir);
  g_autofree char *conf_path = g_build_filename (dir, "alger.conf", NULL);
  g_autofree char *conf = g_strdup_printf ("--config=%s", conf_path);
  g_autofree char *out = NULL;
  const char *args[5] = { state, "--bus=none", NULL, NULL, NULL };

  if (tc->config != NULL) {
    g_assert_true (g_file_set_contents (conf_path, tc->config, -1, NULL));
    args[2] = conf;
  } else {
    args[2] = tc->option;
  }
  g_assert_cmpint (run_algerd (args, NULL, &out), !=, 0);
  if (strstr (out, tc->expect) == NULL)
    g_error ("message does not name %s: %s", tc->expect, out);
  /* nothing was started: no database was created */
  {
    g_autofree char *db = g_build_filename (dir, "alger.sqlite3", NULL);
    g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  }
  g_unlink (conf_path);
  g_rmdir (dir);
}

static void
test_set_password (void)
{
  g_autoptr(AlgerTestServer) server = alger_test_server_start (NULL);
  g_autofree char *state = g_strdup_printf ("--state-dir=%s", server->state_dir);
  const char *args[] = { state, "--set-password", "admin", NULL };
  const char *protocols[] = { "alger", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerTestClient) old = NULL;
  g_autoptr(AlgerTestClient) fresh = NULL;
  g_autofree char *hash = NULL;

  alger_test_server_stop (server);
  g_assert_cmpint (run_algerd (args, "s3cret-Pass\n", &out), ==, 0);
  hash = alger_test_db_string (server, "select password_hash from users where username = "
                                       "'admin'");
  g_assert_nonnull (hash);
  g_assert_true (hash[0] == '$');
  g_assert_null (strstr (hash, "s3cret"));

  alger_test_server_restart (server);
  old = alger_test_client_connect_full (server, "username=admin&password=admin", protocols,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alger_test_client_wait_closed (old), ==, 4401);
  fresh = alger_test_client_connect_full (server, "username=admin&password=s3cret-Pass",
                                          protocols, &error);
  g_assert_no_error (error);
  alger_test_client_send (fresh, 101, "{\"userId\":\"admin\"}");
  {
    g_autoptr(JsonObject) frame = alger_test_client_recv (fresh);
    g_assert_cmpint (json_object_get_int_member (frame, "type"), ==, 201);
  }
}

static void
test_admin_user (void)
{
  const char *extra[] = { "--admin-user=boss", NULL };
  g_autoptr(AlgerTestServer) server = alger_test_server_start (extra);
  const char *protocols[] = { "alger", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerTestClient) client = NULL;
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) content = NULL;

  client = alger_test_client_connect_full (server, "username=boss&password=admin", protocols,
                                           &error);
  g_assert_no_error (error);
  alger_test_client_send (client, 101, "{\"userId\":\"boss\"}");
  frame = alger_test_client_recv (client);
  g_assert_cmpint (json_object_get_int_member (frame, "type"), ==, 201);
  content = alger_test_frame_content (frame);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (content, "user"),
                                                  "id"),
                   ==, "boss");
  g_assert_cmpint (alger_test_db_int (server, "select count(*) from users"), ==, 1);
}

/* start algerd on a fresh state dir, stop it with SIGTERM once it listens;
 * everything it printed */
static char *
run_until_listening (const char *extra_arg)
{
  g_autofree char *state = g_dir_make_tmp ("alger-cli-XXXXXX", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rm = NULL;
  char *line;

  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  proc = g_subprocess_launcher_spawn (launcher, &error, alger_test_algerd_path (), "--port", "0",
                                      "--host", "127.0.0.1", "--state-dir", state, "--bus=none",
                                      "--http-port", "0", extra_arg, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error)) != NULL) {
    gboolean up = strstr (line, "listening on") != NULL;

    g_string_append_printf (out, "%s\n", line);
    g_free (line);
    if (up)
      break;
  }
  g_assert_no_error (error);
  g_subprocess_send_signal (proc, SIGTERM);
  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL)) != NULL) {
    g_string_append_printf (out, "%s\n", line);
    g_free (line);
  }
  g_assert_true (g_subprocess_wait_check (proc, NULL, NULL));
  rm = g_strdup_printf ("rm -rf '%s'", state);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* warnings always reach the journal (stderr); debug messages only with
 * --verbose (or G_MESSAGES_DEBUG): algerd drops the others before GLib's
 * default writer would look at the environment for each of libsoup's */
static void
test_log_levels (void)
{
  g_autofree char *quiet = run_until_listening (NULL);
  g_autofree char *verbose = run_until_listening ("--verbose");

  g_assert_nonnull (strstr (quiet, "still has its default password"));
  g_assert_null (strstr (quiet, "database migrated to version"));
  g_assert_nonnull (strstr (verbose, "still has its default password"));
  g_assert_nonnull (strstr (verbose, "database migrated to version"));
}

/* the store's threads carry names an admin sees in top -H and perf (Linux
 * drops a name longer than 15 characters, leaving "algerd"); the
 * checkpointer runs at nice 19, everything else at the process's */
static void
test_thread_names (void)
{
  g_autoptr(AlgerTestServer) server = alger_test_server_start (NULL);
  const char *pid = g_subprocess_get_identifier (server->process);
  g_autofree char *tasks = g_build_filename ("/proc", pid, "task", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *tid;

  alger_test_server_guard (server);
  if (!g_file_test (tasks, G_FILE_TEST_IS_DIR)) {
    g_test_skip ("no /proc");
    alger_test_server_stop (server);
    alger_test_server_guard (NULL);
    return;
  }
  dir = g_dir_open (tasks, 0, NULL);
  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (tasks, tid, "comm", NULL);
    g_autofree char *stat_path = g_build_filename (tasks, tid, "stat", NULL);
    g_autofree char *comm = NULL;
    g_autofree char *stat = NULL;
    g_auto(GStrv) fields = NULL;
    const char *after;

    if (!g_file_get_contents (path, &comm, NULL, NULL) ||
        !g_file_get_contents (stat_path, &stat, NULL, NULL))
      continue;
    /* fields after "pid (comm) ": state is the 3rd field, nice the 19th */
    after = strrchr (stat, ')');
    g_assert_nonnull (after);
    fields = g_strsplit (after + 2, " ", -1);
    g_assert_cmpuint (g_strv_length (fields), >, 16);
    g_hash_table_insert (names, g_strdup (g_strstrip (comm)), g_strdup (fields[16]));
  }
  g_assert_true (g_hash_table_contains (names, "alger-writer"));
  g_assert_true (g_hash_table_contains (names, "alger-ckpt"));
  g_assert_cmpstr (g_hash_table_lookup (names, "alger-ckpt"), ==, "19");
  g_assert_cmpstr (g_hash_table_lookup (names, "alger-writer"), ==,
                   g_hash_table_lookup (names, "algerd"));
  alger_test_server_stop (server);
  alger_test_server_guard (NULL);
}

static void
lower_fd_limit (gpointer data)
{
  struct rlimit lim;

  /* in the child, between fork and exec: async-signal-safe calls only */
  if (getrlimit (RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max > 256) {
    lim.rlim_cur = 256;
    setrlimit (RLIMIT_NOFILE, &lim);
  }
}

/* "Max open files  SOFT  HARD  files" from /proc/PID/limits */
static gboolean
read_fd_limits (const char *pid, guint64 *soft, guint64 *hard)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "limits", NULL);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  line = strstr (text, "Max open files");
  return line != NULL && sscanf (line + strlen ("Max open files"),
                                 "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, soft, hard) == 2;
}

/* started with a low soft limit on descriptors (systemd's default is
 * 1,024), algerd raises it to the hard limit: each client takes one */
static void
test_fd_limit (void)
{
  g_autofree char *state = g_dir_make_tmp ("alger-cli-XXXXXX", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rm = NULL;
  struct rlimit own;
  guint64 soft = 0, hard = 0;
  char *line;

  if (getrlimit (RLIMIT_NOFILE, &own) != 0 || own.rlim_max <= 256 ||
      !g_file_test ("/proc/self/limits", G_FILE_TEST_EXISTS)) {
    g_test_skip ("no room below the hard limit, or no /proc");
    return;
  }
  g_subprocess_launcher_set_child_setup (launcher, lower_fd_limit, NULL, NULL);
  proc = g_subprocess_launcher_spawn (launcher, &error, alger_test_algerd_path (), "--port", "0",
                                      "--host", "127.0.0.1", "--state-dir", state, "--bus=none",
                                      "--http-port", "0", NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error)) != NULL) {
    gboolean up = strstr (line, "listening on") != NULL;

    g_free (line);
    if (up)
      break;
  }
  gboolean read_ok = error == NULL &&
                     read_fd_limits (g_subprocess_get_identifier (proc), &soft, &hard);

  /* stopped before any assertion, so a failure does not leave it running */
  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait_check (proc, NULL, NULL));
  g_assert_no_error (error);
  g_assert_true (read_ok);
  g_assert_cmpuint (hard, ==, (guint64) own.rlim_max);
  g_assert_cmpuint (soft, ==, hard);
  rm = g_strdup_printf ("rm -rf '%s'", state);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
}

/* libsoup logs every frame at debug level through g_log(); algerd's own
 * g_log() drops those unformatted unless they can show.  They show with
 * --verbose, or when G_MESSAGES_DEBUG names their domain (or "all"), and
 * never otherwise */
static void
test_libsoup_debug (void)
{
  static const char *const verbose_args[] = { "--verbose", NULL };
  const struct {
    const char *const *args;
    const char *env; /* G_MESSAGES_DEBUG, NULL = unset */
    gboolean soup_shows;
  } cases[] = {
    { NULL, NULL, FALSE },
    { verbose_args, NULL, TRUE },
    { NULL, "libsoup", TRUE },
    { NULL, "all", TRUE },
    { NULL, "alger-store", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(AlgerTestServer) server = NULL;
    g_autoptr(AlgerTestClient) client = NULL;
    g_autoptr(JsonObject) frame = NULL;
    g_autofree char *out = NULL;

    g_autofree char *setting = cases[i].env != NULL
                                 ? g_strconcat ("G_MESSAGES_DEBUG=", cases[i].env, NULL)
                                 : NULL;
    const char *const env[] = { setting, NULL };

    server = alger_test_server_start_env (cases[i].args, env);
    client = alger_test_client_connect (server);
    alger_test_client_send (client, 101, "{\"userId\":\"admin\"}");
    frame = alger_test_client_recv (client);
    g_assert_cmpint (json_object_get_int_member (frame, "type"), ==, 201);
    g_clear_pointer (&client, alger_test_client_free);
    alger_test_server_stop (server);
    alger_test_server_guard (NULL);
    /* debug messages go to stdout (the harness read it up to "listening") */
    out = alger_test_server_read_output (server);
    g_test_message ("case %u: %" G_GSIZE_FORMAT " bytes of output", i, strlen (out));
    /* a frame queued, sent or received */
    g_assert_true ((strstr (out, "libsoup-DEBUG") != NULL && strstr (out, "frame") != NULL) ==
                   cases[i].soup_shows);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/cli/version", test_version);
  g_test_add_func ("/alger/cli/fd-limit", test_fd_limit);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/cli/bad-config/%s", bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_config);
  }
  g_test_add_func ("/alger/cli/set-password", test_set_password);
  g_test_add_func ("/alger/cli/admin-user", test_admin_user);
  g_test_add_func ("/alger/cli/log-levels", test_log_levels);
  g_test_add_func ("/alger/cli/verbose-shows-libsoup-debug", test_libsoup_debug);
  g_test_add_func ("/alger/cli/thread-names", test_thread_names);
  return g_test_run ();
}
