// Preloaded into a benchmarked CLI run (node --import): prints the process's peak RSS on exit, on stderr.
// Linux's VmHWM belongs to this process's own memory map; getrusage's maxRSS would also carry the
// peak of the parent that spawned it (it survives fork and exec), which the bench's seeding inflates.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try {
    const match = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) kb = Number(match[1]);
  } catch {
    // not Linux: getrusage's figure
  }
  process.stderr.write(`\nPEAK_RSS_KB=${kb}\n`);
});
