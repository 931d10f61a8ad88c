#!/usr/bin/env bash
# Every tracked C/C++ file is formatted with the repository's .clang-format (what CI enforces).
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.c')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
  echo "not clang-formatted (run: clang-format -i <file>):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "${#files[@]} files formatted"
