#!/bin/bash
# Where container state lives: one JSON file per container (skiff's design: atomic rename, flock per
# container) against one SQLite table in WAL mode (the issue's suggestion), measured with the same C code
# paths: (1) listing and parsing N records (default 1000), as `ps -a` does; (2) 100 concurrent writers, each a
# fresh process updating one record durably, as 100 concurrent `skiff` commands would. Prints the means and
# ratios. Needs cc, json-c and sqlite3 headers (libjson-c-dev, libsqlite3-dev) and hyperfine.
set -euo pipefail
N=${N:-1000}
WRITERS=${WRITERS:-100}
# on the disk that holds skiff's graph root (not a tmpfs /tmp), so that fsync costs what it costs
mkdir -p "${WORKDIR:-${XDG_DATA_HOME:-$HOME/.local/share}}"
work=$(mktemp -d "${WORKDIR:-${XDG_DATA_HOME:-$HOME/.local/share}}/skiff-bench-state-XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/statebench.c" <<'C'
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* a record of the size skiff writes (about 1.2 kB) */
static char *
record (int i)
{
  char *s;
  if (asprintf (&s,
                "{\"Id\":\"%064d\",\"Image\":\"092dce9465dda24710fe86dbb856ff9b54118294656a487509587f9901c84d15\","
                "\"ImageName\":\"localhost/busybox:latest\",\"Created\":1795564482623672749,\"Args\":[\"sleep\",\"100\"],"
                "\"Status\":\"exited\",\"Hostname\":\"a7098e90e42e\",\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:"
                "/usr/sbin:/usr/bin:/sbin:/bin\",\"container=skiff\"],\"User\":\"\",\"WorkingDir\":\"/\",\"CapEff\":"
                "\"00000000800405fb\",\"NoNewPrivileges\":false,\"Privileged\":false,\"Seccomp\":\"default\",\"Ulimits\":[],"
                "\"StopSignal\":15,\"StopTimeout\":10,\"RestartPolicy\":\"no\",\"RestartCount\":0,\"LogDriver\":\"k8s-file\","
                "\"LogPath\":\"/home/user/.local/share/skiff/storage/containers/a7098e90e42e5dc1e53be374159823c10e948cc9d5f266"
                "32b4453da9ff55c540/ctr.log\",\"LogSizeMax\":-1,\"ReadOnly\":false,\"ReadOnlyTmpfs\":true,\"NetworkMode\":"
                "\"private\",\"Tty\":false,\"AutoRemove\":false,\"Labels\":{},\"Annotations\":{},\"Name\":\"name_%d\","
                "\"CreatorPid\":30761,\"Pid\":0,\"ConmonPid\":30763,\"StartedAt\":1795564482628433935,\"ExitCode\":%d}",
                i, i, i % 256)
      < 0)
    abort ();
  return s;
}

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void
write_json_file (const char *dir, int i, const char *data)
{
  char tmp[4096], path[4096];
  snprintf (tmp, sizeof tmp, "%s/.tmp-%d-%d", dir, i, getpid ());
  snprintf (path, sizeof path, "%s/%064d.json", dir, i);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, data, strlen (data)) < 0 || fsync (fd) < 0 || close (fd) < 0 || rename (tmp, path) < 0)
    {
      perror ("write");
      exit (1);
    }
}

static sqlite3 *
db_open (const char *path)
{
  sqlite3 *db;
  if (sqlite3_open (path, &db) != SQLITE_OK)
    exit (1);
  sqlite3_busy_timeout (db, 30000);
  sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
  return db;
}

static int
list_json (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int n = 0, dfd = dirfd (d);
  char *buf = malloc (1 << 16);
  json_tokener *tok = json_tokener_new ();
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      int fd = openat (dfd, de->d_name, O_RDONLY | O_CLOEXEC);
      ssize_t len = read (fd, buf, (1 << 16) - 1);
      close (fd);
      json_tokener_reset (tok);
      json_object *o = json_tokener_parse_ex (tok, buf, (int) len);
      n += o != NULL;
      json_object_put (o);
    }
  closedir (d);
  json_tokener_free (tok);
  free (buf);
  return n;
}

static int
list_sqlite (const char *path)
{
  sqlite3 *db = db_open (path);
  sqlite3_stmt *st;
  sqlite3_prepare_v2 (db, "SELECT data FROM containers", -1, &st, NULL);
  int n = 0;
  json_tokener *tok = json_tokener_new ();
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      json_tokener_reset (tok);
      json_object *o = json_tokener_parse_ex (tok, (const char *) sqlite3_column_text (st, 0), sqlite3_column_bytes (st, 0));
      n += o != NULL;
      json_object_put (o);
    }
  sqlite3_finalize (st);
  sqlite3_close (db);
  json_tokener_free (tok);
  return n;
}

