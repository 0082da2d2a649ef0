/* alger-zlib-runs.h: a zlib stream for data made of long runs of equal bytes */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gsize alger_zlib_compress_runs (const guint8 *in, gsize len, guint8 *out, gsize out_cap);

G_END_DECLS
