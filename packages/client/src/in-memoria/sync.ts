/**
 * The main thread's side of the bridge: one synckit worker (worker.ts), calls
 * that block until it answers, and the exit path that never loses a write
 * silently: what is still buffered is sent when the process exits, and if it
 * cannot be (or the service refused rows), one line says so and the exit code
 * is 1.
 */
import { createSyncFn } from 'synckit';
import { fatal } from './settings.js';
import type { BridgeReply, BridgeRequest, BridgeStatus, SerializedError } from './worker.js';

/** Longer than the worker's own timeouts and retries (15 s x 3 plus backoff), so the worker always answers first. */
const CALL_TIMEOUT_MS = 120_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

let callWorker: ((request: BridgeRequest) => BridgeReply) | undefined;

/** An Error as the service's client throws it: `code` and `status` kept, so In-Memoria's callers can tell. */
export interface BridgeError extends Error {
  code?: string;
  status?: number;
}

function rebuild(serialized: SerializedError): BridgeError {
  const error: BridgeError = serialized.name === 'TypeError' ? new TypeError(serialized.message) : new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  if (serialized.status !== undefined) error.status = serialized.status;
  return error;
}

export function bridgeCall(request: BridgeRequest): unknown {
  if (!callWorker) {
    callWorker = createSyncFn(new URL('./worker.js', import.meta.url), { timeout: CALL_TIMEOUT_MS });
    installExitHandlers();
  }
  const reply = callWorker(request);
  if (!reply.ok) throw rebuild(reply.error);
  return reply.value;
}

/** Opens a database or collection; a project the key may not use (or a service gone) stops the process, in one line. */
export function openOrStop(request: Extract<BridgeRequest, { op: 'open-database' | 'open-vectors' }>): number {
  try {
    return bridgeCall(request) as number;
  } catch (error) {
    if ((error as Error).name === 'BridgeSettingsError') fatal((error as Error).message, 1);
    throw error;
  }
}

function report(): void {
  let status: BridgeStatus;
  try {
    try {
      bridgeCall({ op: 'flush' });
    } catch {
      // The status below says what is left and why.
    }
    status = bridgeCall({ op: 'status' }) as BridgeStatus;
  } catch (error) {
    process.stderr.write(`in-memoria-remote: could not send buffered writes to the storage service: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (status.pending > 0) {
    process.stderr.write(
      `in-memoria-remote: ${status.pending} writes were not stored: the storage service is unreachable (${status.unreachable ?? 'no answer'})\n`,
    );
    process.exitCode = 1;
  }
  if (status.refused > 0) {
    process.stderr.write(`in-memoria-remote: the storage service refused ${status.refused} writes: ${status.refusal}\n`);
    process.exitCode = 1;
  }
}

function installExitHandlers(): void {
  process.once('exit', report);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      // Send what is buffered, then die of the signal as Node would have, unless In-Memoria handles it too.
      report();
      if (process.listenerCount(signal) === 0) {
        process.removeListener('exit', report);
        process.kill(process.pid, signal);
      }
    };
    process.once(signal, onSignal);
  }
}
