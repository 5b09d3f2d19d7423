/* registries.conf as podman reads it: a small TOML reader (the subset config files use, with line-numbered
 * errors), the v2 and v1 schemas, drop-in merging, and the [[registry]] prefix lookup with mirrors. */
#include "image/registries.h"

#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>

#include "storage/storage.h"

#define SYSTEM_REGISTRIES_CONF "/etc/containers/registries.conf"
#define SYSTEM_REGISTRIES_CONF_D "/etc/containers/registries.conf.d"
#define USER_REGISTRIES_CONF ".config/containers/registries.conf"
#define USER_REGISTRIES_CONF_D ".config/containers/registries.conf.d"
#define DROP_IN_SUFFIX ".conf"

/* An error whose message is complete as given (no strerror suffix) but that carries an errno. */
static int __attribute__ ((format (printf, 3, 4)))
fail_status (skiff_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  skiff_error_setv (err, 0, fmt, ap);
  va_end (ap);
  if (err && *err)
    (*err)->status = status;
  return -status;
}

/* ======================================================================================================
 * TOML: values as a tree
 * ====================================================================================================== */

enum tval_kind
{
  TV_STRING,
  TV_BOOL,
  TV_INT,
  TV_FLOAT,
  TV_ARRAY,
  TV_TABLE,
};

struct tval
{
  enum tval_kind kind;
  int line;
  char *str;
  bool b;
  long long i;
  double f;
  /* arrays */
  struct tval **items;
  size_t n_items;
  bool is_aot; /* made by [[header]]: more tables may be appended */
  /* tables */
  char **keys;
  struct tval **vals;
  size_t n_keys;
  bool is_explicit; /* defined by its own [header] */
  bool is_inline;   /* an inline table or static array: closed once written */
};

static struct tval *
tval_new (enum tval_kind kind, int line)
{
  struct tval *v = xmalloc0 (sizeof *v);
  v->kind = kind;
  v->line = line;
  return v;
}

static void
tval_free (struct tval *v)
{
  if (v == NULL)
    return;
  free (v->str);
  for (size_t i = 0; i < v->n_items; i++)
    tval_free (v->items[i]);
  free (v->items);
  for (size_t i = 0; i < v->n_keys; i++)
    {
      free (v->keys[i]);
      tval_free (v->vals[i]);
    }
  free (v->keys);
  free (v->vals);
  free (v);
}

static struct tval *
tbl_get (const struct tval *t, const char *key)
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

struct toml
{
  const char *p;
  const char *end;
  const char *name;
  int line;
  skiff_error_t *err;
};

static int __attribute__ ((format (printf, 2, 3)))
toml_fail (struct toml *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return fail_status (t->err, EINVAL, "%s:%d: %s", t->name, t->line, msg);
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

struct buf
{
  char *s;
  size_t n, cap;
};

static void
buf_add (struct buf *b, const char *s, size_t n)
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
    u[0] = (char) (0xE0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
    u[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
  else
    u[0] = (char) (0xF0 | (cp >> 18)), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
    u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
  buf_add (b, u, n);
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
    case 'b': buf_add (b, "\b", 1); return 0;
    case 't': buf_add (b, "\t", 1); return 0;
    case 'n': buf_add (b, "\n", 1); return 0;
    case 'f': buf_add (b, "\f", 1); return 0;
    case 'r': buf_add (b, "\r", 1); return 0;
    case 'e': buf_add (b, "\033", 1); return 0;
    case '"': buf_add (b, "\"", 1); return 0;
    case '\\': buf_add (b, "\\", 1); return 0;
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
  buf_add (&b, "", 0);
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
                buf_add (&b, t->p++, 1);
              break;
            }
          buf_add (&b, t->p++, 1);
          continue;
        }
      if (c == '\n')
        {
          if (!multi)
            {
              free (b.s);
              return toml_fail (t, "unterminated string");
            }
          buf_add (&b, "\n", 1);
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
      buf_add (&b, t->p++, 1);
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
  cleanup_free char *tok = xstrndup (s, n);
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
          tval_free (a);
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
          tval_free (a);
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
      tval_free (a);
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
          tval_free (v);
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
  tval_free (tb);
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
  if (c == '[')
    return parse_array (t, out);
  if (c == '{')
    return parse_inline_table (t, out);
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
  buf_add (&b, "", 0);
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        buf_add (&b, ".", 1);
      buf_add (&b, parts[i], strlen (parts[i]));
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
      struct tval *next = tbl_get (cur, parts[i]);
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
  if (tbl_get (parent, parts[n - 1]) != NULL)
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
  struct tval *existing = tbl_get (parent, parts[n - 1]);
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

static int
toml_parse (const char *data, size_t len, const char *name, struct tval **out, skiff_error_t *err)
{
  struct toml t = { .p = data, .end = data + len, .name = name, .line = 1, .err = err };
  struct tval *root = tval_new (TV_TABLE, 1);
  struct tval *cur = root;
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
          tval_free (v);
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
  tval_free (root);
  return -EINVAL;
}

/* ======================================================================================================
 * The registries.conf schema
 * ====================================================================================================== */

struct schema
{
  const char *name;
  skiff_error_t *err;
};

static int __attribute__ ((format (printf, 3, 4)))
schema_fail (struct schema *s, int line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (line > 0)
    return fail_status (s->err, EINVAL, "%s:%d: %s", s->name, line, msg);
  return fail_status (s->err, EINVAL, "%s: %s", s->name, msg);
}

static int
get_string (struct schema *s, const struct tval *t, const char *key, char **out)
{
  struct tval *v = tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_STRING)
    return schema_fail (s, v->line, "\"%s\" must be a string", key);
  free (*out);
  *out = xstrdup (v->str);
  return 1;
}

static int
get_bool (struct schema *s, const struct tval *t, const char *key, bool *out)
{
  struct tval *v = tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_BOOL)
    return schema_fail (s, v->line, "\"%s\" must be true or false", key);
  *out = v->b;
  return 1;
}

