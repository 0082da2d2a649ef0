/* alger-rng.c: SeedSequence mixing, PCG64 XSL-RR and float32 draws
 *
 * Section numbers refer to RNG.md.  The 128-bit arithmetic uses 64-bit
 * halves so it builds anywhere; __int128 is used for the multiply when the
 * compiler has it, purely for speed.
 */
#include "config.h"

#include "alger-rng.h"

#define INIT_A 0x43b0d7e5u
#define MULT_A 0x931e8875u
#define INIT_B 0x8b51f9ddu
#define MULT_B 0x58f38dedu
#define MIX_MULT_L 0xca01f9ddu
#define MIX_MULT_R 0x4973f715u

#define PCG_MULT_HI G_GUINT64_CONSTANT (0x2360ED051FC65DA4)
#define PCG_MULT_LO G_GUINT64_CONSTANT (0x4385DF649FCCF645)

static inline guint32
hashmix (guint32 v, guint32 *h)
{
  v ^= *h;
  *h *= MULT_A;
  v *= *h;
  v ^= v >> 16;
  return v;
}

static inline guint32
mix (guint32 x, guint32 y)
{
  guint32 r = MIX_MULT_L * x - MIX_MULT_R * y;
  r ^= r >> 16;
  return r;
}

void
alger_seed_sequence_pool (const guint32 *words, gsize n_words, guint32 pool[4])
{
  guint32 h = INIT_A;

  for (gsize i = 0; i < 4; i++)
    pool[i] = hashmix (i < n_words ? words[i] : 0, &h);
  for (gsize src = 0; src < 4; src++) {
    for (gsize dst = 0; dst < 4; dst++) {
      if (src != dst)
        pool[dst] = mix (pool[dst], hashmix (pool[src], &h));
    }
  }
  for (gsize src = 4; src < n_words; src++) {
    for (gsize dst = 0; dst < 4; dst++)
      pool[dst] = mix (pool[dst], hashmix (words[src], &h));
  }
}

void
alger_seed_sequence_generate_state (const guint32 pool[4], guint32 state[8])
{
  guint32 h = INIT_B;

  for (gsize i = 0; i < 8; i++) {
    guint32 v = pool[i % 4];
    v ^= h;
    h *= MULT_B;
    v *= h;
    v ^= v >> 16;
    state[i] = v;
  }
}

