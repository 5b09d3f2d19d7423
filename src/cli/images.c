/* skiff import, images, rmi, and the "image" command group */
#include <fcntl.h>
#include <fnmatch.h>

#include "cli/cli.h"
#include "engine/images.h"

/* ---- import ---- */

enum
{
  I_CHANGE,
  I_MESSAGE,
  I_QUIET,
};

static const struct cli_option import_options[] = {
  [I_CHANGE]
  = { "change", 'c', required_argument, "stringArray",
      "Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR" },
  [I_MESSAGE] = { "message", 'm', required_argument, "string", "Set commit message for imported image" },
  [I_QUIET] = { "quiet", 'q', optional_argument, NULL, "Suppress output" },
  { 0 },
};

static int import_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_import_command = {
  .name = "import",
  .summary = "Import a tarball to create a filesystem image",
  .usage = "[options] PATH [REFERENCE]",
  .options = import_options,
  .fn = import_main,
};

struct import_args
{
  char **changes;
  bool quiet;
};

static int
import_cb (int id, const char *arg, void *data)
{
  struct import_args *a = data;
  bool ok = true;
  if (id == I_CHANGE)
    strv_push (&a->changes, arg);
  else if (id == I_QUIET)
    a->quiet = cli_bool (arg, &ok);
  return 0;
}

static int
import_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct import_args a = { 0 };
  int first = cli_parse (&cli_import_command, "import", argc, argv, import_cb, &a);
  if (first < 0)
    {
      strv_free (a.changes);
      return first == -2 ? 0 : SKIFF_EXIT_ERROR;
    }
  int nargs = argc - first;
  if (nargs < 1 || nargs > 2)
    {
      strv_free (a.changes);
      return cli_usage_error ("import", "accepts between 1 and 2 arg(s), received %d", nargs);
    }
  const char *path = argv[first];
  const char *name = nargs == 2 ? argv[first + 1] : NULL;
  skiff_error_t err = NULL;
  int ret = 0;
  cleanup_close int fd = -1;
  if (strcmp (path, "-") == 0)
    fd = dup (STDIN_FILENO);
  else
    {
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          skiff_error_set (&err, errno, "open `%s`", path);
          strv_free (a.changes);
          return cli_fail (&err);
        }
    }
  struct skiff_engine *e;
  struct skiff_store *s;
  cleanup_free char *id = NULL;
  cleanup_free char *normalized = NULL;
  if (name && (normalized = skiff_reference_normalize (name, &err)) == NULL)
    ret = cli_fail (&err);
  else if (cli_engine (cli, &e, &err) < 0 || skiff_engine_store (e, &s, &err) < 0
           || skiff_store_import (s, fd, name, a.changes, &id, &err) < 0)
    ret = cli_fail (&err);
  else
    printf ("%s\n", id);
  strv_free (a.changes);
  return ret;
}

/* ---- images ---- */

enum
{
  L_ALL,
  L_QUIET,
  L_NOTRUNC,
  L_FORMAT,
  L_NOHEADING,
  L_DIGESTS,
  L_FILTER,
  L_SORT,
};

