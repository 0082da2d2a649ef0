/* alger-frame.c: protocol frames in and out (PROTOCOL.md, Frames) */
#include "config.h"

#include "alger-frame.h"

#include <math.h>
#include <string.h>

#include "alger-error.h"
#include "alger-json-text.h"

void
alger_frame_free (AlgerFrame *frame)
{
  if (frame == NULL)
    return;
  g_clear_pointer (&frame->content, json_object_unref);
  alger_json_members_clear (&frame->content_members);
  g_free (frame->content_text);
  g_free (frame);
}

static gboolean
is_ascii_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* what Python's int(str) accepts, minus underscores and non-ASCII digits */
static gboolean
parse_decimal_string (const char *s, gint64 *out)
{
  const char *p = s;
  gboolean negative = FALSE;
  guint64 limit;
  guint64 value = 0;
  gboolean any = FALSE;

  while (is_ascii_space (*p))
    p++;
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    p++;
  }
  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  while (g_ascii_isdigit (*p)) {
    guint digit = (guint) (*p - '0');
    if (value > (limit - digit) / 10)
      return FALSE;
    value = value * 10 + digit;
    any = TRUE;
    p++;
  }
  while (is_ascii_space (*p))
    p++;
  if (!any || *p != '\0')
    return FALSE;
  if (negative)
    *out = value == (guint64) G_MAXINT64 + 1 ? G_MININT64 : -(gint64) value;
  else
    *out = (gint64) value;
  return TRUE;
}

/* an id's node as the original read it: integers, integral doubles in
 * range, decimal strings */
static gboolean
node_get_int (JsonNode *node, GPtrArray *big_ints, gint64 *out)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64) {
    *out = json_node_get_int (node);
    return TRUE;
  }
  if (type == G_TYPE_DOUBLE) {
    double d = json_node_get_double (node);
    /* an integer literal outside gint64 was read as a double: out of range */
    for (guint i = 0; big_ints != NULL && i < big_ints->len; i++)
      if (g_ptr_array_index (big_ints, i) == node)
        return FALSE;
    /* integral doubles as Python's int-compatible floats; 2^63 itself is out of range */
    if (!isfinite (d) || d != floor (d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
      return FALSE;
    *out = (gint64) d;
    return TRUE;
  }
  if (type == G_TYPE_STRING)
    return parse_decimal_string (json_node_get_string (node), out);
  return FALSE; /* booleans are not integers here */
}

/* UTF-8 validity as WebSocket sees it: U+0000 is a valid character */
static gboolean
utf8_validate_allow_nul (const char *data, gsize length)
{
  const char *p = data;
  const char *end = data + length;

  /* an ASCII prefix (NUL included) is valid as it is: skip it sixteen bytes
   * at a time, then check the rest byte by byte */
#ifdef __SSE2__
  while (end - p >= 16 &&
         _mm_movemask_epi8 (_mm_loadu_si128 ((const __m128i *) (const void *) p)) == 0)
    p += 16;
#endif
  while (p < end && (guchar) *p < 0x80)
    p++;
  while (p < end) {
    const char *nul = memchr (p, '\0', (gsize) (end - p));
    const char *stop = nul != NULL ? nul : end;
    if (!g_utf8_validate_len (p, (gsize) (stop - p), NULL))
      return FALSE;
    p = nul != NULL ? nul + 1 : end;
  }
  return TRUE;
}

/* the outer text checked as the parser would read it (nothing built);
 * FALSE with the 396 text set */
static gboolean
check_outer (const char *data, gsize length, GError **error)
{
  JsonNodeType root_type = JSON_NODE_NULL;

  if (!utf8_validate_allow_nul (data, length)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL,
                         ALGER_FRAME_ERROR_BINARY_NOT_UTF8);
    return FALSE;
  }
  if (!alger_json_check_utf8 (data, length, &root_type, NULL)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL, ALGER_FRAME_ERROR_NOT_JSON);
    return FALSE;
  }
  if (root_type != JSON_NODE_OBJECT) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL, ALGER_FRAME_ERROR_NOT_OBJECT);
    return FALSE;
  }
  return TRUE;
}

/* a plain integer literal ("-12"): its value, when it fits in gint64 */
static gboolean
read_plain_int (const char *p, gsize len, gboolean *plain, gint64 *out)
{
  gboolean negative = len > 0 && p[0] == '-';
  guint64 limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  guint64 value = 0;
  gsize i = negative ? 1 : 0;

  *plain = FALSE;
  if (i == len)
    return FALSE;
  for (; i < len; i++) {
    guint digit;

    if (!g_ascii_isdigit (p[i]))
      return FALSE; /* a fraction, an exponent, a string, …: not plain */
    digit = (guint) (p[i] - '0');
    if (value > (limit - digit) / 10) {
      *plain = TRUE; /* plain, but out of range */
      return FALSE;
    }
    value = value * 10 + digit;
  }
  *plain = TRUE;
  *out = negative ? (value == (guint64) G_MAXINT64 + 1 ? G_MININT64 : -(gint64) value)
                  : (gint64) value;
  return TRUE;
}

