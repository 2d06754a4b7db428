import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "./config.ts";

function rejects(text: string, message: RegExp): void {
  assert.throws(() => parseConfig(text, "test"), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("parseConfig() accepts upstream's examples", () => {
  assert.deepEqual(parseConfig("[]", "test"), { resources: [], autoDiscover: true });
  const explicit = parseConfig(
    '[{"name":"eth0","lowerDevice":"eth0","mode":"bridge","capacity":50}]',
    "test",
  );
  assert.deepEqual(explicit, {
    resources: [{ name: "eth0", lowerDevice: "eth0", mode: "bridge", capacity: 50 }],
    autoDiscover: false,
  });
});

Deno.test("parseConfig() fills defaults: mode bridge, capacity 100, lowerDevice = name", () => {
  const config = parseConfig(
    '[{"name":"dataplane","lowerDevice":"ens4"},{"name":"eth1","mode":null}]',
    "test",
  );
  assert.deepEqual(config.resources, [
    { name: "dataplane", lowerDevice: "ens4", mode: "bridge", capacity: 100 },
    { name: "eth1", lowerDevice: "eth1", mode: "bridge", capacity: 100 },
  ]);
});

Deno.test("parseConfig() accepts every macvtap mode", () => {
  for (const mode of ["bridge", "vepa", "private", "passthru", "source"]) {
    assert.equal(parseConfig(`[{"name":"a","mode":"${mode}"}]`, "test").resources[0].mode, mode);
  }
});

Deno.test("parseConfig() rejects broken documents, naming the source", () => {
  rejects("", /Cannot parse config from test/);
  rejects("{", /Cannot parse config from test/);
  rejects('{"name":"eth0"}', /expected a JSON array/);
  rejects("[1]", /test entry 0: expected an object, got 1/);
  rejects("[null]", /expected an object/);
});

Deno.test("parseConfig() rejects bad entries, naming the entry", () => {
  rejects(
    '[{"name":"a"},{"name":"b","mode":"bridged"}]',
    /entry 1 \("b"\): mode "bridged" is not one of bridge, vepa/,
  );
  rejects('[{"name":"a","mode":4}]', /mode 4 is not one of/);
  rejects('[{"lowerDevice":"eth0"}]', /entry 0: "name" must be a string/);
  rejects('[{"name":""}]', /name "" is empty/);
  rejects('[{"name":"eth 0"}]', /name "eth 0" must be letters/);
  rejects(`[{"name":"${"n".repeat(64)}"}]`, /at most 63/);
  rejects('[{"name":"a","capacity":0}]', /capacity 0 is outside 1\.\.10000/);
  rejects('[{"name":"a","capacity":-5}]', /capacity -5 is outside/);
  rejects('[{"name":"a","capacity":10001}]', /capacity 10001 is outside/);
  rejects('[{"name":"a","capacity":1.5}]', /capacity must be a whole number, got 1.5/);
  rejects('[{"name":"a","capacity":"10"}]', /capacity must be a whole number, got "10"/);
  rejects('[{"name":"a","lowerDevice":""}]', /lowerDevice "" is empty/);
  rejects('[{"name":"a","lowerDevice":"averyveryverylongname"}]', /longer than 15 bytes/);
  rejects('[{"name":"a","lowerDevice":"eth0:1"}]', /contains '\/', ':'/);
  rejects('[{"name":"a","lowerDevice":7}]', /"lowerDevice" must be a string, got 7/);
});

Deno.test("parseConfig() rejects unknown keys, with a hint for the renamed master key", () => {
  rejects('[{"name":"a","master":"eth0"}]', /unknown key "master" \(renamed "lowerDevice" in 2021\)/);
  rejects('[{"name":"a","lowerdevice":"eth0"}]', /unknown key "lowerdevice"/);
});

Deno.test("parseConfig() rejects duplicate names", () => {
  rejects('[{"name":"a"},{"name":"b"},{"name":"a"}]', /entries 0 and 2 are both named "a"/);
});

Deno.test("parseConfig() keeps device IDs within the kubelet's 63 characters", () => {
  const name = "n".repeat(58); // "<58>Mvp9999" is 65 characters
  rejects(`[{"name":"${name}","capacity":10000}]`, /device ID "n+Mvp9999" is longer than 63/);
  assert.equal(parseConfig(`[{"name":"${name}","capacity":10}]`, "test").resources[0].capacity, 10);
});
