/* alger-json-text.c: strict JSON reader and compact writer.
 *
 * json-glib 1.6 accepts single quotes, comments, hex numbers and wraps integers that
 * overflow gint64; the wire contract needs exact integers, so frames are read here. */
#include "config.h"

#include "alger-json-text.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alger-error.h"

typedef struct {
  const char *start;
  const char *p;
  const char *end;
  guint depth;
  GPtrArray *big_ints;
  const char *reason;
  gboolean check_only; /* validate exactly as when building, but build nothing */
  AlgerJsonMembers *members; /* check_only: the root object's members, noted */
  const char *decode;        /* and the member whose string value is decoded */
} Reader;

/* what the read_* functions return in check_only mode for a valid value */
static char checked_marker;
#define CHECKED ((gpointer) &checked_marker)

static JsonNode *read_value (Reader *r);

static gboolean
fail (Reader *r, const char *reason)
{
  if (r->reason == NULL)
    r->reason = reason;
  return FALSE;
}

static inline void
skip_ws (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader *r, gunichar *out)
{
  gunichar v = 0;

  if (r->end - r->p < 4)
    return fail (r, "truncated \\u escape");
  for (int i = 0; i < 4; i++) {
    int h = hex_value (r->p[i]);
    if (h < 0)
      return fail (r, "bad \\u escape");
    v = (v << 4) | (gunichar) h;
  }
  r->p += 4;
  *out = v;
  return TRUE;
}

/* the character a one-character escape (the letter after '\\') stands
 * for, or 0 when it is not one (u, or not an escape) */
static inline char
simple_escape (char c)
{
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case '/': return '/';
  case 'b': return '\b';
  case 'f': return '\f';
  case 'n': return '\n';
  case 'r': return '\r';
  case 't': return '\t';
  default: return 0;
  }
}

/* r->p is just past the opening quote; returns a newly allocated UTF-8 string */
static char *
read_string (Reader *r)
{
  const char *s = r->p;

  /* fast path: no escapes */
  while (r->p < r->end) {
    guchar c;

    r->p = (const char *) alger_json_text_plain_end ((const guchar *) r->p, (const guchar *) r->end);
    if (r->p >= r->end)
      break;
    c = (guchar) *r->p;
    if (c == '"') {
      char *result = r->check_only ? CHECKED : g_strndup (s, (gsize) (r->p - s));
      r->p++;
      return result;
    }
    if (c == '\\')
      break;
    if (c < 0x20) {
      fail (r, "control character in string");
      return NULL;
    }
    r->p++;
  }
  if (r->p >= r->end) {
    fail (r, "unterminated string");
    return NULL;
  }

  /* escapes: the unescaped text is never longer than the raw one, so it goes
   * into one buffer sized from the closing quote (found by memchr); when
   * there is none, the loop below still reports the right error.  check_only
   * writes nothing. */
  {
    const char *close = alger_json_text_skip_string (s - 1, r->end);
    gsize cap = close != NULL ? (gsize) (close - s) : (gsize) (r->end - s);
    /* + 16: the fast path below stores sixteen bytes at a time */
    g_autofree char *out = r->check_only ? NULL : g_malloc (cap + 17);
    char *o = out;

    if (o != NULL) {
      memcpy (o, s, (gsize) (r->p - s));
      o += r->p - s;
    }
    while (r->p < r->end) {
      guchar c;

#ifdef __SSE2__
      /* plain bytes and the one-character escapes, sixteen bytes at a time:
       * each block is copied whole and the output advances only over its
       * plain prefix (a dashboard's content string escapes every quote of
       * the graph inside, so runs are short).  Stops at a quote, a control
       * byte, a \u escape or within sixteen bytes of the end; the loop
       * below takes it from there.  The output never overtakes the input
       * (an escape is two bytes for one), so a store ends at most sixteen
       * bytes past cap. */
      while (r->end - r->p >= 16) {
        const __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) r->p);
        const __m128i c1f = _mm_set1_epi8 (0x1f);
        const __m128i hit =
          _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                      _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                        _mm_cmpeq_epi8 (_mm_max_epu8 (v, c1f), c1f)); /* unsigned <= 0x1f */
        int mask = _mm_movemask_epi8 (hit);
        int n;
        char e;

        if (o != NULL)
          _mm_storeu_si128 ((__m128i *) (void *) o, v);
        if (mask == 0) {
          r->p += 16;
          if (o != NULL)
            o += 16;
          continue;
        }
        n = __builtin_ctz ((unsigned) mask);
        r->p += n;
        if (o != NULL)
          o += n;
        if (*r->p != '\\')
          break;
        e = simple_escape (r->p[1]);
        if (e == 0)
          break;
        if (o != NULL)
          *o++ = e;
        r->p += 2;
      }
      if (r->p >= r->end)
        break;
