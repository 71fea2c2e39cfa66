#!/usr/bin/env bash
# deploy_static.sh — checks deploy/ without a container engine (SPEC §11):
#   Dockerfile: Debian 12 bases; every COPY source exists in the tree; the
#     programs it installs are the ones the build makes; no compiler or -dev
#     package in the final stage; every shared library the built programs
#     load (ELF NEEDED) comes from a package the final stage installs.
#   docker-compose.yml: every program it runs is installed by the image and
#     built; every --flag it passes is in that program's --help; the workers
#     mount the dstack and tappd sockets; TEE_MODE values are valid.
#   systemd units: `systemd-analyze verify` with ExecStart pointed at the
#     built programs, no warnings; every --flag in ExecStart is in --help.
#   Every environment variable the compose file, the units and
#     relayer.env.example set is one the program reads ("(env NAME)" in
#     its --help).
# A program whose area has no main.c yet (another engineer's, not landed)
# is reported PENDING and checked for syntax only; once its main.c exists,
# a missing binary fails the test.
# Env: DP_BIN_DIR, DP_SOURCE_DIR (set by ctest).
set -euo pipefail

src="${DP_SOURCE_DIR:?DP_SOURCE_DIR not set}"
bin="${DP_BIN_DIR:?DP_BIN_DIR not set}"
deploy="$src/deploy"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
pending=()
fail () { echo "deploy_static: FAIL: $*" >&2; failures=$((failures + 1)); }
note () { echo "deploy_static: $*" >&2; }

# The area folder that builds a program: dp-broker -> broker.
area_of () { echo "${1#dp-}"; }

# 0 when the program is built; 1 (and noted) when its main.c has not landed.
program_ready () {
  local program=$1 area
  area=$(area_of "$program")
  if [ -x "$bin/$program" ]; then return 0; fi
  if [ -f "$src/$area/main.c" ]; then
    fail "$program: $area/main.c exists but $bin/$program was not built"
    return 1
  fi
  case " ${pending[*]-} " in *" $program "*) ;; *) pending+=("$program") ;; esac
  return 1
}

# Every --flag in the text must appear in the program's --help output.
check_flags () {
  local program=$1 where=$2 text=$3 help flag
  program_ready "$program" || return 0
  help=$("$bin/$program" --help 2>&1 </dev/null || true)
  for flag in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$text" | sort -u || true); do
    grep -qF -- "$flag" <<<"$help" || fail "$where: $program has no $flag in its --help"
  done
}

# Every environment variable set for a program must be one it reads: its
# --help lists them as "(env NAME)". XDG_DATA_HOME and HOME are read by
# the library code that finds default folders.
check_envs () {
  local program=$1 where=$2 help name
  shift 2
  program_ready "$program" || return 0
  help=$("$bin/$program" --help 2>&1 </dev/null || true)
  for name in "$@"; do
    case "$name" in XDG_DATA_HOME|HOME) continue ;; esac
    grep -qF -- "(env $name)" <<<"$help" || fail "$where: $program does not read $name"
  done
}

for f in Dockerfile docker-compose.yml systemd/dp-broker.service systemd/dp-worker.service \
         systemd/dp-relayer.service systemd/relayer.env.example; do
  [ -f "$deploy/$f" ] || fail "deploy/$f is missing"
done
[ -f "$src/docs/deploy.md" ] || fail "docs/deploy.md is missing"

# ---------------------------------------------------------------- Dockerfile
dockerfile="$deploy/Dockerfile"
# (No `grep -q` at the end of a pipe: with pipefail its early exit can
# fail the writer with SIGPIPE.)
[ "$(grep -E '^FROM ' "$dockerfile" | grep -cvE '^FROM debian:12(-slim)?( |$)' || true)" = 0 ] \
  || fail "Dockerfile: a base image is not debian:12 / debian:12-slim"
[ "$(grep -cE '^FROM ' "$dockerfile")" -ge 2 ] || fail "Dockerfile: not multi-stage"

while read -r source; do
  [ -e "$src/$source" ] || fail "Dockerfile: COPY source $source does not exist"
