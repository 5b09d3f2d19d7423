/* An image's config JSON (from a registry or an archive): parsed, serialized, parsed again; its RFC 3339
 * times; and the `import --change` instructions applied to it. */
#include "fuzz.h"
#include "oci/image.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *json = NULL, *change = NULL;
  fuzz_split (data, size, &json, &change);
  struct skiff_image_config *c = NULL;
  skiff_error_t err = NULL;
  /* the exact bytes, as pull and load hand them over */
  if (skiff_image_config_parse ((const char *) data, size, &c, &err) == 0)
    skiff_image_config_free (c);
  skiff_error_release (&err);
  c = NULL;
  if (skiff_image_config_parse (json, strlen (json), &c, &err) < 0)
    {
      skiff_error_release (&err);
      c = skiff_image_config_new ();
    }
  uint64_t ns;
  if (c->created)
    (void) skiff_rfc3339_parse (c->created, &ns); /* as the store reads it */
  (void) skiff_rfc3339_parse (change, &ns);
  if (skiff_image_config_apply_change (c, change, &err) < 0)
    skiff_error_release (&err);
  cleanup_free char *out = skiff_image_config_to_json (c);
  struct skiff_image_config *c2 = NULL;
  if (skiff_image_config_parse (out, strlen (out), &c2, &err) < 0)
    {
      fprintf (stderr, "a serialized config does not parse: %s\n%s\n", err->msg, out);
      abort ();
    }
  skiff_image_config_free (c2);
  skiff_image_config_free (c);
  return 0;
}
