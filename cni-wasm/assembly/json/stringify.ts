// Serializes JsonValue back to text: compact, or indented the way Go's
// json.MarshalIndent prints CNI results, so our output reads like a reference plugin's.

import { JsonKind, JsonValue } from "./value";

/** Serializes `value`; `indent` "" gives compact output, e.g. "    " gives one member per line. */
export function stringify(value: JsonValue, indent: string = ""): string {
  const out = new Array<string>();
  write(out, value, indent, "");
  return out.join("");
}

function write(out: string[], value: JsonValue, indent: string, prefix: string): void {
  switch (value.kind) {
    case JsonKind.Null:
      out.push("null");
      break;
    case JsonKind.Bool:
      out.push(value.boolValue ? "true" : "false");
      break;
    case JsonKind.Number:
      out.push(formatNumber(value.numberValue));
      break;
    case JsonKind.String:
      out.push(quote(value.stringValue));
      break;
    case JsonKind.Array:
      writeArray(out, value, indent, prefix);
      break;
    default:
      writeObject(out, value, indent, prefix);
  }
}

function writeArray(out: string[], value: JsonValue, indent: string, prefix: string): void {
  if (value.items.length == 0) {
    out.push("[]");
    return;
  }
  const inner = prefix + indent;
  out.push("[");
  for (let i = 0; i < value.items.length; i++) {
    if (i > 0) out.push(",");
    if (indent.length > 0) out.push("\n" + inner);
    write(out, value.items[i], indent, inner);
  }
  if (indent.length > 0) out.push("\n" + prefix);
  out.push("]");
}

function writeObject(out: string[], value: JsonValue, indent: string, prefix: string): void {
  if (value.keys.length == 0) {
    out.push("{}");
    return;
  }
  const inner = prefix + indent;
  out.push("{");
  for (let i = 0; i < value.keys.length; i++) {
    if (i > 0) out.push(",");
    if (indent.length > 0) out.push("\n" + inner);
    out.push(quote(value.keys[i]));
    out.push(indent.length > 0 ? ": " : ":");
    write(out, value.items[i], indent, inner);
  }
  if (indent.length > 0) out.push("\n" + prefix);
  out.push("}");
}

/** Integers print without a fraction ("1500", not AssemblyScript's "1500.0"). */
export function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == 0 && 1 / n < 0) return "-0";
  if (n == Math.floor(n) && Math.abs(n) < 1e15) return (<i64>n).toString();
  return n.toString();
}

const HEX = "0123456789abcdef";

/** JSON string literal for `s`: quotes, backslashes and control characters escaped. */
export function quote(s: string): string {
  const parts = new Array<string>();
  parts.push("\"");
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    parts.push(s.substring(runStart, i));
    parts.push(escapeUnit(c));
    runStart = i + 1;
  }
  parts.push(s.substring(runStart));
  parts.push("\"");
  return parts.join("");
}

function escapeUnit(c: i32): string {
  if (c == 0x22) return "\\\"";
  if (c == 0x5c) return "\\\\";
  if (c == 0x0a) return "\\n";
  if (c == 0x0d) return "\\r";
  if (c == 0x09) return "\\t";
  return "\\u00" + HEX.charAt((c >> 4) & 0xf) + HEX.charAt(c & 0xf);
}
