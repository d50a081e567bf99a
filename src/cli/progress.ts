/**
 * Progress of long CLI work, on stderr (stdout carries data and reports): a bar
 * on a terminal (cli-progress), plain lines at most every two seconds otherwise,
 * so logs of a job runner stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `total` may be unknown (0). */
  update(value: number, phase: string): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(label: string, total = 0, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} {phase}`, stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { phase: '' });
    return {
      update: (value, phase) => bar.update(value, { phase }),
      setTotal: (next) => bar.setTotal(next),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let latest = { value: 0, phase: '' };
  const line = () => stream.write(`${label}: ${latest.value}${total ? `/${total}` : ''} ${latest.phase}\n`);
  return {
    update(value, phase) {
      latest = { value, phase };
      if (Date.now() - last >= 2000) {
        last = Date.now();
        line();
      }
    },
    setTotal: (next) => void (total = next),
    stop: () => void line(),
  };
}
