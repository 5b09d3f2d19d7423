/* Tar member names: one lexical normaliser for layer extraction and image archives (util/tarpath.h). */
#include "util/tarpath.h"

#include "util/util.h"

int
skiff_tar_path_clean (const char *raw, char **out)
{
  *out = NULL;
  size_t n = strlen (raw);
  if (n > SKIFF_TAR_PATH_MAX)
    return -ENAMETOOLONG;
  char *r = xmalloc (n + 1);
  size_t len = 0;
  const char *p = raw;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *end = p + strcspn (p, "/");
      size_t cl = (size_t) (end - p);
      if (cl == 2 && p[0] == '.' && p[1] == '.')
        {
          if (len == 0)
            {
              free (r);
              return -EPERM;
            }
          /* drop the last component and the slash before it */
          while (len > 0 && r[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
        }
      else if (cl > 0 && !(cl == 1 && p[0] == '.'))
        {
          if (len > 0)
            r[len++] = '/';
          memcpy (r + len, p, cl);
          len += cl;
        }
      p = end;
    }
  r[len] = '\0';
  *out = r;
  return 0;
}

int
skiff_tar_link_resolve (const char *from, const char *target, char **out)
{
  *out = NULL;
  if (target[0] == '/')
    return skiff_tar_path_clean (target, out);
  const char *slash = strrchr (from, '/');
  if (slash == NULL)
    return skiff_tar_path_clean (target, out);
  size_t dl = (size_t) (slash - from);
  if (dl > SKIFF_TAR_PATH_MAX || strlen (target) > SKIFF_TAR_PATH_MAX)
    return -ENAMETOOLONG;
  cleanup_free char *joined = xasprintf ("%.*s/%s", (int) dl, from, target);
  return skiff_tar_path_clean (joined, out);
}
