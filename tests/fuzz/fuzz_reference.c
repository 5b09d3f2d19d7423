/* Image references as users type them and as archives and registries.conf carry them: the store's
 * normalisation (local names) and the registry client's parser (pull, push), each checked to be a fixed point,
 * and "os/arch/variant" platforms. */
#include "fuzz.h"
#include "image/registry.h"
#include "storage/storage.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_cstr (data, size);
  skiff_error_t err = NULL;
  char *norm = skiff_reference_normalize (s, &err);
  skiff_error_release (&err);
  if (norm)
    {
      /* what normalisation gives, normalised again, is itself */
      char *again = skiff_reference_normalize (norm, &err);
      if (again == NULL || strcmp (again, norm) != 0)
        {
          fprintf (stderr, "`%s` -> `%s` -> `%s`\n", s, norm, again ? again : err->msg);
          abort ();
        }
      free (again);
      free (norm);
    }
  (void) skiff_reference_is_short (s);

  struct skiff_image_ref r = { 0 };
  if (skiff_image_ref_parse (s, &r, &err) == 0)
    {
      cleanup_free char *str = skiff_image_ref_string (&r);
      struct skiff_image_ref r2 = { 0 };
      if (skiff_image_ref_parse (str, &r2, &err) < 0)
        {
          fprintf (stderr, "`%s` -> `%s`: %s\n", s, str, err->msg);
          abort ();
        }
      cleanup_free char *str2 = skiff_image_ref_string (&r2);
      if (strcmp (str, str2) != 0)
        abort ();
      skiff_image_ref_release (&r2);
      skiff_image_ref_release (&r);
    }
  skiff_error_release (&err);

  char *os = NULL, *arch = NULL, *variant = NULL;
  if (skiff_platform_parse (s, &os, &arch, &variant, &err) == 0)
    {
      free (os);
      free (arch);
      free (variant);
    }
  skiff_error_release (&err);
  return 0;
}