#endif
      c = (guchar) *r->p;
      if (c == '"') {
        r->p++;
        if (o == NULL)
          return CHECKED;
        *o = '\0';
        return g_steal_pointer (&out);
      }
      if (c < 0x20) {
        fail (r, "control character in string");
        return NULL;
      }
      if (c != '\\') {
        /* a plain run up to the next quote, escape or control byte */
        const char *run = r->p;

        r->p = (const char *) alger_json_text_plain_end ((const guchar *) r->p + 1,
                                                          (const guchar *) r->end);
        while (r->p < r->end && (guchar) *r->p >= 0x80) /* UTF-8 is checked: plain */
          r->p = (const char *) alger_json_text_plain_end ((const guchar *) r->p + 1,
                                                            (const guchar *) r->end);
        if (o != NULL) {
          memcpy (o, run, (gsize) (r->p - run));
          o += r->p - run;
        }
        continue;
      }
      r->p++;
      if (r->p >= r->end)
        break;
      c = (guchar) *r->p++;
      switch (c) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        c = (guchar) simple_escape ((char) c);
        break;
      case 'u': {
        gunichar u = 0;
        if (!read_hex4 (r, &u))
          return NULL;
        if (u == 0) {
          fail (r, "\\u0000 is not supported in strings");
          return NULL;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
          gunichar lo = 0;
          const char *save = r->p;
          if (r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
            r->p += 2;
            if (!read_hex4 (r, &lo))
              return NULL;
            if (lo >= 0xDC00 && lo <= 0xDFFF)
              u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            else {
              u = 0xFFFD; /* lone high surrogate; re-read the next escape on its own */
              r->p = save;
            }
          } else {
            u = 0xFFFD;
          }
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          u = 0xFFFD;
        }
        /* a \u escape is 6 bytes for at most 3 of UTF-8 (U+FFFD too); a pair is
         * 12 for 4: the buffer is always large enough */
        if (o != NULL)
          o += g_unichar_to_utf8 (u, o);
        continue;
      }
      default:
        fail (r, "bad escape in string");
        return NULL;
      }
      if (o != NULL)
        *o++ = (char) c;
    }
    fail (r, "unterminated string");
    return NULL;
  }
}

static JsonNode *
read_number (Reader *r)
{
  const char *s = r->p;
  gboolean integral = TRUE;
  char tmp[64];
  g_autofree char *big = NULL;
  const char *text = NULL;
  gsize len;
  JsonNode *node = NULL;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p >= r->end || !g_ascii_isdigit (*r->p)) {
    fail (r, "bad number");
    return NULL;
  }
  if (*r->p == '0')
    r->p++;
  else
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  if (r->p < r->end && *r->p == '.') {
    integral = FALSE;
    r->p++;
    if (r->p >= r->end || !g_ascii_isdigit (*r->p)) {
      fail (r, "bad number");
      return NULL;
    }
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    integral = FALSE;
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
      r->p++;
    if (r->p >= r->end || !g_ascii_isdigit (*r->p)) {
      fail (r, "bad number");
      return NULL;
    }
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  }

  len = (gsize) (r->p - s);
  if (len < sizeof tmp) {
    memcpy (tmp, s, len);
    tmp[len] = '\0';
    text = tmp;
  } else {
    big = g_strndup (s, len);
    text = big;
  }

  if (r->check_only) {
    /* integers never fail (big ones become doubles); a double must be finite */
    if (!integral && !isfinite (g_ascii_strtod (text, NULL))) {
      fail (r, "number out of range");
      return NULL;
    }
    return CHECKED;
  }
  node = json_node_alloc ();
  if (integral) {
    char *endp = NULL;
    gint64 v;
    errno = 0;
    v = g_ascii_strtoll (text, &endp, 10);
    if (errno != ERANGE) {
      json_node_init_int (node, v);
      return node;
    }
    /* outside gint64: keep it as a double, as JavaScript would, and tell the caller */
    json_node_init_double (node, g_ascii_strtod (text, NULL));
    if (r->big_ints != NULL)
      g_ptr_array_add (r->big_ints, node);
    return node;
  }
  {
    double d = g_ascii_strtod (text, NULL);
    if (!isfinite (d)) {
      json_node_unref (node);
      fail (r, "number out of range");
      return NULL;
    }
    json_node_init_double (node, d);
  }
  return node;
}

static gboolean
expect_literal (Reader *r, const char *lit, gsize len)
{
  if ((gsize) (r->end - r->p) < len || memcmp (r->p, lit, len) != 0)
    return fail (r, "unexpected character");
  r->p += len;
  return TRUE;
}

static AlgerJsonMember *
members_append (AlgerJsonMembers *members)
{
  if (members->items == NULL) /* zero-filled, never initialized */
    alger_json_members_init (members);
  if (members->len == members->cap) {
    guint cap = members->cap * 2;

    if (members->items == members->small) {
      members->items = g_new (AlgerJsonMember, cap);
      memcpy (members->items, members->small, members->len * sizeof (AlgerJsonMember));
    } else {
      members->items = g_renew (AlgerJsonMember, members->items, cap);
    }
    members->cap = cap;
  }
  return &members->items[members->len++];
}

