/* libcurl, loaded on first use. libcurl pulls in OpenSSL, nghttp2, libssh2, LDAP, Kerberos and more: tens of
 * libraries whose dynamic linking every `skiff run` would pay for, although only pull, push and login talk to a
 * registry. So skiff does not link it: these definitions forward to the library opened with dlopen(3) the
 * first time one is called (the same shape as archive_dl.c). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/util.h"

#define LIBCURL_SONAME "libcurl.so.4"

/* X(return type, name, parameters, arguments) */
#define CURL_FUNCTIONS_CALL_THROUGH                             \
  X (void, curl_easy_cleanup, (CURL * c), (c))                  \
  X (CURLcode, curl_easy_perform, (CURL * c), (c))              \
  X (void, curl_easy_reset, (CURL * c), (c))                    \
  X (const char *, curl_easy_strerror, (CURLcode code), (code)) \
  X (void, curl_slist_free_all, (struct curl_slist * l), (l))   \
  X (void, curl_free, (void *p), (p))                           \
  X (char *, curl_easy_escape, (CURL * c, const char *s, int n), (c, s, n))
#define CURL_FUNCTIONS        \
  CURL_FUNCTIONS_CALL_THROUGH \
  X (struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))

static struct
{
#define X(ret, name, params, args) ret (*name) params;
  CURL_FUNCTIONS
#undef X
  CURL *(*curl_easy_init) (void);
  CURLcode (*curl_global_init) (long flags);
  CURLcode (*curl_easy_setopt) (CURL *c, CURLoption opt, ...);
  CURLcode (*curl_easy_getinfo) (CURL *c, CURLINFO info, ...);
  void *handle;
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

/* All or nothing, as in archive_dl.c: once the library is there, every function is. */
static void
load (void)
{
  void *h = skiff_dlopen (LIBCURL_SONAME, load_error, sizeof load_error);
  if (h == NULL)
    return;
#define SYM(name)                                                                      \
  if ((*(void **) &lib.name = dlsym (h, #name)) == NULL)                               \
    {                                                                                  \
      snprintf (load_error, sizeof load_error, "%s has no %s", LIBCURL_SONAME, #name); \
      dlclose (h);                                                                     \
      memset (&lib, 0, sizeof lib);                                                    \
      return;                                                                          \
    }
#define X(ret, name, params, args) SYM (name)
  CURL_FUNCTIONS
#undef X
  SYM (curl_easy_init);
  SYM (curl_global_init);
  SYM (curl_easy_setopt);
  SYM (curl_easy_getinfo);
#undef SYM
  lib.handle = h;
  /* not thread-safe in every build: done here, once, before any handle exists */
  lib.curl_global_init (CURL_GLOBAL_DEFAULT);
}

int
skiff_curl_available (skiff_error_t *err)
{
  pthread_once (&once, load);
  if (lib.handle)
    return 0;
  return skiff_error_set_status (err, ENOSYS, "cannot load %s (%s): install the package libcurl4", LIBCURL_SONAME,
                                 load_error);
}

/* Without the library curl_easy_init and curl_slist_append return NULL, what they return when out of memory
 * (callers check skiff_curl_available first for the reason); every other function takes a handle or a list
 * that only a loaded library makes, so the wrappers call through without a check. */
CURL *
curl_easy_init (void)
{
  pthread_once (&once, load);
  return lib.handle ? lib.curl_easy_init () : NULL;
}

struct curl_slist *
curl_slist_append (struct curl_slist *l, const char *s)
{
  pthread_once (&once, load);
  return lib.handle ? lib.curl_slist_append (l, s) : NULL;
}

#define X(ret, name, params, args) \
  ret name params { return lib.name args; }
CURL_FUNCTIONS_CALL_THROUGH
#undef X

CURLcode
curl_global_init (long flags)
{
  pthread_once (&once, load); /* load() already did it */
  return lib.handle ? CURLE_OK : CURLE_FAILED_INIT;
}

/* The variadic argument's type is encoded in the option number (curl.h's CURLOPTTYPE_*). */
CURLcode
curl_easy_setopt (CURL *c, CURLoption opt, ...)
{
  va_list ap;
  va_start (ap, opt);
  CURLcode r;
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    r = lib.curl_easy_setopt (c, opt, va_arg (ap, long));
  else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
    r = lib.curl_easy_setopt (c, opt, va_arg (ap, void *));
  else if (opt < CURLOPTTYPE_OFF_T)
    r = lib.curl_easy_setopt (c, opt, va_arg (ap, void (*) (void)));
  else if (opt < CURLOPTTYPE_BLOB)
    r = lib.curl_easy_setopt (c, opt, va_arg (ap, curl_off_t));
  else
    r = lib.curl_easy_setopt (c, opt, va_arg (ap, void *));
  va_end (ap);
  return r;
}

/* Every CURLINFO_* takes one pointer to where the answer goes. */
CURLcode
curl_easy_getinfo (CURL *c, CURLINFO info, ...)
{
  va_list ap;
  va_start (ap, info);
  void *p = va_arg (ap, void *);
  va_end (ap);
  return lib.curl_easy_getinfo (c, info, p);
}
