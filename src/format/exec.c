/* --format engine: template execution, ported from Go's text/template/exec.go. */
#include <stdarg.h>
#include <string.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* executor: Go's text/template/exec.go                                                              */

/* Nested {{template}} calls and {{if}}/{{with}}/{{range}} bodies, counted together since each is a level of
 * recursion: Go allows 100000 template calls on its growable stacks, a C stack needs less. Above the parser's
 * own nesting limit, so that any template that parses runs unless it recurses. */
#define EXEC_DEPTH_LIMIT (2 * FMT_PARSE_DEPTH_MAX)
/* Nodes walked and range iterations in one execution: real templates take a few per field; a template that
 * recurses into itself twice, or ranges over 1e12, would otherwise never return. */
#define EXEC_STEPS_MAX 10000000
/* Bytes of strings that function calls of one execution may build, and bytes of output: a template that keeps
 * doubling a string would otherwise take all the memory there is. */
#define EXEC_MADE_MAX (64 * 1024 * 1024)
#define EXEC_OUTPUT_MAX (64 * 1024 * 1024)

struct var
{
  const char *name;
  struct val v;
};

struct exec
{
  const struct skiff_template *t;
  const char *tmpl_name; /* the template being executed, for "executing %q" */
  struct sbuf *out;
  struct var *vars;
  size_t nvars, capvars;
  const struct node *at;
  skiff_error_t *err;
  int depth;
  uint64_t *steps; /* shared with the templates it calls */
  uint64_t *made;  /* bytes of values built by function calls, shared likewise */
};

static int x_errorf (struct exec *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int
x_errorf (struct exec *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  struct sbuf b = { 0 };
  fmt_sb_adds (&b, "template: ");
  if (s->at == NULL)
    {
      if (s->tmpl_name)
        fmt_sb_printf (&b, "%s: ", s->tmpl_name);
    }
  else
    {
      /* Go's Tree.ErrorContext */
      size_t pos = s->at->pos;
      const char *text = s->t->text;
      int line = 1;
      size_t col = pos, last_nl = 0;
      bool seen = false;
      for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n')
          {
            line++;
            last_nl = i;
            seen = true;
          }
      if (seen)
        col = pos - (last_nl + 1);
      if (s->t->name)
        fmt_sb_printf (&b, "%s:", s->t->name);
      fmt_sb_printf (&b, "%d:%zu: executing ", line, col);
      if (s->tmpl_name)
        {
          fmt_go_quote (&b, s->tmpl_name, strlen (s->tmpl_name), '"');
          fmt_sb_addc (&b, ' ');
        }
      struct sbuf ctx = { 0 };
      fmt_node_write (&ctx, s->at);
      fmt_sb_adds (&b, "at <");
      if (ctx.s)
        fmt_sb_addn (&b, ctx.s, ctx.len);
      fmt_sb_adds (&b, ">: ");
      fmt_sb_release (&ctx);
    }
  fmt_sb_adds (&b, msg);
  free (msg);
  skiff_error_set (s->err, 0, "%s", b.s);
  fmt_sb_release (&b);
  return -1;
}

static void
x_push (struct exec *s, const char *name, struct val v)
{
  if (s->nvars == s->capvars)
    {
      s->capvars = s->capvars ? s->capvars * 2 : 8;
      s->vars = xrealloc (s->vars, s->capvars * sizeof *s->vars);
    }
  s->vars[s->nvars].name = name;
  s->vars[s->nvars].v = v;
  s->nvars++;
}

static void
x_pop (struct exec *s, size_t mark)
{
  while (s->nvars > mark)
    fmt_val_drop (&s->vars[--s->nvars].v);
}

static int
x_set_var (struct exec *s, const char *name, struct val v)
{
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp (s->vars[i].name, name) == 0)
      {
        fmt_val_drop (&s->vars[i].v);
        s->vars[i].v = v;
        return 0;
      }
  fmt_val_drop (&v);
  return x_errorf (s, "undefined variable: %s", name);
}