done < <(grep -E '^COPY ' "$dockerfile" | grep -v -- '--from' | awk '{ for (i = 2; i < NF; i++) print $i }')

# Programs the image installs: build/bin/<name> in the build stage.
installed=$(grep -oE 'build/bin/dp-[a-z]+' "$dockerfile" | sed 's|build/bin/||' | sort -u || true)
[ -n "$installed" ] || fail "Dockerfile: installs no program"
for program in $installed; do
  [ -d "$src/$(area_of "$program")" ] || fail "Dockerfile: no source folder for $program"
  grep -qE -- "--target .*\\b$program\\b" "$dockerfile" || fail "Dockerfile: $program is installed but not built"
  program_ready "$program" || true
done

# The final stage: everything after the last FROM.
final="$work/final-stage"
awk '/^FROM /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$dockerfile" > "$final"
runtime_pkgs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$final" | grep -oE 'apt-get install [^&]*' \
               | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install)$' | sort -u || true)
# One apt-cache call for all (each call takes seconds); apt lists may be
# absent on a fresh machine, so only a "no" while libc6 is known counts.
known=$(apt-cache show --no-all-versions libc6 $runtime_pkgs 2>/dev/null | sed -n 's/^Package: //p' | sort -u || true)
for pkg in $runtime_pkgs; do
  case "$pkg" in
    build-essential|gcc*|g++*|clang*|cmake|make|pkg-config|*-dev) fail "Dockerfile: final stage installs $pkg (a build tool)" ;;
  esac
  if grep -qxF libc6 <<<"$known" && ! grep -qxF "$pkg" <<<"$known"; then
    fail "Dockerfile: Debian has no package $pkg"
  fi
done
grep -qE 'COPY --from=build ' "$final" || fail "Dockerfile: final stage copies nothing from the build stage"

# Every library the built programs need comes from a runtime package (or the base image).
base_pkgs=" libc6 libgcc-s1 libstdc++6 zlib1g "
for program in $installed; do
  [ -x "$bin/$program" ] || continue
  for lib in $(readelf -d "$bin/$program" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' || true); do
    case "$lib" in libasan*|libubsan*|liblsan*|libtsan*) continue ;; esac
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')
    [ -n "$path" ] || { fail "$program: $lib not found on this machine"; continue; }
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | sed -n '1s/:.*//p' || true)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/:.*//p' || true)
    [ -n "$pkg" ] || { note "$program: $lib ($path) belongs to no package; not checked"; continue; }
    if [[ "$base_pkgs" == *" $pkg "* ]] || grep -qxF "$pkg" <<<"$runtime_pkgs"; then :; else
      fail "Dockerfile: $program needs $lib from $pkg, which the final stage does not install"
    fi
  done
done

# ------------------------------------------------------------ docker-compose
compose="$deploy/docker-compose.yml"
# Each service as one line: "command words | ENV ENV ...".
while IFS='|' read -r line envs; do
  program=$(grep -oE '/usr/local/bin/dp-[a-z]+' <<<"$line" | sed -n '1s|.*/||p' || true)
  [ -n "$program" ] || { fail "docker-compose.yml: a service runs no /usr/local/bin/dp-* program"; continue; }
  grep -qxF "$program" <<<"$installed" || fail "docker-compose.yml: runs $program, which the image does not install"
  check_flags "$program" "docker-compose.yml" "$line"
  # shellcheck disable=SC2086
  check_envs "$program" "docker-compose.yml" $envs
