// RFC 8259 JSON parser into JsonValue. It never traps on bad input: every
// problem becomes a ParseResult error naming the offset, and nesting and the
// number of values are capped so a hostile config can exhaust neither the wasm
// stack nor its memory. Linear in the input's length.

import { JsonValue } from "./value";

/** Deepest nesting accepted; CNI documents are a handful of levels deep. */
export const MAX_DEPTH: i32 = 64;

/**
 * Most values one document may hold. Each costs memory the CNI's runtime never
 * frees, and a 4 MiB config of "[0,0,0,…" holds two million: the cap keeps the
 * parse within a fixed budget. A prevResult of 1,500 interfaces with one IP each
 * holds about 11,000.
 */
export const MAX_VALUES: i32 = 1 << 16;

export class ParseResult {
  constructor(
    public value: JsonValue | null,
    public error: string | null,
  ) {}
}

/** Parses a whole document of at most `maxValues` values; trailing non-space text is an error. */
export function parseJson(text: string, maxValues: i32 = MAX_VALUES): ParseResult {
  const parser = new Parser(text, maxValues);
  parser.skipSpace();
  const value = parser.parseValue(0);
  if (parser.error == null) {
    parser.skipSpace();
    if (parser.pos < text.length) parser.fail("unexpected text after the JSON value");
  }
  if (parser.error != null) return new ParseResult(null, parser.error);
  return new ParseResult(value, null);
}

const QUOTE: i32 = 0x22;
const BACKSLASH: i32 = 0x5c;

class Parser {
  pos: i32 = 0;
  error: string | null = null;
  /** Values parsed so far (at most maxValues). */
  values: i32 = 0;

  constructor(
    public text: string,
    public maxValues: i32,
  ) {}

  fail(what: string): JsonValue {
    if (this.error == null) this.error = what + " at offset " + this.pos.toString();
    return JsonValue.null();
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
      this.pos++;
    }
  }

  parseValue(depth: i32): JsonValue {
    if (depth >= MAX_DEPTH) return this.fail("JSON nested deeper than " + MAX_DEPTH.toString() + " levels");
    if (++this.values > this.maxValues) {
      return this.fail("JSON document holds more than " + this.maxValues.toString() + " values");
    }
    const c = this.peek();
    if (c == 0x7b) return this.parseObject(depth);
    if (c == 0x5b) return this.parseArray(depth);
    if (c == QUOTE) {
      const s = this.parseString();
      return this.error == null ? JsonValue.string(s) : JsonValue.null();
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.consumeWord("true")) return JsonValue.bool(true);
    if (this.consumeWord("false")) return JsonValue.bool(false);
    if (this.consumeWord("null")) return JsonValue.null();
    if (c < 0) return this.fail("unexpected end of JSON input");
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
  }

  consumeWord(word: string): bool {
    if (this.text.length - this.pos < word.length) return false;
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  parseObject(depth: i32): JsonValue {
    const obj = JsonValue.object();
    this.pos++; // '{'
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return obj;
    }
    while (this.error == null) {
      this.skipSpace();
      if (this.peek() != QUOTE) return this.fail("expected a string key");
      const key = this.parseString();
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':' after key \"" + key + '"');
      this.pos++;
      this.skipSpace();
      const value = this.parseValue(depth + 1);
      if (this.error != null) break;
      obj.keys.push(key);
      obj.items.push(value);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return obj;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or '}' in object");
      }
    }
    return JsonValue.null();
  }

  parseArray(depth: i32): JsonValue {
    const arr = JsonValue.array();
    this.pos++; // '['
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return arr;
    }
    while (this.error == null) {
      this.skipSpace();
      const value = this.parseValue(depth + 1);
      if (this.error != null) break;
      arr.items.push(value);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return arr;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or ']' in array");
      }
    }
    return JsonValue.null();
  }

  /**
   * A string literal at pos, in two passes so its memory is its own length: the
   * first checks it and counts the units it decodes to; only a string with
   * escapes needs the second, which decodes into a string of exactly that size.
   */
  parseString(): string {
    this.pos++; // opening quote
    const start = this.pos;
    let units = 0;
    let escaped = false;
    while (true) {
      if (this.pos >= this.text.length) {
        this.fail("unterminated string");
        return "";
      }
      const c = this.text.charCodeAt(this.pos);
      if (c == QUOTE) break;
      if (c < 0x20) {
        this.fail("control character in string");
        return "";
      }
      if (c == BACKSLASH) {
        if (!this.skipEscape()) return "";
        escaped = true;
      } else {
        this.pos++;
      }
      units++;
    }
    const end = this.pos;
    this.pos++; // closing quote
    return escaped ? decodeEscaped(this.text, start, end, units) : this.text.substring(start, end);
  }

  /** Checks the escape at pos (one unit once decoded) and moves past it. */
  skipEscape(): bool {
    this.pos++; // backslash
    const c = this.peek();
    if (c == 0x75) {
      this.pos++;
      return this.parseHex4() >= 0;
    }
    if (simpleEscape(c) < 0) {
      this.fail("invalid escape in string");
      return false;
    }
    this.pos++;
    return true;
  }

  /** Reads the 4 hex digits of \uXXXX; lone surrogates pass through as UTF-16 units, as in JavaScript. */
  parseHex4(): i32 {
    if (this.text.length - this.pos < 4) {
      this.fail("truncated \\u escape");
      return -1;
    }
    let unit: i32 = 0;
    for (let i = 0; i < 4; i++) {
      const digit = hexDigit(this.text.charCodeAt(this.pos + i));
      if (digit < 0) {
        this.fail("invalid \\u escape");
        return -1;
      }
      unit = (unit << 4) | digit;
    }
    this.pos += 4;
    return unit;
  }

  parseNumber(): JsonValue {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
    } else if (!this.skipDigits()) {
      return this.fail("invalid number");
    }
    const integerEnd = this.pos;
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!this.skipDigits()) return this.fail("invalid number: digits expected after '.'");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (!this.skipDigits()) return this.fail("invalid number: digits expected in exponent");
    }
    if (this.pos == integerEnd) {
      const exact = exactInteger(this.text, start, integerEnd);
      if (!isNaN(exact)) return JsonValue.number(exact);
    }
    const lexeme = this.text.substring(start, this.pos);
    const value = parseFloat(lexeme);
    if (!isFinite(value)) return this.fail("number out of range");
    const number = JsonValue.number(value);
    // Printed back as written: AssemblyScript's parseFloat and dtoa do not round-trip every double.
    number.stringValue = lexeme;
    return number;
  }

  skipDigits(): bool {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > start;
  }
}

