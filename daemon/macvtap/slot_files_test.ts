import assert from "node:assert/strict";
import { SlotFiles } from "./slot_files.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mvt-slots-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("SlotFiles: copies alternate between the two slots, and load() takes the newest", async () => {
  await using dir = await tempDir();
  const slots = new SlotFiles(`${dir.path}/state`, "x");
  assert.deepEqual(await slots.load(), { payload: null, problems: [] }, "nothing yet");
  for (let i = 1; i <= 5; i++) await slots.write({ copy: i });
  const again = new SlotFiles(`${dir.path}/state`, "x");
  assert.deepEqual(await again.load(), { payload: { copy: 5 }, problems: [] });
  await again.write({ copy: 6 }); // continues the sequence: slot 0, leaving copy 5 in slot 1
  const text = (i: number) => Deno.readTextFileSync(again.slotPath(i));
  assert.match(text(0), /"sequence":6/);
  assert.match(text(1), /"sequence":5/);
});

Deno.test("SlotFiles: a copy cut short falls back to the one before", async () => {
  await using dir = await tempDir();
  const slots = new SlotFiles(dir.path, "x");
  await slots.write({ copy: 1 });
  await slots.write({ copy: 2, grown: "y".repeat(5000) }); // slot 0, grows past one block
  // The crash: slot 0's copy loses its tail (only part of the write reached the disk).
  const path = slots.slotPath(0);
  const bytes = Deno.readFileSync(path);
  Deno.writeFileSync(path, bytes.subarray(0, 4096));
  const loaded = await new SlotFiles(dir.path, "x").load();
  assert.deepEqual(loaded.payload, { copy: 1 });
  assert.equal(loaded.problems.length, 1);
});

Deno.test("SlotFiles: a changed payload with an old checksum is refused", async () => {
  await using dir = await tempDir();
  const slots = new SlotFiles(dir.path, "x");
  await slots.write({ ifindex: 41 });
  await slots.write({ ifindex: 42 });
  const path = slots.slotPath(0);
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace('"ifindex":42', '"ifindex":43'));
  const loaded = await new SlotFiles(dir.path, "x").load();
  assert.deepEqual(loaded.payload, { ifindex: 41 });
  assert.match(loaded.problems[0]!, /checksum mismatch/);
});

Deno.test("SlotFiles: a shorter copy overwrites a longer one in place and still reads back", async () => {
  await using dir = await tempDir();
  const slots = new SlotFiles(dir.path, "x");
  await slots.write({ long: "z".repeat(9000) }); // slot 1
  await slots.write({});
  await slots.write({ short: true }); // slot 1 again, 3 blocks long, mostly padding now
  assert.equal(Deno.statSync(slots.slotPath(1)).size, 3 * 4096);
  assert.deepEqual((await new SlotFiles(dir.path, "x").load()).payload, { short: true });
});