/* check_only with r->members: the root object's member whose key starts at
 * r->p (just past its quote): its key and value located, the value decoded
 * when it is the member asked for; the same checks as read_members() makes */
static gboolean
capture_member (Reader *r)
{
  AlgerJsonMember m = { NULL, 0, 0, 0, FALSE, NULL, NULL };
  const char *key = r->p;

  if (read_string (r) == NULL)
    return FALSE;
  if (memchr (key, '\\', (gsize) (r->p - 1 - key)) == NULL) {
    m.name = key;
    m.name_len = (gsize) (r->p - 1 - key);
  } else {
    /* escapes: the key as a reader decodes it (checked already) */
    const char *save = r->p;

    r->p = key;
    r->check_only = FALSE;
    m.owned_name = read_string (r);
    r->check_only = TRUE;
    r->p = save;
    m.name = m.owned_name;
    m.name_len = strlen (m.owned_name);
  }
  skip_ws (r);
  if (r->p >= r->end || *r->p != ':') {
    g_free (m.owned_name);
    return fail (r, "expected ':'");
  }
  r->p++;
  skip_ws (r);
  m.start = (gsize) (r->p - r->start);
  m.is_string = r->p < r->end && *r->p == '"';
  if (m.is_string && r->decode != NULL && m.name_len == strlen (r->decode) &&
      memcmp (m.name, r->decode, m.name_len) == 0) {
    /* read once, decoded: what the caller reads from it */
    r->p++;
    r->check_only = FALSE;
    m.string = read_string (r);
    r->check_only = TRUE;
    if (m.string == NULL) {
      g_free (m.owned_name);
      return FALSE;
    }
  } else if (read_value (r) == NULL) {
    g_free (m.owned_name);
    return FALSE;
  }
  m.span = (gsize) (r->p - r->start) - m.start;
  *members_append (r->members) = m;
  return TRUE;
}

static gboolean
read_members (Reader *r, JsonObject *obj)
{
  for (;;) {
    g_autofree char *key = NULL;
    JsonNode *value = NULL;

    skip_ws (r);
    if (r->p >= r->end || *r->p != '"')
      return fail (r, "expected a string key");
    r->p++;
    if (r->members != NULL && r->depth == 1) {
      if (!capture_member (r))
        return FALSE;
      goto next;
    }
    key = read_string (r);
    if (key == NULL)
      return FALSE;
    if (r->check_only)
      key = NULL; /* the CHECKED marker, not ours to free */
    skip_ws (r);
    if (r->p >= r->end || *r->p != ':')
      return fail (r, "expected ':'");
    r->p++;
    value = read_value (r);
    if (value == NULL)
      return FALSE;
    if (!r->check_only)
      json_object_set_member (obj, key, value);
  next:
    skip_ws (r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == '}') {
      r->p++;
      return TRUE;
    }
    return fail (r, "expected ',' or '}'");
  }
}

static JsonNode *
read_object (Reader *r)
{
  g_autoptr(JsonObject) obj = r->check_only ? NULL : json_object_new ();
  JsonNode *node = NULL;

  r->p++; /* '{' */
  skip_ws (r);
  if (r->p < r->end && *r->p == '}')
    r->p++;
  else if (!read_members (r, obj))
    return NULL;
  if (r->check_only)
    return CHECKED;
  node = json_node_alloc ();
  json_node_init_object (node, obj);
  return node;
}

static JsonNode *
read_array (Reader *r)
{
  g_autoptr(JsonArray) array = r->check_only ? NULL : json_array_new ();
  JsonNode *node = NULL;

  r->p++; /* '[' */
  skip_ws (r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
  } else {
    for (;;) {
      JsonNode *value = read_value (r);
      if (value == NULL)
        return NULL;
      if (!r->check_only)
        json_array_add_element (array, value);
      skip_ws (r);
      if (r->p < r->end && *r->p == ',') {
        r->p++;
        continue;
      }
      if (r->p < r->end && *r->p == ']') {
        r->p++;
        break;
      }
      fail (r, "expected ',' or ']'");
      return NULL;
    }
  }
  if (r->check_only)
    return CHECKED;
  node = json_node_alloc ();
  json_node_init_array (node, array);
  return node;
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;

  skip_ws (r);
  if (r->p >= r->end) {
    fail (r, "unexpected end of text");
    return NULL;
  }
  switch (*r->p) {
  case '{':
  case '[':
    if (++r->depth > ALGER_JSON_MAX_DEPTH) {
      fail (r, "nested too deeply");
      return NULL;
    }
    node = *r->p == '{' ? read_object (r) : read_array (r);
    r->depth--;
    return node;
  case '"': {
    char *s = NULL;
    r->p++;
    s = read_string (r);
    if (s == NULL || r->check_only)
      return (JsonNode *) s;
    node = json_node_alloc ();
    json_node_init_string (node, s);
    g_free (s);
    return node;
  }
  case 't':
    if (!expect_literal (r, "true", 4))
      return NULL;
    return r->check_only ? CHECKED : json_node_init_boolean (json_node_alloc (), TRUE);
  case 'f':
    if (!expect_literal (r, "false", 5))
      return NULL;
    return r->check_only ? CHECKED : json_node_init_boolean (json_node_alloc (), FALSE);
  case 'n':
    if (!expect_literal (r, "null", 4))
      return NULL;
    return r->check_only ? CHECKED : json_node_init_null (json_node_alloc ());
  default:
    if (*r->p == '-' || g_ascii_isdigit (*r->p))
      return read_number (r);
    fail (r, "unexpected character");
    return NULL;
  }
}