static const struct cli_option images_options[] = {
  [L_ALL] = { "all", 'a', optional_argument, NULL, "Show all images (default hides intermediate images)" },
  [L_QUIET] = { "quiet", 'q', optional_argument, NULL, "Display only image IDs" },
  [L_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Do not truncate output" },
  [L_FORMAT] = { "format", 0, required_argument, "string", "Change the output format to JSON or a Go template" },
  [L_NOHEADING] = { "noheading", 'n', optional_argument, NULL, "Do not print column headings" },
  [L_DIGESTS] = { "digests", 0, optional_argument, NULL, "Show digests" },
  [L_FILTER]
  = { "filter", 'f', required_argument, "stringArray", "Filter output based on conditions provided (default [])" },
  [L_SORT]
  = { "sort", 0, required_argument, "string", "Sort by created, id, repository, size, tag (default \"created\")" },
  { 0 },
};

static int images_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_images_command = {
  .name = "images",
  .summary = "List images in local storage",
  .usage = "[options] [IMAGE]",
  .options = images_options,
  .fn = images_main,
};

struct images_args
{
  bool quiet, notrunc, noheading, digests;
  const char *format;
  const char *sort;
  char **filters; /* "key=value" as given */
};

static int
images_cb (int id, const char *arg, void *data)
{
  struct images_args *a = data;
  bool ok = true;
  switch (id)
    {
    case L_QUIET:
      a->quiet = cli_bool (arg, &ok);
      break;
    case L_NOTRUNC:
      a->notrunc = cli_bool (arg, &ok);
      break;
    case L_FORMAT:
      a->format = arg;
      break;
    case L_NOHEADING:
      a->noheading = cli_bool (arg, &ok);
      break;
    case L_DIGESTS:
      a->digests = cli_bool (arg, &ok);
      break;
    case L_FILTER:
      strv_push (&a->filters, arg);
      break;
    case L_SORT:
      a->sort = arg;
      break;
    }
  return 0;
}

/* ---- images --sort: podman's keys; created puts the newest first, the others ascend ---- */

static int
by_created (const void *a, const void *b)
{
  const struct skiff_image *x = *(struct skiff_image *const *) a, *y = *(struct skiff_image *const *) b;
  return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : strcmp (x->id, y->id);
}

static int
by_size (const void *a, const void *b)
{
  const struct skiff_image *x = *(struct skiff_image *const *) a, *y = *(struct skiff_image *const *) b;
  return x->size < y->size ? -1 : x->size > y->size ? 1 : strcmp (x->id, y->id);
}

static int
row_cmp (const void *a, const void *b, const char *key, const char *then)
{
  json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b;
  int c = strcmp (json_object_get_string (json_object_object_get (x, key)),
                  json_object_get_string (json_object_object_get (y, key)));
  return c || then == NULL ? c : row_cmp (a, b, then, NULL);
}

static int
rows_by_repository (const void *a, const void *b)
{
  return row_cmp (a, b, "Repository", "Tag");
}

static int
rows_by_tag (const void *a, const void *b)
{
  return row_cmp (a, b, "Tag", "Repository");
}

static int
rows_by_id (const void *a, const void *b)
{
  return row_cmp (a, b, "Id", "Repository");
}

/* split "registry/repo:tag" into repository and tag as podman shows them */
static void
split_name (const char *name, char **repo, char **tag)
{
  const char *at = strchr (name, '@');
  const char *slash = strrchr (name, '/');
  const char *colon = strrchr (name, ':');
  if (at)
    {
      *repo = xstrndup (name, (size_t) (at - name));
      *tag = xstrdup ("<none>");
    }
  else if (colon && (!slash || colon > slash))
    {
      *repo = xstrndup (name, (size_t) (colon - name));
      *tag = xstrdup (colon + 1);
    }
  else
    {
      *repo = xstrdup (name);
      *tag = xstrdup ("<none>");
    }
}

static json_object *
image_row (const struct skiff_image *img, const char *name, bool notrunc)
{
  json_object *row = json_object_new_object ();
  cleanup_free char *repo = NULL, *tag = NULL;
  if (name)
    split_name (name, &repo, &tag);
  cleanup_free char *size = cli_human_size (img->size);
  cleanup_free char *since = cli_human_duration_ago (img->created_ns);
  cleanup_free char *created_at = format_time_rfc3339 (img->created_ns);
  json_object_object_add (row, "Repository", json_object_new_string (repo ? repo : "<none>"));
  json_object_object_add (row, "Tag", json_object_new_string (tag ? tag : "<none>"));
  if (notrunc)
    {
      cleanup_free char *full = xasprintf ("sha256:%s", img->id);
      json_object_object_add (row, "ID", json_object_new_string (full));
    }
  else
    json_object_object_add (row, "ID", json_object_new_string_len (img->id, 12));
  json_object_object_add (row, "Id", json_object_new_string (img->id));
  json_object_object_add (row, "Digest", json_object_new_string (img->digest ? img->digest : ""));
  json_object_object_add (row, "Created", json_object_new_string (since));
  json_object_object_add (row, "CreatedSince", json_object_new_string (since));
  json_object_object_add (row, "CreatedAt", json_object_new_string (created_at));
  json_object_object_add (row, "Size", json_object_new_string (size));
  json_object_object_add (row, "VirtualSize", json_object_new_int64 ((int64_t) img->size));
  json_object *names = json_object_new_array ();
  for (size_t i = 0; img->names && img->names[i]; i++)
    json_object_array_add (names, json_object_new_string (img->names[i]));
  json_object_object_add (row, "Names", names);
  json_object *labels = json_object_new_object ();
  for (size_t i = 0; img->config && img->config->label_keys && img->config->label_keys[i]; i++)
    json_object_object_add (labels, img->config->label_keys[i],
                            json_object_new_string (img->config->label_values[i] ? img->config->label_values[i] : ""));
  json_object_object_add (row, "Labels", labels);
  json_object_object_add (row, "Dangling", json_object_new_boolean (img->names == NULL || img->names[0] == NULL));
  return row;
}

/* podman's --format json for images: one object per image */
static json_object *
image_json (const struct skiff_image *img)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "Id", json_object_new_string (img->id));
  json_object_object_add (o, "ParentId", json_object_new_string (""));
  json_object *names = json_object_new_array ();
  for (size_t i = 0; img->names && img->names[i]; i++)
    json_object_array_add (names, json_object_new_string (img->names[i]));
  json_object_object_add (o, "RepoTags", names);
  json_object_object_add (o, "RepoDigests", json_object_new_array ());
  json_object_object_add (o, "Created", json_object_new_int64 ((int64_t) (img->created_ns / 1000000000ULL)));
  json_object_object_add (o, "Size", json_object_new_int64 ((int64_t) img->size));
  json_object_object_add (o, "SharedSize", json_object_new_int (0));
  json_object_object_add (o, "VirtualSize", json_object_new_int64 ((int64_t) img->size));
  json_object *labels = json_object_new_object ();
  for (size_t i = 0; img->config && img->config->label_keys && img->config->label_keys[i]; i++)
    json_object_object_add (labels, img->config->label_keys[i],
                            json_object_new_string (img->config->label_values[i] ? img->config->label_values[i] : ""));
  json_object_object_add (o, "Labels", labels);
  json_object_object_add (o, "Containers", json_object_new_int (0));
  json_object_object_add (o, "Names", json_object_get (json_object_object_get (o, "RepoTags")));
  json_object_object_add (o, "Digest", json_object_new_string (img->digest ? img->digest : ""));
  cleanup_free char *created_at = format_time_rfc3339 (img->created_ns);
  json_object_object_add (o, "CreatedAt", json_object_new_string (created_at));
  return o;
}

