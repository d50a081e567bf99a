/** An export sink over a writable stream: resolves when the stream takes more, rejects when it closes first. */
import type { Writable } from 'node:stream';
import type { ExportSink } from './export.js';

export function streamSink(stream: Writable, gone = 'the export destination closed'): ExportSink {
  return (text) =>
    new Promise<void>((resolve, reject) => {
      if (stream.destroyed || stream.writableEnded) return reject(new Error(gone));
      if (stream.write(text)) return resolve();
      const done = (error?: Error) => {
        stream.off('drain', onDrain).off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error(gone));
      stream.once('drain', onDrain).once('close', onClose);
    });
}
