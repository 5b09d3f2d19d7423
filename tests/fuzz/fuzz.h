/* What every harness of tests/fuzz shares: libFuzzer's two entry points and small helpers. A harness is one
 * parser of input skiff does not control; built by contrib/fuzz.sh with clang's libFuzzer, or with replay.c
 * in every other build (a test that runs it over its corpus and its kept crash inputs). */
#ifndef SKIFF_FUZZ_H
#define SKIFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (it may hold NUL bytes of its own); caller frees. */
static inline char *
fuzz_cstr (const uint8_t *data, size_t size)
{
  char *s = xmalloc (size + 1);
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* Split the input at the first NUL byte (or "\n--\n" when there is none): two strings, both caller's. */
static inline void
fuzz_split (const uint8_t *data, size_t size, char **a, char **b)
{
  const uint8_t *cut = memchr (data, '\0', size);
  size_t skip = 1;
  if (cut == NULL)
    {
      cut = memmem (data, size, "\n--\n", 4);
      skip = 4;
    }
  if (cut == NULL)
    {
      *a = fuzz_cstr (data, size);
      *b = xstrdup ("");
      return;
    }
  *a = fuzz_cstr (data, (size_t) (cut - data));
  *b = fuzz_cstr (cut + skip, size - (size_t) (cut - data) - skip);
}

/* A private directory for the harness's files (under $TMPDIR or /tmp), made once. */
const char *fuzz_tmpdir (void);

#endif
