/** TRUST_PROXY: X-Forwarded-For and X-Forwarded-Proto are believed only from the configured proxies. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';
import { makeDataDir, testEnv } from './support/app.js';

const noContainer = { dockerEnvFile: '/nonexistent/.dockerenv' };

test('TRUST_PROXY is off by default and takes addresses, CIDRs and proxy-addr names', () => {
  assert.equal(loadConfig({}, noContainer).server.trustProxy, false);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.5, 172.28.0.0/24,loopback,fd00::/8' }, noContainer).server.trustProxy, [
    '10.0.0.5',
    '172.28.0.0/24',
    'loopback',
    'fd00::/8',
  ]);
  for (const bad of ['true', '*', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1']) {
    assert.throws(
      () => loadConfig({ TRUST_PROXY: bad }, noContainer),
      (error: unknown) => error instanceof ConfigError && /^Invalid TRUST_PROXY=/.test(error.message),
      bad,
    );
  }
});

/** The client address and scheme the service saw, read from its own request log line. */
async function seenBy(trustProxy: string | undefined, remoteAddress: string) {
  const dataDir = makeDataDir();
  const lines: Array<{ msg: string; ip?: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const services = await createServices(loadConfig(testEnv(dataDir, trustProxy ? { TRUST_PROXY: trustProxy } : {})));
  const app = await buildApp({ services, logger: pino({ level: 'info' }, sink) });
  try {
    const response = await app.inject({
      method: 'GET',
      url: '/health',
      remoteAddress,
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    assert.equal(response.statusCode, 200);
    return lines.find((line) => line.msg === 'request')?.ip;
  } finally {
    await app.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('X-Forwarded-For is honoured from a trusted proxy only', async () => {
  assert.equal(await seenBy(undefined, '10.0.0.5'), '10.0.0.5', 'nothing trusted by default');
  assert.equal(await seenBy('10.0.0.0/24', '10.0.0.5'), '203.0.113.7', 'trusted proxy: the forwarded client');
  assert.equal(await seenBy('10.0.0.0/24', '192.0.2.9'), '192.0.2.9', 'an untrusted peer cannot pick its address');
});
