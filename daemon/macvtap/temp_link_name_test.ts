import assert from "node:assert/strict";
import { isTempLinkName, tempLinkName } from "./temp_link_name.ts";

Deno.test("tempLinkName() gives the names kubevirt/macvtap-cni gives", () => {
  const vectors: Record<string, string> = {
    eth0Mvp0: "mvtf2644cc3624e",
    eth0Mvp99: "mvt20074e9ae08d",
    dev500: "mvt1fe868afb8c3",
    dataplaneMvp0: "mvtcc7b47d9091b",
    enp3s0Mvp12: "mvte0b46b6dd1c3",
    p4p1Mvp7: "mvtf88933da8209",
    bond0Mvp99: "mvt7c12b6aa97db",
    // 48 bytes: exercises the four-lane stripe loop.
    "a-very-long-device-id-that-would-overflow-ifname": "mvt8ac8386c48ba",
  };
  for (const [deviceId, expected] of Object.entries(vectors)) {
    assert.equal(tempLinkName(deviceId), expected, deviceId);
  }
});

Deno.test("tempLinkName() always yields 15 characters of the temp pattern", () => {
  for (let i = 0; i < 2000; i++) {
    const name = tempLinkName(`x${i}Mvp${i % 97}`);
    assert.equal(name.length, 15);
    assert.ok(isTempLinkName(name), name);
  }
});

Deno.test("isTempLinkName() rejects anything else", () => {
  for (
    const name of ["eth0", "mvt", "mvtF2644CC3624E", "mvtf2644cc3624e0", "xmvtf2644cc3624", "mvtf2644cc3624g"]
  ) {
    assert.equal(isTempLinkName(name), false, name);
  }
});
