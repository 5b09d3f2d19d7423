#!/bin/bash
# Two unprivileged users side by side on one host (issue #9): neither can list, read, signal, attach to or
# remove the other's containers, logs, sockets, storage or credentials, with and without XDG_RUNTIME_DIR; a
# directory one user makes in /tmp where the other's skiff would put its run root or credentials is refused.
# Runs as root (it creates the second user and acts as each with runuser). contrib/test.sh runs it after the
# main suite. Usage: shared-host-test.sh SKIFF_BINARY USER_A [USER_B]   (USER_B defaults to USER_A2)
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "shared-host-test.sh: run as root (it acts as two users with runuser)" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath "${1:?usage: shared-host-test.sh SKIFF_BINARY USER_A [USER_B]}")
user_a=${2:?usage: shared-host-test.sh SKIFF_BINARY USER_A [USER_B]}
user_b=${3:-${user_a}2}
start=$(date +%s)

# the second user, with a subordinate range after every range given out (as contrib/test.sh makes the first)
for u in "$user_a" "$user_b"; do
  id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
  if ! grep -q "^$u:" /etc/subuid || ! grep -q "^$u:" /etc/subgid; then
    top=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid 2>/dev/null)
    usermod --add-subuids "$top-$((top + 65535))" --add-subgids "$top-$((top + 65535))" "$u"
  fi
done

work=$(mktemp -d /tmp/skiff-shared-host-XXXXXX)
chmod 0755 "$work"
install -m 0755 "$binary" "$work/skiff"
"$src/contrib/make-busybox-image.sh" "$work/busybox.tar" >/dev/null
chmod 0644 "$work/busybox.tar"
# a registry that accepts any login: GET /v2/ answers 200
mkdir -p "$work/registry/v2"
echo '{}' >"$work/registry/v2/index.html"
chmod -R a+rX "$work/registry"
httpd_pid=
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 20000))
  busybox httpd -f -p "127.0.0.1:$port" -h "$work/registry" &
  httpd_pid=$!
  sleep 0.2
  if kill -0 "$httpd_pid" 2>/dev/null; then break; fi
  httpd_pid=
done
[ -n "$httpd_pid" ] || { echo "shared-host-test.sh: cannot start busybox httpd" >&2; exit 1; }

made_run_user=()
cleanup() {
  local u
  for u in "$user_a" "$user_b"; do reset_user "$u"; done
  kill "$httpd_pid" 2>/dev/null || true
  for d in "${made_run_user[@]}"; do rm -rf "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT

uid_of() { id -u "$1"; }
home_of() { getent passwd "$1" | cut -d: -f6; }

# as MODE USER CMD...: a login-like environment, with /run/user/UID as XDG_RUNTIME_DIR or without any
as() {
  local mode=$1 u=$2
  shift 2
  local xdg=()
  [ "$mode" = xdg ] && xdg=("XDG_RUNTIME_DIR=/run/user/$(uid_of "$u")")
  (cd / && timeout 20 runuser -u "$u" -- env -i HOME="$(home_of "$u")" USER="$u" LOGNAME="$u" \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "${xdg[@]}" "$@")
}

passed=0
failed=0
ok() {
  passed=$((passed + 1))
}
bad() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}
# must_fail WHAT MODE USER CMD...: the command fails
must_fail() {
  local what=$1
  shift
  if as "$@" >/dev/null 2>&1; then bad "$what: it worked"; else ok; fi
}
# must_refuse WHAT TEXT MODE USER CMD...: fails, and says TEXT
must_refuse() {
  local what=$1 text=$2 out
  shift 2
  if out=$(as "$@" 2>&1); then
    bad "$what: it worked"
  elif [[ "$out" != *"$text"* ]]; then
    bad "$what: no \"$text\" in: $out"
  else
    ok
  fi
}
# must_not_show WHAT SECRET MODE USER CMD...: whatever the command does, the secret is not in its output
must_not_show() {
  local what=$1 secret=$2 out
  shift 2
  out=$(as "$@" 2>&1 || true)
  if [[ "$out" == *"$secret"* ]]; then bad "$what: the secret is shown"; else ok; fi
}

reset_user() {
  local u=$1 m
  for m in noxdg xdg; do as "$m" "$u" "$work/skiff" system reset --force >/dev/null 2>&1 || true; done
  rm -rf "/tmp/skiff-run-$(uid_of "$u")" "/tmp/storage-run-$(uid_of "$u")"
}

