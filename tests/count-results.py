#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Counts test cases in a meson testlog.json.

TAP tests are counted per case ("ok N" / "not ok N" / "# SKIP"), so that
the closing line speaks of test cases, not of executables. A test
executable that failed without reporting a failing case (a crash, a
timeout) counts as one failed case."""
import json
import re
import sys

passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
except OSError as e:
    print("no test log: %s" % e, file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

ok_re = re.compile(r'^(not )?ok\b(.*)$')
for t in lines:
    p = f = s = 0
    for line in (t.get('stdout') or t.get('stdo') or '').splitlines():
        m = ok_re.match(line.strip())
        if not m:
            continue
        if m.group(1):
            if '# TODO' in m.group(2):
                continue
            f += 1
        elif re.search(r'#\s*SKIP', m.group(2), re.I):
            s += 1
        else:
            p += 1
    result = t.get('result')
    if p + f + s == 0:
        # Not a TAP test (or one that died before its first case).
        if result == 'OK':
            p = 1
        elif result == 'SKIP':
            s = 1
        else:
            f = 1
    elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and f == 0:
        f = 1
    passed += p
    failed += f
    skipped += s

line = "%d passed, %d failed" % (passed, failed)
if skipped:
    line += ", %d skipped" % skipped
print(line)
sys.exit(1 if failed else 0)