/* podman's image filters (libimage): values of one key are ORed, except labels, which must all match; different
 * keys are ANDed. */
struct image_filters
{
  char **references; /* globs */
  int dangling;      /* -1: no filter */
  char **labels;     /* "key" or "key=value" */
  char **ids;        /* ID prefixes */
  bool before_set, since_set;
  uint64_t before_ns, since_ns;
};

static void
image_filters_release (struct image_filters *f)
{
  strv_free (f->references);
  strv_free (f->labels);
  strv_free (f->ids);
}

/* created time of the image that before=/since= name */
static int
filter_image_time (struct skiff_store *s, const char *ref, uint64_t *ns, skiff_error_t *err)
{
  struct skiff_image *img = NULL;
  if (skiff_store_image_lookup (s, ref, &img, err) < 0)
    return -1;
  *ns = img->created_ns;
  skiff_image_free (img);
  return 0;
}

static int
image_filters_parse (struct skiff_store *s, char **specs, struct image_filters *f, skiff_error_t *err)
{
  memset (f, 0, sizeof *f);
  f->dangling = -1;
  for (size_t i = 0; specs && specs[i]; i++)
    {
      const char *eq = strchr (specs[i], '=');
      if (eq == NULL || eq == specs[i])
        return skiff_error_set (err, 0, "invalid image filter \"%s\": must be in the format \"filter=value\"",
                                specs[i]);
      cleanup_free char *key = xstrndup (specs[i], (size_t) (eq - specs[i]));
      const char *value = eq + 1;
      if (strcmp (key, "reference") == 0)
        strv_push (&f->references, value);
      else if (strcmp (key, "dangling") == 0)
        {
          if (strcmp (value, "true") == 0)
            f->dangling = 1;
          else if (strcmp (value, "false") == 0)
            f->dangling = 0;
          else
            return skiff_error_set (err, 0, "invalid value \"%s\" for the dangling filter: use true or false", value);
        }
      else if (strcmp (key, "label") == 0)
        strv_push (&f->labels, value);
      else if (strcmp (key, "id") == 0)
        strv_push (&f->ids, value);
      else if (strcmp (key, "before") == 0 || strcmp (key, "since") == 0 || strcmp (key, "after") == 0)
        {
          bool before = key[0] == 'b'; /* after is podman's other name for since */
          uint64_t ns;
          if (filter_image_time (s, value, &ns, err) < 0)
            return -1;
          /* several: the tightest bound */
          if (before && (!f->before_set || ns < f->before_ns))
            f->before_ns = ns;
          if (!before && (!f->since_set || ns > f->since_ns))
            f->since_ns = ns;
          if (before)
            f->before_set = true;
          else
            f->since_set = true;
        }
      else
        return skiff_error_set (err, 0,
                                "unsupported image filter \"%s\" (skiff knows reference, dangling, label, "
                                "before, since (after) and id)",
                                key);
    }
  return 0;
}

