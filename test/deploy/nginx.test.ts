/**
 * deploy/nginx.conf for real: Debian's nginx terminating TLS (a certificate made
 * here) in front of the service on loopback. Only ports and paths are substituted.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { makeDataDir, testEnv } from '../support/app.js';
import { deployedConfig, startNginx, type RunningNginx } from '../support/nginx.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe('nginx in front of the service', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ims-nginx-'));
  const dataDir = makeDataDir();
  const logLines: Array<{ msg: string; url?: string; ip?: string; statusCode?: number }> = [];
  let services: Services;
  let app: FastifyInstance;
  let servicePort: number;
  let nginx: RunningNginx;
  let upstreamConnections = 0;
  let agent: https.Agent;

  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    // The whole loopback range is trusted, as a proxy subnet is in compose (the client, 127.0.0.2, is in it
    // too): only nginx replacing X-Forwarded-For, rather than appending to it, keeps a spoofed one out.
    services = await createServices(loadConfig(testEnv(dataDir, { TRUST_PROXY: 'loopback' })));
    app = await buildApp({ services, logger: pino({ level: 'info' }, sink) });
    app.server.on('connection', () => upstreamConnections++);
    await app.listen({ host: '127.0.0.1', port: 0 });
    servicePort = (app.server.address() as { port: number }).port;
    nginx = await startNginx(dir, servicePort);
    agent = new https.Agent({ ca: nginx.ca, keepAlive: true, maxSockets: 4 });
  });

  after(async () => {
    agent?.destroy();
    await nginx?.stop();
    await app?.close();
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Through nginx over verified TLS (the test's certificate is the only CA). */
  function viaTls(method: string, url: string, body?: unknown, options: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return send(
      https.request,
      {
        agent: options.localAddress ? undefined : agent,
        ca: nginx.ca,
        servername: 'localhost',
        host: '127.0.0.1',
        port: nginx.httpsPort,
        localAddress: options.localAddress,
      },
      method,
      url,
      payload,
      options.headers,
    );
  }

  function direct(method: string, url: string): Promise<Answer> {
    return send(http.request, { host: '127.0.0.1', port: servicePort }, method, url);
  }

  test('health over TLS; plain HTTP redirects to HTTPS', async () => {
    const health = await viaTls('GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(String(health.body)), { status: 'ok' });
    assert.match(String(health.headers['strict-transport-security']), /max-age=/);

    const plain = await send(http.request, { host: '127.0.0.1', port: nginx.httpPort }, 'GET', '/v1/projects?limit=5');
    assert.equal(plain.status, 301);
    assert.equal(plain.headers.location, 'https://127.0.0.1/v1/projects?limit=5');
    assert.equal((await send(http.request, { host: '127.0.0.1', port: nginx.httpPort }, 'GET', '/nginx-health')).status, 200);
  });

  test('an upsert and a search through TLS, on an id with %2F and spaces, passed on untouched', async () => {
    const id = 'src/a dir/user service.ts#chunk 1';
    const encoded = encodeURIComponent(id);
    const put = await viaTls('PUT', `/v1/projects/tls/collections/code/documents/${encoded}`, {
      content: 'export class UserService { findUser(id) {} }',
      metadata: { filePath: 'src/a dir/user service.ts' },
    });
    assert.equal(put.status, 200, String(put.body));
    const search = await viaTls('POST', '/v1/projects/tls/collections/code/search', { query: 'find user service', limit: 3 });
    assert.equal(search.status, 200, String(search.body));
    assert.equal(JSON.parse(String(search.body)).results[0].id, id);

    const file = await viaTls('PUT', `/v1/projects/tls/files/${encodeURIComponent('src/a dir/%2F odd.ts')}`, { fileHash: 'h1' });
    assert.equal(file.status, 200, String(file.body));
    assert.equal(JSON.parse(String(file.body)).filePath, 'src/a dir/%2F odd.ts');
    const seen = logLines.filter((line) => line.msg === 'request').map((line) => line.url);
    assert.ok(seen.includes(`/v1/projects/tls/collections/code/documents/${encoded}`), 'the service received the encoded path byte for byte');
    assert.ok(seen.includes(`/v1/projects/tls/files/${encodeURIComponent('src/a dir/%2F odd.ts')}`));
  });

  test('X-Forwarded-For carries the real client, and a client cannot spoof it', async () => {
    const answer = await viaTls('GET', '/health?xff', undefined, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(answer.status, 200);
    const line = logLines.find((entry) => entry.msg === 'request' && entry.url === '/health?xff');
    assert.equal(line?.ip, '127.0.0.2');
  });

  test("the body limit is the service's: exactly BODY_LIMIT passes nginx, one byte more is a 413 in the service's shape", async () => {
    const limit = services.config.server.bodyLimit;
    assert.match(deployedConfig(), new RegExp(`client_max_body_size ${limit / 1024 / 1024}m;`), 'nginx.conf states the same limit');
    const body = (size: number) => {
      const head = '{"fileHash":"big","dependencies":["';
      const tail = '"]}';
      return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
    };
    const before = logLines.length;
    const over = await viaTls('PUT', '/v1/projects/tls/files/over', body(limit + 1), { headers: { 'content-type': 'application/json' } });
    assert.equal(over.status, 413);
    assert.equal(JSON.parse(String(over.body)).code, 'BODY_TOO_LARGE');
    assert.ok(!logLines.slice(before).some((line) => line.url === '/v1/projects/tls/files/over'), 'nginx stopped it; the service never saw it');

    const at = await viaTls('PUT', '/v1/projects/tls/files/at-limit', body(limit), { headers: { 'content-type': 'application/json' } });
    assert.equal(at.status, 200, String(at.body).slice(0, 300));
  });

  test('a large response arrives whole and byte-identical; upstream connections are kept alive', async () => {
    // A 1000-item list (~8 MB): the largest single JSON response.
    const items = Array.from({ length: 1000 }, (_, i) => ({
      filePath: `src/big/${i}.ts`,
      fileHash: `h${i}`,
      dependencies: Array.from({ length: 100 }, (_, j) => `module-${i}-${j}-${'d'.repeat(60)}`),
    }));
    const batch = await viaTls('POST', '/v1/projects/big/files/batch', { items });
    assert.equal(batch.status, 200, String(batch.body).slice(0, 300));
    const connectionsBefore = upstreamConnections;
    const [proxied, original] = await Promise.all([viaTls('GET', '/v1/projects/big/files?limit=1000'), direct('GET', '/v1/projects/big/files?limit=1000')]);
    assert.equal(proxied.status, 200);
    assert.ok(proxied.body.length > 7_000_000, `large: ${proxied.body.length} bytes`);
    const sha = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');
    assert.equal(sha(proxied.body), sha(original.body));
    assert.equal(JSON.parse(String(proxied.body)).items.length, 1000);

    for (let i = 0; i < 20; i++) assert.equal((await viaTls('GET', '/health')).status, 200);
    assert.ok(
      upstreamConnections - connectionsBefore <= 4,
      `20 proxied requests reused upstream connections (${upstreamConnections - connectionsBefore} opened)`,
    );
  });

  test('the export location reaches the service; /metrics is not published', async () => {
    const exported = await viaTls('GET', '/v1/export');
    assert.equal(exported.status, 200);
    // The whole stream arrives through the proxy: header first, trailer last.
    const records = String(exported.body)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    assert.equal(records[0]?.type, 'header');
    assert.equal(records.at(-1)?.type, 'trailer');
    assert.equal((await viaTls('GET', '/metrics')).status, 404);
    assert.equal((await direct('GET', '/metrics')).status, 200, 'scraped on the internal network instead');
  });
});

function send(
  request: typeof https.request | typeof http.request,
  options: https.RequestOptions,
  method: string,
  url: string,
  payload?: Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...options,
        method,
        path: url,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
