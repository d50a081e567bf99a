/**
 * in-memoria-storage/client: a typed client of the storage service, with no
 * dependency beyond Node's own fetch, and adapters with In-Memoria's storage
 * method names.
 */
export { StorageClient, EntityClient, createStorageClient, type StorageClientOptions } from './client.js';
export { StorageError, isStorageError, orNull, type TransportErrorCode } from './errors.js';
export type { CallOptions, TransportOptions } from './http.js';
export { paginate, collect } from './pagination.js';
/** `embedding` and `vector` as base64 float32: a fraction of the bytes and parse time of a JSON array. */
export { encodeVector, decodeVector } from '../../../src/shared/vector-encoding.js';
export { RemoteSQLiteDatabase, RemoteSemanticVectorDB, createInMemoriaStorage, type InMemoriaStorageOptions } from './in-memoria.js';
export type * from './in-memoria-types.js';
export type * from './types.js';
