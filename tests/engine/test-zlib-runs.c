/* test-zlib-runs.c: the run encoder's streams, decoded by libdeflate */
#include "config.h"

#include <libdeflate.h>
#include <string.h>

#include "alger-zlib-runs.h"

#define GUARD 32

/* encodes @in with room @cap (+ a guard zone that must stay untouched),
 * decodes with libdeflate and compares; returns the stream's length */
static gsize
round_trip (const guint8 *in, gsize len, gsize cap)
{
  g_autofree guint8 *out = g_malloc (cap + GUARD);
  g_autofree guint8 *back = g_malloc (len + 1);
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor ();
  gsize n, got = 0;

  memset (out, 0xa5, cap + GUARD);
  n = alger_zlib_compress_runs (in, len, out, cap);
  for (gsize i = cap; i < cap + GUARD; i++)
    g_assert_cmpuint (out[i], ==, 0xa5);
  if (n > 0) {
    g_assert_cmpuint (n, <=, cap);
    g_assert_cmpint (libdeflate_zlib_decompress (d, out, n, back, len + 1, &got), ==,
                     LIBDEFLATE_SUCCESS);
    g_assert_cmpuint (got, ==, len);
    g_assert_cmpmem (back, got, in, len);
  }
  libdeflate_free_decompressor (d);
  return n;
}

static void
test_empty_and_tiny (void)
{
  const guint8 bytes[] = { 0, 255, 143, 144, 7 };

  g_assert_cmpuint (round_trip (bytes, 0, 64), >, 0);
  for (gsize len = 1; len <= G_N_ELEMENTS (bytes); len++)
    g_assert_cmpuint (round_trip (bytes, len, 64), >, 0);
  /* too little room for even the header and checksum */
  g_assert_cmpuint (round_trip (bytes, 1, 8), ==, 0);
}

/* every byte value (both literal code lengths), as single bytes and as runs
 * of every length around the match limits: 1..3 (too short to match), 258
 * (one longest match) and the lengths that leave 1 or 2 bytes after it */
static void
test_runs_every_length (void)
{
  for (guint v = 0; v < 256; v += 17) {
    for (gsize run = 1; run <= 600; run++) {
      g_autofree guint8 *in = g_malloc (run + 2);

      in[0] = (guint8) (v + 1);
      memset (in + 1, (int) v, run);
      in[run + 1] = (guint8) (v + 2);
      g_assert_cmpuint (round_trip (in, run + 2, run * 2 + 64), >, 0);
    }
  }
}

/* long runs compress well; a megabyte of zeros is a few kilobytes */
static void
test_long_runs_are_small (void)
{
  gsize len = 1 << 20;
  g_autofree guint8 *in = g_malloc0 (len);
  gsize n;

  n = round_trip (in, len, len / 8);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, len / 100);
  /* a chart-like image: rows equal but for a few bytes */
  for (gsize i = 0; i < len; i += 1021)
    in[i] = (guint8) (i * 7);
  g_assert_cmpuint (round_trip (in, len, len / 8), >, 0);
}

/* data without runs do not fit a tight cap: 0 and nothing written past it;
 * with room enough they still round-trip */
static void
test_no_runs_gives_up (void)
{
  gsize len = 65536;
  g_autofree guint8 *in = g_malloc (len);
  guint32 x = 2463534242u;
  gsize n;

  for (gsize i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    in[i] = (guint8) x;
  }
  g_assert_cmpuint (round_trip (in, len, len / 8 + 64), ==, 0);
  n = round_trip (in, len, len * 2);
  g_assert_cmpuint (n, >, len);
  /* the exact size fits once the writer's 8 bytes of slack are there */
  g_assert_cmpuint (round_trip (in, len, n + 8), ==, n);
  for (gsize cap = n - 16; cap < n; cap++)
    g_assert_cmpuint (round_trip (in, len, cap), ==, 0);
}

/* random mixtures of runs and noise, many sizes */
static void
test_random_mixtures (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);

  for (guint k = 0; k < 2000; k++) {
    gsize len = (gsize) g_rand_int_range (rand, 0, 4000);
    g_autofree guint8 *in = g_malloc (len + 1);

    for (gsize i = 0; i < len;) {
      gsize want = (gsize) g_rand_int_range (rand, 1, 700);
      gsize span = MIN (len - i, want);
      if (g_rand_boolean (rand))
        memset (in + i, g_rand_int_range (rand, 0, 3), span);
      else
        for (gsize j = 0; j < span; j++)
          in[i + j] = (guint8) g_rand_int (rand);
      i += span;
    }
    g_assert_cmpuint (round_trip (in, len, len * 2 + 64), >, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/zlib-runs/empty-and-tiny", test_empty_and_tiny);
  g_test_add_func ("/alger/zlib-runs/runs-every-length", test_runs_every_length);
  g_test_add_func ("/alger/zlib-runs/long-runs-are-small", test_long_runs_are_small);
  g_test_add_func ("/alger/zlib-runs/no-runs-gives-up", test_no_runs_gives_up);
  g_test_add_func ("/alger/zlib-runs/random-mixtures", test_random_mixtures);
  return g_test_run ();
}
