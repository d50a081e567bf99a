// Runs every test file under test/ with node's test runner through tsx.
// Node 20's --test does not expand globs itself, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    // node_modules: In-Memoria's installation under test/in-memoria holds other packages' tests.
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length ? only : findTests('test').sort();
// A test that hangs fails after 20 minutes, named, instead of running CI into its time limit. On Node 20 the
// bound also holds for each file as a whole: the whole suite takes ~10 minutes, its longest test ~80 s, and
// In-Memoria's suite file may take up to 240 + 600 s by its own bounds (install, then the suite).
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=1200000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
