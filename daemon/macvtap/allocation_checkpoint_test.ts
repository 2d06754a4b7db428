import assert from "node:assert/strict";
import { memoryLogger } from "../log.ts";
import { AllocationCheckpoint, parseCheckpoint } from "./allocation_checkpoint.ts";
import { tempLinkName } from "./temp_link_name.ts";

const ETH0 = "macvtap.network.kubevirt.io/eth0";
const record = (deviceId: string, ifindex: number) => ({
  resourceName: ETH0,
  deviceId,
  lower: "eth0",
  mode: "bridge" as const,
  ifindex,
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mvt-checkpoint-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("AllocationCheckpoint survives a restart: what record() wrote, open() reads back", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state/allocations.json`; // the directory is created on first write
  let clock = 5000;
  const first = await AllocationCheckpoint.open(path, { now: () => clock });
  await first.record([record("eth0Mvp0", 41), record("eth0Mvp1", 42)]);
  clock = 6000;
  await first.record([record("eth0Mvp0", 43)]); // allocated again: replaced, newer
  await first.forget(["eth0Mvp1"]);
  const second = await AllocationCheckpoint.open(path);
  assert.deepEqual(second.all(), [{ ...record("eth0Mvp0", 43), allocatedAtMs: 6000 }]);
  assert.equal(second.byTempLink(tempLinkName("eth0Mvp0"))?.ifindex, 43);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.deepEqual([...Deno.readDirSync(`${dir.path}/state`)].map((e) => e.name), ["allocations.json"]);
});

Deno.test("AllocationCheckpoint: concurrent records share writes and all reach the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/allocations.json`;
  const checkpoint = await AllocationCheckpoint.open(path);
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => checkpoint.record([record(`eth0Mvp${i}`, 100 + i)])),
  );
  const onDisk = parseCheckpoint(await Deno.readTextFile(path));
  assert.equal(onDisk.length, 20);
});

Deno.test("AllocationCheckpoint sets an unusable file aside and starts empty", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/allocations.json`;
  await Deno.writeTextFile(path, '{"version":1,"allocations":[{"deviceId":"x"}]}');
  const log = memoryLogger();
  const checkpoint = await AllocationCheckpoint.open(path, { log });
  assert.deepEqual(checkpoint.all(), []);
  assert.ok(
    log.records.some((r) =>
      r.msg.startsWith("allocation checkpoint unusable") && /bad resourceName/.test(JSON.stringify(r))
    ),
  );
  assert.ok((await Deno.stat(`${path}.bad`)).isFile);
});

Deno.test("AllocationCheckpoint: a write that fails is logged, and record() still resolves", async () => {
  const log = memoryLogger();
  const checkpoint = await AllocationCheckpoint.open("/dev/null/allocations.json", { log });
  await checkpoint.record([record("eth0Mvp0", 41)]);
  assert.equal(checkpoint.get("eth0Mvp0")?.ifindex, 41, "kept in memory");
  assert.ok(log.records.some((r) => r.msg === "cannot write the allocation checkpoint"));
});

Deno.test("parseCheckpoint() names the bad field", () => {
  assert.throws(() => parseCheckpoint("[]"), /expected \{"version":1/);
  const bad = { ...record("eth0Mvp0", 0), allocatedAtMs: 1 };
  assert.throws(
    () => parseCheckpoint(JSON.stringify({ version: 1, allocations: [bad] })),
    /record 0 .*bad ifindex/,
  );
  const mode = { ...record("eth0Mvp0", 3), mode: "bridged", allocatedAtMs: 1 };
  assert.throws(() => parseCheckpoint(JSON.stringify({ version: 1, allocations: [mode] })), /bad mode/);
});
