/* test-json-span.c: locating a top-level member in JSON text without parsing it */
#include <string.h>

#include "alger-json-text.h"

typedef struct {
  const char *text;
  const char *name;
  const char *want; /* NULL: not found */
} SpanCase;

static const SpanCase cases[] = {
  { "{\"graph\":{\"a\":1}}", "graph", "{\"a\":1}" },
  { " { \"x\" : [1, {\"graph\":2}] , \"graph\" : {\"n\":[]} } ", "graph", "{\"n\":[]}" },
  { "{\"s\":\"}\\\"{\",\"graph\":[1,\"]\"]}", "graph", "[1,\"]\"]" },
  { "{\"graph\":null}", "graph", "null" },
  { "{\"graph\":12.5e3,\"b\":1}", "graph", "12.5e3" },
  { "{\"graph\":\"text\"}", "graph", "\"text\"" },
  { "{\"graph\":1,\"graph\":{\"last\":true}}", "graph", "{\"last\":true}" },
  { "{\"graphs\":{}}", "graph", NULL },
  { "{\"a\":{\"graph\":{}}}", "graph", NULL },
  { "{}", "graph", NULL },
  { "[{\"graph\":1}]", "graph", NULL },
  /* escaped keys are the names the parser sees */
  { "{\"gr\\u0061ph\":{\"esc\":1}}", "graph", "{\"esc\":1}" },
  { "{\"graph\":1,\"gr\\u0061ph\":2}", "graph", "2" },
  { "{\"gr\\\"aph\":1}", "graph", NULL },
  { "{\"a\\\\\":1,\"graph\":3}", "graph", "3" },
  /* backslash runs before a quote: even closes the string, odd escapes it */
  { "{\"s\":\"x\\\\\\\\\",\"graph\":4}", "graph", "4" },
  { "{\"s\":\"x\\\\\\\"\\\\\",\"graph\":5}", "graph", "5" },
  { "{\"s\":\"\\\"graph\\\":9\",\"graph\":6}", "graph", "6" },
};

static void
test_span (gconstpointer data)
{
  const SpanCase *tc = data;
  gsize start = 0, span = 0;
  gboolean found = alger_json_find_member (tc->text, strlen (tc->text), tc->name, &start, &span);

  if (tc->want == NULL) {
    g_assert_false (found);
    return;
  }
  g_assert_true (found);
  g_assert_cmpuint (span, ==, strlen (tc->want));
  g_assert_cmpint (memcmp (tc->text + start, tc->want, span), ==, 0);
}

/* several names in one pass agree with one name at a time */
static void
test_members (void)
{
  static const char *const names[] = { "graph", "strategy", "params", "missing", "s" };
  gsize starts[G_N_ELEMENTS (names)], spans[G_N_ELEMENTS (names)];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *text = cases[i].text;
    gboolean any = alger_json_find_members (text, strlen (text), names, G_N_ELEMENTS (names),
                                            starts, spans);
    gboolean any_one = FALSE;

    for (guint n = 0; n < G_N_ELEMENTS (names); n++) {
      gsize start = 0, span = 0;
      gboolean found = alger_json_find_member (text, strlen (text), names[n], &start, &span);

      any_one = any_one || found;
      g_assert_cmpuint (spans[n], ==, found ? span : 0);
      if (found)
        g_assert_cmpuint (starts[n], ==, start);
    }
    g_assert_cmpint (any, ==, any_one);
  }
  {
    const char *text = "{\"params\":{\"a\":[1,\"]\"]},\"graph\":{\"n\":1},\"strategy\":\"dfs\"}";

    g_assert_true (alger_json_find_members (text, strlen (text), names, G_N_ELEMENTS (names),
                                            starts, spans));
    g_assert_cmpint (strncmp (text + starts[0], "{\"n\":1}", spans[0]), ==, 0);
    g_assert_cmpint (strncmp (text + starts[1], "\"dfs\"", spans[1]), ==, 0);
    g_assert_cmpint (strncmp (text + starts[2], "{\"a\":[1,\"]\"]}", spans[2]), ==, 0);
    g_assert_cmpuint (spans[3], ==, 0);
  }
}

static gboolean
member_is (const AlgerJsonMember *m, const char *name)
{
  return m->name_len == strlen (name) && memcmp (m->name, name, m->name_len) == 0;
}

