/**
 * An export sink over a writable stream: resolves when the stream takes more, rejects when it closes
 * first, or (with `idleMs`) when it takes nothing for that long: a client that stops reading must not
 * hold an export (and its snapshot) open for ever.
 */
import type { Writable } from 'node:stream';
import type { ExportSink } from './export.js';

export function streamSink(stream: Writable, gone = 'the export destination closed', idleMs?: number): ExportSink {
  return (text) =>
    new Promise<void>((resolve, reject) => {
      if (stream.destroyed || stream.writableEnded) return reject(new Error(gone));
      if (stream.write(text)) return resolve();
      const done = (error?: Error) => {
        clearTimeout(timer);
        stream.off('drain', onDrain).off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error(gone));
      const timer = idleMs === undefined ? undefined : setTimeout(() => done(new Error(`the export client read nothing for ${idleMs / 1000} s`)), idleMs);
      stream.once('drain', onDrain).once('close', onClose);
    });
}
