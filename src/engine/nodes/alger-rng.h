/* alger-rng.h: numpy's default_rng (SeedSequence + PCG64), bit for bit
 *
 * Reproduces np.random.default_rng(seed).random(n, dtype=np.float32) as
 * RNG.md specifies.  The state is a plain struct: one per dataset node.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 state_hi;
  guint64 state_lo;
  guint64 inc_hi;
  guint64 inc_lo;
  gboolean has_uint32;
  guint32 uinteger;
} AlgerRng;

/* seed given as little-endian 32-bit words of a non-negative integer */
void alger_rng_init_words (AlgerRng *rng, const guint32 *words, gsize n_words);
void alger_rng_init_u64 (AlgerRng *rng, guint64 seed);

guint64 alger_rng_next64 (AlgerRng *rng);
guint32 alger_rng_next32 (AlgerRng *rng);
float alger_rng_next_float (AlgerRng *rng);
void alger_rng_fill_float (AlgerRng *rng, float *out, gsize n);

/* intermediate stages, exposed for the test vectors */
void alger_seed_sequence_pool (const guint32 *words, gsize n_words, guint32 pool[4]);
void alger_seed_sequence_generate_state (const guint32 pool[4], guint32 state[8]);

G_END_DECLS
