/**
 * The one retry loop, of the service's outbound calls (Qdrant, the embedding endpoint) and of the
 * client's calls to the service. The caller says what a failure means: give up (throw) or try again
 * after a delay. Imports nothing but Node, so the client package can ship it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Exponential backoff with "equal jitter": half of the capped step fixed, half random. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(baseMs * 2 ** attempt, maxMs);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/**
 * Runs `work` until it succeeds. After a failure, `retryIn(error, attempt)` (attempts counted from 0)
 * returns the milliseconds to wait before the next attempt, or throws to give up. An abort of `signal`
 * during a wait rejects with the signal's AbortError.
 */
export async function withRetries<T>(work: () => Promise<T>, retryIn: (error: unknown, attempt: number) => number, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      await sleep(retryIn(error, attempt), undefined, { signal });
    }
  }
}