JsonNode *
alger_json_parse (const char *data, gsize length, GPtrArray *big_ints, GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!g_utf8_validate_len (data, length, NULL)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "text is not valid UTF-8");
    return NULL;
  }
  return alger_json_parse_utf8 (data, length, big_ints, error);
}

JsonNode *
alger_json_parse_utf8 (const char *data, gsize length, GPtrArray *big_ints, GError **error)
{
  Reader r = { data, data, data + length, 0, big_ints, NULL, FALSE, NULL, NULL };
  g_autoptr(JsonNode) root = NULL;
  guint n_big = big_ints != NULL ? big_ints->len : 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  /* a raw NUL is never JSON, and would end the strings we hand to json-glib */
  if (memchr (data, '\0', length) != NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "NUL byte in text");
    return NULL;
  }
  root = read_value (&r);
  if (root != NULL) {
    skip_ws (&r);
    if (r.p < r.end) {
      fail (&r, "trailing characters after the JSON value");
      g_clear_pointer (&root, json_node_unref);
    }
  }
  if (root == NULL) {
    if (big_ints != NULL)
      g_ptr_array_set_size (big_ints, n_big);
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "offset %" G_GSIZE_FORMAT ": %s",
                 (gsize) (r.p - r.start), r.reason != NULL ? r.reason : "invalid JSON");
    return NULL;
  }
  return g_steal_pointer (&root);
}

static void
member_clear (AlgerJsonMember *m)
{
  g_free (m->owned_name);
  g_free (m->string);
}

void
alger_json_members_init (AlgerJsonMembers *members)
{
  members->items = members->small;
  members->len = 0;
  members->cap = G_N_ELEMENTS (members->small);
}

static void
members_truncate (AlgerJsonMembers *members, guint len)
{
  for (guint i = len; i < members->len; i++)
    member_clear (&members->items[i]);
  members->len = len;
}

void
alger_json_members_clear (AlgerJsonMembers *members)
{
  members_truncate (members, 0);
  if (members->items != members->small)
    g_free (members->items);
  alger_json_members_init (members);
}

const AlgerJsonMember *
alger_json_members_lookup (const AlgerJsonMembers *members, const char *name)
{
  gsize len;

  g_return_val_if_fail (members != NULL && name != NULL, NULL);

  len = strlen (name);
  /* the last duplicate wins, as in the parser */
  for (guint i = members->len; i-- > 0;) {
    const AlgerJsonMember *m = &members->items[i];

    if (m->name_len == len && memcmp (m->name, name, len) == 0)
      return m;
  }
  return NULL;
}

char *
alger_json_member_dup_string (const char *text, const AlgerJsonMember *member)
{
  Reader r = { text, text + member->start + 1, text + member->start + member->span, 0, NULL,
               NULL, FALSE, NULL, NULL };

  g_return_val_if_fail (text != NULL && member != NULL, NULL);

  if (!member->is_string)
    return NULL;
  if (member->string != NULL)
    return g_strdup (member->string);
  /* checked when found: this reads it again, decoding */
  return read_string (&r);
}

static gboolean check_text (const char *data, gsize length, JsonNodeType *root_type,
                            AlgerJsonMembers *members, const char *decode, GError **error);

gboolean
alger_json_check_utf8 (const char *data, gsize length, JsonNodeType *root_type, GError **error)
{
  return check_text (data, length, root_type, NULL, NULL, error);
}

gboolean
alger_json_check_members_utf8 (const char *data, gsize length, JsonNodeType *root_type,
                               AlgerJsonMembers *members, const char *decode, GError **error)
{
  g_return_val_if_fail (members != NULL, FALSE);
  return check_text (data, length, root_type, members, decode, error);
}

