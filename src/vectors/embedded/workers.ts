/** Starts the embedded store's worker threads (index builds, batch writes) from this directory. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(module: 'index-worker' | 'writer-worker', options: WorkerOptions): Worker {
  // Built, this module is .js and so are the workers. Under tsx (tests, bench) all
  // are .ts, and Node 20 workers do not inherit tsx's loader: register it first.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL(`./${module}.ts`, import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(worker)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
