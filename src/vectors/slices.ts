/**
 * Per-document work on a batch (decoding its vectors, adding it to memory) in slices, with a turn of
 * the event loop between them: a batch of 1,000 x 384 holds the loop for several milliseconds per
 * step, and every search that arrives meanwhile would wait for all of it (docs/BENCHMARKS.md, issue 14).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Calls `visit` on each item in order, `size` items per turn of the event loop. */
export async function inSlices<T>(items: readonly T[], size: number, visit: (item: T, index: number) => void): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await nextTurn();
    const end = Math.min(start + size, items.length);
    for (let index = start; index < end; index++) visit(items[index]!, index);
  }
}
