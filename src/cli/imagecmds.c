/* skiff image inspect, history, tag, untag, exists, prune: podman's flags, output and exit codes over the
 * store API (storage/storage.h); names are looked up as podman does (engine/images.h: aliases too). */
#include <ftw.h>

#include "cli/cli.h"
#include "format/format.h"
#include "engine/images.h"

/* podman history truncates CREATED BY to this many characters, the last three being "..." */
#define HISTORY_CREATED_BY_MAX 45
#define SHORT_ID_LEN 12

static int
parse_fail (int first)
{
  return first == -2 ? 0 : SKIFF_EXIT_ERROR;
}

static int
open_store (struct skiff_cli *cli, struct skiff_engine **e, struct skiff_store **s, skiff_error_t *err)
{
  return cli_engine (cli, e, err) < 0 || skiff_engine_store (*e, s, err) < 0 ? -1 : 0;
}

/* ---- image inspect ---- */

static json_object *
raw_get (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (o && json_object_is_type (o, json_type_object) && json_object_object_get_ex (o, key, &v))
    return v;
  return NULL;
}

static json_object *
str_or_empty (const char *s)
{
  return json_object_new_string (s ? s : "");
}

static json_object *
strv_json (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

/* The config section with the field names and order of the OCI ImageConfig Go struct (omitempty). */
static json_object *
inspect_config (json_object *raw_cfg)
{
  static const char *const keys[] = { "User",    "ExposedPorts", "Env",    "Entrypoint", "Cmd",
                                      "Volumes", "WorkingDir",   "Labels", "StopSignal", "ArgsEscaped" };
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      json_object *v = raw_get (raw_cfg, keys[i]);
      if (v == NULL)
        continue;
      bool empty = (json_object_is_type (v, json_type_string) && json_object_get_string_len (v) == 0)
                   || (json_object_is_type (v, json_type_array) && json_object_array_length (v) == 0)
                   || (json_object_is_type (v, json_type_object) && json_object_object_length (v) == 0)
                   || (json_object_is_type (v, json_type_boolean) && !json_object_get_boolean (v));
      if (!empty)
        json_object_object_add (o, keys[i], json_object_get (v));
    }
  return o;
}

/* History entries as Go's ociv1.History marshals them: created, created_by, author, comment, empty_layer */
static json_object *
inspect_history (json_object *raw_history)
{
  static const char *const keys[] = { "created", "created_by", "author", "comment", "empty_layer" };
  json_object *a = json_object_new_array ();
  for (size_t i = 0;
       raw_history && json_object_is_type (raw_history, json_type_array) && i < json_object_array_length (raw_history);
       i++)
    {
      json_object *h = json_object_array_get_idx (raw_history, i);
      json_object *o = json_object_new_object ();
      for (size_t k = 0; k < ARRAY_SIZE (keys); k++)
        {
          json_object *v = raw_get (h, keys[k]);
          if (v && !(json_object_is_type (v, json_type_string) && json_object_get_string_len (v) == 0)
              && !(json_object_is_type (v, json_type_boolean) && !json_object_get_boolean (v)))
            json_object_object_add (o, keys[k], json_object_get (v));
        }
      json_object_array_add (a, o);
    }
  return a;
}

/* "registry/repo:tag" -> "registry/repo" */
static char *
name_repository (const char *name)
{
  const char *at = strchr (name, '@');
  if (at)
    return xstrndup (name, (size_t) (at - name));
  const char *slash = strrchr (name, '/');
  const char *colon = strrchr (name, ':');
  if (colon && (!slash || colon > slash))
    return xstrndup (name, (size_t) (colon - name));
  return xstrdup (name);
}