/* 1 and a vector (possibly empty) when present, 0 when absent */
static int
get_strings (struct schema *s, const struct tval *t, const char *key, char ***out)
{
  struct tval *v = tbl_get (t, key);
  if (v == NULL)
    return 0;
  if (v->kind != TV_ARRAY)
    return schema_fail (s, v->line, "\"%s\" must be an array of strings", key);
  char **r = xmalloc0 (sizeof *r);
  for (size_t i = 0; i < v->n_items; i++)
    {
      if (v->items[i]->kind != TV_STRING)
        {
          strv_free (r);
          return schema_fail (s, v->items[i]->line, "\"%s\" must be an array of strings", key);
        }
      strv_push (&r, v->items[i]->str);
    }
  strv_free (*out);
  *out = r;
  return 1;
}

/* Tables of an array of tables, or of a static array of inline tables; a single table is refused. */
static int
get_tables (struct schema *s, const struct tval *t, const char *key, struct tval ***items, size_t *n)
{
  struct tval *v = tbl_get (t, key);
  *items = NULL;
  *n = 0;
  if (v == NULL)
    return 0;
  if (v->kind != TV_ARRAY)
    return schema_fail (s, v->line, "\"%s\" must be an array of tables ([[%s]])", key, key);
  for (size_t i = 0; i < v->n_items; i++)
    if (v->items[i]->kind != TV_TABLE)
      return schema_fail (s, v->items[i]->line, "\"%s\" must be an array of tables ([[%s]])", key, key);
  *items = v->items;
  *n = v->n_items;
  return 1;
}

/* podman's parseLocation: no trailing slash, no URI scheme */
static int
parse_location (struct schema *s, int line, char **loc)
{
  size_t n = strlen (*loc);
  while (n > 0 && (*loc)[n - 1] == '/')
    (*loc)[--n] = '\0';
  if (str_has_prefix (*loc, "http://") || str_has_prefix (*loc, "https://"))
    return schema_fail (s, line, "invalid location '%s': URI schemes are not supported", *loc);
  return 0;
}

