import assert from "node:assert/strict";
import { xxh64 } from "./xxh64.ts";

Deno.test("xxh64() matches the reference hashes of the xxHash test suite", () => {
  // Published values of XXH64 with seed 0; the 3 inputs cover the short path, the 8/4/1-byte tail
  // and the 32-byte stripe loop.
  assert.equal(xxh64(""), 0xEF46DB3751D8E999n);
  assert.equal(xxh64("a"), 0xD24EC4F1A98C6E5Bn);
  assert.equal(xxh64("abc"), 0x44BC2CF5AD770999n);
});

Deno.test("xxh64() honours the seed", () => {
  assert.notEqual(xxh64("abc", 1n), xxh64("abc"));
  assert.equal(xxh64(new TextEncoder().encode("abc")), xxh64("abc"));
});
