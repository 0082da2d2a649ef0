/* main.c: algerd — options, logging, signals, main loop; nothing else */
#define G_LOG_DOMAIN "algerd"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "alger-accounts.h"
#include "alger-config.h"
#include "alger-daemon.h"
#include "alger-sqlite-store.h"

/* every connection takes a descriptor, and so do the store's readers and
 * each file a run writes: a service started with systemd's default soft
 * limit of 1,024 would refuse clients long before it runs out of anything
 * else, so take the hard limit the administrator allows */
static void
raise_fd_limit (void)
{
  struct rlimit lim;

  if (getrlimit (RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
    return;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &lim) != 0)
    g_debug ("cannot raise the open-file limit: %s", g_strerror (errno));
}

static gboolean
on_signal (gpointer user_data)
{
  alger_daemon_stop (ALGER_DAEMON (user_data));
  return G_SOURCE_CONTINUE;
}

static char *
read_password (GError **error)
{
  char buf[4096];
  gsize len;

  if (fgets (buf, sizeof buf, stdin) == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         _("No password given on standard input"));
    return NULL;
  }
  len = strlen (buf);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return g_strdup (buf);
}

static int
set_password (AlgerConfig *config, const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerSqliteStore) store = NULL;
  g_autoptr(AlgerAccounts) accounts = NULL;
  g_autofree char *password = NULL;

  store = alger_sqlite_store_new (config->database, ALGER_PAYLOAD_FULL, &error);
  if (store == NULL) {
    g_printerr ("algerd: %s\n", error->message);
    return 1;
  }
  password = read_password (&error);
  if (password == NULL) {
    g_printerr ("algerd: %s\n", error->message);
    return 1;
  }
  accounts = alger_accounts_new (ALGER_STORE (store));
  if (!alger_accounts_set_password (accounts, username, password, &error)) {
    g_printerr ("algerd: %s\n", error->message);
    return 1;
  }
  memset (password, 0, strlen (password));
  g_print (_("Password of '%s' updated in %s\n"), username, config->database);
  return 0;
}

static void
on_stopped (AlgerDaemon *daemon, gpointer user_data)
{
  g_main_loop_quit (user_data);
}

/* libsoup logs every WebSocket frame at debug level, and GLib's default
 * writer reads G_MESSAGES_DEBUG from the environment again for each message.
 * Whether debug messages can show at all is decided once (--verbose, or
 * G_MESSAGES_DEBUG set); everything that may show goes to the default
 * writer, which still filters by domain. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  gboolean debug_possible = GPOINTER_TO_INT (user_data);

  if ((level & G_LOG_LEVEL_DEBUG) != 0 && !debug_possible)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, NULL);
}

/* g_log(), as libsoup and GIO call it, without formatting a message that
 * will be dropped.  libsoup logs every WebSocket frame it queues, sends and
 * receives with g_debug(), and GLib 2.74's g_logv() formats the message
 * (vasprintf) before anything decides whether it shows: 18 % of the main
 * loop's instructions under the round-trip benchmark, for text nobody
 * reads.  The executable's definition is the one the dynamic linker binds
 * those libraries' calls to; a debug or info message that GLib's default
 * writer would drop (G_MESSAGES_DEBUG, g_log_set_debug_enabled() for
 * --verbose) ends here, everything else goes on to g_logv() unchanged
 * (handlers, fatal masks, the writer above).  Test: test-cli's
 * /alger/cli/verbose-shows-libsoup-debug. */
void
g_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *format, ...)
{
  va_list args;

  if ((log_level & (G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION)) == 0 &&
      (log_level & G_LOG_LEVEL_MASK & ~(G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) == 0 &&
      g_log_writer_default_would_drop (log_level & G_LOG_LEVEL_MASK, log_domain))
    return;
  va_start (args, format);
  g_logv (log_domain, log_level, format, args);
  va_end (args);
}

int
main (int argc, char **argv)
{
  g_autoptr(AlgerConfig) config = alger_config_new ();
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerDaemon) daemon = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *set_password_user = NULL;
  gboolean version = FALSE;
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), NULL },
    { "set-password", 0, 0, G_OPTION_ARG_STRING, &set_password_user,
      N_("Set USER's password (read from standard input) and exit"), N_("USER") },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Alger pipeline server"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, alger_config_get_option_group (config));
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("algerd: %s\n", error->message);
    return 2;
  }
  if (version) {
    g_print ("algerd %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (alger_config_get_config_file (config) == NULL &&
      g_file_test (ALGER_SYSCONFDIR "/alger.conf", G_FILE_TEST_EXISTS) &&
      !alger_config_load_file (config, ALGER_SYSCONFDIR "/alger.conf", &error)) {
    g_printerr ("algerd: %s\n", error->message);
    return 2;
  }
  if (!alger_config_apply_options (config, &error) || !alger_config_finish (config, &error)) {
    g_printerr ("algerd: %s\n", error->message);
    return 2;
  }
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  {
    const char *domains = g_getenv ("G_MESSAGES_DEBUG");
    gboolean debug_possible = verbose || (domains != NULL && domains[0] != '\0');

    g_log_set_writer_func (log_writer, GINT_TO_POINTER (debug_possible), NULL);
  }
  if (set_password_user != NULL)
    return set_password (config, set_password_user);

  raise_fd_limit ();
  loop = g_main_loop_new (NULL, FALSE);
  daemon = alger_daemon_new (g_steal_pointer (&config));
  /* before anything announces we are up: a signal from then on is a clean stop */
  g_signal_connect (daemon, "stopped", G_CALLBACK (on_stopped), loop);
  g_unix_signal_add (SIGINT, on_signal, daemon);
  g_unix_signal_add (SIGTERM, on_signal, daemon);
  if (!alger_daemon_start (daemon, &error)) {
    g_printerr ("algerd: %s\n", error->message);
    return 1;
  }
  /* tests and scripts read the bound port from here (--port 0 picks one) */
  g_print ("algerd: listening on ws://%s:%u/\n", alger_daemon_get_config (daemon)->host,
           alger_daemon_get_port (daemon));
  fflush (stdout);

  g_main_loop_run (loop);
  return 0;
}
