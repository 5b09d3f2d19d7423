/* search: the request built from the user's options, image/search's results as podman's rows. */
#include "engine/search.h"

#include <errno.h>

#include "image/search.h"
#include "util/util.h"

int
skiff_engine_search (const struct skiff_engine_search *q, json_object **rows, skiff_error_t *err)
{
  *rows = NULL;
  struct skiff_search_request r
      = { .term = q->term, .limit = q->limit, .list_tags = q->list_tags, .no_trunc = q->no_trunc };
  skiff_search_filter_init (&r.filter);
  if (q->list_tags && q->filters && q->filters[0])
    return skiff_error_set_status (err, EINVAL, "filters are not applicable to list tags result");
  for (size_t i = 0; q->filters && q->filters[i]; i++)
    if (skiff_search_filter_parse (q->filters[i], &r.filter, err) < 0)
      return -1;
  if (q->limit < 0)
    return skiff_error_set_status (err, EINVAL, "invalid limit %ld: must be 0 or more", q->limit);
  struct skiff_pull_request pr = { .name = q->term };
  pr.reg.authfile = q->authfile;
  pr.reg.creds = q->creds;
  pr.reg.cert_dir = q->cert_dir;
  pr.reg.tls_verify_set = q->tls_verify_set;
  pr.reg.tls_verify = q->tls_verify;
  skiff_pull_request_prepare (&pr);
  r.reg = &pr;
  struct skiff_search_result *res = NULL;
  size_t n = 0;
  int ret = skiff_image_search (&r, &res, &n, err);
  skiff_pull_request_release (&pr);
  if (ret < 0)
    return -1;
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "Index", json_object_new_string (res[i].index));
      json_object_object_add (o, "Name", json_object_new_string (res[i].name));
      json_object_object_add (o, "Description", json_object_new_string (res[i].description));
      json_object_object_add (o, "Stars", json_object_new_int64 (res[i].stars));
      json_object_object_add (o, "Official", json_object_new_string (res[i].official ? "[OK]" : ""));
      json_object_object_add (o, "Automated", json_object_new_string (res[i].automated ? "[OK]" : ""));
      json_object_object_add (o, "Tag", json_object_new_string (res[i].tag ? res[i].tag : ""));
      json_object_array_add (a, o);
    }
  skiff_search_results_free (res, n);
  *rows = a;
  return 0;
}
