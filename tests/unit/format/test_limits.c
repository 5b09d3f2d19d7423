/* format: the template engine against hostile or absurd templates. Each fails fast with a message instead of
 * looping, crashing on stack exhaustion or taking all the memory (issue #9). */
#include <criterion/criterion.h>
#include <pthread.h>

#include "format/format.h"
#include "format/format_internal.h"

/* Parse and run src over {}; returns the error message (NULL when it ran). */
static char *
try_template (const char *src, char **out)
{
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  *out = NULL;
  if (skiff_template_parse_named ("t", src, &t, &err) < 0)
    {
      char *m = xstrdup (err->msg);
      skiff_error_release (&err);
      return m;
    }
  json_object *d = json_object_new_object ();
  char *buf = NULL;
  size_t len = 0;
  int r = skiff_template_execute (t, d, &buf, &len, &err);
  json_object_put (d);
  skiff_template_free (t);
  if (r < 0)
    {
      char *m = xstrdup (err->msg);
      skiff_error_release (&err);
      free (buf);
      return m;
    }
  *out = buf;
  return NULL;
}

static char *
repeat (const char *s, size_t n)
{
  size_t l = strlen (s);
  char *r = xmalloc (l * n + 1);
  for (size_t i = 0; i < n; i++)
    memcpy (r + i * l, s, l);
  r[l * n] = '\0';
  return r;
}

static void
expect_error (const char *src, const char *want)
{
  char *out = NULL;
  char *msg = try_template (src, &out);
  cr_assert_not_null (msg, "the template ran: `%.80s...`", src);
  cr_assert (strstr (msg, want) != NULL, "`%s` lacks `%s`", msg, want);
  free (msg);
}

/* The lexer stepped back over bytes it had not read after an invalid UTF-8 byte, and never returned. */
Test (limits, invalid_utf8_in_a_field, .timeout = 10)
{
  expect_error ("{{.\x80}}", "bad character U+FFFD");
  expect_error ("{{.a\xff\xfe}}", "bad character U+FFFD");
  expect_error ("{{\x80}}", "unrecognized character in action: U+FFFD");
  expect_error ("{{$x\xc3}}", "bad character U+FFFD");
  expect_error ("{{1\x80}}", "unrecognized character in action: U+FFFD"); /* Go: "1", then the byte */
}

/* Nested parentheses recursed without bound: 40,000 crashed with SIGSEGV. Go's message, at a lower bound. */
Test (limits, nested_parentheses, .timeout = 10)
{
  char *open = repeat ("(", 40000), *close = repeat (")", 40000);
  char *src = xasprintf ("{{%s1%s}}", open, close);
  expect_error (src, "template: t:1: max expression depth exceeded");
  free (src);
  open[FMT_PARSE_DEPTH_MAX] = close[FMT_PARSE_DEPTH_MAX] = '\0';
  src = xasprintf ("{{%s1%s}}", open, close);
  char *out = NULL;
  char *msg = try_template (src, &out);
  cr_assert_null (msg, "%d parentheses: %s", FMT_PARSE_DEPTH_MAX, msg);
  cr_assert_str_eq (out, "1");
  free (out);
  free (src);
  free (open);
  free (close);
}

Test (limits, nested_control_structures, .timeout = 10)
{
  static const char *const kinds[][2] = { { "{{if 1}}", "{{end}}" },
                                          { "{{with 1}}", "{{end}}" },
                                          { "{{range 1}}", "{{end}}" },
                                          { "{{block \"b\" 1}}", "{{end}}" },
                                          { "{{if 0}}{{else if 1}}", "" } };
  for (size_t k = 0; k < ARRAY_SIZE (kinds); k++)
    {
      char *a = repeat (kinds[k][0], 100000), *b = repeat (kinds[k][1], 100000);
      char *src = xasprintf ("%sx%s%s", a, b, kinds[k][1][0] ? "" : "{{end}}");
      expect_error (src, "max nesting depth exceeded");
      free (src);
      free (a);
      free (b);
    }
}

/* A template that calls itself: Go's message, with skiff's bound. */
Test (limits, recursive_templates, .timeout = 10)
{
  expect_error ("{{define \"a\"}}{{template \"a\" .}}{{end}}{{template \"a\" .}}",
                "exceeded maximum template depth (1000)");
  /* twice per call: 2^1000 calls, unless depth stops it first */
  expect_error ("{{define \"a\"}}{{template \"a\" .}}{{template \"a\" .}}{{end}}{{template \"a\" .}}",
                "exceeded maximum template depth");
  /* recursion under nesting: the two count together */
  char *ifs = repeat ("{{if 1}}", 400), *ends = repeat ("{{end}}", 400);
  char *src = xasprintf ("{{define \"a\"}}%s{{template \"a\" .}}%s{{end}}{{template \"a\" .}}", ifs, ends);
  expect_error (src, "exceeded maximum template depth (1000)");
  free (src);
  free (ifs);
  free (ends);
}