static void
x_set_top_var (struct exec *s, size_t n, struct val v)
{
  fmt_val_drop (&s->vars[s->nvars - n].v);
  s->vars[s->nvars - n].v = v;
}

static const char *
ptype_name (enum ptype t)
{
  switch (t)
    {
    case P_VALUE:
      return "reflect.Value";
    case P_ANY:
      return "interface {}";
    case P_STRING:
      return "string";
    case P_INT:
      return "int";
    case P_STRV:
      return "[]string";
    }
  return "?";
}

static int x_eval_pipeline (struct exec *s, struct val dot, const struct node *pipe, struct val *out);
static int x_eval_arg (struct exec *s, struct val dot, enum ptype t, const struct node *n, struct val *out);
static int x_eval_function (struct exec *s, struct val dot, const struct node *ident, const struct node *cmd,
                            struct node *const *args, size_t nargs, const struct val *final, struct val *out);

static int
x_not_a_function (struct exec *s, struct node *const *args, size_t nargs, const struct val *final)
{
  if (nargs > 1 || final)
    {
      char *str = fmt_node_to_string (args[0]);
      int r = x_errorf (s, "can't give argument to non-function %s", str);
      free (str);
      return r;
    }
  return 0;
}

json_object *
fmt_obj_lookup (json_object *obj, const char *name, bool *found)
{
  json_object *v = NULL;
  *found = json_object_object_get_ex (obj, name, &v);
  if (*found)
    return v;
  /* skiff: podman's data are Go structs whose JSON keys are often lower case ({{.Host.Arch}} on
   * "host"."arch"), so fall back to a case-insensitive match */
  json_object_object_foreach (obj, k, val)
  {
    if (strcasecmp (k, name) == 0)
      {
        *found = true;
        return val;
      }
  }
  return NULL;
}

static int
x_eval_field (struct exec *s, const char *name, size_t nargs, const struct val *final, struct val receiver,
              struct val *out)
{
  if (receiver.invalid)
    {
      *out = VAL_INVALID;
      return 0;
    }
  if (receiver.j == NULL)
    return x_errorf (s, "nil pointer evaluating interface {}.%s", name);
  bool has_args = nargs > 1 || final;
  if (fmt_jkind (receiver.j) == VK_MAP)
    {
      if (has_args)
        return x_errorf (s, "%s is not a method but has arguments", name);
      bool found;
      json_object *v = fmt_obj_lookup (receiver.j, name, &found);
      *out = found ? fmt_val_ref (v) : VAL_INVALID;
      return 0;
    }
  return x_errorf (s, "can't evaluate field %s in type %s", name, fmt_jtype_name (receiver.j));
}

static int
x_eval_field_chain (struct exec *s, struct val receiver, char *const *ident, size_t n, size_t nargs,
                    const struct val *final, struct val *out)
{
  struct val r = fmt_val_dup (receiver);
  for (size_t i = 0; i + 1 < n; i++)
    {
      struct val next;
      if (x_eval_field (s, ident[i], 0, NULL, r, &next) < 0)
        {
          fmt_val_drop (&r);
          return -1;
        }
      fmt_val_drop (&r);
      r = next;
    }
  int ret = x_eval_field (s, ident[n - 1], nargs, final, r, out);
  fmt_val_drop (&r);
  return ret;
}

static int
x_eval_field_node (struct exec *s, struct val dot, const struct node *field, size_t nargs, const struct val *final,
                   struct val *out)
{
  s->at = field;
  return x_eval_field_chain (s, dot, field->ident, field->nident, nargs, final, out);
}

static int
x_var_value (struct exec *s, const char *name, struct val *out)
{
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp (s->vars[i].name, name) == 0)
      {
        *out = fmt_val_dup (s->vars[i].v);
        return 0;
      }
  return x_errorf (s, "undefined variable: %s", name);
}

static int
x_eval_variable_node (struct exec *s, struct val dot, const struct node *v, struct node *const *args, size_t nargs,
                      const struct val *final, struct val *out)
{
  s->at = v;
  struct val value;
  if (x_var_value (s, v->ident[0], &value) < 0)
    return -1;
  if (v->nident == 1)
    {
      if (args && x_not_a_function (s, args, nargs, final) < 0)
        {
          fmt_val_drop (&value);
          return -1;
        }
      *out = value;
      return 0;
    }
  int r = x_eval_field_chain (s, value, v->ident + 1, v->nident - 1, nargs, final, out);
  fmt_val_drop (&value);
  return r;
}

