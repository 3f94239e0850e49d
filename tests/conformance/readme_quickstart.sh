#!/usr/bin/env bash
# Runs the README's simulator quick start exactly as written, so the README
# cannot rot. Usage: readme_quickstart.sh README.md /path/to/genesys-bulk
#
# The block between <!-- readme-quickstart:begin --> and
# <!-- readme-quickstart:end --> runs under bash -euo pipefail in a temporary
# directory where ./build/genesys-bulk is the given binary, in its own process
# group, which is killed afterwards whatever happened. It passes when the
# block exits 0 and its output shows what the README promises.
set -euo pipefail

readme="$1"
binary="$2"
[[ -r "${readme}" && -x "${binary}" ]] || { echo "usage: $0 README.md BINARY" >&2; exit 2; }

work="$(mktemp -d)"
group=""
cleanup() {
  [[ -n "${group}" ]] && kill -- "-${group}" 2>/dev/null || true
  rm -rf "${work}"
}
trap cleanup EXIT

mkdir "${work}/build"
ln -s "$(realpath "${binary}")" "${work}/build/genesys-bulk"
awk '/<!-- readme-quickstart:begin -->/ {on=1; next}
     /<!-- readme-quickstart:end -->/   {on=0}
     on && !/^```/                      {print}' "${readme}" >"${work}/quickstart.sh"
[[ -s "${work}/quickstart.sh" ]] || { echo "no quick-start block in ${readme}" >&2; exit 1; }

# setsid: the block and the simulator it starts share one new process group.
(cd "${work}" && exec setsid timeout 120 bash -euo pipefail quickstart.sh </dev/null >output.txt 2>&1) &
group=$!
status=0
wait "${group}" || status=$?
cat "${work}/output.txt"
if ((status != 0)); then
  echo "readme quick start: the block exited ${status}" >&2
  exit 1
fi

expect() {
  grep -Eq "$1" "${work}/output.txt" || { echo "readme quick start: output lacks /$1/ ($2)" >&2; exit 1; }
}
expect '"jobState": "completed"' 'the bulk job completes'
expect '"chunks": 10' '50000 records in chunks of 5000'
expect '^5000$' 'one chunk holds 5000 records'
expect '"records": 100' 'a page of 100 conversations'
expect '"error": ?"invalid_client"' 'a wrong secret is refused'
echo "readme quick start: ok"
