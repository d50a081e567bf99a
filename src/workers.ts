/** Starts the service's worker threads (index builds, batch writes, parsing large bodies) from their modules. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `module`: the worker's built file, `new URL('./x-worker.js', import.meta.url)`. */
export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  // Built, this module is .js and so are the workers. Under tsx (tests, bench) all
  // are .ts, and Node 20 workers do not inherit tsx's loader: register it first.
  if (!import.meta.url.endsWith('.ts')) return new Worker(module, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = module.href.replace(/\.js$/, '.ts');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(worker)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
