/* Pull: manifest (an index resolved to this platform), config and layers from a registry into the store.
 * Layers stream from the network through a sha256 into skiff_store_layer_apply; the last bytes are held back
 * until the blob's digest checks, so a tampered blob ends as a truncated stream that fails the diff ID check
 * and never becomes visible. Up to PULL_PARALLEL layers download and extract at once, each worker with its
 * own registry connection; the first failure stops the others. */
#include <pthread.h>
#include <sys/socket.h>

#include "image/registry.h"
#include "oci/digest.h"

#define MAX_CONFIG (32u << 20)
/* layers in flight at once (podman's default is 6 on a fast link; 3 keeps a slow disk from thrashing) */
#define PULL_PARALLEL 3

static void
report (const struct skiff_xfer_progress *p, enum skiff_xfer_event ev, const char *digest, uint64_t done,
        uint64_t total)
{
  if (p && p->fn)
    p->fn (p->data, ev, digest, done, total);
}

/* ---- small blobs into memory ---- */

struct mem_sink
{
  char *data;
  size_t len, cap, limit;
};

static bool
mem_sink (const void *data, size_t len, void *p)
{
  struct mem_sink *m = p;
  if (m->len + len > m->limit)
    return false;
  if (m->len + len + 1 > m->cap)
    {
      m->cap = (m->len + len + 1) * 2;
      m->data = xrealloc (m->data, m->cap);
    }
  memcpy (m->data + m->len, data, len);
  m->len += len;
  m->data[m->len] = '\0';
  return true;
}

static int
fetch_small_blob (struct skiff_registry_client *reg, const char *repo, const struct skiff_oci_descriptor *d,
                  const char *what, char **out, size_t *len, skiff_error_t *err)
{
  struct mem_sink m = { .limit = d->size && d->size < MAX_CONFIG ? (size_t) d->size : MAX_CONFIG };
  int r = skiff_registry_get_blob (reg, repo, d->digest, mem_sink, &m, err);
  if (r < 0 && err && *err && (*err)->status == ECANCELED)
    {
      skiff_error_release (err);
      r = skiff_error_set_status (err, EINVAL,
                                  "%s %s is larger than its descriptor's %llu bytes (corrupt or tampered content)",
                                  what, d->digest, (unsigned long long) d->size);
    }
  cleanup_free char *label = xasprintf ("%s %s", what, d->digest);
  if (r == 0 && (r = skiff_digest_verify (m.data ? m.data : "", m.len, d->digest, label, err)) == 0)
    {
      *out = m.data ? m.data : xstrdup ("");
      *len = m.len;
      return 0;
    }
  free (m.data);
  return r;
}

/* ---- one layer: a download thread feeds a socket that skiff_store_layer_apply reads ---- */

struct layer_feed
{
  struct skiff_registry_client *reg;
  const char *repo;
  const struct skiff_oci_descriptor *desc;
  const struct skiff_xfer_progress *progress;
  int sock;
  struct skiff_sha256 *sha;
  uint64_t got;
  char *held; /* the latest chunk, sent only once the next arrives or the digest checks */
  size_t held_len, held_cap;
  bool too_big;
  const bool *stop;  /* another layer failed: abandon this one */
  char *const *urls; /* a foreign layer's urls, tried before the registry */
  skiff_error_t err;
};

