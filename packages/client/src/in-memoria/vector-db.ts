/**
 * Stands in for In-Memoria's `dist/storage/vector-db.js`: `SemanticVectorDB`
 * with the same constructor and async methods, its chunks kept in a collection
 * of the project of the database In-Memoria opened last (named as In-Memoria
 * names it, `in-memoria` by default). Stored chunks wait in the bridge's write
 * buffer with the rows; searches send them first.
 */
import type { RemoteSemanticVectorDB } from '../in-memoria-vectors.js';
import { bridgeCall, openOrStop } from './sync.js';
import { VECTOR_METHODS, type VectorMethod } from './methods.js';

type Asynchronous<T> = { [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never };

const handles = new WeakMap<object, number>();

export interface SemanticVectorDB extends Pick<Asynchronous<RemoteSemanticVectorDB>, Exclude<VectorMethod, 'initialize'>> {}

export class SemanticVectorDB {
  /** In-Memoria passes an OpenAI key; the service embeds with its own configured embedder, so it is unused. */
  constructor(_apiKey?: string) {}

  async initialize(collectionName = 'in-memoria'): Promise<void> {
    if (!handles.has(this)) handles.set(this, openOrStop({ op: 'open-vectors', cwd: process.cwd(), collection: collectionName }));
    bridgeCall({ op: 'call', handle: handles.get(this)!, method: 'initialize', args: [] });
  }

  async close(): Promise<void> {
    const handle = handles.get(this);
    if (handle === undefined) return;
    handles.delete(this);
    bridgeCall({ op: 'close', handle });
  }
}

for (const method of VECTOR_METHODS) {
  if (method === 'initialize') continue;
  Object.defineProperty(SemanticVectorDB.prototype, method, {
    value: async function (this: SemanticVectorDB, ...args: unknown[]) {
      const handle = handles.get(this);
      if (handle === undefined) throw new Error('Vector database not initialized. Call initialize() first.');
      return bridgeCall({ op: 'call', handle, method, args });
    },
    writable: true,
    configurable: true,
  });
}
