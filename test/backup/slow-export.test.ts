/**
 * An export read slowly (a client that stops reading, as `curl --limit-rate`
 * does) must not stop the service: the export reads a copy of the SQLite
 * database, so other projects' reads and writes go on meanwhile.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';

let service: ChildService;
let dataDir: string;
before(async () => {
  dataDir = makeDataDir();
  service = await startChildService({ DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local' });
});
after(async () => {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a stalled export client: GET and PUT on another project answer at once, and the export still completes', { timeout: 60_000 }, async () => {
  // Enough rows that the export cannot fit in the socket buffers: it stalls on a client that does not read.
  for (let batch = 0; batch < 4; batch++) {
    const items = Array.from({ length: 5000 }, (_unused, index) => ({
      id: `c${batch}-${index}`,
      conceptName: `Concept ${'x'.repeat(300)} ${index}`,
      conceptType: 'class',
    }));
    const response = await fetch(`${service.url}/v1/projects/big/concepts/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    assert.equal(response.status, 200, await response.text());
  }

  const { port } = new URL(service.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = 0;
  const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  socket.write('GET /v1/export HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  await firstBytes;
  socket.pause(); // the client stops reading: the export fills the socket and waits
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stalledAt = received;

  const started = performance.now();
  const put = await fetch(`${service.url}/v1/projects/other/concepts/c1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ conceptName: 'A', conceptType: 'class' }),
    signal: AbortSignal.timeout(3000),
  });
  assert.equal(put.status, 200);
  const get = await fetch(`${service.url}/v1/projects/other/concepts/c1`, { signal: AbortSignal.timeout(3000) });
  assert.equal(get.status, 200);
  const write = await fetch(`${service.url}/v1/projects/big/concepts/late`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ conceptName: 'late', conceptType: 'class' }),
    signal: AbortSignal.timeout(3000),
  });
  assert.equal(write.status, 200, 'a write to the project being exported too');
  assert.ok(performance.now() - started < 3000, `answered in ${Math.round(performance.now() - started)} ms during the stalled export`);
  assert.equal(received, stalledAt, 'the export was still stalled meanwhile');

  // The client reads again: the export completes, whole, from the snapshot taken when it began.
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  socket.resume();
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  socket.destroy();
  assert.match(text, /"type":"trailer"/);
  assert.ok(received > 6_000_000, `the whole export arrived: ${received} bytes`);
  assert.doesNotMatch(text, /"id":"late"/, 'the row written after the export began is not in it');
});

test('an export client that reads nothing for EXPORT_IDLE_TIMEOUT_SECONDS is cut off, and its snapshot copy removed', { timeout: 60_000 }, async () => {
  const idleDir = makeDataDir();
  const idle = await startChildService({ DATA_DIR: idleDir, IN_MEMORIA_STORAGE_MODE: 'local', EXPORT_IDLE_TIMEOUT_SECONDS: '1' });
  try {
    const items = Array.from({ length: 5000 }, (_unused, index) => ({
      id: `c${index}`,
      conceptName: `Concept ${'y'.repeat(1000)} ${index}`,
      conceptType: 'class',
    }));
    assert.equal(
      (
        await fetch(`${idle.url}/v1/projects/big/concepts/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ items }),
        })
      ).status,
      200,
    );

    const socket = connect(Number(new URL(idle.url).port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let text = '';
    const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /v1/export HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await firstBytes;
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    socket.resume(); // too late: the service gave up after a second of nothing read
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    assert.ok(socket.destroyed || socket.readableEnded, 'the service closed the connection');
    assert.doesNotMatch(text, /"type":"trailer"/, 'the export was cut, so an import reports it truncated');
    assert.ok(
      idle.output.some((line) => line.includes('export failed mid-stream') && line.includes('read nothing for 1 s')),
      idle.output.filter((line) => line.includes('export')).join('\n'),
    );
    assert.deepEqual(
      readdirSync(idleDir).filter((file) => file.startsWith('.snapshot-')),
      [],
      'the snapshot copy is gone',
    );
  } finally {
    await idle.stop();
    rmSync(idleDir, { recursive: true, force: true });
  }
});
