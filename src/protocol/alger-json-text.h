/* alger-json-text.h: strict JSON text reader and compact writer for the wire */
#pragma once

#include <json-glib/json-glib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

G_BEGIN_DECLS

/* deepest nesting the reader accepts (Python's json gives up around 1000) */
#define ALGER_JSON_MAX_DEPTH 512

/* Parse one JSON text (RFC 8259, nothing more: no comments, no single quotes, no
 * trailing commas, no NaN/Infinity, no raw control characters, no trailing garbage).
 * Unlike json-glib 1.6 it never wraps integers: an integer literal outside gint64
 * becomes a double node and, when @big_ints is not NULL, that node is appended to it
 * (borrowed pointers) so callers can tell it from a real double. Lone UTF-16
 * surrogates in \u escapes become U+FFFD; "\u0000" is refused (GLib strings end at
 * NUL, so it would silently truncate). Duplicate keys: the last one wins.
 * Fails with ALGER_ERROR_INVALID_ARGS, message "offset N: reason". */
JsonNode *alger_json_parse (const char *data, gsize length, GPtrArray *big_ints, GError **error);

/* same, for text the caller already checked is UTF-8 (U+0000 is still refused) */
JsonNode *alger_json_parse_utf8 (const char *data, gsize length, GPtrArray *big_ints,
                                 GError **error);

/* Check UTF-8 text exactly as alger_json_parse_utf8() would read it (same errors),
 * without building anything; on success @root_type (may be NULL) tells what the
 * text holds: an object, an array, null, or another value. */
gboolean alger_json_check_utf8 (const char *data, gsize length, JsonNodeType *root_type,
                                GError **error);

/* One member of a root object, as alger_json_check_members_utf8() found it:
 * its key (@name_len bytes, not NUL-terminated: in the checked text when it
 * has no escapes, else decoded), where its value's text lies, and whether
 * that value is a JSON string; @string is its decoded text for the member
 * the check was asked to decode (NULL otherwise). */
typedef struct {
  const char *name;
  gsize name_len;
  gsize start, span;
  gboolean is_string;
  char *string;
  char *owned_name; /* private */
} AlgerJsonMember;

/* a root object's members, the first few without a heap allocation */
typedef struct {
  AlgerJsonMember *items;
  guint len, cap;
  AlgerJsonMember small[6];
} AlgerJsonMembers;

void alger_json_members_init (AlgerJsonMembers *members);
void alger_json_members_clear (AlgerJsonMembers *members);

/* Check as alger_json_check_utf8() does and, when the root is an object,
 * append its members to @members in order, duplicates included (nothing is
 * appended when the check fails); the string value of every member named
 * @decode (may be NULL) is decoded in the same pass. One pass instead of a
 * check, a search (alger_json_find_members) and a decode. */
gboolean alger_json_check_members_utf8 (const char *data, gsize length, JsonNodeType *root_type,
                                        AlgerJsonMembers *members, const char *decode,
                                        GError **error);

/* the member named @name (the last duplicate, as the parser keeps), or NULL */
const AlgerJsonMember *alger_json_members_lookup (const AlgerJsonMembers *members,
                                                  const char *name);

/* the decoded string value of @member (a JSON string in @text, the text it
 * was found in): a new string, or NULL when the value is not a string */
char *alger_json_member_dup_string (const char *text, const AlgerJsonMember *member);

/* append @s as a quoted JSON string literal: escapes '"', '\\', control characters,
 * DEL and U+2028/U+2029; other UTF-8 goes through raw; bytes that are not valid
 * UTF-8 become \ufffd. @length -1 means NUL-terminated. */
void alger_json_append_string (GString *out, const char *s, gssize length);

/* append @v in decimal, as "%" G_GINT64_FORMAT writes it (no printf) */
void alger_json_append_int (GString *out, gint64 v);

/* append @node compactly (members in insertion order); doubles use the shortest text
 * that reads back to the same double, in Python's repr() layout (1.0, 1e-05, 1e+16);
 * non-finite doubles become null. A NULL node is written as null. */
void alger_json_append_node (GString *out, JsonNode *node);

/* In the JSON object text @text (already known to be valid JSON), find the value of
 * the top-level member @name without building nodes: its byte offset and length.
 * Keys compare as the parser reads them (escapes decoded); a duplicate key: the last
 * one wins, as in the parser. @span must be 0 on entry. FALSE when absent. */
gboolean alger_json_find_member (const char *text, gsize length, const char *name,
                                 gsize *start, gsize *span);

/* the same for several names in one pass: starts[i]/spans[i] for names[i] (span 0:
 * absent). TRUE when any was found. */
gboolean alger_json_find_members (const char *text, gsize length, const char *const *names,
                                  gsize n_names, gsize *starts, gsize *spans);

/* Lexical steps over JSON text known to be valid, for scanners that must not build
 * nodes: each returns the position just after what it skipped, or NULL when the text
 * ends first. skip_string expects p at the opening quote; skip_value expects p at the
 * value's first character (whitespace already skipped). */
const char *alger_json_text_skip_ws (const char *p, const char *end);
const char *alger_json_text_skip_string (const char *p, const char *end);
const char *alger_json_text_skip_value (const char *p, const char *end);

/* The first byte of [p, end) that ends a plain run inside a JSON string: '"', '\\',
 * a control character (< 0x20), a non-ASCII byte (>= 0x80, for readers that check
 * UTF-8 there) and, when @stop_at_del, DEL (which the writer escapes); @end when
 * there is none. Sixteen bytes at a time with SSE2. */
static inline const guchar *
alger_json_text_run_end (const guchar *p, const guchar *end, gboolean stop_at_del)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i bslash = _mm_set1_epi8 ('\\');
  const __m128i space = _mm_set1_epi8 (0x20);
  const __m128i del = _mm_set1_epi8 (stop_at_del ? 0x7f : '"');

  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128 ((const __m128i *) p);
    /* signed: bytes >= 0x80 are negative, so "< 0x20" takes them too */
    __m128i hit = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                              _mm_cmpeq_epi8 (v, bslash)),
                                _mm_or_si128 (_mm_cmplt_epi8 (v, space), _mm_cmpeq_epi8 (v, del)));
    int mask = _mm_movemask_epi8 (hit);
    if (mask != 0)
      return p + __builtin_ctz ((unsigned) mask);
    p += 16;
  }
#endif
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\' &&
         !(stop_at_del && *p == 0x7f))
    p++;
  return p;
}

/* the same without DEL: where a reader's plain run ends */
static inline const guchar *
alger_json_text_plain_end (const guchar *p, const guchar *end)
{
  return alger_json_text_run_end (p, end, FALSE);
}

/* format a finite double as Python's repr() would; @buf needs 32 bytes */
const char *alger_json_format_double (double value, char *buf);

G_END_DECLS
