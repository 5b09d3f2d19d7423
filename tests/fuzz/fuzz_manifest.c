/* Image manifests (OCI and Docker schema 2) from registries and archives: parsed and round-tripped, and what
 * pull reads of them directly (index or manifest, foreign layers' URLs). */
#include "fuzz.h"
#include "image/registry.h"
#include "oci/image.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *json = (const char *) data;
  struct skiff_oci_manifest *m = NULL;
  skiff_error_t err = NULL;
  if (skiff_oci_manifest_parse (json, size, &m, &err) == 0)
    {
      cleanup_free char *out = skiff_oci_manifest_to_json (m);
      struct skiff_oci_manifest *m2 = NULL;
      if (skiff_oci_manifest_parse (out, strlen (out), &m2, &err) < 0 || m2->n_layers != m->n_layers)
        {
          fprintf (stderr, "a serialized manifest does not parse back: %s\n", out);
          abort ();
        }
      skiff_oci_manifest_free (m2);
      skiff_oci_manifest_free (m);
    }
  skiff_error_release (&err);
  /* these take a C string */
  cleanup_free char *s = fuzz_cstr (data, size);
  (void) skiff_manifest_is_index (NULL, s, strlen (s));
  (void) skiff_manifest_is_index (OCI_MEDIA_TYPE_MANIFEST, s, strlen (s));
  for (size_t i = 0; i < 3; i++)
    strv_free (skiff_manifest_layer_urls (s, i));
  return 0;
}
