/* format: Go text/template over JSON, podman's table mode and tabwriter, podman info's YAML.
 * Expected strings are what Go (text/template, fmt, encoding/json, text/tabwriter, goyaml.v2) and
 * podman's report package print for the same input; several come from podman's own tests. */
#include <criterion/criterion.h>

#include "format/format.h"

static json_object *
J (const char *s)
{
  json_object *j = json_tokener_parse (s);
  cr_assert_not_null (j, "bad test JSON: %s", s);
  return j;
}

/* Parse (named "t") and run src over data; returns the output, or NULL with *msg set. */
static char *
run_named (const char *name, const char *src, const char *data, char **msg)
{
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  *msg = NULL;
  if (skiff_template_parse_named (name, src, &t, &err) < 0)
    {
      *msg = xstrdup (err->msg);
      skiff_error_release (&err);
      return NULL;
    }
  json_object *d = data ? J (data) : NULL;
  char *out = NULL;
  size_t len = 0;
  int r = skiff_template_execute (t, d, &out, &len, &err);
  json_object_put (d);
  skiff_template_free (t);
  if (r < 0)
    {
      *msg = xstrdup (err->msg);
      skiff_error_release (&err);
      free (out);
      return NULL;
    }
  cr_assert_eq (strlen (out), len);
  return out;
}

static void
expect (const char *src, const char *data, const char *want)
{
  char *msg;
  char *out = run_named ("t", src, data, &msg);
  cr_assert_not_null (out, "%s: unexpected error: %s", src, msg);
  cr_expect_str_eq (out, want, "template %s:\n got: %s\nwant: %s", src, out, want);
  free (out);
}

static void
expect_error (const char *src, const char *data, const char *want)
{
  char *msg;
  char *out = run_named ("t", src, data, &msg);
  cr_assert_null (out, "%s: expected an error, got output \"%s\"", src, out);
  cr_expect_str_eq (msg, want, "template %s:\n got: %s\nwant: %s", src, msg, want);
  free (msg);
}

/* ---- fields ---- */

Test (format, fields)
{
  const char *d = "{\"Name\":\"web\",\"State\":{\"Status\":\"running\",\"Pid\":42}}";
  expect ("{{.Name}}", d, "web");
  expect ("{{.State.Status}}/{{.State.Pid}}", d, "running/42");
  expect ("{{ .Name }} is {{.State.Status}}", d, "web is running");
  expect ("plain text", d, "plain text");
}

Test (format, dot_prints_go_values)
{
  expect ("{{.}}", "{\"b\":[1,\"x\",true],\"a\":{\"k\":null}}", "map[a:map[k:<nil>] b:[1 x true]]");
  expect ("{{.}}", "[\"a\",\"b\"]", "[a b]");
  expect ("{{.}}", "\"str\"", "str");
  expect ("{{.E}}{{.M}}", "{\"E\":[],\"M\":{}}", "[]map[]");
}

Test (format, case_insensitive_lookup)
{
  /* podman's info JSON has lower-case keys; users write {{.Host.Arch}} */
  const char *d = "{\"host\":{\"arch\":\"amd64\",\"Arch\":\"exact\"},\"store\":{\"graphRoot\":\"/g\"}}";
  expect ("{{.Host.Arch}}", d, "exact");
  expect ("{{.Host.arch}}", d, "amd64");
  expect ("{{.Store.GraphRoot}}", d, "/g");
}

Test (format, missing_and_null)
{
  /* a missing map key prints <no value>, as Go templates on maps do */
  expect ("{{.Missing}}", "{}", "<no value>");
  expect ("{{.Missing.Deeper}}", "{}", "<no value>");
  expect ("{{.N}}", "{\"N\":null}", "<no value>");
  expect ("[{{.}}]", NULL, "[<no value>]");
  /* but a field of a null value is an error */
  expect_error ("{{.N.Sub}}", "{\"N\":null}",
                "template: t:1:4: executing \"t\" at <.N.Sub>: nil pointer evaluating interface {}.Sub");
}

Test (format, numbers_print_like_go)
{
  expect ("{{.I}} {{.Neg}} {{.F}} {{.G}} {{.H}} {{.K}} {{.L}} {{.Big}}",
          "{\"I\":42,\"Neg\":-7,\"F\":1.5,\"G\":1000000.0,\"H\":123456.0,\"K\":0.0001,\"L\":0.00001,"
          "\"Big\":18446744073709551615}",
          "42 -7 1.5 1e+06 123456 0.0001 1e-05 18446744073709551615");
  expect ("{{.T}} {{.F}}", "{\"T\":true,\"F\":false}", "true false");
}

/* ---- literals, trimming, comments ---- */

