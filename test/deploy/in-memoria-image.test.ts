/**
 * deploy/in-memoria/Dockerfile's install, run outside Docker (no engine here):
 * the client tarball packed into a clean folder as its header says, then the
 * install stage's RUN verbatim (from npm's cache: npm_config_offline), then
 * In-Memoria from that folder, as the image runs it, learns a checkout into a
 * real service and serves MCP tools from another checkout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KEYS, callTool, connectMcpServer, json, learn, makeCheckout, makeWorkDirectory, repositoryRoot, startBridgeService } from '../in-memoria/support.js';

const dockerfile = readFileSync(path.join(repositoryRoot, 'deploy/in-memoria/Dockerfile'), 'utf8');
const installStage = dockerfile.split(/^FROM /m)[1]!;

/** The install stage's RUN, continuation lines joined. */
function installCommand(): string {
  const runs = [...installStage.replace(/\\\n/g, ' ').matchAll(/^RUN (.+)$/gm)].map((match) => match[1]!);
  assert.equal(runs.length, 1, runs.join(' | '));
  assert.match(runs[0]!, /npm install --ignore-scripts .*in-memoria@0\.4\.1 @in-memoria\/linux-x64@0\.4\.4 \.\/in-memoria-storage-client-\*\.tgz/);
  return runs[0]!;
}

let service: Awaited<ReturnType<typeof startBridgeService>>;
let image: string;
let work: string;
before(async () => {
  service = await startBridgeService();
  image = mkdtempSync(path.join(tmpdir(), 'ims-in-memoria-image-'));
  work = makeWorkDirectory();
});
after(async () => {
  await service.close();
  rmSync(image, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test(
  'the In-Memoria image: npm packages and the client tarball, no install scripts; it learns and serves through the service',
  { timeout: 300_000 },
  async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
    const pack = spawnSync('npm', ['pack', '-w', '@in-memoria-storage/client', '--pack-destination', image, '--loglevel=error'], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      env,
    });
    assert.equal(pack.status, 0, pack.stderr);
    const install = spawnSync('sh', ['-c', installCommand()], { cwd: image, encoding: 'utf8', env: { ...env, npm_config_offline: 'true' }, timeout: 240_000 });
    assert.equal(install.status, 0, `${install.stderr}\n${install.stdout}`);
    assert.ok(!existsSync(path.join(image, 'node_modules/better-sqlite3/build')), 'better-sqlite3 was never built: the bridge does not need it');
    const bin = path.join(image, 'node_modules/.bin/in-memoria-remote');

    const settings = { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer };
    const first = makeCheckout(path.join(work, 'laptop'), 'image-app');
    const { run } = await learn(first, settings, bin);
    assert.doesNotMatch(run.stderr, /in-memoria-remote:/);
    const stats = await json<{ entities: Record<string, { count: number }> }>(`${service.url}/v1/projects/image-app/stats`);
    assert.ok(stats.entities.concepts!.count > 10 && stats.entities.patterns!.count > 3, JSON.stringify(stats.entities));

    const second = makeCheckout(path.join(work, 'container'), 'image-app');
    const { client } = await connectMcpServer(second, settings, bin);
    try {
      const insights = await callTool(client, 'get_semantic_insights', { limit: 5 });
      assert.equal(insights.totalAvailable, stats.entities.concepts!.count);
      assert.ok(
        (insights.insights as Array<{ usage: { contexts: string[] } }>).every((insight) =>
          insight.usage.contexts.every((file) => file.startsWith(second + path.sep)),
        ),
      );
    } finally {
      await client.close();
    }
    for (const checkout of [first, second]) assert.equal(existsSync(path.join(checkout, 'in-memoria.db')), false);
  },
);
