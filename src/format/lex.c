/* --format engine: the template lexer, ported from Go's text/template/parse/lex.go. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* lexer: Go's text/template/parse/lex.go                                                            */

enum lstate
{
  LS_STOP,
  LS_TEXT,
  LS_LEFTDELIM,
  LS_COMMENT,
  LS_RIGHTDELIM,
  LS_INSIDE,
  LS_SPACE,
  LS_IDENT,
  LS_FIELD,
  LS_VARIABLE,
  LS_CHAR,
  LS_NUMBER,
  LS_QUOTE,
  LS_RAWQUOTE,
};

#define LEX_EOF ((uint32_t) -1)

/* The line of pos; items come in order, so counting goes on from the last position asked about. */
static int
line_at (struct lexer *l, size_t pos)
{
  if (l->line == 0 || pos < l->line_pos)
    {
      l->line = 1;
      l->line_pos = 0;
    }
  for (size_t i = l->line_pos; i < pos; i++)
    if (l->in[i] == '\n')
      l->line++;
  l->line_pos = pos;
  return l->line;
}

static uint32_t
lex_next (struct lexer *l)
{
  l->width = 0;
  if (l->pos >= l->len)
    return LEX_EOF;
  size_t w;
  uint32_t r = fmt_utf8_decode ((const unsigned char *) l->in + l->pos, l->len - l->pos, &w);
  l->pos += w;
  l->width = w;
  return r;
}

static uint32_t
lex_peek (struct lexer *l)
{
  if (l->pos >= l->len)
    return LEX_EOF;
  size_t w;
  return fmt_utf8_decode ((const unsigned char *) l->in + l->pos, l->len - l->pos, &w);
}

/* Step back the rune lex_next just read, by the width it had (as Go's lexer): counting back over continuation
 * bytes would step back too far after an invalid byte such as "\x80", and the lexer would loop forever. */
static void
lex_backup (struct lexer *l, uint32_t r)
{
  if (r == LEX_EOF)
    return;
  l->pos -= l->width;
  l->width = 0;
}

static struct item
lex_this_item (struct lexer *l, enum itype t)
{
  struct item i = { t, l->start, l->in + l->start, l->pos - l->start, line_at (l, l->start) };
  l->start = l->pos;
  return i;
}

static enum lstate
lex_emit (struct lexer *l, enum itype t)
{
  l->item = lex_this_item (l, t);
  return LS_STOP;
}

static void
lex_ignore (struct lexer *l)
{
  l->start = l->pos;
}

static bool
lex_accept (struct lexer *l, const char *valid)
{
  uint32_t r = lex_next (l);
  if (r != LEX_EOF && r < 0x80 && r != 0 && strchr (valid, (int) r))
    return true;
  lex_backup (l, r);
  return false;
}

static void
lex_accept_run (struct lexer *l, const char *valid)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r != LEX_EOF && r < 0x80 && r != 0 && strchr (valid, (int) r))
        continue;
      lex_backup (l, r);
      return;
    }
}

