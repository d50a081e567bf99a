/** The shared vector-store contract on the Qdrant adapter, through the Qdrant 1.19 test server (or a real Qdrant at QDRANT_URL). */
import { runVectorStoreContract } from '../contracts/vector-store.js';
import { openQdrantForContract } from './harness.js';

runVectorStoreContract('qdrant', openQdrantForContract);
