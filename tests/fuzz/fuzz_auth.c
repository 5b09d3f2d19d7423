/* auth.json (containers-auth.json(5)): read by pull, push and login, and written by other tools; through the
 * public calls (image/auth.c's reader is private to it), from a file of the harness's own. */
#include <fcntl.h>

#include "fuzz.h"
#include "image/registries.h"

static const char *const keys[]
    = { "docker.io", "docker.io/library/busybox", "localhost:5000/ns/repo", "quay.io", "[::1]:5000", NULL };
static char *path;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  path = path_join (fuzz_tmpdir (), "auth.json");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  skiff_error_t err = NULL;
  unlink (path);
  if (write_file_at (AT_FDCWD, path, data, size, 0600, &err) < 0)
    abort ();
  for (size_t i = 0; keys[i]; i++)
    {
      char *user = NULL, *pass = NULL;
      /* 1: found, 0: not there (both NULL), negative: an error */
      (void) skiff_auth_get (path, keys[i], &user, &pass, &err);
      free (user);
      free (pass);
      skiff_error_release (&err);
    }
  /* a key as typed by the user (login, logout) */
  cleanup_free char *s = fuzz_cstr (data, size);
  free (skiff_auth_normalize_key (s, &err));
  skiff_error_release (&err);
  return 0;
}