/* full 64x64 -> 128 product */
static inline void
mul64 (guint64 a, guint64 b, guint64 *hi, guint64 *lo)
{
#if defined(__SIZEOF_INT128__)
  unsigned __int128 p = (unsigned __int128) a * b;
  *hi = (guint64) (p >> 64);
  *lo = (guint64) p;
#else
  guint64 a0 = a & 0xffffffffu, a1 = a >> 32;
  guint64 b0 = b & 0xffffffffu, b1 = b >> 32;
  guint64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  guint64 mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  *lo = (mid << 32) | (p00 & 0xffffffffu);
  *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

static inline void
pcg_step (AlgerRng *rng)
{
  guint64 hi, lo;

  mul64 (rng->state_lo, PCG_MULT_LO, &hi, &lo);
  hi += rng->state_hi * PCG_MULT_LO + rng->state_lo * PCG_MULT_HI;
  lo += rng->inc_lo;
  hi += rng->inc_hi + (lo < rng->inc_lo ? 1 : 0);
  rng->state_hi = hi;
  rng->state_lo = lo;
}

void
alger_rng_init_words (AlgerRng *rng, const guint32 *words, gsize n_words)
{
  guint32 zero = 0;
  guint32 pool[4];
  guint32 s[8];
  guint64 g[4];
  guint64 lo;

  g_return_if_fail (rng != NULL);
  if (n_words == 0) {
    words = &zero;
    n_words = 1;
  }
  alger_seed_sequence_pool (words, n_words, pool);
  alger_seed_sequence_generate_state (pool, s);
  for (gsize k = 0; k < 4; k++)
    g[k] = (guint64) s[2 * k] | ((guint64) s[2 * k + 1] << 32);

  /* inc = (initseq << 1) | 1, dropping the top bit */
  rng->inc_hi = (g[2] << 1) | (g[3] >> 63);
  rng->inc_lo = (g[3] << 1) | 1u;
  rng->state_hi = 0;
  rng->state_lo = 0;
  pcg_step (rng);
  lo = rng->state_lo + g[1];
  rng->state_hi += g[0] + (lo < g[1] ? 1 : 0);
  rng->state_lo = lo;
  pcg_step (rng);
  rng->has_uint32 = FALSE;
  rng->uinteger = 0;
}

void
alger_rng_init_u64 (AlgerRng *rng, guint64 seed)
{
  guint32 words[2] = { (guint32) seed, (guint32) (seed >> 32) };
  alger_rng_init_words (rng, words, words[1] != 0 ? 2 : 1);
}

guint64
alger_rng_next64 (AlgerRng *rng)
{
  guint64 x;
  guint rot;

  pcg_step (rng);
  x = rng->state_hi ^ rng->state_lo;
  rot = (guint) (rng->state_hi >> 58);
  return (x >> rot) | (x << ((64 - rot) & 63));
}

guint32
alger_rng_next32 (AlgerRng *rng)
{
  guint64 r;

  if (rng->has_uint32) {
    rng->has_uint32 = FALSE;
    return rng->uinteger;
  }
  r = alger_rng_next64 (rng);
  rng->has_uint32 = TRUE;
  rng->uinteger = (guint32) (r >> 32);
  return (guint32) r;
}

static inline float
to_float (guint32 w)
{
  return (float) (w >> 8) * (1.0f / 16777216.0f);
}

float
alger_rng_next_float (AlgerRng *rng)
{
  return to_float (alger_rng_next32 (rng));
}

#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 u128;

static inline guint64
output64 (u128 s)
{
  guint64 hi = (guint64) (s >> 64);
  guint64 x = hi ^ (guint64) s;
  guint rot = (guint) (hi >> 58);

  return (x >> rot) | (x << ((64 - rot) & 63));
}

/* n64 whole 64-bit draws, two floats each.  PCG64's state is an LCG
 * (s' = a*s + c mod 2^128), so four lanes each jump four steps at once
 * (s4 = a^4*s + c*(1 + a + a^2 + a^3)): the same sequence, but four
 * independent multiply chains instead of one */
static void
fill_lanes (AlgerRng *rng, float *out, gsize n64)
{
  const u128 a = ((u128) PCG_MULT_HI << 64) | PCG_MULT_LO;
  const u128 c = ((u128) rng->inc_hi << 64) | rng->inc_lo;
  const u128 a2 = a * a;
  const u128 a4 = a2 * a2;
  const u128 c4 = c * (1 + a + a2 + a2 * a);
  u128 s = ((u128) rng->state_hi << 64) | rng->state_lo;
  u128 l0 = a * s + c;
  u128 l1 = a * l0 + c;
  u128 l2 = a * l1 + c;
  u128 l3 = a * l2 + c;
  gsize k = 0;

  for (; k + 4 <= n64; k += 4) {
    guint64 r0 = output64 (l0), r1 = output64 (l1), r2 = output64 (l2), r3 = output64 (l3);
    float *o = out + 2 * k;

    o[0] = to_float ((guint32) r0);
    o[1] = to_float ((guint32) (r0 >> 32));
    o[2] = to_float ((guint32) r1);
    o[3] = to_float ((guint32) (r1 >> 32));
    o[4] = to_float ((guint32) r2);
    o[5] = to_float ((guint32) (r2 >> 32));
    o[6] = to_float ((guint32) r3);
    o[7] = to_float ((guint32) (r3 >> 32));
    s = l3;
    l0 = a4 * l0 + c4;
    l1 = a4 * l1 + c4;
    l2 = a4 * l2 + c4;
    l3 = a4 * l3 + c4;
  }
  rng->state_hi = (guint64) (s >> 64);
  rng->state_lo = (guint64) s;
  for (; k < n64; k++) {
    guint64 r = alger_rng_next64 (rng);
    out[2 * k] = to_float ((guint32) r);
    out[2 * k + 1] = to_float ((guint32) (r >> 32));
  }
}
#endif

void
alger_rng_fill_float (AlgerRng *rng, float *out, gsize n)
{
  gsize i = 0;

  /* drain a buffered half first, then take whole 64-bit outputs */
  if (n > 0 && rng->has_uint32)
    out[i++] = alger_rng_next_float (rng);
#if defined(__SIZEOF_INT128__)
  if (n - i >= 16) {
    gsize n64 = (n - i) / 2;
    fill_lanes (rng, out + i, n64);
    i += 2 * n64;
  }
#endif
  for (; i + 1 < n; i += 2) {

    guint64 r = alger_rng_next64 (rng);
    out[i] = to_float ((guint32) r);
    out[i + 1] = to_float ((guint32) (r >> 32));
  }
  if (i < n)
    out[i] = alger_rng_next_float (rng);
}
