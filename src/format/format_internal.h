/* Private to the --format engine (src/format/): the types and functions its files share.
 * Nothing here is part of the public API in format/format.h. */
#ifndef SKIFF_CLI_FORMAT_INTERNAL_H
#define SKIFF_CLI_FORMAT_INTERNAL_H

/* The one --format engine: Go's text/template (lexer, parser and executor ported from Go's
 * text/template and text/template/parse) over json-c values, podman's report package (table mode,
 * headers, NormalizeFormat, EnforceRange), Go's text/tabwriter and the YAML that `podman info` prints
 * (sigs.k8s.io/yaml over goyaml.v2). Messages, positions and printing rules follow Go's so that
 * skiff's output matches podman's byte for byte.
 *
 *   format.c            public API: templates, table headers, podman's report.Formatter
 *   format_util.c       growable strings, UTF-8, values (struct val over json-c)
 *   format_fmt.c        Go's fmt over JSON values, strconv.FormatFloat, encoding/json
 *   format_lex.c        lexer (text/template/parse/lex.go)
 *   format_parse.c      parse tree, strconv.Unquote and number parsing, parser (parse/node.go, parse.go)
 *   format_exec.c       executor (text/template/exec.go)
 *   format_funcs.c      template functions (Go's builtins and podman's report.DefaultFuncs)
 *   format_tabwriter.c  Go's text/tabwriter with podman's settings
 *   format_yaml.c       YAML as `podman info` prints it
 *
 * Functions used by more than one file carry the fmt_ prefix; everything else stays static. */

#include <inttypes.h>
#include <setjmp.h>

#include "format/format.h"

/* ------------------------------------------------------------------------------------------------ */
/* growable strings, UTF-8 and values (format_util.c)                                               */

struct sbuf
{
  char *s;
  size_t len, cap;
};

