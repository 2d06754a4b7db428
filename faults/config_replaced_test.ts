// The daemon's watched config file is replaced by something it cannot use: invalid JSON, a config naming
// a mode that does not exist, an empty file (a writer that truncated before writing). Each time the old
// config must stay in force (same devices, Allocate still makes links in the old mode) with an error in
// the log that names the problem; the next good file is applied (new capacity, new mode). Replacement is
// by rename, as editors and ConfigMap volumes do it (a new inode), except the truncation, which is in place.
import assert from "node:assert/strict";
import type { LogRecord } from "../daemon/log.ts";
import { LOWER_LINK } from "../testing/test_node.ts";
import { DaemonNode } from "../daemon/testing/daemon_node.ts";
import { isRunning } from "../testing/processes.ts";
import { rootTest } from "../testing/root_gate.ts";

const INVALID = "invalid config file; keeping the last good config";

/** Replaces the config file atomically: a new file in the same directory, renamed over it. */
async function replaceConfig(node: DaemonNode, text: string): Promise<void> {
  const next = `${node.configFile}.next`;
  await Deno.writeTextFile(next, text);
  await Deno.rename(next, node.configFile);
}

/** Waits for the next "invalid config file" record not seen before and returns its error text. */
async function nextConfigError(node: DaemonNode, seen: Set<LogRecord>): Promise<string> {
  const record = await node.daemon.waitForLog(INVALID, (r) => r.msg === INVALID && !seen.has(r));
  seen.add(record);
  return JSON.stringify(record.error);
}

/** The old config still rules: `capacity` Healthy devices, and Allocate makes a macvtap in `mode`. */
async function expectConfig(node: DaemonNode, capacity: number, mode: string, deviceId: string) {
  await node.waitForDevices(capacity);
  const allocation = await node.allocate(deviceId);
  const link = await node.test.node.link(allocation.tempName);
  assert.equal(link?.linkinfo?.info_data?.mode, mode, `${deviceId} was made in mode ${mode}`);
}

rootTest(
  "config replaced by invalid JSON, an unknown mode, an empty file: old config kept, good one applied",
  async () => {
    await using node = await DaemonNode.start("fconfig", { capacity: 4 });
    const seen = new Set<LogRecord>();

    await replaceConfig(node, `[{"name":"${LOWER_LINK}","capacity":6`);
    assert.match(await nextConfigError(node, seen), /JSON/i, "the error says the JSON is broken");
    await expectConfig(node, 4, "bridge", "lower0Mvp0");

    await replaceConfig(node, JSON.stringify([{ name: LOWER_LINK, mode: "bridged", capacity: 6 }]));
    assert.match(await nextConfigError(node, seen), /mode \\"bridged\\" is not one of bridge, vepa/);
    await expectConfig(node, 4, "bridge", "lower0Mvp1");

    await Deno.writeTextFile(node.configFile, ""); // truncated in place, its writer not done yet
    await nextConfigError(node, seen);
    await expectConfig(node, 4, "bridge", "lower0Mvp2");

    await replaceConfig(node, JSON.stringify([{ name: LOWER_LINK, mode: "vepa", capacity: 6 }]));
    await node.daemon.waitForLog("config reloaded", (r) => r.msg === "config reloaded");
    await expectConfig(node, 6, "vepa", "lower0Mvp5");
    assert.ok(isRunning(node.daemon.pid), `the daemon never restarted:\n${node.daemon.transcript()}`);
  },
  { sanitizers: false },
);