static json_object *
inspect_image (struct skiff_store *s, const struct skiff_image *img)
{
  json_object *raw = img->config ? img->config->raw : NULL;
  const struct skiff_image_config *c = img->config;
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "Id", json_object_new_string (img->id));
  json_object_object_add (o, "Digest", str_or_empty (img->digest));
  json_object_object_add (o, "RepoTags", strv_json (img->names));
  json_object *digests = json_object_new_array ();
  cleanup_strv char **seen = NULL;
  for (size_t i = 0; img->digest && img->names && img->names[i]; i++)
    {
      cleanup_free char *repo = name_repository (img->names[i]);
      cleanup_free char *rd = xasprintf ("%s@%s", repo, img->digest);
      if (strv_contains (seen, rd))
        continue;
      strv_push (&seen, rd);
      json_object_array_add (digests, json_object_new_string (rd));
    }
  json_object_object_add (o, "RepoDigests", digests);
  json_object_object_add (o, "Parent", json_object_new_string (""));
  json_object *history = raw_get (raw, "history");
  json_object *comment = raw_get (raw, "comment");
  if (comment == NULL && history && json_object_is_type (history, json_type_array)
      && json_object_array_length (history) > 0)
    comment = raw_get (json_object_array_get_idx (history, 0), "comment");
  json_object_object_add (o, "Comment", json_object_new_string (comment ? json_object_get_string (comment) : ""));
  if (c && c->created)
    json_object_object_add (o, "Created", json_object_new_string (c->created));
  else
    json_object_object_add (o, "Created", json_object_new_string ("0001-01-01T00:00:00Z"));
  json_object_object_add (o, "Config", inspect_config (raw_get (raw, "config")));
  json_object *version = raw_get (raw, "docker_version");
  json_object_object_add (o, "Version", json_object_new_string (version ? json_object_get_string (version) : ""));
  json_object_object_add (o, "Author", str_or_empty (c ? c->author : NULL));
  json_object_object_add (o, "Architecture", str_or_empty (c ? c->architecture : NULL));
  json_object_object_add (o, "Os", str_or_empty (c ? c->os : NULL));
  json_object_object_add (o, "Size", json_object_new_int64 ((int64_t) img->size));
  json_object_object_add (o, "VirtualSize", json_object_new_int64 ((int64_t) img->size));

  json_object *gd = json_object_new_object ();
  const char *driver = NULL;
  skiff_error_t derr = NULL;
  if (skiff_store_driver (s, &driver, &derr) < 0)
    skiff_error_release (&derr);
  json_object_object_add (gd, "Name", str_or_empty (driver));
  json_object *data = json_object_new_object ();
  size_t nl = strv_len (img->layers);
  if (nl > 0 && driver && strcmp (driver, "vfs") != 0)
    {
      /* overlay: the top layer is UpperDir, the others (top down) LowerDir */
      char *lower = NULL;
      for (size_t i = nl - 1; i-- > 0;)
        {
          cleanup_free char *p = skiff_store_layer_path (s, img->layers[i]);
          char *l = lower ? xasprintf ("%s:%s", lower, p ? p : "") : xstrdup (p ? p : "");
          free (lower);
          lower = l;
        }
      if (lower)
        json_object_object_add (data, "LowerDir", json_object_new_string (lower));
      free (lower);
      cleanup_free char *upper = skiff_store_layer_path (s, img->layers[nl - 1]);
      json_object_object_add (data, "UpperDir", str_or_empty (upper));
    }
  else if (nl > 0)
    {
      cleanup_free char *dir = skiff_store_layer_path (s, img->layers[nl - 1]);
      json_object_object_add (data, "Dir", str_or_empty (dir));
    }
  json_object_object_add (gd, "Data", data);
  json_object_object_add (o, "GraphDriver", gd);

  json_object *rootfs = json_object_new_object ();
  json_object_object_add (rootfs, "Type", json_object_new_string ("layers"));
  json_object *layers = json_object_new_array ();
  for (size_t i = 0; img->layers && img->layers[i]; i++)
    {
      cleanup_free char *d = str_has_prefix (img->layers[i], "sha256:") ? xstrdup (img->layers[i])
                                                                        : xasprintf ("sha256:%s", img->layers[i]);
      json_object_array_add (layers, json_object_new_string (d));
    }
  json_object_object_add (rootfs, "Layers", layers);
  json_object_object_add (o, "RootFS", rootfs);

  json_object *labels = raw_get (raw_get (raw, "config"), "Labels");
  json_object_object_add (o, "Labels",
                          labels && json_object_object_length (labels) > 0 ? json_object_get (labels) : NULL);

  json_object *annotations = json_object_new_object ();
  const char *manifest_type = OCI_MEDIA_TYPE_MANIFEST;
  cleanup_free char *mdata = NULL;
  size_t mlen = 0;
  json_object *manifest = NULL;
  skiff_error_t merr = NULL;
  if (img->digest && skiff_store_blob_get (s, img->digest, &mdata, &mlen, &merr) == 0)
    manifest = json_tokener_parse (mdata);
  skiff_error_release (&merr);
  json_object *mt = raw_get (manifest, "mediaType");
  if (mt && json_object_is_type (mt, json_type_string))
    manifest_type = json_object_get_string (mt);
  json_object *ann = raw_get (manifest, "annotations");
  if (ann && json_object_is_type (ann, json_type_object))
    {
      json_object_object_foreach (ann, k, v) json_object_object_add (annotations, k, json_object_get (v));
    }
  json_object_object_add (o, "Annotations", annotations);
  json_object_object_add (o, "ManifestType", json_object_new_string (manifest_type));
  json_object_put (manifest);

  json_object_object_add (o, "User", str_or_empty (c ? c->user : NULL));
  json_object_object_add (o, "History", inspect_history (history));
  json_object_object_add (o, "NamesHistory", strv_json (img->names));
  return o;
}

