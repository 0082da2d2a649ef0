/* alger-numerics.c: numpy 1.24's float32 pairwise summation
 *
 * Mirrors FLOAT_pairwise_sum in numpy/core/src/umath/loops_utils.h.src:
 * below 8 elements a plain loop, up to 128 eight accumulators, above that a
 * split at n/2 rounded down to a multiple of 8.  The reduction machinery
 * hands the loop at most 8192 elements at a time and adds the partial sums
 * to the running result in order.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alger-numerics.h"

#define PW_BLOCKSIZE 128

/* the eight accumulators as one vector: lane j adds a[i + j] in the same
 * order as numpy's r[j], so the result is bit-identical */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef float v8f __attribute__ ((vector_size (8 * sizeof (float))));

static inline __attribute__ ((always_inline)) v8f
load8 (const float *p)
{
  v8f v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline __attribute__ ((always_inline)) float
reduce8 (v8f r)
{
  return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
}

/* numpy's split of a block above PW_BLOCKSIZE */
static inline gsize
split_at (gsize n)
{
  gsize n2 = n / 2;

  return n2 - n2 % 8;
}

static inline gboolean
is_block (gsize n)
{
  return n >= 8 && n <= PW_BLOCKSIZE;
}

/* one block of 8..128 elements: eight accumulators, then the tail */
static float
block_sum (const float *a, gsize n)
{
  v8f r = load8 (a);
  float res;
  gsize i;

  for (i = 8; i < n - (n % 8); i += 8)
    r += load8 (a + i);
  res = reduce8 (r);
  for (; i < n; i++)
    res += a[i];
  return res;
}

/* Four blocks side by side: each accumulator chain adds exactly what
 * block_sum() would, but the four are independent, so the processor
 * overlaps their additions (one chain waits on its own add's latency).
 * The blocks' lengths differ by less than 8 in practice; any lengths work. */
static void
block_sum4 (const float *const p[4], const gsize len[4], float out[4])
{
  v8f r0 = load8 (p[0]), r1 = load8 (p[1]), r2 = load8 (p[2]), r3 = load8 (p[3]);
  gsize end[4], common, i;

  for (int k = 0; k < 4; k++)
    end[k] = len[k] - len[k] % 8;
  common = MIN (MIN (end[0], end[1]), MIN (end[2], end[3]));
  for (i = 8; i < common; i += 8) {
    r0 += load8 (p[0] + i);
    r1 += load8 (p[1] + i);
    r2 += load8 (p[2] + i);
    r3 += load8 (p[3] + i);
  }
  for (gsize j = i; j < end[0]; j += 8)
    r0 += load8 (p[0] + j);
  for (gsize j = i; j < end[1]; j += 8)
    r1 += load8 (p[1] + j);
  for (gsize j = i; j < end[2]; j += 8)
    r2 += load8 (p[2] + j);
  for (gsize j = i; j < end[3]; j += 8)
    r3 += load8 (p[3] + j);
  out[0] = reduce8 (r0);
  out[1] = reduce8 (r1);
  out[2] = reduce8 (r2);
  out[3] = reduce8 (r3);
  for (int k = 0; k < 4; k++)
    for (gsize j = end[k]; j < len[k]; j++)
      out[k] += p[k][j];
}

float
alger_pairwise_sum_f32 (const float *a, gsize n)
{
  gsize n2;

  if (n < 8) {
    float res = 0.0f;
    for (gsize i = 0; i < n; i++)
      res += a[i];
    return res;
  }
  if (n <= PW_BLOCKSIZE)
    return block_sum (a, n);
  n2 = split_at (n);
  /* a node whose two halves each split into two blocks (n = 8192 and 4096
   * end in 512-element nodes like this): its four blocks at once, added as
   * numpy's recursion adds them */
  if (n - n2 > PW_BLOCKSIZE && n - n2 <= 2 * PW_BLOCKSIZE + 8 && n2 > PW_BLOCKSIZE) {
    gsize l2 = split_at (n2), r2 = split_at (n - n2);
    const float *p[4] = { a, a + l2, a + n2, a + n2 + r2 };
    gsize len[4] = { l2, n2 - l2, r2, n - n2 - r2 };

    if (is_block (len[0]) && is_block (len[1]) && is_block (len[2]) && is_block (len[3])) {
      float s[4];

      block_sum4 (p, len, s);
      return (s[0] + s[1]) + (s[2] + s[3]);
    }
  }
  return alger_pairwise_sum_f32 (a, n2) + alger_pairwise_sum_f32 (a + n2, n - n2);
}

float
alger_sum_f32 (const float *a, gsize n)
{
  float res = 0.0f;
  for (gsize off = 0; off < n; off += ALGER_NUMPY_BUFSIZE)
    res += alger_pairwise_sum_f32 (a + off, MIN (ALGER_NUMPY_BUFSIZE, n - off));
  return res;
}

float
alger_mean_f32 (const float *a, gsize n)
{
  /* numpy divides by the count as a float32 (value-based casting) */
  return alger_sum_f32 (a, n) / (float) n;
}

float
alger_std_f32 (const float *a, gsize n)
{
  return alger_std_f32_with_mean (a, n, alger_mean_f32 (a, n));
}

float
alger_std_f32_with_mean (const float *a, gsize n, float mean)
{
  g_autofree float *buf = NULL;
  const v8f vmean = { mean, mean, mean, mean, mean, mean, mean, mean };
  float res = 0.0f;

  /* squared deviations are elementwise (eight lanes give the same floats);
   * square one block at a time */
  buf = g_new (float, MIN (n, (gsize) ALGER_NUMPY_BUFSIZE) + 1);
  for (gsize off = 0; off < n; off += ALGER_NUMPY_BUFSIZE) {
    gsize len = MIN (ALGER_NUMPY_BUFSIZE, n - off);
    gsize i = 0;
    for (; i + 8 <= len; i += 8) {
      v8f d = load8 (a + off + i) - vmean;
      d *= d;
      memcpy (buf + i, &d, sizeof d);
    }
    for (; i < len; i++) {
      float d = a[off + i] - mean;
      buf[i] = d * d;
    }
    res += alger_pairwise_sum_f32 (buf, len);
  }
  return sqrtf (res / (float) n);
}

double
alger_sum_f64 (const float *a, gsize n)
{
  /* four accumulators: exact for k/2^24 values, otherwise close enough */
  double s[4] = { 0.0, 0.0, 0.0, 0.0 };
  gsize i = 0;
  for (; i + 4 <= n; i += 4) {
    s[0] += a[i];
    s[1] += a[i + 1];
    s[2] += a[i + 2];
    s[3] += a[i + 3];
  }
  for (; i < n; i++)
    s[0] += a[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}
