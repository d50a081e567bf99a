/** A real pino logger whose lines are kept in memory, parsed, for tests to read what was logged. */
import pino, { type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  /** Every line logged, parsed: the object's fields, `msg`, `level` (40 = warn). */
  lines: Array<Record<string, unknown>>;
}

export function captureLog(level: pino.Level = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level, base: undefined, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}
