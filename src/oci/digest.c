/* sha256 digests with nettle (no provider set-up at first use, unlike OpenSSL 3's EVP, which costs about
 * 1 ms of every start): streaming contexts, one-shot hashing of a buffer or an fd, and validation of
 * "sha256:<hex>" strings. */
#include "oci/digest.h"

#include <nettle/sha2.h>

struct skiff_sha256
{
  struct sha256_ctx ctx;
};

struct skiff_sha256 *
skiff_sha256_new (void)
{
  struct skiff_sha256 *s = xmalloc0 (sizeof *s);
  sha256_init (&s->ctx);
  return s;
}

void
skiff_sha256_update (struct skiff_sha256 *s, const void *data, size_t len)
{
  if (len > 0)
    sha256_update (&s->ctx, len, data);
}

void
skiff_sha256_final (struct skiff_sha256 *s, char hex[SKIFF_DIGEST_HEX_LEN + 1])
{
  unsigned char raw[SHA256_DIGEST_SIZE];
  sha256_digest (&s->ctx, sizeof raw, raw);
  hex_encode (raw, sizeof raw, hex);
  free (s);
}

void
skiff_sha256_hex (const void *data, size_t len, char hex[SKIFF_DIGEST_HEX_LEN + 1])
{
  struct skiff_sha256 *s = skiff_sha256_new ();
  skiff_sha256_update (s, data, len);
  skiff_sha256_final (s, hex);
}

int
skiff_sha256_fd (int fd, char hex[SKIFF_DIGEST_HEX_LEN + 1], uint64_t *size, skiff_error_t *err)
{
  enum
  {
    BUF_SIZE = 64 * 1024
  };
  cleanup_free char *buf = xmalloc (BUF_SIZE);
  struct skiff_sha256 *s = skiff_sha256_new ();
  uint64_t total = 0;
  for (;;)
    {
      ssize_t r = read (fd, buf, BUF_SIZE);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          skiff_sha256_final (s, hex);
          return skiff_error_set (err, e, "read for sha256");
        }
      if (r == 0)
        break;
      skiff_sha256_update (s, buf, (size_t) r);
      total += (uint64_t) r;
    }
  skiff_sha256_final (s, hex);
  if (size)
    *size = total;
  return 0;
}

bool
skiff_hex_id_valid (const char *hex)
{
  if (hex == NULL)
    return false;
  size_t i;
  for (i = 0; hex[i]; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
      return false;
  return i == SKIFF_DIGEST_HEX_LEN;
}

const char *
skiff_digest_hex (const char *digest)
{
  if (digest == NULL)
    return NULL;
  const char *hex = str_has_prefix (digest, "sha256:") ? digest + strlen ("sha256:") : digest;
  return skiff_hex_id_valid (hex) ? hex : NULL;
}

bool
skiff_digest_valid (const char *digest)
{
  return skiff_digest_hex (digest) != NULL;
}
