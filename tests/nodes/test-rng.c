/* test-rng.c: the RNG.md test vectors, stage by stage */
#include "config.h"

#include <string.h>

#include "alger-rng.h"

typedef struct {
  const char *path;
  guint32 words[2];
  guint n_words;
  guint32 pool[4];
  guint32 state[8];
  guint64 st_hi, st_lo, inc_hi, inc_lo;
  guint64 next64[2];
  guint32 bits[8];
  guint64 sum_num; /* sum of the first 1e6 values times 2^24 */
} RngVector;

static const RngVector vectors[] = {
  { "/alger/rng/seed0", { 0 }, 1,
    { 0xfe40eb07, 0x4f363a36, 0x4eb2009d, 0xc89a7aa7 },
    { 0xb0f478be, 0xdb2cd7e7, 0x2c71ba49, 0xabf4641a, 0x9d7b8d41, 0x20c6ed6d, 0x223c39d4,
      0x2c4099de },
    0x1aa1b5345996452d, 0x09585eb7a69561e3, 0x418ddadb3af71a82, 0x588133bc447873a9,
    { 0xa30febcfd9c2825f, 0x4510bdf882d9d721 },
    { 0x3f59c282, 0x3f230feb, 0x3f02d9d7, 0x3e8a217a, 0x3e9d9bd0, 0x3d27d3d0, 0x3d9a1780,
      0x3c8764e0 },
    8394937533917 },
  { "/alger/rng/seed7", { 7 }, 1,
    { 0x7127d827, 0xdad86a24, 0x3d50d7a1, 0x3beaaf0c },
    { 0x7c326e58, 0xead0f701, 0xf97e037a, 0x0879c4f0, 0x6745675f, 0x623a8c4b, 0x60386cac,
      0xb3443fad },
    0x9d0aecc4e7b18891, 0x9ae2415a6b292038, 0xc4751896ce8acebf, 0x66887f5ac070d959,
    { 0xa00641a9f1e54a8b, 0xe5afcdbcaf266a95 },
    { 0x3f71e54a, 0x3f200641, 0x3f2f266a, 0x3f65afcd, 0x3f140af9, 0x3f469356, 0x3f556a27,
      0x3e669cb4 },
    8390884367002 },
  { "/alger/rng/seed42", { 42 }, 1,
    { 0x631d3606, 0x07ae90ae, 0x6fc4be28, 0x2ced5c75 },
    { 0xcd540ab7, 0x9f1e2e6d, 0x79fb94b6, 0xd57873dc, 0x64d420b7, 0x7d282a1b, 0x4692d5ff,
      0x33657971 },
    0xcea44f6798798f2a, 0xacbc7c9d68860ac8, 0xfa505436c9a8416e, 0x66caf2e28d25abff,
    { 0xc621fbcd16d92688, 0x705a5661a791ffc1 },
    { 0x3db6c930, 0x3f4621fb, 0x3f2791ff, 0x3ee0b4ac, 0x3eddb42c, 0x3f5bcd12, 0x3db00440,
      0x3f3286b6 },
    8383321723560 },
};

static guint32
float_bits (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static void
test_vector (gconstpointer data)
{
  const RngVector *v = data;
  guint32 pool[4];
  guint32 state[8];
  AlgerRng rng;
  AlgerRng rng2;
  g_autofree float *values = g_new (float, 1000000);
  double sum = 0.0;

  alger_seed_sequence_pool (v->words, v->n_words, pool);
  for (guint i = 0; i < 4; i++)
    g_assert_cmphex (pool[i], ==, v->pool[i]);
  alger_seed_sequence_generate_state (pool, state);
  for (guint i = 0; i < 8; i++)
    g_assert_cmphex (state[i], ==, v->state[i]);

  alger_rng_init_words (&rng, v->words, v->n_words);
  g_assert_cmphex (rng.state_hi, ==, v->st_hi);
  g_assert_cmphex (rng.state_lo, ==, v->st_lo);
  g_assert_cmphex (rng.inc_hi, ==, v->inc_hi);
  g_assert_cmphex (rng.inc_lo, ==, v->inc_lo);
  rng2 = rng;
  g_assert_cmphex (alger_rng_next64 (&rng2), ==, v->next64[0]);
  g_assert_cmphex (alger_rng_next64 (&rng2), ==, v->next64[1]);

  /* one value at a time and the bulk fill must agree */
  rng2 = rng;
  for (guint i = 0; i < 8; i++)
    g_assert_cmphex (float_bits (alger_rng_next_float (&rng2)), ==, v->bits[i]);
  alger_rng_fill_float (&rng, values, 1000000);
  for (guint i = 0; i < 8; i++)
    g_assert_cmphex (float_bits (values[i]), ==, v->bits[i]);
  for (guint i = 0; i < 1000000; i++)
    sum += values[i];
  g_assert_cmpfloat (sum, ==, (double) v->sum_num / 16777216.0);
}

static void
test_multiword (void)
{
  /* 2^32 + 5 */
  const guint32 words[2] = { 5, 1 };
  const guint32 bits[4] = { 0x3e077ae0, 0x3f46323e, 0x3f473a05, 0x3ef10290 };
  AlgerRng rng;
  AlgerRng rng2;

  alger_rng_init_words (&rng, words, 2);
  alger_rng_init_u64 (&rng2, G_GUINT64_CONSTANT (4294967301));
  for (guint i = 0; i < 4; i++) {
    g_assert_cmphex (float_bits (alger_rng_next_float (&rng)), ==, bits[i]);
    g_assert_cmphex (float_bits (alger_rng_next_float (&rng2)), ==, bits[i]);
  }
}

static void
test_odd_fill (void)
{
  /* odd counts drop the last high half; a buffered half is drained first */
  float a[7];
  float b[7];
  AlgerRng rng;

  alger_rng_init_u64 (&rng, 0);
  alger_rng_fill_float (&rng, a, 7);
  alger_rng_init_u64 (&rng, 0);
  b[0] = alger_rng_next_float (&rng);
  alger_rng_fill_float (&rng, b + 1, 6);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_cmphex (float_bits (a[6]), ==, 0x3d9a1780);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_test_add_data_func (vectors[i].path, &vectors[i], test_vector);
  g_test_add_func ("/alger/rng/multiword", test_multiword);
  g_test_add_func ("/alger/rng/odd-fill", test_odd_fill);
  return g_test_run ();
}
