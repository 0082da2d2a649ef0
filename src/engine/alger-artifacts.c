/* alger-artifacts.c: .npy/.png/.json/.txt writers for tracked outputs */
#define G_LOG_DOMAIN "alger-artifacts"

#include "config.h"

#include "alger-artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <libdeflate.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alger-describe.h"
#include "alger-error.h"
#include "alger-pyjson.h"
#include "alger-zlib-runs.h"

#define SAFE_NAME_MAX 200
#define PNG_SIDE_MAX 1000000
#define JSON_ARRAY_MAX_ELEMENTS 65536

gboolean
alger_artifacts_check_execution_id (const char *execution_id, GError **error)
{
  gsize len = execution_id != NULL ? strlen (execution_id) : 0;

  if (len == 0 || len > 128) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "execution id must have 1 to 128 characters");
    return FALSE;
  }
  for (gsize i = 0; i < len; i++) {
    char c = execution_id[i];
    if (!g_ascii_isalnum (c) && c != '-' && c != '_') {
      g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                   "execution id '%s' may only contain letters, digits, '-' and '_'",
                   execution_id);
      return FALSE;
    }
  }
  return TRUE;
}

char *
alger_artifacts_safe_name (const char *name)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (name != NULL, NULL);

  for (const guchar *p = (const guchar *) name; *p != '\0'; p++) {
    gboolean keep = g_ascii_isalnum (*p) || *p == '_' || *p == '-' ||
                    (*p == '.' && p != (const guchar *) name);
    if (keep)
      g_string_append_c (out, (char) *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  }
  if (out->len == 0)
    g_string_append_c (out, '%'); /* never produced by encoding, so no clash */
  if (out->len > SAFE_NAME_MAX) {
    g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);
    gsize cut = 150;

    /* do not split a %XX triplet */
    if (out->str[cut - 1] == '%')
      cut -= 1;
    else if (out->str[cut - 2] == '%')
      cut -= 2;
    g_string_truncate (out, cut);
    g_string_append_printf (out, "~%.16s", hash);
  }
  return g_string_free (out, FALSE);
}

gboolean
alger_artifacts_array_is_image (AlgerValue *value)
{
  guint ndim = 0;
  const gsize *dims = NULL;
  gsize h = 0, w = 0;

  if (value == NULL || alger_value_get_kind (value) != ALGER_VALUE_ARRAY)
    return FALSE;
  ndim = alger_value_array_get_ndim (value);
  dims = alger_value_array_get_shape (value);
  if (ndim == 2) {
    h = dims[0];
    w = dims[1];
  } else if (ndim == 3 && (dims[0] == 1 || dims[0] == 3)) {
    h = dims[1];
    w = dims[2];
  } else {
    return FALSE;
  }
  return h >= 1 && w >= 1 && h <= PNG_SIDE_MAX && w <= PNG_SIDE_MAX;
}

/* a file being written: small pieces are gathered in `buf`, large ones go
 * out with it in one writev(2); no stdio (fdopen, fstat, ftell and three
 * write(2)s for an .npy) */
typedef struct {
  int fd;
  gint64 size;
  gsize fill;
  guint8 buf[4096];
} OutFile;

typedef gboolean (*WriteFunc) (OutFile *out, gpointer data, GError **error);

static gboolean
set_io_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot %s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

static gboolean
set_write_error (GError **error, int errsv)
{
  g_set_error (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot write file: %s",
               g_strerror (errsv));
  return FALSE;
}

/* writes out->buf, then `len` bytes of `data`, retrying short writes */
static gboolean
out_write_through (OutFile *out, const guint8 *data, gsize len, GError **error)
{
  struct iovec iov[2] = { { out->buf, out->fill }, { (void *) data, len } };
  struct iovec *v = iov;
  int n = 2;

  while (n > 0) {
    ssize_t w = writev (out->fd, v, n);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      return set_write_error (error, errno);
    }
    out->size += w;
    while (n > 0 && (gsize) w >= v->iov_len) {
      w -= (ssize_t) v->iov_len;
      v++;
      n--;
    }
    if (n > 0) {
      v->iov_base = (guint8 *) v->iov_base + w;
      v->iov_len -= (gsize) w;
    }
  }
  out->fill = 0;
  return TRUE;
}

static gboolean
write_all (OutFile *out, gconstpointer buf, gsize len, GError **error)
{
  if (len <= sizeof out->buf - out->fill) {
    memcpy (out->buf + out->fill, buf, len);
    out->fill += len;
    return TRUE;
  }
  return out_write_through (out, buf, len, error);
}

