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
  assert.deepEqual(parseConfig("[]", "test"), { resources: [], hostdevResources: [], autoDiscover: true });
  const explicit = parseConfig(
    '[{"name":"eth0","lowerDevice":"eth0","mode":"bridge","capacity":50}]',
    "test",
  );
  assert.deepEqual(explicit, {
    resources: [{ name: "eth0", lowerDevice: "eth0", mode: "bridge", capacity: 50 }],
    hostdevResources: [],
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
    assert.equal(parseConfig(`[{"name":"a","mode":"${mode}"}]`, "test").resources[0]!.mode, mode);
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

/** Parses `text`, returning the config and the warnings it raised. */
function withWarnings(text: string) {
  const warnings: string[] = [];
  const config = parseConfig(text, "test", (message) => warnings.push(message));
  return { config, warnings };
}

Deno.test("parseConfig() warns about unknown keys and ignores them, as upstream; master gets a hint", () => {
  const master = withWarnings('[{"name":"a","master":"eth0","capacity":2}]');
  assert.deepEqual(master.config.resources, [{ name: "a", lowerDevice: "a", mode: "bridge", capacity: 2 }]);
  assert.equal(master.warnings.length, 1);
  assert.match(
    master.warnings[0]!,
    /Ignoring unknown key "master" \(renamed "lowerDevice" in 2021\) in test entry 0 \("a"\); known keys/,
  );
  const typo = withWarnings('[{"name":"a","lowerdevice":"eth0"},{"name":"b","extra":1,"other":true}]');
  assert.deepEqual(typo.warnings.map((w) => /unknown key "(\w+)".*entry (\d)/.exec(w)!.slice(1)), [
    ["lowerdevice", "0"],
    ["extra", "1"],
    ["other", "1"],
  ]);
  assert.deepEqual(withWarnings('[{"name":"a","lowerDevice":"eth0"}]').warnings, []);
  // Without a listener the same config parses the same (the deploy checks use it so).
  assert.deepEqual(parseConfig('[{"name":"a","master":"eth0","capacity":2}]', "test"), master.config);
});

Deno.test("parseConfig() rejects duplicate names", () => {
  rejects('[{"name":"a"},{"name":"b"},{"name":"a"}]', /entries 0 and 2 are both named "a"/);
});

Deno.test("parseConfig() keeps device IDs within the kubelet's 63 characters", () => {
  const name = "n".repeat(58); // "<58>Mvp9999" is 65 characters
  rejects(`[{"name":"${name}","capacity":10000}]`, /device ID "n+Mvp9999" is longer than 63/);
  assert.equal(parseConfig(`[{"name":"${name}","capacity":10}]`, "test").resources[0]!.capacity, 10);
});

Deno.test('parseConfig() reads "kind": "hostdev" entries beside macvtap ones; default selector virtio_net', () => {
  const config = parseConfig(
    '[{"name":"eth1","kind":"macvtap"},{"name":"nics","kind":"hostdev"},' +
      '{"name":"fast","kind":"hostdev","driver":"ixgbe"},' +
      '{"name":"pinned","kind":"hostdev","pciAddresses":["0000:3b:00.0","0000:3b:00.1"]},' +
      '{"name":"stand-in","kind":"hostdev","interfaces":["veth9"],"driver":null}]',
    "test",
  );
  assert.deepEqual(config.resources, [{ name: "eth1", lowerDevice: "eth1", mode: "bridge", capacity: 100 }]);
  assert.deepEqual(config.hostdevResources, [
    { name: "nics", kind: "hostdev", select: { by: "driver", driver: "virtio_net" } },
    { name: "fast", kind: "hostdev", select: { by: "driver", driver: "ixgbe" } },
    {
      name: "pinned",
      kind: "hostdev",
      select: { by: "pciAddress", pciAddresses: ["0000:3b:00.0", "0000:3b:00.1"] },
    },
    { name: "stand-in", kind: "hostdev", select: { by: "name", interfaces: ["veth9"] } },
  ]);
  assert.equal(config.autoDiscover, false);
});

Deno.test("parseConfig() rejects bad hostdev entries, naming the entry and the field", () => {
  rejects('[{"name":"a","kind":"sriov"}]', /entry 0 \("a"\): kind "sriov" is not one of macvtap, hostdev/);
  assert.match(
    withWarnings('[{"name":"a","kind":"hostdev","capacity":3}]').warnings.join("\n"),
    /unknown key "capacity" in test entry 0 \("a"\); known keys are name, kind, driver/,
  );
  assert.match(
    withWarnings('[{"name":"a","kind":"hostdev","mode":"vepa"}]').warnings[0]!,
    /unknown key "mode"/,
  );
  rejects(
    '[{"name":"a","kind":"hostdev","driver":"e1000","interfaces":["x"]}]',
    /give one of driver, pciAddresses, interfaces, not driver and interfaces/,
  );
  rejects(
    '[{"name":"a","kind":"hostdev","driver":"virtio net"}]',
    /driver "virtio net" is not a driver name/,
  );
  rejects('[{"name":"a","kind":"hostdev","pciAddresses":[]}]', /"pciAddresses" must be a non-empty array/);
  rejects(
    '[{"name":"a","kind":"hostdev","pciAddresses":["00:0a.0"]}]',
    /entry "00:0a.0" is not a lower-case PCI/,
  );
  rejects('[{"name":"a","kind":"hostdev","pciAddresses":["0000:00:0A.0"]}]', /is not a lower-case PCI/);
  rejects(
    '[{"name":"a","kind":"hostdev","interfaces":["eth1","eth1"]}]',
    /"interfaces" lists an entry twice/,
  );
  rejects('[{"name":"a","kind":"hostdev","interfaces":["eth1:0"]}]', /contains '\/', ':'/);
  rejects('[{"name":"a","kind":"hostdev","interfaces":[7]}]', /entry 7 is not a string/);
  rejects('[{"name":"a"},{"name":"a","kind":"hostdev"}]', /entries 0 and 1 are both named "a"/);
});
