/* sha256 digests (nettle), streaming, and "sha256:<hex>" strings. No I/O beyond the fd helper. */
#ifndef SKIFF_OCI_DIGEST_H
#define SKIFF_OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define SKIFF_DIGEST_HEX_LEN 64

struct skiff_sha256; /* opaque streaming context */
struct skiff_sha256 *skiff_sha256_new (void);
void skiff_sha256_update (struct skiff_sha256 *s, const void *data, size_t len);
/* Writes 64 hex chars + NUL into hex and frees s. */
void skiff_sha256_final (struct skiff_sha256 *s, char hex[SKIFF_DIGEST_HEX_LEN + 1]);
void skiff_sha256_hex (const void *data, size_t len, char hex[SKIFF_DIGEST_HEX_LEN + 1]);
/* Hash everything read from fd until EOF; *size (may be NULL) gets the byte count. */
int skiff_sha256_fd (int fd, char hex[SKIFF_DIGEST_HEX_LEN + 1], uint64_t *size, skiff_error_t *err);
/* "sha256:<64 lowercase hex>" or a bare 64-hex string. */
bool skiff_digest_valid (const char *digest);
/* The hex part of a valid digest (pointing into digest), or NULL when it is not valid. */
const char *skiff_digest_hex (const char *digest);
bool skiff_hex_id_valid (const char *hex); /* exactly 64 lowercase hex chars */

#endif