/* openat(2) a new temporary file next to @path (relative to @dirfd):
 * ".<name>.tmp", or with a random suffix if that exists; hidden, so a
 * folder listing can skip files still being written */
static int
open_temporary (int dirfd, const char *path, char **tmp_out)
{
  const char *slash = strrchr (path, '/');
  gsize dir_len = slash != NULL ? (gsize) (slash - path + 1) : 0;

  for (guint attempt = 0; attempt < 16; attempt++) {
    g_autofree char *tmp =
      attempt == 0 ? g_strdup_printf ("%.*s.%s.tmp", (int) dir_len, path, path + dir_len)
                   : g_strdup_printf ("%.*s.%s.%08x", (int) dir_len, path, path + dir_len,
                                      g_random_int ());
    int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);

    if (fd >= 0 || errno != EEXIST) {
      *tmp_out = g_steal_pointer (&tmp);
      return fd;
    }
  }
  *tmp_out = g_strdup (path);
  errno = EEXIST;
  return -1;
}

/* write to a temporary file in the same folder, then rename over @path
 * (relative to @dirfd, or AT_FDCWD); *size (may be NULL) gets the file's
 * size */
static gboolean
write_atomically (int dirfd, const char *path, WriteFunc func, gpointer data, gint64 *size,
                  GError **error)
{
  g_autofree char *tmp = NULL;
  OutFile *out = NULL;
  int fd = open_temporary (dirfd, path, &tmp);
  gboolean ok;

  if (fd < 0)
    return set_io_error (error, errno, "create", tmp);
  out = g_new (OutFile, 1);
  out->fd = fd;
  out->size = 0;
  out->fill = 0;
  ok = func (out, data, error) && (out->fill == 0 || out_write_through (out, NULL, 0, error));
  if (close (fd) != 0 && ok)
    ok = set_io_error (error, errno, "write", tmp);
  if (ok && renameat (dirfd, tmp, dirfd, path) != 0)
    ok = set_io_error (error, errno, "rename", tmp);
  if (!ok)
    unlinkat (dirfd, tmp, 0);
  else if (size != NULL)
    *size = out->size;
  g_free (out);
  return ok;
}

