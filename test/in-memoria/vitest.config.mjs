// In-Memoria's own compiled test suite (dist/__tests__ of in-memoria@0.4.1 as npm installed it in
// test/in-memoria/installation), run as its package runs it; test/in-memoria/suite.test.ts runs it
// twice: on In-Memoria's own SQLite, and with the bridge (NODE_OPTIONS=--import .../register.js)
// against a real service.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'installation/node_modules/in-memoria');

export default defineConfig({
  test: {
    root,
    dir: root,
    include: ['dist/__tests__/*.test.js'],
    exclude: [],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
