#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every source file under gst/, tools/, tests/, pipelines/ and docs/examples/
# carries the license tag of the project (LGPL-2.1-or-later) in a comment
# line of its first 10 lines, and no other tag. Source files: C, headers, shell,
# Python, JavaScript, meson files, man pages, and any file starting with #!.
# Data (corpora, test data, JSON, PEM, WAV), prose (.md) and node_modules
# are not looked at. Walks the tree with find, so a file not yet added to
# git is checked too.
#   check-spdx.sh [TOP]   (default: the checkout this script is in)
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
want="SPDX-License-Identifier: LGPL-2.1-or-later"

is_source () {
  case "$1" in
    *.c | *.h | *.sh | *.py | *.mjs | *.js | *.cjs | */meson.build | \
      */meson_options.txt | *.[1-8]) return 0 ;;
  esac
  head -c 2 "$1" | grep -q '^#!'
}

n=0
bad=0
list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
find gst tools tests pipelines docs/examples \
  \( -name node_modules -o -name corpus -o -name corpus-run -o -name data \
  -o -name '.*' ! -name . \) -prune -o -type f -print | sort > "$list"
while IFS= read -r f; do
  is_source "$f" || continue
  n=$((n + 1))
  # a comment line: # ..., // ..., /* ..., * ..., .\" ...
  ids=$(head -n 10 "$f" \
    | sed -n 's@^[[:space:]]*\(#\|//\|/\*\|\*\|\.\\"\)[[:space:]]*\(SPDX-License-Identifier:.*\)$@\2@p' \
    | sed 's/[[:space:]]*\(\*\/\)\{0,1\}[[:space:]]*$//')
  if [ "$ids" != "$want" ]; then
    if [ -z "$ids" ]; then
      echo "$f: no SPDX-License-Identifier in its first 10 lines"
    else
      echo "$f: $ids (want $want)"
    fi
    bad=$((bad + 1))
  fi
done < "$list"

if [ $bad -ne 0 ]; then
  echo "check-spdx: $bad of $n source files without \"$want\""
  exit 1
fi
echo "check-spdx: $n source files, each $want"