static gboolean
npy_func (OutFile *fp, gpointer data, GError **error)
{
  AlgerValue *array = data;
  AlgerDType dtype = alger_value_array_get_dtype (array);
  const gsize *dims = alger_value_array_get_shape (array);
  guint ndim = alger_value_array_get_ndim (array);
  g_autoptr(GString) hdr = g_string_new (NULL);
  const char *descr = dtype == ALGER_DTYPE_UINT8 ? "|u1"
                      : G_BYTE_ORDER == G_LITTLE_ENDIAN ? "<f4" : ">f4";
  guint8 prefix[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0 };
  gsize total = 0;

  g_string_append_printf (hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  /* python tuple syntax: (5,) and (2, 3, 4) */
  for (guint d = 0; d < ndim; d++)
    g_string_append_printf (hdr, "%s%" G_GSIZE_FORMAT, d > 0 ? ", " : "", dims[d]);
  if (ndim == 1)
    g_string_append_c (hdr, ',');
  g_string_append (hdr, "), }");
  /* pad with spaces and a newline so the data starts 64-byte aligned */
  total = 10 + hdr->len + 1;
  while (total % 64 != 0) {
    g_string_append_c (hdr, ' ');
    total++;
  }
  g_string_append_c (hdr, '\n');
  prefix[8] = hdr->len & 0xff;
  prefix[9] = (hdr->len >> 8) & 0xff;
  if (!write_all (fp, prefix, sizeof (prefix), error) ||
      !write_all (fp, hdr->str, hdr->len, error))
    return FALSE;
  return write_all (fp, alger_value_array_peek_data (array),
                    alger_value_array_get_n_elements (array) * alger_dtype_get_size (dtype),
                    error);
}

gboolean
alger_artifacts_write_npy (const char *path, AlgerValue *array, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (array != NULL && alger_value_get_kind (array) == ALGER_VALUE_ARRAY,
                        FALSE);
  return write_atomically (AT_FDCWD, path, npy_func, array, NULL, error);
}

/* v in [0, 1] → 0..255, rounded half to even like lrintf, NaN → 0. No
 * libm call: adding and subtracting 1.5 · 2^23 rounds a float in [0, 2^22)
 * to an integer in the current (default: nearest-even) rounding mode. */
static inline guint8
to_pixel_f32 (float v)
{
  float t = v * 255.f;

  t = t > 0.f ? t : 0.f; /* also NaN */
  t = t < 255.f ? t : 255.f;
  return (guint8) (int) ((t + 12582912.f) - 12582912.f);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define PIXELS_AVX2 1
#include <immintrin.h>

/* the SSE2 loop below, 32 at a time with AVX2 (same operations, so the
 * same bytes); the 256-bit packs work per 128-bit lane, so the eight
 * groups of four bytes come out as q0 q1 q2 q3 of the low halves, then of
 * the high ones, and one permutation puts them back in order.  Returns how
 * many it converted (a multiple of 32). */
__attribute__ ((target ("avx2"))) static gsize
plane_to_pixels_avx2 (const float *f, gsize n, guint8 *out)
{
  const __m256 k = _mm256_set1_ps (255.f), zero = _mm256_setzero_ps ();
  const __m256i order = _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7);
  gsize i = 0;

#define TO_PIXELS8(at)                                                                     \
  _mm256_cvtps_epi32 (                                                                     \
    _mm256_min_ps (_mm256_max_ps (_mm256_mul_ps (_mm256_loadu_ps (at), k), zero), k))
  for (; i + 32 <= n; i += 32) {
    __m256i q0 = TO_PIXELS8 (f + i), q1 = TO_PIXELS8 (f + i + 8);
    __m256i q2 = TO_PIXELS8 (f + i + 16), q3 = TO_PIXELS8 (f + i + 24);
    __m256i b = _mm256_packus_epi16 (_mm256_packs_epi32 (q0, q1), _mm256_packs_epi32 (q2, q3));

    _mm256_storeu_si256 ((__m256i *) (out + i), _mm256_permutevar8x32_epi32 (b, order));
  }
#undef TO_PIXELS8
  return i;
}
#endif

/* one plane of n elements to bytes: contiguous in and out. With SSE2,
 * sixteen at a time: max/min clamp (maxps returns its second operand, 0,
 * for NaN) and cvtps2dq, which rounds in the current rounding mode, as
 * lrintf does; then saturating packs, which are exact on 0..255. */
static void
plane_to_pixels (const float *f, const guint8 *u, guint scale, gsize n, guint8 *out)
{
  gsize i = 0;

  if (f == NULL) {
    for (; i < n; i++)
      out[i] = (guint8) (u[i] * scale);
    return;
  }
#ifdef PIXELS_AVX2
  if (n >= 32 && __builtin_cpu_supports ("avx2"))
    i = plane_to_pixels_avx2 (f, n, out);
#endif
#ifdef __SSE2__
  {
    const __m128 k = _mm_set1_ps (255.f), zero = _mm_setzero_ps ();

/* written out: as a loop over an array of four, GCC kept them on the stack */
#define TO_PIXELS4(at)                                                                    \
  _mm_cvtps_epi32 (_mm_min_ps (_mm_max_ps (_mm_mul_ps (_mm_loadu_ps (at), k), zero), k))
    for (; i + 16 <= n; i += 16) {
      __m128i q0 = TO_PIXELS4 (f + i), q1 = TO_PIXELS4 (f + i + 4);
      __m128i q2 = TO_PIXELS4 (f + i + 8), q3 = TO_PIXELS4 (f + i + 12);

      _mm_storeu_si128 ((__m128i *) (out + i),
                        _mm_packus_epi16 (_mm_packs_epi32 (q0, q1), _mm_packs_epi32 (q2, q3)));
    }
#undef TO_PIXELS4
  }
#endif
  for (; i < n; i++)
    out[i] = to_pixel_f32 (f[i]);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define INTERLEAVE_CLONES __attribute__ ((target_clones ("ssse3", "default")))
#else
#define INTERLEAVE_CLONES
#endif

typedef guint8 v16u8 __attribute__ ((vector_size (16)));

/* three rows of @w bytes to one of r,g,b triplets; sixteen pixels at a
 * time as six two-vector shuffles (pshufb with SSSE3) */
INTERLEAVE_CLONES
static void
interleave_rgb (const guint8 *r, const guint8 *g, const guint8 *b, gsize w, guint8 *out)
{
  gsize x = 0;

#if defined(__GNUC__) && !defined(__clang__) /* __builtin_shuffle */
  /* the first shuffle of each output vector takes red and green (indices
   * 16.. are green), the second adds blue (16.. are blue); 0 fills a place
   * the second one overwrites */
  static const v16u8 rg0 = { 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5 };
  static const v16u8 b0 = { 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15 };
  static const v16u8 rg1 = { 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26 };
  static const v16u8 b1 = { 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15 };
  static const v16u8 rg2 = { 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0 };
  static const v16u8 b2 = { 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31 };

  for (; x + 16 <= w; x += 16, out += 48) {
    v16u8 vr, vg, vb, o0, o1, o2;

    memcpy (&vr, r + x, 16);
    memcpy (&vg, g + x, 16);
    memcpy (&vb, b + x, 16);
    o0 = __builtin_shuffle (__builtin_shuffle (vr, vg, rg0), vb, b0);
    o1 = __builtin_shuffle (__builtin_shuffle (vr, vg, rg1), vb, b1);
    o2 = __builtin_shuffle (__builtin_shuffle (vr, vg, rg2), vb, b2);
    memcpy (out, &o0, 16);
    memcpy (out + 16, &o1, 16);
    memcpy (out + 32, &o2, 16);
  }
#endif
  for (; x < w; x++, out += 3) {
    out[0] = r[x];
    out[1] = g[x];
    out[2] = b[x];
  }
}

/* the PNG's scanlines: per row a filter byte (0, none) and the pixels,
 * channels interleaved; @tmp holds one row per channel */
static void
fill_scanlines (AlgerValue *array, guint8 *raw, guint8 *tmp)
{
  guint ndim = alger_value_array_get_ndim (array);
  const gsize *dims = alger_value_array_get_shape (array);
  gsize channels = ndim == 3 ? dims[0] : 1;
  gsize h = ndim == 3 ? dims[1] : dims[0];
  gsize w = ndim == 3 ? dims[2] : dims[1];
  gsize plane = h * w;
  gsize n = alger_value_array_get_n_elements (array);
  gboolean is_f32 = alger_value_array_get_dtype (array) == ALGER_DTYPE_FLOAT32;
  const float *f = alger_value_array_peek_data (array);
  const guint8 *u = alger_value_array_peek_data (array);
  guint scale = 1;

  if (!is_f32) {
    guint8 hi = 0;
    for (gsize i = 0; i < n; i++)
      hi = MAX (hi, u[i]);
    scale = hi <= 1 ? 255 : 1;
  }
  for (gsize y = 0; y < h; y++) {
    gsize off = y * w;
    guint8 *row = raw + y * (1 + channels * w);

    *row++ = 0;
    if (channels == 1) {
      plane_to_pixels (is_f32 ? f + off : NULL, u + off, scale, w, row);
      continue;
    }
    /* each channel's row converted contiguously, then interleaved */
    for (gsize c = 0; c < channels; c++)
      plane_to_pixels (is_f32 ? f + c * plane + off : NULL, u + c * plane + off, scale, w,
                       tmp + c * w);
    if (channels == 3) {
      interleave_rgb (tmp, tmp + w, tmp + 2 * w, w, row);
    } else {
      for (gsize x = 0; x < w; x++)
        for (gsize c = 0; c < channels; c++)
          *row++ = tmp[c * w + x];
    }
  }
}

/* PNG filter type 2 (Up) on every row but the first, last row first so that
 * each row is taken from its unfiltered predecessor: the engine's images
 * repeat from row to row, so this leaves long runs of zeros, which deflate
 * matches in a few long steps */
static void
up_filter (guint8 *raw, gsize h, gsize stride)
{
  for (gsize y = h; y-- > 1;) {
    guint8 *row = raw + y * stride;
    const guint8 *prev = row - stride;
    gsize x = 1;

    row[0] = 2;
#ifdef __SSE2__
    for (; x + 16 <= stride; x += 16)
      _mm_storeu_si128 ((__m128i *) (row + x),
                        _mm_sub_epi8 (_mm_loadu_si128 ((const __m128i *) (row + x)),
                                      _mm_loadu_si128 ((const __m128i *) (prev + x))));
#endif
    for (; x < stride; x++)
      row[x] = (guint8) (row[x] - prev[x]);
  }
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* one chunk: length, type, data, CRC-32 of type and data */
static gboolean
write_png_chunk (OutFile *fp, const char *type, const guint8 *data, gsize len, GError **error)
{
  guint8 head[8], crc[4];

  put_be32 (head, (guint32) len);
  memcpy (head + 4, type, 4);
  put_be32 (crc, libdeflate_crc32 (libdeflate_crc32 (0, head + 4, 4), data, len));
  return write_all (fp, head, sizeof head, error) && write_all (fp, data, len, error) &&
         write_all (fp, crc, sizeof crc, error);
}

/* 8-bit gray or RGB PNG, not interlaced, every row filtered Up.  Artifacts
 * are written on every run, and most images the engine writes are charts:
 * after the Up filter they are long runs of zeros, which the run encoder
 * (alger-zlib-runs.c) packs in a single pass.  Data that are not runs (the
 * run stream would not reach 8:1) go through libdeflate's level 1 instead.
 * Before: libpng streaming the rows through zlib at level 1 took 3.1M
 * instructions for the sample pipeline's 240x180 figure; libdeflate alone
 * 2.5M; now 1.1M (the file: 2.5 KB instead of 0.7 KB).  The container is
 * three kinds of chunk; the tests read the files back with libpng. */
static gboolean
png_func (OutFile *fp, gpointer data, GError **error)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  AlgerValue *array = data;
  const gsize *dims = alger_value_array_get_shape (array);
  guint ndim = alger_value_array_get_ndim (array);
  gsize channels = ndim == 3 ? dims[0] : 1;
  gsize h = ndim == 3 ? dims[1] : dims[0];
  gsize w = ndim == 3 ? dims[2] : dims[1];
  gsize raw_len = h * (1 + channels * w);
  g_autofree guint8 *raw = g_malloc (raw_len);
  g_autofree guint8 *tmp = g_malloc (channels * w);
  g_autofree guint8 *packed = NULL;
  guint8 ihdr[13];
  gsize cap, packed_len;

  if (w > G_MAXINT32 || h > G_MAXINT32) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot write PNG: too large");
    return FALSE;
  }
  fill_scanlines (array, raw, tmp);
  up_filter (raw, h, 1 + channels * w);
  cap = raw_len / 8 + 64;
  packed = g_malloc (cap);
  packed_len = alger_zlib_compress_runs (raw, raw_len, packed, cap);
  if (packed_len == 0) {
    struct libdeflate_compressor *compressor = libdeflate_alloc_compressor (1);

    if (compressor == NULL) {
      g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot compress PNG");
      return FALSE;
    }
    cap = libdeflate_zlib_compress_bound (compressor, raw_len);
    g_free (packed);
    packed = g_malloc (cap);
    packed_len = libdeflate_zlib_compress (compressor, raw, raw_len, packed, cap);
    libdeflate_free_compressor (compressor);
  }
  if (packed_len == 0) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_STORAGE, "cannot compress PNG");
    return FALSE;
  }

  put_be32 (ihdr, (guint32) w);
  put_be32 (ihdr + 4, (guint32) h);
  ihdr[8] = 8;                     /* bit depth */
  ihdr[9] = channels == 3 ? 2 : 0; /* RGB or gray */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  if (!write_all (fp, signature, sizeof signature, error) ||
      !write_png_chunk (fp, "IHDR", ihdr, sizeof ihdr, error))
    return FALSE;
  /* a chunk holds at most 2^31 - 1 bytes */
  for (gsize at = 0; at < packed_len;) {
    gsize len = MIN (packed_len - at, (gsize) G_MAXINT32);

    if (!write_png_chunk (fp, "IDAT", packed + at, len, error))
      return FALSE;
    at += len;
  }
  return write_png_chunk (fp, "IEND", (const guint8 *) "", 0, error);
}