int
cli_image_inspect_one (struct skiff_cli *cli, const char *name, json_object **out, skiff_error_t *err)
{
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image *img = NULL;
  if (open_store (cli, &e, &s, err) < 0 || skiff_engine_image_lookup (e, name, &img, err) < 0)
    return -1;
  *out = inspect_image (s, img);
  skiff_image_free (img);
  return 0;
}

enum
{
  IN_FORMAT,
};

static const struct cli_option inspect_options[] = {
  [IN_FORMAT] = { "format", 'f', required_argument, "string", "Format the output to a Go template or json" },
  { 0 },
};

static const struct cli_command inspect_command = {
  .name = "inspect",
  .summary = "Display the configuration of an image",
  .usage = "[options] IMAGE [IMAGE...]",
  .options = inspect_options,
  .fn = cli_image_inspect_main,
};

static int
format_cb (int id, const char *arg, void *data)
{
  (void) id;
  *(const char **) data = arg;
  return 0;
}

int
cli_image_inspect_main (struct skiff_cli *cli, int argc, char **argv)
{
  const char *format = NULL;
  int first = cli_parse (&inspect_command, "image inspect", argc, argv, format_cb, &format);
  if (first < 0)
    return parse_fail (first);
  if (first >= argc)
    return cli_usage_error ("image inspect", "requires at least 1 arg(s), only received 0");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  if (open_store (cli, &e, &s, &err) < 0)
    return cli_fail (&err);
  json_object *rows = json_object_new_array ();
  cleanup_strv char **missing = NULL;
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      struct skiff_image *img = NULL;
      if (skiff_engine_image_lookup (e, argv[i], &img, &err) < 0)
        {
          if (err->status != ENOENT)
            {
              json_object_put (rows);
              return cli_fail (&err);
            }
          skiff_error_release (&err);
          strv_push (&missing, argv[i]);
          continue;
        }
      json_object_array_add (rows, inspect_image (s, img));
      skiff_image_free (img);
    }
  if (format == NULL || skiff_format_is_json (format))
    {
      cleanup_free char *text = skiff_json_encode (rows, &SKIFF_JSON_INSPECT);
      printf ("%s\n", text);
    }
  else if (json_object_array_length (rows) > 0)
    ret = cli_print_formatted ("image", format, rows, false, NULL, false);
  json_object_put (rows);
  fflush (stdout);
  for (size_t i = 0; missing && missing[i]; i++)
    {
      fprintf (stderr, "Error: no such image: %s\n", missing[i]);
      ret = SKIFF_EXIT_ERROR;
    }
  return ret;
}

