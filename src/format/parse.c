/* --format engine: the parse tree and the parser (Go's text/template/parse node.go and parse.go), with
 * Go's strconv.Unquote and number parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* parse tree: Go's text/template/parse/node.go                                                      */

void
fmt_node_free (struct node *n)
{
  free (n->text);
  free (n->str);
  strv_free (n->ident);
  free (n->kids);
  free (n->decl);
  free (n);
}

static void
node_append (struct node ***v, size_t *n, struct node *x)
{
  /* the capacity is the next power of two: no field for it, and a long list is built in linear time */
  if ((*n & (*n - 1)) == 0)
    *v = xrealloc (*v, (*n ? 2 * *n : 1) * sizeof **v);
  (*v)[(*n)++] = x;
}

static void
node_write_pipe (struct sbuf *b, const struct node *p)
{
  if (p->ndecl > 0)
    {
      for (size_t i = 0; i < p->ndecl; i++)
        {
          if (i > 0)
            fmt_sb_adds (b, ", ");
          fmt_node_write (b, p->decl[i]);
        }
      fmt_sb_adds (b, p->is_assign ? " = " : " := ");
    }
  for (size_t i = 0; i < p->nkids; i++)
    {
      if (i > 0)
        fmt_sb_adds (b, " | ");
      fmt_node_write (b, p->kids[i]);
    }
}

static void
node_write_branch (struct sbuf *b, const struct node *n, const char *name)
{
  fmt_sb_adds (b, "{{");
  fmt_sb_adds (b, name);
  fmt_sb_addc (b, ' ');
  node_write_pipe (b, n->pipe);
  fmt_sb_adds (b, "}}");
  fmt_node_write (b, n->list);
  if (n->else_list)
    {
      fmt_sb_adds (b, "{{else}}");
      fmt_node_write (b, n->else_list);
    }
  fmt_sb_adds (b, "{{end}}");
}

