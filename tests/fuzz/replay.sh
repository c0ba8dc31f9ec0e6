#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a libFuzzer harness once over each file of its checked-in corpus
# (no fuzzing, nothing written): the meson tests of suite 'fuzz'.
#   tests/fuzz/replay.sh HARNESS CORPUSDIR
# A crash, a sanitizer report, a leak or a 25 s input fails it (exit 1:
# libFuzzer's own 77 would read as a skip).
harness=$1
corpus=$2
set -- "$corpus"/*
[ -f "$1" ] || { echo "no corpus in $corpus" >&2; exit 1; }
echo "$(basename "$harness"): $# inputs from $corpus"
exec "$harness" -error_exitcode=1 -timeout_exitcode=1 -timeout=25 \
  -rss_limit_mb=4096 "$@"
