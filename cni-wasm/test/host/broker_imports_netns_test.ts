// The imports the link broker adds: wait_readable (stdin + netlink sockets) and
// link_numa_node. The event test keeps the host's stdin open, as the daemon does.
import assert from "node:assert/strict";
import { TestNetns } from "../../../testing/netns.ts";
import { buildProbes, runProbe, STREAM_PROBE } from "./_probe.ts";
import { rootTest } from "../../../testing/root_gate.ts";

/** Starts the probe in stream mode with stdin left open; returns the child and a line reader. */
async function startStreamProbe(args: string[]) {
  await buildProbes();
  const child = new Deno.Command(STREAM_PROBE, {
    args,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  let pending = "";
  async function nextLine(): Promise<string> {
    while (!pending.includes("\n")) {
      const chunk = await lines.next();
      if (chunk.done) throw new Error(`probe ended before a full line (got "${pending}")`);
      pending += chunk.value;
    }
    const line = pending.slice(0, pending.indexOf("\n"));
    pending = pending.slice(pending.indexOf("\n") + 1);
    return line;
  }
  return { child, nextLine, rest: async () => (await Array.fromAsync(lines)).join("") };
}

rootTest(
  "wait_readable (stream mode): wakes with bit 1 when a link event arrives on the socket",
  async () => {
    await using ns = await TestNetns.create("host-wait");
    const probe = await startStreamProbe(["wait", ns.path, "-1"]);
    try {
      assert.equal(await probe.nextLine(), "subscribed=ok");
      await ns.addVeth("hw-a", "hw-b");
      assert.equal(await probe.nextLine(), "wait=2");
      assert.equal(await probe.nextLine(), "wait_unknown=-9");
    } finally {
      await probe.child.stdin.close();
      await probe.rest();
      await probe.child.status;
    }
  },
);

rootTest(
  "wait_readable (stream mode): stdin at end of file is bit 0",
  async () => {
    const probe = await startStreamProbe(["wait", "-", "-1"]);
    try {
      assert.equal(await probe.nextLine(), "subscribed=ok");
      await probe.child.stdin.close();
      assert.equal(await probe.nextLine(), "wait=1");
    } finally {
      await probe.rest();
      await probe.child.status;
    }
  },
);

rootTest(
  "wait_readable (stream mode): nothing readable within the timeout is 0",
  async () => {
    const probe = await startStreamProbe(["wait", "-", "50"]);
    try {
      assert.equal(await probe.nextLine(), "subscribed=ok");
      assert.equal(await probe.nextLine(), "wait=0");
    } finally {
      await probe.child.stdin.close();
      await probe.rest();
      await probe.child.status;
    }
  },
);

rootTest(
  "wait_readable (cni mode): the buffered stdin is ready at once, sockets are only peeked",
  async () => {
    const run = await runProbe(["wait", "-", "-1"]);
    assert.equal(run.values.get("wait"), "1");
  },
);

Deno.test("link_numa_node: devices without a node (virtual, or missing) are -ENOENT, bad names -EINVAL", async () => {
  assert.equal((await runProbe(["numa", "lo"])).values.get("numa"), "-2");
  assert.equal((await runProbe(["numa", "nosuchlink0"])).values.get("numa"), "-2");
  assert.equal((await runProbe(["numa", "../../../etc"])).values.get("numa"), "-22");
});

Deno.test("link_numa_node: a real NIC's node, as sysfs gives it (this machine's eth0, read-only)", async () => {
  const text = await Deno.readTextFile("/sys/class/net/eth0/device/numa_node").catch(() => null);
  if (text === null) return; // no eth0 with a device here: nothing to compare against
  const expected = Number(text.trim()) < 0 ? "-2" : text.trim();
  assert.equal((await runProbe(["numa", "eth0"])).values.get("numa"), expected);
});
