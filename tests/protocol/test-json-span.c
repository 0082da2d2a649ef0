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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = g_strdup_printf ("/alger/json/find-member/%u", i);
    g_test_add_data_func (path, &cases[i], test_span);
  }
  return g_test_run ();
}