Test (format, literals)
{
  expect ("{{\"a\\tb\\n\"}}", "{}", "a\tb\n");
  expect ("{{\"\\x41\\u00e9\\101\\\\\\\"\"}}", "{}",
          "A\xc3\xa9"
          "A\\\"");
  expect ("{{`raw\\d{{x}}`}}", "{}", "raw\\d{{x}}");
  /* podman turns a typed \n into a newline before parsing, raw strings included */
  expect ("{{`a\\nb`}}", "{}", "a\nb");
  expect ("{{1}} {{-3}} {{1.5}} {{1e3}} {{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{'a'}}", "{}",
          "1 -3 1.5 1000 31 15 5 1000 97");
  expect ("{{true}} {{false}}", "{}", "true false");
}

Test (format, trim_markers_and_comments)
{
  expect ("a  {{- \"b\" -}}  c", "{}", "abc");
  expect ("a {{-3}}", "{}", "a -3");
  expect ("x {{/* a comment */}} y", "{}", "x  y");
  expect ("x {{- /* trimmed */ -}} y", "{}", "xy");
  expect ("{{/* multi\nline */}}z", "{}", "z");
}

/* ---- index, json ---- */

Test (format, index)
{
  const char *d = "{\"Labels\":{\"app\":\"web\",\"a.b\":\"dotted\"},\"Arr\":[\"x\",\"y\"],\"N\":[[1],[2,3]]}";
  expect ("{{index .Labels \"app\"}} {{index .Labels \"a.b\"}}", d, "web dotted");
  expect ("{{index .Labels \"none\"}}", d, "<no value>");
  expect ("{{index .Arr 0}}{{index .Arr 1}} {{index .N 1 0}}", d, "xy 2");
  expect ("{{index \"abc\" 1}}", d, "98");
  expect_error ("{{index .Arr 5}}", d,
                "template: t:1:2: executing \"t\" at <index .Arr 5>: error calling index: index out of range: 5");
  expect_error ("{{index .Arr \"k\"}}", d,
                "template: t:1:2: executing \"t\" at <index .Arr \"k\">: error calling index: cannot index "
                "slice/array with type string");
}

Test (format, json)
{
  /* podman's json: encoding/json without HTML escaping, no trailing newline, struct (object) order */
  expect ("{{json .}}", "{\"z\":\"<b>&</b>\",\"a\":[1,2.5,null,true],\"m\":{}}",
          "{\"z\":\"<b>&</b>\",\"a\":[1,2.5,null,true],\"m\":{}}");
  expect ("{{json .S}}", "{\"S\":\"tab\\t nl\\n quote\\\" bs\\\\ ctl\\u0001 ls\\u2028\"}",
          "\"tab\\t nl\\n quote\\\" bs\\\\ ctl\\u0001 ls\\u2028\"");
  expect ("{{json .A}} {{json .B}} {{json .C}} {{json .D}}",
          "{\"A\":1e21,\"B\":0.0000001,\"C\":100000000000000000000.0,\"D\":3.0}", "1e+21 1e-7 100000000000000000000 3");
  expect ("{{json .Missing}}", "{}", "null");
}

/* ---- range, variables ---- */

Test (format, range)
{
  const char *d = "{\"L\":[\"a\",\"b\"],\"E\":[],\"M\":{\"z\":1,\"a\":2},\"Nil\":null,\"T\":\"!\"}";
  expect ("{{range .L}}[{{.}}]{{end}}", d, "[a][b]");
  expect ("{{range .E}}x{{else}}empty{{end}}", d, "empty");
  expect ("{{range .Nil}}x{{else}}nil{{end}}", d, "nil");
  expect ("{{range .Missing}}x{{else}}missing{{end}}", d, "missing");
  /* maps are visited in key order */
  expect ("{{range .M}}{{.}}{{end}} {{range $k, $v := .M}}{{$k}}={{$v}} {{end}}", d, "21 a=2 z=1 ");
  expect ("{{range $i, $e := .L}}{{$i}}:{{$e}}{{$.T}} {{end}}", d, "0:a! 1:b! ");
  expect ("{{range $e := .L}}{{$e}}{{end}}", d, "ab");
  expect ("{{range 3}}{{.}}{{end}}", d, "012");
}

