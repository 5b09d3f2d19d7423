/* A reader for the TOML subset that configuration files use (registries.conf): a tree of values, with
 * line-numbered errors. */
#include "image/toml.h"

#include <ctype.h>

/* ======================================================================================================
 * TOML: values as a tree
 * ====================================================================================================== */

static struct tval *
tval_new (enum tval_kind kind, int line)
{
  struct tval *v = xmalloc0 (sizeof *v);
  v->kind = kind;
  v->line = line;
  return v;
}

void
toml_tval_free (struct tval *v)
{
  if (v == NULL)
    return;
  free (v->str);
  for (size_t i = 0; i < v->n_items; i++)
    toml_tval_free (v->items[i]);
  free (v->items);
  for (size_t i = 0; i < v->n_keys; i++)
    {
      free (v->keys[i]);
      toml_tval_free (v->vals[i]);
    }
  free (v->keys);
  free (v->vals);
  free (v);
}

struct tval *
toml_tbl_get (const struct tval *t, const char *key)
{
  for (size_t i = 0; i < t->n_keys; i++)
    if (strcmp (t->keys[i], key) == 0)
      return t->vals[i];
  return NULL;
}

static void
tbl_put (struct tval *t, const char *key, struct tval *v)
{
  t->keys = xrealloc (t->keys, (t->n_keys + 1) * sizeof *t->keys);
  t->vals = xrealloc (t->vals, (t->n_keys + 1) * sizeof *t->vals);
  t->keys[t->n_keys] = xstrdup (key);
  t->vals[t->n_keys] = v;
  t->n_keys++;
}

static void
arr_push (struct tval *a, struct tval *v)
{
  a->items = xrealloc (a->items, (a->n_items + 1) * sizeof *a->items);
  a->items[a->n_items++] = v;
}

/* ======================================================================================================
 * TOML: the reader
 * ====================================================================================================== */

/* Arrays and inline tables inside one another, and the parts of one dotted key or table header: each is a
 * level of recursion here and in toml_tval_free. Real configuration files use three or four. */
#define TOML_NESTING_MAX 100

struct toml
{
  const char *p;
  const char *end;
  const char *name;
  int line;
  int depth; /* arrays and inline tables being parsed */
  skiff_error_t *err;
};

static int __attribute__ ((format (printf, 2, 3))) toml_fail (struct toml *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return skiff_error_set_status (t->err, EINVAL, "%s:%d: %s", t->name, t->line, msg);
}

static bool
at_end (struct toml *t)
{
  return t->p >= t->end;
}

static void
skip_ws (struct toml *t)
{
  while (!at_end (t) && (*t->p == ' ' || *t->p == '\t'))
    t->p++;
}

