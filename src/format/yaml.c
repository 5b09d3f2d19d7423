/* --format engine: YAML as `podman info` prints it, sigs.k8s.io/yaml over goyaml.v2
 * (skiff_yaml_from_json). */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "format/format_internal.h"

/* goyaml.v2's default line width (best_width) and indentation */
#define YAML_BEST_WIDTH 80
#define YAML_INDENT 2
/* goyaml: longer keys are written as complex keys ("? key") */
#define YAML_SIMPLE_KEY_MAX 128

/* ------------------------------------------------------------------------------------------------ */
/* YAML as `podman info` prints it: sigs.k8s.io/yaml turns the JSON into YAML with goyaml.v2, so keys */
/* are sorted (goyaml's natural order), strings are quoted when they would read back as another type, */
/* sequences in mappings are not indented and long lines fold at 80 columns.                         */

struct yaml
{
  struct sbuf out;
  int column;
  bool whitespace, indention;
  int indent;
};

static void
y_put (struct yaml *y, char c)
{
  fmt_sb_addc (&y->out, c);
  y->column++;
}

static void
y_put_break (struct yaml *y)
{
  fmt_sb_addc (&y->out, '\n');
  y->column = 0;
}

/* one rune of value at *i */
static void
y_write (struct yaml *y, const char *v, size_t n, size_t *i)
{
  size_t w;
  fmt_utf8_decode ((const unsigned char *) v + *i, n - *i, &w);
  fmt_sb_addn (&y->out, v + *i, w);
  *i += w;
  y->column++;
}

static void
y_write_indent (struct yaml *y)
{
  int indent = y->indent < 0 ? 0 : y->indent;
  if (!y->indention || y->column > indent || (y->column == indent && !y->whitespace))
    y_put_break (y);
  while (y->column < indent)
    y_put (y, ' ');
  y->whitespace = true;
  y->indention = true;
}

static void
y_indicator (struct yaml *y, const char *ind, bool need_ws, bool is_ws, bool is_indention)
{
  if (need_ws && !y->whitespace)
    y_put (y, ' ');
  for (const char *p = ind; *p; p++)
    y_put (y, *p);
  y->whitespace = is_ws;
  y->indention = y->indention && is_indention;
}

static bool
y_is_break (const char *v, size_t n, size_t i)
{
  unsigned char c = (unsigned char) v[i];
  if (c == '\r' || c == '\n')
    return true;
  if (c == 0xC2 && i + 1 < n && (unsigned char) v[i + 1] == 0x85)
    return true;
  if (c == 0xE2 && i + 2 < n && (unsigned char) v[i + 1] == 0x80
      && ((unsigned char) v[i + 2] == 0xA8 || (unsigned char) v[i + 2] == 0xA9))
    return true;
  return false;
}

static bool
y_is_blankz (const char *v, size_t n, size_t i)
{
  return i >= n || v[i] == ' ' || v[i] == '\t' || v[i] == '\0' || y_is_break (v, n, i);
}