/* one writer: read the record, change it, write it back durably, under the record's lock */
static int
writer_json (const char *dir, int i)
{
  char lock[4096], path[4096], buf[65536];
  snprintf (lock, sizeof lock, "%s/%064d.json", dir, i);
  snprintf (path, sizeof path, "%s", lock);
  int lfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* skiff locks the container's own directory; one directory per record here would be the same cost */
  (void) lfd;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  flock (fd, LOCK_EX);
  ssize_t len = read (fd, buf, sizeof buf - 1);
  buf[len > 0 ? len : 0] = '\0';
  json_object *o = json_tokener_parse (buf);
  json_object_object_add (o, "Status", json_object_new_string ("running"));
  write_json_file (dir, i, json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN));
  json_object_put (o);
  close (fd);
  close (lfd);
  return 0;
}

static int
writer_sqlite (const char *path, int i)
{
  sqlite3 *db = db_open (path);
  char id[80];
  snprintf (id, sizeof id, "%064d", i);
  int rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      fprintf (stderr, "BEGIN: %s\n", sqlite3_errmsg (db));
      return 1;
    }
  sqlite3_stmt *st;
  sqlite3_prepare_v2 (db, "SELECT data FROM containers WHERE id = ?", -1, &st, NULL);
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  json_object *o = sqlite3_step (st) == SQLITE_ROW ? json_tokener_parse ((const char *) sqlite3_column_text (st, 0)) : NULL;
  sqlite3_finalize (st);
  json_object_object_add (o, "Status", json_object_new_string ("running"));
  sqlite3_prepare_v2 (db, "UPDATE containers SET data = ? WHERE id = ?", -1, &st, NULL);
  sqlite3_bind_text (st, 1, json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  json_object_put (o);
  if (rc != SQLITE_DONE || sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "UPDATE/COMMIT: %s\n", sqlite3_errmsg (db));
      return 1;
    }
  sqlite3_close (db);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *mode = argv[1], *where = argv[2];
  int n = argc > 3 ? atoi (argv[3]) : 0;
  if (strcmp (mode, "setup-json") == 0)
    for (int i = 0; i < n; i++)
      {
        char *r = record (i);
        write_json_file (where, i, r);
        free (r);
      }
  else if (strcmp (mode, "setup-sqlite") == 0)
    {
      sqlite3 *db = db_open (where);
      sqlite3_exec (db, "CREATE TABLE containers (id TEXT PRIMARY KEY, data TEXT NOT NULL); BEGIN", NULL, NULL, NULL);
      for (int i = 0; i < n; i++)
        {
          char *r = record (i), *q;
          if (asprintf (&q, "INSERT INTO containers VALUES ('%064d', '%s')", i, r) < 0)
            abort ();
          sqlite3_exec (db, q, NULL, NULL, NULL);
          free (q);
          free (r);
        }
      sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
      sqlite3_close (db);
    }
  else if (strcmp (mode, "list-json") == 0)
    return list_json (where) > 0 ? 0 : 1;
  else if (strcmp (mode, "list-sqlite") == 0)
    return list_sqlite (where) > 0 ? 0 : 1;
  else if (strcmp (mode, "writers-json") == 0 || strcmp (mode, "writers-sqlite") == 0)
    {
      /* n writers at once, each a fresh process (as n concurrent CLI invocations), on n different records */
      bool sql = strstr (mode, "sqlite") != NULL;
      double t0 = now ();
      pid_t *kids = calloc ((size_t) n, sizeof *kids);
      for (int i = 0; i < n; i++)
        if ((kids[i] = fork ()) == 0)
          _exit (sql ? writer_sqlite (where, i) : writer_json (where, i));
      int failed = 0;
      for (int i = 0; i < n; i++)
        {
          int st;
          waitpid (kids[i], &st, 0);
          failed += !(WIFEXITED (st) && WEXITSTATUS (st) == 0);
        }
      printf ("%.1f %d\n", (now () - t0) * 1000, failed);
    }
  return 0;
}
C
cc -O2 -o "$work/statebench" "$work/statebench.c" $(pkg-config --cflags --libs json-c) -lsqlite3
B="$work/statebench"
mkdir "$work/json"
$B setup-json "$work/json" "$N"
$B setup-sqlite "$work/state.db" "$N"
echo "listing $N records:" >&2
hyperfine -N --warmup 5 --runs "${RUNS:-100}" --export-json "$work/list.json" \
  -n "JSON files" "$B list-json $work/json" -n "SQLite WAL" "$B list-sqlite $work/state.db" >&2
python3 - "$work/list.json" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
for x in r:
    print(f"list {sys.argv[2]:>5} records  {x['command']:<11} {x['mean']*1000:7.2f} ms ± {x['stddev']*1000:5.2f}  {x['mean']/base:5.2f}x JSON")
PY
echo "$WRITERS concurrent writers (fresh processes, durable update of one record each), 5 rounds:" >&2
for kind in json sqlite; do
  where=$work/json; [ $kind = sqlite ] && where=$work/state.db
  times=(); fails=0
  for round in 1 2 3 4 5; do
    read -r ms failed < <($B writers-$kind "$where" "$WRITERS")
    times+=("$ms"); fails=$((fails + failed))
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  echo "writers $WRITERS  $kind  median ${median} ms (rounds: ${times[*]})  failures: $fails"
done
