/**
 * TEST HELPER: a strict reader of the Prometheus text exposition format 0.0.4, so tests check what a
 * scraper would see rather than matching lines. It throws, naming the line, on what Prometheus would
 * refuse or what breaks its conventions: a sample before its family's `# TYPE`, a family declared twice, a
 * bad metric or label name, a value that is not a number, the same series twice, a counter not named
 * `*_total`, a histogram whose buckets are not cumulative or lack `+Inf`, `_sum` or `_count`.
 *
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition. */
export interface Exposition {
  /** Family name → type. */
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the series with exactly these labels, or undefined. */
  value(name: string, labels: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"];

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}

/** Parses `{a="x",b="y\"z"}` (escapes \\, \", \n). */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /\s*([^=\s]+)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let offset = 0;
  while (offset < text.length) {
    pattern.lastIndex = offset;
    const match = pattern.exec(text);
    if (!match) throw new Error(`bad labels in "${line}"`);
    const [, name, raw] = match as unknown as [string, string, string];
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in "${line}"`);
    if (name in labels) throw new Error(`label "${name}" twice in "${line}"`);
    labels[name] = raw.replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
    offset = pattern.lastIndex;
  }
  return labels;
}

/** The family a sample belongs to: its own name, or a histogram's name without the suffix. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix ? name.slice(0, -suffix.length) : undefined;
  return base && types.get(base) === "histogram" ? base : undefined;
}

function parseSample(line: string, types: Map<string, string>): Sample {
  const match = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
  if (!match || !NAME.test(match[1]!)) throw new Error(`bad sample line "${line}"`);
  const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
  const family = familyOf(name, types);
  if (!family) throw new Error(`sample "${name}" comes before its # TYPE line`);
  if (types.get(family) === "histogram" && name === family) {
    throw new Error(`bare histogram sample "${line}"`);
  }
  const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText);
  if (Number.isNaN(value) && valueText !== "NaN") throw new Error(`bad value in "${line}"`);
  return { name, labels: parseLabels(labelText ?? "", line), value };
}

function parseComment(line: string, types: Map<string, string>, helped: Set<string>): void {
  const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
  if (!match) return; // other comments are allowed
  const [, keyword, name, rest] = match as unknown as [string, string, string, string | undefined];
  if (!NAME.test(name)) throw new Error(`bad metric name in "${line}"`);
  if (keyword === "HELP") {
    if (helped.has(name)) throw new Error(`# HELP ${name} twice`);
    helped.add(name);
    return;
  }
  if (types.has(name)) throw new Error(`# TYPE ${name} twice`);
  if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest ?? "")) {
    throw new Error(`bad type in "${line}"`);
  }
  if (rest === "counter" && !name.endsWith("_total")) throw new Error(`counter ${name} is not named *_total`);
  types.set(name, rest!);
}

/** Buckets cumulative and ending in +Inf equal to _count, per histogram series. */
function checkHistograms(exposition: Exposition): void {
  for (const [family, type] of exposition.types) {
    if (type !== "histogram") continue;
    const buckets = exposition.samples.filter((s) => s.name === `${family}_bucket`);
    const series = new Map<string, Sample[]>();
    for (const bucket of buckets) {
      const { le: _le, ...rest } = bucket.labels;
      const key = seriesKey(family, rest);
      series.set(key, [...(series.get(key) ?? []), bucket]);
    }
    for (const [key, list] of series) {
      const labels = Object.fromEntries(JSON.parse(key.slice(family.length)));
      const bounds = list.map((b) => b.labels.le === "+Inf" ? Infinity : Number(b.labels.le));
      if (bounds.at(-1) !== Infinity) throw new Error(`${family}${key}: no +Inf bucket last`);
      for (let i = 1; i < list.length; i++) {
        if (bounds[i]! <= bounds[i - 1]! || list[i]!.value < list[i - 1]!.value) {
          throw new Error(`${family}${key}: buckets not increasing and cumulative`);
        }
      }
      const count = exposition.value(`${family}_count`, labels);
      if (count !== list.at(-1)!.value || exposition.value(`${family}_sum`, labels) === undefined) {
        throw new Error(`${family}${key}: _count/_sum missing or not the +Inf bucket`);
      }
    }
  }
}

/**
 * Parses an exposition, strictly (see the module doc).
 *
 * @throws Error naming the offending line or series
 */
export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      parseComment(line, types, helped);
      continue;
    }
    if (line.trim() === "") continue;
    const sample = parseSample(line, types);
    const key = seriesKey(sample.name, sample.labels);
    if (seen.has(key)) throw new Error(`series ${key} twice`);
    seen.set(key, sample.value);
    samples.push(sample);
  }
  const exposition = {
    types,
    samples,
    value: (name: string, labels: Record<string, string>) => seen.get(seriesKey(name, labels)),
  };
  checkHistograms(exposition);
  return exposition;
}
