/** Reads through the port's own calls what it has no call for: one document, and how many a collection holds. */
import type { Filter, ReadOptions, StoredDocument, VectorStore } from '../../src/vectors/port.js';

/** One document, or null (getMany of one id). */
export async function getDocument(
  store: VectorStore,
  projectId: string,
  collection: string,
  id: string,
  options?: ReadOptions,
): Promise<StoredDocument | null> {
  return (await store.getMany(projectId, collection, [id], options))[0] ?? null;
}

/** How many documents a collection holds (passing `filter`), read through the store's own scroll. */
export async function countDocuments(store: VectorStore, projectId: string, collection: string, filter?: Filter): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await store.scroll(projectId, collection, { filter, limit: 1000, cursor, includeContent: false, includeVector: false });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return count;
}
