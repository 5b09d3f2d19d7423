/* What a registry answers a search (a hostile registry writes it): the v1 search results, a catalog page's
 * repositories and a tags list. */
#include "fuzz.h"
#include "image/search.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *json = (const char *) data;
  skiff_error_t err = NULL;
  struct skiff_search_result *r = NULL;
  size_t n = 0;
  if (skiff_search_parse_v1 (json, size, &r, &n, &err) == 0)
    skiff_search_results_free (r, n);
  skiff_error_release (&err);
  char **names = NULL;
  if (skiff_search_parse_names (json, size, "repositories", &names, &err) < 0)
    skiff_error_release (&err);
  if (skiff_search_parse_names (json, size, "tags", &names, &err) < 0)
    skiff_error_release (&err);
  strv_free (names);
  return 0;
}
