/* The k8s-file log as `logs` reads it back: lines of "<time> <stdout|stderr> <F|P> <text>". A container
 * writes the text, and anything with the user's rights can write the file. */
#include "fuzz.h"
#include "monitor/monitor.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* line by line, as getline hands them over (with their newline, the last maybe without) */
  size_t start = 0;
  while (start < size)
    {
      const uint8_t *nl = memchr (data + start, '\n', size - start);
      size_t end = nl ? (size_t) (nl - data) + 1 : size;
      cleanup_free char *line = fuzz_cstr (data + start, end - start);
      struct skiff_log_entry e;
      if (skiff_log_parse_line (line, &e))
        {
          if (e.stream != 1 && e.stream != 2)
            abort ();
          (void) strlen (e.time);
          (void) strlen (e.text);
        }
      start = end;
    }
  return 0;
}