static gboolean
check_text (const char *data, gsize length, JsonNodeType *root_type, AlgerJsonMembers *members,
            const char *decode, GError **error)
{
  Reader r = { data, data, data + length, 0, NULL, NULL, TRUE, members, decode };
  guint n_before = members != NULL ? members->len : 0;
  gpointer ok = NULL;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (memchr (data, '\0', length) != NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "NUL byte in text");
    return FALSE;
  }
  skip_ws (&r);
  if (root_type != NULL)
    *root_type = r.p < r.end && *r.p == '{'   ? JSON_NODE_OBJECT
                 : r.p < r.end && *r.p == '[' ? JSON_NODE_ARRAY
                 : r.p < r.end && *r.p == 'n' ? JSON_NODE_NULL
                                              : JSON_NODE_VALUE;
  ok = read_value (&r);
  if (ok != NULL) {
    skip_ws (&r);
    if (r.p < r.end) {
      fail (&r, "trailing characters after the JSON value");
      ok = NULL;
    }
  }
  if (ok == NULL) {
    if (members != NULL)
      members_truncate (members, n_before);
    g_set_error (error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS, "offset %" G_GSIZE_FORMAT ": %s",
                 (gsize) (r.p - r.start), r.reason != NULL ? r.reason : "invalid JSON");
    return FALSE;
  }
  return TRUE;
}

/* writer */

/* 0: copy as is; 1: needs escaping; 2: start of a multi-byte sequence */
static const guint8 byte_class[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* length of the valid UTF-8 sequence at p (1..4), or 0 when it is not valid */
static gsize
utf8_sequence_length (const guchar *p, const guchar *end)
{
  gsize n;
  gunichar min, c;

  if (p[0] < 0xC2)
    return 0;
  if (p[0] < 0xE0) {
    n = 2;
    min = 0x80;
    c = p[0] & 0x1F;
  } else if (p[0] < 0xF0) {
    n = 3;
    min = 0x800;
    c = p[0] & 0x0F;
  } else if (p[0] < 0xF5) {
    n = 4;
    min = 0x10000;
    c = p[0] & 0x07;
  } else {
    return 0;
  }
  if ((gsize) (end - p) < n)
    return 0;
  for (gsize i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  return n;
}

void
alger_json_append_string (GString *out, const char *s, gssize length)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) s;
  const guchar *end;
  gsize len;
  gsize start;
  char *o;

  g_return_if_fail (out != NULL);
  if (s == NULL) {
    g_string_append_len (out, "\"\"", 2);
    return;
  }
  len = length < 0 ? strlen (s) : (gsize) length;
  end = p + len;
  /* reserve the worst case (every byte a \u00XX) and write in place: appending run by
   * run through g_string_append_len() costs more than the escaping itself */
  start = out->len;
  g_string_set_size (out, start + 6 * len + 2);
  o = out->str + start;
  *o++ = '"';
  while (p < end) {
    guint8 cls = byte_class[*p];
    if (G_LIKELY (cls == 0)) {
      const guchar *run_end = alger_json_text_run_end (p + 1, end, TRUE);

      memcpy (o, p, (gsize) (run_end - p));
      o += run_end - p;
      p = run_end;
      continue;
    }
    if (cls == 2) {
      gsize n = utf8_sequence_length (p, end);
      if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
        memcpy (o, p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
        o += 6;
        p += 3;
      } else if (n == 0) {
        memcpy (o, "\\ufffd", 6);
        o += 6;
        p++;
      } else {
        memcpy (o, p, n);
        o += n;
        p += n;
      }
      continue;
    }
    *o++ = '\\';
    switch (*p) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 0xF];
    }
    p++;
  }
  *o++ = '"';
  g_string_truncate (out, (gsize) (o - out->str));
}

/* the digits of @tmp ("d[.ddd]e[+-]XX" in any locale) into @digits, and its exponent */
static int
scan_exp_form (const char *tmp, char *digits, int *exponent)
{
  int n = 0;
  const char *c = tmp;

  for (; *c != '\0' && *c != 'e'; c++)
    if (g_ascii_isdigit (*c))
      digits[n++] = *c;
  *exponent = *c == 'e' ? atoi (c + 1) : 0;
  return n;
}

/* @digits (17 of them, exponent @exp10) rounded to @p digits into @out, as
 * printf("%.*e", p - 1) would round the double they came from; FALSE when
 * the 17 digits cannot tell (the dropped part is exactly half a unit: the
 * double may lie on either side of it) */
static gboolean
round_digits (const char *digits, int exp10, int p, char *out, int *out_exp, int *moved)
{
  int tail = 0, half = 5;
  int i;

  for (i = p; i < 17; i++)
    tail = tail * 10 + (digits[i] - '0');
  for (i = p + 1; i < 17; i++)
    half *= 10;
  if (tail == half)
    return FALSE;
  memcpy (out, digits, p);
  *out_exp = exp10;
  /* how far the rounding moved, in units of the 17th digit */
  *moved = tail < half ? tail : 2 * half - tail;
  if (tail > half) {
    for (i = p - 1; i >= 0 && out[i] == '9'; i--)
      out[i] = '0';
    if (i >= 0) {
      out[i]++;
    } else {
      out[0] = '1'; /* 9.99…9 → 10.0…0: one more in the exponent */
      (*out_exp)++;
    }
  }
  return TRUE;
}

