// The Qdrant 1.19 test server in its own process, for bench/qdrant.ts (not a real Qdrant).
import { startQdrantTestServer } from '../test/support/qdrant-test-server.js';

await startQdrantTestServer({ apiKey: process.env.QDRANT_API_KEY, port: Number(process.env.PORT) });