static bool
send_all (int fd, const char *p, size_t n)
{
  while (n > 0)
    {
      ssize_t w = send (fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      p += w;
      n -= (size_t) w;
    }
  return true;
}

static bool
feed_sink (const void *data, size_t len, void *p)
{
  struct layer_feed *f = p;
  if (f->stop && __atomic_load_n (f->stop, __ATOMIC_RELAXED))
    return false;
  f->got += len;
  if (f->desc->size && f->got > f->desc->size)
    {
      f->too_big = true;
      return false;
    }
  skiff_sha256_update (f->sha, data, len);
  if (f->held_len && !send_all (f->sock, f->held, f->held_len))
    return false; /* the reader gave up: its error says why */
  if (len > f->held_cap)
    f->held = xrealloc (f->held, f->held_cap = len);
  memcpy (f->held, data, len);
  f->held_len = len;
  report (f->progress, SKIFF_XFER_BLOB_PROGRESS, f->desc->digest, f->got, f->desc->size);
  return true;
}

static void *
feed_thread (void *p)
{
  struct layer_feed *f = p;
  int r = -1;
  /* a foreign layer comes from its urls, as podman fetches it; the registry is the fallback while nothing has
   * been received */
  for (size_t i = 0; r < 0 && f->urls && f->urls[i] && f->got == 0; i++)
    {
      skiff_error_release (&f->err);
      r = skiff_registry_get_url (f->reg, f->urls[i], feed_sink, f, &f->err);
      if (r < 0)
        log_debug ("foreign layer %s: %s", f->desc->digest, f->err ? f->err->msg : "failed");
    }
  if (r < 0 && f->got == 0)
    {
      skiff_error_release (&f->err);
      r = skiff_registry_get_blob (f->reg, f->repo, f->desc->digest, feed_sink, f, &f->err);
    }
  char hex[SKIFF_DIGEST_HEX_LEN + 1];
  skiff_sha256_final (f->sha, hex);
  f->sha = NULL;
  if (f->too_big)
    {
      skiff_error_release (&f->err);
      skiff_error_set_status (&f->err, EINVAL,
                              "blob %s is larger than its descriptor's %llu bytes (corrupt or tampered content)",
                              f->desc->digest, (unsigned long long) f->desc->size);
    }
  else if (r < 0 && f->err && f->err->status == ECANCELED)
    skiff_error_release (&f->err); /* the reader stopped first: its error is the one to show */
  else if (r == 0 && strcmp (hex, skiff_digest_hex (f->desc->digest)) != 0)
    skiff_error_set_status (
        &f->err, EINVAL, "digest mismatch for blob %s: got sha256:%s (corrupt or tampered content; nothing was stored)",
        f->desc->digest, hex);
  else if (r == 0 && f->desc->size && f->got != f->desc->size)
    skiff_error_set_status (&f->err, EINVAL, "blob %s: expected %llu bytes, got %llu (nothing was stored)",
                            f->desc->digest, (unsigned long long) f->desc->size, (unsigned long long) f->got);
  else if (r == 0 && f->held_len)
    send_all (f->sock, f->held, f->held_len); /* verified: release the tail */
  close (f->sock);
  f->sock = -1;
  return NULL;
}

static int
pull_layer (struct skiff_store *s, struct skiff_registry_client *reg, const char *repo,
            const struct skiff_oci_descriptor *d, char *const *urls, const char *diff_id,
            const struct skiff_xfer_progress *progress, const bool *stop, skiff_error_t *err)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return skiff_error_set (err, errno, "socketpair");
  struct layer_feed f = { .reg = reg,
                          .repo = repo,
                          .desc = d,
                          .progress = progress,
                          .sock = sv[1],
                          .sha = skiff_sha256_new (),
                          .stop = stop,
                          .urls = urls };
  report (progress, SKIFF_XFER_BLOB_START, d->digest, 0, d->size);
  pthread_t th;
  int e = pthread_create (&th, NULL, feed_thread, &f);
  if (e != 0)
    {
      close (sv[0]);
      close (sv[1]);
      skiff_sha256_final (f.sha, (char[SKIFF_DIGEST_HEX_LEN + 1]){ 0 });
      return skiff_error_set (err, e, "start a download thread");
    }
  skiff_error_t apply_err = NULL;
  int r = skiff_store_layer_apply (s, sv[0], diff_id, NULL, &apply_err);
  /* unblock the writer if the reader stopped early */
  shutdown (sv[0], SHUT_RDWR);
  pthread_join (th, NULL);
  close (sv[0]);
  free (f.held);
  if (f.err)
    {
      skiff_error_release (&apply_err);
      *err = f.err;
      return -1;
    }
  if (r < 0)
    {
      *err = apply_err;
      return skiff_error_wrap (err, "applying blob %s", d->digest);
    }
  report (progress, SKIFF_XFER_BLOB_DONE, d->digest, d->size, d->size);
  return 0;
}

