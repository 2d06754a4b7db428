// CHECK holds the pod to everything ADD set (SPEC.md CHECK: an error when a resource of the Result —
// interface, address or route — is missing or in an invalid state): each mutation below makes CHECK fail with
// 105 naming what changed, and undoing it makes CHECK pass again. Debian's macvlan catches a deleted IPAM
// route the same way (ip.ValidateExpectedRoute); the control case shows it.
import { expectError, expectResult, expectSuccess } from "../testing/expect.ts";
import { execPlugin, type PluginRun } from "../testing/plugin_exec.ts";
import type { TestNetns } from "../testing/netns.ts";
import { hostLocalIpam } from "../testing/host_local.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Attachment, macvtapConfig, TestNode } from "../testing/test_node.ts";

const NEEDS = { programs: ["/usr/lib/cni/host-local"] };

/** One change to the pod that CHECK must notice: `ip` commands making it and taking it back, what 105 names. */
interface Mutation {
  what: string;
  apply: string[][];
  undo: string[][];
  mentions: string;
}

const MUTATIONS: Mutation[] = [
  {
    what: "an IPAM route deleted",
    apply: [["route", "del", "10.99.0.0/16", "via", "10.78.0.254", "dev", "net1"]],
    undo: [["route", "add", "10.99.0.0/16", "via", "10.78.0.254", "dev", "net1"]],
    mentions: "10.99.0.0/16 via 10.78.0.254",
  },
  {
    what: "the IPv6 default route deleted",
    apply: [["-6", "route", "del", "default", "via", "fd00:78::1", "dev", "net1"]],
    undo: [["-6", "route", "add", "default", "via", "fd00:78::1", "dev", "net1"]],
    mentions: "::/0",
  },
  {
    what: "an IPAM route moved to another gateway",
    apply: [["route", "change", "10.99.0.0/16", "via", "10.78.0.253", "dev", "net1"]],
    undo: [["route", "change", "10.99.0.0/16", "via", "10.78.0.254", "dev", "net1"]],
    mentions: "10.99.0.0/16 via 10.78.0.254",
  },
  {
    what: "promiscuous mode switched off",
    apply: [["link", "set", "net1", "promisc", "off"]],
    undo: [["link", "set", "net1", "promisc", "on"]],
    mentions: "promiscuous",
  },
  {
    what: "the IPv6 address re-added with a /48 prefix",
    apply: [["addr", "del", "fd00:78::2/64", "dev", "net1"], [
      "addr",
      "add",
      "fd00:78::2/48",
      "dev",
      "net1",
      "nodad",
    ]],
    undo: [
      ["addr", "del", "fd00:78::2/48", "dev", "net1"],
      ["addr", "add", "fd00:78::2/64", "dev", "net1", "nodad"],
      ["-6", "route", "replace", "default", "via", "fd00:78::1", "dev", "net1"],
    ],
    mentions: "fd00:78::2/64",
  },
  {
    what: "the IPv4 address re-added with a /16 prefix",
    apply: [["addr", "del", "10.78.0.2/24", "dev", "net1"], ["addr", "add", "10.78.0.2/16", "dev", "net1"]],
    undo: [
      ["addr", "del", "10.78.0.2/16", "dev", "net1"],
      ["addr", "add", "10.78.0.2/24", "dev", "net1"],
      ["route", "replace", "10.99.0.0/16", "via", "10.78.0.254", "dev", "net1"],
    ],
    mentions: "10.78.0.2/24",
  },
];

function checkedConfig(
  node: TestNode,
  type: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const ipam = hostLocalIpam(
    node.ipamDataDir,
    [{ subnet: "10.78.0.0/24", gateway: "10.78.0.1" }, { subnet: "fd00:78::/64", gateway: "fd00:78::1" }],
    [{ dst: "10.99.0.0/16", gw: "10.78.0.254" }, { dst: "::/0" }],
  );
  return { ...macvtapConfig("1.0.0", `check-${type}`, { ipam, ...extra }), type };
}

async function mutate(pod: TestNetns, commands: string[][]): Promise<void> {
  for (const args of commands) await pod.ip(...args);
}

/** Debian's macvlan, run as the runtime runs ours (node netns, clean environment). */
function macvlan(node: TestNode, command: string, attachment: Attachment, stdin: string): Promise<PluginRun> {
  const binary = "/usr/lib/cni/macvlan";
  return execPlugin({ binary, env: node.env(command, attachment), stdin, netnsPath: node.node.path });
}

rootTest(
  "CHECK: a deleted or changed route, promisc off, a changed prefix length each fail 105",
  async () => {
    await using node = await TestNode.create("checkst");
    const allocation = await node.allocate("checkMvp0");
    const attachment = await node.attachment();
    const config = checkedConfig(node, "macvtap", { deviceID: allocation.deviceId, promiscMode: true });
    const result = expectResult(await node.run("ADD", attachment, config), "1.0.0");
    const cached = { ...config, prevResult: result };
    expectSuccess(await node.run("CHECK", attachment, cached), "CHECK right after ADD");

    for (const mutation of MUTATIONS) {
      await mutate(attachment.pod, mutation.apply);
      const run = await node.run("CHECK", attachment, cached);
      expectError(run, `CHECK after ${mutation.what}`, { code: 105, mentions: [mutation.mentions] });
      await mutate(attachment.pod, mutation.undo);
      expectSuccess(await node.run("CHECK", attachment, cached), `CHECK after undoing ${mutation.what}`);
    }
    expectSuccess(await node.run("DEL", attachment, cached), "DEL");
  },
  NEEDS,
);

rootTest(
  "CHECK control: Debian macvlan + host-local also fails CHECK once an IPAM route is deleted",
  async () => {
    await using node = await TestNode.create("checkmv");
    const attachment: Attachment = await node.attachment();
    const config = checkedConfig(node, "macvlan", { master: "lower0" });
    const result = expectResult(await macvlan(node, "ADD", attachment, JSON.stringify(config)), "1.0.0");
    const cached = JSON.stringify({ ...config, prevResult: result });
    expectSuccess(await macvlan(node, "CHECK", attachment, cached), "macvlan CHECK right after ADD");
    await mutate(attachment.pod, MUTATIONS[0]!.apply);
    expectError(await macvlan(node, "CHECK", attachment, cached), "macvlan CHECK without the route");
    expectSuccess(await macvlan(node, "DEL", attachment, cached), "macvlan DEL");
  },
  { programs: ["/usr/lib/cni/host-local", "/usr/lib/cni/macvlan"] },
);