static enum lstate lex_errorf (struct lexer *l, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static enum lstate
lex_errorf (struct lexer *l, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  strv_push_take (&l->errs, msg);
  l->item = (struct item){ IT_ERROR, l->start, msg, strlen (msg), line_at (l, l->start) };
  l->failed = true;
  return LS_STOP;
}

/* Go's %#U */
static void
fmt_sharp_u (char *buf, size_t n, uint32_t r)
{
  if (r == LEX_EOF)
    r = RUNE_ERROR;
  if (fmt_rune_is_print (r))
    {
      struct sbuf t = { 0 };
      fmt_utf8_encode (&t, r);
      snprintf (buf, n, "U+%04" PRIX32 " '%s'", r, t.s);
      fmt_sb_release (&t);
    }
  else
    snprintf (buf, n, "U+%04" PRIX32, r);
}

static bool
is_space (uint32_t r)
{
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static bool
is_alnum (uint32_t r)
{
  return r == '_' || fmt_rune_is_letter (r) || fmt_rune_is_digit (r);
}

static bool
has_prefix_n (const char *s, size_t n, const char *prefix)
{
  size_t p = strlen (prefix);
  return n >= p && memcmp (s, prefix, p) == 0;
}

static bool
has_left_trim_marker (const char *s, size_t n)
{
  return n >= 2 && s[0] == '-' && is_space ((unsigned char) s[1]);
}

static bool
has_right_trim_marker (const char *s, size_t n)
{
  return n >= 2 && is_space ((unsigned char) s[0]) && s[1] == '-';
}

static size_t
left_trim_length (const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && is_space ((unsigned char) s[i]))
    i++;
  return i;
}

static size_t
right_trim_length (const char *s, size_t n)
{
  size_t i = n;
  while (i > 0 && is_space ((unsigned char) s[i - 1]))
    i--;
  return n - i;
}

static void
lex_at_right_delim (struct lexer *l, bool *delim, bool *trim)
{
  const char *s = l->in + l->pos;
  size_t n = l->len - l->pos;
  if (has_right_trim_marker (s, n) && has_prefix_n (s + 2, n - 2, "}}"))
    {
      *delim = *trim = true;
      return;
    }
  *trim = false;
  *delim = has_prefix_n (s, n, "}}");
}

static bool
lex_at_terminator (struct lexer *l)
{
  uint32_t r = lex_peek (l);
  if (r == LEX_EOF || is_space (r))
    return true;
  switch (r)
    {
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
      return true;
    }
  return has_prefix_n (l->in + l->pos, l->len - l->pos, "}}");
}

static enum lstate
lex_text (struct lexer *l)
{
  const char *p = memmem (l->in + l->pos, l->len - l->pos, "{{", 2);
  if (p != NULL)
    {
      size_t x = (size_t) (p - (l->in + l->pos));
      if (x > 0)
        {
          l->pos += x;
          size_t trim = 0;
          size_t delim_end = l->pos + 2;
          if (has_left_trim_marker (l->in + delim_end, l->len - delim_end))
            trim = right_trim_length (l->in + l->start, l->pos - l->start);
          l->pos -= trim;
          struct item i = lex_this_item (l, IT_TEXT);
          l->pos += trim;
          lex_ignore (l);
          if (i.len > 0)
            {
              l->item = i;
              return LS_STOP;
            }
        }
      return LS_LEFTDELIM;
    }
  l->pos = l->len;
  if (l->pos > l->start)
    return lex_emit (l, IT_TEXT);
  return lex_emit (l, IT_EOF);
}

static enum lstate
lex_left_delim (struct lexer *l)
{
  l->pos += 2;
  bool trim = has_left_trim_marker (l->in + l->pos, l->len - l->pos);
  size_t after = trim ? 2 : 0;
  if (has_prefix_n (l->in + l->pos + after, l->len - l->pos - after, "/*"))
    {
      l->pos += after;
      lex_ignore (l);
      return LS_COMMENT;
    }
  struct item i = lex_this_item (l, IT_LEFTDELIM);
  l->inside = true;
  l->pos += after;
  lex_ignore (l);
  l->paren = 0;
  l->item = i;
  return LS_STOP;
}

static enum lstate
lex_comment (struct lexer *l)
{
  l->pos += 2;
  const char *x = memmem (l->in + l->pos, l->len - l->pos, "*/", 2);
  if (x == NULL)
    return lex_errorf (l, "unclosed comment");
  l->pos = (size_t) (x - l->in) + 2;
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (!delim)
    return lex_errorf (l, "comment ends before closing delimiter");
  lex_this_item (l, IT_COMMENT);
  if (trim)
    l->pos += 2;
  l->pos += 2;
  if (trim)
    l->pos += left_trim_length (l->in + l->pos, l->len - l->pos);
  lex_ignore (l);
  return LS_TEXT;
}

static enum lstate
lex_right_delim (struct lexer *l)
{
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (trim)
    {
      l->pos += 2;
      lex_ignore (l);
    }
  l->pos += 2;
  struct item i = lex_this_item (l, IT_RIGHTDELIM);
  if (trim)
    {
      l->pos += left_trim_length (l->in + l->pos, l->len - l->pos);
      lex_ignore (l);
    }
  l->inside = false;
  l->item = i;
  return LS_STOP;
}

static enum lstate
lex_inside_action (struct lexer *l)
{
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (delim)
    {
      if (l->paren == 0)
        return LS_RIGHTDELIM;
      return lex_errorf (l, "unclosed left paren");
    }
  uint32_t r = lex_next (l);
  if (r == LEX_EOF)
    return lex_errorf (l, "unclosed action");
  if (is_space (r))
    {
      lex_backup (l, r);
      return LS_SPACE;
    }
  switch (r)
    {
    case '=':
      return lex_emit (l, IT_ASSIGN);
    case ':':
      if (lex_next (l) != '=')
        return lex_errorf (l, "expected :=");
      return lex_emit (l, IT_DECLARE);
    case '|':
      return lex_emit (l, IT_PIPE);
    case '"':
      return LS_QUOTE;
    case '`':
      return LS_RAWQUOTE;
    case '$':
      return LS_VARIABLE;
    case '\'':
      return LS_CHAR;
    case '.':
      if (l->pos < l->len)
        {
          char c = l->in[l->pos];
          if (c < '0' || c > '9')
            return LS_FIELD;
        }
      lex_backup (l, r);
      return LS_NUMBER;
    case '(':
      l->paren++;
      return lex_emit (l, IT_LEFTPAREN);
    case ')':
      {
        l->paren--;
        if (l->paren < 0)
          return lex_errorf (l, "unexpected right paren");
        return lex_emit (l, IT_RIGHTPAREN);
      }
    }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9'))
    {
      lex_backup (l, r);
      return LS_NUMBER;
    }
  if (is_alnum (r))
    {
      lex_backup (l, r);
      return LS_IDENT;
    }
  if (r < 0x80 && r >= 0x20 && r < 0x7F)
    return lex_emit (l, IT_CHAR);
  char u[32];
  fmt_sharp_u (u, sizeof u, r);
  return lex_errorf (l, "unrecognized character in action: %s", u);
}

static enum lstate
lex_space (struct lexer *l)
{
  int num = 0;
  for (;;)
    {
      uint32_t r = lex_peek (l);
      if (r == LEX_EOF || !is_space (r))
        break;
      lex_next (l);
      num++;
    }
  const char *s = l->in + l->pos - 1;
  size_t n = l->len - l->pos + 1;
  if (has_right_trim_marker (s, n) && has_prefix_n (s + 2, n - 2, "}}"))
    {
      l->pos--;
      if (num == 1)
        return LS_RIGHTDELIM;
    }
  return lex_emit (l, IT_SPACE);
}

static const struct
{
  const char *word;
  enum itype typ;
} keywords[] = {
  { "block", IT_BLOCK },
  { "break", IT_BREAK },
  { "continue", IT_CONTINUE },
  { "define", IT_DEFINE },
  { "else", IT_ELSE },
  { "end", IT_END },
  { "if", IT_IF },
  { "range", IT_RANGE },
  { "nil", IT_NIL },
  { "template", IT_TEMPLATE },
  { "with", IT_WITH },
};

static enum lstate
lex_identifier (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r != LEX_EOF && is_alnum (r))
        continue;
      lex_backup (l, r);
      const char *word = l->in + l->start;
      size_t wl = l->pos - l->start;
      if (!lex_at_terminator (l))
        {
          char u[32];
          fmt_sharp_u (u, sizeof u, r);
          return lex_errorf (l, "bad character %s", u);
        }
      for (size_t k = 0; k < ARRAY_SIZE (keywords); k++)
        if (strlen (keywords[k].word) == wl && memcmp (keywords[k].word, word, wl) == 0)
          return lex_emit (l, keywords[k].typ);
      if (word[0] == '.')
        return lex_emit (l, IT_FIELD);
      if ((wl == 4 && memcmp (word, "true", 4) == 0) || (wl == 5 && memcmp (word, "false", 5) == 0))
        return lex_emit (l, IT_BOOL);
      return lex_emit (l, IT_IDENT);
    }
}

