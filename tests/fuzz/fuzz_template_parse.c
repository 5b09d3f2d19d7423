/* --format: the template parser (with podman's normalisation and table mode) and the table header it derives. */
#include "format/format.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* a format comes from the command line: a C string */
  cleanup_free char *src = fuzz_cstr (data, size);
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  (void) skiff_format_is_json (src);
  if (skiff_template_parse_named ("ps", src, &t, &err) < 0)
    {
      skiff_error_release (&err);
      return 0;
    }
  if (skiff_template_is_table (t))
    free (skiff_template_header (t, NULL));
  skiff_template_free (t);
  return 0;
}
