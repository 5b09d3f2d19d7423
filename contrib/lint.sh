#!/bin/bash
# Static checks, quick enough to run before every test run (contrib/test.sh runs this first and stops on a finding):
#  1. layout: every .c and .h in src/, include/ and tests/ is as clang-format lays it out (.clang-format);
#  2. cppcheck over src/ with zero findings. contrib/cppcheck/json-c.cfg tells it json-c's iteration macro and
#     which calls allocate; contrib/cppcheck/suppressions.xml lists its false positives, each with its reason;
#  3. the modules' dependencies point the way docs/architecture.md draws them: each src/MODULE includes only the
#     project headers of the modules below it (the command layer only engine/ and format/).
# A finding is fixed in the code; docs/architecture.md ("Tooling") says when a suppression is right.
# Both tools are Debian packages that contrib/install-deps.sh installs (clang-format 14, cppcheck 2.10 on Debian 12).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

for tool in clang-format cppcheck; do
  if ! command -v "$tool" >/dev/null; then
    echo "lint.sh: $tool is missing (contrib/install-deps.sh installs it)" >&2
    exit 1
  fi
done

status=0
start=$(date +%s)

# ---- 1. layout ----
mapfile -t files < <(find src include tests -name '*.[ch]' -type f | sort)
format_out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1) || true
# its report: "FILE:LINE:COL: error: code should be clang-formatted [-Wclang-format-violations]", then the line
mapfile -t unformatted < <(printf '%s\n' "$format_out" | sed -n 's/^\([^ :]*\.[ch]\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
format_end=$(date +%s)
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "lint.sh: ${#unformatted[@]} file(s) not laid out as .clang-format says; the first differences:" >&2
  printf '%s\n' "$format_out" | head -30 >&2
  echo "lint.sh: fix with: clang-format -i ${unformatted[*]}" >&2
  status=1
elif [ -n "$format_out" ]; then
  # clang-format itself failed (a file it cannot read, a broken .clang-format)
  printf '%s\n' "$format_out" >&2
  status=1
fi

# ---- 2. cppcheck ----
# -D__CPPCHECK__: util.h then shows cppcheck the cleanup attributes' variables as static (it does not know the
# attribute, and would report each as a leak); only this configuration is checked, with the headers of the tree
# and not the system's (cppcheck's library files describe libc, libcurl and json-c).
cppcheck_log=$(mktemp /tmp/skiff-cppcheck-XXXXXX.log)
trap 'rm -f "$cppcheck_log"' EXIT
if ! cppcheck -q -j "$(nproc)" --std=c11 -D_GNU_SOURCE -D__CPPCHECK__ -I include -I src \
  --library=posix --library=libcurl --library=contrib/cppcheck/json-c.cfg \
  --suppress-xml=contrib/cppcheck/suppressions.xml \
  --enable=warning,style,performance,portability --error-exitcode=1 \
  --template='{file}:{line}: {severity}: {message} [{id}]' src >"$cppcheck_log" 2>&1; then
  echo "lint.sh: cppcheck found these (fix the code; a false positive goes in contrib/cppcheck/suppressions.xml" \
    "with its reason):" >&2
  cat "$cppcheck_log" >&2
  status=1
fi
end=$(date +%s)

# ---- 3. module dependencies ----
declare -A may_include=(
  [cli]="cli engine format util skiff"
  [engine]="engine image monitor net runtime storage oci util skiff"
  [format]="format util skiff"
  [image]="image storage oci util skiff"
  [monitor]="monitor runtime oci util skiff"
  [net]="net oci util skiff"
  [runtime]="runtime oci util skiff"
  [storage]="storage oci util skiff"
  [oci]="oci util skiff"
  [util]="util skiff"
)
deps_bad=0
for dir in src/*/; do
  mod=$(basename "$dir")
  allowed=${may_include[$mod]:-}
  if [ -z "$allowed" ]; then
    echo "lint.sh: src/$mod is a module lint.sh does not know: add its dependencies to may_include" >&2
    deps_bad=1
    continue
  fi
  # '#include "MODULE/file.h"' lines; a header of the module's own directory without a slash is its own
  while IFS=: read -r file line inc; do
    used=${inc%%/*}
    if [[ " $allowed " != *" $used "* ]]; then
      echo "$file:$line: src/$mod includes $used/ (it may include only: $allowed)" >&2
      deps_bad=1
    fi
  done < <(grep -Hn '^#include "[a-z_]*/' "$dir"*.[ch] | sed 's/:#include "\([^"]*\)".*/:\1/')
done
if [ $deps_bad = 1 ]; then
  echo "lint.sh: a module includes past its layer (docs/architecture.md, \"Dependencies point one way\"): move the" \
    "code behind the layer it may use" >&2
  status=1
fi

if [ $status = 0 ]; then
  echo "lint.sh: clean: ${#files[@]} files laid out as .clang-format says ($((format_end - start)) s), cppcheck found" \
    "nothing in src/ ($((end - format_end)) s), every module includes only the layers below it"
fi
exit $status
