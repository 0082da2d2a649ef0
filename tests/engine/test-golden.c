/* test-golden: every graph in fixtures/golden through `alger-run --golden`,
 * then the fixtures' own check_golden.py over the results
 *
 *   test-golden ALGER_RUN PYTHON3     (ALGER_SHARED_DIR from the test env)
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

static const char *alger_run_path;
static const char *python_path;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name = NULL;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      rm_rf (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
test_goldens (void)
{
  const char *shared = g_getenv ("ALGER_SHARED_DIR");
  g_autofree char *golden = NULL;
  g_autofree char *graphs = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) check = NULL;
  g_autofree char *out = NULL;
  const char *name = NULL;
  guint n_graphs = 0;
  guint passed = 0, failed = G_MAXUINT;
  const char *last = NULL;

  if (shared == NULL || python_path == NULL || python_path[0] == '\0') {
    g_test_skip ("ALGER_SHARED_DIR or python3 missing");
    return;
  }
  golden = g_build_filename (shared, "fixtures", "golden", NULL);
  graphs = g_build_filename (golden, "graphs", NULL);
  dir = g_dir_open (graphs, 0, NULL);
  if (dir == NULL) {
    g_test_skip ("no golden fixtures");
    return;
  }
  tmp = g_dir_make_tmp ("alger-golden-XXXXXX", &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *graph = g_build_filename (graphs, name, NULL);
    g_autofree char *dest = g_build_filename (tmp, name, NULL);
    g_autoptr(GSubprocess) run = NULL;
    g_autoptr(GBytes) stdout_buf = NULL;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    run = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, alger_run_path, "--golden",
                            "--compat=original", graph, NULL);
    g_assert_no_error (error);
    g_subprocess_communicate (run, NULL, NULL, &stdout_buf, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_get_if_exited (run));
    g_assert_cmpint (g_subprocess_get_exit_status (run), ==, 0);
    g_file_set_contents (dest, g_bytes_get_data (stdout_buf, NULL),
                         (gssize) g_bytes_get_size (stdout_buf), &error);
    g_assert_no_error (error);
    n_graphs++;
  }
  g_assert_cmpuint (n_graphs, >, 0);

  {
    g_autofree char *script = g_build_filename (golden, "check_golden.py", NULL);
    g_autofree char *expected = g_build_filename (golden, "expected", NULL);
    g_autoptr(GBytes) stdout_buf = NULL;
    g_auto(GStrv) lines = NULL;

    check = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              &error, python_path, script, expected, tmp, NULL);
    g_assert_no_error (error);
    g_subprocess_communicate (check, NULL, NULL, &stdout_buf, NULL, &error);
    g_assert_no_error (error);
    out = g_strndup (g_bytes_get_data (stdout_buf, NULL), g_bytes_get_size (stdout_buf));
    lines = g_strsplit (g_strstrip (out), "\n", -1);
    last = lines[g_strv_length (lines) - 1];
    g_test_message ("check_golden.py: %s", last);
    if (sscanf (last, "%u passed, %u failed", &passed, &failed) != 2)
      failed = G_MAXUINT;
    if (failed != 0) {
      for (guint i = 0; lines[i] != NULL; i++)
        g_test_message ("%s", lines[i]);
    }
    g_assert_cmpuint (failed, ==, 0);
    g_assert_cmpuint (passed, ==, n_graphs);
  }
  rm_rf (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc > 1)
    alger_run_path = argv[1];
  if (argc > 2)
    python_path = argv[2];
  if (alger_run_path == NULL) {
    g_printerr ("usage: test-golden ALGER_RUN [PYTHON3]\n");
    return 2;
  }
  g_test_add_func ("/alger/engine/goldens", test_goldens);
  return g_test_run ();
}
