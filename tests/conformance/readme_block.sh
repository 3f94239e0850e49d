#!/usr/bin/env bash
# Runs one of the README's shell blocks exactly as written, so the README
# cannot rot. Usage:
#   readme_block.sh README.md /path/to/genesys-bulk NAME [REGEX...]
#
# The block between <!-- readme-run:NAME:begin --> and
# <!-- readme-run:NAME:end --> runs under bash -euo pipefail in a temporary
# directory where ./build/genesys-bulk is the given binary, in its own process
# group, which is killed afterwards whatever happened (so a simulator the
# block started never outlives it). It passes when the block exits 0 and its
# output (stdout and stderr) matches every extended REGEX.
set -euo pipefail

(($# >= 3)) || { echo "usage: $0 README.md BINARY NAME [REGEX...]" >&2; exit 2; }
readme="$1"
binary="$2"
name="$3"
shift 3
[[ -r "${readme}" && -x "${binary}" ]] || { echo "cannot read ${readme} or run ${binary}" >&2; exit 2; }

work="$(mktemp -d)"
group=""
cleanup() {
  [[ -n "${group}" ]] && kill -- "-${group}" 2>/dev/null || true
  rm -rf "${work}"
}
trap cleanup EXIT

mkdir "${work}/build"
ln -s "$(realpath "${binary}")" "${work}/build/genesys-bulk"
awk -v begin="<!-- readme-run:${name}:begin -->" -v end="<!-- readme-run:${name}:end -->" '
  $0 == begin {on=1; next}
  $0 == end   {on=0}
  on && !/^```/ {print}' "${readme}" >"${work}/block.sh"
[[ -s "${work}/block.sh" ]] || { echo "no block readme-run:${name} in ${readme}" >&2; exit 1; }

# setsid: the block and whatever it starts share one new process group.
(cd "${work}" && exec setsid timeout 150 bash -euo pipefail block.sh </dev/null >output.txt 2>&1) &
group=$!
status=0
wait "${group}" || status=$?
cat "${work}/output.txt"
if ((status != 0)); then
  echo "readme block ${name}: exited ${status}" >&2
  exit 1
fi
for regex in "$@"; do
  grep -Eq -- "${regex}" "${work}/output.txt" || { echo "readme block ${name}: output lacks /${regex}/" >&2; exit 1; }
done
echo "readme block ${name}: ok"
