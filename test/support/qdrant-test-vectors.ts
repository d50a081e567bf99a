/**
 * Vectors for the Qdrant 1.19 test server (a model of Qdrant, not Qdrant): one
 * unnamed dense vector or named ones, named sparse vectors with the optional
 * `idf` modifier, and how they are stored, scored and returned.
 *
 * - Cosine vectors are normalised on store; dense scores are dot products.
 * - Sparse scores are the dot product over shared indices; with `modifier: idf`
 *   each query weight is multiplied by idf = ln((N - n + 0.5) / (n + 0.5) + 1),
 *   N the points that have this sparse vector and n those with the index.
 *   Only points sharing at least one index with the query are candidates.
 */
export type Dense = number[];
export interface Sparse {
  indices: number[];
  values: number[];
}

export interface DenseConfig {
  size: number;
  distance: 'Cosine' | 'Dot';
}

export interface VectorConfig {
  /** True when vectors are given by name; the unnamed vector is stored under ''. */
  named: boolean;
  dense: Map<string, DenseConfig>;
  sparse: Map<string, { modifier: 'none' | 'idf' }>;
}

export type StoredVectors = Record<string, Dense | Sparse>;

export class VectorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const unsupported = (what: string) => new VectorError(400, `Unsupported by the Qdrant test server: ${what}`, true);
const noSuchVector = (name: string) => new VectorError(400, `Wrong input: Not existing vector name error: ${name}`);

function denseConfig(raw: any): DenseConfig {
  if (raw.multivector_config) throw unsupported('multivectors');
  if (raw.distance !== 'Cosine' && raw.distance !== 'Dot') throw unsupported(`distance ${raw.distance}`);
  return { size: raw.size, distance: raw.distance };
}

export function parseVectorConfig(body: any): VectorConfig {
  const vectors = body?.vectors;
  const config: VectorConfig = { named: true, dense: new Map(), sparse: new Map() };
  if (vectors && typeof vectors.size === 'number') {
    config.named = false;
    config.dense.set('', denseConfig(vectors));
  } else if (vectors) {
    for (const [name, params] of Object.entries(vectors)) config.dense.set(name, denseConfig(params));
  }
  for (const [name, params] of Object.entries((body?.sparse_vectors ?? {}) as Record<string, { modifier?: string | null }>)) {
    config.sparse.set(name, { modifier: params?.modifier === 'idf' ? 'idf' : 'none' });
  }
  return config;
}

/** The collection's `params.vectors` and `params.sparse_vectors`, as GET /collections/{name} shows them. */
export function describeVectorConfig(config: VectorConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.vectors = config.named ? Object.fromEntries(config.dense) : config.dense.get('');
  if (config.sparse.size > 0) out.sparse_vectors = Object.fromEntries([...config.sparse].map(([name, p]) => [name, { modifier: p.modifier }]));
  return out;
}

function unitVector(vector: Dense): Dense {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector.map(Math.fround) : vector.map((x) => Math.fround(x / norm));
}

function checkDense(config: DenseConfig, raw: unknown): Dense {
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'number')) throw unsupported('multivectors and inference objects');
  if (raw.length !== config.size) throw new VectorError(400, `Wrong input: Vector dimension error: expected dim: ${config.size}, got ${raw.length}`);
  return raw as Dense;
}

function checkSparse(raw: unknown): Sparse {
  const s = raw as Partial<Sparse> | null;
  if (!s || !Array.isArray(s.indices) || !Array.isArray(s.values)) throw unsupported('inference objects');
  if (s.indices.length !== s.values.length) {
    throw new VectorError(422, 'Validation error in JSON body: [sparse vector: indices and values must be the same length]');
  }
  if (new Set(s.indices).size !== s.indices.length) throw new VectorError(422, 'Validation error in JSON body: [sparse vector: indices must be unique]');
  // Stored sorted by index, as Qdrant does.
  const order = s.indices.map((_, i) => i).sort((a, b) => s.indices![a]! - s.indices![b]!);
  return { indices: order.map((i) => s.indices![i]!), values: order.map((i) => Math.fround(s.values![i]!)) };
}

/** Validates a point's vectors against the collection and prepares them for storage. */
export function parsePointVectors(config: VectorConfig, raw: unknown): StoredVectors {
  if (Array.isArray(raw)) {
    const unnamed = config.dense.get('');
    if (!unnamed) throw noSuchVector('');
    return { '': store(unnamed, checkDense(unnamed, raw)) };
  }
  if (!raw || typeof raw !== 'object') throw unsupported('this vector input');
  const out: StoredVectors = {};
  for (const [name, value] of Object.entries(raw)) {
    const dense = config.dense.get(name);
    if (dense) out[name] = store(dense, checkDense(dense, value));
    else if (config.sparse.has(name)) out[name] = checkSparse(value);
    else throw noSuchVector(name);
  }
  return out;
}

function store(config: DenseConfig, vector: Dense): Dense {
  return config.distance === 'Cosine' ? unitVector(vector) : vector.map(Math.fround);
}

/** What `with_vector` asks for: nothing, all vectors, or the named ones. */
export function selectVectors(config: VectorConfig, vectors: StoredVectors, selector: unknown): unknown {
  if (selector === false || selector === undefined || selector === null) return undefined;
  if (!config.named) return selector === true || (Array.isArray(selector) && selector.includes('')) ? vectors[''] : undefined;
  const names = selector === true ? Object.keys(vectors) : (selector as string[]).filter((n) => n in vectors);
  return Object.fromEntries(names.map((n) => [n, vectors[n]]));
}

export interface Scorable {
  vectors: StoredVectors;
}

/**
 * Scores candidates against a query on vector `using`; returns null for points
 * that are not candidates (no such vector, or no shared sparse index).
 */
export function scorer(config: VectorConfig, using: string, rawQuery: unknown, all: Scorable[]): (p: Scorable) => number | null {
  const dense = config.dense.get(using);
  if (dense) {
    const query = store(dense, checkDense(dense, rawQuery));
    return (p) => {
      const v = p.vectors[using] as Dense | undefined;
      return v ? v.reduce((sum, x, i) => sum + x * (query[i] ?? 0), 0) : null;
    };
  }
  const sparse = config.sparse.get(using);
  if (!sparse) throw noSuchVector(using);
  const query = checkSparse(rawQuery);
  const weights = new Map(query.indices.map((index, i) => [index, query.values[i]!]));
  if (sparse.modifier === 'idf') {
    const holders = all.map((p) => p.vectors[using] as Sparse | undefined).filter((v): v is Sparse => v !== undefined);
    const total = holders.length;
    for (const [index, weight] of weights) {
      const n = holders.filter((v) => v.indices.includes(index)).length;
      weights.set(index, weight * Math.log((total - n + 0.5) / (n + 0.5) + 1));
    }
  }
  return (p) => {
    const v = p.vectors[using] as Sparse | undefined;
    if (!v) return null;
    let score = 0;
    let shared = false;
    v.indices.forEach((index, i) => {
      const w = weights.get(index);
      if (w === undefined) return;
      shared = true;
      score += w * v.values[i]!;
    });
    return shared ? score : null;
  };
}