static bool
y_is_printable (const char *v, size_t n, size_t i)
{
  unsigned char b0 = (unsigned char) v[i];
  unsigned char b1 = i + 1 < n ? (unsigned char) v[i + 1] : 0;
  unsigned char b2 = i + 2 < n ? (unsigned char) v[i + 2] : 0;
  return b0 == 0x0A || (b0 >= 0x20 && b0 <= 0x7E) || (b0 == 0xC2 && b1 >= 0xA0) || (b0 > 0xC2 && b0 < 0xED)
         || (b0 == 0xED && b1 < 0xA0) || b0 == 0xEE
         || (b0 == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

struct yscalar
{
  bool multiline, flow_plain, block_plain, single_quoted, block;
};

/* goyaml's yaml_emitter_analyze_scalar */
static void
y_analyze (const char *v, size_t n, struct yscalar *a)
{
  bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, prev_space = false, prev_break = false;
  if (n == 0)
    {
      *a = (struct yscalar){ false, false, true, true, false };
      return;
    }
  if (n >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') || (v[0] == '.' && v[1] == '.' && v[2] == '.')))
    block_ind = flow_ind = true;
  bool preceded_ws = true;
  for (size_t i = 0; i < n;)
    {
      size_t w;
      fmt_utf8_decode ((const unsigned char *) v + i, n - i, &w);
      bool followed_ws
          = i + w >= n || v[i + w] == ' ' || v[i + w] == '\t' || y_is_break (v, n, i + w) || v[i + w] == '\0';
      char c = v[i];
      if (i == 0)
        {
          switch (c)
            {
            case '#':
            case ',':
            case '[':
            case ']':
            case '{':
            case '}':
            case '&':
            case '*':
            case '!':
            case '|':
            case '>':
            case '\'':
            case '"':
            case '%':
            case '@':
            case '`':
              flow_ind = block_ind = true;
              break;
            case '?':
            case ':':
              flow_ind = true;
              if (followed_ws)
                block_ind = true;
              break;
            case '-':
              if (followed_ws)
                flow_ind = block_ind = true;
              break;
            }
        }
      else
        {
          switch (c)
            {
            case ',':
            case '?':
            case '[':
            case ']':
            case '{':
            case '}':
              flow_ind = true;
              break;
            case ':':
              flow_ind = true;
              if (followed_ws)
                block_ind = true;
              break;
            case '#':
              if (preceded_ws)
                flow_ind = block_ind = true;
              break;
            }
        }
      if (!y_is_printable (v, n, i))
        special = true;
      if (c == ' ')
        {
          if (i == 0)
            leading_space = true;
          if (i + w == n)
            trailing_space = true;
          if (prev_break)
            break_space = true;
          prev_space = true;
          prev_break = false;
        }
      else if (y_is_break (v, n, i))
        {
          line_breaks = true;
          if (i == 0)
            leading_break = true;
          if (i + w == n)
            trailing_break = true;
          if (prev_space)
            space_break = true;
          prev_space = false;
          prev_break = true;
        }
      else
        prev_space = prev_break = false;
      preceded_ws = y_is_blankz (v, n, i);
      i += w;
    }
  *a = (struct yscalar){ line_breaks, true, true, true, true };
  if (leading_space || leading_break || trailing_space || trailing_break)
    a->flow_plain = a->block_plain = false;
  if (trailing_space)
    a->block = false;
  if (break_space)
    a->flow_plain = a->block_plain = a->single_quoted = false;
  if (space_break || special)
    a->flow_plain = a->block_plain = a->single_quoted = a->block = false;
  if (line_breaks)
    a->flow_plain = a->block_plain = false;
  if (flow_ind)
    a->flow_plain = false;
  if (block_ind)
    a->block_plain = false;
}

static bool
all_digits (const char *s, size_t n, size_t min, size_t max)
{
  if (n < min || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isdigit ((unsigned char) s[i]))
      return false;
  return true;
}

/* goyaml.v2 reads these plain scalars as timestamps (2006-1-2, with an optional time) */
static bool
y_is_timestamp (const char *s)
{
  size_t n = strlen (s), i = 0, j;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (i != 4 || i == n || s[i] != '-')
    return false;
  j = ++i;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (!all_digits (s + j, i - j, 1, 2) || i >= n || s[i] != '-')
    return false;
  j = ++i;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (!all_digits (s + j, i - j, 1, 2))
    return false;
  if (i == n)
    return true;
  char sep = s[i];
  if (sep != 'T' && sep != 't' && sep != ' ')
    return false;
  for (int part = 0; part < 3; part++)
    {
      j = ++i;
      while (i < n && isdigit ((unsigned char) s[i]))
        i++;
      if (!all_digits (s + j, i - j, 1, 2))
        return false;
      if (part < 2 && (i >= n || s[i] != ':'))
        return false;
    }
  if (i < n && s[i] == '.')
    {
      j = ++i;
      while (i < n && isdigit ((unsigned char) s[i]))
        i++;
      if (i == j)
        return false;
    }
  if (sep == ' ')
    return i == n;
  if (i < n && s[i] == 'Z')
    return i + 1 == n;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    return n - i == 6 && isdigit ((unsigned char) s[i + 1]) && isdigit ((unsigned char) s[i + 2]) && s[i + 3] == ':'
           && isdigit ((unsigned char) s[i + 4]) && isdigit ((unsigned char) s[i + 5]);
  return false;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
y_style_float (const char *s)
{
  size_t i = 0;
  if (s[i] == '-' || s[i] == '+')
    i++;
  if (s[i] == '.')
    {
      i++;
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
    }
  else
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
      if (s[i] == '.')
        {
          i++;
          while (isdigit ((unsigned char) s[i]))
            i++;
        }
    }
  if (s[i] == 'e' || s[i] == 'E')
    {
      i++;
      if (s[i] == '-' || s[i] == '+')
        i++;
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
    }
  return s[i] == '\0';
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool
y_is_base60_float (const char *s)
{
  size_t i = 0;
  if (s[i] == '-' || s[i] == '+')
    i++;
  if (!isdigit ((unsigned char) s[i]))
    return false;
  while (isdigit ((unsigned char) s[i]) || s[i] == '_')
    i++;
  int groups = 0;
  while (s[i] == ':')
    {
      i++;
      if (s[i] >= '0' && s[i] <= '5' && isdigit ((unsigned char) s[i + 1]))
        i += 2;
      else if (isdigit ((unsigned char) s[i]))
        i++;
      else
        return false;
      groups++;
    }
  if (groups == 0)
    return false;
  if (s[i] == '.')
    {
      i++;
      while (isdigit ((unsigned char) s[i]) || s[i] == '_')
        i++;
    }
  return s[i] == '\0';
}

/* goyaml.v2's resolve(): would this plain scalar read back as something other than a string? */
static bool
y_resolves_to_non_string (const char *s)
{
  static const char *const special[] = {
    "y",    "Y",    "yes",  "Yes",   "YES",   "true",  "True",  "TRUE",  "on",    "On",    "ON",    "n",     "N",
    "no",   "No",   "NO",   "false", "False", "FALSE", "off",   "Off",   "OFF",   "~",     "null",  "Null",  "NULL",
    ".nan", ".NaN", ".NAN", ".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
  };
  if (*s == '\0')
    return true;
  char c = s[0];
  bool hint = c == '+' || c == '-' || isdigit ((unsigned char) c) || strchr ("yYnNtTfFoO~", c) || c == '.';
  if (!hint)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (special); i++)
    if (strcmp (s, special[i]) == 0)
      return true;
  if (c == '.')
    {
      double d;
      return fmt_go_parse_float (s, &d);
    }
  if (c == '+' || c == '-' || isdigit ((unsigned char) c))
    {
      if (y_is_timestamp (s))
        return true;
      cleanup_free char *plain = xmalloc (strlen (s) + 1);
      size_t k = 0;
      for (const char *p = s; *p; p++)
        if (*p != '_')
          plain[k++] = *p;
      plain[k] = '\0';
      int64_t iv;
      uint64_t uv;
      if (fmt_go_parse_integer (plain, true, &iv, &uv) || fmt_go_parse_integer (plain, false, &iv, &uv))
        return true;
      if (y_style_float (plain))
        return true;
      const char *bin = plain[0] == '-' ? plain + 1 : plain;
      if (bin[0] == '0' && bin[1] == 'b' && bin[2])
        {
          for (const char *p = bin + 2; *p; p++)
            if (*p != '0' && *p != '1')
              return false;
          return true;
        }
    }
  return false;
}

enum ystyle
{
  YS_PLAIN,
  YS_SINGLE,
  YS_DOUBLE,
  YS_LITERAL,
};

/* goyaml's write_break: a line feed starts a new line; other break runes are written as they are */
static void
y_write_break (struct yaml *y, const char *v, size_t n, size_t *i)
{
  if (v[*i] == '\n')
    {
      y_put_break (y);
      (*i)++;
      return;
    }
  y_write (y, v, n, i);
  y->column = 0;
}

static void
y_write_plain (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  if (!y->whitespace)
    y_put (y, ' ');
  bool spaces = false, breaks = false;
  for (size_t i = 0; i < n;)
    {
      if (v[i] == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && !(i + 1 < n && v[i + 1] == ' '))
            {
              y_write_indent (y);
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else if (y_is_break (v, n, i))
        {
          if (!breaks && v[i] == '\n')
            y_put_break (y);
          y_write_break (y, v, n, &i);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            y_write_indent (y);
          y_write (y, v, n, &i);
          y->indention = false;
          spaces = false;
          breaks = false;
        }
    }
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_single (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  y_indicator (y, "'", true, false, false);
  bool spaces = false, breaks = false;
  for (size_t i = 0; i < n;)
    {
      if (v[i] == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && i > 0 && i < n - 1
              && !(i + 1 < n && v[i + 1] == ' '))
            {
              y_write_indent (y);
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else if (y_is_break (v, n, i))
        {
          if (!breaks && v[i] == '\n')
            y_put_break (y);
          y_write_break (y, v, n, &i);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            y_write_indent (y);
          breaks = false;
          if (v[i] == '\'')
            y_put (y, '\'');
          y_write (y, v, n, &i);
          y->indention = false;
          spaces = false;
        }
    }
  y_indicator (y, "'", false, false, false);
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_double (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  static const char hex[] = "0123456789ABCDEF";
  y_indicator (y, "\"", true, false, false);
  bool spaces = false;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = (unsigned char) v[i];
      bool is_bom = c == 0xEF && i + 2 < n && (unsigned char) v[i + 1] == 0xBB && (unsigned char) v[i + 2] == 0xBF;
      if (!y_is_printable (v, n, i) || is_bom || y_is_break (v, n, i) || c == '"' || c == '\\')
        {
          size_t w;
          uint32_t r = fmt_utf8_decode ((const unsigned char *) v + i, n - i, &w);
          if (r == RUNE_ERROR && w == 1)
            r = c;
          i += w;
          y_put (y, '\\');
          switch (r)
            {
            case 0x00:
              y_put (y, '0');
              break;
            case 0x07:
              y_put (y, 'a');
              break;
            case 0x08:
              y_put (y, 'b');
              break;
            case 0x09:
              y_put (y, 't');
              break;
            case 0x0A:
              y_put (y, 'n');
              break;
            case 0x0B:
              y_put (y, 'v');
              break;
            case 0x0C:
              y_put (y, 'f');
              break;
            case 0x0D:
              y_put (y, 'r');
              break;
            case 0x1B:
              y_put (y, 'e');
              break;
            case 0x22:
              y_put (y, '"');
              break;
            case 0x5C:
              y_put (y, '\\');
              break;
            case 0x85:
              y_put (y, 'N');
              break;
            case 0xA0:
              y_put (y, '_');
              break;
            case 0x2028:
              y_put (y, 'L');
              break;
            case 0x2029:
              y_put (y, 'P');
              break;
            default:
              {
                int digits;
                if (r <= 0xFF)
                  y_put (y, 'x'), digits = 2;
                else if (r <= 0xFFFF)
                  y_put (y, 'u'), digits = 4;
                else
                  y_put (y, 'U'), digits = 8;
                for (int k = (digits - 1) * 4; k >= 0; k -= 4)
                  y_put (y, hex[(r >> k) & 0xF]);
              }
            }
          spaces = false;
        }
      else if (c == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && i > 0 && i < n - 1)
            {
              y_write_indent (y);
              if (i + 1 < n && v[i + 1] == ' ')
                y_put (y, '\\');
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else
        {
          y_write (y, v, n, &i);
          spaces = false;
        }
    }
  y_indicator (y, "\"", false, false, false);
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_literal (struct yaml *y, const char *v, size_t n)
{
  y_indicator (y, "|", true, false, false);
  if (n > 0 && (v[0] == ' ' || y_is_break (v, n, 0)))
    {
      char hint[2] = { (char) ('0' + YAML_INDENT), 0 };
      y_indicator (y, hint, false, false, false);
    }
  /* chomping: '-' without a final line break, '+' with more than one */
  const char *chomp = NULL;
  if (n == 0)
    chomp = "-";
  else
    {
      size_t i = n - 1;
      while (i > 0 && ((unsigned char) v[i] & 0xC0) == 0x80)
        i--;
      if (!y_is_break (v, n, i))
        chomp = "-";
      else if (i == 0)
        chomp = "+";
      else
        {
          i--;
          while (i > 0 && ((unsigned char) v[i] & 0xC0) == 0x80)
            i--;
          if (y_is_break (v, n, i))
            chomp = "+";
        }
    }
  if (chomp)
    y_indicator (y, chomp, false, false, false);
  y_put_break (y);
  y->indention = true;
  y->whitespace = true;
  bool breaks = true;
  for (size_t i = 0; i < n;)
    {
      if (y_is_break (v, n, i))
        {
          if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
            i++;
          size_t w;
          fmt_utf8_decode ((const unsigned char *) v + i, n - i, &w);
          i += w;
          y_put_break (y);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            {
              y_write_indent (y);
              breaks = false;
            }
          y_write (y, v, n, &i);
          y->indention = false;
        }
    }
}

static void
y_string (struct yaml *y, const char *v, size_t n, bool simple_key)
{
  cleanup_free char *z = xstrndup (v, n);
  bool can_plain = strlen (z) == n && !y_resolves_to_non_string (z) && !y_is_base60_float (z);
  enum ystyle style = memchr (v, '\n', n) ? YS_LITERAL : can_plain ? YS_PLAIN : YS_DOUBLE;
  struct yscalar a;
  y_analyze (v, n, &a);
  if (simple_key && a.multiline)
    style = YS_DOUBLE;
  if (style == YS_PLAIN)
    {
      if (!a.block_plain)
        style = YS_SINGLE;
      if (n == 0 && simple_key)
        style = YS_SINGLE;
    }
  if (style == YS_SINGLE && !a.single_quoted)
    style = YS_DOUBLE;
  if (style == YS_LITERAL && (!a.block || simple_key))
    style = YS_DOUBLE;
  int old = y->indent;
  y->indent = y->indent < 0 ? YAML_INDENT : y->indent + YAML_INDENT;
  switch (style)
    {
    case YS_PLAIN:
      y_write_plain (y, v, n, !simple_key);
      break;
    case YS_SINGLE:
      y_write_single (y, v, n, !simple_key);
      break;
    case YS_DOUBLE:
      y_write_double (y, v, n, !simple_key);
      break;
    case YS_LITERAL:
      y_write_literal (y, v, n);
      break;
    }
  y->indent = old;
}

static void
y_plain_token (struct yaml *y, const char *s)
{
  int old = y->indent;
  y->indent = y->indent < 0 ? YAML_INDENT : y->indent + YAML_INDENT;
  y_write_plain (y, s, strlen (s), true);
  y->indent = old;
}

/* goyaml.v2's keyList.Less for string keys: letters sort after other characters, digit runs by value */
static int
y_key_cmp (const void *pa, const void *pb)
{
  const struct kv *ka = pa, *kb = pb;
  const char *a = ka->k, *b = kb->k;
  size_t na = ka->klen, nb = kb->klen;
  uint32_t *ar = xmalloc ((na + 1) * sizeof *ar), *br = xmalloc ((nb + 1) * sizeof *br);
  size_t la = 0, lb = 0, w;
  for (size_t i = 0; i < na; i += w)
    ar[la++] = fmt_utf8_decode ((const unsigned char *) a + i, na - i, &w);
  for (size_t i = 0; i < nb; i += w)
    br[lb++] = fmt_utf8_decode ((const unsigned char *) b + i, nb - i, &w);
  int result = 0;
  size_t i;
  for (i = 0; i < la && i < lb; i++)
    {
      if (ar[i] == br[i])
        continue;
      bool al = fmt_rune_is_letter (ar[i]), bl = fmt_rune_is_letter (br[i]);
      if (al && bl)
        {
          result = ar[i] < br[i] ? -1 : 1;
          goto out;
        }
      if (al || bl)
        {
          result = bl ? -1 : 1;
          goto out;
        }
      int64_t an = 0, bn = 0;
      size_t ai, bi;
      if (ar[i] == '0' || br[i] == '0')
        {
          for (size_t j = i; j-- > 0 && fmt_rune_is_digit (ar[j]);)
            if (ar[j] != '0')
              {
                an = bn = 1;
                break;
              }
        }
      for (ai = i; ai < la && fmt_rune_is_digit (ar[ai]); ai++)
        an = an * 10 + (int64_t) (ar[ai] - '0');
      for (bi = i; bi < lb && fmt_rune_is_digit (br[bi]); bi++)
        bn = bn * 10 + (int64_t) (br[bi] - '0');
      if (an != bn)
        result = an < bn ? -1 : 1;
      else if (ai != bi)
        result = ai < bi ? -1 : 1;
      else
        result = ar[i] < br[i] ? -1 : 1;
      goto out;
    }
  result = la < lb ? -1 : la > lb ? 1 : 0;
out:
  free (ar);
  free (br);
  return result;
}

static void y_node (struct yaml *y, json_object *j, bool mapping_context, bool sort_keys);

static void
y_mapping (struct yaml *y, json_object *obj, bool sort_keys)
{
  size_t n = (size_t) json_object_object_length (obj), i = 0;
  if (n == 0)
    {
      y_indicator (y, "{", true, true, false);
      y_indicator (y, "}", false, false, false);
      return;
    }
  struct kv *e = xmalloc0 (n * sizeof *e);
  json_object_object_foreach (obj, k, v)
  {
    e[i].k = k;
    e[i].klen = strlen (k);
    e[i].v = v;
    i++;
  }
  if (sort_keys)
    qsort (e, n, sizeof *e, y_key_cmp);
  int old = y->indent;
  y->indent = y->indent < 0 ? 0 : y->indent + YAML_INDENT;
  for (i = 0; i < n; i++)
    {
      y_write_indent (y);
      struct yscalar a;
      y_analyze (e[i].k, e[i].klen, &a);
      if (!a.multiline && e[i].klen <= YAML_SIMPLE_KEY_MAX)
        {
          y_string (y, e[i].k, e[i].klen, true);
          y_indicator (y, ":", false, false, false);
        }
      else
        {
          /* goyaml writes a key that cannot be a simple key as "? key" with ": value" below */
          y_indicator (y, "?", true, false, true);
          y_string (y, e[i].k, e[i].klen, false);
          y_write_indent (y);
          y_indicator (y, ":", true, false, true);
        }
      y_node (y, e[i].v, true, sort_keys);
    }
  y->indent = old;
  free (e);
}

static void
y_sequence (struct yaml *y, json_object *arr, bool mapping_context, bool sort_keys)
{
  size_t n = json_object_array_length (arr);
  if (n == 0)
    {
      y_indicator (y, "[", true, true, false);
      y_indicator (y, "]", false, false, false);
      return;
    }
  int old = y->indent;
  bool indentless = mapping_context && !y->indention;
  if (y->indent < 0)
    y->indent = 0;
  else if (!indentless)
    y->indent += YAML_INDENT;
  for (size_t i = 0; i < n; i++)
    {
      y_write_indent (y);
      y_indicator (y, "-", true, false, true);
      y_node (y, json_object_array_get_idx (arr, i), false, sort_keys);
    }
  y->indent = old;
}

static void
y_node (struct yaml *y, json_object *j, bool mapping_context, bool sort_keys)
{
  switch (fmt_jkind (j))
    {
    case VK_NIL:
    case VK_INVALID:
      y_plain_token (y, "null");
      return;
    case VK_BOOL:
      y_plain_token (y, json_object_get_boolean (j) ? "true" : "false");
      return;
    case VK_INT:
      {
        char buf[64];
        uint64_t u;
        if (fmt_jint_unsigned (j, &u))
          snprintf (buf, sizeof buf, "%" PRIu64, u);
        else
          snprintf (buf, sizeof buf, "%" PRId64, json_object_get_int64 (j));
        y_plain_token (y, buf);
        return;
      }
    case VK_FLOAT:
      {
        /* JSON prints integral floats as integers, which read back as ints */
        double d = json_object_get_double (j);
        struct sbuf t = { 0 };
        if (fabs (d) < 9.2e18 && d == (double) (int64_t) d)
          fmt_sb_printf (&t, "%" PRId64, (int64_t) d);
        else if (d >= 0 && d < 1.8e19 && d == (double) (uint64_t) d)
          fmt_sb_printf (&t, "%" PRIu64, (uint64_t) d);
        else if (isnan (d))
          fmt_sb_adds (&t, ".nan");
        else if (isinf (d))
          fmt_sb_adds (&t, d > 0 ? ".inf" : "-.inf");
        else
          fmt_go_format_float (&t, d, 'g', -1);
        y_plain_token (y, t.s);
        fmt_sb_release (&t);
        return;
      }
    case VK_STRING:
      {
        size_t n;
        const char *s = fmt_jstr (j, &n);
        y_string (y, s, n, false);
        return;
      }
    case VK_ARRAY:
      y_sequence (y, j, mapping_context, sort_keys);
      return;
    case VK_MAP:
      y_mapping (y, j, sort_keys);
      return;
    }
}

static char *
yaml_emit (json_object *obj, bool sort_keys)
{
  struct yaml y = { .column = 0, .whitespace = true, .indention = true, .indent = -1 };
  y_node (&y, obj, false, sort_keys);
  /* document end */
  y.indent = -1;
  y_write_indent (&y);
  return fmt_sb_steal (&y.out);
}

char *
skiff_yaml_from_json (json_object *obj)
{
  return yaml_emit (obj, true);
}

char *
skiff_yaml_from_json_ordered (json_object *obj)
{
  return yaml_emit (obj, false);
}