done < <(python3 - "$compose" <<'EOF2'
import re, sys
# The compose file's services, from its two-space indentation: each
# service's command list (which may span lines) and environment keys.
services, current, section = {}, None, None
for raw in open(sys.argv[1]):
    line = raw.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    indent = len(line) - len(line.lstrip())
    if indent == 0:
        section = line.strip().rstrip(":")
        current = None
    elif section == "services" and indent == 2:
        current = services.setdefault(line.strip().rstrip(":"), {"command": "", "env": [], "in": None})
    elif current is not None and indent == 4:
        key = line.strip().split(":", 1)[0]
        current["in"] = key
        if key == "command":
            current["command"] += line.split(":", 1)[1]
    elif current is not None and current["in"] == "command":
        current["command"] += line
    elif current is not None and current["in"] == "environment" and indent == 6:
        current["env"].append(line.strip().split(":", 1)[0])
for service in services.values():
    words = re.findall(r'"([^"]*)"', service["command"])
    print(" ".join(words) + "|" + " ".join(service["env"]))
EOF2
)
grep -qE -- '- /var/run/dstack.sock:/var/run/dstack.sock' "$compose" || fail "docker-compose.yml: workers do not mount /var/run/dstack.sock"
grep -qE -- '- /var/run/tappd.sock:/var/run/tappd.sock' "$compose" || fail "docker-compose.yml: workers do not mount /var/run/tappd.sock"
while read -r mode; do
  case "$mode" in auto|production|dstack|tappd|simulation) ;; *) fail "docker-compose.yml: TEE_MODE $mode is not a mode" ;; esac
done < <(grep -oE 'TEE_MODE: *[a-z]+' "$compose" | sed 's/.*: *//' || true)

# A stop must outlast the worker's drain (docker's default grace is 10 s).
drain=$(sed -n 's/.*{ "drain-timeout", "DP_DRAIN_TIMEOUT", "\([0-9]*\)".*/\1/p' "$src/worker/main.c")
[ -n "$drain" ] || fail "worker/main.c: no default for --drain-timeout"
grace=$(sed -n 's/^ *stop_grace_period: *\([0-9]*\)s *$/\1/p' "$compose" | head -1)
[ -n "$grace" ] && [ "$grace" -gt "${drain:-0}" ] \
  || fail "docker-compose.yml: the worker's stop_grace_period (${grace:-unset}) must exceed the drain timeout ($drain s)"
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$deploy/systemd/dp-worker.service")
[ -n "$stop" ] && [ "$stop" -gt "${drain:-0}" ] \
  || fail "dp-worker.service: TimeoutStopSec (${stop:-unset}) must exceed the drain timeout ($drain s)"

# ------------------------------------------------------------ systemd units
units="$work/units"
mkdir -p "$units"
for unit in "$deploy"/systemd/*.service; do
  name=$(basename "$unit")
  exec_line=$(grep -E '^ExecStart=' "$unit" | sed -n '1p' || true)
  program=$(grep -oE '/usr/local/bin/dp-[a-z]+' <<<"$exec_line" | sed -n '1s|.*/||p' || true)
  [ -n "$program" ] || { fail "$name: ExecStart does not run a /usr/local/bin/dp-* program"; continue; }
  if program_ready "$program"; then
    sed "s|/usr/local/bin/|$bin/|g" "$unit" > "$units/$name"
    check_flags "$program" "$name" "$exec_line"
    # shellcheck disable=SC2046
    check_envs "$program" "$name" $(sed -n 's/^Environment=\([A-Z_0-9]*\)=.*/\1/p' "$unit")
    env_file="$deploy/systemd/${program#dp-}.env.example"
    if [ -f "$env_file" ]; then
      # shellcheck disable=SC2046
      check_envs "$program" "$(basename "$env_file")" $(sed -n 's/^\([A-Z_0-9]*\)=.*/\1/p' "$env_file")
    fi
  else
    # Not built yet: verify the unit's syntax with a stand-in executable.
    sed "s|/usr/local/bin/$program|/bin/true|g" "$unit" > "$units/$name"
  fi
done
if command -v systemd-analyze >/dev/null 2>&1; then
  for unit in "$units"/*.service; do
    out=$(systemd-analyze verify "$unit" 2>&1) || fail "$(basename "$unit"): systemd-analyze verify failed: $out"
    # Unknown keys and bad values are only warnings: refuse them too.
    [ -z "$out" ] || fail "$(basename "$unit"): systemd-analyze verify: $out"
  done
else
  fail "systemd-analyze not found (scripts/setup.sh installs systemd)"
fi

if [ "${#pending[@]}" -gt 0 ]; then
  note "PENDING (no main.c yet, syntax checked only): ${pending[*]}"
fi
if [ "$failures" -gt 0 ]; then
  echo "deploy_static: $failures failure(s)" >&2
  exit 1
fi
echo "deploy_static: ok"