/* the value text of an id member (span 0: absent) as member_get_int reads
 * its node: plain integers directly, anything else through a node */
static gboolean
span_get_int (const char *text, gsize start, gsize span, gint64 *out)
{
  g_autoptr(GPtrArray) big_ints = NULL;
  g_autoptr(JsonNode) node = NULL;
  gboolean plain;

  if (span == 0)
    return FALSE;
  if (read_plain_int (text + start, span, &plain, out))
    return TRUE;
  if (plain)
    return FALSE;
  big_ints = g_ptr_array_new ();
  node = alger_json_parse_utf8 (text + start, span, big_ints, NULL);
  return node != NULL && node_get_int (node, big_ints, out);
}

/* the value text of a member as span_get_int reads it (absent: span 0) */
static gboolean
member_get_int (const AlgerJsonMembers *members, const char *data, const char *name, gint64 *out)
{
  const AlgerJsonMember *m = alger_json_members_lookup (members, name);

  return m != NULL && span_get_int (data, m->start, m->span, out);
}

static AlgerFrame *
frame_new (void)
{
  AlgerFrame *frame = g_new0 (AlgerFrame, 1);

  alger_json_members_init (&frame->content_members);
  return frame;
}

/* Read straight from the text: the outer object is checked, never built
 * (a tree costs more than the rest of a 101 round trip's parsing), and in
 * the same pass its members are found and `content` decoded; the content is
 * checked in one more pass that keeps its own members' places for the
 * handlers (alger_frame_find_content_member). */
AlgerFrame *
alger_frame_parse (const char *data, gsize length, GError **error)
{
  g_autoptr(AlgerFrame) frame = NULL;
  AlgerJsonMembers outer;
  AlgerJsonMember *content;
  JsonNodeType root_type = JSON_NODE_NULL;
  const char *reason = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  if (!utf8_validate_allow_nul (data, length)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL,
                         ALGER_FRAME_ERROR_BINARY_NOT_UTF8);
    return NULL;
  }
  alger_json_members_init (&outer);
  frame = frame_new ();
  if (!alger_json_check_members_utf8 (data, length, &root_type, &outer, "content", NULL))
    reason = ALGER_FRAME_ERROR_NOT_JSON;
  else if (root_type != JSON_NODE_OBJECT)
    reason = ALGER_FRAME_ERROR_NOT_OBJECT;
  else if (!member_get_int (&outer, data, "id", &frame->id))
    reason = ALGER_FRAME_ERROR_BAD_ID;
  else if (!member_get_int (&outer, data, "requestId", &frame->request_id))
    reason = ALGER_FRAME_ERROR_BAD_REQUEST_ID;
  else if (!member_get_int (&outer, data, "type", &frame->type))
    reason = ALGER_FRAME_ERROR_BAD_TYPE;
  else if ((content = (AlgerJsonMember *) alger_json_members_lookup (&outer, "content")) == NULL ||
           content->string == NULL)
    reason = ALGER_FRAME_ERROR_CONTENT_NOT_STRING;
  else
    frame->content_text = g_steal_pointer (&content->string);
  alger_json_members_clear (&outer);
  if (reason != NULL) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL, reason);
    return NULL;
  }
  if (frame->content_text[0] == '\0') {
    g_free (frame->content_text);
    frame->content_text = g_strdup ("{}");
    return g_steal_pointer (&frame);
  }
  /* checked here, built only when a handler asks (alger_frame_get_content):
   * a 104 carries a whole graph that the main loop never needs as a tree */
  if (!alger_json_check_members_utf8 (frame->content_text, strlen (frame->content_text),
                                      &root_type, &frame->content_members, NULL, NULL)) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL,
                         ALGER_FRAME_ERROR_CONTENT_NOT_JSON);
    return NULL;
  }
  if (root_type != JSON_NODE_OBJECT) {
    g_set_error_literal (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL,
                         ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT);
    return NULL;
  }
  return g_steal_pointer (&frame);
}

gboolean
alger_frame_find_content_member (AlgerFrame *frame, const char *name, gsize *start, gsize *span)
{
  const AlgerJsonMember *m;

  g_return_val_if_fail (frame != NULL && name != NULL, FALSE);

  m = alger_json_members_lookup (&frame->content_members, name);
  if (m == NULL) {
    *start = *span = 0;
    return FALSE;
  }
  *start = m->start;
  *span = m->span;
  return TRUE;
}