void fmt_sb_addn (struct sbuf *b, const char *s, size_t n);
void fmt_sb_adds (struct sbuf *b, const char *s);
void fmt_sb_addc (struct sbuf *b, char c);
void fmt_sb_repeat (struct sbuf *b, char c, size_t n);
void fmt_sb_printf (struct sbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
char *fmt_sb_steal (struct sbuf *b);
void fmt_sb_release (struct sbuf *b);

#define RUNE_ERROR 0xFFFD

uint32_t fmt_utf8_decode (const unsigned char *s, size_t n, size_t *w);
void fmt_utf8_encode (struct sbuf *b, uint32_t r);
size_t fmt_utf8_count (const char *s, size_t n);
bool fmt_rune_is_print (uint32_t r);
bool fmt_rune_is_letter (uint32_t r);
bool fmt_rune_is_digit (uint32_t r);
uint32_t fmt_rune_map_case (uint32_t r, bool upper);
char *fmt_str_map_case (const char *s, size_t n, bool upper, size_t *outlen);
bool fmt_rune_is_unicode_space (uint32_t r);

/* A value as Go's reflect.Value sees it, for data decoded into interface{}: invalid (Go's zero Value:
 * a missing map key, Execute(nil), the result of a pipeline that yields nil), a nil interface (JSON
 * null met inside the data), or a JSON value. j is an owned reference. */
struct val
{
  json_object *j;
  bool invalid;
};

#define VAL_INVALID ((struct val){ NULL, true })

enum vkind
{
  VK_INVALID,
  VK_NIL,
  VK_BOOL,
  VK_INT,
  VK_FLOAT,
  VK_STRING,
  VK_ARRAY,
  VK_MAP,
};

struct kv
{
  const char *k;
  size_t klen;
  json_object *v;
};

struct val fmt_val_ref (json_object *j);
struct val fmt_val_take (json_object *j);
struct val fmt_val_dup (struct val v);
void fmt_val_drop (struct val *v);
enum vkind fmt_jkind (json_object *j);
enum vkind fmt_vkind (struct val v);
bool fmt_jint_unsigned (json_object *j, uint64_t *u);
const char *fmt_jstr (json_object *j, size_t *n);
const char *fmt_jtype_name (json_object *j);
bool fmt_val_truth (struct val v);
struct kv *fmt_sorted_entries (json_object *obj, size_t *n);

/* ------------------------------------------------------------------------------------------------ */
/* Go's fmt over JSON values, floats, encoding/json (format_fmt.c)                                  */

/* The largest string the engine builds for one value (printf, print, pad, join...): Go has no bound and runs
 * out of memory; formatting stops past it and the call fails with a message. Real values are kilobytes. */
#define FMT_VALUE_MAX (16 * 1024 * 1024)

struct fmtflags
{
  bool plus, minus, sharp, space, zero;
  bool sharp_v; /* %#v: Go syntax */
  bool wid_present, prec_present;
  int wid, prec;
};

/* An argument of print/printf/println: Go gets interface{}, so invalid and nil are both nil. */
struct farg
{
  json_object *j;
  bool is_nil;
};

void fmt_go_format_float (struct sbuf *b, double v, char fmt, int prec);
void fmt_go_quote (struct sbuf *b, const char *s, size_t n, char quote);
void fmt_arg (struct sbuf *b, struct fmtflags *f, json_object *j, bool is_nil, uint32_t verb, int depth);
void fmt_print_value (struct sbuf *b, struct val v);
void fmt_go_sprint (struct sbuf *b, const struct farg *a, size_t n);
void fmt_go_sprintln (struct sbuf *b, const struct farg *a, size_t n);
void fmt_go_sprintf (struct sbuf *b, const char *format, size_t end, const struct farg *a, size_t nargs);
/* Go's encoding/json, compact, without HTML escaping (the template's json function); json.c */
void fmt_json_encode (struct sbuf *b, json_object *j);
/* A float as encoding/json writes it */
void fmt_json_float (struct sbuf *b, double v);

/* ------------------------------------------------------------------------------------------------ */
/* lexer (format_lex.c)                                                                             */

enum itype
{
  IT_ERROR,
  IT_BOOL,
  IT_CHAR,
  IT_CHARCONST,
  IT_COMMENT,
  IT_COMPLEX,
  IT_ASSIGN,
  IT_DECLARE,
  IT_EOF,
  IT_FIELD,
  IT_IDENT,
  IT_LEFTDELIM,
  IT_LEFTPAREN,
  IT_NUMBER,
  IT_PIPE,
  IT_RAWSTRING,
  IT_RIGHTDELIM,
  IT_RIGHTPAREN,
  IT_SPACE,
  IT_STRING,
  IT_TEXT,
  IT_VARIABLE,
  IT_KEYWORD, /* keywords follow */
  IT_BLOCK,
  IT_BREAK,
  IT_CONTINUE,
  IT_DOT,
  IT_DEFINE,
  IT_ELSE,
  IT_END,
  IT_IF,
  IT_NIL,
  IT_RANGE,
  IT_TEMPLATE,
  IT_WITH,
};

struct item
{
  enum itype typ;
  size_t pos;
  const char *val;
  size_t len;
  int line;
};

struct lexer
{
  const char *in;
  size_t len;
  size_t pos, start;
  size_t width;    /* of the last rune read: lex_backup steps back exactly that (an invalid byte is 1) */
  size_t line_pos; /* line_at's cache: the line number at line_pos, so items do not rescan the text */
  int line;
  bool inside;
  int paren;
  bool failed;
  struct item item;
  char **errs; /* messages of error items, freed with the parser */
};

struct item fmt_lex_next_item (struct lexer *l);

/* ------------------------------------------------------------------------------------------------ */
/* parse tree and parser (format_parse.c)                                                           */

enum ntype
{
  N_TEXT,
  N_ACTION,
  N_BOOL,
  N_CHAIN,
  N_COMMAND,
  N_DOT,
  N_FIELD,
  N_IDENT,
  N_IF,
  N_LIST,
  N_NIL,
  N_NUMBER,
  N_PIPE,
  N_RANGE,
  N_STRING,
  N_TEMPLATE,
  N_VARIABLE,
  N_WITH,
  N_BREAK,
  N_CONTINUE,
  N_ELSE,
  N_END,
  N_COMMENT,
};

struct node
{
  enum ntype type;
  size_t pos;
  int line;
  char *text; /* TEXT content, STRING quoted form, NUMBER text, IDENT name, TEMPLATE name */
  size_t text_len;
  char *str; /* STRING value */
  size_t str_len;
  char **ident; /* FIELD names, VARIABLE "$x" then fields, CHAIN fields */
  size_t nident;
  struct node **kids; /* LIST nodes, PIPE commands, COMMAND arguments */
  size_t nkids;
  struct node **decl; /* PIPE declared variables */
  size_t ndecl;
  bool is_assign;
  struct node *pipe, *list, *else_list; /* IF RANGE WITH; ACTION and TEMPLATE use pipe */
  struct node *chain;                   /* CHAIN: the term whose fields are taken */
  bool b;
  bool is_int, is_uint, is_float;
  int64_t i;
  uint64_t u;
  double f;
};

struct tdef
{
  char *name;
  struct node *root;
};

struct skiff_template
{
  char *name; /* Go's template name, in messages; NULL for none */
  char *text; /* what was parsed (after podman's normalisation) */
  struct node *root;
  struct node *body; /* table mode: the list that makes one row (the header is derived from it) */
  bool is_table;
  struct tdef *defs;
  size_t ndefs;
  struct node **nodes; /* every node, for freeing */
  size_t nnodes, capnodes;
};

/* Nesting the parser accepts (and so the executor recurses through): Go's parser allows 10000 parentheses on
 * its growable stacks; real templates nest a handful of levels, and on a C stack 500 levels of anything cost
 * about 350 kB (-O2; tests/unit/format runs the deepest in a 2 MiB stack). */
#define FMT_PARSE_DEPTH_MAX 500

struct parser
{
  struct lexer lex;
  struct item token[3];
  int peek_count;
  char **vars;
  size_t nvars;
  int range_depth;
  int depth; /* nested parentheses, {{if}}/{{with}}/{{range}} and {{block}}s: bounded (FMT_PARSE_DEPTH_MAX) */
  int action_line;
  struct skiff_template *t;
  jmp_buf jb;
  char *err;
  /* variable scopes of the trees being parsed around a {{define}} or {{block}} body, kept here so
   * that an error (longjmp) frees them */
  char ***saved_vars;
  size_t nsaved;
};

void fmt_node_free (struct node *n);
void fmt_node_write (struct sbuf *b, const struct node *n);
bool fmt_go_parse_integer (const char *text, bool is_signed, int64_t *iv, uint64_t *uv);
bool fmt_go_parse_float (const char *text, double *out);
void fmt_p_push_var (struct parser *p, const char *name, size_t len);
char *fmt_node_to_string (const struct node *n);
void fmt_p_parse (struct parser *p);

/* ------------------------------------------------------------------------------------------------ */
/* executor (format_exec.c) and functions (format_funcs.c)                                          */

struct exec;

/* Go parameter types of the functions skiff provides */
enum ptype
{
  P_VALUE, /* reflect.Value: anything, including invalid */
  P_ANY,   /* interface{}: invalid becomes nil */
  P_STRING,
  P_INT,
  P_STRV, /* []string */
};

struct builtin
{
  const char *name;
  int nfixed; /* parameters, counting the variadic one */
  bool variadic;
  enum ptype params[3];
  /* argv holds argc validated arguments; *errmsg (allocated) on failure */
  int (*fn) (struct exec *s, struct val *argv, size_t argc, struct val *out, char **errmsg);
};

json_object *fmt_obj_lookup (json_object *obj, const char *name, bool *found);
int fmt_x_run (const struct skiff_template *t, const struct node *root, struct val data, struct sbuf *out,
               skiff_error_t *err);

const struct builtin *fmt_builtin_find (const char *name, size_t len);
bool fmt_builtin_exists (const char *name, size_t len);

#endif
