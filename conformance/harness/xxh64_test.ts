import assert from "node:assert/strict";
import { temporaryInterfaceName, xxh64 } from "./xxh64.ts";

// Vectors from issue 2 / reference/macvtap.md, computed with kubevirt/macvtap-cni's vendored xxhash.
const TEMP_NAMES: [string, string][] = [
  ["eth0Mvp0", "mvtf2644cc3624e"],
  ["eth0Mvp99", "mvt20074e9ae08d"],
  ["dev500", "mvt1fe868afb8c3"],
  ["dataplaneMvp0", "mvtcc7b47d9091b"],
  ["enp3s0Mvp12", "mvte0b46b6dd1c3"],
  ["p4p1Mvp7", "mvtf88933da8209"],
  ["bond0Mvp99", "mvt7c12b6aa97db"],
  // 48 bytes: exercises the 32-byte stripe loop.
  ["a-very-long-device-id-that-would-overflow-ifname", "mvt8ac8386c48ba"],
];

Deno.test("xxh64: temp names match the macvtap-cni vectors", () => {
  for (const [deviceID, name] of TEMP_NAMES) assert.equal(temporaryInterfaceName(deviceID), name, deviceID);
});

Deno.test("xxh64: the empty input gives the specification's known hash", () => {
  // XXH64("", 0) = 0xEF46DB3751D8E999 (xxHash specification test value).
  assert.equal(xxh64(new Uint8Array()), 0xef46db3751d8e999n);
});

Deno.test("xxh64: temp names are 15 bytes, fitting IFNAMSIZ", () => {
  for (const id of ["", "x", "é", "x".repeat(300)]) assert.equal(temporaryInterfaceName(id).length, 15);
});
