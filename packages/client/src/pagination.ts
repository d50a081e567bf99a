/** Walking cursor-paginated lists without holding every page. */
import type { Page } from './types.js';

/** Every item of every page, fetched page by page as the caller iterates. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, startCursor?: string): AsyncGenerator<T> {
  let cursor = startCursor;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** Collects an async iterable into an array, stopping after `max` items when given. */
export async function collect<T>(items: AsyncIterable<T>, max = Infinity): Promise<T[]> {
  const collected: T[] = [];
  if (max <= 0) return collected;
  for await (const item of items) {
    collected.push(item);
    if (collected.length >= max) break;
  }
  return collected;
}