static bool
at_eol (struct toml *t)
{
  return at_end (t) || *t->p == '\n' || (*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n');
}

static void
skip_comment (struct toml *t)
{
  if (!at_end (t) && *t->p == '#')
    while (!at_end (t) && *t->p != '\n')
      t->p++;
}

static void
consume_newline (struct toml *t)
{
  if (!at_end (t) && *t->p == '\r')
    t->p++;
  if (!at_end (t) && *t->p == '\n')
    {
      t->p++;
      t->line++;
    }
}

/* whitespace, newlines and comments, inside arrays */
static void
skip_ws_nl (struct toml *t)
{
  for (;;)
    {
      skip_ws (t);
      skip_comment (t);
      if (!at_end (t) && at_eol (t))
        consume_newline (t);
      else
        return;
    }
}

static bool
is_bare_key_char (char c)
{
  return isalnum ((unsigned char) c) || c == '_' || c == '-';
}

void
toml_buf_add (struct buf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap)
    {
      b->cap = (b->n + n + 1) * 2;
      b->s = xrealloc (b->s, b->cap);
    }
  memcpy (b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void
buf_add_utf8 (struct buf *b, uint32_t cp)
{
  char u[4];
  size_t n;
  if (cp < 0x80)
    u[0] = (char) cp, n = 1;
  else if (cp < 0x800)
    u[0] = (char) (0xC0 | (cp >> 6)), u[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char) (0xE0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[2] = (char) (0x80 | (cp & 0x3F)),
    n = 3;
  else
    u[0] = (char) (0xF0 | (cp >> 18)), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
    u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
  toml_buf_add (b, u, n);
}

/* One escape after a backslash in a basic string; t->p is on the character after the backslash. */
static int
parse_escape (struct toml *t, struct buf *b)
{
  if (at_end (t))
    return toml_fail (t, "unterminated string");
  char c = *t->p++;
  switch (c)
    {
    case 'b':
      toml_buf_add (b, "\b", 1);
      return 0;
    case 't':
      toml_buf_add (b, "\t", 1);
      return 0;
    case 'n':
      toml_buf_add (b, "\n", 1);
      return 0;
    case 'f':
      toml_buf_add (b, "\f", 1);
      return 0;
    case 'r':
      toml_buf_add (b, "\r", 1);
      return 0;
    case 'e':
      toml_buf_add (b, "\033", 1);
      return 0;
    case '"':
      toml_buf_add (b, "\"", 1);
      return 0;
    case '\\':
      toml_buf_add (b, "\\", 1);
      return 0;
    case 'u':
    case 'U':
      {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int i = 0; i < digits; i++)
          {
            if (at_end (t) || !isxdigit ((unsigned char) *t->p))
              return toml_fail (t, "invalid escape sequence \\%c: expected %d hexadecimal digits", c, digits);
            char h = *t->p++;
            cp = cp * 16 + (uint32_t) (isdigit ((unsigned char) h) ? h - '0' : tolower ((unsigned char) h) - 'a' + 10);
          }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return toml_fail (t, "invalid escape sequence: U+%X is not a Unicode scalar value", cp);
        buf_add_utf8 (b, cp);
        return 0;
      }
    default:
      if (c == '\n' || c == '\r')
        t->line += c == '\n';
      return toml_fail (t, "invalid escape sequence \\%c", isprint ((unsigned char) c) ? c : '?');
    }
}

/* t->p is on the opening quote. */
static int
parse_string (struct toml *t, char **out)
{
  char q = *t->p;
  bool multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
  int start_line = t->line;
  struct buf b = { 0 };
  toml_buf_add (&b, "", 0);
  t->p += multi ? 3 : 1;
  if (multi && !at_end (t) && at_eol (t))
    consume_newline (t); /* a newline right after the delimiter is trimmed */
  for (;;)
    {
      if (at_end (t))
        {
          free (b.s);
          t->line = start_line;
          return toml_fail (t, "unterminated string");
        }
      char c = *t->p;
      if (c == q)
        {
          if (!multi)
            {
              t->p++;
              break;
            }
          if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q)
            {
              t->p += 3;
              /* up to two more quotes belong to the content ("""a"""" is a + ") */
              for (int k = 0; k < 2 && !at_end (t) && *t->p == q; k++)
                toml_buf_add (&b, t->p++, 1);
              break;
            }
          toml_buf_add (&b, t->p++, 1);
          continue;
        }
      if (c == '\n')
        {
          if (!multi)
            {
              free (b.s);
              return toml_fail (t, "unterminated string");
            }
          toml_buf_add (&b, "\n", 1);
          t->p++;
          t->line++;
          continue;
        }
      if (c == '\\' && q == '"')
        {
          t->p++;
          if (multi && !at_end (t) && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
            {
              /* a line-ending backslash trims all whitespace up to the next non-blank */
              const char *save = t->p;
              skip_ws (t);
              if (!at_eol (t))
                {
                  t->p = save;
                  free (b.s);
                  return toml_fail (t, "invalid escape sequence \\%c", *save);
                }
              while (!at_end (t) && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
                {
                  if (*t->p == '\n')
                    t->line++;
                  t->p++;
                }
              continue;
            }
          if (parse_escape (t, &b) < 0)
            {
              free (b.s);
              return -EINVAL;
            }
          continue;
        }
      toml_buf_add (&b, t->p++, 1);
    }
  *out = b.s;
  return 0;
}

/* A dotted key: bare, "basic" or 'literal' parts. */
static int
parse_key (struct toml *t, char ***parts)
{
  cleanup_strv char **v = NULL;
  for (;;)
    {
      skip_ws (t);
      if (at_end (t))
        return toml_fail (t, "expected a key");
      if (*t->p == '"' || *t->p == '\'')
        {
          if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p)
            return toml_fail (t, "a key cannot be a multi-line string");
          char *s = NULL;
          if (parse_string (t, &s) < 0)
            return -EINVAL;
          strv_push_take (&v, s);
        }
      else if (is_bare_key_char (*t->p))
        {
          const char *s = t->p;
          while (!at_end (t) && is_bare_key_char (*t->p))
            t->p++;
          strv_push_take (&v, xstrndup (s, (size_t) (t->p - s)));
        }
      else if (at_eol (t) || *t->p == '#')
        return toml_fail (t, "expected a key");
      else
        return toml_fail (t, "invalid character '%c' in key", *t->p);
      skip_ws (t);
      if (!at_end (t) && *t->p == '.')
        {
          if (strv_len (v) >= TOML_NESTING_MAX)
            return toml_fail (t, "a dotted key of more than %d parts", TOML_NESTING_MAX);
          t->p++;
          continue;
        }
      break;
    }
  *parts = steal_pointer (&v);
  return 0;
}

static int parse_value (struct toml *t, struct tval **out);

static bool
is_value_end (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}' || c == '#';
}

static int
parse_number (struct toml *t, struct tval **out)
{
  const char *s = t->p;
  while (!at_end (t) && !is_value_end (*t->p))
    t->p++;
  size_t n = (size_t) (t->p - s);
  /* n bytes exactly (toml_parse refuses NUL bytes, but the loops below must never rely on a terminator) */
  cleanup_free char *tok = xmalloc (n + 1);
  memcpy (tok, s, n);
  tok[n] = '\0';
  /* underscores are allowed between digits */
  cleanup_free char *clean = xmalloc (n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (tok[i] == '_')
        {
          if (i == 0 || i + 1 == n || !isxdigit ((unsigned char) tok[i - 1]) || !isxdigit ((unsigned char) tok[i + 1]))
            return toml_fail (t, "invalid value `%s`", tok);
          continue;
        }
      clean[k++] = tok[i];
    }
  clean[k] = '\0';
  if (k == 0)
    return toml_fail (t, "expected a value");
  const char *digits = clean;
  int base = 10;
  if (clean[0] == '0' && (clean[1] == 'x' || clean[1] == 'o' || clean[1] == 'b'))
    {
      base = clean[1] == 'x' ? 16 : clean[1] == 'o' ? 8 : 2;
      digits = clean + 2;
    }
  if (*digits != '\0')
    {
      char *e = NULL;
      errno = 0;
      long long v = strtoll (digits, &e, base);
      if (*e == '\0' && errno == 0 && (base == 10 || (digits[0] != '+' && digits[0] != '-')))
        {
          *out = tval_new (TV_INT, t->line);
          (*out)->i = v;
          return 0;
        }
    }
  if (base == 10)
    {
      const char *f = clean + (clean[0] == '+' || clean[0] == '-');
      bool special = strcmp (f, "inf") == 0 || strcmp (f, "nan") == 0;
      bool numeric = isdigit ((unsigned char) f[0]) && strpbrk (f, ".eE") != NULL && strpbrk (f, ":") == NULL;
      if (special || numeric)
        {
          char *e = NULL;
          double d = strtod (clean, &e);
          if (*e == '\0')
            {
              *out = tval_new (TV_FLOAT, t->line);
              (*out)->f = d;
              return 0;
            }
        }
    }
  return toml_fail (t, "invalid value `%s`", tok);
}

static int
parse_array (struct toml *t, struct tval **out)
{
  int start_line = t->line;
  struct tval *a = tval_new (TV_ARRAY, t->line);
  a->is_inline = true;
  t->p++; /* [ */
  for (;;)
    {
      skip_ws_nl (t);
      if (at_end (t))
        {
          toml_tval_free (a);
          t->line = start_line;
          return toml_fail (t, "unterminated array");
        }
      if (*t->p == ']')
        {
          t->p++;
          break;
        }
      struct tval *v = NULL;
      if (parse_value (t, &v) < 0)
        {
          toml_tval_free (a);
          return -EINVAL;
        }
      arr_push (a, v);
      skip_ws_nl (t);
      if (!at_end (t) && *t->p == ',')
        {
          t->p++;
          continue;
        }
      if (!at_end (t) && *t->p == ']')
        {
          t->p++;
          break;
        }
      toml_tval_free (a);
      if (at_end (t))
        {
          t->line = start_line;
          return toml_fail (t, "unterminated array");
        }
      return toml_fail (t, "expected ',' or ']' in array");
    }
  *out = a;
  return 0;
}

static int set_dotted (struct toml *t, struct tval *table, char **parts, struct tval *v);

static int
parse_inline_table (struct toml *t, struct tval **out)
{
  struct tval *tb = tval_new (TV_TABLE, t->line);
  tb->is_inline = true;
  t->p++; /* { */
  skip_ws_nl (t);
  if (!at_end (t) && *t->p == '}')
    {
      t->p++;
      *out = tb;
      return 0;
    }
  for (;;)
    {
      cleanup_strv char **parts = NULL;
      struct tval *v = NULL;
      skip_ws_nl (t);
      if (parse_key (t, &parts) < 0)
        goto fail;
      skip_ws (t);
      if (at_end (t) || *t->p != '=')
        {
          toml_fail (t, "expected '=' after key");
          goto fail;
        }
      t->p++;
      skip_ws (t);
      if (parse_value (t, &v) < 0)
        goto fail;
      if (set_dotted (t, tb, parts, v) < 0)
        {
          toml_tval_free (v);
          goto fail;
        }
      skip_ws_nl (t);
      if (!at_end (t) && *t->p == ',')
        {
          t->p++;
          continue;
        }
      if (!at_end (t) && *t->p == '}')
        {
          t->p++;
          break;
        }
      toml_fail (t, "expected ',' or '}' in inline table");
      goto fail;
    }
  *out = tb;
  return 0;
fail:
  toml_tval_free (tb);
  return -EINVAL;
}

static int
parse_value (struct toml *t, struct tval **out)
{
  if (at_end (t) || at_eol (t) || *t->p == '#')
    return toml_fail (t, "expected a value");
  char c = *t->p;
  if (c == '"' || c == '\'')
    {
      int line = t->line;
      char *s = NULL;
      if (parse_string (t, &s) < 0)
        return -EINVAL;
      *out = tval_new (TV_STRING, line);
      (*out)->str = s;
      return 0;
    }
  if (c == '[' || c == '{')
    {
      if (t->depth >= TOML_NESTING_MAX)
        return toml_fail (t, "arrays and inline tables nested more than %d levels deep", TOML_NESTING_MAX);
      t->depth++;
      int r = c == '[' ? parse_array (t, out) : parse_inline_table (t, out);
      t->depth--;
      return r;
    }
  for (int b = 0; b < 2; b++)
    {
      const char *word = b ? "true" : "false";
      size_t n = strlen (word);
      if ((size_t) (t->end - t->p) >= n && memcmp (t->p, word, n) == 0
          && ((size_t) (t->end - t->p) == n || is_value_end (t->p[n])))
        {
          t->p += n;
          *out = tval_new (TV_BOOL, t->line);
          (*out)->b = b;
          return 0;
        }
    }
  if (isdigit ((unsigned char) c) || c == '+' || c == '-' || c == 'i' || c == 'n')
    return parse_number (t, out);
  const char *s = t->p;
  while (!at_end (t) && !is_value_end (*t->p))
    t->p++;
  return toml_fail (t, "invalid value `%.*s`", (int) (t->p - s), s);
}

static char *
join_key (char **parts, size_t n)
{
  struct buf b = { 0 };
  toml_buf_add (&b, "", 0);
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        toml_buf_add (&b, ".", 1);
      toml_buf_add (&b, parts[i], strlen (parts[i]));
    }
  return b.s;
}

