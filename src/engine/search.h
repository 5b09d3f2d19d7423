/* search as the command layer sees it: the user's term, limits, filters and registry options in, podman's
 * result rows out. */
#ifndef SKIFF_ENGINE_SEARCH_H
#define SKIFF_ENGINE_SEARCH_H

#include <json-c/json.h>
#include <stdbool.h>

#include "skiff/error.h"

struct skiff_engine_search
{
  const char *term;
  long limit; /* 0: podman's 25 */
  bool list_tags, no_trunc;
  char **filters; /* --filter values, NULL-terminated, or NULL */
  const char *authfile, *creds, *cert_dir;
  bool tls_verify_set, tls_verify;
};

/* *rows: a JSON array of {Index, Name, Description, Stars, Official, Automated, Tag}, as podman's
 * `search --format json`. EINVAL with podman's text for a bad filter or a filter with list_tags. */
int skiff_engine_search (const struct skiff_engine_search *q, json_object **rows, skiff_error_t *err);

#endif
