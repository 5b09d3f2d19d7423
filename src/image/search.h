/* skiff search: a registry's own search (Docker's v1 /v1/search, which Docker Hub serves) or, where it has none,
 * its v2 catalog filtered by the term, as podman (containers/image's SearchRegistry) does; and --list-tags (the
 * v2 tags list of one repository). What a registry answers is outside input: every parser here is capped and
 * fuzzed (tests/fuzz/fuzz_search.c). */
#ifndef SKIFF_IMAGE_SEARCH_H
#define SKIFF_IMAGE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "image/resolve.h"

#define SKIFF_SEARCH_DEFAULT_LIMIT 25     /* podman's searchMaxQueries */
#define SKIFF_SEARCH_DESCRIPTION_TRUNC 44 /* podman's descriptionTruncLength */
#define SKIFF_SEARCH_MAX_RESULTS 100000   /* repositories or tags one search keeps, at most */
#define SKIFF_SEARCH_NAME_MAX 4096        /* a repository name or tag longer than this is refused */

struct skiff_search_filter
{
  long stars;    /* at least this many (0: any) */
  int official;  /* -1: any, else must equal */
  int automated; /* -1: any, else must equal */
};

struct skiff_search_result
{
  char *index; /* the registry searched */
  char *name;  /* registry/repository */
  char *description;
  long stars;
  bool official, automated;
  char *tag; /* --list-tags only */
};

struct skiff_search_request
{
  const char *term;                     /* as typed: before the first '/' is the registry (podman) */
  const struct skiff_pull_request *reg; /* credentials and TLS (skiff_pull_request_prepare'd) */
  long limit;                           /* 0: SKIFF_SEARCH_DEFAULT_LIMIT */
  bool list_tags, no_trunc;
  struct skiff_search_filter filter;
};

/* One --filter: stars=N, is-official[=BOOL], is-automated[=BOOL], with podman's errors (EINVAL). */
int skiff_search_filter_parse (const char *s, struct skiff_search_filter *f, skiff_error_t *err);
void skiff_search_filter_init (struct skiff_search_filter *f);

/* Search every registry the term names (or registries.conf's unqualified-search-registries); the results of
 * those that answered, or podman's "N error(s) occurred" when none did. */
int skiff_image_search (const struct skiff_search_request *q, struct skiff_search_result **out, size_t *n,
                        skiff_error_t *err);
void skiff_search_results_free (struct skiff_search_result *r, size_t n);

/* The parsers of what a registry answers. v1: {"results": [{"name", "description", "star_count",
 * "is_official", "is_automated"}]}, names not yet prefixed with the registry. names: the string array under
 * key ("repositories" of a catalog page, "tags" of a tags list), appended to *out (at most
 * SKIFF_SEARCH_MAX_RESULTS in all); returns how many were added. */
int skiff_search_parse_v1 (const char *json, size_t len, struct skiff_search_result **out, size_t *n,
                           skiff_error_t *err);
int skiff_search_parse_names (const char *json, size_t len, const char *key, char ***out, skiff_error_t *err);

#endif
