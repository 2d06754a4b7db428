import assert from "node:assert/strict";
import { isTempLinkName, tempLinkName } from "./temp_link_name.ts";
import vectors from "../../testdata/temp_link_names.json" with { type: "json" };

Deno.test("tempLinkName() gives the names kubevirt/macvtap-cni gives (the vectors both sides share)", () => {
  for (const [deviceId, expected] of Object.entries(vectors.names)) {
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
  for (const name of vectors.notNames) assert.equal(isTempLinkName(name), false, name);
});
