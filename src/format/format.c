/* The --format engine's public API (format/format.h): parsing and running templates, table headers and
 * podman's report.Formatter (table mode, NormalizeFormat, one run per item). */
#include <ctype.h>
#include <setjmp.h>
#include <string.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* templates                                                                                         */

void
skiff_template_free (struct skiff_template *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nnodes; i++)
    fmt_node_free (t->nodes[i]);
  free (t->nodes);
  for (size_t i = 0; i < t->ndefs; i++)
    free (t->defs[i].name);
  free (t->defs);
  free (t->name);
  free (t->text);
  free (t);
}

static int
parse_text (const char *name, const char *text, struct skiff_template **out, skiff_error_t *err)
{
  struct skiff_template *t = xmalloc0 (sizeof *t);
  t->name = name ? xstrdup (name) : NULL;
  t->text = xstrdup (text);
  struct parser *p = xmalloc0 (sizeof *p);
  p->t = t;
  p->lex.in = t->text;
  p->lex.len = strlen (t->text);
  fmt_p_push_var (p, "$", 1);
  int ret = 0;
  if (setjmp (p->jb) == 0)
    {
      fmt_p_parse (p);
      t->body = t->root;
      *out = t;
    }
  else
    {
      ret = skiff_error_set (err, 0, "%s", p->err);
      skiff_template_free (t);
      *out = NULL;
    }
  free (p->err);
  strv_free (p->vars);
  for (size_t i = 0; i < p->nsaved; i++)
    strv_free (p->saved_vars[i]);
  free (p->saved_vars);
  strv_free (p->lex.errs);
  free (p);
  return ret;
}

/* strings.NewReplacer semantics: at each position the first matching pair (in argument order) wins */
static char *
replace_all (const char *s, const char *const *pairs, size_t npairs)
{
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  while (*s)
    {
      bool done = false;
      for (size_t i = 0; i < npairs; i += 2)
        {
          size_t l = strlen (pairs[i]);
          if (strncmp (s, pairs[i], l) == 0)
            {
              fmt_sb_adds (&b, pairs[i + 1]);
              s += l;
              done = true;
              break;
            }
        }
      if (!done)
        fmt_sb_addc (&b, *s++);
    }
  return fmt_sb_steal (&b);
}

static const char *const table_pairs[] = { "table ", "", "\\t", "\t", "\\n", "\n", " ", "\t" };
static const char *const escape_pairs[] = { "\\t", "\t", "\\n", "\n" };

/* podman's report.NormalizeFormat, without the trailing newline it appends */
static char *
normalize_format (const char *format)
{
  if (str_has_prefix (format, "table "))
    return replace_all (format, table_pairs, ARRAY_SIZE (table_pairs));
  return replace_all (format, escape_pairs, ARRAY_SIZE (escape_pairs));
}

static bool
is_re_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *
skip_re_space (const char *s)
{
  while (is_re_space (*s))
    s++;
  return s;
}

/* podman's rangeRegex: {{\s*range\s*\.\s*}}.*{{\s*end\s*-?\s*}} ("." does not cross newlines) */
static bool
has_range_over_dot (const char *s)
{
  for (const char *p = strstr (s, "{{"); p; p = strstr (p + 1, "{{"))
    {
      const char *q = skip_re_space (p + 2);
      if (strncmp (q, "range", 5) != 0)
        continue;
      q = skip_re_space (q + 5);
      if (*q != '.')
        continue;
      q = skip_re_space (q + 1);
      if (strncmp (q, "}}", 2) != 0)
        continue;
      for (const char *r = q + 2; *r; r++)
        {
          if (strncmp (r, "{{", 2) == 0)
            {
              const char *e = skip_re_space (r + 2);
              if (strncmp (e, "end", 3) == 0)
                {
                  e = skip_re_space (e + 3);
                  if (*e == '-')
                    e = skip_re_space (e + 1);
                  if (strncmp (e, "}}", 2) == 0)
                    return true;
                }
            }
          if (*r == '\n')
            break;
        }
    }
  return false;
}

int
skiff_template_parse_named (const char *name, const char *src, struct skiff_template **out, skiff_error_t *err)
{
  bool table = str_has_prefix (src, "table ");
  cleanup_free char *norm = normalize_format (src);
  const char *orig = table ? src + strlen ("table ") : src;
  skiff_error_t first = NULL;
  /* podman parses the normalised text and falls back to the original when that fails (a "\n" that
   * became a newline inside a quoted string, for instance) */
  if (parse_text (name, norm, out, &first) == 0)
    {
      (*out)->is_table = table;
      return 0;
    }
  if (strcmp (norm, orig) == 0)
    {
      *err = first;
      return -1;
    }
  skiff_error_release (&first);
  if (parse_text (name, orig, out, err) < 0)
    return -1;
  (*out)->is_table = table;
  return 0;
}

int
skiff_template_parse (const char *src, struct skiff_template **out, skiff_error_t *err)
{
  return skiff_template_parse_named (NULL, src, out, err);
}