static enum lstate
lex_field_or_variable (struct lexer *l, enum itype typ)
{
  if (lex_at_terminator (l))
    return lex_emit (l, typ == IT_VARIABLE ? IT_VARIABLE : IT_DOT);
  uint32_t r;
  for (;;)
    {
      r = lex_next (l);
      if (r == LEX_EOF || !is_alnum (r))
        {
          lex_backup (l, r);
          break;
        }
    }
  if (!lex_at_terminator (l))
    {
      char u[32];
      fmt_sharp_u (u, sizeof u, r);
      return lex_errorf (l, "bad character %s", u);
    }
  return lex_emit (l, typ);
}

static enum lstate
lex_char (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == '\\')
        {
          r = lex_next (l);
          if (r != LEX_EOF && r != '\n')
            continue;
        }
      if (r == LEX_EOF || r == '\n')
        return lex_errorf (l, "unterminated character constant");
      if (r == '\'')
        break;
    }
  return lex_emit (l, IT_CHARCONST);
}

static bool
lex_scan_number (struct lexer *l)
{
  lex_accept (l, "+-");
  const char *digits = "0123456789_";
  if (lex_accept (l, "0"))
    {
      if (lex_accept (l, "xX"))
        digits = "0123456789abcdefABCDEF_";
      else if (lex_accept (l, "oO"))
        digits = "01234567_";
      else if (lex_accept (l, "bB"))
        digits = "01_";
    }
  lex_accept_run (l, digits);
  if (lex_accept (l, "."))
    lex_accept_run (l, digits);
  if (strlen (digits) == 10 + 1 && lex_accept (l, "eE"))
    {
      lex_accept (l, "+-");
      lex_accept_run (l, "0123456789_");
    }
  if (strlen (digits) == 16 + 6 + 1 && lex_accept (l, "pP"))
    {
      lex_accept (l, "+-");
      lex_accept_run (l, "0123456789_");
    }
  lex_accept (l, "i");
  uint32_t r = lex_peek (l);
  if (r != LEX_EOF && is_alnum (r))
    {
      lex_next (l);
      return false;
    }
  return true;
}