gboolean
alger_artifacts_write_png (const char *path, AlgerValue *array, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  if (!alger_artifacts_array_is_image (array)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS,
                         "array is not image-like");
    return FALSE;
  }
  return write_atomically (AT_FDCWD, path, png_func, array, NULL, error);
}

static gboolean
text_func (OutFile *fp, gpointer data, GError **error)
{
  const char *text = data;

  return write_all (fp, text, strlen (text), error);
}

/* nested lists for a C-order array, one dimension per level */
/* Python's str() of a scalar */
static char *
scalar_to_text (AlgerValue *value)
{
  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_STRING:
    return g_strdup (alger_value_get_string (value));
  case ALGER_VALUE_INT:
    return g_strdup_printf ("%" G_GINT64_FORMAT, alger_value_get_int (value));
  case ALGER_VALUE_FLOAT:
    return alger_describe_format_float (alger_value_get_float (value));
  case ALGER_VALUE_BOOL:
    return g_strdup (alger_value_get_bool (value) ? "True" : "False");
  default:
    return g_strdup ("None");
  }
}

struct _AlgerArtifactsFolder {
  char *outputs_dir;
  char *execution_id;
  int fd;            /* <outputs>/<executionId> (O_PATH); -1 until the first write */
  GHashTable *kinds; /* kind folders made in it so far */
};