static bool
image_has_label (const struct skiff_image *img, const char *spec)
{
  const char *eq = strchr (spec, '=');
  size_t klen = eq ? (size_t) (eq - spec) : strlen (spec);
  const struct skiff_image_config *c = img->config;
  for (size_t i = 0; c && c->label_keys && c->label_keys[i]; i++)
    if (strlen (c->label_keys[i]) == klen && strncmp (c->label_keys[i], spec, klen) == 0
        && (eq == NULL || strcmp (c->label_values[i] ? c->label_values[i] : "", eq + 1) == 0))
      return true;
  return false;
}

/* the image-level filters (all but reference) */
static bool
image_passes (const struct skiff_image *img, const struct image_filters *f)
{
  bool dangling = img->names == NULL || img->names[0] == NULL;
  if (f->dangling >= 0 && dangling != (f->dangling == 1))
    return false;
  for (size_t i = 0; f->labels && f->labels[i]; i++)
    if (!image_has_label (img, f->labels[i]))
      return false;
  if (f->before_set && !(img->created_ns < f->before_ns))
    return false;
  if (f->since_set && !(img->created_ns > f->since_ns))
    return false;
  if (f->ids)
    {
      bool any = false;
      for (size_t i = 0; !any && f->ids[i]; i++)
        any = str_has_prefix (img->id, f->ids[i]);
      if (!any)
        return false;
    }
  return true;
}

/* Glob match of one pattern against a name as podman does (path.Match: '*' stops at '/'), tried on the name with
 * and without its tag and on every trailing part of them, so "busybox" and "bus*" match
 * "docker.io/library/busybox:latest" and "localhost/busybox:latest". */
static bool
reference_matches (const char *pattern, const char *name)
{
  cleanup_free char *repo = NULL, *tag = NULL;
  split_name (name, &repo, &tag);
  const char *candidates[] = { name, repo };
  for (size_t c = 0; c < ARRAY_SIZE (candidates); c++)
    for (const char *p = candidates[c]; p; p = strchr (p, '/') ? strchr (p, '/') + 1 : NULL)
      if (fnmatch (pattern, p, FNM_PATHNAME) == 0)
        return true;
  return false;
}

static bool
name_passes (const char *name, const struct image_filters *f)
{
  if (f->references == NULL)
    return true;
  for (size_t i = 0; f->references[i]; i++)
    if (reference_matches (f->references[i], name))
      return true;
  return false;
}