static int
parse_pull_from_mirror (struct schema *s, int line, const char *v, const char *mirror,
                        enum skiff_pull_from_mirror *out)
{
  if (strcmp (v, "all") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_ALL;
  else if (strcmp (v, "digest-only") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_DIGEST_ONLY;
  else if (strcmp (v, "tag-only") == 0)
    *out = SKIFF_PULL_FROM_MIRROR_TAG_ONLY;
  else
    return schema_fail (s, line, "unsupported pull-from-mirror value \"%s\" for mirror \"%s\"", v, mirror);
  return 0;
}

static void
registry_clear (struct skiff_registry *r)
{
  free (r->prefix);
  free (r->location);
  for (size_t i = 0; i < r->n_mirrors; i++)
    free (r->mirrors[i].location);
  free (r->mirrors);
  memset (r, 0, sizeof *r);
}

static void
registry_copy (struct skiff_registry *dst, const struct skiff_registry *src)
{
  *dst = *src;
  dst->prefix = xstrdup (src->prefix);
  dst->location = xstrdup (src->location);
  dst->mirrors = src->n_mirrors ? xmalloc (src->n_mirrors * sizeof *dst->mirrors) : NULL;
  for (size_t i = 0; i < src->n_mirrors; i++)
    {
      dst->mirrors[i] = src->mirrors[i];
      dst->mirrors[i].location = xstrdup (src->mirrors[i].location);
    }
}

static struct skiff_registry *
conf_add_registry (struct skiff_registries_conf *c)
{
  c->registries = xrealloc (c->registries, (c->n_registries + 1) * sizeof *c->registries);
  struct skiff_registry *r = &c->registries[c->n_registries++];
  memset (r, 0, sizeof *r);
  return r;
}

static int
parse_registry (struct schema *s, const struct tval *t, struct skiff_registries_conf *c)
{
  struct skiff_registry *r = conf_add_registry (c);
  cleanup_free char *pull_from_mirror = NULL;
  if (get_string (s, t, "prefix", &r->prefix) < 0 || get_string (s, t, "location", &r->location) < 0
      || get_bool (s, t, "insecure", &r->insecure) < 0 || get_bool (s, t, "blocked", &r->blocked) < 0
      || get_bool (s, t, "mirror-by-digest-only", &r->mirror_by_digest_only) < 0
      || get_string (s, t, "pull-from-mirror", &pull_from_mirror) < 0)
    return -EINVAL;
  if (r->location == NULL)
    r->location = xstrdup ("");
  if (parse_location (s, t->line, &r->location) < 0)
    return -EINVAL;
  if (r->prefix == NULL || r->prefix[0] == '\0')
    {
      if (r->location[0] == '\0')
        return schema_fail (s, t->line, "invalid condition: both location and prefix are unset");
      free (r->prefix);
      r->prefix = xstrdup (r->location);
    }
  else
    {
      if (parse_location (s, t->line, &r->prefix) < 0)
        return -EINVAL;
      if (!str_has_prefix (r->prefix, "*.") && r->location[0] == '\0')
        return schema_fail (s, t->line,
                            "invalid condition: location is unset and prefix is not in the format: *.example.com");
    }
  if (str_has_prefix (r->prefix, "*.") ? strpbrk (r->prefix, "/@:") != NULL || strchr (r->prefix + 1, '*') != NULL
                                       : strchr (r->prefix, '*') != NULL)
    return schema_fail (s, t->line,
                        "Wildcarded prefix should be in the format: *.example.com. Current prefix \"%s\" is "
                        "incorrectly formatted",
                        r->prefix);
  if (pull_from_mirror)
    return schema_fail (s, t->line, "pull-from-mirror must not be set for a non-mirror registry \"%s\"", r->prefix);

  struct tval **mirrors = NULL;
  size_t n_mirrors = 0;
  if (get_tables (s, t, "mirror", &mirrors, &n_mirrors) < 0)
    return -EINVAL;
  r->mirrors = n_mirrors ? xmalloc0 (n_mirrors * sizeof *r->mirrors) : NULL;
  for (size_t i = 0; i < n_mirrors; i++)
    {
      struct skiff_registry_mirror *m = &r->mirrors[r->n_mirrors++];
      cleanup_free char *pfm = NULL;
      if (get_string (s, mirrors[i], "location", &m->location) < 0
          || get_bool (s, mirrors[i], "insecure", &m->insecure) < 0
          || get_string (s, mirrors[i], "pull-from-mirror", &pfm) < 0)
        return -EINVAL;
      if (m->location == NULL)
        m->location = xstrdup ("");
      if (parse_location (s, mirrors[i]->line, &m->location) < 0)
        return -EINVAL;
      if (m->location[0] == '\0')
        return schema_fail (s, mirrors[i]->line, "invalid condition: mirror location is unset");
      if (pfm)
        {
          if (r->mirror_by_digest_only)
            return schema_fail (s, mirrors[i]->line,
                                "cannot set mirror usage mirror-by-digest-only for the registry (\"%s\") and "
                                "pull-from-mirror for per-mirror (\"%s\") at the same time",
                                r->prefix, m->location);
          if (parse_pull_from_mirror (s, mirrors[i]->line, pfm, m->location, &m->pull_from_mirror) < 0)
            return -EINVAL;
        }
    }
  return 0;
}

static bool
valid_search_registry (const char *r)
{
  if (r[0] == '\0')
    return false;
  for (const char *p = r; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']'
          || *p == '_'))
      return false;
  return true;
}

/* The part of a name after its last '/' has a tag or the name has a digest. */
static bool
has_tag_or_digest (const char *name)
{
  const char *slash = strrchr (name, '/');
  return strchr (name, '@') != NULL || strchr (slash ? slash : name, ':') != NULL;
}

static void
conf_set_alias (struct skiff_registries_conf *c, const char *name, const char *value, const char *origin)
{
  for (size_t i = 0; i < c->n_aliases; i++)
    if (strcmp (c->alias_names[i], name) == 0)
      {
        free (c->alias_values[i]);
        free (c->alias_origins[i]);
        c->alias_values[i] = value ? xstrdup (value) : NULL;
        c->alias_origins[i] = xstrdup (origin);
        return;
      }
  size_t n = c->n_aliases + 1;
  c->alias_names = xrealloc (c->alias_names, n * sizeof *c->alias_names);
  c->alias_values = xrealloc (c->alias_values, n * sizeof *c->alias_values);
  c->alias_origins = xrealloc (c->alias_origins, n * sizeof *c->alias_origins);
  c->alias_names[c->n_aliases] = xstrdup (name);
  c->alias_values[c->n_aliases] = value ? xstrdup (value) : NULL;
  c->alias_origins[c->n_aliases] = xstrdup (origin);
  c->n_aliases = n;
}

static int
parse_aliases (struct schema *s, const struct tval *t, struct skiff_registries_conf *c)
{
  for (size_t i = 0; i < t->n_keys; i++)
    {
      const char *name = t->keys[i];
      const struct tval *v = t->vals[i];
      if (v->kind != TV_STRING)
        return schema_fail (s, v->line, "alias \"%s\" must be a string", name);
      skiff_error_t e = NULL;
      cleanup_free char *norm = skiff_reference_normalize (name, &e);
      if (norm == NULL)
        {
          int r = schema_fail (s, v->line, "invalid short name \"%s\": %s", name, e->msg);
          skiff_error_release (&e);
          return r;
        }
      if (!skiff_reference_is_short (name))
        return schema_fail (s, v->line, "invalid short name \"%s\": must not contain a registry", name);
      if (has_tag_or_digest (name))
        return schema_fail (s, v->line, "invalid short name \"%s\": must not contain a tag or digest", name);
      if (v->str[0] != '\0')
        {
          cleanup_free char *vnorm = skiff_reference_normalize (v->str, &e);
          if (vnorm == NULL)
            {
              int r = schema_fail (s, v->line, "invalid alias value \"%s\": %s", v->str, e->msg);
              skiff_error_release (&e);
              return r;
            }
          if (skiff_reference_is_short (v->str))
            return schema_fail (s, v->line, "invalid alias value \"%s\": must be fully qualified", v->str);
          if (has_tag_or_digest (v->str))
            return schema_fail (s, v->line, "invalid alias value \"%s\": must not contain a tag or digest", v->str);
        }
      /* "" resets an alias of an earlier file */
      conf_set_alias (c, name, v->str[0] ? v->str : NULL, s->name);
    }
  return 0;
}

static int
cmp_registry (const void *a, const void *b)
{
  return strcmp (((const struct skiff_registry *) a)->prefix, ((const struct skiff_registry *) b)->prefix);
}

/* podman's postProcessRegistries: conflicts, first prefix wins, sorted by prefix */
static int
postprocess_registries (struct schema *s, struct skiff_registries_conf *c)
{
  for (size_t i = 0; i < c->n_registries; i++)
    for (size_t j = 0; j < i; j++)
      {
        struct skiff_registry *a = &c->registries[i], *b = &c->registries[j];
        const char *ka = a->location[0] ? a->location : a->prefix;
        const char *kb = b->location[0] ? b->location : b->prefix;
        if (strcmp (ka, kb) != 0)
          continue;
        if (a->insecure != b->insecure)
          return schema_fail (s, 0, "registry '%s' is defined multiple times with conflicting 'insecure' setting",
                              a->location);
        if (a->blocked != b->blocked)
          return schema_fail (s, 0, "registry '%s' is defined multiple times with conflicting 'blocked' setting",
                              a->location);
      }
  size_t out = 0;
  for (size_t i = 0; i < c->n_registries; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < out && !dup; j++)
        dup = strcmp (c->registries[j].prefix, c->registries[i].prefix) == 0;
      if (dup)
        registry_clear (&c->registries[i]);
      else
        c->registries[out++] = c->registries[i];
    }
  c->n_registries = out;
  if (out > 1)
    qsort (c->registries, out, sizeof *c->registries, cmp_registry);
  return 0;
}

