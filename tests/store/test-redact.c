/* test-redact.c: table-driven tests of the redaction helpers */
#include "alger-redact.h"

typedef struct {
  const char *path;
  const char *in;
  const char *out;
} Case;

/* alger_redact_json_text(): JSON in, compact JSON out (or unchanged text) */
static const Case json_cases[] = {
  { "flat", "{\"password\":\"admin\"}", "{\"password\":\"[redacted]\"}" },
  { "login", "{\"id\":1,\"type\":100,\"content\":{\"username\":\"admin\",\"password\":\"admin\"}}",
    "{\"id\":1,\"type\":100,\"content\":{\"username\":\"admin\",\"password\":\"[redacted]\"}}" },
  { "case", "{\"Password\":\"a\",\"PASSWORD\":\"b\",\"pAsSwOrD\":\"c\"}",
    "{\"Password\":\"[redacted]\",\"PASSWORD\":\"[redacted]\",\"pAsSwOrD\":\"[redacted]\"}" },
  { "arrays", "[{\"password\":\"a\"},{\"b\":[{\"password\":1},[{\"password\":null}]]}]",
    "[{\"password\":\"[redacted]\"},{\"b\":[{\"password\":\"[redacted]\"},[{\"password\":\"["
    "redacted]\"}]]}]" },
  { "non-string", "{\"password\":{\"x\":\"y\"},\"n\":{\"password\":[1,2]}}",
    "{\"password\":\"[redacted]\",\"n\":{\"password\":\"[redacted]\"}}" },
  { "graph",
    "{\"graph\":{\"pipeline\":{\"meta\":{\"server\":{\"host\":\"localhost\",\"user\":\"admin\","
    "\"password\":\"admin\",\"connected\":false}}}}}",
    "{\"graph\":{\"pipeline\":{\"meta\":{\"server\":{\"host\":\"localhost\",\"user\":\"admin\","
    "\"password\":\"[redacted]\",\"connected\":false}}}}}" },
  { "unicode-key", "{\"p\\u0061ssword\":\"admin\"}", "{\"password\":\"[redacted]\"}" },
  { "unchanged-keeps-format", "{ \"a\": 1, \"b\": [true, null] }",
    "{ \"a\": 1, \"b\": [true, null] }" },
  { "other-keys", "{\"passwordHint\":\"x\",\"token\":\"t\",\"msg\":\"wrong password\"}",
    "{\"passwordHint\":\"x\",\"token\":\"t\",\"msg\":\"wrong password\"}" },
  { "already", "{\"password\":\"[redacted]\"}", "{\"password\":\"[redacted]\"}" },
  /* not JSON: text patterns */
  { "text-query", "username=admin&password=admin", "username=admin&password=[redacted]" },
  { "text-truncated-json", "{\"content\":{\"password\":\"admin\"",
    "{\"content\":{\"password\":\"[redacted]\"" },
  { "text-colon", "login failed, password: hunter2 now",
    "login failed, password: [redacted] now" },
  { "text-escaped-json", "payload={\\\"password\\\":\\\"admin\\\"}",
    "payload={\\\"password\\\":\\\"[redacted]\\\"}" },
  { "text-plain", "no credentials here", "no credentials here" },
  { "text-encoded-key", "oops p%61ssword=admin&x=1", "oops p%61ssword=[redacted]&x=1" },
};

static const Case credential_cases[] = {
  { "tokens",
    "{\"token\":\"abc\",\"auth\":{\"Authorization\":\"Bearer x\"},\"secret\":{\"a\":\"b\",\"n\":1},"
    "\"password\":\"p\",\"keep\":\"k\"}",
    "{\"token\":\"[redacted]\",\"auth\":{\"Authorization\":\"[redacted]\"},\"secret\":{\"a\":\"["
    "redacted]\",\"n\":1},\"password\":\"[redacted]\",\"keep\":\"k\"}" },
  { "nested-array", "[{\"SECRET\":[\"a\",{\"b\":\"c\"}]}]",
    "[{\"SECRET\":[\"[redacted]\",{\"b\":\"[redacted]\"}]}]" },
  { "none", "{\"tok\":\"x\"}", "{\"tok\":\"x\"}" },
};

static const Case query_cases[] = {
  { "last", "/?username=admin&password=admin", "/?username=admin&password=[redacted]" },
  { "first", "/?password=admin&username=admin", "/?password=[redacted]&username=admin" },
  { "upper", "/ws?PASSWORD=x", "/ws?PASSWORD=[redacted]" },
  { "encoded-key", "/?p%61ssword=admin", "/?p%61ssword=[redacted]" },
  { "all-encoded-key", "/?%70%61%73%73%77%6F%72%64=admin&a=b", "/?%70%61%73%73%77%6F%72%64=[redacted]&a=b" },
  { "encoded-value", "/?password=s%20x%26y&u=1", "/?password=[redacted]&u=1" },
  { "url", "http://h:1/p?a=1&password=secret#frag", "http://h:1/p?a=1&password=[redacted]#frag" },
  { "fragment", "/p#password=x", "/p#password=x" }, /* no query: left alone */
  { "fragment-after-query", "/p?a=1#password=x", "/p?a=1#password=[redacted]" },
  { "semicolon", "/?a=1;password=2", "/?a=1;password=[redacted]" },
  { "bare", "username=a&password=b", "username=a&password=[redacted]" },
  { "empty-value", "/?password=", "/?password=[redacted]" },
  { "similar-key", "/?passwordx=1&xpassword=2", "/?passwordx=1&xpassword=2" },
  { "no-query", "/", "/" },
  { "path", "/alger/password=x", "/alger/password=x" },
};