JsonObject *
alger_frame_get_content (AlgerFrame *frame)
{
  g_return_val_if_fail (frame != NULL, NULL);

  if (frame->content == NULL) {
    g_autoptr(JsonNode) root =
      alger_json_parse_utf8 (frame->content_text, strlen (frame->content_text), NULL, NULL);

    /* alger_frame_parse() checked it: an object */
    g_assert (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
    frame->content = json_node_dup_object (root);
  }
  return frame->content;
}

char *
alger_frame_dup_content_string (AlgerFrame *frame, const char *name, gboolean *wrong_type)
{
  const AlgerJsonMember *m;

  g_return_val_if_fail (frame != NULL && name != NULL && wrong_type != NULL, NULL);

  *wrong_type = FALSE;
  m = alger_json_members_lookup (&frame->content_members, name);
  if (m == NULL || (m->span == 4 && memcmp (frame->content_text + m->start, "null", 4) == 0))
    return NULL;
  if (!m->is_string) {
    *wrong_type = TRUE;
    return NULL;
  }
  return alger_json_member_dup_string (frame->content_text, m);
}

gint64
alger_frame_peek_id (const char *data, gsize length)
{
  gsize start, span;
  gint64 id = -1;

  if (data == NULL || !check_outer (data, length, NULL))
    return -1;
  if (!alger_json_find_member (data, length, "id", &start, &span) ||
      !span_get_int (data, start, span, &id))
    return -1;
  return id;
}

void
alger_frame_append_head (GString *out, gint64 id, gint64 request_id, gint64 type)
{
  g_return_if_fail (out != NULL);

  g_string_append_len (out, "{\"id\":", 6);
  alger_json_append_int (out, id);
  g_string_append_len (out, ",\"requestId\":", 13);
  alger_json_append_int (out, request_id);
  g_string_append_len (out, ",\"type\":", 8);
  alger_json_append_int (out, type);
  g_string_append_len (out, ",\"content\":", 11);
}

void
alger_frame_serialize_to (GString *out, gint64 id, gint64 request_id, gint64 type,
                          const char *content_json)
{
  g_return_if_fail (out != NULL);

  alger_frame_append_head (out, id, request_id, type);
  alger_json_append_string (out, content_json != NULL ? content_json : "{}", -1);
  g_string_append_c (out, '}');
}

char *
alger_frame_serialize (gint64 id, gint64 request_id, gint64 type, const char *content_json,
                       gsize *length)
{
  gsize content_len = content_json != NULL ? strlen (content_json) : 2;
  /* room for the worst case alger_json_append_string() reserves: no realloc */
  GString *out = g_string_sized_new (80 + 6 * content_len + 2);

  alger_frame_serialize_to (out, id, request_id, type, content_json);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char *
alger_json_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (64);

  alger_json_append_node (out, node);
  return g_string_free (out, FALSE);
}

char *
alger_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = NULL;

  if (object == NULL)
    return g_strdup ("{}");
  node = json_node_init_object (json_node_alloc (), object);
  return alger_json_to_string (node);
}

char *
alger_frame_error_content (const char *message)
{
  GString *out = g_string_sized_new (16 + (message != NULL ? strlen (message) : 0));

  g_string_append (out, "{\"error\":");
  alger_json_append_string (out, message != NULL ? message : "", -1);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

gboolean
alger_frame_type_is_request (gint64 type)
{
  switch (type) {
  case ALGER_FRAME_TYPE_LOGIN:
  case ALGER_FRAME_TYPE_USER_DATA:
  case ALGER_FRAME_TYPE_CATALOG:
  case ALGER_FRAME_TYPE_RUN_STORED:
  case ALGER_FRAME_TYPE_RUN_ADHOC:
  case ALGER_FRAME_TYPE_STOP:
  case ALGER_FRAME_TYPE_OUTPUT:
    return TRUE;
  default:
    return FALSE;
  }
}

char *
alger_frame_audit_payload (const char *data, gsize length)
{
  g_autoptr(JsonNode) root = NULL;
  GString *out = NULL;

  if (data == NULL)
    return g_strdup ("\"\"");
  if (g_utf8_validate_len (data, length, NULL))
    root = alger_json_parse (data, length, NULL, NULL);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *obj = json_node_get_object (root);
    JsonNode *content = json_object_get_member (obj, "content");

    if (content != NULL && JSON_NODE_HOLDS_VALUE (content) &&
        json_node_get_value_type (content) == G_TYPE_STRING) {
      const char *text = json_node_get_string (content);
      JsonNode *decoded = NULL;

      if (text[0] == '\0') {
        g_autoptr(JsonObject) empty = json_object_new ();
        decoded = json_node_init_object (json_node_alloc (), empty);
      } else {
        decoded = alger_json_parse (text, strlen (text), NULL, NULL);
      }
      /* replacing keeps the member's position in json-glib >= 1.6 */
      if (decoded != NULL)
        json_object_set_member (obj, "content", decoded);
    }
    return alger_json_to_string (root);
  }
  /* the escaper turns bytes that are not UTF-8 into \ufffd */
  out = g_string_sized_new (length + 16);
  alger_json_append_string (out, data, (gssize) length);
  return g_string_free (out, FALSE);
}
