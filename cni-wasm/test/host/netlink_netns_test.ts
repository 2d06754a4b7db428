// netns_open and the netlink socket imports of the native host against the real kernel, in
// throwaway namespaces: a socket opened "in" a netns must see that netns' links.
import assert from "node:assert/strict";
import { TestNetns } from "../../../testing/netns.ts";
import { runProbe } from "./_probe.ts";
import { rootTest } from "../../../testing/root_gate.ts";

const EBADF = "-9";
const EINVAL = "-22";

rootTest(
  "nl_open in a netns: an RTM_GETLINK dump sees that netns' links, with their ifindexes",
  async () => {
    await using ns = await TestNetns.create("host-nl");
    await ns.addVeth("hv-a", "hv-b");
    const run = await runProbe(["links", ns.path]);
    assert.equal(run.code, 0, run.stderr);
    const expected = (await ns.links()).map((l) => `${l.ifname}:${l.ifindex}`).sort();
    assert.deepEqual(run.values.get("links")?.split(",").sort(), expected);
    assert.equal(run.values.get("sent"), "32");
    assert.match(run.values.get("port") ?? "", /^\d+$/);
    assert.equal(run.values.get("close"), "0");
    assert.equal(run.values.get("netns_close"), "0");
  },
);

rootTest(
  "nl_open with netns -1: the dump sees the host's own links, not a test netns'",
  async () => {
    await using ns = await TestNetns.create("host-nl");
    await ns.addVeth("hv-only-here", "hv-peer");
    const run = await runProbe(["links", "-"]);
    assert.equal(run.code, 0, run.stderr);
    const names = (run.values.get("links") ?? "").split(",").map((l) => l.split(":")[0]);
    assert.ok(names.includes("lo"), run.stdout);
    assert.ok(!names.includes("hv-only-here"), run.stdout);
  },
);

rootTest(
  "netns_open: a netns is accepted and closed once; a regular file is -EINVAL; a missing path -ENOENT",
  async () => {
    await using ns = await TestNetns.create("host-open");
    const good = await runProbe(["netns", ns.path]);
    assert.deepEqual([good.values.get("netns"), good.values.get("close")], ["ok", "0"]);
    assert.equal(good.values.get("close_again"), EBADF);
    assert.equal((await runProbe(["netns", "/etc/hostname"])).values.get("netns"), EINVAL);
    assert.equal((await runProbe(["netns", `${ns.path}-gone`])).values.get("netns"), "-2");
    // Another namespace kind is not a network namespace either.
    assert.equal((await runProbe(["netns", "/proc/self/ns/uts"])).values.get("netns"), EINVAL);
  },
);

rootTest(
  "netns_open: /proc/self/ns/net names the host's own netns",
  async () => {
    const run = await runProbe(["netns", "/proc/self/ns/net"]);
    assert.equal(run.values.get("netns"), "ok");
  },
);

rootTest(
  "nl_port: a second socket's port id (kernel autobind, above 2^31) arrives intact as a u32",
  async () => {
    const run = await runProbe(["ports"]);
    assert.deepEqual([run.values.get("port1_result"), run.values.get("port2_result")], ["0", "0"]);
    const [first, second] = [Number(run.values.get("port1")), Number(run.values.get("port2"))];
    assert.notEqual(first, second);
    assert.ok(second > 0x7fffffff, `second port ${second}`);
  },
);

rootTest(
  "nl_recv: a socket with nothing to read times out with -EAGAIN",
  async () => {
    const run = await runProbe(["recv-timeout"]);
    assert.equal(run.values.get("recv"), "-11");
  },
);

rootTest(
  "handles: unknown socket/netns handles are -EBADF, raw fds are not handles",
  async () => {
    const run = await runProbe(["bad-handles"]);
    assert.equal(run.code, 0, run.stderr);
    for (
      const key of [
        "send_unknown",
        "close_unknown",
        "port_unknown",
        "netns_close_stdout",
        "open_in_stdout",
        "sysctl_unknown_netns",
      ]
    ) {
      assert.equal(run.values.get(key), EBADF, key);
    }
  },
);
