/**
 * The data of the vector benchmarks: clustered vectors (2,000 Gaussian
 * clusters, how real code embeddings look), regenerated from a seed so a
 * benchmark never needs to hold a copy while it measures RSS; queries are
 * stored vectors plus noise; ground truth is usearch's exact scan.
 */
import { createRequire } from 'node:module';
import type { VectorDocument } from '../src/vectors/port.js';
import { seededRandom } from '../test/support/random.js';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

export interface VectorDataOptions {
  n: number;
  dims: number;
  queries: number;
}

export function createVectorData({ n: N, dims: D, queries: Q }: VectorDataOptions) {
  const CLUSTERS = 2000;
  const LANGUAGES = ['typescript', 'javascript', 'python', 'rust', 'go', 'java', 'ruby', 'csharp', 'cpp', 'php'];
  const FILTER = { language: 'typescript' };

  function gaussian(random: () => number): number {
    return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  }

  const centroidRandom = seededRandom(1);
  const centroids = new Float32Array(CLUSTERS * D).map(() => gaussian(centroidRandom));

  /** Vectors of documents [start, start + count), the same on every call. */
  function vectorsOf(start: number, count: number): Float32Array {
    const out = new Float32Array(count * D);
    for (let i = 0; i < count; i++) {
      const random = seededRandom(1000 + start + i);
      const cluster = Math.floor(random() * CLUSTERS);
      for (let j = 0; j < D; j++) out[i * D + j] = centroids[cluster * D + j]! + gaussian(random) * 0.7;
    }
    return out;
  }

  function languageOf(i: number): string {
    return LANGUAGES[i % LANGUAGES.length]!;
  }

  function documentsOf(start: number, count: number): VectorDocument[] {
    const vectors = vectorsOf(start, count);
    return Array.from({ length: count }, (_, k) => {
      const i = start + k;
      return {
        id: `doc-${i}`,
        content: `function handler${i} processes request ${i % 97} in module ${i % 13}`,
        metadata: { filePath: `src/module${i % 13}/file${i % 1000}.ts`, language: languageOf(i), complexity: i % 20, lineCount: 10 + (i % 300) },
        vector: vectors.slice(k * D, (k + 1) * D),
      };
    });
  }

  function queryVectors(): Float32Array[] {
    const random = seededRandom(7);
    return Array.from({ length: Q }, () => {
      const base = vectorsOf(Math.floor(random() * N), 1);
      return base.map((x) => x + gaussian(random) * 0.5);
    });
  }

  /** Exact top-10 ids per query (optionally among documents passing `language`), by usearch's exact scan over regenerated chunks. */
  function groundTruth(queries: Float32Array[], language?: string): Set<string>[] {
    const best = queries.map(() => [] as Array<{ id: number; distance: number }>);
    const CHUNK = 10_000;
    for (let start = 0; start < N; start += CHUNK) {
      const count = Math.min(CHUNK, N - start);
      let vectors = vectorsOf(start, count);
      let keys = Array.from({ length: count }, (_, k) => start + k);
      if (language) {
        keys = keys.filter((i) => languageOf(i) === language);
        const subset = new Float32Array(keys.length * D);
        keys.forEach((i, row) => subset.set(vectors.subarray((i - start) * D, (i - start + 1) * D), row * D));
        vectors = subset;
      }
      queries.forEach((query, q) => {
        // A fresh copy: usearch's exactSearch ignores a view's byteOffset.
        const matches = usearch.exactSearch(vectors, query.slice(), D, 10, usearch.MetricKind.Cos) as import('usearch').Matches;
        for (let r = 0; r < matches.keys.length; r++) best[q]!.push({ id: keys[Number(matches.keys[r])]!, distance: matches.distances[r]! });
        best[q] = best[q]!.sort((a, b) => a.distance - b.distance).slice(0, 10);
      });
    }
    return best.map((list) => new Set(list.map(({ id }) => `doc-${id}`)));
  }

  return { N, D, Q, LANGUAGES, FILTER, vectorsOf, languageOf, documentsOf, queryVectors, groundTruth };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

export function recall(results: string[][], truth: Set<string>[]): number {
  let found = 0;
  let total = 0;
  results.forEach((ids, q) => {
    total += truth[q]!.size;
    found += ids.filter((id) => truth[q]!.has(id)).length;
  });
  return found / total;
}