/* v1: [registries.search] registries = [...], [registries.insecure] ..., [registries.block] ... */
static int
parse_v1 (struct schema *s, const struct tval *v1, struct skiff_registries_conf *c)
{
  if (v1->kind != TV_TABLE)
    return schema_fail (s, v1->line, "\"registries\" must be a table");
  static const char *const sections[] = { "search", "insecure", "block" };
  for (size_t k = 0; k < ARRAY_SIZE (sections); k++)
    {
      struct tval *sec = tbl_get (v1, sections[k]);
      if (sec == NULL)
        continue;
      if (sec->kind != TV_TABLE)
        return schema_fail (s, sec->line, "[registries.%s] must be a table", sections[k]);
      cleanup_strv char **regs = NULL;
      if (get_strings (s, sec, "registries", &regs) < 0)
        return -EINVAL;
      for (char **r = regs; r && *r; r++)
        {
          if (k == 0)
            {
              strv_push (&c->search_registries, *r);
              continue;
            }
          struct skiff_registry *reg = NULL;
          for (size_t i = 0; i < c->n_registries && reg == NULL; i++)
            if (strcmp (c->registries[i].location, *r) == 0)
              reg = &c->registries[i];
          if (reg == NULL)
            {
              reg = conf_add_registry (c);
              reg->location = xstrdup (*r);
              reg->prefix = xstrdup (*r);
            }
          if (k == 1)
            reg->insecure = true;
          else
            reg->blocked = true;
        }
      if (k == 0 && regs && c->search_registries == NULL)
        c->search_registries = xmalloc0 (sizeof (char *));
    }
  for (size_t i = 0; i < c->n_registries; i++)
    if (parse_location (s, v1->line, &c->registries[i].location) < 0
        || parse_location (s, v1->line, &c->registries[i].prefix) < 0)
      return -EINVAL;
  return 0;
}