static enum lstate
lex_number (struct lexer *l)
{
  if (!lex_scan_number (l))
    return lex_errorf (l, "bad number syntax: \"%.*s\"", (int) (l->pos - l->start), l->in + l->start);
  uint32_t sign = lex_peek (l);
  if (sign == '+' || sign == '-')
    {
      if (!lex_scan_number (l) || l->in[l->pos - 1] != 'i')
        return lex_errorf (l, "bad number syntax: \"%.*s\"", (int) (l->pos - l->start), l->in + l->start);
      return lex_emit (l, IT_COMPLEX);
    }
  return lex_emit (l, IT_NUMBER);
}

static enum lstate
lex_quote (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == '\\')
        {
          r = lex_next (l);
          if (r != LEX_EOF && r != '\n')
            continue;
        }
      if (r == LEX_EOF || r == '\n')
        return lex_errorf (l, "unterminated quoted string");
      if (r == '"')
        break;
    }
  return lex_emit (l, IT_STRING);
}

static enum lstate
lex_raw_quote (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == LEX_EOF)
        return lex_errorf (l, "unterminated raw quoted string");
      if (r == '`')
        break;
    }
  return lex_emit (l, IT_RAWSTRING);
}

struct item
fmt_lex_next_item (struct lexer *l)
{
  if (l->failed)
    return l->item;
  l->item = (struct item){ IT_EOF, l->pos, "", 0, line_at (l, l->start) };
  enum lstate st = l->inside ? LS_INSIDE : LS_TEXT;
  while (st != LS_STOP)
    {
      switch (st)
        {
        case LS_TEXT:
          st = lex_text (l);
          break;
        case LS_LEFTDELIM:
          st = lex_left_delim (l);
          break;
        case LS_COMMENT:
          st = lex_comment (l);
          break;
        case LS_RIGHTDELIM:
          st = lex_right_delim (l);
          break;
        case LS_INSIDE:
          st = lex_inside_action (l);
          break;
        case LS_SPACE:
          st = lex_space (l);
          break;
        case LS_IDENT:
          st = lex_identifier (l);
          break;
        case LS_FIELD:
          st = lex_field_or_variable (l, IT_FIELD);
          break;
        case LS_VARIABLE:
          st = lex_field_or_variable (l, IT_VARIABLE);
          break;
        case LS_CHAR:
          st = lex_char (l);
          break;
        case LS_NUMBER:
          st = lex_number (l);
          break;
        case LS_QUOTE:
          st = lex_quote (l);
          break;
        case LS_RAWQUOTE:
          st = lex_raw_quote (l);
          break;
        case LS_STOP:
          break;
        }
    }
  return l->item;
}