/**
 * text[start, end) as a number when it is an integer of at most 15 digits (f64
 * holds those exactly, so no rounding question arises), without the substring
 * parseFloat needs; NaN otherwise.
 */
function exactInteger(text: string, start: i32, end: i32): f64 {
  const negative = text.charCodeAt(start) == 0x2d;
  const first = negative ? start + 1 : start;
  if (end - first > 15) return NaN;
  let value: i64 = 0;
  for (let i = first; i < end; i++) value = value * 10 + <i64> (text.charCodeAt(i) - 0x30);
  return negative ? -(<f64> value) : <f64> value;
}

/** What `\c` stands for, for every escape but `\u`; -1 for an invalid one. */
function simpleEscape(c: i32): i32 {
  if (c == QUOTE || c == BACKSLASH || c == 0x2f) return c;
  if (c == 0x62) return 0x08;
  if (c == 0x66) return 0x0c;
  if (c == 0x6e) return 0x0a;
  if (c == 0x72) return 0x0d;
  if (c == 0x74) return 0x09;
  return -1;
}

/** text[start, end), already checked by parseString, with its escapes decoded into `units` UTF-16 units. */
function decodeEscaped(text: string, start: i32, end: i32, units: i32): string {
  const out = changetype<string>(__new(<usize> units << 1, idof<string>()));
  const base = changetype<usize>(out);
  let written = 0;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    i++;
    if (c == BACKSLASH) {
      const kind = text.charCodeAt(i);
      i++;
      if (kind == 0x75) {
        c = (hexDigit(text.charCodeAt(i)) << 12) | (hexDigit(text.charCodeAt(i + 1)) << 8) |
          (hexDigit(text.charCodeAt(i + 2)) << 4) | hexDigit(text.charCodeAt(i + 3));
        i += 4;
      } else {
        c = simpleEscape(kind);
      }
    }
    store<u16>(base + (<usize> written << 1), <u16> c);
    written++;
  }
  return out;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
