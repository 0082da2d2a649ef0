/* alger-frame.h: parse and serialise protocol frames (pure: no I/O) */
#pragma once

#include <json-glib/json-glib.h>

#include "alger-json-text.h"

G_BEGIN_DECLS

/* request types a client may send (PROTOCOL.md, Sequencing) */
#define ALGER_FRAME_TYPE_LOGIN 100
#define ALGER_FRAME_TYPE_USER_DATA 101
#define ALGER_FRAME_TYPE_CATALOG 102
#define ALGER_FRAME_TYPE_RUN_STORED 103
#define ALGER_FRAME_TYPE_RUN_ADHOC 104
#define ALGER_FRAME_TYPE_STOP 106
#define ALGER_FRAME_TYPE_OUTPUT 107

/* the `error` texts of 396 answers to frames that do not parse */
#define ALGER_FRAME_ERROR_BINARY_NOT_UTF8 "binary frame is not valid UTF-8"
#define ALGER_FRAME_ERROR_NOT_JSON "message is not valid JSON"
#define ALGER_FRAME_ERROR_NOT_OBJECT "message must be a JSON object"
#define ALGER_FRAME_ERROR_BAD_ID "missing or non-integer 'id'"
#define ALGER_FRAME_ERROR_BAD_REQUEST_ID "missing or non-integer 'requestId'"
#define ALGER_FRAME_ERROR_BAD_TYPE "missing or non-integer 'type'"
#define ALGER_FRAME_ERROR_CONTENT_NOT_STRING "'content' must be a string"
#define ALGER_FRAME_ERROR_CONTENT_NOT_JSON "'content' is not valid JSON"
#define ALGER_FRAME_ERROR_CONTENT_NOT_OBJECT "'content' must encode a JSON object"

typedef struct {
  gint64 id;
  gint64 request_id;
  gint64 type;
  char *content_text;  /* `content` as received (a JSON object text; "{}" for ""), checked */
  JsonObject *content; /* private: built by alger_frame_get_content() on first use */
  AlgerJsonMembers content_members; /* private: where the content's members lie */
} AlgerFrame;

void alger_frame_free (AlgerFrame *frame);

/* the parsed `content` object, built on first call (the parse only checks the text,
 * so a large content never read as a tree costs no allocations); owned by @frame */
JsonObject *alger_frame_get_content (AlgerFrame *frame);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerFrame, alger_frame_free)

/* Parse one incoming frame (text or binary payload). On failure returns NULL and sets
 * ALGER_ERROR_PROTOCOL whose message is one of the ALGER_FRAME_ERROR_* texts above,
 * checked in that order. Integers (`id`, `requestId`, `type`): a JSON integer, an
 * integral JSON number (1.0, 1e3), or a decimal string with optional sign and
 * surrounding ASCII whitespace (" -3 ", "+3", "007"), as Python's int() read them;
 * all within gint64. Not integers: 1.5, true/false, null, "", "3.0", "0x10", "1_0".
 * `content` must be present and a string (a missing `content` is malformed, like a
 * non-string one); "" counts as {}; anything else must be a JSON object text.
 * The JSON reader is strict RFC 8259 (alger-json-text.h). Unknown members are ignored. */
AlgerFrame *alger_frame_parse (const char *data, gsize length, GError **error);

/* best effort for audit of malformed frames: the id if the frame had a valid one, else -1 */
gint64 alger_frame_peek_id (const char *data, gsize length);

/* Serialize an outgoing frame, compact:
 * {"id":..,"requestId":..,"type":..,"content":"<content_json as a JSON string>"}.
 * @content_json is a JSON object text (NULL -> "{}"); it is not re-validated. */
char *alger_frame_serialize (gint64 id, gint64 request_id, gint64 type, const char *content_json,
                             gsize *length);

/* same, appending to @out (for callers that batch or reuse a buffer) */
void alger_frame_serialize_to (GString *out, gint64 id, gint64 request_id, gint64 type,
                               const char *content_json);

/* append {"id":<id>,"requestId":<request_id>,"type":<type>,"content": — the
 * head every frame text and audit payload starts with (no printf) */
void alger_frame_append_head (GString *out, gint64 id, gint64 request_id, gint64 type);

/* the string member @name of the frame's content, read from its text without
 * building the content: a new string; NULL when absent or null, and then
 * *wrong_type tells whether it was present but not a string */
char *alger_frame_dup_content_string (AlgerFrame *frame, const char *name, gboolean *wrong_type);

/* where the content's top-level member @name lies in content_text (found by
 * the parse; the last duplicate wins): FALSE, and 0/0, when absent */
gboolean alger_frame_find_content_member (AlgerFrame *frame, const char *name, gsize *start,
                                          gsize *span);

/* render a JsonNode compactly: members in insertion order, shortest round-trip doubles
 * in Python repr() layout, non-finite doubles as null. NULL node -> "null". */
char *alger_json_to_string (JsonNode *node);

/* same for a JsonObject (NULL -> "{}") */
char *alger_json_object_to_string (JsonObject *object);

/* error payload helper: {"error": message} as JSON text, properly escaped */
char *alger_frame_error_content (const char *message);

/* is @type one of the request types 100, 101, 102, 103, 104, 106, 107 */
gboolean alger_frame_type_is_request (gint64 type);

/* JSON text for the audit row of an incoming frame: when the payload is a JSON object,
 * the object with `content` replaced by its decoded value when it is a string holding
 * JSON ("" -> {}); otherwise (not UTF-8, not JSON, not an object) the raw text as a
 * JSON string (invalid UTF-8 replaced by U+FFFD). Never NULL. Does not redact. */
char *alger_frame_audit_payload (const char *data, gsize length);

G_END_DECLS
