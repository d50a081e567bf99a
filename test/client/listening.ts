/** The real service (SQLite and the embedded vector store) listening on a loopback port, and helpers of the client tests. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { StorageError } from '../../packages/client/src/index.js';
import { startTestService, type TestService } from '../support/app.js';

export interface ListeningService {
  url: string;
  service: TestService;
  destroy(): Promise<void>;
}

export async function startListeningService(env?: Record<string, string>): Promise<ListeningService> {
  const service = await startTestService({ env });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = service.app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, service, destroy: () => service.destroy() };
}

/** A fetch that counts the requests it sends, by method and path. */
export function countingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      const url = new URL(String(input));
      calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
      return fetch(input, init);
    },
  };
}

/** The StorageError a client call rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(call: Promise<unknown>): Promise<StorageError> {
  const error = await call.then(
    () => assert.fail('expected the call to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof StorageError, `expected a StorageError, got ${String(error)}`);
  return error;
}
