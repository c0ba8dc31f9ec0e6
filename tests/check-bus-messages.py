#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks docs/bus-messages.md against the sources: every element message an
# element posts (gst_structure_new* with a "genesys-..." name in its source)
# has a row in that element's table naming each of the fields it is made
# with, and every row names a message the element still posts.
#   check-bus-messages.py SOURCE_ROOT
import glob
import re
import sys

root = sys.argv[1]
# an element's sources: its file and the files of its insides
elements = {'genesyssrc': 'gst/genesys/gstgenesyssrc*.c',
            'genesyssink': 'gst/genesys/gstgenesyssink.c',
            'genesystranscript': 'gst/genesys/gstgenesystranscript.c'}


def posted(pattern):
    """{message: set(fields)} of the gst_structure_new calls in the files
    @pattern matches."""
    text = '\n'.join(open(path).read()
                   for path in sorted(glob.glob(f'{root}/{pattern}')))
    found = {}
    for m in re.finditer(r'gst_structure_new(?:_empty)?\s*\(\s*"(genesys-[a-z-]+)"'
                         r'(.*?)(?:NULL\)|\);)', text, re.S):
        fields = re.findall(r'"([a-z][a-z0-9-]*)",\s*(?:G_TYPE|GST_TYPE)', m.group(2))
        found.setdefault(m.group(1), set()).update(fields)
    return found


def documented(doc):
    """{element: {message: fields column}} of the tables in the doc."""
    tables, current = {}, None
    for line in doc.splitlines():
        h = re.match(r'## (\S+)$', line)
        if h:
            current = tables.setdefault(h.group(1), {})
            continue
        row = re.match(r'\| `(genesys-[a-z-]+)` \|([^|]*)\|', line)
        if row and current is not None:
            current[row.group(1)] = row.group(2)
    return tables


doc = documented(open(f'{root}/docs/bus-messages.md').read())
problems = 0
checks = 0
for element, path in elements.items():
    rows = doc.get(element, {})
    sent = posted(path)
    for name, fields in sorted(sent.items()):
        checks += 1
        if name not in rows:
            print(f'not ok: {element} posts {name}, not in docs/bus-messages.md')
            problems += 1
            continue
        for field in sorted(fields):
            if f'`{field}`' not in rows[name]:
                print(f'not ok: {element} {name}: field {field} not documented')
                problems += 1
    for name in sorted(set(rows) - set(sent)):
        print(f'not ok: docs/bus-messages.md lists {name} for {element}, '
              'which it no longer posts')
        problems += 1
print(f'{checks} messages checked, {problems} problems')
sys.exit(1 if problems else 0)
