/* alger-uuid.c: time-ordered UUIDs for new records */
#include "config.h"

#include "alger-uuid.h"

#include <errno.h>
#include <sys/random.h>

char *
alger_uuid_v7_new_at (guint64 unix_ms)
{
  guint8 b[16];
  gsize got = 0;

  for (guint i = 0; i < 6; i++)
    b[i] = (guint8) (unix_ms >> (8 * (5 - i)));
  while (got < 10) {
    ssize_t n = getrandom (b + 6 + got, 10 - got, 0);

    if (n > 0) {
      got += (gsize) n;
    } else if (n < 0 && errno != EINTR) {
      /* no getrandom(2) (seccomp, very old kernel): GLib's generator */
      for (; got < 10; got++)
        b[6 + got] = (guint8) g_random_int_range (0, 256);
    }
  }
  b[6] = 0x70 | (b[6] & 0x0f); /* version 7 */
  b[8] = 0x80 | (b[8] & 0x3f); /* variant 10 */
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
                          b[11], b[12], b[13], b[14], b[15]);
}

char *
alger_uuid_v7_new (void)
{
  return alger_uuid_v7_new_at ((guint64) (g_get_real_time () / 1000));
}
