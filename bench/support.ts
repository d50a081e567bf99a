/** Shared helpers of the benchmark scripts: child processes, autocannon runs, tables. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../test/support/ports.js';
import autocannon from 'autocannon';

/**
 * The service as production runs it: NODE_ENV=production refuses to start without an API key, so
 * the benches run with one and send it. The per-key rate limit is a policy, not a capacity, and would
 * cap every figure at its budget: the benches turn it off.
 */
export const BENCH_API_KEY = 'bench-admin-key-0123456789abcdef';
/** The benchmarks' collections use their own synthetic embedding spaces, allowed here like any operator would. */
export const productionEnv = { NODE_ENV: 'production', STORAGE_API_KEYS: `${BENCH_API_KEY}:admin`, RATE_LIMIT_MAX: '0', VECTOR_MODELS: 'bench:384,bench-clustered:384' };
export const authHeaders = { authorization: `Bearer ${BENCH_API_KEY}` };
export const jsonHeaders = { ...authHeaders, 'content-type': 'application/json' };

export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a node process listening on a free port and waits until `readyPath` answers. */
export async function startChild(args: string[], env: Record<string, string> = {}, readyPath = '/health'): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
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

/** autocannon against one URL (or a rotating list of paths) for `seconds`. */
export async function load(url: string, options: { paths?: string[]; seconds?: number; connections?: number } = {}): Promise<LoadResult> {
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