/* Whether a rounding of the 17 digits reads back, decided without strtod
 * where the margins allow: 1 yes, 0 no, -1 cannot tell.
 *
 * With u the unit of the 17th digit, the value v lies within u/2 of the 17
 * digits (as an integer, @n17 × u), so the rounding that moved @moved units
 * is between moved - 1/2 and moved + 1/2 units from v.  It reads back when
 * it is strictly closer to v than half the spacing of doubles there, ulp/2,
 * and does not when it is farther.  ulp/u = (ulp/v)(v/u) = (v/u)/m with m
 * the 53-bit significand and v/u within 1/2 of @n17, so half the spacing is
 * n17/(2m) units up to a relative 1e-16, far inside the 1e-9 margin taken.
 * At a power of two the spacing below is half the spacing above: undecided. */
static int
read_back_by_bounds (guint64 n17, guint64 bits, int moved)
{
  const guint64 frac = bits & ((G_GUINT64_CONSTANT (1) << 52) - 1);
  double m, h;

  if (frac == 0)
    return -1;
  m = (double) (frac | (G_GUINT64_CONSTANT (1) << 52));
  h = (double) n17 / (2.0 * m);
  if ((double) moved + 0.5 < h * (1.0 - 1e-9))
    return 1;
  if ((double) moved - 0.5 > h * (1.0 + 1e-9))
    return 0;
  return -1;
}

/* does the decimal digits[0].digits[1..n-1] × 10^exp10 read back as @value? */
static gboolean
digits_read_back (const char *digits, int n, int exp10, double value)
{
  char tmp[40];
  char *o = tmp;

  *o++ = digits[0];
  *o++ = '.';
  memcpy (o, digits + 1, n - 1);
  o += n - 1;
  *o++ = 'e';
  if (exp10 < 0) {
    *o++ = '-';
    exp10 = -exp10;
  }
  if (exp10 >= 100)
    *o++ = (char) ('0' + exp10 / 100);
  if (exp10 >= 10)
    *o++ = (char) ('0' + exp10 / 10 % 10);
  *o++ = (char) ('0' + exp10 % 10);
  *o = '\0';
  return g_ascii_strtod (tmp, NULL) == value;
}

/* The 17 significant digits of @value (positive, normal) rounded as
 * printf("%.16e") rounds them (to nearest, ties to even), and their decimal
 * exponent, in integer arithmetic: with value = m · 2^e and q = 16 - E
 * (10^E <= value < 10^(E+1)), N = m · 10^q · 2^e has 17 digits; m · 10^q
 * fits in 128 bits for q <= 22, so N and the remainder of the shift are
 * exact.  FALSE outside 1e-6 <= value < 1e17 (and when 2^e does not fit),
 * where printf does it. */
static gboolean
digits17_exact (double value, char *d17, int *e17)
{
  static const guint64 pow10[23] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL, 0, 0, 0,
  };
  const guint64 lo17 = G_GUINT64_CONSTANT (10000000000000000);
  const guint64 hi17 = G_GUINT64_CONSTANT (100000000000000000);
  guint64 bits, m;
  int e, exp10;

  if (!(value >= 1e-6 && value < 1e17))
    return FALSE;
  memcpy (&bits, &value, sizeof bits);
  m = (bits & ((G_GUINT64_CONSTANT (1) << 52) - 1)) | (G_GUINT64_CONSTANT (1) << 52);
  e = (int) ((bits >> 52) & 0x7ff) - 1075;
  exp10 = (int) floor (log10 (value));
  for (int attempt = 0; attempt < 3; attempt++) {
    int q = 16 - exp10;
    unsigned __int128 n;
    guint64 n17;

    if (q < 0 || q > 22)
      return FALSE;
    /* 10^q as a 128-bit product of two table entries (10^22 > 2^64) */
    n = (unsigned __int128) m * (q <= 19 ? pow10[q] : pow10[19]);
    if (q > 19)
      n *= pow10[q - 19];
    if (e >= 0) {
      if (e > 10 || (n >> (127 - e)) != 0)
        return FALSE;
      n <<= e;
    } else {
      int k = -e;
      unsigned __int128 rem, half;

      if (k >= 127)
        return FALSE;
      rem = n & ((((unsigned __int128) 1) << k) - 1);
      half = ((unsigned __int128) 1) << (k - 1);
      n >>= k;
      if (rem > half || (rem == half && (n & 1) != 0))
        n++;
    }
    if (n >= hi17) {
      exp10++;
      continue;
    }
    if (n < lo17) {
      exp10--;
      continue;
    }
    n17 = (guint64) n;
    for (int i = 16; i >= 0; i--) {
      d17[i] = (char) ('0' + n17 % 10);
      n17 /= 10;
    }
    *e17 = exp10;
    return TRUE;
  }
  return FALSE;
}

/* the reference: the shortest precision whose printf rounding reads back,
 * by binary search over 1..17 (used for subnormals, see below) */