static int
images_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct images_args a = { 0 };
  int first = cli_parse (&cli_images_command, "images", argc, argv, images_cb, &a);
  cleanup_strv char **filter_specs = steal_pointer (&a.filters);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (argc - first > 1)
    return cli_usage_error ("images", "accepts at most 1 arg(s), received %d", argc - first);
  static const char *const sorts[] = { "created", "id", "repository", "size", "tag" };
  const char *sort = a.sort ? a.sort : "created";
  bool sort_ok = false;
  for (size_t i = 0; i < ARRAY_SIZE (sorts); i++)
    sort_ok |= strcmp (sort, sorts[i]) == 0;
  if (!sort_ok)
    {
      skiff_error_t serr = NULL;
      skiff_error_set (
          &serr, 0, "\"%s\" is not a valid field for sorting. Choose from: id, repository, size, tag, created", sort);
      return cli_fail (&serr);
    }
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image **imgs = NULL;
  size_t n = 0;
  struct image_filters filters = { .dangling = -1 };
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_store (e, &s, &err) < 0
      || image_filters_parse (s, filter_specs, &filters, &err) < 0 || skiff_store_image_list (s, &imgs, &n, &err) < 0)
    {
      image_filters_release (&filters);
      return cli_fail (&err);
    }
  qsort (imgs, n, sizeof *imgs, strcmp (sort, "size") == 0 ? by_size : by_created);
  const char *filter = first < argc ? argv[first] : NULL;
  cleanup_free char *filter_norm = filter ? skiff_reference_normalize (filter, NULL) : NULL;
  json_object *rows = json_object_new_array ();
  json_object *full = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      struct skiff_image *img = imgs[i];
      bool any = false;
      if (!image_passes (img, &filters))
        {
          skiff_image_free (img);
          continue;
        }
      /* a name by digest (pull NAME@sha256:...) is listed only for an image without a tag, as podman */
      bool tagged = false;
      for (size_t k = 0; img->names && img->names[k]; k++)
        tagged |= strchr (img->names[k], '@') == NULL;
      for (size_t k = 0; img->names && img->names[k]; k++)
        {
          if (!name_passes (img->names[k], &filters) || (tagged && strchr (img->names[k], '@')))
            continue;
          if (filter && strcmp (img->names[k], filter) != 0
              && !(filter_norm && strcmp (img->names[k], filter_norm) == 0))
            {
              /* a bare repository filter matches every tag of it */
              cleanup_free char *repo = NULL, *tag = NULL;
              split_name (img->names[k], &repo, &tag);
              if (strcmp (repo, filter) != 0
                  && !(filter_norm && str_has_prefix (filter_norm, repo) && filter_norm[strlen (repo)] == ':'
                       && strchr (filter, ':') == NULL))
                continue;
            }
          json_object_array_add (rows, image_row (img, img->names[k], a.notrunc));
          any = true;
        }
      /* an image without names shows as <none>, unless a name was asked for */
      bool show_unnamed = (img->names == NULL || img->names[0] == NULL) && !filter && filters.references == NULL;
      if (show_unnamed)
        json_object_array_add (rows, image_row (img, NULL, a.notrunc));
      if (any || show_unnamed)
        json_object_array_add (full, image_json (img));
      skiff_image_free (img);
    }
  free (imgs);
  image_filters_release (&filters);
  if (strcmp (sort, "repository") == 0)
    json_object_array_sort (rows, rows_by_repository);
  else if (strcmp (sort, "tag") == 0)
    json_object_array_sort (rows, rows_by_tag);
  else if (strcmp (sort, "id") == 0)
    json_object_array_sort (rows, rows_by_id);
  int ret = 0;
  if (a.quiet)
    {
      /* one line per image, not per name */
      for (size_t i = 0; i < json_object_array_length (full); i++)
        {
          const char *id = json_object_get_string (json_object_object_get (json_object_array_get_idx (full, i), "Id"));
          if (a.notrunc)
            printf ("sha256:%s\n", id);
          else
            printf ("%.12s\n", id);
        }
    }
  else if (a.format && strcmp (a.format, "json") == 0)
    ret = cli_print_formatted ("images", "json", full, false, NULL, false);
  else
    {
      json_object *headers = json_object_new_object ();
      json_object_object_add (headers, "ID", json_object_new_string ("IMAGE ID"));
      const char *fmt = a.format    ? a.format
                        : a.digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
                                    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}";
      ret = cli_print_formatted ("images", fmt, rows, false, headers, a.noheading);
      json_object_put (headers);
    }
  json_object_put (rows);
  json_object_put (full);
  return ret;
}

/* ---- rmi ---- */

enum
{
  R_FORCE,
  R_ALL,
  R_IGNORE,
};

static const struct cli_option rmi_options[] = {
  [R_FORCE] = { "force", 'f', optional_argument, NULL, "Force Removal of the image" },
  [R_ALL] = { "all", 'a', optional_argument, NULL, "Remove all images" },
  [R_IGNORE] = { "ignore", 'i', optional_argument, NULL, "Ignore errors if a specified image does not exist" },
  { 0 },
};

static int rmi_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_rmi_command = {
  .name = "rmi",
  .summary = "Remove one or more images from local storage",
  .usage = "[options] IMAGE [IMAGE...]",
  .options = rmi_options,
  .fn = rmi_main,
};

struct rmi_args
{
  bool force, all, ignore;
};

static int
rmi_cb (int id, const char *arg, void *data)
{
  struct rmi_args *a = data;
  bool ok = true;
  if (id == R_FORCE)
    a->force = cli_bool (arg, &ok);
  else if (id == R_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == R_IGNORE)
    a->ignore = cli_bool (arg, &ok);
  return 0;
}

/* podman rmi's exit codes: 1 an image did not exist, 2 an image is in use, 125 anything else */
#define RMI_EXIT_NOT_FOUND 1
#define RMI_EXIT_IN_USE 2

