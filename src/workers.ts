/** Starts the service's worker threads (index builds, batch writes, parsing large bodies), and talks to those that answer requests. */
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

/**
 * A thread that answers requests, one message each way (`{ id, ...request }` in, `{ id, ...reply }` out).
 * It keeps the process alive only while a request waits for it (a CLI import awaits one; an idle
 * service's must not hold its exit). If it dies, the requests waiting reject, and the next request
 * starts another.
 */
export function requestThread<Request extends object, Reply extends object>(name: string, module: URL, options: WorkerOptions = {}) {
  let thread: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();

  function started(): Worker {
    if (thread) return thread;
    const worker = startWorker(module, options);
    worker.on('message', ({ id, ...reply }: { id: number }) => {
      const waiter = pending.get(id);
      pending.delete(id);
      if (pending.size === 0) worker.unref();
      waiter?.resolve(reply as Reply);
    });
    const fail = (error: Error) => {
      if (thread === worker) thread = null;
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${name} exited with code ${code}`)));
    worker.unref();
    thread = worker;
    return worker;
  }

  return {
    /** Starts the thread before the first request needs it: a thread takes a while to load its modules. */
    start(): void {
      started();
    },

    request(message: Request, transfer: ArrayBuffer[] = []): Promise<Reply> {
      const worker = started();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, ...message }, transfer);
      });
    },

    async close(): Promise<void> {
      const worker = thread;
      thread = null;
      await worker?.terminate();
    },
  };
}
