/* alger-artifacts.h: files written for tracked nodes
 *
 * Layout: <outputs>/<executionId>/<kind>/<nodeId>.<ext>, kind and id made
 * safe (see alger_artifacts_safe_name), so nothing lands outside the
 * execution's folder.  Each file is written to a hidden temporary name
 * (".<name>.tmp") in the same folder and renamed into place, so readers never
 * see a partial file under a final name.
 *
 *  - arrays: `.png` when image-like (2-D, or 3-D with 1 or 3 channels, each
 *    side 1..1,000,000), else `.npy` (NumPy format 1.0, C order, `<f4`/`|u1`);
 *    PNG pixels: float32 clipped to [0,1] then ×255 rounded (NaN → 0), which
 *    is the range every engine image uses; uint8 masks whose values are all
 *    0/1 become 0/255, other uint8 data is written as is;
 *  - dicts: pretty JSON (`.json`); an `_image` member that is an array is
 *    written as the artifact (as above) and the rest of the dict goes to the
 *    `.json`, described by the artifact's `metadata`, as the original did;
 *  - lists: `.json`; strings, numbers, booleans, None: `.txt` (Python str()).
 *  Arrays nested in JSON become nested lists up to 65,536 elements, else their
 *  summary description under `__ndarray__`.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "alger-value.h"

G_BEGIN_DECLS

/* execution ids name a folder: 1..128 of [A-Za-z0-9_-] (UUIDs qualify) */
gboolean alger_artifacts_check_execution_id (const char *execution_id, GError **error);

/* A single path component: [A-Za-z0-9_-] and non-leading '.' kept, every
 * other byte %XX-encoded, "" → "%", long names shortened with a hash. */
char *alger_artifacts_safe_name (const char *name);

gboolean alger_artifacts_array_is_image (AlgerValue *value);

/* The tracked outputs of one execution: <outputs_dir>/<execution_id>/,
 * made at its first write and kept open, so each file is created relative to
 * it.  NULL with ALGER_ERROR_INVALID_ARGS for a bad execution id. */
typedef struct _AlgerArtifactsFolder AlgerArtifactsFolder;

AlgerArtifactsFolder *alger_artifacts_folder_new (const char *outputs_dir,
                                                  const char *execution_id,
                                                  GError **error);
void alger_artifacts_folder_free (AlgerArtifactsFolder *folder);

/* Writes the tracked output of one node; returns the artifact descriptions
 * (element-type JsonNode: {path, format, size, executionId, metadata?}, path
 * relative to the outputs folder).  Errors are ALGER_ERROR_STORAGE. */
GPtrArray *alger_artifacts_folder_write (AlgerArtifactsFolder *folder,
                                         const char *kind,
                                         const char *node_id,
                                         AlgerValue *value,
                                         GError **error);

/* @text as the whole content of @path, written the same way (temporary file
 * renamed into place); makes the folder if it is missing */
gboolean alger_artifacts_write_text (const char *path, const char *text, GError **error);

/* the single-file writers, exposed for tests */
gboolean alger_artifacts_write_npy (const char *path, AlgerValue *array, GError **error);
gboolean alger_artifacts_write_png (const char *path, AlgerValue *array, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AlgerArtifactsFolder, alger_artifacts_folder_free)

G_END_DECLS