typedef struct {
  AlgerArtifactsFolder *folder;
  const char *kind; /* safe name */
  char *safe_id;
} Target;

/* writes one file; returns {path, format, size} or NULL */
static JsonObject *
write_one (Target *t, const char *ext, WriteFunc func, gpointer data, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.%s", t->kind, t->safe_id, ext);
  g_autofree char *rel = g_strdup_printf ("%s/%s", t->folder->execution_id, file);
  JsonObject *obj = NULL;
  gint64 size = 0;

  if (!write_atomically (t->folder->fd, file, func, data, &size, error))
    return NULL;
  obj = json_object_new ();
  json_object_set_string_member (obj, "path", rel);
  json_object_set_string_member (obj, "format", ext);
  json_object_set_int_member (obj, "size", size);
  return obj;
}

static JsonObject *
write_array (Target *t, AlgerValue *array, GError **error)
{
  if (alger_artifacts_array_is_image (array))
    return write_one (t, "png", png_func, array, error);
  return write_one (t, "npy", npy_func, array, error);
}

/* json.dumps(..., indent=2) as the original wrote its files: ", "/": "
 * separators, ensure_ascii, shortest round-trip floats */
static void
append_py_string (GString *out, const char *s)
{
  const char *p = s;

  g_string_append_c (out, '"');
  while (*p != '\0') {
    gunichar c = g_utf8_get_char_validated (p, -1);

    if (c == (gunichar) -1 || c == (gunichar) -2) {
      c = 0xfffd; /* not UTF-8: one replacement per byte */
      p++;
    } else {
      p = g_utf8_next_char (p);
    }
    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", (char) c);
    else if (c == '\n')
      g_string_append (out, "\\n");
    else if (c == '\r')
      g_string_append (out, "\\r");
    else if (c == '\t')
      g_string_append (out, "\\t");
    else if (c == '\b')
      g_string_append (out, "\\b");
    else if (c == '\f')
      g_string_append (out, "\\f");
    else if (c >= 0x20 && c < 0x7f)
      g_string_append_c (out, (char) c);
    else if (c < 0x10000)
      g_string_append_printf (out, "\\u%04x", c);
    else
      g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + ((c - 0x10000) >> 10),
                              0xdc00 + ((c - 0x10000) & 0x3ff));
  }
  g_string_append_c (out, '"');
}