# Directories made first by the other user where skiff would put its run root or credentials: refused, with
# the fix named (podman checks its /tmp fallback the same way).
squat_phase() {
  local victim=$1 attacker=$2 vuid
  vuid=$(uid_of "$victim")
  reset_user "$victim"
  as noxdg "$attacker" mkdir -m 0777 "/tmp/skiff-run-$vuid" "/tmp/storage-run-$vuid"
  must_refuse "$victim's run root made by $attacker" "it belongs to uid $(uid_of "$attacker")" \
    noxdg "$victim" "$work/skiff" ps
  must_refuse "the fix is named" "XDG_RUNTIME_DIR" noxdg "$victim" "$work/skiff" ps
  must_refuse "$victim's credentials directory made by $attacker" "is not a private directory of yours" \
    noxdg "$victim" "$work/skiff" login --get-login "127.0.0.1:$port"
  rm -rf "/tmp/skiff-run-$vuid" "/tmp/storage-run-$vuid"
  as noxdg "$attacker" ln -s /tmp "/tmp/skiff-run-$vuid"
  as noxdg "$attacker" ln -s /tmp "/tmp/storage-run-$vuid"
  must_refuse "$victim's run root as $attacker's link" "it is a symbolic link" noxdg "$victim" "$work/skiff" ps
  must_refuse "$victim's credentials directory as $attacker's link" "it is a symbolic link" \
    noxdg "$victim" "$work/skiff" login --get-login "127.0.0.1:$port"
  rm -f "/tmp/skiff-run-$vuid" "/tmp/storage-run-$vuid"
}

declare -A secret root runroot cid logpath monpid ctrpid pausepid sock authfile
setup_user() {
  local mode=$1 u=$2 s
  s="pw-$u-$mode-$RANDOM$RANDOM"
  secret[$u]=$s
  as "$mode" "$u" "$work/skiff" import "$work/busybox.tar" busybox >/dev/null
  cid[$u]=$(as "$mode" "$u" "$work/skiff" run -d --name victim -e "DB_PASSWORD=$s" busybox \
    sh -c 'echo "logged-$DB_PASSWORD"; exec sleep 600')
  as "$mode" "$u" "$work/skiff" login --tls-verify=false -u "$u" -p "$s" "127.0.0.1:$port" >/dev/null
  local info
  info=$(as "$mode" "$u" "$work/skiff" inspect --format '{{.LogPath}} {{.State.ConmonPid}} {{.State.Pid}}' victim)
  read -r "logpath[$u]" "monpid[$u]" "ctrpid[$u]" <<<"$info"
  root[$u]=$(as "$mode" "$u" "$work/skiff" info --format '{{.Store.GraphRoot}}' 2>/dev/null)
  runroot[$u]=$(as "$mode" "$u" "$work/skiff" info --format '{{.Store.RunRoot}}' 2>/dev/null)
  pausepid[$u]=$(cat "${runroot[$u]}/pause.pid")
  sock[$u]=$(find "${root[$u]}/containers/${cid[$u]}" "${runroot[$u]}" -type s 2>/dev/null | head -1)
  # without XDG_RUNTIME_DIR, /run/user/UID when it is the user's, else $TMPDIR/storage-run-UID (c/storage's)
  authfile[$u]="/run/user/$(uid_of "$u")/containers/auth.json"
  if [ "$mode" = noxdg ] && [ "$(stat -c %U "/run/user/$(uid_of "$u")" 2>/dev/null)" != "$u" ]; then
    authfile[$u]="/tmp/storage-run-$(uid_of "$u")/containers/auth.json"
  fi
  [ -f "${authfile[$u]}" ] || bad "$u: login wrote no ${authfile[$u]}"
  [ -n "${sock[$u]}" ] || bad "$u: no attach socket found"
  for i in $(seq 1 50); do
    grep -q "logged-$s" "${logpath[$u]}" 2>/dev/null && break
    sleep 0.1
  done
}

# a client of the monitor's attach socket (SOCK_SEQPACKET): exits 0 when it connects
# (from its directory: the full path can be longer than a socket address holds)
connect='use Socket; use File::Basename; chdir(dirname($ARGV[0])) or exit 3;
  socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or exit 2; connect($s, pack_sockaddr_un(basename($ARGV[0]))) or exit 1'