/* Go's Node.String() */
void
fmt_node_write (struct sbuf *b, const struct node *n)
{
  switch (n->type)
    {
    case N_TEXT:
    case N_COMMENT:
      fmt_sb_addn (b, n->text, n->text_len);
      return;
    case N_ACTION:
      fmt_sb_adds (b, "{{");
      node_write_pipe (b, n->pipe);
      fmt_sb_adds (b, "}}");
      return;
    case N_BOOL:
      fmt_sb_adds (b, n->b ? "true" : "false");
      return;
    case N_CHAIN:
      if (n->chain->type == N_PIPE)
        {
          fmt_sb_addc (b, '(');
          node_write_pipe (b, n->chain);
          fmt_sb_addc (b, ')');
        }
      else
        fmt_node_write (b, n->chain);
      for (size_t i = 0; i < n->nident; i++)
        {
          fmt_sb_addc (b, '.');
          fmt_sb_adds (b, n->ident[i]);
        }
      return;
    case N_COMMAND:
      for (size_t i = 0; i < n->nkids; i++)
        {
          if (i > 0)
            fmt_sb_addc (b, ' ');
          if (n->kids[i]->type == N_PIPE)
            {
              fmt_sb_addc (b, '(');
              node_write_pipe (b, n->kids[i]);
              fmt_sb_addc (b, ')');
            }
          else
            fmt_node_write (b, n->kids[i]);
        }
      return;
    case N_DOT:
      fmt_sb_addc (b, '.');
      return;
    case N_FIELD:
      for (size_t i = 0; i < n->nident; i++)
        {
          fmt_sb_addc (b, '.');
          fmt_sb_adds (b, n->ident[i]);
        }
      return;
    case N_IDENT:
    case N_NUMBER:
    case N_STRING:
      fmt_sb_addn (b, n->text, n->text_len);
      return;
    case N_IF:
      node_write_branch (b, n, "if");
      return;
    case N_RANGE:
      node_write_branch (b, n, "range");
      return;
    case N_WITH:
      node_write_branch (b, n, "with");
      return;
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        fmt_node_write (b, n->kids[i]);
      return;
    case N_NIL:
      fmt_sb_adds (b, "nil");
      return;
    case N_PIPE:
      node_write_pipe (b, n);
      return;
    case N_TEMPLATE:
      fmt_sb_adds (b, "{{template ");
      fmt_go_quote (b, n->text, n->text_len, '"');
      if (n->pipe)
        {
          fmt_sb_addc (b, ' ');
          node_write_pipe (b, n->pipe);
        }
      fmt_sb_adds (b, "}}");
      return;
    case N_VARIABLE:
      for (size_t i = 0; i < n->nident; i++)
        {
          if (i > 0)
            fmt_sb_addc (b, '.');
          fmt_sb_adds (b, n->ident[i]);
        }
      return;
    case N_BREAK:
      fmt_sb_adds (b, "{{break}}");
      return;
    case N_CONTINUE:
      fmt_sb_adds (b, "{{continue}}");
      return;
    case N_ELSE:
      fmt_sb_adds (b, "{{else}}");
      return;
    case N_END:
      fmt_sb_adds (b, "{{end}}");
      return;
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Go's strconv.Unquote / UnquoteChar and number parsing                                             */

static int
unhex (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One (possibly escaped) character of a quoted literal; appends it to out. */
static bool
unquote_char (const char **sp, const char *end, char quote, struct sbuf *out)
{
  const char *s = *sp;
  if (s >= end)
    return false;
  unsigned char c = (unsigned char) *s;
  if (c == (unsigned char) quote)
    return false;
  if (c >= 0x80)
    {
      size_t w;
      uint32_t r = fmt_utf8_decode ((const unsigned char *) s, (size_t) (end - s), &w);
      fmt_utf8_encode (out, r);
      *sp = s + w;
      return true;
    }
  if (c != '\\')
    {
      fmt_sb_addc (out, (char) c);
      *sp = s + 1;
      return true;
    }
  if (end - s <= 1)
    return false;
  c = (unsigned char) s[1];
  s += 2;
  uint32_t v;
  switch (c)
    {
    case 'a':
      v = '\a';
      break;
    case 'b':
      v = '\b';
      break;
    case 'f':
      v = '\f';
      break;
    case 'n':
      v = '\n';
      break;
    case 'r':
      v = '\r';
      break;
    case 't':
      v = '\t';
      break;
    case 'v':
      v = '\v';
      break;
    case 'x':
    case 'u':
    case 'U':
      {
        int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (end - s < n)
          return false;
        v = 0;
        for (int j = 0; j < n; j++)
          {
            int x = unhex (s[j]);
            if (x < 0)
              return false;
            v = (v << 4) | (uint32_t) x;
          }
        s += n;
        if (c == 'x')
          {
            fmt_sb_addc (out, (char) v);
            *sp = s;
            return true;
          }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
          return false;
        fmt_utf8_encode (out, v);
        *sp = s;
        return true;
      }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      {
        v = c - '0';
        if (end - s < 2)
          return false;
        for (int j = 0; j < 2; j++)
          {
            int x = s[j] - '0';
            if (x < 0 || x > 7)
              return false;
            v = (v << 3) | (uint32_t) x;
          }
        s += 2;
        if (v > 255)
          return false;
        fmt_sb_addc (out, (char) v);
        *sp = s;
        return true;
      }
    case '\\':
      v = '\\';
      break;
    case '\'':
    case '"':
      if ((char) c != quote)
        return false;
      v = c;
      break;
    default:
      return false;
    }
  fmt_sb_addc (out, (char) v);
  *sp = s;
  return true;
}

/* strconv.Unquote for "..." and `...` literals */
static bool
go_unquote (const char *in, size_t n, struct sbuf *out)
{
  if (n < 2 || in[0] != in[n - 1])
    return false;
  const char *s = in + 1, *end = in + n - 1;
  if (in[0] == '`')
    {
      for (const char *p = s; p < end; p++)
        {
          if (*p == '`')
            return false;
          if (*p != '\r')
            fmt_sb_addc (out, *p);
        }
      if (out->s == NULL)
        fmt_sb_addn (out, "", 0);
      return true;
    }
  if (in[0] != '"')
    return false;
  fmt_sb_addn (out, "", 0);
  while (s < end)
    {
      if (*s == '\n')
        return false;
      if (!unquote_char (&s, end, '"', out))
        return false;
    }
  return true;
}

static bool
underscore_ok (const char *s)
{
  char saw = '^';
  size_t i = 0;
  if (*s == '-' || *s == '+')
    s++;
  bool hex = false;
  size_t n = strlen (s);
  if (n >= 2 && s[0] == '0' && strchr ("bBoOxX", s[1]) && s[1])
    {
      i = 2;
      saw = '0';
      hex = s[1] == 'x' || s[1] == 'X';
    }
  for (; i < n; i++)
    {
      char c = s[i];
      if ((c >= '0' && c <= '9') || (hex && unhex (c) >= 0))
        {
          saw = '0';
          continue;
        }
      if (c == '_')
        {
          if (saw != '0')
            return false;
          saw = '_';
          continue;
        }
      if (saw == '_')
        return false;
      saw = '!';
    }
  return saw != '_';
}

/* strconv.ParseInt / ParseUint with base 0 */
bool
fmt_go_parse_integer (const char *text, bool is_signed, int64_t *iv, uint64_t *uv)
{
  const char *s = text;
  bool neg = false;
  if (*s == '+' || *s == '-')
    {
      if (!is_signed)
        return false;
      neg = *s == '-';
      s++;
    }
  int base = 10;
  bool prefixed = false;
  if (s[0] == '0' && s[1])
    {
      if (s[1] == 'x' || s[1] == 'X')
        base = 16, s += 2, prefixed = true;
      else if (s[1] == 'o' || s[1] == 'O')
        base = 8, s += 2, prefixed = true;
      else if (s[1] == 'b' || s[1] == 'B')
        base = 2, s += 2, prefixed = true;
      else
        base = 8, s += 1;
    }
  (void) prefixed;
  if (strchr (text, '_') && !underscore_ok (text))
    return false;
  char digits[128];
  size_t k = 0;
  for (; *s; s++)
    {
      if (*s == '_')
        continue;
      int d = unhex (*s);
      if (d < 0 || d >= base || k >= sizeof digits - 1)
        return false;
      digits[k++] = *s;
    }
  digits[k] = '\0';
  if (k == 0)
    {
      /* "0" alone went through the octal branch with nothing left */
      if (base == 8 && text[strlen (text) - 1] == '0')
        {
          *iv = 0;
          *uv = 0;
          return true;
        }
      return false;
    }
  errno = 0;
  char *endp;
  unsigned long long u = strtoull (digits, &endp, base);
  if (errno == ERANGE || *endp)
    return false;
  if (!is_signed)
    {
      *uv = u;
      return true;
    }
  if (neg)
    {
      if (u > (unsigned long long) INT64_MAX + 1)
        return false;
      *iv = (int64_t) (0 - u);
      return true;
    }
  if (u > (unsigned long long) INT64_MAX)
    return false;
  *iv = (int64_t) u;
  return true;
}

bool
fmt_go_parse_float (const char *text, double *out)
{
  if (strchr (text, '_') && !underscore_ok (text))
    return false;
  char buf[256];
  size_t k = 0;
  for (const char *s = text; *s && k < sizeof buf - 1; s++)
    if (*s != '_')
      buf[k++] = *s;
  buf[k] = '\0';
  if (k == 0 || !(isdigit ((unsigned char) buf[0]) || buf[0] == '.' || buf[0] == '+' || buf[0] == '-'))
    return false;
  /* Go wants a 'p' exponent on a hexadecimal mantissa */
  const char *m = buf + (buf[0] == '+' || buf[0] == '-');
  if (m[0] == '0' && (m[1] == 'x' || m[1] == 'X') && strpbrk (m, "pP") == NULL)
    return false;
  errno = 0;
  char *endp;
  double d = strtod (buf, &endp);
  if (*endp || endp == buf)
    return false;
  /* out of range: Go's ParseFloat fails (an underflow to zero is fine) */
  if (errno == ERANGE && isinf (d))
    return false;
  *out = d;
  return true;
}

/* ------------------------------------------------------------------------------------------------ */
/* parser: Go's text/template/parse/parse.go                                                         */

static struct node *
new_node (struct parser *p, enum ntype type, size_t pos)
{
  struct skiff_template *t = p->t;
  struct node *n = xmalloc0 (sizeof *n);
  n->type = type;
  n->pos = pos;
  if (t->nnodes == t->capnodes)
    {
      t->capnodes = t->capnodes ? t->capnodes * 2 : 32;
      t->nodes = xrealloc (t->nodes, t->capnodes * sizeof *t->nodes);
    }
  t->nodes[t->nnodes++] = n;
  return n;
}

static void p_errorf (struct parser *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));
static void
p_errorf (struct parser *p, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (p->t->name)
    p->err = xasprintf ("template: %s:%d: %s", p->t->name, p->token[0].line, msg);
  else
    p->err = xasprintf ("template: %d: %s", p->token[0].line, msg);
  free (msg);
  longjmp (p->jb, 1);
}

/* Go's item.String() */
static void
item_write (struct sbuf *b, const struct item *i)
{
  if (i->typ == IT_EOF)
    fmt_sb_adds (b, "EOF");
  else if (i->typ == IT_ERROR)
    fmt_sb_addn (b, i->val, i->len);
  else if (i->typ > IT_KEYWORD)
    {
      fmt_sb_addc (b, '<');
      fmt_sb_addn (b, i->val, i->len);
      fmt_sb_addc (b, '>');
    }
  else if (i->len > 10)
    {
      /* %.10q... : the first 10 runes, quoted */
      size_t k = 0;
      for (int r = 0; r < 10; r++)
        {
          size_t w;
          fmt_utf8_decode ((const unsigned char *) i->val + k, i->len - k, &w);
          k += w;
        }
      fmt_go_quote (b, i->val, k, '"');
      fmt_sb_adds (b, "...");
    }
  else
    fmt_go_quote (b, i->val, i->len, '"');
}

static struct item
p_next (struct parser *p)
{
  if (p->peek_count > 0)
    p->peek_count--;
  else
    p->token[0] = fmt_lex_next_item (&p->lex);
  return p->token[p->peek_count];
}

static void
p_backup (struct parser *p)
{
  p->peek_count++;
}

static void
p_backup2 (struct parser *p, struct item t1)
{
  p->token[1] = t1;
  p->peek_count = 2;
}

static void
p_backup3 (struct parser *p, struct item t2, struct item t1)
{
  p->token[1] = t1;
  p->token[2] = t2;
  p->peek_count = 3;
}

static struct item
p_peek (struct parser *p)
{
  if (p->peek_count > 0)
    return p->token[p->peek_count - 1];
  p->peek_count = 1;
  p->token[0] = fmt_lex_next_item (&p->lex);
  return p->token[0];
}

static struct item
p_next_non_space (struct parser *p)
{
  struct item t;
  for (;;)
    {
      t = p_next (p);
      if (t.typ != IT_SPACE)
        break;
    }
  return t;
}

static struct item
p_peek_non_space (struct parser *p)
{
  struct item t = p_next_non_space (p);
  p_backup (p);
  return t;
}

static void p_unexpected (struct parser *p, struct item token, const char *context) __attribute__ ((noreturn));
static void
p_unexpected (struct parser *p, struct item token, const char *context)
{
  if (token.typ == IT_ERROR)
    {
      struct sbuf extra = { 0 };
      if (p->action_line != 0 && p->action_line != token.line)
        {
          bool is_action = token.len >= 7 && memcmp (token.val + token.len - 7, " action", 7) == 0;
          fmt_sb_adds (&extra, is_action ? " started at " : " in action started at ");
          if (p->t->name)
            fmt_sb_printf (&extra, "%s:", p->t->name);
          fmt_sb_printf (&extra, "%d", p->action_line);
        }
      char *ex = fmt_sb_steal (&extra);
      strv_push_take (&p->lex.errs, ex);
      p_errorf (p, "%.*s%s", (int) token.len, token.val, ex);
    }
  struct sbuf s = { 0 };
  item_write (&s, &token);
  char *str = fmt_sb_steal (&s);
  strv_push_take (&p->lex.errs, str);
  p_errorf (p, "unexpected %s in %s", str, context);
}

static struct item
p_expect (struct parser *p, enum itype expected, const char *context)
{
  struct item t = p_next_non_space (p);
  if (t.typ != expected)
    p_unexpected (p, t, context);
  return t;
}

void
fmt_p_push_var (struct parser *p, const char *name, size_t len)
{
  strv_push_take (&p->vars, xstrndup (name, len));
  p->nvars++;
}

static void
p_pop_vars (struct parser *p, size_t n)
{
  while (p->nvars > n)
    {
      free (p->vars[--p->nvars]);
      p->vars[p->nvars] = NULL;
    }
}

char *
fmt_node_to_string (const struct node *n)
{
  struct sbuf b = { 0 };
  fmt_node_write (&b, n);
  return fmt_sb_steal (&b);
}

/* Split "$x.A.B" or ".A.B" into identifiers. */
static void
split_ident (struct node *n, const char *s, size_t len, bool variable)
{
  size_t i = 0;
  if (!variable && len > 0 && s[0] == '.')
    i = 1;
  size_t start = i;
  for (; i <= len; i++)
    if (i == len || s[i] == '.')
      {
        strv_push_take (&n->ident, xstrndup (s + start, i - start));
        n->nident++;
        start = i + 1;
      }
}

static struct node *
p_new_field_or_var (struct parser *p, enum ntype type, size_t pos, const char *s, size_t len)
{
  struct node *n = new_node (p, type, pos);
  split_ident (n, s, len, type == N_VARIABLE);
  return n;
}

static struct node *
p_use_var (struct parser *p, size_t pos, const char *name, size_t len)
{
  struct node *v = p_new_field_or_var (p, N_VARIABLE, pos, name, len);
  for (size_t i = 0; i < p->nvars; i++)
    if (strcmp (p->vars[i], v->ident[0]) == 0)
      return v;
  p_errorf (p, "undefined variable \"%s\"", v->ident[0]);
}

static struct node *
p_new_number (struct parser *p, struct item token)
{
  struct node *n = new_node (p, N_NUMBER, token.pos);
  n->text = xstrndup (token.val, token.len);
  n->text_len = token.len;
  if (token.typ == IT_CHARCONST)
    {
      struct sbuf out = { 0 };
      const char *s = token.val + 1, *end = token.val + token.len;
      if (!unquote_char (&s, end, '\'', &out))
        {
          fmt_sb_release (&out);
          p_errorf (p, "invalid syntax");
        }
      if (end - s != 1 || *s != '\'')
        {
          fmt_sb_release (&out);
          p_errorf (p, "malformed character constant: %s", n->text);
        }
      size_t w;
      uint32_t r = out.len == 1 ? (unsigned char) out.s[0] : fmt_utf8_decode ((unsigned char *) out.s, out.len, &w);
      fmt_sb_release (&out);
      n->i = r;
      n->u = r;
      n->f = r;
      n->is_int = n->is_uint = n->is_float = true;
      return n;
    }
  if (token.typ == IT_COMPLEX || (token.len > 0 && token.val[token.len - 1] == 'i'))
    p_errorf (p, "complex numbers are not supported: \"%s\"", n->text);
  uint64_t u;
  int64_t i;
  if (fmt_go_parse_integer (n->text, false, &i, &u))
    {
      n->is_uint = true;
      n->u = u;
    }
  if (fmt_go_parse_integer (n->text, true, &i, &u))
    {
      n->is_int = true;
      n->i = i;
      if (i == 0)
        {
          n->is_uint = true;
          n->u = 0;
        }
    }
  if (n->is_int)
    {
      n->is_float = true;
      n->f = (double) n->i;
    }
  else if (n->is_uint)
    {
      n->is_float = true;
      n->f = (double) n->u;
    }
  else
    {
      double f;
      if (fmt_go_parse_float (n->text, &f))
        {
          if (strpbrk (n->text, ".eEpP") == NULL)
            p_errorf (p, "integer overflow: \"%s\"", n->text);
          n->is_float = true;
          n->f = f;
          if (fabs (f) < 9.2e18 && f == (double) (int64_t) f)
            {
              n->is_int = true;
              n->i = (int64_t) f;
            }
          if (f >= 0 && f < 1.8e19 && f == (double) (uint64_t) f)
            {
              n->is_uint = true;
              n->u = (uint64_t) f;
            }
        }
    }
  if (!n->is_int && !n->is_uint && !n->is_float)
    p_errorf (p, "illegal number syntax: \"%s\"", n->text);
  return n;
}

static struct node *p_pipeline (struct parser *p, const char *context, enum itype end);
static struct node *p_item_list (struct parser *p, struct node **next);
static struct node *p_if_control (struct parser *p);
static struct node *p_with_control (struct parser *p);

static struct node *
p_term (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (ENUM_PARTIAL (token.typ))
    {
    case IT_IDENT:
      {
        if (!fmt_builtin_exists (token.val, token.len))
          p_errorf (p, "function \"%.*s\" not defined", (int) token.len, token.val);
        struct node *n = new_node (p, N_IDENT, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        return n;
      }
    case IT_DOT:
      return new_node (p, N_DOT, token.pos);
    case IT_NIL:
      return new_node (p, N_NIL, token.pos);
    case IT_VARIABLE:
      return p_use_var (p, token.pos, token.val, token.len);
    case IT_FIELD:
      return p_new_field_or_var (p, N_FIELD, token.pos, token.val, token.len);
    case IT_BOOL:
      {
        struct node *n = new_node (p, N_BOOL, token.pos);
        n->b = token.len == 4;
        return n;
      }
    case IT_CHARCONST:
    case IT_COMPLEX:
    case IT_NUMBER:
      return p_new_number (p, token);
    case IT_LEFTPAREN:
      {
        /* Go's maxStackDepth; recursion on a C stack needs a lower bound than Go's 10000 */
        if (p->depth >= FMT_PARSE_DEPTH_MAX)
          p_errorf (p, "max expression depth exceeded");
        p->depth++;
        struct node *n = p_pipeline (p, "parenthesized pipeline", IT_RIGHTPAREN);
        p->depth--;
        return n;
      }
    case IT_STRING:
    case IT_RAWSTRING:
      {
        struct sbuf s = { 0 };
        if (!go_unquote (token.val, token.len, &s))
          {
            fmt_sb_release (&s);
            p_errorf (p, "invalid syntax");
          }
        struct node *n = new_node (p, N_STRING, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        n->str_len = s.len;
        n->str = fmt_sb_steal (&s);
        return n;
      }
    default:
      p_backup (p);
      return NULL;
    }
}

static struct node *
p_operand (struct parser *p)
{
  struct node *node = p_term (p);
  if (node == NULL)
    return NULL;
  if (p_peek (p).typ == IT_FIELD)
    {
      struct node *chain = new_node (p, N_CHAIN, p_peek (p).pos);
      chain->chain = node;
      while (p_peek (p).typ == IT_FIELD)
        {
          struct item f = p_next (p);
          strv_push_take (&chain->ident, xstrndup (f.val + 1, f.len - 1));
          chain->nident++;
        }
      switch (ENUM_PARTIAL (node->type))
        {
        case N_FIELD:
        case N_VARIABLE:
          {
            /* Go: the fields go onto the original node, positioned at the chain */
            struct sbuf s = { 0 };
            fmt_node_write (&s, chain);
            struct node *n = p_new_field_or_var (p, node->type, chain->pos, s.s, s.len);
            fmt_sb_release (&s);
            return n;
          }
        case N_BOOL:
        case N_STRING:
        case N_NUMBER:
        case N_NIL:
        case N_DOT:
          {
            char *s = fmt_node_to_string (node);
            struct sbuf q = { 0 };
            fmt_go_quote (&q, s, strlen (s), '"');
            free (s);
            s = fmt_sb_steal (&q);
            strv_push_take (&p->lex.errs, s);
            p_errorf (p, "unexpected . after term %s", s);
          }
        default:
          return chain;
        }
    }
  return node;
}

static struct node *
p_command (struct parser *p)
{
  struct node *cmd = new_node (p, N_COMMAND, p_peek_non_space (p).pos);
  for (;;)
    {
      p_peek_non_space (p);
      struct node *operand = p_operand (p);
      if (operand)
        node_append (&cmd->kids, &cmd->nkids, operand);
      struct item token = p_next (p);
      switch (ENUM_PARTIAL (token.typ))
        {
        case IT_SPACE:
          continue;
        case IT_RIGHTDELIM:
        case IT_RIGHTPAREN:
          p_backup (p);
          break;
        case IT_PIPE:
          break;
        default:
          p_unexpected (p, token, "operand");
        }
      break;
    }
  if (cmd->nkids == 0)
    p_errorf (p, "empty command");
  return cmd;
}

static void
p_check_pipeline (struct parser *p, struct node *pipe, const char *context)
{
  if (pipe->nkids == 0)
    p_errorf (p, "missing value for %s", context);
  for (size_t i = 1; i < pipe->nkids; i++)
    switch (ENUM_PARTIAL (pipe->kids[i]->kids[0]->type))
      {
      case N_BOOL:
      case N_DOT:
      case N_NIL:
      case N_NUMBER:
      case N_STRING:
        p_errorf (p, "non executable command in pipeline stage %zu", i + 1);
      default:
        break;
      }
}

static struct node *
p_pipeline (struct parser *p, const char *context, enum itype end)
{
  struct item token = p_peek_non_space (p);
  struct node *pipe = new_node (p, N_PIPE, token.pos);
  pipe->line = token.line;
decls:;
  struct item v = p_peek_non_space (p);
  if (v.typ == IT_VARIABLE)
    {
      p_next (p);
      struct item after = p_peek (p);
      struct item next = p_peek_non_space (p);
      if (next.typ == IT_ASSIGN || next.typ == IT_DECLARE)
        {
          pipe->is_assign = next.typ == IT_ASSIGN;
          p_next_non_space (p);
          node_append (&pipe->decl, &pipe->ndecl, p_new_field_or_var (p, N_VARIABLE, v.pos, v.val, v.len));
          fmt_p_push_var (p, v.val, v.len);
        }
      else if (next.typ == IT_CHAR && next.len == 1 && next.val[0] == ',')
        {
          p_next_non_space (p);
          node_append (&pipe->decl, &pipe->ndecl, p_new_field_or_var (p, N_VARIABLE, v.pos, v.val, v.len));
          fmt_p_push_var (p, v.val, v.len);
          if (strcmp (context, "range") == 0 && pipe->ndecl < 2)
            {
              switch (ENUM_PARTIAL (p_peek_non_space (p).typ))
                {
                case IT_VARIABLE:
                case IT_RIGHTDELIM:
                case IT_RIGHTPAREN:
                  goto decls;
                default:
                  p_errorf (p, "range can only initialize variables");
                }
            }
          p_errorf (p, "too many declarations in %s", context);
        }
      else if (after.typ == IT_SPACE)
        p_backup3 (p, v, after);
      else
        p_backup2 (p, v);
    }
  for (;;)
    {
      struct item t = p_next_non_space (p);
      if (t.typ == end)
        {
          p_check_pipeline (p, pipe, context);
          return pipe;
        }
      switch (ENUM_PARTIAL (t.typ))
        {
        case IT_BOOL:
        case IT_CHARCONST:
        case IT_COMPLEX:
        case IT_DOT:
        case IT_FIELD:
        case IT_IDENT:
        case IT_NUMBER:
        case IT_NIL:
        case IT_RAWSTRING:
        case IT_STRING:
        case IT_VARIABLE:
        case IT_LEFTPAREN:
          p_backup (p);
          node_append (&pipe->kids, &pipe->nkids, p_command (p));
          break;
        default:
          p_unexpected (p, t, context);
        }
    }
}

/* Every nested {{if}}, {{with}}, {{range}}, {{else if}} and {{block}} is a level of recursion here and in the
 * executor: bounded, far above what a real template nests. */
static void
p_enter (struct parser *p)
{
  if (p->depth >= FMT_PARSE_DEPTH_MAX)
    p_errorf (p,
              "max nesting depth exceeded: more than %d levels of {{if}}, {{with}}, {{range}}, {{block}} or "
              "parentheses",
              FMT_PARSE_DEPTH_MAX);
  p->depth++;
}

static void
p_control (struct parser *p, const char *context, struct node *n)
{
  p_enter (p);
  size_t saved = p->nvars;
  n->pipe = p_pipeline (p, context, IT_RIGHTDELIM);
  bool is_range = strcmp (context, "range") == 0;
  if (is_range)
    p->range_depth++;
  struct node *next;
  n->list = p_item_list (p, &next);
  if (is_range)
    p->range_depth--;
  if (next->type == N_ELSE)
    {
      if (strcmp (context, "if") == 0 && p_peek (p).typ == IT_IF)
        {
          p_next (p);
          n->else_list = new_node (p, N_LIST, next->pos);
          node_append (&n->else_list->kids, &n->else_list->nkids, p_if_control (p));
        }
      else if (strcmp (context, "with") == 0 && p_peek (p).typ == IT_WITH)
        {
          p_next (p);
          n->else_list = new_node (p, N_LIST, next->pos);
          node_append (&n->else_list->kids, &n->else_list->nkids, p_with_control (p));
        }
      else
        {
          n->else_list = p_item_list (p, &next);
          if (next->type != N_END)
            {
              char *s = fmt_node_to_string (next);
              strv_push_take (&p->lex.errs, s);
              p_errorf (p, "expected end; found %s", s);
            }
        }
    }
  n->pos = n->pipe->pos;
  n->line = n->pipe->line;
  p_pop_vars (p, saved);
  p->depth--;
}

static struct node *
p_if_control (struct parser *p)
{
  struct node *n = new_node (p, N_IF, 0);
  p_control (p, "if", n);
  return n;
}

static struct node *
p_with_control (struct parser *p)
{
  struct node *n = new_node (p, N_WITH, 0);
  p_control (p, "with", n);
  return n;
}

static struct node *
p_range_control (struct parser *p)
{
  struct node *n = new_node (p, N_RANGE, 0);
  p_control (p, "range", n);
  return n;
}

static void
p_add_def (struct parser *p, const char *name, size_t len, struct node *root)
{
  struct skiff_template *t = p->t;
  for (size_t i = 0; i < t->ndefs; i++)
    if (strlen (t->defs[i].name) == len && memcmp (t->defs[i].name, name, len) == 0)
      {
        /* Go keeps an existing definition over an empty redefinition */
        if (root->nkids > 0)
          t->defs[i].root = root;
        return;
      }
  t->defs = xrealloc (t->defs, (t->ndefs + 1) * sizeof *t->defs);
  t->defs[t->ndefs].name = xstrndup (name, len);
  t->defs[t->ndefs].root = root;
  t->ndefs++;
}

static char *
p_template_name (struct parser *p, struct item token, const char *context, size_t *len)
{
  if (token.typ != IT_STRING && token.typ != IT_RAWSTRING)
    p_unexpected (p, token, context);
  struct sbuf s = { 0 };
  if (!go_unquote (token.val, token.len, &s))
    {
      fmt_sb_release (&s);
      p_errorf (p, "invalid syntax");
    }
  *len = s.len;
  char *r = fmt_sb_steal (&s);
  strv_push_take (&p->lex.errs, r);
  return r;
}

/* The body of a {{define}} or {{block}}: a new tree with only "$" in scope */
static struct node *
p_sub_tree (struct parser *p, const char *context)
{
  p_enter (p);
  size_t saved_n = p->nvars;
  int saved_depth = p->range_depth;
  p->saved_vars = xrealloc (p->saved_vars, (p->nsaved + 1) * sizeof *p->saved_vars);
  p->saved_vars[p->nsaved++] = p->vars;
  p->vars = NULL;
  p->nvars = 0;
  p->range_depth = 0;
  fmt_p_push_var (p, "$", 1);
  struct node *end;
  struct node *root = p_item_list (p, &end);
  if (end->type != N_END)
    {
      char *s = fmt_node_to_string (end);
      strv_push_take (&p->lex.errs, s);
      p_errorf (p, "unexpected %s in %s", s, context);
    }
  strv_free (p->vars);
  p->vars = p->saved_vars[--p->nsaved];
  p->nvars = saved_n;
  p->range_depth = saved_depth;
  p->depth--;
  return root;
}

static struct node *
p_block_control (struct parser *p)
{
  const char *context = "block clause";
  struct item token = p_next_non_space (p);
  size_t nlen;
  char *name = p_template_name (p, token, context, &nlen);
  struct node *pipe = p_pipeline (p, context, IT_RIGHTDELIM);
  struct node *root = p_sub_tree (p, context);
  p_add_def (p, name, nlen, root);
  struct node *n = new_node (p, N_TEMPLATE, token.pos);
  n->line = token.line;
  n->text = xstrndup (name, nlen);
  n->text_len = nlen;
  n->pipe = pipe;
  return n;
}

static struct node *
p_template_control (struct parser *p)
{
  const char *context = "template clause";
  struct item token = p_next_non_space (p);
  size_t nlen;
  char *name = p_template_name (p, token, context, &nlen);
  struct node *pipe = NULL;
  if (p_next_non_space (p).typ != IT_RIGHTDELIM)
    {
      p_backup (p);
      pipe = p_pipeline (p, context, IT_RIGHTDELIM);
    }
  struct node *n = new_node (p, N_TEMPLATE, token.pos);
  n->line = token.line;
  n->text = xstrndup (name, nlen);
  n->text_len = nlen;
  n->pipe = pipe;
  return n;
}

static struct node *
p_action (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (ENUM_PARTIAL (token.typ))
    {
    case IT_BLOCK:
      return p_block_control (p);
    case IT_BREAK:
    case IT_CONTINUE:
      {
        const char *what = token.typ == IT_BREAK ? "{{break}}" : "{{continue}}";
        struct item t = p_next_non_space (p);
        if (t.typ != IT_RIGHTDELIM)
          p_unexpected (p, t, what);
        if (p->range_depth == 0)
          p_errorf (p, "%s outside {{range}}", what);
        struct node *n = new_node (p, token.typ == IT_BREAK ? N_BREAK : N_CONTINUE, token.pos);
        n->line = token.line;
        return n;
      }
    case IT_ELSE:
      {
        struct item peek = p_peek_non_space (p);
        if (peek.typ == IT_IF || peek.typ == IT_WITH)
          return new_node (p, N_ELSE, peek.pos);
        struct item t = p_expect (p, IT_RIGHTDELIM, "else");
        return new_node (p, N_ELSE, t.pos);
      }
    case IT_END:
      {
        struct item t = p_expect (p, IT_RIGHTDELIM, "end");
        return new_node (p, N_END, t.pos);
      }
    case IT_IF:
      return p_if_control (p);
    case IT_RANGE:
      return p_range_control (p);
    case IT_TEMPLATE:
      return p_template_control (p);
    case IT_WITH:
      return p_with_control (p);
    default:
      break;
    }
  p_backup (p);
  token = p_peek (p);
  struct node *n = new_node (p, N_ACTION, token.pos);
  n->line = token.line;
  n->pipe = p_pipeline (p, "command", IT_RIGHTDELIM);
  return n;
}

static struct node *
p_text_or_action (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (ENUM_PARTIAL (token.typ))
    {
    case IT_TEXT:
      {
        struct node *n = new_node (p, N_TEXT, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        return n;
      }
    case IT_LEFTDELIM:
      {
        int saved = p->action_line;
        p->action_line = token.line;
        struct node *n = p_action (p);
        p->action_line = saved;
        return n;
      }
    case IT_COMMENT:
      return new_node (p, N_COMMENT, token.pos);
    default:
      p_unexpected (p, token, "input");
    }
}

static struct node *
p_item_list (struct parser *p, struct node **next)
{
  struct node *list = new_node (p, N_LIST, p_peek_non_space (p).pos);
  while (p_peek_non_space (p).typ != IT_EOF)
    {
      struct node *n = p_text_or_action (p);
      if (n->type == N_END || n->type == N_ELSE)
        {
          *next = n;
          return list;
        }
      node_append (&list->kids, &list->nkids, n);
    }
  p_errorf (p, "unexpected EOF");
}

void
fmt_p_parse (struct parser *p)
{
  p->t->root = new_node (p, N_LIST, p_peek (p).pos);
  while (p_peek (p).typ != IT_EOF)
    {
      if (p_peek (p).typ == IT_LEFTDELIM)
        {
          struct item delim = p_next (p);
          if (p_next_non_space (p).typ == IT_DEFINE)
            {
              const char *context = "define clause";
              struct item name = p_next_non_space (p);
              if (name.typ != IT_STRING && name.typ != IT_RAWSTRING)
                p_unexpected (p, name, context);
              size_t nlen;
              char *nm = p_template_name (p, name, context, &nlen);
              p_expect (p, IT_RIGHTDELIM, context);
              struct node *root = p_sub_tree (p, context);
              p_add_def (p, nm, nlen, root);
              continue;
            }
          p_backup2 (p, delim);
        }
      struct node *n = p_text_or_action (p);
      if (n->type == N_END || n->type == N_ELSE)
        {
          char *s = fmt_node_to_string (n);
          strv_push_take (&p->lex.errs, s);
          p_errorf (p, "unexpected %s", s);
        }
      node_append (&p->t->root->kids, &p->t->root->nkids, n);
    }
}
