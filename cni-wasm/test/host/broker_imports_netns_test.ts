// The imports the link broker adds: wait_readable (stdin + netlink sockets) and
// link_numa_node. The event test keeps the host's stdin open, as the daemon does.
import assert from "node:assert/strict";
import { isInterfaceName, parseNumaNode } from "../../host/link_numa_node.ts";
import { isRoot, TestNetns } from "../../../testing/netns.ts";
import { ALLOW_ENV, LIBC_PATH, probeDist, runLauncher, TEST_DENO_DIR } from "./_probe_dist.ts";

/** Starts the probe in stream mode with stdin left open; returns the child and a line reader. */
async function startStreamProbe(args: string[]) {
  const dir = await probeDist();
  const child = new Deno.Command(`${dir}/deno`, {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--no-prompt",
      ALLOW_ENV,
      `--allow-read=${dir}`,
      `--allow-ffi=${LIBC_PATH}`,
      `${dir}/macvtap-host.js`,
      `${dir}/macvtap.wasm`,
      LIBC_PATH,
      "--mode=stream",
      "--",
      ...args,
    ],
    clearEnv: true,
    env: { DENO_DIR: TEST_DENO_DIR },
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

Deno.test({
  name: "wait_readable (stream mode): wakes with bit 1 when a link event arrives on the socket",
  ignore: !isRoot,
  async fn() {
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
});

Deno.test({
  name: "wait_readable (stream mode): stdin at end of file is bit 0",
  ignore: !isRoot,
  async fn() {
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
});

Deno.test({
  name: "wait_readable (cni mode): the buffered stdin is ready at once, sockets are only peeked",
  ignore: !isRoot,
  async fn() {
    const run = await runLauncher(["wait", "-", "-1"]);
    assert.equal(run.values.get("wait"), "1");
  },
});

Deno.test("link_numa_node: devices without a node are -ENOENT, bad names -EINVAL", async () => {
  const run = await runLauncher(["numa", "lo"]);
  assert.equal(run.values.get("numa"), "-2");
  assert.equal((await runLauncher(["numa", "../../../etc"])).values.get("numa"), "-22");
  assert.equal((await runLauncher(["numa", "a-name-far-too-long"])).values.get("numa"), "-22");
});

Deno.test("parseNumaNode / isInterfaceName", () => {
  assert.equal(parseNumaNode("0\n"), 0);
  assert.equal(parseNumaNode("3\n"), 3);
  assert.equal(parseNumaNode("-1\n"), -2);
  assert.equal(parseNumaNode("x\n"), -22);
  for (const good of ["eth0", "bond0.100", "p4p1", "a"]) assert.ok(isInterfaceName(good), good);
  for (const bad of ["", ".", "..", "a/b", "a:b", "a b", "sixteen-bytes-xx"]) {
    assert.ok(!isInterfaceName(bad), bad);
  }
});