bool
skiff_template_is_table (const struct skiff_template *t)
{
  return t->is_table;
}

static struct val
data_val (json_object *data)
{
  /* Execute(nil) gives Go's invalid value */
  return data ? fmt_val_ref (data) : VAL_INVALID;
}

int
skiff_template_execute (const struct skiff_template *t, json_object *data, char **buf, size_t *len, skiff_error_t *err)
{
  struct sbuf b = { *buf, *len, *buf ? *len + 1 : 0 };
  struct val d = data_val (data);
  int r = fmt_x_run (t, t->root, d, &b, err);
  fmt_val_drop (&d);
  fmt_sb_addn (&b, "", 0);
  *buf = b.s;
  *len = b.len;
  return r;
}

/* ------------------------------------------------------------------------------------------------ */
/* table headers                                                                                     */

/* fatih/camelcase.Split as podman's report.Headers uses it: "CreatedAt" -> "Created At" */
static void
camelcase_header (struct sbuf *b, const char *s)
{
  size_t n = strlen (s);
  /* runs of one character class: 1 lower, 2 upper, 3 digit, 4 other */
  char **runs = NULL;
  size_t nruns = 0;
  int last = 0;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) s[i];
      int cls = islower (c) ? 1 : isupper (c) ? 2 : isdigit (c) ? 3 : 4;
      if (c >= 0x80)
        cls = 4;
      if (cls == last && nruns > 0)
        {
          char *r = runs[nruns - 1];
          size_t l = strlen (r);
          runs[nruns - 1] = xrealloc (r, l + 2);
          runs[nruns - 1][l] = (char) c;
          runs[nruns - 1][l + 1] = '\0';
        }
      else
        {
          runs = xrealloc (runs, (nruns + 1) * sizeof *runs);
          runs[nruns++] = xstrndup ((const char *) &c, 1);
        }
      last = cls;
    }
  /* "PDFL" "oader" -> "PDF" "Loader" */
  for (size_t i = 0; i + 1 < nruns; i++)
    if (isupper ((unsigned char) runs[i][0]) && islower ((unsigned char) runs[i + 1][0]))
      {
        size_t l = strlen (runs[i]);
        char moved = runs[i][l - 1];
        runs[i][l - 1] = '\0';
        char *nr = xasprintf ("%c%s", moved, runs[i + 1]);
        free (runs[i + 1]);
        runs[i + 1] = nr;
      }
  bool first = true;
  for (size_t i = 0; i < nruns; i++)
    {
      if (runs[i][0] != '\0')
        {
          if (!first)
            fmt_sb_addc (b, ' ');
          first = false;
          for (char *p = runs[i]; *p; p++)
            fmt_sb_addc (b, (char) toupper ((unsigned char) *p));
        }
      free (runs[i]);
    }
  free (runs);
}

static void
header_for (struct sbuf *b, const char *field, json_object *headers)
{
  if (headers && fmt_jkind (headers) == VK_MAP)
    {
      bool found;
      json_object *h = fmt_obj_lookup (headers, field, &found);
      if (found && fmt_jkind (h) == VK_STRING)
        {
          /* podman upper-cases the overrides */
          size_t n, m;
          const char *s = fmt_jstr (h, &n);
          char *u = fmt_str_map_case (s, n, true, &m);
          fmt_sb_addn (b, u, m);
          free (u);
          return;
        }
    }
  camelcase_header (b, field);
}

static const char *pipe_first_field (const struct node *pipe);

static const char *
node_first_field (const struct node *n)
{
  switch (ENUM_PARTIAL (n->type))
    {
    case N_FIELD:
      return n->ident[0];
    case N_VARIABLE:
      return n->nident > 1 ? n->ident[1] : NULL;
    case N_CHAIN:
      {
        const char *f = node_first_field (n->chain);
        return f ? f : n->ident[0];
      }
    case N_PIPE:
      return pipe_first_field (n);
    default:
      return NULL;
    }
}

static const char *
pipe_first_field (const struct node *pipe)
{
  for (size_t i = 0; i < pipe->nkids; i++)
    for (size_t j = 0; j < pipe->kids[i]->nkids; j++)
      {
        const char *f = node_first_field (pipe->kids[i]->kids[j]);
        if (f)
          return f;
      }
  return NULL;
}

static bool
pipe_uses_data (const struct node *pipe)
{
  for (size_t i = 0; i < pipe->nkids; i++)
    for (size_t j = 0; j < pipe->kids[i]->nkids; j++)
      {
        const struct node *a = pipe->kids[i]->kids[j];
        switch (ENUM_PARTIAL (a->type))
          {
          case N_DOT:
          case N_FIELD:
          case N_VARIABLE:
          case N_CHAIN:
            return true;
          case N_PIPE:
            if (pipe_uses_data (a))
              return true;
            break;
          default:
            break;
          }
      }
  return false;
}

