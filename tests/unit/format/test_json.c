/* format's JSON printer: what Go's encoding/json writes for the same value (json.Marshal, json.MarshalIndent
 * and an Encoder with SetIndent/SetEscapeHTML, as podman uses them). */
#include <criterion/criterion.h>

#include "format/format.h"

static void
expect_json_as (const char *in, const struct skiff_json_style *style, const char *want, bool reads_back)
{
  json_object *j = json_tokener_parse (in);
  cr_assert_not_null (j, "bad test JSON: %s", in);
  char *got = skiff_json_encode (j, style);
  cr_expect_str_eq (got, want, "input %s\nwant:\n%s\ngot:\n%s", in, want, got);
  /* whatever the style, the text reads back as the same value (a float without a fraction reads back as an
   * integer, as it would in Go) */
  json_object *back = json_tokener_parse (got);
  cr_expect (!reads_back || (back && json_object_equal (j, back)), "%s does not parse back", got);
  json_object_put (back);
  free (got);
  json_object_put (j);
}

static void
expect_json (const char *in, const struct skiff_json_style *style, const char *want)
{
  expect_json_as (in, style, want, true);
}

static const struct skiff_json_style two = { .indent = "  " };

Test (json, compact_keeps_member_order)
{
  expect_json ("{\"z\":1,\"a\":[true,false,null],\"m\":{\"k\":\"v\"}}", NULL,
               "{\"z\":1,\"a\":[true,false,null],\"m\":{\"k\":\"v\"}}");
}

Test (json, indented_as_marshal_indent)
{
  expect_json ("[{\"Id\":\"abc\",\"Names\":[\"x\",\"y\"],\"Labels\":{\"a\":\"b\"},\"Pid\":0}]", &two,
               "[\n"
               "  {\n"
               "    \"Id\": \"abc\",\n"
               "    \"Names\": [\n"
               "      \"x\",\n"
               "      \"y\"\n"
               "    ],\n"
               "    \"Labels\": {\n"
               "      \"a\": \"b\"\n"
               "    },\n"
               "    \"Pid\": 0\n"
               "  }\n"
               "]");
}

Test (json, empty_containers_stay_on_one_line)
{
  /* json-c's pretty printer writes "[\n  ]"; Go writes [] and {} at any depth */
  expect_json ("[]", &two, "[]");
  expect_json ("{}", &two, "{}");
  expect_json ("{\"Mounts\":[],\"Labels\":{},\"Ports\":null}", &two,
               "{\n  \"Mounts\": [],\n  \"Labels\": {},\n  \"Ports\": null\n}");
}

Test (json, inspect_style_indents_five_spaces)
{
  expect_json ("[{\"Id\":\"a\",\"Config\":{\"Cmd\":[\"sh\"]}}]", &SKIFF_JSON_INSPECT,
               "[\n"
               "     {\n"
               "          \"Id\": \"a\",\n"
               "          \"Config\": {\n"
               "               \"Cmd\": [\n"
               "                    \"sh\"\n"
               "               ]\n"
               "          }\n"
               "     }\n"
               "]");
}

Test (json, strings_escape_as_go)
{
  expect_json ("[\"a/b \\\"q\\\" \\\\ \\n\\t\\r \\u0001 \\u007f \\u2028 é\"]", NULL,
               "[\"a/b \\\"q\\\" \\\\ \\n\\t\\r \\u0001 \x7f \\u2028 é\"]");
  /* invalid UTF-8 becomes U+FFFD */
  json_object *s = json_object_new_string ("x\xffy");
  char *got = skiff_json_encode (s, NULL);
  cr_expect_str_eq (got, "\"x\\ufffdy\"");
  free (got);
  json_object_put (s);
}

Test (json, html_escaping_is_a_choice)
{
  const struct skiff_json_style marshal = { .indent = NULL, .escape_html = true };
  expect_json ("[\"a && b <c>\"]", &marshal, "[\"a \\u0026\\u0026 b \\u003cc\\u003e\"]");
  expect_json ("[\"a && b <c>\"]", NULL, "[\"a && b <c>\"]");
  /* keys too */
  expect_json ("{\"<k>\":1}", &marshal, "{\"\\u003ck\\u003e\":1}");
}

Test (json, numbers_as_go)
{
  expect_json ("[0,-7,9223372036854775807,18446744073709551615]", NULL,
               "[0,-7,9223372036854775807,18446744073709551615]");
  expect_json_as ("[1.5,0.1,123456789.0,1e21,1e-7,0.000001,-2.5e-10]", NULL,
                  "[1.5,0.1,123456789,1e+21,1e-7,0.000001,-2.5e-10]", false);
}
