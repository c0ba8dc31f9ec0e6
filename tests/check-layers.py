#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Holds gst/genesys to the layer list of docs/architecture.md: every file
# of gst/genesys is listed, and each includes only files listed above it
# (or its own header, or its element's private header).
import os
import re
import sys

top = sys.argv[1]
doc = open(os.path.join(top, 'docs/architecture.md')).read()
block = doc.split('## Layers', 1)[1].split('```', 2)[1]

order = []                      # file names, top first
for line in block.splitlines():
    m = re.match(r'\s+(\S+\.(?:\[ch\]|c|h))\s', line + ' ')
    if not m:
        continue
    name = m.group(1)
    if line.startswith('    ah-'):
        name = 'audiohook/' + name
    if name.endswith('.[ch]'):
        order += [name[:-4] + 'c', name[:-4] + 'h']
    else:
        order.append(name)
rank = {name: i for i, name in enumerate(order)}

src = os.path.join(top, 'gst/genesys')
files = []
for d in ('', 'audiohook'):
    for f in sorted(os.listdir(os.path.join(src, d))):
        if f.endswith(('.c', '.h')):
            files.append(os.path.join(d, f) if d else f)

errors = []
for f in files:
    if f not in rank:
        errors.append('%s: not in the layer list of docs/architecture.md' % f)
        continue
    text = open(os.path.join(src, f)).read()
    here = os.path.dirname(f)
    for inc in re.findall(r'#include "([^"]+)"', text):
        if inc == 'config.h':
            continue
        target = os.path.normpath(os.path.join(here, inc)) if here else inc
        if target not in rank:
            errors.append('%s includes %s, which the list does not name'
                          % (f, inc))
        elif rank[target] > rank[f] and not (
                os.path.splitext(target)[0] == os.path.splitext(f)[0]
                or target.endswith('priv.h')):
            errors.append('%s includes %s, which is listed below it'
                          % (f, inc))

for e in errors:
    print(e)
print('%d files, %d layer violations' % (len(files), len(errors)))
sys.exit(1 if errors else 0)
