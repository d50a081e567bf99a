// In-Memoria's own compiled test suite (dist/__tests__ of the installed in-memoria package), run
// as its package runs it; test/in-memoria/suite.test.ts runs it twice: on In-Memoria's own SQLite,
// and with the bridge (NODE_OPTIONS=--import .../register.js) against a real service.
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.dirname(createRequire(import.meta.url).resolve('in-memoria/package.json'));

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