Test (format, range_break_continue)
{
  expect ("{{range $i, $e := .}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 3}}{{break}}{{end}}{{$e}}{{end}}",
          "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "ac");
}

Test (format, variables)
{
  expect ("{{$x := .A}}{{$x}}-{{$x := \"shadow\"}}{{$x}}", "{\"A\":1}", "1-shadow");
  expect ("{{$x := 0}}{{range .L}}{{$x = .}}{{end}}{{$x}}", "{\"L\":[1,2,3]}", "3");
  expect ("{{$}}", "{\"k\":\"v\"}", "map[k:v]");
  expect ("{{with .A}}{{$.B}}{{.}}{{end}}", "{\"A\":\"a\",\"B\":\"b\"}", "ba");
  expect ("{{$n := len .L}}{{$n}}", "{\"L\":[1,2]}", "2");
}

/* ---- if, with ---- */

Test (format, if_else_if)
{
  const char *t = "{{if eq .A 1}}one{{else if eq .A 2}}two{{else}}other{{end}}";
  expect (t, "{\"A\":1}", "one");
  expect (t, "{\"A\":2}", "two");
  expect (t, "{\"A\":3}", "other");
  /* truth: empty values are false */
  expect ("{{if .S}}y{{else}}n{{end}}{{if .Z}}y{{else}}n{{end}}{{if .L}}y{{else}}n{{end}}{{if .M}}y{{else}}n{{end}}"
          "{{if .Missing}}y{{else}}n{{end}}{{if .T}}y{{end}}",
          "{\"S\":\"\",\"Z\":0,\"L\":[],\"M\":{},\"T\":true}", "nnnnny");
}

Test (format, with)
{
  const char *d = "{\"A\":\"a\",\"N\":0}";
  expect ("{{with .A}}<{{.}}>{{end}}", d, "<a>");
  expect ("{{with .N}}x{{else}}none{{end}}", d, "none");
  expect ("{{with .N}}x{{else with .A}}A={{.}}{{end}}", d, "A=a");
  expect ("{{with $v := .A}}{{$v}}{{.}}{{end}}", d, "aa");
}

Test (format, define_template_block)
{
  expect ("{{define \"row\"}}<{{.}}>{{end}}{{range .}}{{template \"row\" .}}{{end}}", "[1,2]", "<1><2>");
  expect ("{{block \"b\" .}}[{{.}}]{{end}}", "\"x\"", "[x]");
  expect_error ("{{template \"nope\"}}", "{}",
                "template: t:1:11: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined");
}

/* ---- functions ---- */

Test (format, comparisons)
{
  const char *d = "{\"A\":3,\"S\":\"y\",\"F\":2.5}";
  expect ("{{eq .A 3}} {{eq .A 1 2 3}} {{eq .S \"x\"}} {{ne .S \"x\"}}", d, "true true false true");
  expect ("{{lt .A 4}} {{le .A 3}} {{gt .A 3}} {{ge .A 3}} {{lt \"a\" \"b\"}} {{gt .F 2.0}}", d,
          "true true false true true true");
  expect ("{{not .A}} {{not 0}}", d, "false true");
  expect_error ("{{eq .S 1}}", d,
                "template: t:1:2: executing \"t\" at <eq .S 1>: error calling eq: incompatible types for comparison");
  expect_error ("{{lt true false}}", d,
                "template: t:1:2: executing \"t\" at <lt true false>: error calling lt: invalid type for comparison");
}

Test (format, and_or)
{
  /* they return a value, and stop at the first deciding argument (later ones are not evaluated) */
  expect ("{{and 1 0}} {{and 1 \"a\"}} {{or 0 \"x\"}} {{or \"\" 0}}", "{}", "0 a x 0");
  expect ("{{and false .X.Y.Z}} {{or true .X.Y.Z}}", "{\"X\":1}", "false true");
}

Test (format, len_slice)
{
  expect ("{{len .L}} {{len .M}} {{len .S}}", "{\"L\":[1,2,3],\"M\":{\"a\":1},\"S\":\"h\xc3\xa9\"}", "3 1 3");
  expect ("{{slice .S 1 3}} {{slice .L 1}}", "{\"S\":\"abcdef\",\"L\":[1,2,3]}", "bc [2 3]");
  expect_error ("{{len .N}}", "{\"N\":5}",
                "template: t:1:2: executing \"t\" at <len .N>: error calling len: len of type int");
}

Test (format, string_functions)
{
  const char *d = "{\"X\":\"MiXed\",\"L\":[\"a\",\"b\",\"c\"],\"ID\":\"0123456789abcdef\"}";
  expect ("{{upper .X}} {{lower .X}} {{.X | upper}}", d, "MIXED mixed MIXED");
  expect ("{{join .L \", \"}}", d, "a, b, c");
  expect ("{{split \"a,b,c\" \",\"}} {{index (split \"a:b\" \":\") 1}} {{split \"ab\" \"\"}}", d, "[a b c] b [a b]");
  expect ("{{contains .X \"Xe\"}} {{contains .X \"z\"}}", d, "true false");
  expect ("{{truncate .ID 12}} {{truncate \"ab\" 5}}", d, "0123456789ab ab");
  expect ("{{title \"hello-world foo_bar\"}}", d, "Hello-World Foo_bar");
  /* Unicode case mapping, as Go's strings package does it */
  expect ("{{upper \"h\xc3\xa9llo \xc3\x9f\"}} {{lower \"\xc3\x89"
          "COLE\"}} {{title \"\xc3\xa9t\xc3\xa9 \xc7\x86x\"}}",
          d,
          "H\xc3\x89LLO \xc3\x9f \xc3\xa9"
          "cole \xc3\x89t\xc3\xa9 \xc7\x85x");
  expect ("[{{pad \"x\" 2 1}}][{{pad \"\" 2 1}}]", d, "[  x ][]");
}

Test (format, print_functions)
{
  const char *d = "{\"L\":[\"a\",1],\"M\":{\"k\":null},\"S\":\"s\"}";
  /* Sprint puts spaces only between operands when neither is a string */
  expect ("{{print 1 2 \"a\" 3 \"b\"}}", d, "1 2a3b");
  expect ("{{println \"x\" 1}}", d, "x 1\n");
  expect ("{{print .Missing}} {{print nil}}", d, "<nil> <nil>");
  expect ("{{printf \"%s-%d-%5.2f|%-4s|%04d|%x|%q|%v|%t\" .S 3 3.14159 \"ab\" 7 255 \"q\" .L true}}", d,
          "s-3- 3.14|ab  |0007|ff|\"q\"|[a 1]|true");
  expect ("{{printf \"%e %g %g %T %c %U %+d %o %b\" 123456.789 0.000012345 1e6 .M 65 65 5 8 5}}", d,
          "1.234568e+05 1.2345e-05 1e+06 map[string]interface {} A U+0041 +5 10 101");
  /* fmt's complaints */
  expect ("{{printf \"%d %s\" \"a\" 5}}|{{printf \"%d\"}}|{{printf \"%d\" 1 2}}|{{printf \"%s\" .L}}", d,
          "%!d(string=a) %!s(int=5)|%!d(MISSING)|1%!(EXTRA int=2)|[a %!s(int=1)]");
  expect ("{{.S | printf \"%s!\"}}", d, "s!");
  /* hexadecimal and binary floats, Go syntax, the '#' flag on floats */
  expect ("{{printf \"%x %X %b\" 1.5 1e6 0.5}}", d, "0x1.8p+00 0X1.E848P+19 4503599627370496p-53");
  expect ("{{printf \"%#v\" .L}} {{printf \"%#v %#v\" .M .S}}", d,
          "[]interface {}{\"a\", 1} map[string]interface {}{\"k\":interface {}(nil)} \"s\"");
  expect ("{{printf \"%#g|%#.3e|%#o\" 2.5 1.0 1.0}}", d, "2.50000|1.000e+00|%!o(float64=1.00000)");
}

Test (format, escaping_functions)
{
  expect ("{{html \"<a href=\\\"x\\\">&'</a>\"}}", "{}", "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
  expect ("{{js \"it's <b>\"}}", "{}", "it\\'s \\u003Cb\\u003E");
  expect ("{{urlquery \"a b&c=d/\"}}", "{}", "a+b%26c%3Dd%2F");
}

Test (format, pipelines_and_parens)
{
  const char *d = "{\"A\":[{\"Name\":\"n0\"}],\"S\":\"abc\"}";
  expect ("{{.S | upper | printf \"<%s>\"}}", d, "<ABC>");
  expect ("{{(index .A 0).Name}} {{len (index .A 0).Name}}", d, "n0 2");
  expect ("{{printf \"%s-%s\" (upper .S) (.S)}}", d, "ABC-abc");
}

/* ---- errors ---- */

Test (format, parse_errors)
{
  /* Go reports a parse error's line only */
  expect_error ("{{foo .X}}", "{}", "template: t:1: function \"foo\" not defined");
  expect_error ("{{.X 1 2}", "{}", "template: t:1: unexpected \"}\" in operand");
  expect_error ("{{.Foo}", "{}", "template: t:1: bad character U+007D '}'");
  expect_error ("{{if .X}}", "{}", "template: t:1: unexpected EOF");
  expect_error ("{{end}}", "{}", "template: t:1: unexpected {{end}}");
  expect_error ("{{}}", "{}", "template: t:1: missing value for command");
  expect_error ("{{$x}}", "{}", "template: t:1: undefined variable \"$x\"");
  expect_error ("{{\"abc}}", "{}", "template: t:1: unterminated quoted string");
  expect_error ("{{(1}}", "{}", "template: t:1: unclosed left paren");
  expect_error ("{{break}}", "{}", "template: t:1: {{break}} outside {{range}}");
  expect_error ("{{.A | 1}}", "{}", "template: t:1: non executable command in pipeline stage 2");
  expect_error ("{{if 1}}{{else}}{{else}}{{end}}", "{}", "template: t:1: expected end; found {{else}}");
  expect_error ("{{/* x */ .X}}", "{}", "template: t:1: comment ends before closing delimiter");
  expect_error ("{{3x}}", "{}", "template: t:1: bad number syntax: \"3x\"");
  expect_error ("line1\n{{.A", "{}", "template: t:2: unclosed action");
  expect_error ("line1\n{{.A\n", "{}", "template: t:3: unclosed action started at t:2");
}

Test (format, exec_errors)
{
  /* line:column (bytes from 0), the node, Go's message */
  expect_error ("{{.Name.Bar}}", "{\"Name\":\"x\"}",
                "template: t:1:7: executing \"t\" at <.Name.Bar>: can't evaluate field Bar in type string");
  /* a chain is positioned at its second identifier, as Go's parser does */
  expect_error ("ok\n  {{.A.B}}", "{\"A\":[1]}",
                "template: t:2:6: executing \"t\" at <.A.B>: can't evaluate field B in type []interface {}");
  expect_error ("{{upper .N}}", "{\"N\":5}",
                "template: t:1:8: executing \"t\" at <.N>: wrong type for value; expected string; got int");
  expect_error ("{{upper}}", "{}",
                "template: t:1:2: executing \"t\" at <upper>: wrong number of args for upper: want 1 got 0");
  expect_error ("{{range .S}}{{end}}", "{\"S\":\"abc\"}",
                "template: t:1:8: executing \"t\" at <.S>: range can't iterate over abc");
  expect_error ("{{1 2}}", "{}", "template: t:1:2: executing \"t\" at <1>: can't give argument to non-function 1");
  expect_error ("{{. | .X}}", "{}", "template: t:1:6: executing \"t\" at <.X>: X is not a method but has arguments");
  /* the whole node is shown, however long */
  expect_error ("{{printf \"%s\" .Abcdefghijklmnop.Q}}", "{\"Abcdefghijklmnop\":1}",
                "template: t:1:31: executing \"t\" at <.Abcdefghijklmnop.Q>: can't evaluate field Q in type int");
  expect_error ("{{index .Abcdefghijklmnop 9}}", "{\"Abcdefghijklmnop\":[]}",
                "template: t:1:2: executing \"t\" at <index .Abcdefghijklmnop 9>: error calling index: index out "
                "of range: 9");
  expect_error ("{{index .N 0}}", "{\"N\":null}",
                "template: t:1:2: executing \"t\" at <index .N 0>: error calling index: index of untyped nil");
  expect_error ("{{eq .L .L}}", "{\"L\":[1]}",
                "template: t:1:2: executing \"t\" at <eq .L .L>: error calling eq: non-comparable type [%!s(int=1)]: "
                "[]interface {}");
}

Test (format, unnamed_messages)
{
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_template_parse ("{{nope}}", &t, &err), 0);
  cr_expect_str_eq (err->msg, "template: 1: function \"nope\" not defined");
  skiff_error_release (&err);
  cr_assert_eq (skiff_template_parse ("ab{{.A.B}}", &t, &err), 0);
  json_object *d = J ("{\"A\":1}");
  char *out = NULL;
  size_t len = 0;
  cr_assert_lt (skiff_template_execute (t, d, &out, &len, &err), 0);
  cr_expect_str_eq (err->msg, "template: 1:6: executing at <.A.B>: can't evaluate field B in type int");
  /* what was printed before the error stays */
  cr_expect_str_eq (out, "ab");
  skiff_error_release (&err);
  free (out);
  json_object_put (d);
  skiff_template_free (t);
}

/* ---- table mode ---- */

static const char ROWS[] = "[{\"ID\":\"c061a0839e\",\"Value\":\"one\"},{\"ID\":\"f10fc2e11057\",\"Value\":\"two\"},"
                           "{\"ID\":\"1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\",\"Value\":\"three\"}]";

static char *
list (const char *format, const char *rows, const char *name, const char *headers, bool noheading, char **msg)
{
  json_object *r = J (rows);
  json_object *h = headers ? J (headers) : NULL;
  struct skiff_format_opts o = { name, h, noheading };
  skiff_error_t err = NULL;
  char *out = NULL;
  *msg = NULL;
  if (skiff_format_list (format, r, &o, &out, &err) < 0)
    {
      *msg = xstrdup (err->msg);
      skiff_error_release (&err);
    }
  json_object_put (r);
  json_object_put (h);
  return out;
}

static void
expect_list (const char *format, const char *rows, const char *headers, const char *want)
{
  char *msg;
  char *out = list (format, rows, "ps", headers, false, &msg);
  cr_assert_null (msg, "%s: %s", format, msg);
  cr_expect_str_eq (out, want, "format %s:\n got: %s\nwant: %s", format, out, want);
  free (out);
}

Test (format, table_like_podman)
{
  /* podman's formatter_test: TestFormatter_ParseTable, with the header override upper-cased as
   * report.Headers does */
  const char *h = "{\"ID\":\"Identity\"}";
  const char *want = "IDENTITY                          VALUE\n"
                     "c061a0839e                        one\n"
                     "f10fc2e11057                      two\n"
                     "1eb6fab5aa8f4b5cbfd3e66aa35e9b2a  three\n";
  expect_list ("table {{.ID}}\t{{.Value}}", ROWS, h, want);
  /* `\t` typed as two characters, and spaces, become tabs in table mode */
  expect_list ("table {{.ID}}\\t{{.Value}}", ROWS, h, want);
  expect_list ("table {{.ID}} {{.Value}}", ROWS, h, want);
  const char *one = "IDENTITY\nc061a0839e\nf10fc2e11057\n1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\n";
  expect_list ("table {{ .ID}}", ROWS, h, one);
  expect_list ("table {{ .ID}}\n", ROWS, h, one);
  expect_list ("table {{ .ID}}\\n", ROWS, h, one);
}

Test (format, table_headers)
{
  /* header names: podman's camelcase split, upper-cased; overrides from the caller */
  expect_list ("table {{.ID}}\t{{.CreatedAt}}\t{{.Names}}\t{{.PIDNamespace}}",
               "[{\"ID\":\"abc\",\"CreatedAt\":\"2 days ago\",\"Names\":\"x\",\"PIDNamespace\":\"p\"}]",
               "{\"ID\":\"container id\"}",
               "CONTAINER ID  CREATED AT  NAMES       PID NAMESPACE\n"
               "abc           2 days ago  x           p\n");
  /* functions keep their field's header, constants print as themselves, if shows its first branch */
  expect_list ("table {{.Repo | upper}}\t{{if .Labels}}{{join .Labels \",\"}}{{else}}-{{end}}\t{{printf \"%d\" .Size}}"
               "{{\"!\"}}",
               "[{\"Repo\":\"r\",\"Labels\":[\"a\",\"b\"],\"Size\":5},{\"Repo\":\"q\",\"Labels\":[],\"Size\":10}]",
               NULL,
               "REPO        LABELS      SIZE!\n"
               "R           a,b         5!\n"
               "Q           -           10!\n");
}

Test (format, table_noheading_and_errors)
{
  char *msg;
  char *out = list ("table {{.ID}}", ROWS, "ps", NULL, true, &msg);
  cr_assert_null (msg);
  cr_expect_str_eq (out, "c061a0839e\nf10fc2e11057\n1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\n");
  free (out);
  /* positions count the "{{range .}}" podman wraps the format in */
  out = list ("table {{.ID.X}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (msg, "template: ps:1:16: executing \"ps\" at <.ID.X>: can't evaluate field X in type string");
  cr_expect_str_eq (out, "ID\n");
  free (out);
  free (msg);
  out = list ("table {{bad}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_null (out);
  cr_expect_str_eq (msg, "template: ps:1: function \"bad\" not defined");
  free (msg);
}

Test (format, list_without_table)
{
  char *msg;
  /* podman: one run per item, a newline added unless the format ends with one, no alignment */
  char *out = list ("{{.ID}}\\t{{.Value}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (out, "c061a0839e\tone\nf10fc2e11057\ttwo\n1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\tthree\n");
  free (out);
  out = list ("{{.Value}}\n", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (out, "one\ntwo\nthree\n");
  free (out);
  /* a format that ranges over the list itself runs once (podman's formatter_test cases) */
  out = list ("{{range .}}{{.ID}}\tID{{end}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (out, "c061a0839e\tIDf10fc2e11057\tID1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\tID\n");
  free (out);
  out = list ("{{range .}}{{.ID}}{{end -}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (out, "c061a0839ef10fc2e110571eb6fab5aa8f4b5cbfd3e66aa35e9b2a");
  free (out);
  /* "\n" inside a string cannot become a newline: podman falls back to the format as typed */
  out = list ("{{range .}}{{printf \"\\n\"}}{{end -}}", ROWS, "ps", NULL, false, &msg);
  cr_expect_str_eq (out, "\n\n\n");
  free (out);
  /* podman's error for the same mistake (podman machine list, issue 12901) */
  out = list ("{{.Name}}\\t{{.Port}}\\n", "[{\"Name\":\"m*\",\"Port\":1}]", "list", NULL, false, &msg);
  cr_expect_null (msg);
  cr_expect_str_eq (out, "m*\t1\n");
  free (out);
  out = list ("{{.Name}}\\t{{.Port.N}}\\n", "[{\"Name\":\"m*\",\"Port\":1}]", "list", NULL, false, &msg);
  cr_expect_str_eq (msg, "template: list:1:28: executing \"list\" at <.Port.N>: can't evaluate field N in type int");
  cr_expect_str_eq (out, "m*\t");
  free (out);
  free (msg);
}

Test (format, object)
{
  json_object *d = J ("{\"host\":{\"arch\":\"amd64\"},\"version\":{\"Version\":\"5.0.1\"}}");
  struct skiff_format_opts o = { "info", NULL, false };
  skiff_error_t err = NULL;
  char *out = NULL;
  cr_assert_eq (skiff_format_object ("{{.Host.Arch}}", d, &o, &out, &err), 0);
  cr_expect_str_eq (out, "amd64\n");
  free (out);
  cr_assert_eq (skiff_format_object ("{{.Host.Arch}}\\n", d, &o, &out, &err), 0);
  cr_expect_str_eq (out, "amd64\n");
  free (out);
  cr_assert_eq (skiff_format_object ("{{json .Version}}", d, &o, &out, &err), 0);
  cr_expect_str_eq (out, "{\"Version\":\"5.0.1\"}\n");
  free (out);
  cr_assert_lt (skiff_format_object ("{{.Host.Arch.X}}", d, &o, &out, &err), 0);
  cr_expect_str_eq (err->msg, "template: info:1:7: executing \"info\" at <.Host.Arch.X>: can't evaluate field X in "
                              "type string");
  skiff_error_release (&err);
  free (out);
  json_object_put (d);
}

Test (format, is_json)
{
  cr_expect (skiff_format_is_json ("json"));
  cr_expect (skiff_format_is_json ("{{json .}}"));
  cr_expect (skiff_format_is_json (" {{ json . }} "));
  cr_expect (skiff_format_is_json ("{{json}}"));
  cr_expect_not (skiff_format_is_json ("{{json .ID}}"));
  cr_expect_not (skiff_format_is_json ("table json"));
}

Test (format, low_level_table)
{
  struct skiff_template *t = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_template_parse ("table {{.ID}} {{.CreatedAt}}", &t, &err), 0);
  cr_expect (skiff_template_is_table (t));
  json_object *h = J ("{\"ID\":\"image id\"}");
  char *hdr = skiff_template_header (t, h);
  cr_expect_str_eq (hdr, "IMAGE ID\tCREATED AT");
  free (hdr);
  json_object_put (h);
  json_object *d = J ("{\"ID\":\"1\",\"CreatedAt\":\"now\"}");
  char *out = NULL;
  size_t len = 0;
  cr_assert_eq (skiff_template_execute (t, d, &out, &len, &err), 0);
  cr_expect_str_eq (out, "1\tnow");
  free (out);
  json_object_put (d);
  skiff_template_free (t);
  cr_assert_eq (skiff_template_parse ("{{.ID}}", &t, &err), 0);
  cr_expect_not (skiff_template_is_table (t));
  skiff_template_free (t);
}

/* ---- tabwriter ---- */

Test (format, tabwrite)
{
  char *s;
  /* podman's writer_test: TestNewWriterDefault */
  s = skiff_tabwrite ("a46001bfea3a4172b46c173101208244\tRandom\tuuid");
  cr_expect_str_eq (s, "a46001bfea3a4172b46c173101208244  Random      uuid");
  free (s);
  /* the last cell of a line is not padded; an empty trailing cell still pads its column */
  s = skiff_tabwrite ("NAME\tSIZE\nx\t1\nlonger-name-here\t22\n");
  cr_expect_str_eq (s, "NAME              SIZE\nx                 1\nlonger-name-here  22\n");
  free (s);
  s = skiff_tabwrite ("a\t\nb\tc\n");
  cr_expect_str_eq (s, "a           \nb           c\n");
  free (s);
  /* a line without tabs ends the column block */
  s = skiff_tabwrite ("a\tb\nplain line\nlong-cell-value\tc\n");
  cr_expect_str_eq (s, "a           b\nplain line\nlong-cell-value  c\n");
  free (s);
  /* widths count runes, not bytes */
  s = skiff_tabwrite ("\xc3\xa9t\xc3\xa9\tx\nab\ty\n");
  cr_expect_str_eq (s, "\xc3\xa9t\xc3\xa9         x\nab          y\n");
  free (s);
  /* text between 0xff escapes is one cell; the escapes are stripped */
  s = skiff_tabwrite ("\xff"
                      "a\tb\xff\tc\nd\te\n");
  cr_expect_str_eq (s, "a\tb         c\nd           e\n");
  free (s);
  /* nested column blocks */
  s = skiff_tabwrite ("a\tb\tc\naaaaaaaaaaaaaaa\tb\n");
  cr_expect_str_eq (s, "a                b           c\naaaaaaaaaaaaaaa  b\n");
  free (s);
}

/* ---- YAML ---- */

static void
expect_yaml (const char *json, const char *want)
{
  json_object *j = J (json);
  char *y = skiff_yaml_from_json (j);
  cr_expect_str_eq (y, want, "yaml of %s:\n got: %s\nwant: %s", json, y, want);
  free (y);
  json_object_put (j);
}

Test (format, yaml_podman_info_look)
{
  expect_yaml (
      "{\"host\":{\"arch\":\"amd64\",\"cpus\":8,\"cpuUtilization\":{\"userPercent\":1.5,\"idlePercent\":97.42},"
      "\"cgroupManager\":\"systemd\",\"cgroupControllers\":[\"cpu\",\"io\"],"
      "\"conmon\":{\"path\":\"/usr/bin/conmon\",\"version\":\"conmon version 2.1.7, commit: \"},"
      "\"idMappings\":{\"gidmap\":[{\"container_id\":0,\"host_id\":1000,\"size\":1}],\"uidmap\":null},"
      "\"distribution\":{\"distribution\":\"fedora\",\"version\":\"38\",\"variant\":\"\"},"
      "\"security\":{\"rootless\":true},\"empty\":{},\"none\":[]},"
      "\"store\":{\"graphStatus\":{\"Native Overlay Diff\":\"true\",\"Backing Filesystem\":\"btrfs\"}},"
      "\"version\":{\"Version\":\"4.5.1\",\"APIVersion\":\"4.5.1\",\"Built\":1685123928,"
      "\"BuiltTime\":\"Fri May 26 19:58:48 2023\",\"GitCommit\":\"\"}}",
      "host:\n"
      "  arch: amd64\n"
      "  cgroupControllers:\n"
      "  - cpu\n"
      "  - io\n"
      "  cgroupManager: systemd\n"
      "  conmon:\n"
      "    path: /usr/bin/conmon\n"
      "    version: 'conmon version 2.1.7, commit: '\n"
      "  cpuUtilization:\n"
      "    idlePercent: 97.42\n"
      "    userPercent: 1.5\n"
      "  cpus: 8\n"
      "  distribution:\n"
      "    distribution: fedora\n"
      "    variant: \"\"\n"
      "    version: \"38\"\n"
      "  empty: {}\n"
      "  idMappings:\n"
      "    gidmap:\n"
      "    - container_id: 0\n"
      "      host_id: 1000\n"
      "      size: 1\n"
      "    uidmap: null\n"
      "  none: []\n"
      "  security:\n"
      "    rootless: true\n"
      "store:\n"
      "  graphStatus:\n"
      "    Backing Filesystem: btrfs\n"
      "    Native Overlay Diff: \"true\"\n"
      "version:\n"
      "  APIVersion: 4.5.1\n"
      "  Built: 1685123928\n"
      "  BuiltTime: Fri May 26 19:58:48 2023\n"
      "  GitCommit: \"\"\n"
      "  Version: 4.5.1\n");
}

Test (format, yaml_scalars)
{
  /* quoted exactly when the plain text would read back as something else */
  expect_yaml (
      "{\"a\":\"1.2.3\",\"b\":\"1.5\",\"c\":\"true\",\"d\":\"yes\",\"e\":\"null\",\"f\":\"~\",\"g\":\"0x1F\","
      "\"h\":\"12:30\",\"i\":\"2023-05-26\",\"j\":\"- x\",\"k\":\"#x\",\"l\":\"a #b\",\"m\":\"a:b\",\"n0\":\" lead\","
      "\"o\":\"it's: x\",\"p\":\"tab\\there\",\"q\":\"*star\",\"r\":\"1e3\",\"s\":\"-\",\"t\":\"1_000\"}",
      "a: 1.2.3\nb: \"1.5\"\nc: \"true\"\nd: \"yes\"\ne: \"null\"\nf: \"~\"\ng: \"0x1F\"\nh: \"12:30\"\n"
      "i: \"2023-05-26\"\nj: '- x'\nk: '#x'\nl: 'a #b'\nm: a:b\nn0: ' lead'\no: 'it''s: x'\n"
      "p: \"tab\\there\"\nq: '*star'\nr: \"1e3\"\ns: '-'\nt: \"1_000\"\n");
  expect_yaml ("{\"f\":2.0,\"g\":0.5,\"h\":1e21,\"i\":-3,\"j\":false}", "f: 2\ng: 0.5\nh: 1e+21\ni: -3\nj: false\n");
}

Test (format, yaml_blocks_and_nesting)
{
  expect_yaml ("{\"v\":\"line1\\nline2\",\"w\":\"end\\n\",\"x\":\"two\\n\\n\"}",
               "v: |-\n  line1\n  line2\nw: |\n  end\nx: |+\n  two\n\n");
  expect_yaml ("[[\"a\",\"b\"],{\"k\":\"v\",\"l\":[1]},\"s\"]", "- - a\n  - b\n- k: v\n  l:\n  - 1\n- s\n");
  expect_yaml ("{}", "{}\n");
  /* goyaml's key order: non-letters before letters, digit runs by value */
  expect_yaml ("{\"b\":1,\"B\":2,\"a10\":3,\"a9\":4,\"_x\":5,\"a\":6}", "_x: 5\nB: 2\na: 6\na9: 4\na10: 3\nb: 1\n");
  /* keys that cannot be simple keys */
  expect_yaml ("{\"a\\nb\":1,\"c\":2}", "? |-\n  a\n  b\n: 1\nc: 2\n");
  /* lines fold at 80 columns */
  expect_yaml (
      "{\"k\":\"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh iiii\"}",
      "k: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh\n"
      "  iiii\n");
}

Test (format, yaml_ordered)
{
  json_object *j = J ("{\"b\":1,\"a\":{\"z\":1,\"x\":2}}");
  char *y = skiff_yaml_from_json_ordered (j);
  cr_expect_str_eq (y, "b: 1\na:\n  z: 1\n  x: 2\n");
  free (y);
  json_object_put (j);
  /* YAML 1.1 reads y, n, on, off as booleans, so goyaml quotes such keys */
  j = J ("{\"y\":1,\"n\":2,\"on\":3}");
  y = skiff_yaml_from_json_ordered (j);
  cr_expect_str_eq (y, "\"y\": 1\n\"n\": 2\n\"on\": 3\n");
  free (y);
  json_object_put (j);
}