static int
shortest_by_search (double value, char *digits, int *exponent)
{
  char tmp[40];
  int lo = 1, hi = 17;

  while (lo < hi) {
    int mid = (lo + hi) / 2;
    g_snprintf (tmp, sizeof tmp, "%.*e", mid - 1, value);
    if (g_ascii_strtod (tmp, NULL) == value)
      hi = mid;
    else
      lo = mid + 1;
  }
  g_snprintf (tmp, sizeof tmp, "%.*e", lo - 1, value);
  return scan_exp_form (tmp, digits, exponent);
}

/* Python's repr(): the fewest significant digits p whose correctly rounded
 * decimal reads back exactly, trailing zeros dropped.
 *
 * For a normal double this is decided by 15, 16 and 17 digits alone: a
 * decimal of p <= 15 digits that reads back lies within half a double ulp
 * (<= 2^-53 relative) of the value, far less than half a unit of the 15th
 * digit (>= 5e-16 relative), so it is also the value rounded to 15 digits
 * (and to every precision in between); hence "some p <= 15 reads back" is
 * "15 digits read back", and then the 15-digit rounding with its trailing
 * zeros dropped is the shortest.  Otherwise 16 if that reads back, else 17
 * (which always does).  Subnormals have a coarser ulp and keep the search.
 * The 15- and 16-digit roundings come from the 17 printed digits, except
 * when those end exactly on a half (then printf decides). */
const char *
alger_json_format_double (double value, char *buf)
{
  char digits[32];
  char d17[32];
  char tmp[40];
  int n_digits = 0;
  int exponent = 0;
  int decpt;
  char *o = buf;

  if (!isfinite (value)) {
    strcpy (buf, isnan (value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"));
    return buf;
  }
  if (value == 0) {
    strcpy (buf, signbit (value) ? "-0.0" : "0.0");
    return buf;
  }
  if (value < 0) {
    *o++ = '-';
    value = -value;
  }
  if (value < DBL_MIN) {
    n_digits = shortest_by_search (value, digits, &exponent);
  } else {
    int e17 = 0;
    int p;

    if (!digits17_exact (value, d17, &e17)) {
      g_snprintf (tmp, sizeof tmp, "%.16e", value);
      if (scan_exp_form (tmp, d17, &e17) != 17)
        e17 = G_MININT;
    }
    if (e17 == G_MININT) {
      n_digits = shortest_by_search (value, digits, &exponent);
    } else {
      guint64 n17 = 0;
      guint64 bits;

      memcpy (&bits, &value, sizeof bits);
      for (int i = 0; i < 17; i++)
        n17 = n17 * 10 + (guint64) (d17[i] - '0');
      for (p = 15; p <= 16; p++) {
        int moved = 0;
        int known = -1;

        if (round_digits (d17, e17, p, digits, &exponent, &moved)) {
          known = read_back_by_bounds (n17, bits, moved);
        } else {
          g_snprintf (tmp, sizeof tmp, "%.*e", p - 1, value);
          scan_exp_form (tmp, digits, &exponent);
        }
        if (known < 0)
          known = digits_read_back (digits, p, exponent, value);
        if (known)
          break;
      }
      if (p > 16) {
        memcpy (digits, d17, 17);
        exponent = e17;
        p = 17;
      }
      n_digits = p;
    }
  }
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  decpt = exponent + 1;

  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = decpt; i < 0; i++)
        *o++ = '0';
      memcpy (o, digits, n_digits);
      o += n_digits;
    } else if (n_digits <= decpt) {
      memcpy (o, digits, n_digits);
      o += n_digits;
      for (int i = n_digits; i < decpt; i++)
        *o++ = '0';
      *o++ = '.';
      *o++ = '0';
    } else {
      memcpy (o, digits, decpt);
      o += decpt;
      *o++ = '.';
      memcpy (o, digits + decpt, n_digits - decpt);
      o += n_digits - decpt;
    }
    *o = '\0';
  } else {
    *o++ = digits[0];
    if (n_digits > 1) {
      *o++ = '.';
      memcpy (o, digits + 1, n_digits - 1);
      o += n_digits - 1;
    }
    g_snprintf (o, 8, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
  }
  return buf;
}

static void
append_object (GString *out, JsonObject *obj)
{
  JsonObjectIter iter;
  const char *name = NULL;
  JsonNode *member = NULL;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, obj);
  while (json_object_iter_next_ordered (&iter, &name, &member)) {
    if (!first)
      g_string_append_c (out, ',');
    first = FALSE;
    alger_json_append_string (out, name, -1);
    g_string_append_c (out, ':');
    alger_json_append_node (out, member);
  }
  g_string_append_c (out, '}');
}