/* Walk (creating implicit tables) to the table that holds the last part. An array of tables stands for
 * its last element. */
static int
walk_tables (struct toml *t, struct tval *table, char **parts, size_t n, struct tval **out)
{
  struct tval *cur = table;
  for (size_t i = 0; i < n; i++)
    {
      struct tval *next = toml_tbl_get (cur, parts[i]);
      if (next == NULL)
        {
          next = tval_new (TV_TABLE, t->line);
          tbl_put (cur, parts[i], next);
        }
      else if (next->kind == TV_ARRAY && next->is_aot && next->n_items > 0)
        next = next->items[next->n_items - 1];
      else if (next->kind != TV_TABLE || next->is_inline)
        {
          cleanup_free char *k = join_key (parts, i + 1);
          return toml_fail (t, "key \"%s\" is already defined as a value", k);
        }
      cur = next;
    }
  *out = cur;
  return 0;
}

static int
set_dotted (struct toml *t, struct tval *table, char **parts, struct tval *v)
{
  size_t n = strv_len (parts);
  struct tval *parent = NULL;
  if (walk_tables (t, table, parts, n - 1, &parent) < 0)
    return -EINVAL;
  if (toml_tbl_get (parent, parts[n - 1]) != NULL)
    {
      cleanup_free char *k = join_key (parts, n);
      return toml_fail (t, "duplicate key \"%s\"", k);
    }
  tbl_put (parent, parts[n - 1], v);
  return 0;
}

