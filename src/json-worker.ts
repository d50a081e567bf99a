/** Parses large JSON request bodies off the event loop (json-body.ts sends them, transferred). */
import { parentPort } from 'node:worker_threads';
import { parseJsonBody } from './json-text.js';

parentPort!.on('message', ({ id, body }: { id: number; body: Uint8Array }) => {
  parentPort!.postMessage({ id, ...parseJsonBody(body) });
});
