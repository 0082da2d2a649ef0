/* alger-uuid.h: time-ordered UUIDs for new records */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A version 7 UUID (RFC 9562) in the canonical lowercase form: the Unix time
 * in milliseconds in the first 48 bits, then 74 random bits from the
 * kernel.  Ids made later sort later (to the millisecond), so the indexes
 * keyed by them take new rows at their end instead of at random pages. */
char *alger_uuid_v7_new (void);

/* the same, for a given time (milliseconds since the Unix epoch) */
char *alger_uuid_v7_new_at (guint64 unix_ms);

G_END_DECLS
