// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared by the Node benchmark tools: npm `ws` from tests/interop (installed
// there with `npm ci`), and a small seeded PRNG.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/package.json', import.meta.url));

/** The `ws` package installed in tests/interop/node_modules. */
export const ws = require('ws');

/** mulberry32: a seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
