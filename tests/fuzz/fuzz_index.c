/* Image indexes (manifest lists) from registries and archives: parsed, then the platform choice pull makes. */
#include "fuzz.h"
#include "image/registry.h"
#include "oci/image.h"

static const char *const platforms[][3]
    = { { "linux", "amd64", NULL }, { "linux", "arm64", "v8" }, { "linux", "arm", "v7" }, { "windows", "amd64", "" } };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct skiff_oci_index *idx = NULL;
  skiff_error_t err = NULL;
  if (skiff_oci_index_parse ((const char *) data, size, &idx, &err) < 0)
    {
      skiff_error_release (&err);
      return 0;
    }
  for (size_t p = 0; p < ARRAY_SIZE (platforms); p++)
    {
      size_t i = 0;
      if (skiff_index_select (idx, platforms[p][0], platforms[p][1], platforms[p][2], &i, &err) == 0
          && i >= idx->n_manifests)
        abort ();
      skiff_error_release (&err);
    }
  skiff_oci_index_free (idx);
  return 0;
}