/* Work and memory: ranges that would run for hours, strings doubled until memory runs out. */
Test (limits, runaway_execution)
{
  expect_error ("{{range 1000000000000}}{{end}}", "ran for more than 10000000 steps");
  expect_error ("{{range 100000}}{{range 100000}}{{end}}{{end}}", "ran for more than 10000000 steps");
  expect_error ("{{pad \"x\" 1000000000000 1}}", "error calling pad: the result would be larger than 16 MiB");
  expect_error ("{{$a := printf \"%999999d\" 1}}{{range 100}}{{$a = printf \"%s%s%s%s%s%s%s%s\" $a $a $a $a $a $a $a "
                "$a}}{{end}}",
                "error calling printf: its result is larger than 16 MiB");
  expect_error ("{{$a := printf \"%999999d\" 1}}{{range 100}}{{$a = print $a $a $a $a $a $a $a $a $a}}{{end}}",
                "error calling print: its result is larger than 16 MiB");
  expect_error ("{{range 1000}}{{$x := printf \"%999999d\" 1}}{{end}}",
                "the template built values of more than 64 MiB");
  expect_error ("{{$a := printf \"%999999d\" 1}}{{range 1000}}{{$a}}{{end}}", "output is larger than 64 MiB");
}

struct deep_args
{
  const char *src;
  char *msg, *out;
};

static void *
deep_thread (void *p)
{
  struct deep_args *a = p;
  a->msg = try_template (a->src, &a->out);
  return NULL;
}

/* The deepest templates the limits allow run in a 2 MiB stack (a thread's, smaller than the 8 MiB main
 * stack of the CLI); a stack overflow here crashes the test. */
Test (limits, deepest_templates_fit_a_small_stack)
{
  size_t n = FMT_PARSE_DEPTH_MAX;
  char *ifs = repeat ("{{if 1}}", n - 1), *ends = repeat ("{{end}}", n - 1);
  char *open = repeat ("(", n), *close = repeat (")", n);
  char *srcs[] = {
    xasprintf ("%s{{1}}%s", ifs, ends),
    xasprintf ("{{%s1%s}}", open, close),
    xasprintf ("{{define \"a\"}}{{if .}}{{template \"a\" 1}}{{end}}{{end}}{{template \"a\" 1}}"),
    NULL,
  };
  for (size_t i = 0; srcs[i]; i++)
    {
      pthread_attr_t attr;
      pthread_attr_init (&attr);
      pthread_attr_setstacksize (&attr, (size_t) 2 << 20);
      pthread_t th;
      struct deep_args a = { .src = srcs[i] };
      cr_assert_eq (pthread_create (&th, &attr, deep_thread, &a), 0);
      pthread_join (th, NULL);
      pthread_attr_destroy (&attr);
      if (i < 2)
        {
          cr_assert_null (a.msg, "%s", a.msg);
          cr_assert_str_eq (a.out, "1");
        }
      else
        cr_assert (a.msg && strstr (a.msg, "exceeded maximum template depth"), "%s", a.msg ? a.msg : "ran");
      free (a.msg);
      free (a.out);
      free (srcs[i]);
    }
  free (ifs);
  free (ends);
  free (open);
  free (close);
}

/* Line numbers come from a cache that follows the lexer: errors far into a long template still name theirs,
 * and a template of many lines lexes in linear time. */
Test (limits, line_numbers_of_long_templates, .timeout = 10)
{
  char *lines = repeat ("{{.}}\n", 100000);
  char *src = xasprintf ("%s{{nosuchfunc}}", lines);
  expect_error (src, "template: t:100001: function \"nosuchfunc\" not defined");
  free (src);
  free (lines);
}

/* Go's tabwriter recurses once per column: a table cell holding a million tabs (a label of a hostile image)
 * overflowed the stack. The walk is iterative now; the output is unchanged. */
Test (limits, a_million_columns)
{
  size_t n = 1000000;
  char *row = repeat ("a\t", n);
  char *text = xasprintf ("%s\nb\tc\n", row);
  char *out = skiff_tabwrite (text);
  /* every "a" cell padded to the minimum width of 12, then the second line's "b" padded as well */
  cr_assert_eq (strlen (out), n * 12 + 1 + 12 + 2);
  cr_assert (strncmp (out, "a           a           ", 24) == 0, "%.30s", out);
  cr_assert_str_eq (out + n * 12 + 1, "b           c\n");
  free (out);
  free (text);
  free (row);
}