static int
parse_header (struct toml *t, struct tval *root, struct tval **cur)
{
  bool aot = t->end - t->p >= 2 && t->p[1] == '[';
  t->p += aot ? 2 : 1;
  cleanup_strv char **parts = NULL;
  if (parse_key (t, &parts) < 0)
    return -EINVAL;
  skip_ws (t);
  const char *close = aot ? "]]" : "]";
  size_t cl = strlen (close);
  if ((size_t) (t->end - t->p) < cl || memcmp (t->p, close, cl) != 0)
    return toml_fail (t, "expected '%s' at the end of the table header", close);
  t->p += cl;
  size_t n = strv_len (parts);
  cleanup_free char *name = join_key (parts, n);
  struct tval *parent = NULL;
  if (walk_tables (t, root, parts, n - 1, &parent) < 0)
    return -EINVAL;
  struct tval *existing = toml_tbl_get (parent, parts[n - 1]);
  if (aot)
    {
      if (existing == NULL)
        {
          existing = tval_new (TV_ARRAY, t->line);
          existing->is_aot = true;
          tbl_put (parent, parts[n - 1], existing);
        }
      else if (existing->kind != TV_ARRAY || !existing->is_aot)
        return toml_fail (t, "key \"%s\" is already defined and is not an array of tables", name);
      struct tval *tb = tval_new (TV_TABLE, t->line);
      tb->is_explicit = true;
      arr_push (existing, tb);
      *cur = tb;
      return 0;
    }
  if (existing == NULL)
    {
      existing = tval_new (TV_TABLE, t->line);
      tbl_put (parent, parts[n - 1], existing);
    }
  else if (existing->kind != TV_TABLE || existing->is_inline)
    return toml_fail (t, "key \"%s\" is already defined as a value", name);
  else if (existing->is_explicit)
    return toml_fail (t, "table [%s] is defined twice", name);
  existing->is_explicit = true;
  existing->line = t->line;
  *cur = existing;
  return 0;
}

