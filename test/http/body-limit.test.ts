/**
 * A body over BODY_LIMIT gets the 413 BODY_TOO_LARGE answer, over a real
 * socket, while the client is still sending it: the service reads and drops
 * the rest (bounded) before answering, instead of closing the connection under
 * the client (which then saw `write EPIPE`, not the answer).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';

const LIMIT = 1024 * 1024;
let service: ChildService;
let dataDir: string;
before(async () => {
  dataDir = makeDataDir();
  service = await startChildService({ DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local', BODY_LIMIT: String(LIMIT), LOG_LEVEL: 'info' });
});
after(async () => {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A batch body of about `bytes` bytes. */
function batchBody(bytes: number): string {
  const item = (index: number) => ({ id: `c${index}`, conceptName: 'x'.repeat(500), conceptType: 'class' });
  const items = [];
  for (let index = 0, size = 0; size < bytes; index++, size += 560) items.push(item(index));
  return JSON.stringify({ items });
}

test('fetch (undici) of a body four times the limit: 413 BODY_TOO_LARGE every time, never a broken pipe', async () => {
  const body = batchBody(4 * LIMIT);
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await fetch(`${service.url}/v1/projects/p/concepts/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { code: string }).code, 'BODY_TOO_LARGE');
  }
  const count = await fetch(`${service.url}/v1/projects/p/concepts/count`);
  assert.deepEqual(await count.json(), { count: 0 }, 'nothing was stored');
});

test('a raw socket writing a chunked body past the limit, slowly: the whole body is written and the 413 read', async () => {
  const { port } = new URL(service.url);
  for (let attempt = 0; attempt < 3; attempt++) {
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let writeError: Error | undefined;
    socket.on('error', (error) => (writeError = error));
    socket.write('POST /v1/projects/p/concepts/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    for (let sent = 0; sent < 3 * LIMIT; sent += chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    socket.end('0\r\n\r\n');
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    socket.destroy();
    assert.equal(writeError, undefined, `no write error: ${writeError?.message}`);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"code":"BODY_TOO_LARGE"/);
  }
});
