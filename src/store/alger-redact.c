/* alger-redact.c: redaction of passwords in JSON, query strings and free text */
#define G_LOG_DOMAIN "alger-store"

#include "alger-redact.h"

#include <string.h>

#include "alger-json-text.h"

static const char *const credential_keys[] = { "password", "token", "secret", "authorization" };

static gboolean
is_password_key (const char *name)
{
  return g_ascii_strcasecmp (name, "password") == 0;
}

static gboolean
is_credential_key (const char *name)
{
  for (guint i = 1; i < G_N_ELEMENTS (credential_keys); i++) {
    if (g_ascii_strcasecmp (name, credential_keys[i]) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_redacted_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
         g_strcmp0 (json_node_get_string (node), ALGER_REDACTED) == 0;
}

/* every string value at any depth below node becomes "[redacted]" */
static guint
blank_strings (JsonNode *node)
{
  guint n = 0;

  switch (JSON_NODE_TYPE (node)) {
  case JSON_NODE_OBJECT: {
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;

    json_object_iter_init (&iter, json_node_get_object (node));
    while (json_object_iter_next (&iter, &name, &member))
      n += blank_strings (member);
    break;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      n += blank_strings (json_array_get_element (array, i));
    break;
  }
  case JSON_NODE_VALUE:
    if (json_node_get_value_type (node) == G_TYPE_STRING && !is_redacted_string (node)) {
      json_node_set_string (node, ALGER_REDACTED);
      n++;
    }
    break;
  case JSON_NODE_NULL:
  default:
    break;
  }
  return n;
}

static guint
redact_node (JsonNode *node, AlgerRedactLevel level)
{
  guint n = 0;

  if (node == NULL)
    return 0;

  switch (JSON_NODE_TYPE (node)) {
  case JSON_NODE_OBJECT: {
    JsonObject *object = json_node_get_object (node);
    g_autoptr(GList) names = json_object_get_members (object);

    for (GList *l = names; l != NULL; l = l->next) {
      /* note: setting a member frees its old name string, so copy the name
       * pointer into a local and never touch it after the set */
      const char *name = l->data;
      JsonNode *member = json_object_get_member (object, name);

      if (is_password_key (name)) {
        if (!is_redacted_string (member)) {
          json_object_set_string_member (object, name, ALGER_REDACTED);
          n++;
        }
      } else if (level == ALGER_REDACT_CREDENTIALS && is_credential_key (name)) {
        n += blank_strings (member);
      } else {
        n += redact_node (member, level);
      }
    }
    break;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      n += redact_node (json_array_get_element (array, i), level);
    break;
  }
  case JSON_NODE_VALUE:
  case JSON_NODE_NULL:
  default:
    break;
  }
  return n;
}

void
alger_redact_json_node (JsonNode *node)
{
  redact_node (node, ALGER_REDACT_PASSWORDS);
}

guint
alger_redact_json_node_full (JsonNode *node, AlgerRedactLevel level)
{
  return redact_node (node, level);
}

/* is the 'w' at @w the fifth letter of "password" (any case)? */
static inline gboolean
is_password_at_w (const char *text, const char *w)
{
  return w - text >= 4 && g_ascii_strncasecmp (w - 4, "password", 8) == 0;
}

/* the passwords-only pre-check, the one on every stored text: strcspn (SIMD
 * in glibc) to each '%', '\\' or 'w'; "password" is caught at its 'w', a
 * letter JSON keys and values rarely hold (an 's' stopped at every "status") */
static gboolean
may_hold_password (const char *text)
{
  const char *p = text;

  for (;;) {
    p += strcspn (p, "%\\wW");
    switch (*p) {
    case '\0':
      return FALSE;
    case '%':
      return TRUE; /* a percent-encoded key in a non-JSON fallback */
    case '\\':
      if (p[1] == 'u')
        return TRUE; /* "p\u0061ssword" is "password" to a JSON parser */
      p++;
      break;
    default:
      if (is_password_at_w (text, p))
        return TRUE;
      p++;
    }
  }
}

gboolean
alger_redact_text_may_need (const char *text, AlgerRedactLevel level)
{
  if (text == NULL)
    return FALSE;
  if (level == ALGER_REDACT_PASSWORDS)
    return may_hold_password (text);
  for (const char *p = text; *p != '\0'; p++) {
    switch (*p) {
    case '%':
      return TRUE; /* a percent-encoded key in a non-JSON fallback */
    case '\\':
      if (p[1] == 'u')
        return TRUE; /* "p\u0061ssword" is "password" to a JSON parser */
      break;
    case 'p':
    case 'P':
      if (g_ascii_strncasecmp (p, "password", 8) == 0)
        return TRUE;
      break;
    case 't':
    case 'T':
      if (level == ALGER_REDACT_CREDENTIALS && g_ascii_strncasecmp (p, "token", 5) == 0)
        return TRUE;
      break;
    case 's':
    case 'S':
      if (level == ALGER_REDACT_CREDENTIALS && g_ascii_strncasecmp (p, "secret", 6) == 0)
        return TRUE;
      break;
    case 'a':
    case 'A':
      if (level == ALGER_REDACT_CREDENTIALS && g_ascii_strncasecmp (p, "authorization", 13) == 0)
        return TRUE;
      break;
    default:
      break;
    }
  }
  return FALSE;
}

/* does `s` start with the key `key` (lower case ASCII), each character either
 * literal in any case or percent-encoded?  Returns the length matched, or 0. */
static gsize
match_key (const char *s, const char *key)
{
  gsize j = 0;

  for (const char *k = key; *k != '\0'; k++) {
    if (s[j] == '%' && g_ascii_isxdigit (s[j + 1]) && g_ascii_isxdigit (s[j + 2])) {
      char c = (char) ((g_ascii_xdigit_value (s[j + 1]) << 4) | g_ascii_xdigit_value (s[j + 2]));
      if (g_ascii_tolower (c) != *k)
        return 0;
      j += 3;
    } else if (s[j] != '\0' && g_ascii_tolower (s[j]) == *k) {
      j++;
    } else {
      return 0;
    }
  }
  return j;
}

static gboolean
is_query_delim (char c)
{
  return c == '\0' || c == '&' || c == ';' || c == '#';
}

/* redact password parameters in one query-like region [start, end) */
static void
redact_params (GString *out, const char *start, const char *end)
{
  const char *p = start;

  while (p < end) {
    const char *param_end = p;
    const char *eq = NULL;

    while (param_end < end && *param_end != '&' && *param_end != ';') {
      if (eq == NULL && *param_end == '=')
        eq = param_end;
      param_end++;
    }
    if (eq != NULL && match_key (p, "password") == (gsize) (eq - p)) {
      g_string_append_len (out, p, eq - p + 1);
      g_string_append (out, ALGER_REDACTED);
    } else {
      g_string_append_len (out, p, param_end - p);
    }
    p = param_end;
    if (p < end) {
      g_string_append_c (out, *p); /* the separator */
      p++;
    }
  }
}

char *
alger_redact_query (const char *path_or_url)
{
  const char *query;
  const char *hash;
  GString *out;

  if (path_or_url == NULL)
    return NULL;

  query = strchr (path_or_url, '?');
  if (query == NULL) {
    if (strchr (path_or_url, '/') != NULL || strchr (path_or_url, '=') == NULL)
      return g_strdup (path_or_url);
    query = path_or_url; /* a bare query string */
  } else {
    query++;
  }

  out = g_string_sized_new (strlen (path_or_url) + 16);
  g_string_append_len (out, path_or_url, query - path_or_url);
  hash = strchr (query, '#');
  if (hash == NULL) {
    redact_params (out, query, query + strlen (query));
  } else {
    redact_params (out, query, hash);
    g_string_append_c (out, '#');
    redact_params (out, hash + 1, hash + strlen (hash));
  }
  return g_string_free (out, FALSE);
}

static gboolean
is_text_value_delim (char c)
{
  return is_query_delim (c) || g_ascii_isspace (c) || c == ',' || c == '"' || c == '\'' ||
         c == '}' || c == ']' || c == ')' || c == '<' || c == '>';
}

char *
alger_redact_text (const char *text)
{
  GString *out;
  const char *p;

  if (text == NULL)
    return NULL;

  out = g_string_sized_new (strlen (text) + 16);
  p = text;
  while (*p != '\0') {
    gsize klen = match_key (p, "password");
    const char *q;
    const char *value;
    const char *value_end;

    if (klen == 0) {
      g_string_append_c (out, *p++);
      continue;
    }

    /* after the key: closing quotes (possibly escaped), blanks, then = or : */
    q = p + klen;
    while (*q == '"' || *q == '\'' || *q == '\\' || *q == ' ' || *q == '\t')
      q++;
    if (*q == '=' || *q == ':')
      q++;
    else if (q[0] == '%' && q[1] == '3' && (q[2] == 'D' || q[2] == 'd'))
      q += 3;
    else {
      g_string_append_len (out, p, klen);
      p += klen;
      continue;
    }
    while (*q == ' ' || *q == '\t')
      q++;

    /* the value: quoted (", ', or JSON-escaped \") or up to a delimiter */
    if (q[0] == '\\' && q[1] == '"') {
      value = q + 2;
      value_end = strstr (value, "\\\"");
      if (value_end == NULL)
        value_end = value + strlen (value);
    } else if (*q == '"' || *q == '\'') {
      char quote = *q;

      value = q + 1;
      value_end = value;
      while (*value_end != '\0' && *value_end != quote) {
        if (*value_end == '\\' && value_end[1] != '\0')
          value_end++;
        value_end++;
      }
    } else {
      value = q;
      value_end = q;
      while (!is_text_value_delim (*value_end))
        value_end++;
    }
    g_string_append_len (out, p, value - p);
    g_string_append (out, ALGER_REDACTED);
    p = value_end;
  }
  return g_string_free (out, FALSE);
}

static guint
count_password_words (const char *text)
{
  guint n = 0;

  for (const char *p = text + strcspn (text, "wW"); *p != '\0'; p += 1 + strcspn (p + 1, "wW")) {
    if (is_password_at_w (text, p))
      n++;
  }
  return n;
}

/* Scan JSON text for members named "password" (any case) and copy the text
 * to out with each such value replaced by "[redacted]" (out stays NULL when
 * nothing changed).  FALSE when the text needs the parser: a key with
 * escapes, text ending early.  *n_keys counts the password members seen. */
static gboolean
scan_password_members (const char *json, const char *end, GString **out, guint *n_keys)
{
  const char *p = json;
  const char *copied = json;
  const char *redacted = "\"" ALGER_REDACTED "\"";
  gsize redacted_len = strlen (redacted);

  while (p < end) {
    const char *key, *after, *colon, *value, *value_end;

    if (*p != '"') {
      p = memchr (p, '"', (gsize) (end - p));
      if (p == NULL)
        break;
    }
    key = p + 1;
    after = alger_json_text_skip_string (p, end);
    if (after == NULL)
      return FALSE;
    colon = alger_json_text_skip_ws (after, end);
    if (colon >= end || *colon != ':') {
      p = after; /* a string value */
      continue;
    }
    if (memchr (key, '\\', (gsize) (after - 1 - key)) != NULL)
      return FALSE;
    if (after - 1 - key != 8 || g_ascii_strncasecmp (key, "password", 8) != 0) {
      p = colon + 1;
      continue;
    }
    (*n_keys)++;
    value = alger_json_text_skip_ws (colon + 1, end);
    value_end = value < end ? alger_json_text_skip_value (value, end) : NULL;
    if (value_end == NULL)
      return FALSE;
    if ((gsize) (value_end - value) != redacted_len ||
        memcmp (value, redacted, redacted_len) != 0) {
      if (*out == NULL)
        *out = g_string_sized_new ((gsize) (end - json) + 16);
      g_string_append_len (*out, copied, value - copied);
      g_string_append (*out, redacted);
      copied = value_end;
    }
    p = value_end;
  }
  if (*out != NULL)
    g_string_append_len (*out, copied, end - copied);
  return TRUE;
}

/* Passwords only, straight on the text, keeping every other byte.  NULL when
 * the parser must decide: not an object or array, a key with escapes, or the
 * word "password" somewhere else than in the members found (free text, a
 * broken document), which the slow path redacts as text. */
static char *
redact_passwords_in_text (const char *json, gboolean *changed)
{
  const char *end = json + strlen (json);
  const char *start = alger_json_text_skip_ws (json, end);
  GString *out = NULL;
  guint n_keys = 0;

  if (start >= end || (*start != '{' && *start != '['))
    return NULL;
  if (!scan_password_members (json, end, &out, &n_keys) || n_keys == 0 ||
      n_keys != count_password_words (json)) {
    if (out != NULL)
      g_string_free (out, TRUE);
    return NULL;
  }
  *changed = out != NULL;
  return out != NULL ? g_string_free (out, FALSE) : g_strdup (json);
}

char *
alger_redact_json_text_full (const char *json, AlgerRedactLevel level, gboolean *changed)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  JsonNode *root;
  char *result;

  if (changed != NULL)
    *changed = FALSE;
  if (json == NULL)
    return NULL;

  /* the common case (passwords only) without building a tree */
  if (level == ALGER_REDACT_PASSWORDS) {
    gboolean fast_changed = FALSE;
    result = redact_passwords_in_text (json, &fast_changed);
    if (result != NULL) {
      if (changed != NULL)
        *changed = fast_changed;
      return result;
    }
  }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL) {
    result = alger_redact_text (json);
    if (changed != NULL)
      *changed = strcmp (result, json) != 0;
    return result;
  }

  if (redact_node (root, level) == 0)
    return g_strdup (json);

  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  if (changed != NULL)
    *changed = TRUE;
  return json_generator_to_data (generator, NULL);
}

char *
alger_redact_json_text (const char *json)
{
  return alger_redact_json_text_full (json, ALGER_REDACT_PASSWORDS, NULL);
}