/* ---- the layers of one image, PULL_PARALLEL at a time ---- */

struct layer_pool
{
  struct skiff_store *s;
  struct skiff_registry_client *reg; /* the pull's client: each worker works on a copy */
  const char *repo;
  const struct skiff_oci_manifest *m;
  const char *manifest_json;
  char *const *diff_ids;
  size_t *todo, n_todo, next;
  pthread_mutex_t mu;
  bool stop;         /* written under mu, read by the sinks without it */
  skiff_error_t err; /* the first failure */
  const struct skiff_xfer_progress *user;
  pthread_mutex_t progress_mu;
  struct skiff_xfer_progress progress; /* user's, one call at a time */
};

static void
pool_report (void *data, enum skiff_xfer_event ev, const char *digest, uint64_t done, uint64_t total)
{
  struct layer_pool *p = data;
  pthread_mutex_lock (&p->progress_mu);
  report (p->user, ev, digest, done, total);
  pthread_mutex_unlock (&p->progress_mu);
}

static void
pool_fail (struct layer_pool *p, skiff_error_t *err)
{
  pthread_mutex_lock (&p->mu);
  if (!p->stop)
    {
      __atomic_store_n (&p->stop, true, __ATOMIC_RELAXED);
      p->err = *err;
      *err = NULL;
    }
  pthread_mutex_unlock (&p->mu);
  skiff_error_release (err); /* a consequence of the first failure (stopped), not a cause */
}

static void *
pool_worker (void *data)
{
  struct layer_pool *p = data;
  skiff_error_t err = NULL;
  struct skiff_registry_client *reg = NULL;
  if (skiff_registry_dup (p->reg, &reg, &err) < 0)
    {
      pool_fail (p, &err);
      return NULL;
    }
  for (;;)
    {
      pthread_mutex_lock (&p->mu);
      bool done = p->stop || p->next == p->n_todo;
      size_t i = done ? 0 : p->todo[p->next++];
      pthread_mutex_unlock (&p->mu);
      if (done)
        break;
      cleanup_strv char **urls = skiff_media_type_is_foreign (p->m->layers[i].media_type)
                                     ? skiff_manifest_layer_urls (p->manifest_json, i)
                                     : NULL;
      if (pull_layer (p->s, reg, p->repo, &p->m->layers[i], urls, p->diff_ids[i], &p->progress, &p->stop, &err) < 0)
        {
          pool_fail (p, &err);
          break;
        }
    }
  skiff_registry_free (reg);
  return NULL;
}