static void
test_json (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *out = alger_redact_json_text (c->in);

  g_assert_cmpstr (out, ==, c->out);
}

static void
test_credentials (gconstpointer data)
{
  const Case *c = data;
  gboolean changed = FALSE;
  g_autofree char *out = alger_redact_json_text_full (c->in, ALGER_REDACT_CREDENTIALS, &changed);

  g_assert_cmpstr (out, ==, c->out);
  g_assert_cmpint (changed, ==, g_strcmp0 (c->in, c->out) != 0);
  g_assert_true (alger_redact_text_may_need (c->in, ALGER_REDACT_CREDENTIALS) || !changed);
}

static void
test_query (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *out = alger_redact_query (c->in);

  g_assert_cmpstr (out, ==, c->out);
}

static void
test_node (void)
{
  g_autoptr(JsonNode) node =
      json_from_string ("{\"a\":[{\"b\":{\"PassWord\":\"x\"}}],\"password\":42,\"c\":\"password\"}",
                        NULL);
  g_autofree char *out = NULL;

  g_assert_nonnull (node);
  alger_redact_json_node (node);
  out = json_to_string (node, FALSE);
  g_assert_cmpstr (out, ==,
                   "{\"a\":[{\"b\":{\"PassWord\":\"[redacted]\"}}],\"password\":\"[redacted]\","
                   "\"c\":\"password\"}");
  g_assert_cmpuint (alger_redact_json_node_full (node, ALGER_REDACT_PASSWORDS), ==, 0);
}

static void
test_may_need (void)
{
  /* the pre-check must never say no when redaction would change something */
  for (guint i = 0; i < G_N_ELEMENTS (json_cases); i++) {
    if (g_strcmp0 (json_cases[i].in, json_cases[i].out) != 0)
      g_assert_true (alger_redact_text_may_need (json_cases[i].in, ALGER_REDACT_PASSWORDS));
  }
  /* the word at the very start and end of the text, and a near miss */
  g_assert_true (alger_redact_text_may_need ("password=x", ALGER_REDACT_PASSWORDS));
  g_assert_true (alger_redact_text_may_need ("x=PassWord", ALGER_REDACT_PASSWORDS));
  g_assert_false (alger_redact_text_may_need ("assword passwor swords", ALGER_REDACT_PASSWORDS));
  g_assert_false (alger_redact_text_may_need ("{\"id\":1,\"content\":{}}", ALGER_REDACT_PASSWORDS));
  g_assert_false (alger_redact_text_may_need ("{\"token\":1}", ALGER_REDACT_PASSWORDS));
  g_assert_true (alger_redact_text_may_need ("{\"Token\":1}", ALGER_REDACT_CREDENTIALS));
  g_assert_null (alger_redact_json_text (NULL));
  g_assert_null (alger_redact_query (NULL));
}

static void
add_cases (const char *prefix, const Case *cases, guint n, GTestDataFunc func)
{
  for (guint i = 0; i < n; i++) {
    g_autofree char *path = g_strdup_printf ("%s/%s", prefix, cases[i].path);
    g_test_add_data_func (path, &cases[i], func);
  }
}

/* the first pre-check, byte by byte: the fast one must agree with it */
static gboolean
may_need_reference (const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '%' || (*p == '\\' && p[1] == 'u'))
      return TRUE;
    if ((*p == 'p' || *p == 'P') && g_ascii_strncasecmp (p, "password", 8) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
test_may_need_random (void)
{
  static const char *const pieces[] = { "pass", "word", "PASS", "WoRd", "p", "a", "s", "S", "ss",
                                        "\\", "u", "%", "\"", ":", "x", "pa", "ssword", "\\u" };

  for (guint i = 0; i < 200000; i++) {
    g_autoptr(GString) s = g_string_new (NULL);
    guint n = (guint) g_test_rand_int_range (0, 12);

    for (guint k = 0; k < n; k++)
      g_string_append (s, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
    g_assert_cmpint (alger_redact_text_may_need (s->str, ALGER_REDACT_PASSWORDS), ==,
                     may_need_reference (s->str));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add_cases ("/alger/redact/json", json_cases, G_N_ELEMENTS (json_cases), test_json);
  add_cases ("/alger/redact/credentials", credential_cases, G_N_ELEMENTS (credential_cases),
             test_credentials);
  add_cases ("/alger/redact/query", query_cases, G_N_ELEMENTS (query_cases), test_query);
  g_test_add_func ("/alger/redact/node", test_node);
  g_test_add_func ("/alger/redact/may-need", test_may_need);
  g_test_add_func ("/alger/redact/may-need/random", test_may_need_random);
  return g_test_run ();
}
