/* test-uuid.c: version 7 UUIDs */
#include "config.h"

#include <string.h>

#include "alger-uuid.h"

/* RFC 9562's layout: 48-bit milliseconds, version 7, variant 10 */
static void
test_layout (void)
{
  const struct {
    guint64 ms;
    const char *prefix;
  } cases[] = {
    { 0, "00000000-0000-7" },
    { G_GUINT64_CONSTANT (0x0123456789ab), "01234567-89ab-7" },
    { G_GUINT64_CONSTANT (0x017f22e279b0), "017f22e2-79b0-7" }, /* RFC 9562's example time */
    { G_GUINT64_CONSTANT (0xffffffffffff), "ffffffff-ffff-7" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *id = alger_uuid_v7_new_at (cases[i].ms);
    g_autofree char *lower = g_ascii_strdown (id, -1);

    g_assert_true (g_uuid_string_is_valid (id));
    g_assert_cmpuint (strlen (id), ==, 36);
    g_assert_true (g_str_has_prefix (id, cases[i].prefix));
    g_assert_nonnull (strchr ("89ab", id[19]));
    g_assert_cmpstr (id, ==, lower);
  }
}

/* later milliseconds sort later as text; the random part differs */
static void
test_order_and_uniqueness (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *prev = NULL;
  guint64 now = (guint64) (g_get_real_time () / 1000);

  for (guint i = 0; i < 20000; i++) {
    char *id = alger_uuid_v7_new_at (now + i / 100);

    if (prev != NULL && i % 100 == 0)
      g_assert_cmpstr (prev, <, id);
    g_assert_true (g_hash_table_add (seen, id));
    g_free (prev);
    prev = g_strdup (id);
  }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 20000);
}

/* the clock's own: the prefix is the current time */
static void
test_now (void)
{
  guint64 before = (guint64) (g_get_real_time () / 1000);
  g_autofree char *id = alger_uuid_v7_new ();
  guint64 after = (guint64) (g_get_real_time () / 1000);
  g_autofree char *hex = g_strndup (id, 8);
  guint64 ms = 0;

  ms = g_ascii_strtoull (hex, NULL, 16) << 16 | g_ascii_strtoull (id + 9, NULL, 16);
  g_assert_cmpuint (ms, >=, before);
  g_assert_cmpuint (ms, <=, after);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/uuid/layout", test_layout);
  g_test_add_func ("/alger/uuid/order-and-uniqueness", test_order_and_uniqueness);
  g_test_add_func ("/alger/uuid/now", test_now);
  return g_test_run ();
}
