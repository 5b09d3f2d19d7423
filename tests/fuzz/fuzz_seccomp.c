/* Seccomp profiles (--security-opt seccomp=FILE): parsed and compiled to BPF, never installed. */
#include "fuzz.h"
#include "runtime/seccomp.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  skiff_log_level = SKIFF_LOG_ERROR;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_cstr (data, size);
  /* rules conditioned on capabilities: with none and with all */
  static const uint64_t caps[] = { 0, ~(uint64_t) 0 };
  for (size_t i = 0; i < ARRAY_SIZE (caps); i++)
    {
      struct skiff_seccomp *f = NULL;
      skiff_error_t err = NULL;
      if (skiff_seccomp_compile (s, caps[i], NULL, &f, &err) == 0)
        {
          size_t n = 0;
          if (f && skiff_seccomp_program (f, &n) == NULL)
            abort ();
          skiff_seccomp_free (f);
        }
      skiff_error_release (&err);
    }
  return 0;
}
