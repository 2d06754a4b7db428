import assert from "node:assert/strict";
import { memoryLogger } from "../log.ts";
import { AllocationCheckpoint, parseRecords } from "./allocation_checkpoint.ts";
import { SlotFiles } from "./slot_files.ts";
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
  const state = `${dir.path}/state`; // created on the first write
  let clock = 5000;
  const first = await AllocationCheckpoint.open(state, { now: () => clock });
  await first.record([record("eth0Mvp0", 41), record("eth0Mvp1", 42)]);
  clock = 6000;
  await first.record([record("eth0Mvp0", 43)]); // allocated again: replaced, newer
  await first.forget(["eth0Mvp1"]);
  const second = await AllocationCheckpoint.open(state);
  assert.deepEqual(second.all(), [{ ...record("eth0Mvp0", 43), allocatedAtMs: 6000 }]);
  assert.equal(second.byTempLink(tempLinkName("eth0Mvp0"))?.ifindex, 43);
  assert.deepEqual([...Deno.readDirSync(state)].map((e) => e.name).sort(), [
    "allocations.0.json",
    "allocations.1.json",
  ]);
  assert.equal((await Deno.stat(`${state}/allocations.0.json`)).mode! & 0o777, 0o600);
});

Deno.test("AllocationCheckpoint: concurrent records share writes and all reach the disk", async () => {
  await using dir = await tempDir();
  const checkpoint = await AllocationCheckpoint.open(dir.path);
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => checkpoint.record([record(`eth0Mvp${i}`, 100 + i)])),
  );
  assert.equal((await AllocationCheckpoint.open(dir.path)).all().length, 20);
});

Deno.test("AllocationCheckpoint: records that do not check out are logged and not used", async () => {
  await using dir = await tempDir();
  const first = await AllocationCheckpoint.open(dir.path);
  await first.record([record("eth0Mvp0", 41)]);
  // A copy written by something else, with a valid checksum but a record without its resource.
  const slots = new SlotFiles(dir.path, "allocations");
  await slots.load();
  await slots.write([{ deviceId: "x" }]);
  const log = memoryLogger();
  const checkpoint = await AllocationCheckpoint.open(dir.path, { log });
  assert.deepEqual(checkpoint.all(), []);
  assert.ok(log.records.some((r) => /unusable/.test(r.msg) && /bad resourceName/.test(JSON.stringify(r))));
});

Deno.test("AllocationCheckpoint: a write that fails is logged, and record() still resolves", async () => {
  const log = memoryLogger();
  const checkpoint = await AllocationCheckpoint.open("/dev/null/state", { log });
  await checkpoint.record([record("eth0Mvp0", 41)]);
  assert.equal(checkpoint.get("eth0Mvp0")?.ifindex, 41, "kept in memory");
  assert.ok(log.records.some((r) => r.msg === "cannot write the allocation checkpoint"));
});

Deno.test("parseRecords() names the bad record and field", () => {
  assert.throws(() => parseRecords({}), /expected a list of records/);
  const bad = { ...record("eth0Mvp0", 0), allocatedAtMs: 1 };
  assert.throws(() => parseRecords([bad]), /record 0 .*bad ifindex/);
  assert.throws(
    () => parseRecords([{ ...record("eth0Mvp0", 3), mode: "bridged", allocatedAtMs: 1 }]),
    /bad mode/,
  );
  assert.throws(() => parseRecords([{ ...record("eth0Mvp0", 3), allocatedAtMs: -1 }]), /bad allocatedAtMs/);
});
