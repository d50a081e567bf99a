/**
 * End to end, as a team would run it: `in-memoria-remote learn` of a real
 * codebase in one checkout fills the service (and writes no in-memoria.db);
 * In-Memoria's MCP server started with `in-memoria-remote server` in a second
 * checkout at another absolute path answers its tools from that memory over
 * MCP stdio, with file paths under its own root.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KEYS, callTool, connectMcpServer, installPackedClient, json, learn, makeCheckout, makeWorkDirectory, startBridgeService } from './support.js';

let service: Awaited<ReturnType<typeof startBridgeService>>;
let work: string;
before(async () => {
  installPackedClient();
  service = await startBridgeService();
  work = makeWorkDirectory();
});
after(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

interface Stats {
  entities: Record<string, { count: number }>;
  vectors: { collections: number; documents: number };
}

test('learn in one checkout, answer MCP tools from another checkout at another path, one memory', { timeout: 300_000 }, async () => {
  // Two checkouts of one project (same folder name, so the same project by default) at different absolute paths.
  const alice = makeCheckout(path.join(work, 'alice'));
  const bob = makeCheckout(path.join(work, 'bob'));
  const env = { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer };

  const { run } = await learn(alice, env);
  assert.match(run.stdout, /Learned (\d+) semantic concepts/);
  assert.match(run.stdout, /Learned (\d+) coding patterns/);
  assert.equal(run.stderr.includes('in-memoria-remote:'), false, `no bridge failure: ${run.stderr}`);
  assert.equal(existsSync(path.join(alice, 'in-memoria.db')), false, 'no local database was written');

  const stats = await json<Stats>(`${service.url}/v1/projects/fastify-app/stats`);
  assert.ok(stats.entities.concepts!.count > 10, `concepts on the service: ${stats.entities.concepts!.count}`);
  assert.ok(stats.entities.patterns!.count > 3, `patterns on the service: ${stats.entities.patterns!.count}`);
  assert.ok(stats.vectors.documents > 10, `code chunks on the service: ${stats.vectors.documents}`);
  const stored = await json<{ items: Array<{ filePath: string }> }>(`${service.url}/v1/projects/fastify-app/concepts?limit=1000`);
  assert.ok(
    stored.items.length > 0 && stored.items.every((concept) => concept.filePath.startsWith('{root}/')),
    'paths are stored relative to the checkout root',
  );

  const { client, log: serverLog } = await connectMcpServer(bob, env);
  try {
    const insights = await callTool(client, 'get_semantic_insights', { limit: 50 });
    assert.equal(insights.totalAvailable, stats.entities.concepts!.count, 'the server reads the learnt concepts');
    assert.ok(insights.insights.length > 0);
    for (const insight of insights.insights as Array<{ usage: { contexts: string[] } }>) {
      for (const file of insight.usage.contexts) assert.ok(file.startsWith(`${bob}${path.sep}`) && existsSync(file), `${file} is under the reader's own root`);
    }

    const recommendations = await callTool(client, 'get_pattern_recommendations', {
      problemDescription: 'add a new route handler with a schema',
      currentFile: path.join(bob, 'lib/route.js'),
    });
    assert.ok(Array.isArray(recommendations.recommendations), JSON.stringify(recommendations));

    const profile = await callTool(client, 'get_developer_profile', {});
    assert.ok(profile.preferredPatterns.length > 0, `patterns in the profile: ${JSON.stringify(profile).slice(0, 300)}`);
  } finally {
    await client.close();
  }
  assert.equal(existsSync(path.join(bob, 'in-memoria.db')), false, 'the server wrote no local database');
  assert.doesNotMatch(serverLog(), /in-memoria-remote:/, 'no bridge failure in the server');
});
