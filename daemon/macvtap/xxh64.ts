/**
 * XXH64, the 64-bit xxHash (https://github.com/Cyan4973/xxHash, spec "xxhash_spec.md"), in plain TypeScript.
 *
 * Only used to derive temp link names from device IDs, where inputs are short ASCII strings, so clarity
 * beats speed: BigInt arithmetic masked to 64 bits after every step.
 *
 * @module
 */

const PRIME64_1 = 0x9E3779B185EBCA87n;
const PRIME64_2 = 0xC2B2AE3D27D4EB4Fn;
const PRIME64_3 = 0x165667B19E3779F9n;
const PRIME64_4 = 0x85EBCA77C2B2AE63n;
const PRIME64_5 = 0x27D4EB2F165667C5n;

/** Bytes consumed per iteration of the four-lane loop. */
const STRIPE_LENGTH = 32;

function u64(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

function rotl64(value: bigint, bits: bigint): bigint {
  return u64((value << bits) | (value >> (64n - bits)));
}

function readU64le(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getBigUint64(offset, true);
}

function readU32le(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return BigInt(view.getUint32(offset, true));
}

/** The spec's round(): mixes one 8-byte lane into an accumulator. */
function round(accumulator: bigint, lane: bigint): bigint {
  const mixed = u64(accumulator + u64(lane * PRIME64_2));
  return u64(rotl64(mixed, 31n) * PRIME64_1);
}

/** The spec's mergeAccumulator(): folds one lane accumulator into the converged hash. */
function mergeAccumulator(hash: bigint, accumulator: bigint): bigint {
  const mixed = hash ^ round(0n, accumulator);
  return u64(mixed * PRIME64_1 + PRIME64_4);
}

/** Steps 1-3 of the spec for inputs of at least 32 bytes: four lanes, then convergence. */
function hashStripes(bytes: Uint8Array, seed: bigint, stripesEnd: number): bigint {
  let v1 = u64(seed + PRIME64_1 + PRIME64_2);
  let v2 = u64(seed + PRIME64_2);
  let v3 = seed;
  let v4 = u64(seed - PRIME64_1);
  for (let offset = 0; offset < stripesEnd; offset += STRIPE_LENGTH) {
    v1 = round(v1, readU64le(bytes, offset));
    v2 = round(v2, readU64le(bytes, offset + 8));
    v3 = round(v3, readU64le(bytes, offset + 16));
    v4 = round(v4, readU64le(bytes, offset + 24));
  }
  let hash = u64(rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n));
  for (const accumulator of [v1, v2, v3, v4]) hash = mergeAccumulator(hash, accumulator);
  return hash;
}

/** Step 5 of the spec: consumes what the stripes left, 8, then 4, then 1 byte at a time. */
function consumeRemainder(hash: bigint, bytes: Uint8Array, offset: number): bigint {
  let h = hash;
  let at = offset;
  for (; at + 8 <= bytes.length; at += 8) {
    h = u64(rotl64(h ^ round(0n, readU64le(bytes, at)), 27n) * PRIME64_1 + PRIME64_4);
  }
  if (at + 4 <= bytes.length) {
    h = u64(rotl64(h ^ u64(readU32le(bytes, at) * PRIME64_1), 23n) * PRIME64_2 + PRIME64_3);
    at += 4;
  }
  for (; at < bytes.length; at++) {
    h = u64(rotl64(h ^ u64(BigInt(bytes[at]!) * PRIME64_5), 11n) * PRIME64_1);
  }
  return h;
}

/** Step 6 of the spec: the final avalanche. */
function avalanche(hash: bigint): bigint {
  let h = hash;
  h = u64((h ^ (h >> 33n)) * PRIME64_2);
  h = u64((h ^ (h >> 29n)) * PRIME64_3);
  return h ^ (h >> 32n);
}

/**
 * XXH64 of `input` (strings are hashed as UTF-8).
 *
 * @param input bytes or a string
 * @param seed 64-bit seed, default 0
 * @returns the 64-bit hash as an unsigned bigint
 * @example
 * ```ts
 * xxh64(""); // 0xef46db3751d8e999n
 * ```
 */
export function xxh64(input: Uint8Array | string, seed = 0n): bigint {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const stripesEnd = bytes.length - (bytes.length % STRIPE_LENGTH);
  let hash = bytes.length >= STRIPE_LENGTH
    ? hashStripes(bytes, u64(seed), stripesEnd)
    : u64(seed + PRIME64_5);
  hash = u64(hash + BigInt(bytes.length));
  return avalanche(consumeRemainder(hash, bytes, bytes.length >= STRIPE_LENGTH ? stripesEnd : 0));
}
