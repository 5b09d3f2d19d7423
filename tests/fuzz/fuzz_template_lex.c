/* --format: the template lexer alone, over the exact bytes (no terminator). Every item but the last must
 * move the lexer forward, or it would never end: that is checked, not left to a timeout. */
#include "format/format_internal.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct lexer l = { .in = (const char *) data, .len = size };
  size_t last_pos = 0, stalled = 0;
  for (;;)
    {
      struct item it = fmt_lex_next_item (&l);
      if (it.typ == IT_EOF || it.typ == IT_ERROR)
        break;
      if (l.pos > size || it.pos > size || it.len > size - it.pos)
        abort (); /* an item outside the input */
      /* a few empty items are legitimate (a delimiter after trimmed space); many in a row are a loop */
      stalled = l.pos == last_pos ? stalled + 1 : 0;
      if (stalled > 8)
        abort ();
      last_pos = l.pos;
    }
  strv_free (l.errs);
  return 0;
}