/* The header row: each action shows the header of the first field it uses ({{.CreatedAt}} ->
 * "CREATED AT", overrides from headers); text stays; actions on constants ({{"\t"}}) are evaluated;
 * if/with/range contribute their first branch. */
static void
header_walk (const struct skiff_template *t, const struct node *n, json_object *headers, struct sbuf *b)
{
  switch (ENUM_PARTIAL (n->type))
    {
    case N_TEXT:
      fmt_sb_addn (b, n->text, n->text_len);
      return;
    case N_ACTION:
      {
        if (n->pipe->ndecl > 0)
          return;
        const char *f = pipe_first_field (n->pipe);
        if (f)
          header_for (b, f, headers);
        else if (!pipe_uses_data (n->pipe))
          {
            skiff_error_t err = NULL;
            struct sbuf tmp = { 0 };
            if (fmt_x_run (t, n, VAL_INVALID, &tmp, &err) == 0 && tmp.s)
              fmt_sb_addn (b, tmp.s, tmp.len);
            skiff_error_release (&err);
            fmt_sb_release (&tmp);
          }
        return;
      }
    case N_IF:
    case N_WITH:
    case N_RANGE:
      header_walk (t, n->list, headers, b);
      return;
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        header_walk (t, n->kids[i], headers, b);
      return;
    default:
      return;
    }
}

char *
skiff_template_header (const struct skiff_template *t, json_object *headers)
{
  struct sbuf b = { 0 };
  header_walk (t, t->body, headers, &b);
  return fmt_sb_steal (&b);
}

/* ------------------------------------------------------------------------------------------------ */
/* podman's report.Formatter                                                                         */

bool
skiff_format_is_json (const char *format)
{
  /* ^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$ */
  const char *s = skip_re_space (format);
  if (strncmp (s, "json", 4) == 0)
    s += 4;
  else if (strncmp (s, "{{", 2) == 0)
    {
      s = skip_re_space (s + 2);
      if (strncmp (s, "json", 4) != 0)
        return false;
      s = skip_re_space (s + 4);
      if (*s == '.')
        s++;
      s = skip_re_space (s);
      if (strncmp (s, "}}", 2) != 0)
        return false;
      s += 2;
    }
  else
    return false;
  return *skip_re_space (s) == '\0';
}

static char *
with_newline (const char *s)
{
  return str_has_suffix (s, "\n") ? xstrdup (s) : xasprintf ("%s\n", s);
}

static int
format_render (const char *format, json_object *data, bool list, const struct skiff_format_opts *opts, char **out,
               skiff_error_t *err)
{
  const char *name = opts ? opts->name : NULL;
  bool table = str_has_prefix (format, "table ");
  cleanup_free char *norm = NULL;
  cleanup_free char *orig = NULL;
  *out = NULL;
  {
    cleanup_free char *n = normalize_format (format);
    cleanup_free char *nl = with_newline (n);
    if (table)
      {
        norm = xasprintf ("{{range .}}%s{{end -}}", nl);
        orig = xasprintf ("{{range .}}%s{{end -}}", format + strlen ("table "));
      }
    else if (list)
      {
        /* podman's EnforceRange */
        norm = has_range_over_dot (nl) ? xstrdup (nl) : xasprintf ("{{range .}}%s{{end -}}", nl);
        orig = has_range_over_dot (format) ? xstrdup (format) : xasprintf ("{{range .}}%s{{end -}}", format);
      }
    else
      {
        norm = xstrdup (nl);
        orig = xstrdup (format);
      }
  }
  struct skiff_template *t = NULL;
  skiff_error_t first = NULL;
  if (parse_text (name, norm, &t, &first) < 0)
    {
      skiff_error_release (&first);
      if (parse_text (name, orig, &t, err) < 0)
        return -1;
    }
  t->is_table = table;
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  if (table && !(opts && opts->noheading))
    {
      /* podman executes the template once over the header names; skiff derives the row from the
       * range body: text as is, each action replaced by its column's header */
      const struct node *body = t->root;
      if (body->nkids > 0 && body->kids[0]->type == N_RANGE)
        body = body->kids[0]->list;
      header_walk (t, body, opts ? opts->headers : NULL, &b);
    }
  struct val d = data_val (data);
  int r = fmt_x_run (t, t->root, d, &b, err);
  fmt_val_drop (&d);
  skiff_template_free (t);
  if (table)
    {
      *out = skiff_tabwrite (b.s);
      fmt_sb_release (&b);
    }
  else
    *out = fmt_sb_steal (&b);
  return r;
}

int
skiff_format_list (const char *format, json_object *rows, const struct skiff_format_opts *opts, char **out,
                   skiff_error_t *err)
{
  return format_render (format, rows, true, opts, out, err);
}

int
skiff_format_object (const char *format, json_object *obj, const struct skiff_format_opts *opts, char **out,
                     skiff_error_t *err)
{
  return format_render (format, obj, false, opts, out, err);
}
