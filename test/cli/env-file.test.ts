/** `migrate --from/--to` files: Node's dotenv parser, and a line that is no setting refused by number. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readEnvFile } from '../../src/cli/env-file.js';
import { ConfigError } from '../../src/config.js';

test('readEnvFile: quotes, export, comments; a line that is not KEY=VALUE is a ConfigError naming it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'env-file-'));
  try {
    const good = path.join(dir, 'good.env');
    writeFileSync(
      good,
      '# target\nIN_MEMORIA_STORAGE_MODE=remote\nexport DATABASE_URL="postgres://u:p@db/x"\nQDRANT_URL=\'http://q:6333\' # inline comment\nEMPTY=\n',
    );
    assert.deepEqual(readEnvFile(good), { IN_MEMORIA_STORAGE_MODE: 'remote', DATABASE_URL: 'postgres://u:p@db/x', QDRANT_URL: 'http://q:6333', EMPTY: '' });
    const bad = path.join(dir, 'bad.env');
    writeFileSync(bad, 'A=1\nnot a setting\nB=2\n');
    assert.throws(
      () => readEnvFile(bad),
      (error: unknown) => error instanceof ConfigError && /bad\.env line 2 is not KEY=VALUE/.test(error.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
