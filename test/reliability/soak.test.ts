/**
 * The soak of the reliability issue, in `npm test`: scripts/soak.ts (the same script as `npm run soak`)
 * drives a child service with 60 s of mixed reads and writes after a warm-up, and must report no
 * error answer and an RSS growth under 10 % after the warm-up. Test files run one at a time, so the
 * soak has the machine's cores to itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

interface SoakReport {
  requestsMeasured: number;
  statuses: Record<string, number>;
  errors: number;
  rssMiB: { afterWarmup: number; end: number; earlyMedian: number; lateMedian: number };
  rssGrowthPercent: number;
  exitCode: number | null;
}

test('soak: 60 s of mixed reads and writes, no error answer, RSS growth under 10 % after warm-up', { timeout: 180_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const report = JSON.parse(output.slice(output.indexOf('{'))) as SoakReport;
  console.log(`soak: ${JSON.stringify(report)}`);
  assert.ok(report.requestsMeasured > 1000, `${report.requestsMeasured} requests in the measured minute`);
  assert.equal(report.errors, 0, JSON.stringify(report.statuses));
  assert.ok(report.rssGrowthPercent < 10, `RSS (medians of three samples) ${report.rssMiB.earlyMedian} -> ${report.rssMiB.lateMedian} MiB`);
  assert.equal(report.exitCode, 0, 'the service exits 0 on SIGTERM');
  assert.equal(code, 0);
});
