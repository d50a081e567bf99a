// Preloaded into a benchmarked CLI run (node --import): prints the process's peak RSS on exit, on stderr.
process.on('exit', () => process.stderr.write(`\nPEAK_RSS_KB=${process.resourceUsage().maxRSS}\n`));
