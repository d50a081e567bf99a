/** Shared helpers of the benchmark scripts: child processes, loads (wrk or autocannon), tables. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { freePort } from '../test/support/ports.js';
import autocannon from 'autocannon';

/**
 * The service as production runs it: NODE_ENV=production refuses to start without an API key, so
 * the benches run with one and send it. The per-key rate limit is a policy, not a capacity, and would
 * cap every figure at its budget: the benches turn it off (bench/run.ts keeps it on, with a budget no load reaches).
 */
export const BENCH_API_KEY = 'bench-admin-key-0123456789abcdef';
/**
 * As the production image runs the service, with a bench key, no rate limit, and the benchmarks' own synthetic
 * embedding spaces allowed, as any operator would.
 */
export const productionEnv = {
  NODE_ENV: 'production',
  STORAGE_API_KEYS: `${BENCH_API_KEY}:admin`,
  RATE_LIMIT_MAX: '0',
  VECTOR_MODELS: 'bench:384,bench-clustered:384',
};
/**
 * What `npm start` adds (local mode, glibc's allocator settings: README, "Memory"), read from package.json's
 * start script (`NAME=${NAME:-value} ... node ...`) so the benches run the service as it starts, not a copy.
 */
export const npmStartEnv: Record<string, string> = (() => {
  const start = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const settings = Object.fromEntries([...start.matchAll(/(\w+)=\$\{\1:-([^}]*)\}/g)].map(([, name, value]) => [name!, value!]));
  if (Object.keys(settings).length === 0) throw new Error(`package.json's start script sets no NAME=\${NAME:-value}: ${start}`);
  return settings;
})();
export const authHeaders = { authorization: `Bearer ${BENCH_API_KEY}` };
export const jsonHeaders = { ...authHeaders, 'content-type': 'application/json' };

export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const hasCommand = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The load generator `load` uses: wrk (C, Debian's package, one thread) when installed, else autocannon in this process. */
export const loadGenerator = hasCommand('wrk') ? 'wrk' : 'autocannon';

/**
 * On two or more cores, servers run on core 1 and wrk on core 0 (`taskset`): left to the scheduler, the
 * same build's cost per request moved between two values twice apart from one load to the next on this VM.
 * Only with wrk: autocannon runs in this process, which cannot be kept off the servers' core.
 */
export const pinned = cpus().length >= 2 && loadGenerator === 'wrk' && hasCommand('taskset');
const onCore = (core: number, command: string, args: string[]): [string, string[]] =>
  pinned ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];

/** Starts a node process listening on a free port (on core 1 when pinned, unless told) and waits until `readyPath` answers. */
export async function startChild(args: string[], env: Record<string, string> = {}, readyPath = '/health', core = 1): Promise<Child> {
  const port = await freePort();
  const [command, commandArgs] = onCore(core, process.execPath, args);
  const child = spawn(command, commandArgs, { env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url + readyPath)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not answer ${readyPath} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    process: child,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Load against one URL (or a rotating list of paths) for `seconds`, with the API key: wrk when installed, else autocannon. */
export async function load(url: string, options: { paths?: string[]; seconds?: number; connections?: number } = {}): Promise<LoadResult> {
  return loadGenerator === 'wrk' ? wrk(url, options) : autocannonLoad(url, options);
}

/** wrk -t1 with a Lua script that sends the paths in turn; latency percentiles from `--latency`. */
async function wrk(url: string, options: { paths?: string[]; seconds?: number; connections?: number }): Promise<LoadResult> {
  const directory = mkdtempSync(path.join(tmpdir(), 'ims-wrk-'));
  try {
    const script = path.join(directory, 'paths.lua');
    const paths = options.paths ?? [new URL(url).pathname];
    writeFileSync(
      script,
      `local paths = ${JSON.stringify(paths).replace(/^\[/, '{').replace(/\]$/, '}')}\nlocal next = 0\nrequest = function()\n  next = next % #paths + 1\n  return wrk.format("GET", paths[next])\nend\n`,
    );
    const [command, args] = onCore(0, 'wrk', [
      '-t1',
      `-c${options.connections ?? 10}`,
      `-d${options.seconds ?? 10}s`,
      '--latency',
      '-s',
      script,
      '-H',
      `authorization: ${authHeaders.authorization}`,
      new URL(url).origin,
    ]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`wrk exited with ${code}: ${output}`);
    const milliseconds = (label: string) => {
      const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(output);
      if (!match) return NaN;
      return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
    };
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
    return {
      requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]),
      p50: milliseconds('50'),
      p99: milliseconds('99'),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
      errors: errors ? errors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function autocannonLoad(url: string, options: { paths?: string[]; seconds?: number; connections?: number } = {}): Promise<LoadResult> {
  const paths = options.paths;
  let next = 0;
  const result = await autocannon({
    url,
    connections: options.connections ?? 10,
    headers: authHeaders,
    duration: options.seconds ?? 10,
    ...(paths
      ? {
          requests: [
            {
              setupRequest: (request: Record<string, unknown>) => {
                request.path = paths[next++ % paths.length];
                return request;
              },
            },
          ],
        }
      : {}),
  } as autocannon.Options);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function table(rows: Array<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`;
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((column) => String(row[column]))))].join('\n');
}

/** The request-path bench's concept `index` of `total` (bench/run.ts sends it, bench/ceiling.ts writes it as a row). */
export function requestPathConcept(index: number, total: number) {
  return {
    id: `concept_${index}`,
    conceptName: `name${index % 5000}_${index}`,
    conceptType: ['class', 'function', 'variable', 'interface'][index % 4]!,
    confidenceScore: (index % 100) / 100,
    relationships: { calls: [`concept_${(index + 1) % total}`] },
    filePath: `src/module${index % 500}/file${index % 50}.ts`,
    lineRange: { start: index % 400, end: (index % 400) + 20 },
  };
}

/** One concept row of the benches' data sets (index-derived, so every run writes the same rows). */
export function benchConcept(index: number): Record<string, unknown> {
  return {
    id: `concept_${index}`,
    conceptName: `Concept${index}Service`,
    conceptType: ['class', 'function', 'interface'][index % 3],
    confidenceScore: (index % 100) / 100,
    relationships: { calls: [`concept_${index + 1}`], calledBy: [`concept_${index - 1}`] },
    filePath: `src/module${index % 500}/file${index}.ts`,
    lineRange: { start: index % 1000, end: (index % 1000) + 20 },
  };
}
