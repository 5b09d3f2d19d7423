/* The one --format engine: Go text/template syntax as podman users write it, over json-c values,
 * plus podman's "table" mode (header row, columns aligned like Go's tabwriter) and a YAML printer. */
#ifndef SKIFF_CLI_FORMAT_H
#define SKIFF_CLI_FORMAT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/util.h"

struct skiff_template;

/* Parse. Errors carry the position: "template: 1:14: unexpected \"}\" in operand". A leading "table "
 * marks table mode. A missing trailing newline is not added here (the caller adds one per row). */
int skiff_template_parse (const char *src, struct skiff_template **out, skiff_error_t *err);
bool skiff_template_is_table (const struct skiff_template *t);
/* Execute against data; appends output to *buf (xrealloc'd, NUL-terminated; *len tracks length).
 * Field lookup: exact JSON key first, then case-insensitive, so {{.Host.Arch}} finds "host"."arch". */
int skiff_template_execute (const struct skiff_template *t, json_object *data, char **buf, size_t *len,
                            skiff_error_t *err);
/* For table mode: the header row text (each {{.Field}} becomes its podman header, e.g. "CreatedAt"
 * -> "CREATED AT", "ID" -> "ID"; headers maps Field -> header to override, may be NULL). */
char *skiff_template_header (const struct skiff_template *t, json_object *headers);
void skiff_template_free (struct skiff_template *t);

/* Column alignment like Go's tabwriter with podman's settings (minwidth 2? padding per podman):
 * rows are lines whose cells are separated by '\t'. Returns a new string. */
char *skiff_tabwrite (const char *text);

/* YAML as podman prints `info` (2-space indent, keys in object order). Caller frees. */
char *skiff_yaml_from_json (json_object *obj);

#endif
