/* alger-numerics.h: numpy's float32 reductions, reproduced bit for bit
 *
 * np.sum on float32 is a pairwise sum per inner loop of at most 8192
 * elements, the partial sums added in order; mean and std build on it.
 * See ENGINE.md "Numerics that matter".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ALGER_NUMPY_BUFSIZE 8192

/* numpy's pairwise_sum over one inner loop (no blocking) */
float alger_pairwise_sum_f32 (const float *a, gsize n);
/* np.add.reduce over a contiguous float32 vector: blocks of 8192 */
float alger_sum_f32 (const float *a, gsize n);
/* np.mean: float32(sum) / float32(n) */
float alger_mean_f32 (const float *a, gsize n);
/* np.std (population): sqrt(mean((a - mean)^2)), all in float32 */
float alger_std_f32 (const float *a, gsize n);
/* the same with the mean already known (alger_mean_f32 of the same data) */
float alger_std_f32_with_mean (const float *a, gsize n, float mean);
/* float64 sum, exactly rounded for up to 2^29 values k/2^24 (describers) */
double alger_sum_f64 (const float *a, gsize n);

G_END_DECLS
