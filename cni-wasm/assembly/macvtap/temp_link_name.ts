// The host-side name of a device's macvtap between the device plugin's Allocate
// and the CNI's ADD: "mvt" + 12 hex digits of xxh64(deviceID, seed 0), the
// naming of kubevirt/macvtap-cni's TemporaryInterfaceName (pkg/util/iface_name.go;
// its older releases named the link exactly deviceID). Both sides must agree (the
// daemon's daemon/macvtap/temp_link_name.ts has the same names; both tests read
// testdata/temp_link_names.json), and the result always fits IFNAMSIZ (15 bytes)
// whatever the deviceID's length.

const PRIME64_1: u64 = 0x9e3779b185ebca87;
const PRIME64_2: u64 = 0xc2b2ae3d27d4eb4f;
const PRIME64_3: u64 = 0x165667b19e3779f9;
const PRIME64_4: u64 = 0x85ebca77c2b2ae63;
const PRIME64_5: u64 = 0x27d4eb2f165667c5;

/** Prefix of every temp link name. */
export const TEMP_LINK_PREFIX = "mvt";
const TEMP_LINK_LENGTH = 15;

/** "mvt" + 12 lower-case hex digits (low 48 bits of the hash, zero-padded). */
export function tempLinkName(deviceID: string): string {
  const hash = xxh64(Uint8Array.wrap(String.UTF8.encode(deviceID)), 0) & 0xffffffffffff;
  let hex = hash.toString(16);
  while (hex.length < 12) hex = "0" + hex;
  return TEMP_LINK_PREFIX + hex;
}

/** True when `name` has the shape tempLinkName() gives (it may still belong to no known device). */
export function isTempLinkName(name: string): bool {
  if (name.length != TEMP_LINK_LENGTH || !name.startsWith(TEMP_LINK_PREFIX)) return false;
  for (let i = TEMP_LINK_PREFIX.length; i < TEMP_LINK_LENGTH; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function round(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * PRIME64_2, 31) * PRIME64_1;
}

function mergeRound(acc: u64, value: u64): u64 {
  return (acc ^ round(0, value)) * PRIME64_1 + PRIME64_4;
}

/** XXH64 (xxHash spec, 64-bit variant) of `data`. */
export function xxh64(data: Uint8Array, seed: u64): u64 {
  const length = data.length;
  // Inputs of 32 bytes or more go through four lanes, 32 bytes at a time; the rest is the tail.
  const striped = length >= 32 ? length & ~31 : 0;
  const hash = length >= 32 ? stripes(data, striped, seed) : seed + PRIME64_5;
  return avalanche(tail(data, striped, hash + <u64> length));
}

/** The four-lane accumulation of the first `end` bytes (a multiple of 32), merged into one hash. */
function stripes(data: Uint8Array, end: i32, seed: u64): u64 {
  let v1 = seed + PRIME64_1 + PRIME64_2;
  let v2 = seed + PRIME64_2;
  let v3 = seed;
  let v4 = seed - PRIME64_1;
  for (let offset = 0; offset < end; offset += 32) {
    v1 = round(v1, readU64(data, offset));
    v2 = round(v2, readU64(data, offset + 8));
    v3 = round(v3, readU64(data, offset + 16));
    v4 = round(v4, readU64(data, offset + 24));
  }
  let hash = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
  hash = mergeRound(hash, v1);
  hash = mergeRound(hash, v2);
  hash = mergeRound(hash, v3);
  return mergeRound(hash, v4);
}

/** Folds the bytes from `offset` on into `hash`: 8 at a time, then 4, then one by one. */
function tail(data: Uint8Array, offset: i32, hash: u64): u64 {
  const length = data.length;
  for (; offset + 8 <= length; offset += 8) {
    hash ^= round(0, readU64(data, offset));
    hash = rotl<u64>(hash, 27) * PRIME64_1 + PRIME64_4;
  }
  if (offset + 4 <= length) {
    hash ^= <u64> readU32(data, offset) * PRIME64_1;
    hash = rotl<u64>(hash, 23) * PRIME64_2 + PRIME64_3;
    offset += 4;
  }
  for (; offset < length; offset++) {
    hash ^= <u64> data[offset] * PRIME64_5;
    hash = rotl<u64>(hash, 11) * PRIME64_1;
  }
  return hash;
}

function avalanche(h: u64): u64 {
  h ^= h >> 33;
  h *= PRIME64_2;
  h ^= h >> 29;
  h *= PRIME64_3;
  h ^= h >> 32;
  return h;
}

function readU64(data: Uint8Array, offset: i32): u64 {
  return <u64> readU32(data, offset) | (<u64> readU32(data, offset + 4) << 32);
}

function readU32(data: Uint8Array, offset: i32): u32 {
  return <u32> data[offset] | (<u32> data[offset + 1] << 8) | (<u32> data[offset + 2] << 16) |
    (<u32> data[offset + 3] << 24);
}
