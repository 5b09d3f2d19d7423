/* registries.conf: the TOML reader, then the schema on top of it (v1 and v2, mirrors, aliases) and the lookups
 * a pull makes with what it built. */
#include "fuzz.h"
#include "image/registries.h"
#include "image/toml.h"

static const char *const refs[] = { "docker.io/library/busybox:latest",
                                    "quay.io/a/b@sha256:"
                                    "0000000000000000000000000000000000000000000000000000000000000000",
                                    "localhost:5000/x", "example.com", NULL };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* exactly size bytes, not terminated: the parser gets a length and must stay within it */
  struct tval *root = NULL;
  skiff_error_t err = NULL;
  if (toml_parse ((const char *) data, size, "registries.conf", &root, &err) == 0)
    toml_tval_free (root);
  skiff_error_release (&err);
  for (int v2 = 0; v2 < 2; v2++)
    {
      struct skiff_registries_conf *c = NULL;
      if (skiff_registries_conf_parse ((const char *) data, size, "registries.conf", v2, &c, &err) < 0)
        {
          skiff_error_release (&err);
          continue;
        }
      for (size_t i = 0; refs[i]; i++)
        {
          struct skiff_pull_source *src = NULL;
          size_t n = 0;
          if (skiff_registries_conf_pull_sources (c, refs[i], &src, &n, &err) == 0)
            skiff_pull_sources_free (src, n);
          skiff_error_release (&err);
          (void) skiff_registries_conf_insecure (c, refs[i]);
          (void) skiff_registries_conf_blocked (c, refs[i]);
        }
      struct skiff_resolved_name *r = NULL;
      if (skiff_short_name_resolve (c, "busybox", false, &r, &err) == 0)
        skiff_resolved_name_free (r);
      skiff_error_release (&err);
      char **local = NULL;
      if (skiff_short_name_resolve_local (c, "busybox:1", &local, &err) == 0)
        strv_free (local);
      skiff_error_release (&err);
      /* a drop-in merged over itself */
      struct skiff_registries_conf *d = NULL;
      if (skiff_registries_conf_parse ((const char *) data, size, "drop-in.conf", true, &d, &err) == 0)
        {
          skiff_registries_conf_merge (c, d);
          skiff_registries_conf_free (d);
        }
      skiff_error_release (&err);
      skiff_registries_conf_free (c);
    }
  return 0;
}