static void
append_indent (GString *out, guint depth)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* before a member of an object at @depth: "{" or ",", a new line, the key */
static void
append_py_key (GString *out, gboolean first, const char *key, guint depth)
{
  g_string_append (out, first ? "{" : ",");
  append_indent (out, depth + 1);
  append_py_string (out, key);
  g_string_append (out, ": ");
}

/* before an element of a list at @depth */
static void
append_py_item (GString *out, gboolean first, guint depth)
{
  g_string_append (out, first ? "[" : ",");
  append_indent (out, depth + 1);
}

/* after the members or elements: "{}" / "[]" when there were none */
static void
append_py_close (GString *out, gboolean empty, char close, guint depth)
{
  if (empty) {
    g_string_append_c (out, close == '}' ? '{' : '[');
  } else {
    append_indent (out, depth);
  }
  g_string_append_c (out, close);
}

static void
append_py_json (GString *out, JsonNode *node, guint depth)
{
  switch (json_node_get_node_type (node)) {
  case JSON_NODE_OBJECT: {
    JsonObjectIter iter;
    const char *name = NULL;
    JsonNode *member = NULL;
    gboolean first = TRUE;

    json_object_iter_init_ordered (&iter, json_node_get_object (node));
    while (json_object_iter_next_ordered (&iter, &name, &member)) {
      append_py_key (out, first, name, depth);
      append_py_json (out, member, depth + 1);
      first = FALSE;
    }
    append_py_close (out, first, '}', depth);
    break;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *arr = json_node_get_array (node);
    guint len = json_array_get_length (arr);

    for (guint i = 0; i < len; i++) {
      append_py_item (out, i == 0, depth);
      append_py_json (out, json_array_get_element (arr, i), depth + 1);
    }
    append_py_close (out, len == 0, ']', depth);
    break;
  }
  case JSON_NODE_NULL:
    g_string_append (out, "null");
    break;
  case JSON_NODE_VALUE:
  default:
    switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE: {
      g_autofree char *f = alger_describe_format_float (json_node_get_double (node));
      g_string_append (out, f);
      break;
    }
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      append_py_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
      break;
    }
    break;
  }
}