static int
rmi_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct rmi_args a = { 0 };
  int first = cli_parse (&cli_rmi_command, "rmi", argc, argv, rmi_cb, &a);
  if (first < 0)
    return first == -2 ? 0 : SKIFF_EXIT_ERROR;
  if (first >= argc && !a.all)
    return cli_usage_error ("rmi", "image name or ID must be specified");
  if (first < argc && a.all)
    return cli_usage_error ("rmi", "when using the --all switch, you may not pass any images names or IDs");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  if (cli_engine (cli, &e, &err) < 0 || skiff_engine_store (e, &s, &err) < 0)
    return cli_fail (&err);
  cleanup_strv char **refs = NULL;
  if (a.all)
    {
      struct skiff_image **imgs = NULL;
      size_t n = 0;
      if (skiff_store_image_list (s, &imgs, &n, &err) < 0)
        return cli_fail (&err);
      for (size_t i = 0; i < n; i++)
        {
          strv_push (&refs, imgs[i]->id);
          skiff_image_free (imgs[i]);
        }
      free (imgs);
    }
  else
    for (int i = first; i < argc; i++)
      strv_push (&refs, argv[i]);
  int ret = 0;
  for (size_t i = 0; refs && refs[i]; i++)
    {
      cleanup_strv char **untagged = NULL;
      cleanup_strv char **deleted = NULL;
      if (skiff_engine_image_remove (e, refs[i], a.force, a.all, &untagged, &deleted, &err) < 0)
        {
          int status = err->status;
          if (status == ENOENT && (a.ignore || a.force))
            {
              skiff_error_release (&err);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          skiff_error_release (&err);
          int code = status == ENOENT ? RMI_EXIT_NOT_FOUND : status == EBUSY ? RMI_EXIT_IN_USE : SKIFF_EXIT_ERROR;
          if (ret == 0 || code == SKIFF_EXIT_ERROR)
            ret = code;
          continue;
        }
      for (size_t k = 0; untagged && untagged[k]; k++)
        printf ("Untagged: %s\n", untagged[k]);
      for (size_t k = 0; deleted && deleted[k]; k++)
        printf ("Deleted: %s\n", deleted[k]);
    }
  return ret;
}

/* ---- the image group ---- */

static int image_main (struct skiff_cli *cli, int argc, char **argv);

static const struct cli_command image_subcommands[] = {
  { .name = "import",
    .summary = "Import a tarball to create a filesystem image",
    .usage = "[options] PATH [REFERENCE]",
    .options = import_options,
    .fn = import_main },
  { .name = "list",
    .summary = "List images in local storage",
    .usage = "[options] [IMAGE]",
    .options = images_options,
    .fn = images_main,
    .aliases = { "ls" } },
  { .name = "rm",
    .summary = "Remove one or more images from local storage",
    .usage = "[options] IMAGE [IMAGE...]",
    .options = rmi_options,
    .fn = rmi_main },
  { .name = "inspect",
    .summary = "Display the configuration of an image",
    .usage = "[options] IMAGE [IMAGE...]",
    .fn = cli_image_inspect_main },
  { .name = "history",
    .summary = "Show history of a specified image",
    .usage = "[options] IMAGE",
    .fn = cli_image_history_main },
  { .name = "tag",
    .summary = "Add an additional name to a local image",
    .usage = "IMAGE TARGET_NAME [TARGET_NAME...]",
    .fn = cli_image_tag_main },
  { .name = "untag",
    .summary = "Remove a name from a local image",
    .usage = "IMAGE [IMAGE...]",
    .fn = cli_image_untag_main },
  { .name = "exists",
    .summary = "Check if an image exists in local storage",
    .usage = "IMAGE",
    .fn = cli_image_exists_main },
  { .name = "prune", .summary = "Remove unused images", .usage = "[options]", .fn = cli_image_prune_main },
  { 0 },
};

/* the verbs of `image` that are top-level commands too */
static const struct cli_command *const image_also[] = {
  &cli_load_command, &cli_pull_command, &cli_push_command, &cli_save_command, NULL,
};

const struct cli_command cli_image_command = {
  .name = "image",
  .summary = "Manage images",
  .usage = "COMMAND",
  .subcommands = image_subcommands,
  .also = image_also,
  .fn = image_main,
};

/* podman's top-level history is image history */
const struct cli_command cli_history_command = {
  .name = "history",
  .summary = "Show history of a specified image",
  .usage = "[options] IMAGE",
  .fn = cli_image_history_main,
};

static int
image_main (struct skiff_cli *cli, int argc, char **argv)
{
  return cli_group_main (&cli_image_command, cli, argc, argv);
}
