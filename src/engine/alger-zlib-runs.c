/* alger-zlib-runs.c: a zlib stream (RFC 1950/1951) for data made of runs
 *
 * The PNGs the engine writes are mostly charts: after the Up filter nearly
 * every byte is a zero in a long run (the sample's figure: 2,843 of 129,780
 * bytes are not).  A general deflate matcher spends ~12 instructions per byte
 * on such input (libdeflate level 1: 1.6M for that figure) because it hashes
 * every position a match covers.  This encoder only looks for runs: one
 * fixed-Huffman block of literals and matches at distance 1, found sixteen
 * bytes at a time (0.2M for the same figure; the file grows from 0.7 KB to
 * 2.5 KB).  It gives up, returning 0, as soon as the stream would not fit
 * @out_cap, so callers can cap the size it must reach and fall back to a
 * general compressor for data that are not runs.
 */
#include "config.h"

#include "alger-zlib-runs.h"

#include <libdeflate.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_MATCH 258
#define MIN_MATCH 3
#define END_OF_BLOCK 256

/* RFC 1951 3.2.5: length codes 257..285 */
static const guint16 length_base[29] = { 3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                         15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const guint8 length_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };

typedef struct {
  guint8 *out;
  gsize at;
  gsize cap;
  guint64 acc; /* bits not yet stored, first bit lowest */
  guint n;     /* how many */
} BitWriter;

/* up to 25 bits; FALSE when the output is full */
static inline gboolean
put_bits (BitWriter *w, guint32 value, guint n_bits)
{
  w->acc |= (guint64) value << w->n;
  w->n += n_bits;
  if (w->n >= 32) {
    guint64 le = GUINT64_TO_LE (w->acc);

    if (w->at + sizeof le > w->cap)
      return FALSE;
    memcpy (w->out + w->at, &le, sizeof le);
    w->at += 4;
    w->acc >>= 32;
    w->n -= 32;
  }
  return TRUE;
}

static guint32
reverse_bits (guint32 code, guint n_bits)
{
  guint32 r = 0;

  for (guint i = 0; i < n_bits; i++, code >>= 1)
    r = (r << 1) | (code & 1);
  return r;
}

/* RFC 1951 3.2.6: the fixed literal/length code, bit-reversed for an
 * LSB-first writer */
static void
fixed_codes (guint16 codes[288], guint8 lengths[288])
{
  for (guint sym = 0; sym < 288; sym++) {
    guint32 code;
    guint len;

    if (sym < 144)
      code = 0x30 + sym, len = 8;
    else if (sym < 256)
      code = 0x190 + (sym - 144), len = 9;
    else if (sym < 280)
      code = sym - 256, len = 7;
    else
      code = 0xc0 + (sym - 280), len = 8;
    codes[sym] = (guint16) reverse_bits (code, len);
    lengths[sym] = (guint8) len;
  }
}

/* how many bytes from @p on equal @b */
static inline gsize
run_length (const guint8 *p, gsize n, guint8 b)
{
  gsize i = 0;

#ifdef __SSE2__
  const __m128i v = _mm_set1_epi8 ((char) b);

  for (; i + 16 <= n; i += 16) {
    guint mask = (guint) _mm_movemask_epi8 (
      _mm_cmpeq_epi8 (_mm_loadu_si128 ((const __m128i *) (p + i)), v));

    if (mask != 0xffff)
      return i + (gsize) __builtin_ctz (~mask);
  }
#endif
  while (i < n && p[i] == b)
    i++;
  return i;
}

/**
 * alger_zlib_compress_runs:
 * @in: the data
 * @len: its length
 * @out: where the zlib stream goes
 * @out_cap: room at @out
 *
 * Returns: the stream's length, or 0 if it does not fit @out_cap
 */
gsize
alger_zlib_compress_runs (const guint8 *in, gsize len, guint8 *out, gsize out_cap)
{
  guint16 codes[288];
  guint8 lengths[288];
  guint32 match_bits[MAX_MATCH + 1]; /* a match of each length at distance 1 */
  guint8 match_n_bits[MAX_MATCH + 1];
  BitWriter w = { out, 2, out_cap, 0, 0 };
  guint32 adler;
  gsize i = 0;

  if (out_cap < 2 + 8 + 4)
    return 0;
  fixed_codes (codes, lengths);
  for (guint k = 0, l = MIN_MATCH; l <= MAX_MATCH; l++) {
    guint sym;

    while (k + 1 < G_N_ELEMENTS (length_base) && length_base[k + 1] <= l)
      k++;
    sym = 257 + k;
    /* the length's code, its extra bits, then distance code 0 (five zero bits) */
    match_bits[l] = codes[sym] | ((guint32) (l - length_base[k]) << lengths[sym]);
    match_n_bits[l] = (guint8) (lengths[sym] + length_extra[k] + 5);
  }

  out[0] = 0x78; /* deflate, 32 KB window */
  out[1] = 0x01; /* no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0 */
  if (!put_bits (&w, 1 | (1 << 1), 3)) /* BFINAL, BTYPE 01: fixed codes */
    return 0;
  while (i < len) {
    guint8 b = in[i++];
    gsize run;

    if (!put_bits (&w, codes[b], lengths[b]))
      return 0;
    run = run_length (in + i, len - i, b);
    while (run >= MIN_MATCH) {
      gsize l = MIN (run, MAX_MATCH);

      if (!put_bits (&w, match_bits[l], match_n_bits[l]))
        return 0;
      i += l;
      run -= l;
    }
  }
  if (!put_bits (&w, codes[END_OF_BLOCK], lengths[END_OF_BLOCK]))
    return 0;
  if (w.at + (w.n + 7) / 8 + 4 > out_cap)
    return 0;
  for (; w.n > 0; w.n = w.n > 8 ? w.n - 8 : 0, w.acc >>= 8)
    out[w.at++] = (guint8) w.acc;
  adler = libdeflate_adler32 (1, in, len);
  out[w.at++] = (guint8) (adler >> 24);
  out[w.at++] = (guint8) (adler >> 16);
  out[w.at++] = (guint8) (adler >> 8);
  out[w.at++] = (guint8) adler;
  return w.at;
}
