/* A registry's WWW-Authenticate challenge (a hostile registry writes it): scheme, realm, service, scope. */
#include "fuzz.h"
#include "image/registry.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_cstr (data, size);
  struct skiff_auth_challenge c = { 0 };
  skiff_error_t err = NULL;
  if (skiff_www_authenticate_parse (s, &c, &err) == 0)
    skiff_auth_challenge_release (&c);
  skiff_error_release (&err);
  return 0;
}
