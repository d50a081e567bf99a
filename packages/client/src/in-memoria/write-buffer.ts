/**
 * Write-behind for the bridge: In-Memoria stores a learn one row at a time
 * (thousands of calls); rows wait here and go as batches of up to 1,000, one
 * transaction each. The buffer is sent before any other call, when it is full,
 * a short delay after the first row waits, at close() and at exit.
 *
 * A row is dropped only when the service refused it (4xx): it is counted in
 * `refused` and reported. On an outage (no answer, 5xx) every row stays, the
 * call that sent them throws, and the next send tries again.
 */
import type { StorageClient } from '../client.js';
import { StorageError } from '../errors.js';
import type { EntityWrites } from '../in-memoria.js';
import type { DocumentWrites } from '../in-memoria-vectors.js';
import type { EntityKeyedInput, EntityName, KeyedDocumentInput } from '../types.js';

const BATCH = 1000;

interface Group<T> {
  send(items: T[]): Promise<unknown>;
  items: Map<string, T>;
}

export interface WriteBufferOptions {
  /** Rows waiting before a write sends them itself. */
  maxPending?: number;
  /** Called a short while after the first row waits; sends the buffer in the background. */
  schedule?: () => void;
}

export class WriteBuffer {
  private readonly groups = new Map<string, Group<unknown>>();
  private readonly maxPending: number;
  private scheduled = false;
  /** Rows the service refused (4xx), and its last word on them. */
  refused = 0;
  refusal?: string;

  constructor(
    private readonly client: StorageClient,
    private readonly options: WriteBufferOptions = {},
  ) {
    this.maxPending = options.maxPending ?? BATCH;
  }

  get pending(): number {
    let count = 0;
    for (const group of this.groups.values()) count += group.items.size;
    return count;
  }

  /** The writes of one project's rows. */
  entities(projectId: string): EntityWrites {
    return (name, key, item) =>
      this.add(`entity\0${projectId}\0${name}`, key, item, (items) =>
        this.client.entity(name as EntityName).batch(projectId, items as EntityKeyedInput<EntityName>[]),
      );
  }

  /** The writes of one project's chunks. */
  documents(projectId: string): DocumentWrites {
    return (collection, document) =>
      this.add(`documents\0${projectId}\0${collection}`, document.id, document, (items) =>
        this.client.documents.batch(projectId, collection, items as KeyedDocumentInput[]),
      );
  }

  /** Sends every waiting row. Throws on the first batch that fails; what was not sent stays. */
  async flush(): Promise<void> {
    this.scheduled = false;
    for (const [name, group] of this.groups) {
      while (group.items.size > 0) {
        const keys = [...group.items.keys()].slice(0, BATCH);
        const items = keys.map((key) => group.items.get(key));
        try {
          await group.send(items);
        } catch (error) {
          if (!isRefusal(error)) throw error;
          this.refused += items.length;
          this.refusal = error.message;
          for (const key of keys) group.items.delete(key);
          throw error;
        }
        for (const key of keys) group.items.delete(key);
      }
      this.groups.delete(name);
    }
  }

  private async add<T>(name: string, key: string, item: T, send: (items: T[]) => Promise<unknown>): Promise<void> {
    let group = this.groups.get(name) as Group<T> | undefined;
    if (!group) {
      group = { send, items: new Map() };
      this.groups.set(name, group as Group<unknown>);
    }
    // A second write of a key replaces the first, as INSERT OR REPLACE does, and moves it last.
    group.items.delete(key);
    group.items.set(key, item);
    if (this.pending >= this.maxPending) return this.flush();
    if (!this.scheduled && this.options.schedule) {
      this.scheduled = true;
      this.options.schedule();
    }
  }
}

/** The service answered and said no: sending the same rows again cannot help. */
function isRefusal(error: unknown): error is StorageError {
  return (
    error instanceof StorageError && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429
  );
}
