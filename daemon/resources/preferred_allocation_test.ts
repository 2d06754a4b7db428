import assert from "node:assert/strict";
import { preferDevices } from "./preferred_allocation.ts";

function prefer(available: string[], mustInclude: string[], size: number): string[] {
  return preferDevices({
    available_deviceIDs: available,
    must_include_deviceIDs: mustInclude,
    allocation_size: size,
  })
    .deviceIDs;
}

Deno.test("preferDevices() picks the lowest numeric indexes (Mvp2 before Mvp10)", () => {
  assert.deepEqual(prefer(["eth0Mvp10", "eth0Mvp2", "eth0Mvp1", "eth0Mvp100"], [], 3), [
    "eth0Mvp1",
    "eth0Mvp2",
    "eth0Mvp10",
  ]);
});

Deno.test("preferDevices() puts must-include devices first, once", () => {
  assert.deepEqual(prefer(["eth0Mvp0", "eth0Mvp1", "eth0Mvp7"], ["eth0Mvp7", "eth0Mvp7"], 2), [
    "eth0Mvp7",
    "eth0Mvp0",
  ]);
});

Deno.test("preferDevices() never returns more than asked, nor invents devices", () => {
  assert.deepEqual(prefer(["eth0Mvp3"], [], 2), ["eth0Mvp3"]);
  assert.deepEqual(prefer(["eth0Mvp3", "eth0Mvp4"], [], 0), []);
});

Deno.test("preferDevices() sorts foreign IDs after indexed ones, by name", () => {
  assert.deepEqual(prefer(["zeta", "alpha", "eth0Mvp9"], [], 3), ["eth0Mvp9", "alpha", "zeta"]);
});