static struct skiff_registries_conf *
conf_new (void)
{
  return xmalloc0 (sizeof (struct skiff_registries_conf));
}

void
skiff_registries_conf_free (struct skiff_registries_conf *c)
{
  if (c == NULL)
    return;
  strv_free (c->search_registries);
  free (c->search_origin);
  for (size_t i = 0; i < c->n_registries; i++)
    registry_clear (&c->registries[i]);
  free (c->registries);
  for (size_t i = 0; i < c->n_aliases; i++)
    {
      free (c->alias_names[i]);
      free (c->alias_values[i]);
      free (c->alias_origins[i]);
    }
  free (c->alias_names);
  free (c->alias_values);
  free (c->alias_origins);
  strv_free (c->credential_helpers);
  free (c->sources);
  free (c);
}

int
skiff_registries_conf_parse (const char *data, size_t len, const char *name, bool force_v2,
                             struct skiff_registries_conf **out, skiff_error_t *err)
{
  struct tval *root = NULL;
  if (toml_parse (data, len, name, &root, err) < 0)
    return -EINVAL;
  struct schema s = { .name = name, .err = err };
  struct skiff_registries_conf *c = conf_new ();
  int r = -EINVAL;
  cleanup_free char *mode = NULL;

  struct tval *v1 = tbl_get (root, "registries");
  bool has_v2 = tbl_get (root, "unqualified-search-registries") || tbl_get (root, "registry")
                || tbl_get (root, "short-name-mode") || tbl_get (root, "aliases")
                || tbl_get (root, "credential-helpers");
  if (v1)
    {
      if (force_v2)
        {
          schema_fail (&s, v1->line, "registry must be in v2 format but is in v1");
          goto out;
        }
      if (has_v2)
        {
          schema_fail (&s, v1->line, "mixing sysregistry v1/v2 is not supported");
          goto out;
        }
      if (parse_v1 (&s, v1, c) < 0)
        goto out;
    }

