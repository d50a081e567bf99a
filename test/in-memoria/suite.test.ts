/**
 * In-Memoria's own test suite (the compiled dist/__tests__ of in-memoria@0.4.1,
 * vitest), run twice: on In-Memoria's own SQLite, then with its storage
 * modules redirected by the bridge's hooks to a real service. Every test that
 * passes on SQLite must pass on the service.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KEYS, bridgeRegister, installPackedClient, json, repositoryRoot, startBridgeService } from './support.js';

interface VitestReport {
  numTotalTests: number;
  testResults: Array<{ assertionResults: Array<{ fullName: string; status: string }> }>;
}

const reports = mkdtempSync(path.join(tmpdir(), 'ims-vitest-'));

/** Runs the suite and answers each test's status by full name. */
function runSuite(name: string, env: Record<string, string>): Map<string, string> {
  const outputFile = path.join(reports, `${name}.json`);
  const vitest = path.join(repositoryRoot, 'node_modules/vitest/vitest.mjs');
  const result = spawnSync(process.execPath, [vitest, 'run', '-c', 'test/in-memoria/vitest.config.mjs', '--reporter=json', `--outputFile=${outputFile}`], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.ok(result.status === 0 || result.status === 1, `vitest ran (${result.status}): ${result.stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(outputFile, 'utf8')) as VitestReport;
  const statuses = new Map<string, string>();
  for (const file of report.testResults) for (const entry of file.assertionResults) statuses.set(entry.fullName, entry.status);
  assert.equal(statuses.size, report.numTotalTests);
  return statuses;
}

let service: Awaited<ReturnType<typeof startBridgeService>>;
before(async () => {
  installPackedClient();
  service = await startBridgeService();
});
after(async () => {
  await service.close();
  rmSync(reports, { recursive: true, force: true });
});

test("In-Memoria 0.4.1's own suite passes on the service wherever it passes on its own SQLite", { timeout: 600_000 }, async () => {
  const native = runSuite('native', {});
  const bridged = runSuite('bridged', {
    NODE_OPTIONS: `--import ${bridgeRegister}`,
    IN_MEMORIA_STORAGE_URL: service.url,
    IN_MEMORIA_STORAGE_API_KEY: KEYS.writer,
  });
  const passedNatively = [...native].filter(([, status]) => status === 'passed').map(([name]) => name);
  assert.ok(passedNatively.length >= 100, `the suite ran: ${passedNatively.length} passed natively`);
  assert.deepEqual([...bridged.keys()].sort(), [...native.keys()].sort(), 'the same tests ran');
  const regressions = passedNatively.filter((name) => bridged.get(name) !== 'passed');
  assert.deepEqual(regressions, [], 'tests that pass on SQLite and not on the service');

  // The storage really was the service: each SQLiteDatabase the suite opened in a temporary folder
  // maps to a project named after the folder, which exists once a test wrote to it.
  const projects = await json<{ items: Array<{ projectId: string }> }>(`${service.url}/v1/projects?limit=1000`);
  const projectIds = projects.items.map((project) => project.projectId);
  for (const prefix of ['in-memoria-db-test-', 'automation-test-', 'monitoring-test-', 'mcp-integration-test-']) {
    assert.ok(
      projectIds.some((id) => id.startsWith(prefix)),
      `a project ${prefix}* on the service: ${projectIds.join(', ')}`,
    );
  }
  const suiteProjects = projectIds.filter((id) => id.startsWith('in-memoria-db-test-'));
  let testClass = 0;
  for (const projectId of suiteProjects) {
    const concepts = await json<{ items: Array<{ conceptName: string }> }>(`${service.url}/v1/projects/${projectId}/concepts`);
    testClass += concepts.items.filter((concept) => concept.conceptName === 'TestClass').length;
  }
  assert.equal(testClass, 1, "sqlite-db.test's concept is stored on the service, once");
});
