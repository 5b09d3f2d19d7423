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

#define LIBCURL_SONAME "libcurl.so.4"

/* X(return type, name, parameters, arguments) */
#define CURL_FUNCTIONS                                                                       \
  X (void, curl_easy_cleanup, (CURL * c), (c))                                               \
  X (CURLcode, curl_easy_perform, (CURL * c), (c))                                           \
  X (void, curl_easy_reset, (CURL * c), (c))                                                 \
  X (const char *, curl_easy_strerror, (CURLcode code), (code))                              \
  X (struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s)) \
  X (void, curl_slist_free_all, (struct curl_slist * l), (l))                                \
  X (void, curl_free, (void *p), (p))                                                        \
  X (char *, curl_easy_escape, (CURL * c, const char *s, int n), (c, s, n))

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

static void
load (void)
{
  lib.handle = dlopen (LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib.handle == NULL)
    return;
#define X(ret, name, params, args) lib.name = (ret (*) params) dlsym (lib.handle, #name);
  CURL_FUNCTIONS
#undef X
  lib.curl_easy_init = (CURL * (*) (void) ) dlsym (lib.handle, "curl_easy_init");
  lib.curl_global_init = (CURLcode (*) (long)) dlsym (lib.handle, "curl_global_init");
  lib.curl_easy_setopt = (CURLcode (*) (CURL *, CURLoption, ...)) dlsym (lib.handle, "curl_easy_setopt");
  lib.curl_easy_getinfo = (CURLcode (*) (CURL *, CURLINFO, ...)) dlsym (lib.handle, "curl_easy_getinfo");
  /* not thread-safe in every build: done here, once, before any handle exists */
  if (lib.curl_global_init)
    lib.curl_global_init (CURL_GLOBAL_DEFAULT);
}

/* Every call but curl_easy_init has a handle from curl_easy_init (or is curl_slist_* on the way to one), so a
 * missing library shows up as curl_easy_init returning NULL, which callers treat as failure. */
static void
need (const void *fn, const char *name)
{
  if (fn == NULL)
    {
      fprintf (stderr, "Error: %s: %s is not available (install libcurl4)\n", name, LIBCURL_SONAME);
      abort ();
    }
}

#define X(ret, name, params, args)         \
  ret name params                          \
  {                                        \
    pthread_once (&once, load);            \
    need ((const void *) lib.name, #name); \
    return lib.name args;                  \
  }
CURL_FUNCTIONS
#undef X

/* True when libcurl can be loaded; callers use it to give a clear error instead of curl_easy_init's NULL. */
int skiff_curl_available (void);
int
skiff_curl_available (void)
{
  pthread_once (&once, load);
  return lib.curl_easy_init != NULL;
}

CURL *
curl_easy_init (void)
{
  pthread_once (&once, load);
  return lib.curl_easy_init ? lib.curl_easy_init () : NULL;
}

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
  pthread_once (&once, load);
  need ((const void *) lib.curl_easy_setopt, "curl_easy_setopt");
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
  pthread_once (&once, load);
  need ((const void *) lib.curl_easy_getinfo, "curl_easy_getinfo");
  va_list ap;
  va_start (ap, info);
  void *p = va_arg (ap, void *);
  va_end (ap);
  return lib.curl_easy_getinfo (c, info, p);
}