  int have = get_strings (&s, root, "unqualified-search-registries", &c->search_registries);
  if (have < 0)
    goto out;
  if (c->search_registries)
    {
      for (char **p = c->search_registries; *p; p++)
        {
          size_t n = strlen (*p);
          while (n > 0 && (*p)[n - 1] == '/')
            (*p)[--n] = '\0';
          if (!valid_search_registry (*p))
            {
              struct tval *v = tbl_get (root, "unqualified-search-registries");
              schema_fail (&s, v ? v->line : 0, "Invalid unqualified-search-registries entry \"%s\"", *p);
              goto out;
            }
        }
    }
  /* podman names the file even when it does not set the key */
  c->search_origin = xstrdup (name);
  if (get_string (&s, root, "short-name-mode", &mode) < 0)
    goto out;
  if (mode)
    {
      if (strcmp (mode, "enforcing") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_ENFORCING;
      else if (strcmp (mode, "permissive") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_PERMISSIVE;
      else if (strcmp (mode, "disabled") == 0)
        c->short_name_mode = SKIFF_SHORT_NAME_DISABLED;
      else
        {
          schema_fail (&s, tbl_get (root, "short-name-mode")->line, "invalid short-name mode: \"%s\"", mode);
          goto out;
        }
    }
  if (get_strings (&s, root, "credential-helpers", &c->credential_helpers) < 0)
    goto out;

  struct tval **regs = NULL;
  size_t n_regs = 0;
  if (get_tables (&s, root, "registry", &regs, &n_regs) < 0)
    goto out;
  for (size_t i = 0; i < n_regs; i++)
    if (parse_registry (&s, regs[i], c) < 0)
      goto out;
  if (postprocess_registries (&s, c) < 0)
    goto out;

  struct tval *aliases = tbl_get (root, "aliases");
  if (aliases)
    {
      if (aliases->kind != TV_TABLE)
        {
          schema_fail (&s, aliases->line, "\"aliases\" must be a table");
          goto out;
        }
      if (parse_aliases (&s, aliases, c) < 0)
        goto out;
    }
  c->sources = xstrdup (name);
  *out = steal_pointer (&c);
  r = 0;
out:
  skiff_registries_conf_free (c);
  tval_free (root);
  return r;
}

int
skiff_registries_conf_parse_file (const char *path, bool force_v2, struct skiff_registries_conf **out,
                                  skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (read_file (path, &data, &len, err) < 0)
    return -EIO;
  return skiff_registries_conf_parse (data, len, path, force_v2, out, err);
}

void
skiff_registries_conf_merge (struct skiff_registries_conf *base, const struct skiff_registries_conf *d)
{
  for (size_t i = 0; i < d->n_registries; i++)
    {
      struct skiff_registry *dst = NULL;
      for (size_t j = 0; j < base->n_registries && dst == NULL; j++)
        if (strcmp (base->registries[j].prefix, d->registries[i].prefix) == 0)
          dst = &base->registries[j];
      if (dst)
        registry_clear (dst);
      else
        dst = conf_add_registry (base);
      registry_copy (dst, &d->registries[i]);
    }
  if (base->n_registries > 1)
    qsort (base->registries, base->n_registries, sizeof *base->registries, cmp_registry);
  if (d->search_registries)
    {
      strv_free (base->search_registries);
      base->search_registries = strv_dup (d->search_registries);
      free (base->search_origin);
      base->search_origin = d->search_origin ? xstrdup (d->search_origin) : NULL;
    }
  if (d->credential_helpers)
    {
      strv_free (base->credential_helpers);
      base->credential_helpers = strv_dup (d->credential_helpers);
    }
  if (d->short_name_mode != SKIFF_SHORT_NAME_UNSET)
    base->short_name_mode = d->short_name_mode;
  for (size_t i = 0; i < d->n_aliases; i++)
    conf_set_alias (base, d->alias_names[i], d->alias_values[i], d->alias_origins[i]);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* *.conf files of dir that are not directories, sorted by name; a missing dir is empty. */
static int
list_drop_ins (const char *dir, char ***out, skiff_error_t *err)
{
  cleanup_strv char **names = NULL;
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return skiff_error_set (err, errno, "reading registries.conf.d `%s`", dir);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (!str_has_suffix (de->d_name, DROP_IN_SUFFIX))
        continue;
      struct stat st;
      if (fstatat (dirfd (d), de->d_name, &st, 0) == 0 && S_ISDIR (st.st_mode))
        continue;
      strv_push_take (&names, path_join (dir, de->d_name));
    }
  closedir (d);
  if (names)
    qsort (names, strv_len (names), sizeof *names, cmp_str);
  for (char **p = names; p && *p; p++)
    strv_push (out, *p);
  return 0;
}

int
skiff_registries_conf_load_paths (const struct skiff_registries_conf_paths *paths,
                                  struct skiff_registries_conf **out, skiff_error_t *err)
{
  struct skiff_registries_conf *c = NULL;
  struct buf sources = { 0 };
  buf_add (&sources, "", 0);
  if (paths->conf)
    {
      if (skiff_registries_conf_parse_file (paths->conf, false, &c, err) < 0)
        {
          if (err == NULL || *err == NULL || (*err)->status != ENOENT || paths->conf_required)
            {
              free (sources.s);
              return skiff_error_wrap (err, "loading registries configuration `%s`", paths->conf);
            }
          skiff_error_release (err);
        }
      buf_add (&sources, paths->conf, strlen (paths->conf));
    }
  if (c == NULL)
    c = conf_new ();
  cleanup_strv char **drop_ins = NULL;
  const char *dirs[] = { paths->system_dir, paths->user_dir };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      if (dirs[i] == NULL)
        continue;
      if (list_drop_ins (dirs[i], &drop_ins, err) < 0)
        goto fail;
      if (sources.n)
        buf_add (&sources, ", ", 2);
      buf_add (&sources, dirs[i], strlen (dirs[i]));
    }
  for (char **p = drop_ins; p && *p; p++)
    {
      struct skiff_registries_conf *d = NULL;
      if (skiff_registries_conf_parse_file (*p, true, &d, err) < 0)
        {
          if (err && *err && (*err)->status == ENOENT) /* removed since the listing */
            {
              skiff_error_release (err);
              continue;
            }
          skiff_error_wrap (err, "loading drop-in registries configuration `%s`", *p);
          goto fail;
        }
      skiff_registries_conf_merge (c, d);
      skiff_registries_conf_free (d);
    }
  if (c->short_name_mode == SKIFF_SHORT_NAME_UNSET)
    c->short_name_mode = SKIFF_SHORT_NAME_PERMISSIVE;
  free (c->sources);
  c->sources = sources.s;
  *out = c;
  return 0;
fail:
  free (sources.s);
  skiff_registries_conf_free (c);
  return -EINVAL;
}

static const char *
home_dir (void)
{
  const char *h = getenv ("HOME");
  if (h && *h)
    return h;
  struct passwd *pw = getpwuid (getuid ());
  return pw ? pw->pw_dir : "/";
}

int
skiff_registries_conf_default_paths (struct skiff_registries_conf_paths *paths, char **storage)
{
  /* storage holds the strings the paths point to: three NUL-separated slots */
  const char *home = home_dir ();
  cleanup_free char *user_conf = path_join (home, USER_REGISTRIES_CONF);
  cleanup_free char *user_dir = path_join (home, USER_REGISTRIES_CONF_D);
  const char *env = getenv ("CONTAINERS_REGISTRIES_CONF");
  memset (paths, 0, sizeof *paths);
  *storage = xasprintf ("%s%c%s", user_conf, '\0', user_dir);
  const char *s_user_conf = *storage;
  const char *s_user_dir = *storage + strlen (user_conf) + 1;
  if (env && *env)
    {
      paths->conf = env;
      paths->conf_required = true;
    }
  else if (path_exists (user_conf))
    {
      /* a per-user registries.conf replaces the system's, and its drop-ins */
      paths->conf = s_user_conf;
      paths->user_dir = s_user_dir;
      return 0;
    }
  else
    paths->conf = SYSTEM_REGISTRIES_CONF;
  paths->system_dir = SYSTEM_REGISTRIES_CONF_D;
  paths->user_dir = s_user_dir;
  return 0;
}

int
skiff_registries_conf_load (struct skiff_registries_conf **out, skiff_error_t *err)
{
  struct skiff_registries_conf_paths paths;
  cleanup_free char *storage = NULL;
  skiff_registries_conf_default_paths (&paths, &storage);
  return skiff_registries_conf_load_paths (&paths, out, err);
}

/* ======================================================================================================
 * Lookups
 * ====================================================================================================== */

/* podman's refMatchingPrefix: the length of ref's part that prefix matches, or -1 */
static ssize_t
ref_matching_prefix (const char *ref, const char *prefix)
{
  size_t rl = strlen (ref), pl = strlen (prefix);
  if (str_has_prefix (prefix, "*."))
    {
      const char *suffix = prefix + 1; /* ".example.com" */
      const char *hit = strstr (ref, suffix);
      if (hit == NULL || memchr (ref, '/', (size_t) (hit - ref)) != NULL)
        return -1;
      size_t idx = (size_t) (hit - ref) + strlen (suffix);
      if (idx == rl || ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@')
        return (ssize_t) idx;
      return -1;
    }
  if (rl < pl || strncmp (ref, prefix, pl) != 0)
    return -1;
  if (rl == pl || ref[pl] == ':' || ref[pl] == '/' || ref[pl] == '@')
    return (ssize_t) pl;
  return -1;
}

const struct skiff_registry *
skiff_registries_conf_find (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; c && i < c->n_registries; i++)
    if (ref_matching_prefix (ref, c->registries[i].prefix) >= 0 && strlen (c->registries[i].prefix) > best_len)
      {
        best = &c->registries[i];
        best_len = strlen (best->prefix);
      }
  return best;
}

bool
skiff_registries_conf_insecure (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *r = skiff_registries_conf_find (c, ref);
  return r && r->insecure;
}

bool
skiff_registries_conf_blocked (const struct skiff_registries_conf *c, const char *ref)
{
  const struct skiff_registry *r = skiff_registries_conf_find (c, ref);
  return r && r->blocked;
}

const char *
skiff_registries_conf_alias (const struct skiff_registries_conf *c, const char *name)
{
  for (size_t i = 0; c && i < c->n_aliases; i++)
    if (strcmp (c->alias_names[i], name) == 0)
      return c->alias_values[i];
  return NULL;
}

void
skiff_pull_sources_free (struct skiff_pull_source *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    free (s[i].reference);
  free (s);
}

static int
rewrite_reference (const char *location, const char *ref, const char *prefix, char **out, skiff_error_t *err)
{
  ssize_t len = ref_matching_prefix (ref, prefix);
  if (len < 0)
    return skiff_error_set (err, 0, "internal error: `%s` does not match prefix `%s`", ref, prefix);
  cleanup_free char *joined = location[0] ? xasprintf ("%s%s", location, ref + len) : xstrdup (ref);
  *out = skiff_reference_normalize (joined, err);
  if (*out == NULL)
    return skiff_error_wrap (err, "rewriting `%s` with prefix `%s` to `%s`", ref, prefix, location);
  return 0;
}

int
skiff_registries_conf_pull_sources (const struct skiff_registries_conf *c, const char *ref,
                                    struct skiff_pull_source **out, size_t *n, skiff_error_t *err)
{
  *out = NULL;
  *n = 0;
  if (skiff_reference_is_short (ref))
    return fail_status (err, EINVAL, "reference \"%s\" is not fully qualified", ref);
  cleanup_free char *norm = skiff_reference_normalize (ref, err);
  if (norm == NULL)
    return -EINVAL;
  const struct skiff_registry *r = skiff_registries_conf_find (c, norm);
  if (r == NULL)
    {
      *out = xmalloc0 (sizeof **out);
      (*out)[0].reference = steal_pointer (&norm);
      *n = 1;
      return 0;
    }
  if (r->blocked)
    {
      return fail_status (err, EACCES, "registry %s is blocked in registries.conf%s%s%s", norm,
                          c->sources && *c->sources ? " (" : "", c->sources ? c->sources : "",
                          c->sources && *c->sources ? ")" : "");
    }
  bool digested = strchr (norm, '@') != NULL;
  struct skiff_pull_source *s = xmalloc0 ((r->n_mirrors + 1) * sizeof *s);
  size_t k = 0;
  for (size_t i = 0; i < r->n_mirrors; i++)
    {
      const struct skiff_registry_mirror *m = &r->mirrors[i];
      bool use;
      if (r->mirror_by_digest_only)
        use = digested;
      else
        switch (m->pull_from_mirror)
          {
          case SKIFF_PULL_FROM_MIRROR_DIGEST_ONLY: use = digested; break;
          case SKIFF_PULL_FROM_MIRROR_TAG_ONLY: use = !digested; break;
          default: use = true; break;
          }
      if (!use)
        continue;
      if (rewrite_reference (m->location, norm, r->prefix, &s[k].reference, err) < 0)
        goto fail;
      s[k].insecure = m->insecure;
      s[k].mirror = true;
      k++;
    }
  if (rewrite_reference (r->location, norm, r->prefix, &s[k].reference, err) < 0)
    goto fail;
  s[k].insecure = r->insecure;
  k++;
  *out = s;
  *n = k;
  return 0;
fail:
  skiff_pull_sources_free (s, k);
  return -EINVAL;
}
