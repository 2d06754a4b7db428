// Typed access to JSON object members with a sticky error: the first wrong type
// or out-of-range value is recorded (naming the field and what it got) and every
// later read returns its fallback, so parsing code stays flat.

import { JsonValue } from "../json/value";
import { CniError, invalidConfig } from "./errors";

export class FieldReader {
  error: CniError | null = null;

  /** `where` prefixes field names in messages, e.g. "runtimeConfig.". */
  constructor(
    public obj: JsonValue,
    public where: string = "",
  ) {}

  private member(key: string): JsonValue | null {
    const value = this.obj.get(key);
    return value == null || value.isNull ? null : value;
  }

  private wrongType(key: string, want: string, got: JsonValue): void {
    if (this.error != null) return;
    this.error = invalidConfig('"' + this.where + key + '" must be ' + want + ", got " + got.describeKind());
  }

  fail(key: string, problem: string): void {
    if (this.error == null) this.error = invalidConfig('"' + this.where + key + '" ' + problem);
  }

  string(key: string, fallback: string = ""): string {
    const value = this.member(key);
    if (value == null || this.error != null) return fallback;
    if (!value.isString) {
      this.wrongType(key, "a string", value);
      return fallback;
    }
    return value.stringValue;
  }

  bool(key: string, fallback: bool = false): bool {
    const value = this.member(key);
    if (value == null || this.error != null) return fallback;
    if (!value.isBool) {
      this.wrongType(key, "a boolean", value);
      return fallback;
    }
    return value.boolValue;
  }

  /** An integer in [min, max]; `fallback` when absent or null. */
  integer(key: string, fallback: i64, min: i64, max: i64): i64 {
    const value = this.member(key);
    if (value == null || this.error != null) return fallback;
    // isInteger also bounds the value to 2^53, so the i64 conversion below is exact.
    if (!value.isInteger) {
      this.wrongType(key, "an integer", value);
      return fallback;
    }
    const n = <i64> value.numberValue;
    if (n < min || n > max) {
      this.fail(
        key,
        "must be between " + min.toString() + " and " + max.toString() + ", got " + n.toString(),
      );
      return fallback;
    }
    return n;
  }

  /** A nested object, or null when absent. */
  object(key: string): JsonValue | null {
    const value = this.member(key);
    if (value == null || this.error != null) return null;
    if (!value.isObject) {
      this.wrongType(key, "an object", value);
      return null;
    }
    return value;
  }

  /** A nested array, or null when absent. */
  array(key: string): JsonValue | null {
    const value = this.member(key);
    if (value == null || this.error != null) return null;
    if (!value.isArray) {
      this.wrongType(key, "an array", value);
      return null;
    }
    return value;
  }

  /** Whether the member is present and not null. */
  has(key: string): bool {
    return this.member(key) != null;
  }
}
