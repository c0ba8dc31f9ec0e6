#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# No function in gst/ or tools/ runs over 150 lines, but for the tables
# that install an element's properties (class_init, *_install).
import os
import re
import sys

LIMIT = 150
top = sys.argv[1]
errors = []
for root in ('gst', 'tools'):
    for d, _, names in os.walk(os.path.join(top, root)):
        for n in sorted(names):
            if not n.endswith('.c'):
                continue
            path = os.path.join(d, n)
            name, start = None, 0
            for i, line in enumerate(open(path), 1):
                m = re.match(r'([a-z_][a-z0-9_]*) \(', line)
                if m:
                    name, start = m.group(1), i
                elif line.startswith('}') and name:
                    length = i - start
                    if length > LIMIT and not (name.endswith('_class_init')
                                               or name.endswith('_install')):
                        errors.append('%s: %s is %d lines'
                                      % (os.path.relpath(path, top), name,
                                         length))
                    name = None
for e in errors:
    print(e)
print('%d functions over %d lines' % (len(errors), LIMIT))
sys.exit(1 if errors else 0)
