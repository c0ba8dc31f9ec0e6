#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/gst-genesys-serve.1 documents every option that gst-genesys-serve
# --help lists (each as a tagged paragraph of its own), the signals and the
# exit status.
#   check-man.sh GST-GENESYS-SERVE MANPAGE
set -u
serve=$1
man=$2
status=0

# the man page's text with roff's escaped hyphens as plain ones, and its
# tags: the line after each .TP
text=$(sed 's/\\-/-/g' "$man")
tags=$(printf '%s\n' "$text" | sed -n '/^\.TP/{n;p}')
options=$("$serve" --help | sed -n 's/^  *\(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\).*/\2/p')
n=0
for o in $options; do
  n=$((n + 1))
  if ! printf '%s\n' "$tags" | grep -q -- "[ \"]$o\([ =\"]\|$\)"; then
    echo "$man: $o, which --help lists, has no paragraph"
    status=1
  fi
done
[ $n -gt 10 ] || { echo "check-man: only $n options read from --help"; exit 1; }
for s in SIGTERM SIGINT SIGHUP '^\.SH EXIT STATUS'; do
  if ! printf '%s\n' "$text" | grep -q -- "$s"; then
    echo "$man: says nothing of $s"
    status=1
  fi
done
[ $status -eq 0 ] && echo "check-man: $n options of --help, the signals and the exit status documented"
exit $status
