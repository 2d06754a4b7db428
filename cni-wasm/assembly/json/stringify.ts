// Serializes JsonValue back to text: compact, or indented the way Go's
// json.MarshalIndent prints CNI results, so our output reads like a reference plugin's.
//
// Linear in time and memory: one pass measures the exact length, a second
// writes into a string of that length. (Array<string>.join is quadratic in the
// optimized builds: with shrinkLevel >= 1 AssemblyScript joins by repeated
// concatenation, and the stub runtime never frees; a 500-route prevResult took
// 184 MB that way.)

import { dtoa_buffered, MAX_DOUBLE_LENGTH } from "util/number";
import { JsonKind, JsonValue } from "./value";

/** Where a non-integer number is formatted: no string per number (the CNI's runtime never frees). */
const NUMBER_SCRATCH = memory.data(MAX_DOUBLE_LENGTH << 1);

/**
 * Largest document printed indented, in UTF-16 units. Indentation grows with
 * depth, so a deeply nested document can print many times larger than it was
 * read; beyond this it is printed compact (the same JSON to every reader).
 */
export const MAX_INDENTED_UNITS: i64 = 1 << 20;

/**
 * Serializes `value` followed by `suffix`; `indent` "" gives compact output, e.g. "    " one member per line.
 */
export function stringify(value: JsonValue, indent: string = "", suffix: string = ""): string {
  const measure = new JsonWriter(indent, null);
  measure.document(value, suffix);
  const text = changetype<string>(__new(<usize> measure.length << 1, idof<string>()));
  const writer = new JsonWriter(indent, text);
  writer.document(value, suffix);
  return text;
}

/** The length of stringify(value, indent) in UTF-16 units, without building it. */
export function jsonLength(value: JsonValue, indent: string = ""): i64 {
  const measure = new JsonWriter(indent, null);
  measure.document(value, "");
  return measure.length;
}

/** Indented when that stays within MAX_INDENTED_UNITS, else compact; then `suffix`. */
export function stringifyBounded(value: JsonValue, indent: string, suffix: string = ""): string {
  return stringify(value, boundedIndent(value, indent), suffix);
}

/** The length of stringifyBounded(value, indent) without building it (no suffix). */
export function boundedLength(value: JsonValue, indent: string): i64 {
  return jsonLength(value, boundedIndent(value, indent));
}

function boundedIndent(value: JsonValue, indent: string): string {
  return jsonLength(value, indent) <= MAX_INDENTED_UNITS ? indent : "";
}

/** Walks a document once; counts units when `target` is null, else writes them into it. */
class JsonWriter {
  length: i64 = 0;

  constructor(
    private indent: string,
    private target: string | null,
  ) {}

  document(value: JsonValue, suffix: string): void {
    this.value(value, 0);
    this.text(suffix);
  }

  private value(value: JsonValue, depth: i32): void {
    switch (value.kind) {
      case JsonKind.Null:
        this.text("null");
        break;
      case JsonKind.Bool:
        this.text(value.boolValue ? "true" : "false");
        break;
      case JsonKind.Number:
        // A number read with a fraction, an exponent or over 15 digits keeps its text
        // (JsonValue.stringValue).
        if (value.stringValue.length > 0) this.text(value.stringValue);
        else this.number(value.numberValue);
        break;
      case JsonKind.String:
        this.quoted(value.stringValue);
        break;
      case JsonKind.Array:
        this.members(value, depth, false);
        break;
      default:
        this.members(value, depth, true);
    }
  }

  /** An array's items or an object's members, one per line when indenting. */
  private members(value: JsonValue, depth: i32, isObject: bool): void {
    const count = isObject ? value.keys.length : value.items.length;
    this.unit(isObject ? 0x7b : 0x5b);
    for (let i = 0; i < count; i++) {
      if (i > 0) this.unit(0x2c);
      this.newline(depth + 1);
      if (isObject) {
        this.quoted(value.keys[i]);
        this.text(this.indent.length > 0 ? ": " : ":");
      }
      this.value(value.items[i], depth + 1);
    }
    if (count > 0) this.newline(depth);
    this.unit(isObject ? 0x7d : 0x5d);
  }

  /** formatNumber's text; integers (nearly every number in a CNI document) without allocating it. */
  private number(n: f64): void {
    if (!isFinite(n) || (n == 0 && 1 / n < 0)) {
      this.text(formatNumber(n));
      return;
    }
    if (!isExactInteger(n)) {
      // formatNumber's text, written into a fixed scratch buffer instead of a new string.
      const units = dtoa_buffered(NUMBER_SCRATCH, n);
      this.units(NUMBER_SCRATCH, <i32> units);
      return;
    }
    let magnitude = <u64> Math.abs(n);
    if (n < 0) this.unit(0x2d);
    let digits = 1;
    for (let rest = magnitude / 10; rest > 0; rest /= 10) digits++;
    const target = this.target;
    if (target != null) {
      for (let i = digits - 1; i >= 0; i--) {
        store<u16>(
          changetype<usize>(target) + ((<usize> this.length + <usize> i) << 1),
          <u16> (0x30 + magnitude % 10),
        );
        magnitude /= 10;
      }
    }
    this.length += digits;
  }

  private newline(depth: i32): void {
    if (this.indent.length == 0) return;
    this.unit(0x0a);
    for (let i = 0; i < depth; i++) this.text(this.indent);
  }

  /** A JSON string literal: quotes, backslashes and control characters escaped. */
  private quoted(s: string): void {
    this.unit(0x22);
    let runStart = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      this.range(s, runStart, i);
      this.escape(c);
      runStart = i + 1;
    }
    this.range(s, runStart, s.length);
    this.unit(0x22);
  }

  private escape(c: i32): void {
    this.unit(0x5c);
    if (c == 0x22 || c == 0x5c) this.unit(c);
    else if (c == 0x0a) this.unit(0x6e);
    else if (c == 0x0d) this.unit(0x72);
    else if (c == 0x09) this.unit(0x74);
    else {
      this.text("u00");
      this.unit(HEX.charCodeAt((c >> 4) & 0xf));
      this.unit(HEX.charCodeAt(c & 0xf));
    }
  }

  private text(s: string): void {
    this.range(s, 0, s.length);
  }

  /** s[start, end). */
  private range(s: string, start: i32, end: i32): void {
    this.units(changetype<usize>(s) + (<usize> start << 1), end - start);
  }

  /** `count` UTF-16 units at `from`. */
  private units(from: usize, count: i32): void {
    if (count <= 0) return;
    const target = this.target;
    if (target != null) {
      memory.copy(changetype<usize>(target) + (<usize> this.length << 1), from, <usize> count << 1);
    }
    this.length += count;
  }

  private unit(c: i32): void {
    const target = this.target;
    if (target != null) store<u16>(changetype<usize>(target) + (<usize> this.length << 1), <u16> c);
    this.length++;
  }
}

/** Integers print without a fraction ("1500", not AssemblyScript's "1500.0"). */
export function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == 0 && 1 / n < 0) return "-0";
  if (isExactInteger(n)) return (<i64> n).toString();
  return n.toString();
}

/** An integer printed as digits: below 1e15 in magnitude, and not -0 (printed "-0"). */
function isExactInteger(n: f64): bool {
  return n == Math.floor(n) && Math.abs(n) < 1e15 && !(n == 0 && 1 / n < 0);
}

const HEX = "0123456789abcdef";
