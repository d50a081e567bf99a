/**
 * A real OpenAI-compatible HTTP server on loopback, for tests: POST
 * /v1/embeddings answers deterministic vectors, and failures are programmed
 * per request (`failNext`) so retries, timeouts and bad answers are exercised
 * over a real socket, through the real SDK.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with one request; requests with nothing queued succeed. */
export type Behaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; message?: string }
  /** Never answers: no status line, no headers. */
  | { kind: 'hang' }
  /** Sends status and headers, then never finishes the body. */
  | { kind: 'stall-body' }
  /** Answers with vectors of this size whatever was asked. */
  | { kind: 'dimensions'; dimensions: number }
  /** Answers exactly this, e.g. a proxy's HTML page or broken JSON. */
  | { kind: 'raw'; status: number; contentType: string; body: string };

export interface RecordedRequest {
  model: string;
  input: string[];
  dimensions?: number;
  encodingFormat?: string;
  authorized: boolean;
}

export interface OpenAITestServer {
  /** Base URL as the SDK wants it, ending in /v1. */
  baseUrl: string;
  apiKey: string;
  /** Every request received, in arrival order, failed ones included. */
  requests: RecordedRequest[];
  failNext(...behaviours: Behaviour[]): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  apiKey?: string;
  /** Size of vectors when the request does not ask for `dimensions`. */
  defaultDimensions?: number;
  /** Answer `data` in reverse order, as a server is allowed to. */
  reverseOrder?: boolean;
}

export async function startOpenAITestServer(options: TestServerOptions = {}): Promise<OpenAITestServer> {
  const apiKey = options.apiKey ?? 'sk-test-0123456789abcdef';
  const defaultDimensions = options.defaultDimensions ?? 1536;
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendJson(res, 500, { error: { message: String(error), type: 'server_error' } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
      return;
    }
    const body = JSON.parse(await readBody(req)) as { model: string; input: string | string[]; dimensions?: number; encoding_format?: string };
    const input = Array.isArray(body.input) ? body.input : [body.input];
    const authorized = req.headers.authorization === `Bearer ${apiKey}`;
    requests.push({ model: body.model, input, dimensions: body.dimensions, encodingFormat: body.encoding_format, authorized });

    if (!authorized) {
      // Like the real API, the message echoes the key it was given (in full here,
      // the worst case), so tests can prove the embedder never passes it on.
      const given = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      sendJson(res, 401, { error: { message: `Incorrect API key provided: ${given}.`, type: 'invalid_request_error', code: 'invalid_api_key' } });
      return;
    }

    const behaviour = queue.shift();
    if (behaviour?.kind === 'hang') return;
    if (behaviour?.kind === 'stall-body') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"list","data":[');
      return;
    }
    if (behaviour?.kind === 'raw') {
      res.writeHead(behaviour.status, { 'content-type': behaviour.contentType });
      res.end(behaviour.body);
      return;
    }
    if (behaviour?.kind === 'status') {
      sendJson(
        res,
        behaviour.status,
        { error: { message: behaviour.message ?? `programmed failure ${behaviour.status}`, type: 'server_error' } },
        behaviour.headers,
      );
      return;
    }

    const dimensions = behaviour?.kind === 'dimensions' ? behaviour.dimensions : (body.dimensions ?? defaultDimensions);
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from(testVector(text, dimensions)) }));
    if (options.reverseOrder) data.reverse();
    sendJson(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 0, total_tokens: 0 } });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    failNext: (...behaviours) => void queue.push(...behaviours),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // hung requests would hold close() forever
      }),
  };
}

/**
 * The server's vector for a text: deterministic, not unit length (so the
 * embedder's normalisation is visible), different for different texts.
 */
export function testVector(text: string, dimensions: number): Float32Array {
  let state = 2166136261;
  for (let i = 0; i < text.length; i++) state = Math.imul(state ^ text.charCodeAt(i), 16777619) >>> 0;
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) {
    // xorshift32: a cheap deterministic stream seeded by the text
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    vector[i] = (state / 0xffffffff) * 4 - 2;
  }
  return vector;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
