#!/usr/bin/env bash
# Runs a group of unit tests whose prerequisites can be missing, so that ctest reports the
# group Skipped with the reason instead of counting a test that returned early as a pass.
# Usage: need.sh [--corpus DIR] [--cmd NAME] [--path PATH]... -- COMMAND [ARG]...
#   --corpus DIR  ../shared/corpus (as tests/CMakeLists.txt resolved it) must be a directory
#   --cmd NAME    NAME must be on PATH
#   --path PATH   PATH must exist (a live kernel file)
# Exit 77 (SKIP_RETURN_CODE) when one is missing, after a "SKIP: ..." line. A missing corpus
# under CI (CI set and not "false", or MEMMAP_REQUIRE_CORPUS=1) fails instead (exit 1): there
# the clone sits next to shared/, and a corpus it cannot see is a path mistake, not a skip.
set -u
missing=()
corpus_missing=
while [ $# -gt 0 ]; do
  case $1 in
    --corpus)
      [ -d "$2" ] || corpus_missing="corpus missing: ../shared/corpus ($2 is not a directory: the tests expect this repository cloned next to shared/)"
      shift 2 ;;
    --cmd) command -v "$2" >/dev/null || missing+=("$2 not installed"); shift 2 ;;
    --path) [ -e "$2" ] || missing+=("no $2 on this machine"); shift 2 ;;
    --) shift; break ;;
    *) echo "need.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "need.sh: no command after --" >&2; exit 2; }
if [ -n "$corpus_missing" ]; then
  if [ "${MEMMAP_REQUIRE_CORPUS:-0}" = 1 ] || { [ -n "${CI:-}" ] && [ "${CI}" != false ]; }; then
    echo "FAIL: $corpus_missing; CI must have it"
    exit 1
  fi
  missing=("$corpus_missing" "${missing[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIP: $(IFS=';'; echo "${missing[*]}" | sed 's/;/; /g')"
  exit 77
fi
exec "$@"
