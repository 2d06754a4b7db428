import assert from "node:assert/strict";
import {
  deviceId,
  parseDeviceIndex,
  resourceName,
  resourceSuffixProblem,
  socketFileName,
} from "./resource_names.ts";

Deno.test("resource, device and socket names follow kubevirt/macvtap-cni", () => {
  assert.equal(resourceName("eth0"), "macvtap.network.kubevirt.io/eth0");
  assert.equal(socketFileName("eth0"), "macvtap.network.kubevirt.io_eth0");
  assert.equal(deviceId("dataplane", 0), "dataplaneMvp0");
});

Deno.test("parseDeviceIndex() round-trips deviceId() and rejects foreign IDs", () => {
  for (const index of [0, 1, 9, 10, 99, 9999]) {
    assert.equal(parseDeviceIndex("eth0", deviceId("eth0", index)), index);
  }
  for (const id of ["eth0Mvp", "eth0Mvp07", "eth0Mvp-1", "eth0Mvp1x", "eth1Mvp1", "eth0mvp1", "Mvp1", ""]) {
    assert.equal(parseDeviceIndex("eth0", id), null, id);
  }
  // A resource whose name is a prefix of another must not claim the other's devices.
  assert.equal(parseDeviceIndex("eth", "eth0Mvp1"), null);
});

Deno.test("resourceSuffixProblem() applies the kubelet's qualified-name rule", () => {
  for (const good of ["eth0", "bond0", "a", "data-plane_1.x", "A".repeat(63)]) {
    assert.equal(resourceSuffixProblem(good), null, good);
  }
  for (const bad of ["", "-eth0", "eth0-", "eth 0", "eth/0", "eth:0", "é", "A".repeat(64)]) {
    assert.notEqual(resourceSuffixProblem(bad), null, bad);
  }
});
