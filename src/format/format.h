/* The one --format engine: Go text/template syntax as podman users write it, over json-c values,
 * plus podman's "table" mode (header row, columns aligned like Go's tabwriter) and a YAML printer.
 *
 * Most commands want skiff_format_list() (ps, images, volume ls, inspect: podman runs the template once
 * per item) or skiff_format_object() (info, version: once over one object). The lower-level
 * skiff_template_* calls give the pieces. */
#ifndef SKIFF_FORMAT_H
#define SKIFF_FORMAT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/util.h"

struct skiff_template;

/* Parse. Errors read as Go's: "template: NAME:LINE: msg" (Go reports only the line of a parse error),
 * e.g. `template: ps:1: function "foo" not defined`; without a name "template: LINE: msg". A leading
 * "table " marks table mode. podman's normalisation is applied: `\t` and `\n` typed as two characters
 * become a tab and a newline, and in table mode every space becomes a tab (when that breaks the parse,
 * the text is parsed as given). No trailing newline is added here (the caller adds one per row). */
int skiff_template_parse (const char *src, struct skiff_template **out, skiff_error_t *err);
/* The same with Go's template name, which podman sets to the command name ("ps", "images", "info"). */
int skiff_template_parse_named (const char *name, const char *src, struct skiff_template **out, skiff_error_t *err);
bool skiff_template_is_table (const struct skiff_template *t);
/* Execute against data; appends output to *buf (xrealloc'd, NUL-terminated; *len tracks length).
 * Field lookup: exact JSON key first, then case-insensitive, so {{.Host.Arch}} finds "host"."arch".
 * Run-time errors read as Go's: "template: NAME:LINE:COL: executing \"NAME\" at <.Foo.Bar>: can't
 * evaluate field Bar in type string" (COL counts bytes from 0, as Go does). On error the output
 * produced so far stays in *buf, as Go writes it before failing. */
int skiff_template_execute (const struct skiff_template *t, json_object *data, char **buf, size_t *len,
                            skiff_error_t *err);
/* For table mode: the header row text, without a newline (each {{.Field}} becomes its podman header,
 * e.g. "CreatedAt" -> "CREATED AT", "ID" -> "ID"; headers maps Field -> header to override, may be
 * NULL; podman upper-cases the overrides). */
char *skiff_template_header (const struct skiff_template *t, json_object *headers);
void skiff_template_free (struct skiff_template *t);

/* Column alignment like Go's tabwriter with podman's settings (minwidth 12, tabwidth 2, padding 2,
 * padchar ' ', StripEscape): rows are lines whose cells are separated by '\t'; the last cell of a
 * line is not padded. Returns a new string. */
char *skiff_tabwrite (const char *text);

/* YAML as podman prints `info` (sigs.k8s.io/yaml over goyaml.v2): keys sorted the way goyaml sorts
 * them, 2-space indentation, sequences in mappings not indented ("- item" under the key), strings
 * quoted only when YAML would read them as something else ("1.5", "true", "", "a: b"), multi-line
 * strings as "|-" blocks, long lines folded at 80 columns. Ends with a newline. Caller frees. */
char *skiff_yaml_from_json (json_object *obj);
/* The same look with keys in the object's own order. */
char *skiff_yaml_from_json_ordered (json_object *obj);

/* ---- JSON as Go's encoding/json writes it (json.c): the one JSON printer ---- */
struct skiff_json_style
{
  const char *indent; /* NULL: compact; else one level's indentation (json.MarshalIndent's indent) */
  bool escape_html;   /* <, > and & as \u003c, \u003e, \u0026 (json.Marshal's default; podman's inspect and json
                         function turn it off) */
};
/* podman's inspect (an Encoder with SetIndent("", "     ") and SetEscapeHTML(false)) */
#define SKIFF_JSON_INSPECT ((const struct skiff_json_style){ .indent = "     " })
/* j as JSON without a trailing newline; style NULL: compact. Object members keep their order (they stand for
 * Go struct fields); empty objects and arrays are "{}" and "[]". Caller frees. */
char *skiff_json_encode (json_object *j, const struct skiff_json_style *style);

/* podman's report.IsJSON: "json" or "{{json .}}" (spaces allowed); callers print JSON themselves. */
bool skiff_format_is_json (const char *format);

struct skiff_format_opts
{
  const char *name;     /* Go's template name in messages: podman uses the command name; may be NULL */
  json_object *headers; /* table mode: Field -> header overrides ({"ID": "IMAGE ID"}); may be NULL */
  bool noheading;       /* --noheading: no header row in table mode */
};

/* A --format over a list, exactly as podman's report.Formatter with OriginUser does it:
 *  - "table ...": a header row, then one row per item, aligned with skiff_tabwrite;
 *  - otherwise the template runs once per item (unless it ranges over "." itself), each followed by a
 *    newline unless the format ends with one; no alignment.
 * *out gets the text to print (also the partial text when execution fails, as podman prints it before
 * the error); NULL when the template does not parse. Error positions match podman's, which wraps the
 * format in "{{range .}}...{{end -}}". */
int skiff_format_list (const char *format, json_object *rows, const struct skiff_format_opts *opts, char **out,
                       skiff_error_t *err);
/* A --format over one object (podman info/version, OriginUnknown): the template runs once, followed
 * by a newline unless the format ends with one. */
int skiff_format_object (const char *format, json_object *obj, const struct skiff_format_opts *opts, char **out,
                         skiff_error_t *err);

#endif
