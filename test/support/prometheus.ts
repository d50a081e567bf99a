/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line
 * must be a HELP, a TYPE or a sample, or parsing throws. Samples come back as
 * `name{label="value",...}` -> value, labels in the order they were written.
 */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface Exposition {
  types: Map<string, string>;
  samples: Map<string, number>;
}

export function parsePrometheus(text: string): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const fail = (why: string) => new Error(`line ${index + 1}: ${why}: ${line}`);
    if (line.startsWith('# HELP ')) {
      if (!METRIC_NAME.test(line.split(' ')[2] ?? '')) throw fail('bad HELP');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name = '', type = ''] = line.split(' ');
      if (!METRIC_NAME.test(name) || !TYPES.has(type)) throw fail('bad TYPE');
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw fail('not a sample');
    const [, name, , labelText = '', rawValue = ''] = match;
    const labels: string[] = [];
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const label = LABEL.exec(labelText);
      if (!label) throw fail('bad labels');
      labels.push(`${label[1]}="${label[2]}"`);
    }
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
    const special: Record<string, number> = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };
    const value = special[rawValue.toLowerCase()] ?? Number(rawValue);
    if (Number.isNaN(value) && rawValue.toLowerCase() !== 'nan') throw fail('bad value');
    samples.set(labels.length ? `${name}{${labels.join(',')}}` : name!, value);
  }
  return { types, samples };
}
