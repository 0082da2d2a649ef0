/* fuzz-frame.c: libFuzzer entry point for the frame codec.
 * clang -fsanitize=fuzzer,address; see tests/protocol/meson.build */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "alger-frame.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AlgerFrame) frame = alger_frame_parse ((const char *) data, size, &error);
  g_autofree char *audit = alger_frame_audit_payload ((const char *) data, size);

  if (audit == NULL)
    __builtin_trap ();
  (void) alger_frame_peek_id ((const char *) data, size);
  if (frame != NULL) {
    g_autofree char *content = alger_json_object_to_string (alger_frame_get_content (frame));
    g_autofree char *wire = alger_frame_serialize (frame->id, frame->request_id, frame->type,
                                                   content, NULL);
    g_autoptr(AlgerFrame) again = alger_frame_parse (wire, strlen (wire), NULL);
    if (again == NULL || again->id != frame->id || again->type != frame->type)
      __builtin_trap ();
  } else if (error == NULL) {
    __builtin_trap ();
  }
  return 0;
}
