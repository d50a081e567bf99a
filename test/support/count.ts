/** How many documents a collection holds (passing `filter`), read through the store's own scroll: the port has no count. */
import type { Filter, VectorStore } from '../../src/vectors/port.js';

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