int
toml_parse (const char *data, size_t len, const char *name, struct tval **out, skiff_error_t *err)
{
  struct toml t = { .p = data, .end = data + len, .name = name, .line = 1, .err = err };
  struct tval *root = tval_new (TV_TABLE, 1);
  struct tval *cur = root;
  /* TOML allows no NUL byte anywhere, even escaped ones are written as \u0000: refusing them here keeps every
   * scan below within data */
  const char *nul = memchr (data, '\0', len);
  if (nul)
    {
      for (const char *q = data; q < nul; q++)
        t.line += *q == '\n';
      toml_fail (&t, "a NUL byte: TOML files hold text");
      toml_tval_free (root);
      return -EINVAL;
    }
  /* a UTF-8 byte order mark is allowed */
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    t.p += 3;
  while (!at_end (&t))
    {
      skip_ws (&t);
      skip_comment (&t);
      if (at_end (&t))
        break;
      if (at_eol (&t))
        {
          consume_newline (&t);
          continue;
        }
      if (*t.p == '[')
        {
          if (parse_header (&t, root, &cur) < 0)
            goto fail;
          skip_ws (&t);
          skip_comment (&t);
          if (!at_eol (&t))
            {
              toml_fail (&t, "unexpected text after the table header");
              goto fail;
            }
          continue;
        }
      cleanup_strv char **parts = NULL;
      struct tval *v = NULL;
      if (parse_key (&t, &parts) < 0)
        goto fail;
      skip_ws (&t);
      if (at_end (&t) || *t.p != '=')
        {
          toml_fail (&t, "expected '=' after key");
          goto fail;
        }
      t.p++;
      skip_ws (&t);
      if (parse_value (&t, &v) < 0)
        goto fail;
      if (set_dotted (&t, cur, parts, v) < 0)
        {
          toml_tval_free (v);
          goto fail;
        }
      skip_ws (&t);
      skip_comment (&t);
      if (!at_eol (&t))
        {
          toml_fail (&t, "unexpected text after the value");
          goto fail;
        }
    }
  *out = root;
  return 0;
fail:
  toml_tval_free (root);
  return -EINVAL;
}
