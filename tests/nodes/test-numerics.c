/* test-numerics.c: numpy 1.24's float32 sum/mean/std, bit for bit
 *
 * Data: the first n values of default_rng(0).random(dtype=float32); the
 * expected bits were printed by numpy 1.24.2 (x[:n].sum(), .mean(), .std()).
 * The lengths straddle the 8-element, 128-element and 8192-block edges.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-numerics.h"
#include "alger-rng.h"

typedef struct {
  gsize n;
  guint32 sum, mean, std;
} SumCase;

static const SumCase cases[] = {
  { 1, 0x3f59c282, 0x3f59c282, 0x00000000 },
  { 7, 0x402c52c5, 0x3ec4f0e1, 0x3e8cd90e },
  { 8, 0x402d618f, 0x3ead618f, 0x3e91c0aa },
  { 9, 0x40389923, 0x3ea41658, 0x3e8be895 },
  { 16, 0x41011fe9, 0x3f011fe9, 0x3e9ec0d4 },
  { 17, 0x410b3db1, 0x3f030ce3, 0x3e9ac826 },
  { 127, 0x42819754, 0x3f029c8d, 0x3e9313ab },
  { 128, 0x4282c076, 0x3f02c076, 0x3e928909 },
  { 129, 0x42848cb8, 0x3f0385ad, 0x3e9300df },
  { 200, 0x42d4f381, 0x3f0849ec, 0x3e978c5e },
  { 1000, 0x4400fdaf, 0x3f041634, 0x3e937aa3 },
  { 4096, 0x4500f4d6, 0x3f00f4d6, 0x3e9535a0 },
  { 8191, 0x457f594e, 0x3eff6149, 0x3e94474c },
  { 8192, 0x457f5e9c, 0x3eff5e9c, 0x3e9445c0 },
  { 8193, 0x457f6bc3, 0x3eff63c8, 0x3e944652 },
  { 20000, 0x461c0645, 0x3effa16a, 0x3e9435bb },
  { 100000, 0x4743282e, 0x3effcbcf, 0x3e93a31f },
  { 1000000, 0x48f45324, 0x3f0018b7, 0x3e93d076 },
};

static float *values;

static guint32
bits (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static void
test_case (gconstpointer data)
{
  const SumCase *c = data;

  g_assert_cmphex (bits (alger_sum_f32 (values, c->n)), ==, c->sum);
  g_assert_cmphex (bits (alger_mean_f32 (values, c->n)), ==, c->mean);
  g_assert_cmphex (bits (alger_std_f32 (values, c->n)), ==, c->std);
}

static void
test_exact_f64 (void)
{
  /* RNG.md: values are k/2^24, so the float64 sum is exact */
  g_assert_cmpfloat (alger_sum_f64 (values, 1000000), ==, 8394937533917.0 / 16777216.0);
  /* and numpy's float32 sum is the rounded 500377.125 */
  g_assert_cmpfloat (alger_sum_f32 (values, 1000000), ==, 500377.125);
}

/* numpy's FLOAT_pairwise_sum written out plainly, one accumulator array */
static float
reference_pairwise (const float *a, gsize n)
{
  if (n < 8) {
    float res = 0.0f;
    for (gsize i = 0; i < n; i++)
      res += a[i];
    return res;
  }
  if (n <= 128) {
    float r[8], res;
    gsize i;

    for (int k = 0; k < 8; k++)
      r[k] = a[k];
    for (i = 8; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; k++)
        r[k] += a[i + k];
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++)
      res += a[i];
    return res;
  }
  {
    gsize n2 = n / 2;

    n2 -= n2 % 8;
    return reference_pairwise (a, n2) + reference_pairwise (a + n2, n - n2);
  }
}

/* the blocks summed side by side give the plain recursion's bits, for every
 * length up to 2,100 and a spread of larger ones, on values of mixed
 * magnitudes and signs (where the order of additions shows) */
static void
test_matches_reference (void)
{
  static const gsize big[] = { 4095, 4096, 4097, 4600, 6000, 8191, 8192 };
  g_autofree float *mixed = g_new (float, 8192);
  GRand *rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < 8192; i++)
    mixed[i] = (float) (g_rand_double_range (rand, -1.0, 1.0) *
                        pow (10.0, g_rand_int_range (rand, -6, 7)));
  for (gsize n = 0; n <= 2100; n++) {
    g_assert_cmphex (bits (alger_pairwise_sum_f32 (mixed, n)), ==,
                     bits (reference_pairwise (mixed, n)));
    g_assert_cmphex (bits (alger_pairwise_sum_f32 (values + n, n)), ==,
                     bits (reference_pairwise (values + n, n)));
  }
  for (guint i = 0; i < G_N_ELEMENTS (big); i++)
    g_assert_cmphex (bits (alger_pairwise_sum_f32 (mixed, big[i])), ==,
                     bits (reference_pairwise (mixed, big[i])));
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  AlgerRng rng;
  int ret;

  g_test_init (&argc, &argv, NULL);
  values = g_new (float, 1000000);
  alger_rng_init_u64 (&rng, 0);
  alger_rng_fill_float (&rng, values, 1000000);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/numerics/n%" G_GSIZE_FORMAT, cases[i].n);
    g_test_add_data_func (path, &cases[i], test_case);
  }
  g_test_add_func ("/alger/numerics/exact-f64", test_exact_f64);
  g_test_add_func ("/alger/numerics/matches-reference", test_matches_reference);
  ret = g_test_run ();
  g_free (values);
  return ret;
}
