/* --format: a template run over data, once (an object, as info) and per row of a list (as ps, with table
 * mode, headers and tabwriter), and the data printed as YAML. The input is the template, then (after a NUL
 * byte or a "--" line) the JSON data; without valid data the template runs over a fixed record. */
#include "format/format.h"
#include "fuzz.h"

static const char default_data[]
    = "{\"ID\":\"0123456789ab\",\"Names\":[\"web\",\"db\"],\"Labels\":{\"a\":\"1\",\"b\":\"\"},\"Created\":1700000000,"
      "\"Size\":-1.5e300,\"Ports\":[{\"hostPort\":8080,\"containerPort\":80}],\"Running\":true,\"Pid\":null,"
      "\"Nested\":{\"Deep\":{\"Deeper\":[1,[2,[3,{\"x\":\"y\"}]]]}},\"Unicode\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *tmpl = NULL, *json = NULL;
  fuzz_split (data, size, &tmpl, &json);
  json_object *d = json_tokener_parse (json);
  if (d == NULL)
    d = json_tokener_parse (default_data);
  skiff_error_t err = NULL;

  struct skiff_template *t = NULL;
  if (skiff_template_parse_named ("t", tmpl, &t, &err) == 0)
    {
      char *out = NULL;
      size_t len = 0;
      if (skiff_template_execute (t, d, &out, &len, &err) < 0)
        skiff_error_release (&err);
      free (skiff_tabwrite (out ? out : ""));
      free (out);
      skiff_template_free (t);
    }
  skiff_error_release (&err);

  json_object *rows = json_object_new_array ();
  json_object_array_add (rows, json_object_get (d));
  json_object_array_add (rows, json_object_get (d));
  json_object *headers = json_tokener_parse ("{\"ID\":\"container id\",\"Names\":\"NAMES\"}");
  struct skiff_format_opts o = { .name = "ps", .headers = headers };
  char *out = NULL;
  if (skiff_format_list (tmpl, rows, &o, &out, &err) < 0)
    skiff_error_release (&err);
  free (out);
  out = NULL;
  if (skiff_format_object (tmpl, d, &o, &out, &err) < 0)
    skiff_error_release (&err);
  free (out);
  if (json_object_is_type (d, json_type_object))
    {
      free (skiff_yaml_from_json (d));
      free (skiff_yaml_from_json_ordered (d));
    }
  json_object_put (headers);
  json_object_put (rows);
  json_object_put (d);
  return 0;
}