static void
append_py_float (GString *out, double d)
{
  if (isfinite (d))
    alger_py_float_repr_append (out, d);
  else
    g_string_append (out, "null");
}

/* a C-order array as nested lists, one dimension per level */
static void
append_py_array_lists (GString *out, AlgerValue *array, guint dim, gsize *pos, guint depth)
{
  const gsize *dims = alger_value_array_get_shape (array);
  gconstpointer data = alger_value_array_peek_data (array);
  gboolean is_f32 = alger_value_array_get_dtype (array) == ALGER_DTYPE_FLOAT32;
  gboolean inner = dim + 1 < alger_value_array_get_ndim (array);

  for (gsize i = 0; i < dims[dim]; i++) {
    append_py_item (out, i == 0, depth);
    if (inner)
      append_py_array_lists (out, array, dim + 1, pos, depth + 1);
    else if (is_f32)
      append_py_float (out, ((const float *) data)[(*pos)++]);
    else
      g_string_append_printf (out, "%u", ((const guint8 *) data)[(*pos)++]);
  }
  append_py_close (out, dims[dim] == 0, ']', depth);
}

/* json.dumps (indent=2) of a value straight from it, no JsonNode tree:
 * non-finite floats as null, arrays of up to JSON_ARRAY_MAX_ELEMENTS as
 * nested lists, larger ones as their summary; @skip_key left out of a
 * dict (the image written beside it) */
static void
append_py_value (GString *out, AlgerValue *value, const char *skip_key, guint depth)
{
  switch (alger_value_get_kind (value)) {
  case ALGER_VALUE_BOOL:
    g_string_append (out, alger_value_get_bool (value) ? "true" : "false");
    break;
  case ALGER_VALUE_INT:
    g_string_append_printf (out, "%" G_GINT64_FORMAT, alger_value_get_int (value));
    break;
  case ALGER_VALUE_FLOAT:
    append_py_float (out, alger_value_get_float (value));
    break;
  case ALGER_VALUE_STRING:
    append_py_string (out, alger_value_get_string (value));
    break;
  case ALGER_VALUE_ARRAY:
    if (alger_value_array_get_n_elements (value) <= JSON_ARRAY_MAX_ELEMENTS &&
        alger_value_array_get_ndim (value) > 0) {
      gsize pos = 0;

      append_py_array_lists (out, value, 0, &pos, depth);
    } else {
      g_autoptr(JsonNode) summary = alger_describe_summary (value);

      append_py_key (out, TRUE, "__ndarray__", depth);
      append_py_json (out, summary, depth + 1);
      append_py_close (out, FALSE, '}', depth);
    }
    break;
  case ALGER_VALUE_DICT: {
    gboolean first = TRUE;

    for (guint i = 0; i < alger_value_dict_get_size (value); i++) {
      const char *key = alger_value_dict_get_key (value, i);

      if (skip_key != NULL && strcmp (key, skip_key) == 0)
        continue;
      append_py_key (out, first, key, depth);
      append_py_value (out, alger_value_dict_get_value (value, i), NULL, depth + 1);
      first = FALSE;
    }
    append_py_close (out, first, '}', depth);
    break;
  }
  case ALGER_VALUE_LIST: {
    guint len = alger_value_list_get_length (value);

    for (guint i = 0; i < len; i++) {
      append_py_item (out, i == 0, depth);
      append_py_value (out, alger_value_list_get (value, i), NULL, depth + 1);
    }
    append_py_close (out, len == 0, ']', depth);
    break;
  }
  case ALGER_VALUE_NONE:
  default:
    g_string_append (out, "null");
    break;
  }
}

static JsonObject *
write_json (Target *t, AlgerValue *value, const char *skip_key, GError **error)
{
  g_autoptr(GString) text = g_string_sized_new (1024);

  append_py_value (text, value, skip_key, 0);
  return write_one (t, "json", text_func, text->str, error);
}

