/* test-frame.c: the frame codec, table-driven (json-glib tests/invalid.c style) */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alger-error.h"
#include "alger-frame.h"
#include "alger-json-text.h"

/* a frame around @content_literal (already a JSON literal) */
#define FRAME(content_literal) "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":" content_literal "}"

typedef struct {
  const char *path;
  const char *data;
  gssize length; /* -1: strlen */
  const char *message;
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  /* UTF-8: only binary frames can carry it (libsoup closes text frames with 1007) */
  { "utf8/ff", "\xff\xfe", -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/truncated", "{\"id\":\"\xc3\"}", -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/overlong", "{\"a\":\"\xc0\xaf\"}", -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/surrogate", "{\"a\":\"\xed\xa0\x80\"}", -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/bad-after-nul", "{\0\xff", 3, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  /* past the ASCII prefix that is skipped sixteen bytes at a time */
  { "utf8/bad-after-long-ascii", "{\"id\":1,\"requestId\":0,\"x\":\"\xc3\",\"type\":100,\"content\":\"{}\"}",
    -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/bad-after-ascii-and-nul", "{\"id\":1,\"requestId\":0,\0\"type\":100,\"content\":\"\xe2\x82\"}",
    49, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  { "utf8/overlong-after-ascii", "{\"id\":1,\"requestId\":0,\"x\":\"\xc0\xaf\",\"type\":100,\"content\":\"{}\"}",
    -1, ALGER_FRAME_ERROR_BINARY_NOT_UTF8 },
  /* not JSON */
  { "json/empty", "", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/blank", "  \n ", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/word", "hello", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/truncated", "{\"id\":1,", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/trailing-garbage", FRAME ("\"{}\"") " x", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/two-values", FRAME ("\"{}\"") "{}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/single-quotes", "{'id':1,'requestId':0,'type':100,'content':'{}'}", -1,
    ALGER_FRAME_ERROR_NOT_JSON },
  { "json/comment", "/* c */" FRAME ("\"{}\""), -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/trailing-comma", "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":\"{}\",}", -1,
    ALGER_FRAME_ERROR_NOT_JSON },
  { "json/bare-key", "{id:1}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/nan", "{\"id\":NaN}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/infinity", "{\"id\":Infinity}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/huge-double", "{\"id\":1e400}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/non-finite-extra-member", FRAME ("\"{}\",\"n\":1e999999999"), -1,
    ALGER_FRAME_ERROR_NOT_JSON },
  { "json/hex", "{\"id\":0x10}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/plus", "{\"id\":+1}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/leading-dot", "{\"id\":.5}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/trailing-dot", "{\"id\":1.}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/control-char", "{\"a\":\"x\x01y\"}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/bad-escape", "{\"a\":\"\\x41\"}", -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/escaped-nul", FRAME ("\"\\u0000\""), -1, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/raw-nul", "{\"id\":1\0}", 9, ALGER_FRAME_ERROR_NOT_JSON },
  { "json/bom", "\xef\xbb\xbf" FRAME ("\"{}\""), -1, ALGER_FRAME_ERROR_NOT_JSON },
  /* not an object */
  { "object/array", "[1,2]", -1, ALGER_FRAME_ERROR_NOT_OBJECT },
  { "object/number", "42", -1, ALGER_FRAME_ERROR_NOT_OBJECT },
  { "object/string", "\"{}\"", -1, ALGER_FRAME_ERROR_NOT_OBJECT },
  { "object/null", "null", -1, ALGER_FRAME_ERROR_NOT_OBJECT },
  { "object/true", " true ", -1, ALGER_FRAME_ERROR_NOT_OBJECT },
  /* id */
  { "id/missing", "{\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/null", "{\"id\":null,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/true", "{\"id\":true,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/false", "{\"id\":false,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/float", "{\"id\":1.5,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/tiny-float", "{\"id\":1e-300,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/array", "{\"id\":[1],\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/object", "{\"id\":{},\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/over-max", "{\"id\":9223372036854775808,\"requestId\":0,\"type\":100,\"content\":\"{}\"}",
    -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/under-min", "{\"id\":-9223372036854775809,\"requestId\":0,\"type\":100,\"content\":\"{}\"}",
    -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/way-over", "{\"id\":123456789012345678901234567890,\"requestId\":0,\"type\":100,"
    "\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/double-2^63", "{\"id\":9.223372036854775808e18,\"requestId\":0,\"type\":100,"
    "\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/double-1e19", "{\"id\":1e19,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-over-max", "{\"id\":\"9223372036854775808\",\"requestId\":0,\"type\":100,"
    "\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-under-min", "{\"id\":\"-9223372036854775809\",\"requestId\":0,\"type\":100,"
    "\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-empty", "{\"id\":\"\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-blank", "{\"id\":\"  \",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-sign-only", "{\"id\":\"-\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-word", "{\"id\":\"abc\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-float", "{\"id\":\"3.0\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-hex", "{\"id\":\"0x10\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-underscore", "{\"id\":\"1_0\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-inner-space", "{\"id\":\"1 0\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-double-sign", "{\"id\":\"--1\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "id/string-arabic-digit", "{\"id\":\"\xd9\xa3\",\"requestId\":0,\"type\":100,\"content\":\"{}\"}",
    -1, ALGER_FRAME_ERROR_BAD_ID },
  /* requestId and type, and the order of the checks */
  { "request-id/missing", "{\"id\":1,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "request-id/bool", "{\"id\":1,\"requestId\":true,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "request-id/float", "{\"id\":1,\"requestId\":0.5,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "request-id/over-max", "{\"id\":1,\"requestId\":9223372036854775808,\"type\":100,"
    "\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "request-id/wrong-case", "{\"id\":1,\"requestid\":0,\"type\":100,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "type/missing", "{\"id\":1,\"requestId\":0,\"content\":\"{}\"}", -1, ALGER_FRAME_ERROR_BAD_TYPE },
  { "type/string-word", "{\"id\":1,\"requestId\":0,\"type\":\"login\",\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_TYPE },
  { "type/float", "{\"id\":1,\"requestId\":0,\"type\":100.25,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_TYPE },
  { "type/null", "{\"id\":1,\"requestId\":0,\"type\":null,\"content\":\"{}\"}", -1,
    ALGER_FRAME_ERROR_BAD_TYPE },
  { "order/id-before-request-id", "{\"id\":true,\"requestId\":true,\"type\":true}", -1,
    ALGER_FRAME_ERROR_BAD_ID },
  { "order/request-id-before-type", "{\"id\":1,\"requestId\":true,\"type\":true}", -1,
    ALGER_FRAME_ERROR_BAD_REQUEST_ID },
  { "order/type-before-content", "{\"id\":1,\"requestId\":1,\"type\":true}", -1,
    ALGER_FRAME_ERROR_BAD_TYPE },
  /* content: missing counts as not a string (servers and the dashboard always send it) */
  { "content/missing", "{\"id\":1,\"requestId\":0,\"type\":100}", -1,
    ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/null", FRAME ("null"), -1, ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/number", FRAME ("42"), -1, ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/bool", FRAME ("false"), -1, ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/object", FRAME ("{\"username\":\"admin\"}"), -1,
    ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/array", FRAME ("[]"), -1, ALGER_FRAME_ERROR_CONTENT_NOT_STRING },
  { "content/invalid-json", FRAME ("\"{\\\"a\\\":\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/word", FRAME ("\"hello\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/blank", FRAME ("\"  \""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/single-quotes", FRAME ("\"{'a':1}\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/trailing", FRAME ("\"{} {}\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/escaped-nul", FRAME ("\"{\\\"a\\\":\\\"\\\\u0000\\\"}\""), -1,
    ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/big-double", FRAME ("\"{\\\"a\\\":1e999}\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_JSON },
  { "content/array-json", FRAME ("\"[1,2]\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT },
  { "content/number-json", FRAME ("\"1\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT },
  { "content/string-json", FRAME ("\"\\\"x\\\"\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT },
  { "content/null-json", FRAME ("\"null\""), -1, ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT },
};

static void
test_parse_invalid (gconstpointer user_data)
{
  const InvalidCase *c = user_data;
  gsize length = c->length < 0 ? strlen (c->data) : (gsize) c->length;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = alger_frame_parse (c->data, length, &error);

  g_assert_null (frame);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, c->message);
}

typedef struct {
  const char *path;
  const char *data;
  gint64 id;
  gint64 request_id;
  gint64 type;
  const char *content; /* compact JSON of the parsed content */
} ValidCase;

static const ValidCase valid_cases[] = {
  { "login", FRAME ("\"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"admin\\\"}\""), 1, 0, 100,
    "{\"username\":\"admin\",\"password\":\"admin\"}" },
  { "dashboard-102", "{\"id\":1,\"requestId\":1,\"type\":102,\"content\":\"{}\"}", 1, 1, 102, "{}" },
  { "python-spacing", "{\"id\": 3, \"requestId\": 3, \"type\": 106, \"content\": \"{\\\"executionId\\\": \\\"x\\\"}\"}",
    3, 3, 106, "{\"executionId\":\"x\"}" },
  { "whitespace", " \t\r\n{ \"id\" : 1 , \"requestId\" : 0 , \"type\" : 100 , \"content\" : \"{}\" }\n",
    1, 0, 100, "{}" },
  { "member-order", "{\"content\":\"{}\",\"type\":7,\"requestId\":8,\"id\":9}", 9, 8, 7, "{}" },
  { "extra-members", "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":\"{}\",\"x\":[1,{\"y\":null}]}",
    1, 0, 100, "{}" },
  { "duplicate-id-last-wins", "{\"id\":1,\"id\":2,\"requestId\":0,\"type\":100,\"content\":\"{}\"}", 2,
    0, 100, "{}" },
  { "content-empty", FRAME ("\"\""), 1, 0, 100, "{}" },
  { "content-padded", FRAME ("\" \\n{ } \\t\""), 1, 0, 100, "{}" },
  { "content-nested", FRAME ("\"{\\\"a\\\":[1,2.5,{\\\"b\\\":null}],\\\"c\\\":true}\""), 1, 0, 100,
    "{\"a\":[1,2.5,{\"b\":null}],\"c\":true}" },
  { "content-unicode", FRAME ("\"{\\\"s\\\":\\\"\\\\u00e9\xe2\x9c\x93\\\\ud83d\\\\ude00\\\"}\""), 1, 0,
    100, "{\"s\":\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\"}" },
  { "content-lone-surrogate", FRAME ("\"{\\\"s\\\":\\\"\\\\ud800x\\\\udc00\\\"}\""), 1, 0, 100,
    "{\"s\":\"\xef\xbf\xbdx\xef\xbf\xbd\"}" },
  { "content-big-int", FRAME ("\"{\\\"n\\\":123456789012345678901234567890}\""), 1, 0, 100,
    "{\"n\":1.2345678901234568e+29}" },
  { "string-ids", "{\"id\":\"3\",\"requestId\":\"4\",\"type\":\"103\",\"content\":\"{}\"}", 3, 4, 103,
    "{}" },
  { "string-ids-spaces", "{\"id\":\" 3\\n\",\"requestId\":\"\\t-4 \",\"type\":\"+103\",\"content\":\"{}\"}",
    3, -4, 103, "{}" },
  { "string-ids-leading-zeros", "{\"id\":\"007\",\"requestId\":\"-0\",\"type\":\"0100\",\"content\":\"{}\"}",
    7, 0, 100, "{}" },
  { "integral-doubles", "{\"id\":1.0,\"requestId\":-0.0,\"type\":1e2,\"content\":\"{}\"}", 1, 0, 100,
    "{}" },
  { "integral-double-exp", "{\"id\":2.5e1,\"requestId\":1E+3,\"type\":100.000,\"content\":\"{}\"}", 25,
    1000, 100, "{}" },
  { "double-below-2^63", "{\"id\":9.2233720368547748e18,\"requestId\":-9.223372036854775808e18,"
    "\"type\":100,\"content\":\"{}\"}", G_GINT64_CONSTANT (9223372036854774784), G_MININT64, 100, "{}" },
  { "int64-edges", "{\"id\":9223372036854775807,\"requestId\":-9223372036854775808,\"type\":0,"
    "\"content\":\"{}\"}", G_MAXINT64, G_MININT64, 0, "{}" },
  { "int64-edges-strings", "{\"id\":\"9223372036854775807\",\"requestId\":\"-9223372036854775808\","
    "\"type\":\"-1\",\"content\":\"{}\"}", G_MAXINT64, G_MININT64, -1, "{}" },
  { "unknown-type-parses", "{\"id\":5,\"requestId\":5,\"type\":150,\"content\":\"{}\"}", 5, 5, 150, "{}" },
};

static void
test_parse_valid (gconstpointer user_data)
{
  const ValidCase *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = alger_frame_parse (c->data, strlen (c->data), &error);
  g_autofree char *content = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (frame);
  g_assert_cmpint (frame->id, ==, c->id);
  g_assert_cmpint (frame->request_id, ==, c->request_id);
  g_assert_cmpint (frame->type, ==, c->type);
  g_assert_nonnull (alger_frame_get_content (frame));
  content = alger_json_object_to_string (alger_frame_get_content (frame));
  g_assert_cmpstr (content, ==, c->content);
  g_assert_cmpint (alger_frame_peek_id (c->data, strlen (c->data)), ==, c->id);
}

static void
test_parse_deep_nesting (void)
{
  gsize depth = 100000;
  g_autoptr(GString) s = g_string_new ("{\"id\":1,\"requestId\":0,\"type\":100,\"content\":\"{}\",\"x\":");
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = NULL;
  g_autoptr(GString) ok = g_string_new ("{\"a\":");
  g_autoptr(GString) outer = g_string_new (NULL);

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  frame = alger_frame_parse (s->str, s->len, &error);
  g_assert_null (frame);
  g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, ALGER_FRAME_ERROR_NOT_JSON);
  g_clear_error (&error);

  /* a content just inside the limit parses */
  for (guint i = 0; i < ALGER_JSON_MAX_DEPTH - 2; i++)
    g_string_append_c (ok, '[');
  for (guint i = 0; i < ALGER_JSON_MAX_DEPTH - 2; i++)
    g_string_append_c (ok, ']');
  g_string_append_c (ok, '}');
  alger_frame_serialize_to (outer, 1, 0, 104, ok->str);
  g_clear_pointer (&frame, alger_frame_free);
  frame = alger_frame_parse (outer->str, outer->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (frame);
}

typedef struct {
  const char *data;
  gssize length;
  gint64 id;
} PeekCase;

static void
test_peek_id (void)
{
  static const PeekCase cases[] = {
    { "{\"id\":7}", -1, 7 },
    { "{\"id\":\"8\",\"requestId\":true}", -1, 8 },
    { "{\"id\":9,\"content\":5}", -1, 9 },
    { "{\"id\":true}", -1, -1 },
    { "{\"id\":1.5}", -1, -1 },
    { "{\"id\":9223372036854775808}", -1, -1 },
    { "{}", -1, -1 },
    { "[1]", -1, -1 },
    { "{\"id\":3", -1, -1 },
    { "\xff", -1, -1 },
    { "", -1, -1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize length = cases[i].length < 0 ? strlen (cases[i].data) : (gsize) cases[i].length;
    g_assert_cmpint (alger_frame_peek_id (cases[i].data, length), ==, cases[i].id);
  }
}

static void
test_serialize_exact (void)
{
  gsize length = 0;
  g_autofree char *a = alger_frame_serialize (1, 2, 200, NULL, &length);
  g_autofree char *b = alger_frame_serialize (G_MAXINT64, G_MININT64, 395,
                                              "{\"error\":\"incorrect message id\",\"expectedId\":4}",
                                              NULL);
  g_autofree char *c = alger_frame_serialize (3, 0, 207, "{\"s\":\"a\\\"b\\\\c\\n\"}", NULL);
  g_autofree char *d = alger_frame_serialize (4, 0, 207, "{\"s\":\"\xe2\x80\xa8\xe2\x80\xa9\x7f\x01\"}",
                                              NULL);
  g_autofree char *e = alger_frame_serialize (5, 0, 207, "{\"s\":\"\xff\xc3\"}", NULL);

  g_assert_cmpstr (a, ==, "{\"id\":1,\"requestId\":2,\"type\":200,\"content\":\"{}\"}");
  g_assert_cmpuint (length, ==, strlen (a));
  g_assert_cmpstr (b, ==,
                   "{\"id\":9223372036854775807,\"requestId\":-9223372036854775808,\"type\":395,"
                   "\"content\":\"{\\\"error\\\":\\\"incorrect message id\\\",\\\"expectedId\\\":4}\"}");
  g_assert_cmpstr (c, ==,
                   "{\"id\":3,\"requestId\":0,\"type\":207,"
                   "\"content\":\"{\\\"s\\\":\\\"a\\\\\\\"b\\\\\\\\c\\\\n\\\"}\"}");
  g_assert_cmpstr (d, ==,
                   "{\"id\":4,\"requestId\":0,\"type\":207,"
                   "\"content\":\"{\\\"s\\\":\\\"\\u2028\\u2029\\u007f\\u0001\\\"}\"}");
  /* bytes that are not UTF-8 never reach the wire */
  g_assert_cmpstr (e, ==,
                   "{\"id\":5,\"requestId\":0,\"type\":207,"
                   "\"content\":\"{\\\"s\\\":\\\"\\ufffd\\ufffd\\\"}\"}");
}

static const char *const roundtrip_strings[] = {
  "",
  "plain",
  "quote \" and backslash \\ and slash /",
  "\\\"\\\\\"\"",
  "\b\f\n\r\t",
  "\x01\x02\x03\x04\x05\x06\x07\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
  "\x1e\x1f\x7f",
  "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
  "line\xe2\x80\xa8separator\xe2\x80\xa9paragraph",
  "</script><script>alert(1)</script>",
  "{\"not\":\"parsed\"}",
  "\\u0041 is not an escape here",
};

static void
test_serialize_roundtrip (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (roundtrip_strings); i++) {
    const char *s = roundtrip_strings[i];
    g_autoptr(JsonObject) obj = json_object_new ();
    g_autofree char *content = NULL;
    g_autofree char *wire = NULL;
    g_autofree char *again = NULL;
    g_autoptr(AlgerFrame) frame = NULL;
    g_autoptr(GError) error = NULL;
    gsize length = 0;
    gint64 id = (gint64) i * 1000003 - 7;

    json_object_set_string_member (obj, "s", s);
    json_object_set_int_member (obj, "n", -(gint64) i);
    json_object_set_double_member (obj, "d", 0.1 * (double) i);
    content = alger_json_object_to_string (obj);
    wire = alger_frame_serialize (id, id + 1, 200 + (gint64) i, content, &length);
    g_assert_cmpuint (length, ==, strlen (wire));
    /* compact, no raw control characters or line separators on the wire */
    for (const char *p = wire; *p != '\0'; p++)
      g_assert_cmpint ((guchar) *p, >=, 0x20);
    g_assert_null (strstr (wire, "\xe2\x80\xa8"));
    g_assert_null (strstr (wire, "\xe2\x80\xa9"));

    frame = alger_frame_parse (wire, length, &error);
    g_assert_no_error (error);
    g_assert_cmpint (frame->id, ==, id);
    g_assert_cmpint (frame->request_id, ==, id + 1);
    g_assert_cmpint (frame->type, ==, 200 + (gint64) i);
    g_assert_cmpstr (json_object_get_string_member (alger_frame_get_content (frame), "s"), ==, s);
    g_assert_cmpint (json_object_get_int_member (alger_frame_get_content (frame), "n"), ==, -(gint64) i);
    g_assert_cmpfloat (json_object_get_double_member (alger_frame_get_content (frame), "d"), ==, 0.1 * (double) i);
    again = alger_json_object_to_string (alger_frame_get_content (frame));
    g_assert_cmpstr (again, ==, content);

    /* json-glib reads what we write */
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, wire, (gssize) length, &error));
      g_assert_no_error (error);
    }
  }
}

typedef struct {
  double value;
  const char *text;
} DoubleCase;

/* expected texts are Python's repr() */
static void
test_format_double (void)
{
  static const DoubleCase cases[] = {
    { 1.0, "1.0" },
    { -1.0, "-1.0" },
    { 0.0, "0.0" },
    { -0.0, "-0.0" },
    { 0.1, "0.1" },
    { 0.5, "0.5" },
    { 12.345, "12.345" },
    { 100.0, "100.0" },
    { 12243.0, "12243.0" },
    { 0.0001, "0.0001" },
    { 0.00001, "1e-05" },
    { 1.5e-05, "1.5e-05" },
    { 8.710262733302443e-08, "8.710262733302443e-08" },
    { 1e15, "1000000000000000.0" },
    { 1e16, "1e+16" },
    { 9999999999999998.0, "9999999999999998.0" },
    { 1234560000000.0, "1234560000000.0" },
    { 123456789012345678.0, "1.2345678901234568e+17" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 2.2250738585072014e-308, "2.2250738585072014e-308" },
    { 1.0 / 3.0, "0.3333333333333333" },
    { 2.0 / 3.0, "0.6666666666666666" },
    { 29.99984, "29.99984" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    char buf[32];
    g_assert_cmpstr (alger_json_format_double (cases[i].value, buf), ==, cases[i].text);
  }
}

/* the formatter as it was before the 15/16/17-digit shortcut (binary search
 * over the precision), kept as the reference the new one must equal */
static const char *
reference_format_double (double value, char *buf)
{
  char digits[32];
  char tmp[40];
  int n_digits = 0;
  int exponent = 0;
  int decpt;
  char *o = buf;
  const char *e;

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
  {
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
  }
  for (const char *c = tmp; *c != '\0' && *c != 'e'; c++)
    if (g_ascii_isdigit (*c))
      digits[n_digits++] = *c;
  e = strchr (tmp, 'e');
  exponent = e != NULL ? atoi (e + 1) : 0;
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

static double
bits_to_double (guint64 bits)
{
  double d;
  memcpy (&d, &bits, sizeof d);
  return d;
}

static guint64
rand_u64 (void)
{
  return ((guint64) g_test_rand_int () << 32) ^ (guint32) g_test_rand_int ();
}

/* one random double of a kind the engine meets (or an edge of the format) */
static double
random_double (guint kind)
{
  switch (kind % 12) {
  case 0: /* any bit pattern */
    return bits_to_double (rand_u64 ());
  case 1: { /* float32 values widened, as the engine's arrays give them */
    guint32 b = (guint32) g_test_rand_int ();
    float f;
    memcpy (&f, &b, sizeof f);
    return (double) f;
  }
  case 2: /* float32 arithmetic in [0, 1) */
    return (double) ((float) g_test_rand_double () * (float) g_test_rand_double ());
  case 3: /* subnormals */
    return bits_to_double (rand_u64 () & G_GUINT64_CONSTANT (0x800FFFFFFFFFFFFF));
  case 4: /* integers, up to and past 2^53 */
    return (double) (gint64) (rand_u64 () >> g_test_rand_int_range (0, 63)) *
           (g_test_rand_bit () ? 1 : -1);
  case 5: /* powers of ten and their neighbours */
  {
    double p = pow (10.0, g_test_rand_int_range (-330, 310));
    switch (g_test_rand_int_range (0, 3)) {
    case 0: return p;
    case 1: return nextafter (p, 0);
    default: return nextafter (p, INFINITY);
    }
  }
  case 6: /* powers of two (asymmetric rounding interval) and neighbours */
  {
    double p = ldexp (1.0, g_test_rand_int_range (-1074, 1024));
    switch (g_test_rand_int_range (0, 3)) {
    case 0: return p;
    case 1: return nextafter (p, 0);
    default: return nextafter (p, INFINITY);
    }
  }
  case 7: /* short decimals (few digits), scaled */
    return (double) g_test_rand_int_range (-99999, 100000) *
           pow (10.0, g_test_rand_int_range (-25, 25));
  case 8: /* decimals of up to 17 digits */
  {
    char text[48];
    g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT "e%d",
                rand_u64 () % G_GUINT64_CONSTANT (100000000000000000),
                g_test_rand_int_range (-40, 40));
    return g_ascii_strtod (text, NULL);
  }
  case 9: /* ordinary magnitudes */
    return g_test_rand_double_range (-1e6, 1e6);
  case 10: /* a random exponent, any mantissa, around the fixed/exponent switch */
    return ldexp (g_test_rand_double_range (0.5, 1.0), g_test_rand_int_range (-20, 60));
  default: /* near the extremes */
    return g_test_rand_bit () ? bits_to_double (G_GUINT64_CONSTANT (0x7FEFFFFFFFFFFFFF) - (rand_u64 () % 1000000))
                              : bits_to_double (G_GUINT64_CONSTANT (0x0010000000000000) + (rand_u64 () % 1000000));
  }
}

/* the new formatter against the old one on a few million doubles; set
 * ALGER_FORMAT_DOUBLE_N to run more */
static void
test_format_double_reference (void)
{
  static const double fixed[] = { 0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e15, 1e16, 1e17, 1e22, 1e23,
                                  9007199254740992.0, 9007199254740993.0, 5e-324, 1e-323,
                                  2.2250738585072014e-308, 2.2250738585072009e-308,
                                  1.7976931348623157e308, 0.30000000000000004, 1e-4, 1e-5,
                                  9.9999999999999995e-05, 0.9999999999999999, 99999999999999.99,
                                  123456789012345678.0, 29.99984, 1.0 / 3.0, 2.0 / 3.0 };
  const char *env = g_getenv ("ALGER_FORMAT_DOUBLE_N");
  guint64 n = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 1200000;
  guint64 mismatches = 0;

  for (guint64 i = 0; i < G_N_ELEMENTS (fixed) + n; i++) {
    double d = i < G_N_ELEMENTS (fixed) ? fixed[i] : random_double ((guint) i);
    char got[32], want[32];

    if (!isfinite (d))
      continue;
    alger_json_format_double (d, got);
    reference_format_double (d, want);
    if (strcmp (got, want) != 0 && mismatches++ < 20)
      g_test_message ("%.17g: got %s, reference %s", d, got, want);
    /* -d now and then: the sign is only a prefix, but say so */
    if (i % 8 != 0)
      continue;
    alger_json_format_double (-d, got);
    reference_format_double (-d, want);
    if (strcmp (got, want) != 0 && mismatches++ < 20)
      g_test_message ("%.17g: got %s, reference %s", -d, got, want);
  }
  g_assert_cmpuint (mismatches, ==, 0);
}

static void
test_error_content (void)
{
  g_autofree char *a = alger_frame_error_content ("Unsupported message type: 150");
  g_autofree char *b = alger_frame_error_content ("user 'a\"b\\c\n' not found");
  g_autofree char *c = alger_frame_error_content (NULL);

  g_assert_cmpstr (a, ==, "{\"error\":\"Unsupported message type: 150\"}");
  g_assert_cmpstr (b, ==, "{\"error\":\"user 'a\\\"b\\\\c\\n' not found\"}");
  g_assert_cmpstr (c, ==, "{\"error\":\"\"}");
}

static void
test_type_is_request (void)
{
  static const gint64 yes[] = { 100, 101, 102, 103, 104, 106, 107 };
  static const gint64 no[] = { 0, -100, 99, 105, 108, 150, 200, 395, 396, G_MAXINT64, G_MININT64 };

  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    g_assert_true (alger_frame_type_is_request (yes[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (no); i++)
    g_assert_false (alger_frame_type_is_request (no[i]));
}

typedef struct {
  const char *data;
  gssize length;
  const char *payload;
} AuditCase;

static void
test_audit_payload (void)
{
  static const AuditCase cases[] = {
    /* as the original stored it */
    { FRAME ("\"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"admin\\\"}\""), -1,
      "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":{\"username\":\"admin\",\"password\":\"admin\"}}" },
    { "{\"id\": 3, \"requestId\": 0, \"type\": 102, \"content\": \"\"}", -1,
      "{\"id\":3,\"requestId\":0,\"type\":102,\"content\":{}}" },
    { "{\"content\":\"[1,2]\",\"id\":\"4\"}", -1, "{\"content\":[1,2],\"id\":\"4\"}" },
    { FRAME ("\"{oops\""), -1, "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":\"{oops\"}" },
    { FRAME ("7"), -1, "{\"id\":1,\"requestId\":0,\"type\":100,\"content\":7}" },
    { "{\"id\":1}", -1, "{\"id\":1}" },
    { "hello", -1, "\"hello\"" },
    { "[1, 2]", -1, "\"[1, 2]\"" },
    { "", -1, "\"\"" },
    { "say \"hi\"\n", -1, "\"say \\\"hi\\\"\\n\"" },
    { "\xff{\"id\":1}", -1, "\"\\ufffd{\\\"id\\\":1}\"" },
    { "a\0b", 3, "\"a\\u0000b\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize length = cases[i].length < 0 ? strlen (cases[i].data) : (gsize) cases[i].length;
    g_autofree char *payload = alger_frame_audit_payload (cases[i].data, length);
    g_assert_cmpstr (payload, ==, cases[i].payload);
  }
}

/* never crash, never leak, and whatever parses is self-consistent */
static void
check_any_input (const char *data, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = alger_frame_parse (data, length, &error);
  g_autofree char *audit = alger_frame_audit_payload (data, length);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gint64 peek = alger_frame_peek_id (data, length);

  if (frame != NULL) {
    g_autofree char *content = alger_json_object_to_string (alger_frame_get_content (frame));
    g_autofree char *wire = NULL;
    g_autoptr(AlgerFrame) again = NULL;
    gsize wire_len = 0;

    g_assert_no_error (error);
    g_assert_cmpint (peek, ==, frame->id);
    wire = alger_frame_serialize (frame->id, frame->request_id, frame->type, content, &wire_len);
    again = alger_frame_parse (wire, wire_len, &error);
    g_assert_no_error (error);
    g_assert_cmpint (again->id, ==, frame->id);
    g_assert_cmpint (again->request_id, ==, frame->request_id);
    g_assert_cmpint (again->type, ==, frame->type);
  } else {
    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL);
  }
  /* the audit payload is always JSON */
  g_assert_true (json_parser_load_from_data (parser, audit, -1, NULL));
}

static void
test_fuzz_random (void)
{
  static const char alphabet[] = "{}[]\",:\\ 0123456789-+.eEtrufalsn\"idrequestIdtypecontent\x01\xc3\xa9\xff";
  guint iterations = g_test_slow () ? 200000 : 20000;

  for (guint i = 0; i < iterations; i++) {
    gsize length = (gsize) g_test_rand_int_range (0, 64);
    g_autofree char *data = g_malloc (length + 1);
    gboolean from_alphabet = g_test_rand_bit ();

    for (gsize j = 0; j < length; j++)
      data[j] = from_alphabet ? alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)]
                              : (char) g_test_rand_int_range (0, 256);
    data[length] = '\0';
    check_any_input (data, length);
  }
}

/* @seed with one to three random edits: a byte replaced (by one in
 * [@lowest, 256) when @lowest is 0, else in [@lowest, 128)), the text cut, a
 * byte erased, or a byte of @inserts inserted */
static GString *
mutated (const char *seed, guint lowest, const char *inserts)
{
  GString *s = g_string_new (seed);
  guint n_mutations = (guint) g_test_rand_int_range (1, 4);

  for (guint m = 0; m < n_mutations && s->len > 0; m++) {
    gsize at = (gsize) g_test_rand_int_range (0, (gint32) s->len);
    switch (g_test_rand_int_range (0, 4)) {
    case 0:
      s->str[at] = (char) g_test_rand_int_range ((gint32) lowest, lowest == 0 ? 256 : 128);
      break;
    case 1:
      g_string_truncate (s, at);
      break;
    case 2:
      g_string_erase (s, (gssize) at, 1);
      break;
    default:
      g_string_insert_c (s, (gssize) at,
                         inserts[g_test_rand_int_range (0, (gint32) strlen (inserts))]);
    }
  }
  return s;
}

static void
test_fuzz_mutations (void)
{
  static const char *const seeds[] = {
    FRAME ("\"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"admin\\\"}\""),
    "{\"id\":\"12\",\"requestId\":12,\"type\":104,\"content\":\"{\\\"graph\\\":{\\\"a\\\":[1,2.5e3,null,true]}}\"}",
    "{\"id\":1.0,\"requestId\":-0,\"type\":1e2,\"content\":\"\"}",
  };
  guint iterations = g_test_slow () ? 200000 : 20000;

  for (guint i = 0; i < iterations; i++) {
    g_autoptr(GString) s = mutated (seeds[i % G_N_ELEMENTS (seeds)], 0, "\"\\{}[]:,0-e.");

    check_any_input (s->str, s->len);
  }
}

/* alger_json_check_utf8() accepts exactly what alger_json_parse_utf8() reads,
 * with the same error text and the root's type */
static void
assert_check_matches_parse (const char *data, gsize length)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GError) check_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonNodeType type = JSON_NODE_NULL;
  gboolean ok;

  if (!g_utf8_validate_len (data, length, NULL))
    return;
  node = alger_json_parse_utf8 (data, length, NULL, &parse_error);
  ok = alger_json_check_utf8 (data, length, &type, &check_error);
  if (node != NULL) {
    g_assert_true (ok);
    g_assert_no_error (check_error);
    g_assert_cmpint (type, ==, json_node_get_node_type (node));
  } else {
    g_assert_false (ok);
    g_assert_error (check_error, ALGER_ERROR, ALGER_ERROR_INVALID_ARGS);
    g_assert_cmpstr (check_error->message, ==, parse_error->message);
  }
}

static void
test_check_matches_parse (void)
{
  static const char *const seeds[] = {
    "{\"graph\":{\"nodes\":[{\"id\":\"n-1\",\"data\":{\"kind\":\"dataset\",\"params\":"
    "{\"shape\":[6,64,64],\"seed\":7}}}],\"edges\":[]},\"strategy\":\"kahn\",\"p\":null}",
    "[1,-0,2.5e-3,1E+2,true,false,null,\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"]",
    "{\"big\":123456789012345678901234567890,\"neg\":-9223372036854775808,\"s\":\"\\ud800x\"}",
    " { \"a\" : [ { } , [ ] , \"\" ] } ",
  };
  static const char *const fixed[] = {
    "", " ", "1e400", "-1e400", "1e-400", "0", "-0", "01", "1.", ".5", "+1", "nul", "truex", "\"\\u0000\"",
    "\"\\x\"", "\"\x01\"", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "[", "]", "\"abc", "\"\\u12\"",
  };
  g_autofree char *dag = NULL;
  g_autofree char *dag_path = NULL;
  guint iterations = g_test_slow () ? 200000 : 20000;

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    assert_check_matches_parse (fixed[i], strlen (fixed[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    assert_check_matches_parse (seeds[i], strlen (seeds[i]));
  dag_path = g_build_filename (g_getenv ("ALGER_SHARED_DIR") != NULL ? g_getenv ("ALGER_SHARED_DIR")
                                                                       : "../shared",
                               "fixtures", "test_DAG.json", NULL);
  if (g_file_get_contents (dag_path, &dag, NULL, NULL))
    assert_check_matches_parse (dag, strlen (dag));

  for (guint i = 0; i < iterations; i++) {
    /* ASCII only: alger_json_check_utf8() takes checked UTF-8 */
    g_autoptr(GString) s = mutated (seeds[i % G_N_ELEMENTS (seeds)], 1, "\"\\{}[]:,0-e.u");

    assert_check_matches_parse (s->str, s->len);
  }
}

/* The frame reader as it was when it built the outer object as a tree: the
 * reference the text reader must agree with, verdict, message and fields. */
static gboolean
ref_decimal_string (const char *s, gint64 *out)
{
  const char *p = s;
  gboolean negative = FALSE;
  guint64 value = 0, limit;
  gboolean any = FALSE;

  while (g_ascii_isspace (*p))
    p++;
  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (; g_ascii_isdigit (*p); p++, any = TRUE) {
    guint digit = (guint) (*p - '0');
    if (value > (limit - digit) / 10)
      return FALSE;
    value = value * 10 + digit;
  }
  while (g_ascii_isspace (*p))
    p++;
  if (!any || *p != '\0')
    return FALSE;
  *out = negative ? (gint64) (0 - value) : (gint64) value;
  return TRUE;
}

static gboolean
ref_member_int (JsonObject *obj, const char *name, GPtrArray *big_ints, gint64 *out)
{
  JsonNode *node = json_object_get_member (obj, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64) {
    *out = json_node_get_int (node);
    return TRUE;
  }
  if (type == G_TYPE_DOUBLE) {
    double d = json_node_get_double (node);
    for (guint i = 0; i < big_ints->len; i++)
      if (g_ptr_array_index (big_ints, i) == node)
        return FALSE;
    if (!isfinite (d) || d != floor (d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
      return FALSE;
    *out = (gint64) d;
    return TRUE;
  }
  if (type == G_TYPE_STRING)
    return ref_decimal_string (json_node_get_string (node), out);
  return FALSE;
}

/* NULL and the 396 text, or the frame's fields */
static const char *
ref_parse (const char *data, gsize length, gint64 ints[3], char **content_text)
{
  g_autoptr(GPtrArray) big_ints = g_ptr_array_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) content = NULL;
  static const char *const names[3] = { "id", "requestId", "type" };
  static const char *const errors[3] = { ALGER_FRAME_ERROR_BAD_ID, ALGER_FRAME_ERROR_BAD_REQUEST_ID,
                                         ALGER_FRAME_ERROR_BAD_TYPE };
  JsonNode *member;
  const char *text;

  *content_text = NULL;
  {
    /* WebSocket's UTF-8: NUL allowed */
    const char *p = data, *end = data + length;
    while (p < end) {
      const char *nul = memchr (p, '\0', (gsize) (end - p));
      const char *stop = nul != NULL ? nul : end;
      if (!g_utf8_validate_len (p, (gsize) (stop - p), NULL))
        return ALGER_FRAME_ERROR_BINARY_NOT_UTF8;
      p = nul != NULL ? nul + 1 : end;
    }
  }
  root = alger_json_parse_utf8 (data, length, big_ints, NULL);
  if (root == NULL)
    return ALGER_FRAME_ERROR_NOT_JSON;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return ALGER_FRAME_ERROR_NOT_OBJECT;
  for (guint i = 0; i < 3; i++)
    if (!ref_member_int (json_node_get_object (root), names[i], big_ints, &ints[i]))
      return errors[i];
  member = json_object_get_member (json_node_get_object (root), "content");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return ALGER_FRAME_ERROR_CONTENT_NOT_STRING;
  text = json_node_get_string (member);
  if (text[0] == '\0') {
    *content_text = g_strdup ("{}");
    return NULL;
  }
  content = alger_json_parse_utf8 (text, strlen (text), NULL, NULL);
  if (content == NULL)
    return ALGER_FRAME_ERROR_CONTENT_NOT_JSON;
  if (!JSON_NODE_HOLDS_OBJECT (content))
    return ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT;
  *content_text = g_strdup (text);
  return NULL;
}

static void
assert_parse_matches_tree (const char *data, gsize length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = alger_frame_parse (data, length, &error);
  g_autofree char *ref_content = NULL;
  gint64 ref_ints[3] = { -1, 0, 0 };
  const char *ref_error = ref_parse (data, length, ref_ints, &ref_content);

  if (ref_error != NULL) {
    g_assert_null (frame);
    g_assert_error (error, ALGER_ERROR, ALGER_ERROR_PROTOCOL);
    g_assert_cmpstr (error->message, ==, ref_error);
    /* the id is known once the text is an object with a good id */
    g_assert_cmpint (alger_frame_peek_id (data, length), ==, ref_ints[0]);
    return;
  }
  g_assert_no_error (error);
  g_assert_cmpint (frame->id, ==, ref_ints[0]);
  g_assert_cmpint (frame->request_id, ==, ref_ints[1]);
  g_assert_cmpint (frame->type, ==, ref_ints[2]);
  g_assert_cmpstr (frame->content_text, ==, ref_content);
  g_assert_cmpint (alger_frame_peek_id (data, length), ==, ref_ints[0]);
}

static void
test_parse_matches_tree (void)
{
  static const char *const seeds[] = {
    FRAME ("\"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"admin\\\"}\""),
    "{\"id\":\"12\",\"requestId\":12,\"type\":104,\"content\":\"{\\\"graph\\\":{\\\"a\\\":[1,2.5e3,null,true]}}\"}",
    "{\"id\":1.0,\"requestId\":-0,\"type\":1e2,\"content\":\"\"}",
    "{\"\\u0069d\":9223372036854775807,\"requestId\":-9223372036854775808,\"type\":\" 7 \",\"content\":\"{}\",\"id\":3}",
    "{\"id\":99999999999999999999,\"requestId\":1,\"type\":1,\"content\":\"{\\\"s\\\":\\\"\\\\u00e9\\\"}\"}",
    " {\"type\" : 101 , \"content\" : \"{ }\" , \"requestId\" : 2.5 , \"id\" : 2 } ",
  };
  guint iterations = g_test_slow () ? 200000 : 20000;

  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    assert_parse_matches_tree (seeds[i], strlen (seeds[i]));
  for (guint i = 0; i < iterations; i++) {
    g_autoptr(GString) s = mutated (seeds[i % G_N_ELEMENTS (seeds)], 0, "\"\\{}[]:,0-e.u9");

    assert_parse_matches_tree (s->str, s->len);
  }
}

/* a string member of the content, read from its text, agrees with the tree */
static void
test_content_string (void)
{
  static const struct {
    const char *content;
    const char *expect;
    gboolean wrong_type;
  } cases[] = {
    { "{}", NULL, FALSE },
    { "{\"userId\":null}", NULL, FALSE },
    { "{\"userId\":\"admin\"}", "admin", FALSE },
    { "{\"a\":[1,{\"userId\":2}],\"userId\":\"x\\\"y\\u00e9\"}", "x\"y\xc3\xa9", FALSE },
    { "{\"us\\u0065rId\":\"esc\"}", "esc", FALSE },
    { "{\"userId\":\"first\",\"userId\":\"last\"}", "last", FALSE },
    { "{\"userId\":\"\"}", "", FALSE },
    { "{\"userId\":5}", NULL, TRUE },
    { "{\"userId\":{\"userId\":\"n\"}}", NULL, TRUE },
    { "{\"userId\":false}", NULL, TRUE },
    { "{\"userIdx\":\"no\"}", NULL, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GString) text = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(AlgerFrame) frame = NULL;
    g_autofree char *got = NULL;
    gboolean wrong_type = !cases[i].wrong_type;
    JsonNode *member;

    alger_frame_serialize_to (text, 1, 1, 101, cases[i].content);
    frame = alger_frame_parse (text->str, text->len, &error);
    g_assert_no_error (error);
    got = alger_frame_dup_content_string (frame, "userId", &wrong_type);
    g_assert_cmpstr (got, ==, cases[i].expect);
    g_assert_cmpint (wrong_type, ==, cases[i].wrong_type);
    /* the same verdict as the content built as a tree */
    member = json_object_get_member (alger_frame_get_content (frame), "userId");
    if (cases[i].expect != NULL)
      g_assert_cmpstr (json_node_get_string (member), ==, cases[i].expect);
    else if (!cases[i].wrong_type)
      g_assert_true (member == NULL || JSON_NODE_HOLDS_NULL (member));
  }
}

/* byte by byte, as alger_json_append_string() is specified: '"', '\\',
 * control bytes and DEL escaped, U+2028/U+2029 as \u escapes, bytes that
 * are not UTF-8 as \ufffd, other UTF-8 as it is */
static void
ref_append_string (GString *out, const char *s, gsize len)
{
  const guchar *p = (const guchar *) s, *end = p + len;

  g_string_append_c (out, '"');
  while (p < end) {
    if (*p >= 0x80) {
      const char *next = NULL;
      gsize n;

      if (!g_utf8_validate_len ((const char *) p, MIN ((gsize) (end - p), (gsize) 4), &next) &&
          next == (const char *) p) {
        g_string_append (out, "\\ufffd");
        p++;
        continue;
      }
      n = (gsize) (g_utf8_next_char (p) - (const char *) p);
      if (n > (gsize) (end - p) || !g_utf8_validate_len ((const char *) p, n, NULL)) {
        g_string_append (out, "\\ufffd");
        p++;
        continue;
      }
      if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        g_string_append (out, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
      else
        g_string_append_len (out, (const char *) p, (gssize) n);
      p += n;
      continue;
    }
    switch (*p) {
    case '"': g_string_append (out, "\\\""); break;
    case '\\': g_string_append (out, "\\\\"); break;
    case '\b': g_string_append (out, "\\b"); break;
    case '\f': g_string_append (out, "\\f"); break;
    case '\n': g_string_append (out, "\\n"); break;
    case '\r': g_string_append (out, "\\r"); break;
    case '\t': g_string_append (out, "\\t"); break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
    p++;
  }
  g_string_append_c (out, '"');
}

/* the writer agrees with the byte-by-byte reference on random strings long
 * enough for its sixteen-byte scan, with every kind of byte at every offset */
static void
test_append_string_reference (void)
{
  static const char *const pieces[] = {
    "a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9",
    "\xe2\x80\xa8", "\xe2\x80\xa9", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xe2\x80",
    "abcdefghijklmnop", "/",
  };
  guint iterations = g_test_slow () ? 200000 : 20000;

  for (guint i = 0; i < iterations; i++) {
    g_autoptr(GString) in = g_string_new (NULL);
    g_autoptr(GString) got = g_string_new ("x");
    g_autoptr(GString) want = g_string_new ("x");
    guint n = (guint) g_test_rand_int_range (0, 24);

    for (guint k = 0; k < n; k++)
      g_string_append (in, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
    alger_json_append_string (got, in->str, (gssize) in->len);
    ref_append_string (want, in->str, in->len);
    g_assert_cmpstr (got->str, ==, want->str);
  }
}

/* strings with escapes decode to what was encoded, wherever the escapes
 * fall against the reader's sixteen-byte steps; a cut anywhere fails */
static void
test_decode_escapes (void)
{
  static const struct {
    const char *raw;
    const char *const enc[3];
  } pieces[] = {
    { "a", { "a", "\\u0061", "a" } },
    { "abcdefghijklmnopq", { "abcdefghijklmnopq", "abcdefghijklmnopq", "abcdefghijklmnopq" } },
    { "\"", { "\\\"", "\\u0022", "\\\"" } },
    { "\\", { "\\\\", "\\u005c", "\\\\" } },
    { "/", { "/", "\\/", "/" } },
    { "\n", { "\\n", "\\u000a", "\\n" } },
    { "\t", { "\\t", "\\u0009", "\\t" } },
    { "\b", { "\\b", "\\u0008", "\\b" } },
    { "\f", { "\\f", "\\u000C", "\\f" } },
    { "\r", { "\\r", "\\u000d", "\\r" } },
    { "\x01", { "\\u0001", "\\u0001", "\\u0001" } },
    { "\xc3\xa9", { "\xc3\xa9", "\\u00e9", "\xc3\xa9" } },
    { "\xf0\x9f\x98\x80", { "\xf0\x9f\x98\x80", "\\ud83d\\ude00", "\xf0\x9f\x98\x80" } },
  };
  guint iterations = g_test_slow () ? 100000 : 10000;

  for (guint i = 0; i < iterations; i++) {
    g_autoptr(GString) raw = g_string_new (NULL);
    g_autoptr(GString) text = g_string_new ("[");
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    guint n = (guint) g_test_rand_int_range (0, 40);
    guint pad = (guint) g_test_rand_int_range (0, 16);
    gsize cut;

    for (guint k = 0; k < pad; k++)
      g_string_append_c (text, ' ');
    g_string_append_c (text, '"');
    for (guint k = 0; k < n; k++) {
      guint which = (guint) g_test_rand_int_range (0, G_N_ELEMENTS (pieces));

      g_string_append (raw, pieces[which].raw);
      g_string_append (text, pieces[which].enc[g_test_rand_int_range (0, 3)]);
    }
    g_string_append (text, "\", 1]");

    node = alger_json_parse (text->str, text->len, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_array_get_string_element (json_node_get_array (node), 0), ==, raw->str);
    g_assert_true (alger_json_check_utf8 (text->str, text->len, NULL, NULL));

    /* cut inside the string (before its closing quote): always an error */
    cut = (gsize) g_test_rand_int_range ((gint) pad + 1, (gint) text->len - 4);
    g_clear_pointer (&node, json_node_unref);
    g_clear_error (&error);
    node = alger_json_parse (text->str, cut, NULL, &error);
    g_assert_null (node);
    g_assert_nonnull (error);
    g_assert_false (alger_json_check_utf8 (text->str, cut, NULL, NULL));
  }
}

/* integers written without printf read the same as printf's */
static void
test_append_int (void)
{
  const gint64 values[] = { 0, 1, -1, 9, 10, -10, 99, 100, 12345678901LL, G_MAXINT32,
                            G_MININT32, G_MAXINT64, G_MININT64, G_MAXINT64 - 1,
                            G_MININT64 + 1 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
    g_autoptr(GString) out = g_string_new ("x");
    g_autofree char *want = g_strdup_printf ("x%" G_GINT64_FORMAT, values[i]);

    alger_json_append_int (out, values[i]);
    g_assert_cmpstr (out->str, ==, want);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/frame/parse/invalid/%s", invalid_cases[i].path);
    g_test_add_data_func (path, &invalid_cases[i], test_parse_invalid);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (valid_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/frame/parse/valid/%s", valid_cases[i].path);
    g_test_add_data_func (path, &valid_cases[i], test_parse_valid);
  }
  g_test_add_func ("/alger/frame/parse/deep-nesting", test_parse_deep_nesting);
  g_test_add_func ("/alger/frame/peek-id", test_peek_id);
  g_test_add_func ("/alger/frame/serialize/exact", test_serialize_exact);
  g_test_add_func ("/alger/frame/serialize/roundtrip", test_serialize_roundtrip);
  g_test_add_func ("/alger/frame/json/format-double", test_format_double);
  g_test_add_func ("/alger/frame/json/format-double/reference", test_format_double_reference);
  g_test_add_func ("/alger/frame/error-content", test_error_content);
  g_test_add_func ("/alger/frame/type-is-request", test_type_is_request);
  g_test_add_func ("/alger/frame/audit-payload", test_audit_payload);
  g_test_add_func ("/alger/frame/fuzz/random", test_fuzz_random);
  g_test_add_func ("/alger/frame/fuzz/mutations", test_fuzz_mutations);
  g_test_add_func ("/alger/frame/json/check-matches-parse", test_check_matches_parse);
  g_test_add_func ("/alger/frame/parse/matches-tree-reader", test_parse_matches_tree);
  g_test_add_func ("/alger/frame/content-string", test_content_string);
  g_test_add_func ("/alger/frame/json/append-string-reference", test_append_string_reference);
  g_test_add_func ("/alger/frame/json/decode-escapes", test_decode_escapes);
  g_test_add_func ("/alger/frame/json/append-int", test_append_int);

  return g_test_run ();
}