void
alger_json_append_node (GString *out, JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (node == NULL) {
    g_string_append_len (out, "null", 4);
    return;
  }
  switch (json_node_get_node_type (node)) {
  case JSON_NODE_OBJECT: {
    JsonObject *obj = json_node_get_object (node);
    if (obj == NULL)
      g_string_append_len (out, "null", 4);
    else
      append_object (out, obj);
    break;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *array = json_node_get_array (node);
    guint n = array != NULL ? json_array_get_length (array) : 0;
    if (array == NULL) {
      g_string_append_len (out, "null", 4);
      break;
    }
    g_string_append_c (out, '[');
    for (guint i = 0; i < n; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      alger_json_append_node (out, json_array_get_element (array, i));
    }
    g_string_append_c (out, ']');
    break;
  }
  case JSON_NODE_NULL:
    g_string_append_len (out, "null", 4);
    break;
  case JSON_NODE_VALUE: {
    GType type = json_node_get_value_type (node);
    if (type == G_TYPE_INT64) {
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
    } else if (type == G_TYPE_DOUBLE) {
      double d = json_node_get_double (node);
      char buf[32];
      if (isfinite (d))
        g_string_append (out, alger_json_format_double (d, buf));
      else
        g_string_append_len (out, "null", 4);
    } else if (type == G_TYPE_BOOLEAN) {
      if (json_node_get_boolean (node))
        g_string_append_len (out, "true", 4);
      else
        g_string_append_len (out, "false", 5);
    } else if (type == G_TYPE_STRING) {
      alger_json_append_string (out, json_node_get_string (node), -1);
    } else {
      g_string_append_len (out, "null", 4);
    }
    break;
  }
  default:
    g_string_append_len (out, "null", 4);
  }
}

/* ---- locating a member in a text without building nodes ---- */

const char *
alger_json_text_skip_string (const char *p, const char *end)
{
  const char *open = p;

  /* memchr to each quote; it closes the string unless an odd run of
   * backslashes escapes it */
  for (p++; p < end;) {
    const char *q = memchr (p, '"', (gsize) (end - p));
    const char *b;

    if (q == NULL)
      return NULL;
    for (b = q; b - 1 > open && b[-1] == '\\'; b--)
      ;
    if ((q - b) % 2 == 0)
      return q + 1;
    p = q + 1;
  }
  return NULL;
}

const char *
alger_json_text_skip_value (const char *p, const char *end)
{
  int depth = 0;

  do {
    if (p >= end)
      return NULL;
    switch (*p) {
    case '"':
      p = alger_json_text_skip_string (p, end);
      if (p == NULL)
        return NULL;
      continue;
    case '{':
    case '[':
      depth++;
      break;
    case '}':
    case ']':
      depth--;
      break;
    default:
      if (depth == 0) {
        /* a scalar: up to the next delimiter */
        while (p < end && *p != ',' && *p != '}' && *p != ']' && !g_ascii_isspace (*p))
          p++;
        return p;
      }
    }
    p++;
  } while (depth > 0);
  return p;
}

const char *
alger_json_text_skip_ws (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

gboolean
alger_json_find_members (const char *text, gsize length, const char *const *names, gsize n_names,
                         gsize *starts, gsize *spans)
{
  const char *end = text + length;
  const char *p = alger_json_text_skip_ws (text, end);
  gboolean any = FALSE;

  g_return_val_if_fail (text != NULL && names != NULL, FALSE);

  for (gsize i = 0; i < n_names; i++)
    starts[i] = spans[i] = 0;
  if (p >= end || *p != '{')
    return FALSE;
  p = alger_json_text_skip_ws (p + 1, end);
  while (p < end && *p == '"') {
    const char *key = p + 1;
    const char *after = alger_json_text_skip_string (p, end);
    gsize key_len;
    g_autoptr(JsonNode) decoded = NULL;
    const char *value;

    if (after == NULL)
      return FALSE;
    key_len = (gsize) (after - 1 - key);
    if (memchr (key, '\\', key_len) != NULL) {
      /* an escaped key ("gr\u0061ph") is the name the parser would see */
      decoded = alger_json_parse_utf8 (p, (gsize) (after - p), NULL, NULL);
      key = decoded != NULL ? json_node_get_string (decoded) : "";
      key_len = strlen (key);
    }
    p = alger_json_text_skip_ws (after, end);
    if (p >= end || *p != ':')
      return FALSE;
    value = alger_json_text_skip_ws (p + 1, end);
    p = alger_json_text_skip_value (value, end);
    if (p == NULL)
      return FALSE;
    for (gsize i = 0; i < n_names; i++) {
      if (strlen (names[i]) == key_len && memcmp (key, names[i], key_len) == 0) {
        /* a later duplicate wins, as in the parser */
        starts[i] = (gsize) (value - text);
        spans[i] = (gsize) (p - value);
        any = TRUE;
      }
    }
    p = alger_json_text_skip_ws (p, end);
    if (p < end && *p == ',')
      p = alger_json_text_skip_ws (p + 1, end);
    else
      break;
  }
  return any;
}

gboolean
alger_json_find_member (const char *text, gsize length, const char *name, gsize *start,
                        gsize *span)
{
  return alger_json_find_members (text, length, &name, 1, start, span);
}

void
alger_json_append_int (GString *out, gint64 v)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 u = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;

  do {
    *--p = (char) ('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}