static int x_eval_arg_untyped (struct exec *s, struct val dot, const struct node *n, struct val *out);

static int
x_eval_chain_node (struct exec *s, struct val dot, const struct node *chain, size_t nargs, const struct val *final,
                   struct val *out)
{
  if (chain->chain->type == N_NIL)
    {
      char *str = fmt_node_to_string (chain);
      int r = x_errorf (s, "indirection through explicit nil in %s", str);
      free (str);
      return r;
    }
  struct val pipe;
  if (x_eval_arg_untyped (s, dot, chain->chain, &pipe) < 0)
    return -1;
  int r = x_eval_field_chain (s, pipe, chain->ident, chain->nident, nargs, final, out);
  fmt_val_drop (&pipe);
  return r;
}

static bool
text_is_hex_int (const char *t)
{
  return strlen (t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && strpbrk (t, "pP") == NULL;
}

static int
x_ideal_constant (struct exec *s, const struct node *n, struct val *out)
{
  s->at = n;
  if (n->is_float && !text_is_hex_int (n->text) && n->text[0] != '\'' && strpbrk (n->text, ".eEpP"))
    {
      *out = fmt_val_take (json_object_new_double (n->f));
      return 0;
    }
  if (n->is_int)
    {
      *out = fmt_val_take (json_object_new_int64 (n->i));
      return 0;
    }
  if (n->is_uint)
    return x_errorf (s, "%s overflows int", n->text);
  *out = VAL_INVALID;
  return 0;
}

/* evalEmptyInterface for literals */
static int
x_eval_literal (struct exec *s, struct val dot, const struct node *n, struct val *out)
{
  s->at = n;
  switch (ENUM_PARTIAL (n->type))
    {
    case N_BOOL:
      *out = fmt_val_take (json_object_new_boolean (n->b));
      return 0;
    case N_DOT:
      *out = fmt_val_dup (dot);
      return 0;
    case N_NUMBER:
      return x_ideal_constant (s, n, out);
    case N_STRING:
      *out = fmt_val_take (json_object_new_string_len (n->str, (int) n->str_len));
      return 0;
    default:
      {
        char *str = fmt_node_to_string (n);
        int r = x_errorf (s, "can't handle assignment of %s to empty interface argument", str);
        free (str);
        return r;
      }
    }
}

/* evalArg with a nil type */
static int
x_eval_arg_untyped (struct exec *s, struct val dot, const struct node *n, struct val *out)
{
  s->at = n;
  switch (ENUM_PARTIAL (n->type))
    {
    case N_DOT:
      *out = fmt_val_dup (dot);
      return 0;
    case N_FIELD:
      return x_eval_field_node (s, dot, n, 1, NULL, out);
    case N_VARIABLE:
      return x_eval_variable_node (s, dot, n, NULL, 0, NULL, out);
    case N_PIPE:
      return x_eval_pipeline (s, dot, n, out);
    case N_IDENT:
      return x_eval_function (s, dot, n, n, NULL, 0, NULL, out);
    case N_CHAIN:
      return x_eval_chain_node (s, dot, n, 0, NULL, out);
    default:
      return x_eval_literal (s, dot, n, out);
    }
}

/* validateType: the value as the parameter type wants it */
static int
x_validate (struct exec *s, struct val v, enum ptype t, struct val *out)
{
  switch (t)
    {
    case P_VALUE:
      *out = fmt_val_dup (v);
      return 0;
    case P_ANY:
      *out = v.invalid ? (struct val){ NULL, false } : fmt_val_dup (v);
      return 0;
    case P_STRING:
    case P_INT:
    case P_STRV:
    default:
      break;
    }
  if (v.invalid)
    return x_errorf (s, "invalid value; expected %s", ptype_name (t));
  enum vkind k = fmt_jkind (v.j);
  bool ok = false;
  if (t == P_STRING)
    ok = k == VK_STRING;
  else if (t == P_INT)
    {
      uint64_t u;
      ok = k == VK_INT && !fmt_jint_unsigned (v.j, &u);
    }
  else if (t == P_STRV && k == VK_ARRAY)
    {
      ok = true;
      for (size_t i = 0; i < json_object_array_length (v.j); i++)
        if (fmt_jkind (json_object_array_get_idx (v.j, i)) != VK_STRING)
          ok = false;
    }
  if (!ok)
    {
      const char *got = fmt_jtype_name (v.j);
      if (t == P_STRV && k == VK_ARRAY)
        got = "[]interface {}";
      return x_errorf (s, "wrong type for value; expected %s; got %s", ptype_name (t), got);
    }
  *out = fmt_val_dup (v);
  return 0;
}

static int
x_eval_arg (struct exec *s, struct val dot, enum ptype t, const struct node *n, struct val *out)
{
  s->at = n;
  struct val v;
  switch (ENUM_PARTIAL (n->type))
    {
    case N_DOT:
      return x_validate (s, dot, t, out);
    case N_NIL:
      if (t == P_ANY)
        {
          *out = (struct val){ NULL, false };
          return 0;
        }
      if (t == P_VALUE || t == P_STRV)
        {
          *out = t == P_VALUE ? VAL_INVALID : fmt_val_take (json_object_new_array ());
          return 0;
        }
      return x_errorf (s, "cannot assign nil to %s", ptype_name (t));
    case N_FIELD:
    case N_VARIABLE:
    case N_PIPE:
    case N_IDENT:
    case N_CHAIN:
      if (x_eval_arg_untyped (s, dot, n, &v) < 0)
        return -1;
      {
        int r = x_validate (s, v, t, out);
        fmt_val_drop (&v);
        return r;
      }
    default:
      break;
    }
  switch (t)
    {
    case P_STRING:
      if (n->type == N_STRING)
        {
          *out = fmt_val_take (json_object_new_string_len (n->str, (int) n->str_len));
          return 0;
        }
      {
        char *str = fmt_node_to_string (n);
        int r = x_errorf (s, "expected string; found %s", str);
        free (str);
        return r;
      }
    case P_INT:
      if (n->type == N_NUMBER && n->is_int)
        {
          *out = fmt_val_take (json_object_new_int64 (n->i));
          return 0;
        }
      {
        char *str = fmt_node_to_string (n);
        int r = x_errorf (s, "expected integer; found %s", str);
        free (str);
        return r;
      }
    case P_STRV:
      {
        char *str = fmt_node_to_string (n);
        int r = x_errorf (s, "can't handle %s for arg of type []string", str);
        free (str);
        return r;
      }
    case P_VALUE:
    case P_ANY:
    default:
      return x_eval_literal (s, dot, n, out);
    }
}

static void
vals_drop (struct val *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    fmt_val_drop (&v[i]);
}

/* What a function call built counts against the execution's budget; a value past FMT_VALUE_MAX (formatting
 * stopped there) fails the call. */
static int
x_count_made (struct exec *s, const char *name, const struct node *node, struct val *out)
{
  uint64_t cost = sizeof (struct val);
  if (fmt_vkind (*out) == VK_STRING)
    cost += (uint64_t) json_object_get_string_len (out->j);
  else if (fmt_vkind (*out) == VK_ARRAY)
    for (size_t i = 0; i < json_object_array_length (out->j); i++)
      {
        json_object *el = json_object_array_get_idx (out->j, i);
        cost += sizeof (struct val) + (fmt_jkind (el) == VK_STRING ? (uint64_t) json_object_get_string_len (el) : 0);
      }
  *s->made += cost;
  const char *why = NULL;
  if (cost > FMT_VALUE_MAX)
    why = "its result is larger than";
  else if (*s->made > EXEC_MADE_MAX)
    why = "the template built values of more than";
  if (why == NULL)
    return 0;
  fmt_val_drop (out);
  s->at = node;
  int mib = cost > FMT_VALUE_MAX ? FMT_VALUE_MAX >> 20 : EXEC_MADE_MAX >> 20;
  return x_errorf (s, "error calling %s: %s %d MiB", name, why, mib);
}

static int
x_eval_call (struct exec *s, struct val dot, const struct builtin *b, const struct node *node, struct node *const *args,
             size_t nargs, const struct val *final, struct val *out)
{
  const char *name = b->name;
  size_t num_in = nargs + (final ? 1 : 0);
  if (b->variadic)
    {
      if (num_in < (size_t) b->nfixed - 1)
        return x_errorf (s, "wrong number of args for %s: want at least %d got %zu", name, b->nfixed - 1, nargs);
    }
  else if (num_in != (size_t) b->nfixed)
    return x_errorf (s, "wrong number of args for %s: want %d got %zu", name, b->nfixed, num_in);

  if (strcmp (name, "and") == 0 || strcmp (name, "or") == 0)
    {
      /* short-circuit: the first falsy (and) or truthy (or) argument, else the last */
      bool is_or = name[0] == 'o';
      struct val v = VAL_INVALID;
      for (size_t i = 0; i < nargs; i++)
        {
          fmt_val_drop (&v);
          if (x_eval_arg (s, dot, P_VALUE, args[i], &v) < 0)
            return -1;
          if (fmt_val_truth (v) == is_or)
            {
              *out = v;
              return 0;
            }
        }
      if (final)
        {
          fmt_val_drop (&v);
          v = fmt_val_dup (*final);
        }
      *out = v;
      return 0;
    }

  size_t nfixed = (size_t) b->nfixed - (b->variadic ? 1 : 0);
  struct val *argv = xmalloc0 ((num_in ? num_in : 1) * sizeof *argv);
  size_t i = 0;
  for (; i < nfixed && i < nargs; i++)
    if (x_eval_arg (s, dot, b->params[i], args[i], &argv[i]) < 0)
      goto fail;
  if (b->variadic)
    for (; i < nargs; i++)
      if (x_eval_arg (s, dot, b->params[b->nfixed - 1], args[i], &argv[i]) < 0)
        goto fail;
  if (final)
    {
      enum ptype t = b->params[b->nfixed - 1];
      if (b->variadic && num_in - 1 < nfixed)
        t = b->params[num_in - 1];
      if (x_validate (s, *final, t, &argv[i]) < 0)
        goto fail;
      i++;
    }
  char *errmsg = NULL;
  if (strcmp (name, "call") == 0)
    {
      /* call needs a function value; JSON data holds none */
      char *callee = nargs > 0 ? fmt_node_to_string (args[0]) : NULL;
      if (argv[0].invalid || argv[0].j == NULL)
        errmsg = xstrdup ("call of nil");
      else
        errmsg = xasprintf ("non-function %s%sof type %s", callee ? callee : "", callee ? " " : "",
                            fmt_jtype_name (argv[0].j));
      free (callee);
    }
  else if (b->fn (s, argv, num_in, out, &errmsg) == 0)
    {
      vals_drop (argv, i);
      free (argv);
      return x_count_made (s, name, node, out);
    }
  vals_drop (argv, i);
  free (argv);
  s->at = node;
  int r = x_errorf (s, "error calling %s: %s", name, errmsg);
  free (errmsg);
  return r;
fail:
  vals_drop (argv, i);
  free (argv);
  return -1;
}

static int
x_eval_function (struct exec *s, struct val dot, const struct node *ident, const struct node *cmd,
                 struct node *const *args, size_t nargs, const struct val *final, struct val *out)
{
  s->at = ident;
  const struct builtin *b = fmt_builtin_find (ident->text, ident->text_len);
  if (b == NULL)
    return x_errorf (s, "\"%s\" is not a defined function", ident->text);
  /* args[0] is the function's name */
  if (args && nargs > 0)
    {
      args++;
      nargs--;
    }
  return x_eval_call (s, dot, b, cmd, args, nargs, final, out);
}

static int
x_eval_command (struct exec *s, struct val dot, const struct node *cmd, const struct val *final, struct val *out)
{
  const struct node *first = cmd->kids[0];
  switch (ENUM_PARTIAL (first->type))
    {
    case N_FIELD:
      return x_eval_field_node (s, dot, first, cmd->nkids, final, out);
    case N_CHAIN:
      return x_eval_chain_node (s, dot, first, cmd->nkids, final, out);
    case N_IDENT:
      return x_eval_function (s, dot, first, cmd, cmd->kids, cmd->nkids, final, out);
    case N_PIPE:
      if (x_not_a_function (s, cmd->kids, cmd->nkids, final) < 0)
        return -1;
      return x_eval_pipeline (s, dot, first, out);
    case N_VARIABLE:
      return x_eval_variable_node (s, dot, first, cmd->kids, cmd->nkids, final, out);
    default:
      break;
    }
  s->at = first;
  if (x_not_a_function (s, cmd->kids, cmd->nkids, final) < 0)
    return -1;
  switch (ENUM_PARTIAL (first->type))
    {
    case N_BOOL:
    case N_NUMBER:
    case N_STRING:
    case N_DOT:
      return x_eval_literal (s, dot, first, out);
    case N_NIL:
      return x_errorf (s, "nil is not a command");
    default:
      {
        char *str = fmt_node_to_string (first);
        int r = x_errorf (s, "can't evaluate command %s", str);
        free (str);
        return r;
      }
    }
}

static int
x_eval_pipeline (struct exec *s, struct val dot, const struct node *pipe, struct val *out)
{
  if (pipe == NULL)
    {
      *out = VAL_INVALID;
      return 0;
    }
  s->at = pipe;
  struct val value = VAL_INVALID;
  bool have = false;
  for (size_t i = 0; i < pipe->nkids; i++)
    {
      struct val r;
      if (x_eval_command (s, dot, pipe->kids[i], have ? &value : NULL, &r) < 0)
        {
          fmt_val_drop (&value);
          return -1;
        }
      fmt_val_drop (&value);
      value = r;
      have = true;
      /* Go: a nil interface{} result becomes the invalid value ("lovely!") */
      if (!value.invalid && value.j == NULL)
        value = VAL_INVALID;
    }
  for (size_t i = 0; i < pipe->ndecl; i++)
    {
      if (pipe->is_assign)
        {
          if (x_set_var (s, pipe->decl[i]->ident[0], fmt_val_dup (value)) < 0)
            {
              fmt_val_drop (&value);
              return -1;
            }
        }
      else
        x_push (s, pipe->decl[i]->ident[0], fmt_val_dup (value));
    }
  *out = value;
  return 0;
}

enum
{
  WALK_OK = 0,
  WALK_BREAK = 1,
  WALK_CONTINUE = 2,
};

static int x_walk (struct exec *s, struct val dot, const struct node *n);

/* One more level of recursion (a nested body or a template call), and one more step. */
static int
x_enter (struct exec *s)
{
  if (s->depth >= EXEC_DEPTH_LIMIT)
    return x_errorf (s, "exceeded maximum template depth (%d)", EXEC_DEPTH_LIMIT);
  s->depth++;
  return 0;
}

static int
x_step (struct exec *s)
{
  if (++*s->steps > EXEC_STEPS_MAX)
    return x_errorf (s, "the template ran for more than %d steps: does it call itself without end?", EXEC_STEPS_MAX);
  return 0;
}

static int
x_walk_if_or_with (struct exec *s, struct val dot, const struct node *n)
{
  size_t mark = s->nvars;
  struct val v;
  if (x_eval_pipeline (s, dot, n->pipe, &v) < 0)
    {
      x_pop (s, mark);
      return -1;
    }
  int rc = WALK_OK;
  if (fmt_val_truth (v))
    rc = x_walk (s, n->type == N_WITH ? v : dot, n->list);
  else if (n->else_list)
    rc = x_walk (s, dot, n->else_list);
  fmt_val_drop (&v);
  x_pop (s, mark);
  return rc;
}

static int
x_range_iteration (struct exec *s, const struct node *r, size_t mark, struct val index, struct val elem)
{
  const struct node *pipe = r->pipe;
  int rc = 0;
  if (pipe->ndecl > 0)
    {
      if (pipe->is_assign)
        rc = x_set_var (s, pipe->decl[0]->ident[0], fmt_val_dup (pipe->ndecl > 1 ? index : elem));
      else
        x_set_top_var (s, 1, fmt_val_dup (elem));
    }
  if (rc == 0 && pipe->ndecl > 1)
    {
      if (pipe->is_assign)
        rc = x_set_var (s, pipe->decl[1]->ident[0], fmt_val_dup (elem));
      else
        x_set_top_var (s, 2, fmt_val_dup (index));
    }
  s->at = r;
  if (rc == 0)
    rc = x_step (s);
  if (rc == 0)
    rc = x_walk (s, elem, r->list);
  x_pop (s, mark);
  return rc;
}

static int
x_walk_range (struct exec *s, struct val dot, const struct node *r)
{
  s->at = r;
  size_t mark0 = s->nvars;
  struct val v;
  if (x_eval_pipeline (s, dot, r->pipe, &v) < 0)
    {
      x_pop (s, mark0);
      return -1;
    }
  size_t mark = s->nvars;
  bool ran = false;
  int rc = 0;
  switch (fmt_vkind (v))
    {
    case VK_ARRAY:
      {
        size_t n = json_object_array_length (v.j);
        for (size_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val idx = fmt_val_take (json_object_new_int64 ((int64_t) i));
            struct val elem = fmt_val_ref (json_object_array_get_idx (v.j, i));
            rc = x_range_iteration (s, r, mark, idx, elem);
            fmt_val_drop (&idx);
            fmt_val_drop (&elem);
            if (rc == WALK_BREAK)
              break;
          }
        break;
      }
    case VK_MAP:
      {
        size_t n;
        struct kv *e = fmt_sorted_entries (v.j, &n);
        for (size_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val key = fmt_val_take (json_object_new_string_len (e[i].k, (int) e[i].klen));
            struct val elem = fmt_val_ref (e[i].v);
            rc = x_range_iteration (s, r, mark, key, elem);
            fmt_val_drop (&key);
            fmt_val_drop (&elem);
            if (rc == WALK_BREAK)
              break;
          }
        free (e);
        break;
      }
    case VK_INT:
      {
        /* Go 1.22: range over an integer */
        if (r->pipe->ndecl > 1)
          {
            struct sbuf t = { 0 };
            fmt_print_value (&t, v);
            rc = x_errorf (s, "can't use %s to iterate over more than one variable", t.s);
            fmt_sb_release (&t);
            break;
          }
        int64_t n = json_object_get_int64 (v.j);
        for (int64_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val idx = fmt_val_take (json_object_new_int64 (i));
            rc = x_range_iteration (s, r, mark, idx, idx);
            fmt_val_drop (&idx);
            if (rc == WALK_BREAK)
              break;
          }
        break;
      }
    case VK_INVALID:
    case VK_NIL:
      break;
    case VK_BOOL:
    case VK_FLOAT:
    case VK_STRING:
    default:
      {
        struct sbuf t = { 0 };
        fmt_print_value (&t, v);
        rc = x_errorf (s, "range can't iterate over %s", t.s);
        fmt_sb_release (&t);
      }
    }
  if (rc >= 0)
    {
      rc = 0;
      if (!ran && r->else_list)
        rc = x_walk (s, dot, r->else_list);
    }
  fmt_val_drop (&v);
  x_pop (s, mark0);
  return rc;
}

static const struct node *
find_def (const struct skiff_template *t, const char *name, size_t len)
{
  for (size_t i = 0; i < t->ndefs; i++)
    if (strlen (t->defs[i].name) == len && memcmp (t->defs[i].name, name, len) == 0)
      return t->defs[i].root;
  if (t->name && strlen (t->name) == len && memcmp (t->name, name, len) == 0)
    return t->root;
  return NULL;
}

static int
x_walk_template (struct exec *s, struct val dot, const struct node *n)
{
  s->at = n;
  const struct node *root = find_def (s->t, n->text, n->text_len);
  if (root == NULL)
    {
      struct sbuf q = { 0 };
      fmt_go_quote (&q, n->text, n->text_len, '"');
      int r = x_errorf (s, "template %s not defined", q.s);
      fmt_sb_release (&q);
      return r;
    }
  struct val newdot;
  if (x_eval_pipeline (s, dot, n->pipe, &newdot) < 0)
    return -1;
  struct exec ns = *s; /* x_walk counted this call in depth */
  ns.tmpl_name = n->text;
  ns.vars = NULL;
  ns.nvars = ns.capvars = 0;
  /* no dynamic scoping: the called template sees only $ */
  x_push (&ns, "$", fmt_val_dup (newdot));
  int rc = x_walk (&ns, newdot, root);
  x_pop (&ns, 0);
  free (ns.vars);
  fmt_val_drop (&newdot);
  return rc < 0 ? -1 : 0;
}

static int x_walk_node (struct exec *s, struct val dot, const struct node *n);

static int
x_walk (struct exec *s, struct val dot, const struct node *n)
{
  s->at = n;
  if (x_step (s) < 0)
    return -1;
  bool nests = n->type == N_IF || n->type == N_WITH || n->type == N_RANGE || n->type == N_TEMPLATE;
  if (nests && x_enter (s) < 0)
    return -1;
  int rc = x_walk_node (s, dot, n);
  if (nests)
    s->depth--;
  return rc;
}

static int
x_walk_node (struct exec *s, struct val dot, const struct node *n)
{
  switch (n->type)
    {
    case N_ACTION:
      {
        struct val v;
        if (x_eval_pipeline (s, dot, n->pipe, &v) < 0)
          return -1;
        if (n->pipe->ndecl == 0)
          fmt_print_value (s->out, v);
        fmt_val_drop (&v);
        if (s->out->len > EXEC_OUTPUT_MAX)
          return x_errorf (s, "the template's output is larger than %d MiB", EXEC_OUTPUT_MAX >> 20);
        return WALK_OK;
      }
    case N_BREAK:
      return WALK_BREAK;
    case N_CONTINUE:
      return WALK_CONTINUE;
    case N_COMMENT:
      return WALK_OK;
    case N_IF:
    case N_WITH:
      return x_walk_if_or_with (s, dot, n);
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        {
          int rc = x_walk (s, dot, n->kids[i]);
          if (rc != WALK_OK)
            return rc;
        }
      return WALK_OK;
    case N_RANGE:
      return x_walk_range (s, dot, n);
    case N_TEMPLATE:
      return x_walk_template (s, dot, n);
    case N_TEXT:
      fmt_sb_addn (s->out, n->text, n->text_len);
      if (s->out->len > EXEC_OUTPUT_MAX)
        return x_errorf (s, "the template's output is larger than %d MiB", EXEC_OUTPUT_MAX >> 20);
      return WALK_OK;
    /* the parser puts these inside actions and pipelines, or consumes them: never a statement */
    case N_BOOL:
    case N_CHAIN:
    case N_COMMAND:
    case N_DOT:
    case N_FIELD:
    case N_IDENT:
    case N_NIL:
    case N_NUMBER:
    case N_PIPE:
    case N_STRING:
    case N_VARIABLE:
    case N_ELSE:
    case N_END:
    default:
      {
        char *str = fmt_node_to_string (n);
        int r = x_errorf (s, "unknown node: %s", str);
        free (str);
        return r;
      }
    }
}

/* Run root with data as dot and $; output appended to out. */
int
fmt_x_run (const struct skiff_template *t, const struct node *root, struct val data, struct sbuf *out,
           skiff_error_t *err)
{
  uint64_t steps = 0, made = 0;
  struct exec s = { .t = t, .tmpl_name = t->name, .out = out, .err = err, .steps = &steps, .made = &made };
  x_push (&s, "$", fmt_val_dup (data));
  int rc = x_walk (&s, data, root);
  x_pop (&s, 0);
  free (s.vars);
  return rc < 0 ? -1 : 0;
}
