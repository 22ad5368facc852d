// A strict parser for the Prometheus text exposition format 0.0.4, for tests: it throws on anything
// the format does not allow and on what Prometheus' own parser refuses for a scrape (a TYPE after
// samples, a family split in two, a duplicate series or label, a bad escape, a negative counter).
// Written here rather than taken from npm: the parsers there (parse-prometheus-text-format, prom2json)
// are lenient by design and unmaintained, and a test parser must be strict.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string | undefined;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new ExpositionError(line, `bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** The family a sample belongs to: histograms and summaries have suffixed series. */
function familyOf(sample: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new ExpositionError(0, 'the last line must end with a line feed');
  const families = new Map<string, ParsedFamily>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: ParsedFamily | undefined;
  const lines = text.split('\n');
  lines.pop();
  const enter = (f: ParsedFamily, n: number) => {
    if (current === f) return;
    if (finished.has(f.name)) throw new ExpositionError(n, `family ${f.name} appears in two places`);
    if (current) finished.add(current.name);
    current = f;
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new ExpositionError(n, `bad metric name ${JSON.stringify(name)}`);
      let f = families.get(name);
      if (!f) {
        f = { name, help: undefined, type: 'untyped', samples: [] };
        families.set(name, f);
      }
      enter(f, n);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new ExpositionError(n, `second HELP for ${name}`);
        if (/\\[^\\n]|\\$/.test(rest.replace(/\\\\/g, ''))) throw new ExpositionError(n, 'HELP may only escape \\\\ and \\n');
        f.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (!TYPES.has(rest)) throw new ExpositionError(n, `unknown type ${JSON.stringify(rest)}`);
        if (f.samples.length > 0) throw new ExpositionError(n, `TYPE for ${name} after its samples`);
        if ((f as { typed?: boolean }).typed) throw new ExpositionError(n, `second TYPE for ${name}`);
        (f as { typed?: boolean }).typed = true;
        f.type = rest as MetricType;
      }
      return;
    }
    const sample = parseSample(raw, n);
    let f = familyOf(sample.name, families);
    if (!f) {
      f = { name: sample.name, help: undefined, type: 'untyped', samples: [] };
      families.set(sample.name, f);
    }
    enter(f, n);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (series.has(key)) throw new ExpositionError(n, `duplicate series ${key}`);
    series.add(key);
    if (f.type === 'counter' && !(sample.value >= 0)) throw new ExpositionError(n, `counter ${sample.name} is ${sample.value}`);
    f.samples.push(sample);
  });
  for (const f of families.values()) delete (f as { typed?: boolean }).typed;
  return families;
}

function parseSample(line: string, n: number): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ExpositionError(n, `bad sample line ${JSON.stringify(line)}`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelMatch) throw new ExpositionError(n, `bad label name at column ${i + 1}`);
      const label = labelMatch[0];
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new ExpositionError(n, `reserved or bad label name ${label}`);
      i += label.length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new ExpositionError(n, `expected ="…" after ${label}`);
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new ExpositionError(n, `unterminated value of ${label}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ExpositionError(n, `bad escape \\${e ?? ''} in ${label}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      if (label in labels) throw new ExpositionError(n, `label ${label} twice`);
      labels[label] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new ExpositionError(n, `expected , or } at column ${i + 1}`);
    }
  }
  const rest = line.slice(i);
  const m = /^ +(\S+)(?: +(-?\d+))?$/.exec(rest);
  if (!m) throw new ExpositionError(n, `bad value part ${JSON.stringify(rest)}`);
  return { name, labels, value: parseValue(m[1]!, n) };
}
