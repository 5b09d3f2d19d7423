/* The one normaliser of tar member names and link targets, shared by everything that reads archives
 * (layer extraction in storage, `load` in image), so that both read a hostile name the same way. */
#ifndef SKIFF_UTIL_TARPATH_H
#define SKIFF_UTIL_TARPATH_H

/* Names longer than this are refused: the kernel could not create them, and the member tables stay small. */
#define SKIFF_TAR_PATH_MAX 4096

/* Lexically normalise a member name relative to the archive's root, as containers/storage does with
 * filepath.Clean before extracting: leading "/" (tar's absolute names) and empty or "." components are
 * dropped, ".." removes the component before it. The result has no "..", no "." and no empty component;
 * "" names the root itself. Returns 0, or (with *out NULL) -EPERM when a ".." would go above the root and
 * -ENAMETOOLONG when the name is longer than SKIFF_TAR_PATH_MAX; the caller says which archive it refuses.
 * Nothing here touches the filesystem: callers resolve the result below a directory fd without following
 * symbolic links, so a lexical ".." after a symlink in the archive can never lead outside. */
int skiff_tar_path_clean (const char *raw, char **out);

/* The member a symbolic link at member `from` points to: `target` relative to from's directory (or to the
 * root when it is absolute), normalised as above, with the same errors. */
int skiff_tar_link_resolve (const char *from, const char *target, char **out);

#endif