/* the checking pass finds the same members as the search, decodes the
 * string it is asked for in the same pass and the others on demand, as the
 * parser decodes them, and appends nothing when the text is not valid */
static void
test_check_members (void)
{
  static const char *const names[] = { "graph", "s", "missing" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *text = cases[i].text;
    AlgerJsonMembers members;
    JsonNodeType root = JSON_NODE_NULL;

    alger_json_members_init (&members);
    g_assert_true (alger_json_check_members_utf8 (text, strlen (text), &root, &members, "graph",
                                                  NULL));
    if (root != JSON_NODE_OBJECT)
      g_assert_cmpuint (members.len, ==, 0);
    for (guint n = 0; n < G_N_ELEMENTS (names); n++) {
      gsize start = 0, span = 0;
      gboolean found = alger_json_find_member (text, strlen (text), names[n], &start, &span);
      const AlgerJsonMember *m = alger_json_members_lookup (&members, names[n]);
      g_autofree char *dup = NULL;

      g_assert_cmpint (m != NULL, ==, found);
      if (m == NULL)
        continue;
      g_assert_cmpuint (m->start, ==, start);
      g_assert_cmpuint (m->span, ==, span);
      g_assert_cmpint (m->is_string, ==, text[start] == '"');
      /* decoded in the pass only for the name asked for */
      g_assert_true (m->string == NULL || (m->is_string && strcmp (names[n], "graph") == 0));
      dup = alger_json_member_dup_string (text, m);
      if (m->is_string) {
        g_autoptr(JsonNode) node = alger_json_parse_utf8 (text + start, span, NULL, NULL);

        g_assert_cmpstr (dup, ==, json_node_get_string (node));
        if (strcmp (names[n], "graph") == 0)
          g_assert_cmpstr (m->string, ==, dup);
      } else {
        g_assert_null (dup);
      }
    }
    alger_json_members_clear (&members);
  }
  {
    /* duplicates are all kept, in order; escaped keys decoded; more members
     * than the inline room */
    const char *text = "{\"a\":1, \"\\u0061\":\"x\\\"y\\u00e9\", \"b\":{\"a\":2}, \"c\":1, \"d\":2, "
                       "\"e\":3, \"f\":4, \"g\":[5], \"h\":\"last\"}";
    AlgerJsonMembers members;
    const AlgerJsonMember *m;
    g_autofree char *s = NULL;

    alger_json_members_init (&members);
    g_assert_true (alger_json_check_members_utf8 (text, strlen (text), NULL, &members, "a", NULL));
    g_assert_cmpuint (members.len, ==, 9);
    m = alger_json_members_lookup (&members, "a");
    g_assert_true (m == &members.items[1]);
    g_assert_cmpstr (m->string, ==, "x\"y\xc3\xa9");
    g_assert_true (member_is (&members.items[2], "b"));
    m = alger_json_members_lookup (&members, "h");
    s = alger_json_member_dup_string (text, m);
    g_assert_cmpstr (s, ==, "last");
    alger_json_members_clear (&members);
    g_assert_cmpuint (members.len, ==, 0);
  }
  {
    /* invalid: nothing appended, the parser's error */
    static const char *const bad[] = { "{\"a\":1,}", "{\"a\":\"\\x\"}", "{\"a\" 1}",
                                       "{\"a\":1} x", "{\"\\u0000\":1}", "{\"a\":[1,]}",
                                       "{\"a\":\"ok\",\"b\":\"\\q\"}" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      AlgerJsonMembers members;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) parse_error = NULL;
      g_autoptr(JsonNode) node = alger_json_parse_utf8 (bad[i], strlen (bad[i]), NULL,
                                                        &parse_error);

      alger_json_members_init (&members);
      g_assert_null (node);
      g_assert_false (alger_json_check_members_utf8 (bad[i], strlen (bad[i]), NULL, &members, "a",
                                                     &error));
      g_assert_cmpuint (members.len, ==, 0);
      g_assert_cmpstr (error->message, ==, parse_error->message);
      alger_json_members_clear (&members);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alger/json/find-members", test_members);
  g_test_add_func ("/alger/json/check-members", test_check_members);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/json/find-member/%u", i);
    g_test_add_data_func (path, &cases[i], test_span);
  }
  return g_test_run ();
}
