/* Private to src/image: the TOML-subset reader of toml.c, which registries_conf.c reads registries.conf
 * with. Functions shared between the two carry the toml_ prefix; nothing outside src/image uses them. */
#ifndef SKIFF_IMAGE_TOML_H
#define SKIFF_IMAGE_TOML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* ---- values as a tree ---- */

enum tval_kind
{
  TV_STRING,
  TV_BOOL,
  TV_INT,
  TV_FLOAT,
  TV_ARRAY,
  TV_TABLE,
};

struct tval
{
  enum tval_kind kind;
  int line;
  char *str;
  bool b;
  long long i;
  double f;
  /* arrays */
  struct tval **items;
  size_t n_items;
  bool is_aot; /* made by [[header]]: more tables may be appended */
  /* tables */
  char **keys;
  struct tval **vals;
  size_t n_keys;
  bool is_explicit; /* defined by its own [header] */
  bool is_inline;   /* an inline table or static array: closed once written */
};

/* Parse data into a tree whose root is a table; errors are "name:line: message" with EINVAL. */
int toml_parse (const char *data, size_t len, const char *name, struct tval **out, skiff_error_t *err);
void toml_tval_free (struct tval *v);
/* The value of key in the table t, or NULL. */
struct tval *toml_tbl_get (const struct tval *t, const char *key);

/* ---- helpers registries_conf.c shares ---- */

/* A growing NUL-terminated string. */
struct buf
{
  char *s;
  size_t n, cap;
};

void toml_buf_add (struct buf *b, const char *s, size_t n);

#endif
