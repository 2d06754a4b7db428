// RFC 8259 JSON parser into JsonValue. It never traps on bad input: every
// problem becomes a ParseResult error naming the offset, and nesting is capped so
// a hostile config cannot exhaust the wasm stack.

import { JsonValue } from "./value";

/** Deepest nesting accepted; CNI documents are a handful of levels deep. */
export const MAX_DEPTH: i32 = 64;

export class ParseResult {
  constructor(
    public value: JsonValue | null,
    public error: string | null,
  ) {}
}

/** Parses a whole document; trailing non-space text is an error. */
export function parseJson(text: string): ParseResult {
  const parser = new Parser(text);
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

  constructor(public text: string) {}

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
      if (this.peek() != 0x3a) return this.fail("expected ':' after key \"" + key + "\"");
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

  parseString(): string {
    this.pos++; // opening quote
    const parts = new Array<string>();
    let runStart = this.pos;
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
        parts.push(this.text.substring(runStart, this.pos));
        const unescaped = this.parseEscape();
        if (this.error != null) return "";
        parts.push(unescaped);
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    parts.push(this.text.substring(runStart, this.pos));
    this.pos++; // closing quote
    return parts.join("");
  }

  parseEscape(): string {
    this.pos++; // backslash
    const c = this.peek();
    this.pos++;
    if (c == QUOTE) return "\"";
    if (c == BACKSLASH) return "\\";
    if (c == 0x2f) return "/";
    if (c == 0x62) return "\b";
    if (c == 0x66) return "\f";
    if (c == 0x6e) return "\n";
    if (c == 0x72) return "\r";
    if (c == 0x74) return "\t";
    if (c == 0x75) {
      const unit = this.parseHex4();
      return unit < 0 ? "" : String.fromCharCode(unit);
    }
    this.pos--;
    this.fail("invalid escape in string");
    return "";
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
    const value = parseFloat(this.text.substring(start, this.pos));
    if (!isFinite(value)) return this.fail("number out of range");
    return JsonValue.number(value);
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

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
