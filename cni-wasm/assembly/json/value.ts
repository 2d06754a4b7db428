// A small JSON document model: what the CNI reads from stdin (config, prevResult,
// IPAM results) and what it writes (results, errors, VERSION). Objects keep their
// key order so a prevResult we pass through comes out the way it came in.

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** Largest integer an f64 holds exactly (2^53 - 1): beyond it "integer" fields are refused. */
export const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

/**
 * What scalars hold in `items` and `keys`: one shared empty array instead of
 * two per value (a parsed document is mostly scalars, and the CNI's runtime
 * never frees). push/set/append give a value arrays of its own before adding.
 */
const NO_ITEMS: JsonValue[] = [];
const NO_KEYS: string[] = [];

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  /**
   * A string's value. For a number parsed from text with a fraction, an exponent or over 15 digits:
   * that text, printed back verbatim (AssemblyScript's parseFloat and dtoa do not round-trip every
   * double); "" for numbers made in code.
   */
  stringValue: string = "";
  /**
   * Array elements, or object values (paired with `keys`). Shared and empty for scalars: never push to it
   * directly.
   */
  items: JsonValue[] = NO_ITEMS;
  /** Object keys in document order. Shared and empty for scalars and arrays: never push to it directly. */
  keys: string[] = NO_KEYS;

  static null(): JsonValue {
    return new JsonValue();
  }

  static bool(value: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.boolValue = value;
    return v;
  }

  static number(value: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.numberValue = value;
    return v;
  }

  static string(value: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.stringValue = value;
    return v;
  }

  static array(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = [];
    return v;
  }

  static object(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = [];
    v.keys = [];
    return v;
  }

  get isNull(): bool {
    return this.kind == JsonKind.Null;
  }

  get isObject(): bool {
    return this.kind == JsonKind.Object;
  }

  get isArray(): bool {
    return this.kind == JsonKind.Array;
  }

  get isString(): bool {
    return this.kind == JsonKind.String;
  }

  get isNumber(): bool {
    return this.kind == JsonKind.Number;
  }

  get isBool(): bool {
    return this.kind == JsonKind.Bool;
  }

  /** True for a number with no fractional part inside the exactly representable range. */
  get isInteger(): bool {
    if (this.kind != JsonKind.Number) return false;
    const n = this.numberValue;
    return n == Math.floor(n) && Math.abs(n) <= MAX_SAFE_INTEGER;
  }

  /** Member `key` of an object (the last one when a key repeats, as Go's encoding/json does), or null. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  has(key: string): bool {
    return this.get(key) != null;
  }

  /** Sets or replaces member `key` of an object; returns this for chaining. */
  set(key: string, value: JsonValue): JsonValue {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) {
        this.items[i] = value;
        return this;
      }
    }
    return this.append(key, value);
  }

  /**
   * Adds member `key` at the end without looking for an earlier one: for copying
   * an object member by member in linear time (a repeated key stays repeated,
   * and get() still answers the last one, as Go's decoder does).
   */
  append(key: string, value: JsonValue): JsonValue {
    if (this.items === NO_ITEMS) this.items = [];
    if (this.keys === NO_KEYS) this.keys = [];
    this.keys.push(key);
    this.items.push(value);
    return this;
  }

  /** Removes every member named `key` from an object. */
  remove(key: string): void {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) {
        this.keys.splice(i, 1);
        this.items.splice(i, 1);
      }
    }
  }

  /** Appends to an array; returns this for chaining. */
  push(value: JsonValue): JsonValue {
    if (this.items === NO_ITEMS) this.items = [];
    this.items.push(value);
    return this;
  }

  setString(key: string, value: string): JsonValue {
    return this.set(key, JsonValue.string(value));
  }

  setNumber(key: string, value: f64): JsonValue {
    return this.set(key, JsonValue.number(value));
  }

  setBool(key: string, value: bool): JsonValue {
    return this.set(key, JsonValue.bool(value));
  }

  get length(): i32 {
    return this.items.length;
  }

  /** Name of the kind for error messages ("a string", "an object" ...). */
  describeKind(): string {
    switch (this.kind) {
      case JsonKind.Null:
        return "null";
      case JsonKind.Bool:
        return "a boolean";
      case JsonKind.Number:
        return "a number";
      case JsonKind.String:
        return "a string";
      case JsonKind.Array:
        return "an array";
      default:
        return "an object";
    }
  }
}