/* ---- image history ---- */

enum
{
  H_FORMAT,
  H_HUMAN,
  H_NOTRUNC,
  H_QUIET,
};

static const struct cli_option history_options[] = {
  [H_FORMAT] = { "format", 0, required_argument, "string", "Change the output to JSON or a Go template" },
  [H_HUMAN]
  = { "human", 'H', optional_argument, NULL, "Display sizes and dates in human readable format (default true)" },
  [H_NOTRUNC] = { "no-trunc", 0, optional_argument, NULL, "Do not truncate the output" },
  [H_QUIET] = { "quiet", 'q', optional_argument, NULL, "Display the numeric IDs only" },
  { 0 },
};

static const struct cli_command history_command = {
  .name = "history",
  .summary = "Show history of a specified image",
  .usage = "[options] IMAGE",
  .options = history_options,
  .fn = cli_image_history_main,
};

struct history_args
{
  const char *format;
  bool human, notrunc, quiet;
};

static int
history_cb (int id, const char *arg, void *data)
{
  struct history_args *a = data;
  bool ok;
  if (id == H_FORMAT)
    a->format = arg;
  else if (id == H_HUMAN)
    a->human = cli_bool (arg, &ok);
  else if (id == H_NOTRUNC)
    a->notrunc = cli_bool (arg, &ok);
  else if (id == H_QUIET)
    a->quiet = cli_bool (arg, &ok);
  return 0;
}

static uint64_t walk_total;

static int
walk_add (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) path;
  (void) ftw;
  if (flag == FTW_F && S_ISREG (st->st_mode))
    walk_total += (uint64_t) st->st_size;
  return 0;
}

/* A layer's size: the image's size for a one-layer image, else the file data below the extracted layer
 * (what the store counts as a layer's size). */
static uint64_t
layer_size (struct skiff_store *s, const struct skiff_image *img, size_t idx)
{
  if (strv_len (img->layers) == 1)
    return img->size;
  cleanup_free char *p = skiff_store_layer_path (s, img->layers[idx]);
  if (p == NULL)
    return 0;
  walk_total = 0;
  if (nftw (p, walk_add, 16, FTW_PHYS) < 0)
    return 0;
  return walk_total;
}

static json_object *
history_row (const char *id, uint64_t created_ns, const char *created_raw, const char *created_by, uint64_t size,
             const char *comment, char *const *tags, const struct history_args *a)
{
  json_object *r = json_object_new_object ();
  bool missing = strcmp (id, "<missing>") == 0;
  json_object_object_add (r, "ID",
                          json_object_new_string_len (id, missing || a->notrunc ? (int) strlen (id) : SHORT_ID_LEN));
  json_object_object_add (r, "id", json_object_new_string (id));
  cleanup_free char *ago = created_ns ? cli_human_duration_ago (created_ns) : xstrdup ("");
  cleanup_free char *at = created_ns ? format_time_rfc3339 (created_ns) : xstrdup ("");
  json_object_object_add (r, "Created", json_object_new_string (a->human ? ago : (created_raw ? created_raw : at)));
  json_object_object_add (r, "CreatedSince", json_object_new_string (ago));
  json_object_object_add (r, "CreatedAt", json_object_new_string (created_raw ? created_raw : at));
  json_object_object_add (r, "created", json_object_new_string (created_raw ? created_raw : at));
  const char *by = created_by ? created_by : "";
  if (!a->notrunc && strlen (by) > HISTORY_CREATED_BY_MAX)
    {
      cleanup_free char *t = xasprintf ("%.*s...", HISTORY_CREATED_BY_MAX - 3, by);
      json_object_object_add (r, "CreatedBy", json_object_new_string (t));
    }
  else
    json_object_object_add (r, "CreatedBy", json_object_new_string (by));
  json_object_object_add (r, "createdBy", json_object_new_string (by));
  cleanup_free char *hs = cli_human_size (size);
  char num[32];
  snprintf (num, sizeof num, "%llu", (unsigned long long) size);
  json_object_object_add (r, "Size", json_object_new_string (a->human ? hs : num));
  json_object_object_add (r, "size", json_object_new_int64 ((int64_t) size));
  json_object_object_add (r, "Comment", json_object_new_string (comment ? comment : ""));
  json_object_object_add (r, "comment", json_object_new_string (comment ? comment : ""));
  json_object_object_add (r, "Tags", tags ? strv_json (tags) : NULL);
  json_object_object_add (r, "tags", tags ? strv_json (tags) : NULL);
  return r;
}