static int
pull_layers (struct skiff_store *s, struct skiff_registry_client *reg, const char *repo,
             const struct skiff_oci_manifest *m, const char *manifest_json, char *const *diff_ids,
             const struct skiff_xfer_progress *progress, skiff_error_t *err)
{
  struct layer_pool p = { .s = s,
                          .reg = reg,
                          .repo = repo,
                          .m = m,
                          .manifest_json = manifest_json,
                          .diff_ids = diff_ids,
                          .user = progress,
                          .progress = { pool_report, NULL } };
  p.progress.data = &p;
  p.todo = xmalloc0 ((m->n_layers + 1) * sizeof *p.todo);
  for (size_t i = 0; i < m->n_layers; i++)
    {
      /* present, or the same layer earlier in this image (empty layers repeat): podman's "skipped" */
      bool dup = false;
      for (size_t j = 0; j < p.n_todo && !dup; j++)
        dup = strcmp (diff_ids[p.todo[j]], diff_ids[i]) == 0;
      if (dup || skiff_store_layer_exists (s, diff_ids[i]))
        report (progress, SKIFF_XFER_BLOB_SKIPPED, m->layers[i].digest, 0, m->layers[i].size);
      else
        p.todo[p.n_todo++] = i;
    }
  pthread_mutex_init (&p.mu, NULL);
  pthread_mutex_init (&p.progress_mu, NULL);
  size_t n_threads = p.n_todo < PULL_PARALLEL ? p.n_todo : PULL_PARALLEL;
  pthread_t th[PULL_PARALLEL];
  size_t started = 0;
  int ret = 0;
  for (; started < n_threads; started++)
    {
      int e = pthread_create (&th[started], NULL, pool_worker, &p);
      if (e != 0)
        {
          skiff_error_t terr = NULL;
          skiff_error_set (&terr, e, "start a download thread");
          if (started == 0)
            pool_fail (&p, &terr);
          else
            skiff_error_release (&terr); /* fewer workers will do */
          break;
        }
    }
  for (size_t i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  if (p.err)
    {
      *err = p.err;
      ret = -1;
    }
  pthread_mutex_destroy (&p.mu);
  pthread_mutex_destroy (&p.progress_mu);
  free (p.todo);
  return ret;
}

int
skiff_image_pull (struct skiff_store *s, const struct skiff_pull_options *o, char **id_out, skiff_error_t *err)
{
  struct skiff_image_ref ref;
  if (skiff_image_ref_parse (o->reference, &ref, err) < 0)
    return -1;
  cleanup_free char *refstr = skiff_image_ref_string (&ref);
  const char *hos, *harch, *hvariant;
  skiff_platform_host (&hos, &harch, &hvariant);
  const char *os = o->os ? o->os : hos;
  const char *arch = o->arch ? o->arch : harch;
  const char *variant = o->variant ? o->variant : (o->arch ? NULL : hvariant);

  struct skiff_registry_client *reg = NULL;
  cleanup_free char *manifest = NULL, *media_type = NULL, *config = NULL;
  size_t mlen = 0, clen = 0;
  struct skiff_oci_index *idx = NULL;
  struct skiff_oci_manifest *m = NULL;
  struct skiff_image_config *cfg = NULL;
  int ret = skiff_registry_open (&o->reg, ref.registry, &reg, err);
  if (ret == 0)
    {
      cleanup_free char *scope = xasprintf ("repository:%s:pull", ref.repository);
      skiff_registry_add_scope (reg, scope);
      ret = skiff_registry_get_manifest (reg, ref.repository, ref.digest ? ref.digest : ref.tag, &manifest, &mlen,
                                         &media_type, err);
    }
  if (ret == 0 && ref.digest)
    ret = skiff_digest_verify (manifest, mlen, ref.digest, "manifest", err);
  if (ret == 0 && skiff_manifest_is_index (media_type, manifest, mlen))
    {
      size_t i;
      ret = skiff_oci_index_parse (manifest, mlen, &idx, err);
      if (ret == 0)
        ret = skiff_index_select (idx, os, arch, variant, &i, err);
      if (ret == 0)
        {
          cleanup_free char *digest = xstrdup (idx->manifests[i].digest);
          free (manifest);
          free (media_type);
          manifest = media_type = NULL;
          ret = skiff_registry_get_manifest (reg, ref.repository, digest, &manifest, &mlen, &media_type, err);
          if (ret == 0)
            ret = skiff_digest_verify (manifest, mlen, digest, "manifest", err);
        }
    }
  if (ret == 0 && media_type && str_has_prefix (media_type, "application/vnd.docker.distribution.manifest.v1+"))
    ret = skiff_error_set_status (err, ENOTSUP,
                                  "%s is a Docker schema 1 manifest, which skiff does not pull: push the image "
                                  "again with a current tool",
                                  refstr);
  if (ret == 0)
    ret = skiff_oci_manifest_parse (manifest, mlen, &m, err);
  bool source_ready = ret == 0;
  if (ret == 0)
    {
      report (&o->progress, SKIFF_XFER_SIGNATURES, NULL, 0, 0);
      ret = fetch_small_blob (reg, ref.repository, &m->config, "config", &config, &clen, err);
    }
  if (ret == 0)
    ret = skiff_image_config_parse (config, clen, &cfg, err);
  if (ret == 0 && strv_len (cfg->diff_ids) != m->n_layers)
    ret = skiff_error_set_status (err, EINVAL, "the image config lists %zu layers but the manifest %zu: a broken image",
                                  strv_len (cfg->diff_ids), m->n_layers);
  if (ret == 0)
    ret = pull_layers (s, reg, ref.repository, m, manifest, cfg->diff_ids, &o->progress, err);
  if (ret == 0)
    {
      report (&o->progress, SKIFF_XFER_CONFIG, m->config.digest, m->config.size, m->config.size);
      report (&o->progress, SKIFF_XFER_MANIFEST, NULL, 0, 0);
      cleanup_free char *name = NULL;
      if (o->name)
        {
          struct skiff_image_ref nref;
          if (skiff_image_ref_parse (o->name, &nref, err) == 0)
            {
              name = skiff_image_ref_string (&nref);
              skiff_image_ref_release (&nref);
            }
          else
            ret = -1;
        }
      char *const names[] = { name ? name : refstr, NULL };
      if (ret == 0)
        ret = skiff_store_image_create (s, manifest, mlen, config, clen, names, id_out, err);
    }
  skiff_oci_index_free (idx);
  skiff_oci_manifest_free (m);
  skiff_image_config_free (cfg);
  skiff_registry_free (reg);
  skiff_image_ref_release (&ref);
  if (ret < 0 && !source_ready)
    {
      cleanup_free char *src = xasprintf ("docker://%s", refstr);
      return skiff_error_wrap (err, "initializing source %s", src);
    }
  return ret;
}

int
skiff_image_remote_digest (const struct skiff_pull_options *o, char **digest_out, skiff_error_t *err)
{
  struct skiff_image_ref ref;
  if (skiff_image_ref_parse (o->reference, &ref, err) < 0)
    return -1;
  const char *hos, *harch, *hvariant;
  skiff_platform_host (&hos, &harch, &hvariant);
  const char *os = o->os ? o->os : hos;
  const char *arch = o->arch ? o->arch : harch;
  const char *variant = o->variant ? o->variant : (o->arch ? NULL : hvariant);
  struct skiff_registry_client *reg = NULL;
  cleanup_free char *manifest = NULL, *media_type = NULL;
  size_t mlen = 0;
  int ret = skiff_registry_open (&o->reg, ref.registry, &reg, err);
  if (ret == 0)
    {
      cleanup_free char *scope = xasprintf ("repository:%s:pull", ref.repository);
      skiff_registry_add_scope (reg, scope);
      ret = skiff_registry_get_manifest (reg, ref.repository, ref.digest ? ref.digest : ref.tag, &manifest, &mlen,
                                         &media_type, err);
    }
  if (ret == 0 && skiff_manifest_is_index (media_type, manifest, mlen))
    {
      /* the image the store would keep is the platform's manifest, named in the index */
      struct skiff_oci_index *idx = NULL;
      size_t i;
      ret = skiff_oci_index_parse (manifest, mlen, &idx, err);
      if (ret == 0)
        ret = skiff_index_select (idx, os, arch, variant, &i, err);
      if (ret == 0)
        *digest_out = xstrdup (idx->manifests[i].digest);
      skiff_oci_index_free (idx);
    }
  else if (ret == 0)
    {
      char hex[SKIFF_DIGEST_HEX_LEN + 1];
      skiff_sha256_hex (manifest, mlen, hex);
      *digest_out = xasprintf ("sha256:%s", hex);
    }
  skiff_registry_free (reg);
  skiff_image_ref_release (&ref);
  return ret;
}