# everything the attacker might try against the victim's things
attack() {
  local mode=$1 victim=$2 attacker=$3 s
  s=${secret[$victim]}
  # the victim reaches all of it (so that a refusal below is about the other user, not a wrong path)
  if as "$mode" "$victim" cat "${logpath[$victim]}" "${authfile[$victim]}" >/dev/null &&
    as "$mode" "$victim" perl -e "$connect" "${sock[$victim]}"; then ok; else bad "$victim cannot reach its own things"; fi
  local S=("$work/skiff" --root "${root[$victim]}" --runroot "${runroot[$victim]}")
  must_fail "$attacker lists $victim's storage" "$mode" "$attacker" ls "${root[$victim]}"
  must_fail "$attacker lists $victim's run root" "$mode" "$attacker" ls "${runroot[$victim]}"
  must_fail "$attacker reads $victim's log" "$mode" "$attacker" cat "${logpath[$victim]}"
  must_fail "$attacker reads $victim's credentials" "$mode" "$attacker" cat "${authfile[$victim]}"
  must_fail "$attacker lists $victim's credentials directory" "$mode" "$attacker" ls "$(dirname "${authfile[$victim]}")"
  must_fail "$attacker connects to $victim's attach socket" "$mode" "$attacker" perl -e "$connect" "${sock[$victim]}"
  for p in "${monpid[$victim]}" "${ctrpid[$victim]}" "${pausepid[$victim]}"; do
    must_fail "$attacker signals $victim's process $p" "$mode" "$attacker" kill -0 "$p"
    must_fail "$attacker reads the environment of $victim's process $p" "$mode" "$attacker" cat "/proc/$p/environ"
  done
  must_not_show "$victim's monitor command line" "$s" "$mode" "$attacker" \
    sh -c 'tr "\0" " " <"$1"' - "/proc/${monpid[$victim]}/cmdline"
  must_not_show "$victim's pause command line" "$s" "$mode" "$attacker" \
    sh -c 'tr "\0" " " <"$1"' - "/proc/${pausepid[$victim]}/cmdline"
  must_not_show "every command line $attacker can read" "$s" "$mode" "$attacker" \
    sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "'
  must_not_show "$attacker's skiff ps -a" "${cid[$victim]}" "$mode" "$attacker" "$work/skiff" ps -a --no-trunc
  must_not_show "$attacker's skiff ps on $victim's store" "${cid[$victim]}" "$mode" "$attacker" "${S[@]}" ps -a --no-trunc
  must_not_show "$attacker's skiff logs on $victim's store" "$s" "$mode" "$attacker" "${S[@]}" logs victim
  must_not_show "$attacker's skiff attach on $victim's store" "$s" "$mode" "$attacker" \
    timeout 5 "${S[@]}" attach --no-stdin victim
  must_fail "$attacker's skiff rm -f on $victim's store" "$mode" "$attacker" "${S[@]}" rm -f victim
  must_fail "$attacker's skiff kill on $victim's store" "$mode" "$attacker" "${S[@]}" kill victim
  must_fail "$attacker's skiff rmi -f on $victim's store" "$mode" "$attacker" "${S[@]}" rmi -f busybox
  must_fail "$attacker's skiff system reset on $victim's store" "$mode" "$attacker" "${S[@]}" system reset --force
  local who
  who=$(as "$mode" "$attacker" "$work/skiff" login --get-login "127.0.0.1:$port" 2>&1 || true)
  if [ "$who" = "$attacker" ]; then ok; else bad "$attacker's login --get-login says: $who"; fi
  # and the victim's container is untouched
  local state
  state=$(as "$mode" "$victim" "$work/skiff" inspect --format '{{.State.Status}}' victim 2>&1 || true)
  if [ "$state" = running ]; then ok; else bad "$victim's container after $attacker's attempts: $state"; fi
}

for pair in "$user_a $user_b" "$user_b $user_a"; do
  read -r v a <<<"$pair"
  squat_phase "$v" "$a"
done
for mode in noxdg xdg; do
  if [ "$mode" = xdg ]; then
    for u in "$user_a" "$user_b"; do
      d="/run/user/$(uid_of "$u")"
      if [ ! -d "$d" ]; then
        mkdir -p "$d"
        made_run_user+=("$d")
      fi
      chown "$u:" "$d"
      chmod 0700 "$d"
    done
  fi
  for u in "$user_a" "$user_b"; do
    reset_user "$u"
    setup_user "$mode" "$u"
  done
  attack "$mode" "$user_a" "$user_b"
  attack "$mode" "$user_b" "$user_a"
  for u in "$user_a" "$user_b"; do as "$mode" "$u" "$work/skiff" system reset --force >/dev/null 2>&1 || true; done
done

echo "shared-host-test.sh: $passed checks passed, $failed failed ($user_a and $user_b, $(($(date +%s) - start)) s)"
[ "$failed" = 0 ]