AlgerArtifactsFolder *
alger_artifacts_folder_new (const char *outputs_dir, const char *execution_id, GError **error)
{
  AlgerArtifactsFolder *folder = NULL;

  g_return_val_if_fail (outputs_dir != NULL, NULL);

  if (!alger_artifacts_check_execution_id (execution_id, error))
    return NULL;
  folder = g_new0 (AlgerArtifactsFolder, 1);
  folder->outputs_dir = g_strdup (outputs_dir);
  folder->execution_id = g_strdup (execution_id);
  folder->fd = -1;
  folder->kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return folder;
}

void
alger_artifacts_folder_free (AlgerArtifactsFolder *folder)
{
  if (folder == NULL)
    return;
  if (folder->fd >= 0)
    close (folder->fd);
  g_hash_table_unref (folder->kinds);
  g_free (folder->outputs_dir);
  g_free (folder->execution_id);
  g_free (folder);
}

/* <outputs>/<executionId>, made and opened at the first write: later files
 * are created relative to it, so the kernel does not walk the whole path
 * for every open, mkdir and rename; g_mkdir_with_parents (which tests every
 * component first) only when the outputs folder itself is missing */
static gboolean
folder_open (AlgerArtifactsFolder *folder, GError **error)
{
  g_autofree char *path = NULL;

  if (folder->fd >= 0)
    return TRUE;
  path = g_build_filename (folder->outputs_dir, folder->execution_id, NULL);
  if (g_mkdir (path, 0750) != 0 && errno != EEXIST) {
    if (errno != ENOENT || g_mkdir_with_parents (path, 0750) != 0)
      return set_io_error (error, errno, "create folder", path);
  }
  folder->fd = open (path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (folder->fd < 0)
    return set_io_error (error, errno, "open folder", path);
  return TRUE;
}

/* <outputs>/<executionId>/<kind> */
static gboolean
make_kind_folder (AlgerArtifactsFolder *folder, const char *kind, GError **error)
{
  if (!folder_open (folder, error))
    return FALSE;
  if (g_hash_table_contains (folder->kinds, kind))
    return TRUE;
  if (mkdirat (folder->fd, kind, 0750) != 0 && errno != EEXIST) {
    g_autofree char *path = g_build_filename (folder->outputs_dir, folder->execution_id, kind, NULL);

    return set_io_error (error, errno, "create folder", path);
  }
  g_hash_table_add (folder->kinds, g_strdup (kind));
  return TRUE;
}

GPtrArray *
alger_artifacts_folder_write (AlgerArtifactsFolder *folder,
                              const char *kind,
                              const char *node_id,
                              AlgerValue *value,
                              GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *safe_kind = NULL;
  g_autoptr(JsonObject) art = NULL;
  Target t = { folder, NULL, NULL };
  AlgerValue *image = NULL;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (node_id != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  safe_kind = alger_artifacts_safe_name (kind != NULL ? kind : "unknown");
  t.kind = safe_kind;
  t.safe_id = alger_artifacts_safe_name (node_id);
  if (make_kind_folder (folder, safe_kind, error)) {
    switch (alger_value_get_kind (value)) {
    case ALGER_VALUE_ARRAY:
      art = write_array (&t, value, error);
      break;
    case ALGER_VALUE_DICT:
      image = alger_value_dict_get (value, "_image");
      if (image != NULL && alger_value_get_kind (image) == ALGER_VALUE_ARRAY) {
        g_autoptr(JsonObject) meta = write_json (&t, value, "_image", error);
        if (meta != NULL)
          art = write_array (&t, image, error);
        if (art != NULL)
          json_object_set_object_member (art, "metadata", g_steal_pointer (&meta));
      } else {
        art = write_json (&t, value, NULL, error);
      }
      break;
    case ALGER_VALUE_LIST:
      art = write_json (&t, value, NULL, error);
      break;
    default: {
      g_autofree char *text = scalar_to_text (value);
      art = write_one (&t, "txt", text_func, text, error);
      break;
    }
    }
  }
  g_free (t.safe_id);
  if (art == NULL)
    return NULL;
  json_object_set_string_member (art, "executionId", folder->execution_id);
  g_ptr_array_add (out, json_node_init_object (json_node_alloc (), art));
  return g_steal_pointer (&out);
}

gboolean
alger_artifacts_write_text (const char *path, const char *text, GError **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL && text != NULL, FALSE);
  if (write_atomically (AT_FDCWD, path, text_func, (gpointer) text, NULL, NULL))
    return TRUE;
  /* the folder may be missing: make it and try once more */
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0750) != 0)
    return set_io_error (error, errno, "create folder", dir);
  return write_atomically (AT_FDCWD, path, text_func, (gpointer) text, NULL, error);
}
