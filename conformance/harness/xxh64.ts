/**
 * XXH64 and the macvtap temp link name, so the suite can stage the link the device plugin's Allocate would
 * create without running the device plugin. Written from the xxHash specification (XXH64 section); BigInt
 * keeps it exact, speed does not matter here.
 *
 * @module
 */

const MASK64 = (1n << 64n) - 1n;
const PRIME64_1 = 0x9e3779b185ebca87n;
const PRIME64_2 = 0xc2b2ae3d27d4eb4fn;
const PRIME64_3 = 0x165667b19e3779f9n;
const PRIME64_4 = 0x85ebca77c2b2ae63n;
const PRIME64_5 = 0x27d4eb2f165667c5n;

const mul = (a: bigint, b: bigint) => (a * b) & MASK64;
const add = (a: bigint, b: bigint) => (a + b) & MASK64;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK64;

function round(acc: bigint, lane: bigint): bigint {
  return mul(rotl(add(acc, mul(lane, PRIME64_2)), 31n), PRIME64_1);
}

function mergeRound(acc: bigint, value: bigint): bigint {
  return add(mul(acc ^ round(0n, value), PRIME64_1), PRIME64_4);
}

function readLane(view: DataView, offset: number, bytes: 8 | 4): bigint {
  return bytes === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}

function stripes(view: DataView, seed: bigint): { hash: bigint; offset: number } {
  const acc = [add(add(seed, PRIME64_1), PRIME64_2), add(seed, PRIME64_2), seed, (seed - PRIME64_1) & MASK64];
  let offset = 0;
  for (; offset + 32 <= view.byteLength; offset += 32) {
    for (let lane = 0; lane < 4; lane++) acc[lane] = round(acc[lane], readLane(view, offset + lane * 8, 8));
  }
  let hash = add(add(rotl(acc[0], 1n), rotl(acc[1], 7n)), add(rotl(acc[2], 12n), rotl(acc[3], 18n)));
  for (const lane of acc) hash = mergeRound(hash, lane);
  return { hash, offset };
}

/** XXH64 of `data` with `seed`. */
export function xxh64(data: Uint8Array, seed = 0n): bigint {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let { hash, offset } = view.byteLength >= 32
    ? stripes(view, seed)
    : { hash: add(seed, PRIME64_5), offset: 0 };
  hash = add(hash, BigInt(view.byteLength));
  for (; offset + 8 <= view.byteLength; offset += 8) {
    hash = add(mul(rotl(hash ^ round(0n, readLane(view, offset, 8)), 27n), PRIME64_1), PRIME64_4);
  }
  if (offset + 4 <= view.byteLength) {
    hash = add(mul(rotl(hash ^ mul(readLane(view, offset, 4), PRIME64_1), 23n), PRIME64_2), PRIME64_3);
    offset += 4;
  }
  for (; offset < view.byteLength; offset++) {
    hash = mul(rotl(hash ^ mul(BigInt(view.getUint8(offset)), PRIME64_5), 11n), PRIME64_1);
  }
  hash = mul(hash ^ (hash >> 33n), PRIME64_2);
  hash = mul(hash ^ (hash >> 29n), PRIME64_3);
  return hash ^ (hash >> 32n);
}

/** "mvt" + 12 lower-case hex digits of xxh64(deviceID): the node-side name of a device's macvtap. */
export function temporaryInterfaceName(deviceID: string): string {
  const low48 = xxh64(new TextEncoder().encode(deviceID)) & 0xffffffffffffn;
  return `mvt${low48.toString(16).padStart(12, "0")}`;
}
