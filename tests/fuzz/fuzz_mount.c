/* podman's mount grammar (engine/mountspec.c): --mount's key list, -v SRC:DST[:OPTS], --tmpfs DST[:OPTS] and
 * --volumes-from, then the mounts together. Properties checked: every parsed mount has an absolute, clean
 * destination; a failed parse appends nothing; the checks never leave two mounts on one destination. */
#include "engine/spec.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static void
check_mount (const struct skiff_mount *m)
{
  const char *d = m->destination;
  if (d == NULL || d[0] != '/' || strstr (d, "//") || strstr (d, "/./") || (strlen (d) > 1 && d[strlen (d) - 1] == '/'))
    abort ();
  if (m->type == SKIFF_MOUNT_BIND && (m->source == NULL || m->source[0] != '/'))
    abort (); /* a bind's source is an absolute host path */
  if (m->type == SKIFF_MOUNT_VOLUME && m->source && !skiff_volume_name_valid (m->source))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_cstr (data, size);
  int (*parsers[]) (const char *, struct skiff_mount **, size_t *, skiff_error_t *)
      = { skiff_spec_parse_mount, skiff_spec_parse_volume, skiff_spec_parse_tmpfs };
  struct skiff_mount *v = NULL;
  size_t n = 0;
  for (size_t p = 0; p < sizeof parsers / sizeof *parsers; p++)
    {
      size_t before = n;
      skiff_error_t err = NULL;
      if (parsers[p](s, &v, &n, &err) < 0)
        {
          if (n != before || err == NULL)
            abort ();
          skiff_error_release (&err);
          continue;
        }
      if (n != before + 1)
        abort ();
      check_mount (&v[n - 1]);
    }
  skiff_error_t err = NULL;
  if (skiff_spec_check_mounts (v, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
          if (strcmp (v[i].destination, v[j].destination) == 0)
            abort ();
    }
  skiff_error_release (&err);
  skiff_mounts_free (v, n);
  struct skiff_volumes_from *vf = NULL;
  size_t nvf = 0;
  if (skiff_spec_parse_volumes_from (s, &vf, &nvf, &err) < 0)
    skiff_error_release (&err);
  skiff_volumes_from_free (vf, nvf);
  return 0;
}