/* podman's libimage.ImageHistory in --format json: id, created, createdBy, size, comment, tags */
static json_object *
history_json (json_object *row)
{
  static const char *const keys[] = { "id", "created", "createdBy", "size", "comment", "tags" };
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    json_object_object_add (o, keys[i], json_object_get (raw_get (row, keys[i])));
  return o;
}

int
cli_image_history_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct history_args a = { .human = true };
  int first = cli_parse (&history_command, "image history", argc, argv, history_cb, &a);
  if (first < 0)
    return parse_fail (first);
  if (argc - first != 1)
    return cli_usage_error ("image history", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image *img = NULL;
  if (open_store (cli, &e, &s, &err) < 0 || skiff_engine_image_lookup (e, argv[first], &img, &err) < 0)
    return cli_fail (&err);
  json_object *raw = img->config ? img->config->raw : NULL;
  json_object *hist = raw_get (raw, "history");
  size_t nh = hist && json_object_is_type (hist, json_type_array) ? json_object_array_length (hist) : 0;
  size_t nl = strv_len (img->layers);
  json_object *rows = json_object_new_array ();
  if (nh == 0)
    json_object_array_add (rows, history_row (img->id, img->created_ns, img->config ? img->config->created : NULL, NULL,
                                              img->size, NULL, img->names, &a));
  else
    {
      /* newest first; the layers belong to the entries that are not empty_layer, in order */
      size_t layer = 0;
      json_object **tmp = xmalloc0 (nh * sizeof *tmp);
      for (size_t i = 0; i < nh; i++)
        {
          json_object *h = json_object_array_get_idx (hist, i);
          json_object *empty = raw_get (h, "empty_layer");
          uint64_t size = 0;
          if (!(empty && json_object_get_boolean (empty)) && layer < nl)
            size = layer_size (s, img, layer++);
          json_object *cr = raw_get (h, "created");
          uint64_t ns = 0;
          if (cr && skiff_rfc3339_parse (json_object_get_string (cr), &ns) < 0)
            ns = 0;
          json_object *by = raw_get (h, "created_by"), *cm = raw_get (h, "comment");
          bool top = i == nh - 1;
          tmp[i] = history_row (top ? img->id : "<missing>", ns, cr ? json_object_get_string (cr) : NULL,
                                by ? json_object_get_string (by) : NULL, size, cm ? json_object_get_string (cm) : NULL,
                                top ? img->names : NULL, &a);
        }
      for (size_t i = nh; i-- > 0;)
        json_object_array_add (rows, tmp[i]);
      free (tmp);
    }
  skiff_image_free (img);
  int ret = 0;
  if (a.quiet)
    for (size_t i = 0; i < json_object_array_length (rows); i++)
      printf ("%s\n", json_object_get_string (raw_get (json_object_array_get_idx (rows, i), "ID")));
  else if (a.format && skiff_format_is_json (a.format))
    {
      json_object *out = json_object_new_array ();
      for (size_t i = 0; i < json_object_array_length (rows); i++)
        json_object_array_add (out, history_json (json_object_array_get_idx (rows, i)));
      cleanup_free char *text = skiff_json_encode (out, &SKIFF_JSON_INSPECT);
      printf ("%s\n", text);
      json_object_put (out);
    }
  else
    {
      json_object *headers = json_object_new_object ();
      json_object_object_add (headers, "CreatedBy", json_object_new_string ("CREATED BY"));
      const char *fmt = a.format ? a.format : "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
      ret = cli_print_formatted ("history", fmt, rows, false, headers, false);
      json_object_put (headers);
    }
  json_object_put (rows);
  return ret;
}

/* ---- tag ---- */

static const struct cli_option no_options[] = { { 0 } };

static int tag_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_tag_command = {
  .name = "tag",
  .summary = "Add an additional name to a local image",
  .usage = "IMAGE TARGET_NAME [TARGET_NAME...]",
  .options = no_options,
  .fn = tag_main,
};

static int
ignore_cb (int id, const char *arg, void *data)
{
  (void) id;
  (void) arg;
  (void) data;
  return 0;
}

static int
tag_run (struct skiff_cli *cli, const char *fullname, int argc, char **argv)
{
  int first = cli_parse (&cli_tag_command, fullname, argc, argv, ignore_cb, NULL);
  if (first < 0)
    return parse_fail (first);
  if (argc - first < 2)
    return cli_usage_error (fullname, "requires at least 2 arg(s), only received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image *img = NULL;
  /* look the image up once: every target names the same image even if a target is the source's name */
  if (open_store (cli, &e, &s, &err) < 0 || skiff_engine_image_lookup (e, argv[first], &img, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *id = xstrdup (img->id);
  skiff_image_free (img);
  for (int i = first + 1; i < argc; i++)
    if (skiff_store_image_tag (s, id, argv[i], &err) < 0)
      return cli_fail (&err);
  return 0;
}

static int
tag_main (struct skiff_cli *cli, int argc, char **argv)
{
  return tag_run (cli, "tag", argc, argv);
}

int
cli_image_tag_main (struct skiff_cli *cli, int argc, char **argv)
{
  return tag_run (cli, "image tag", argc, argv);
}

/* ---- untag ---- */

static int untag_main (struct skiff_cli *cli, int argc, char **argv);

const struct cli_command cli_untag_command = {
  .name = "untag",
  .summary = "Remove a name from a local image",
  .usage = "IMAGE [IMAGE...]",
  .options = no_options,
  .fn = untag_main,
};

static int
untag_run (struct skiff_cli *cli, const char *fullname, int argc, char **argv)
{
  int first = cli_parse (&cli_untag_command, fullname, argc, argv, ignore_cb, NULL);
  if (first < 0)
    return parse_fail (first);
  if (argc - first < 1)
    return cli_usage_error (fullname, "requires at least 1 arg(s), only received 0");
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image *img = NULL;
  if (open_store (cli, &e, &s, &err) < 0 || skiff_engine_image_lookup (e, argv[first], &img, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *id = xstrdup (img->id);
  cleanup_strv char **names = NULL;
  if (argc - first == 1)
    names = strv_dup (img->names);
  else
    for (int i = first + 1; i < argc; i++)
      {
        cleanup_free char *norm = skiff_reference_normalize (argv[i], &err);
        if (norm == NULL)
          {
            skiff_image_free (img);
            return cli_fail (&err);
          }
        if (!strv_contains (img->names, norm))
          {
            skiff_image_free (img);
            skiff_error_set (&err, 0, "%s: tag not known", norm);
            return cli_fail (&err);
          }
        strv_push (&names, norm);
      }
  skiff_image_free (img);
  for (size_t i = 0; names && names[i]; i++)
    {
      bool again = false; /* a name given twice is gone already */
      for (size_t j = 0; j < i && !again; j++)
        again = strcmp (names[j], names[i]) == 0;
      if (!again && skiff_store_image_untag (s, id, names[i], &err) < 0)
        return cli_fail (&err);
    }
  return 0;
}

static int
untag_main (struct skiff_cli *cli, int argc, char **argv)
{
  return untag_run (cli, "untag", argc, argv);
}

int
cli_image_untag_main (struct skiff_cli *cli, int argc, char **argv)
{
  return untag_run (cli, "image untag", argc, argv);
}

/* ---- image exists ---- */

/* podman image exists: 0 present, 1 absent, 125 anything else */
#define EXISTS_EXIT_ABSENT 1

static const struct cli_command exists_command = {
  .name = "exists",
  .summary = "Check if an image exists in local storage",
  .usage = "IMAGE",
  .options = no_options,
  .fn = cli_image_exists_main,
};

int
cli_image_exists_main (struct skiff_cli *cli, int argc, char **argv)
{
  int first = cli_parse (&exists_command, "image exists", argc, argv, ignore_cb, NULL);
  if (first < 0)
    return parse_fail (first);
  if (argc - first != 1)
    return cli_usage_error ("image exists", "accepts 1 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image *img = NULL;
  if (open_store (cli, &e, &s, &err) < 0)
    return cli_fail (&err);
  if (skiff_engine_image_lookup (e, argv[first], &img, &err) < 0)
    {
      if (err->status == ENOENT)
        {
          skiff_error_release (&err);
          return EXISTS_EXIT_ABSENT;
        }
      return cli_fail (&err);
    }
  skiff_image_free (img);
  return 0;
}

/* ---- image prune ---- */

enum
{
  PR_ALL,
  PR_FORCE,
};

static const struct cli_option prune_options[] = {
  [PR_ALL]
  = { "all", 'a', optional_argument, NULL, "Remove all images not in use by containers, not just dangling ones" },
  [PR_FORCE] = { "force", 'f', optional_argument, NULL, "Do not prompt for confirmation" },
  { 0 },
};

static const struct cli_command prune_command = {
  .name = "prune",
  .summary = "Remove unused images",
  .usage = "[options]",
  .options = prune_options,
  .fn = cli_image_prune_main,
};

struct prune_args
{
  bool all, force;
};

static int
prune_cb (int id, const char *arg, void *data)
{
  struct prune_args *a = data;
  bool ok;
  if (id == PR_ALL)
    a->all = cli_bool (arg, &ok);
  else if (id == PR_FORCE)
    a->force = cli_bool (arg, &ok);
  return 0;
}

int
cli_image_prune_main (struct skiff_cli *cli, int argc, char **argv)
{
  struct prune_args a = { 0 };
  int first = cli_parse (&prune_command, "image prune", argc, argv, prune_cb, &a);
  if (first < 0)
    return parse_fail (first);
  if (first < argc)
    return cli_usage_error ("image prune", "accepts 0 arg(s), received %d", argc - first);
  skiff_error_t err = NULL;
  if (!a.force)
    {
      printf ("%s\nAre you sure you want to continue? [y/N] ",
              a.all ? "WARNING! This command removes all images without at least one container associated with them."
                    : "WARNING! This command removes all dangling images.");
      fflush (stdout);
      cleanup_free char *line = NULL;
      size_t cap = 0;
      if (getline (&line, &cap, stdin) < 0)
        {
          skiff_error_set (&err, 0, "EOF");
          return cli_fail (&err);
        }
      if (line[0] != 'y' && line[0] != 'Y')
        return 0;
    }
  struct skiff_engine *e;
  struct skiff_store *s;
  struct skiff_image **imgs = NULL;
  size_t n = 0;
  if (open_store (cli, &e, &s, &err) < 0 || skiff_store_image_list (s, &imgs, &n, &err) < 0)
    return cli_fail (&err);
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      struct skiff_image *img = imgs[i];
      bool candidate = a.all || strv_len (img->names) == 0;
      if (candidate && !skiff_engine_image_in_use (img->id, e))
        {
          cleanup_strv char **untagged = NULL, **deleted = NULL;
          /* force: the in-use check is done above, and -a removes images with several names by ID */
          if (skiff_store_image_remove (s, img->id, true, NULL, NULL, &untagged, &deleted, &err) < 0)
            ret = cli_fail (&err);
          else
            printf ("%s\n", img->id);
        }
      skiff_image_free (img);
    }
  free (imgs);
  return ret;
}
