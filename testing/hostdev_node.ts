/**
 * A node for hostdev tests (the CNI's and the device plugin's), built from throwaway netns. The kernel here
 * has no spare virtio NIC to hand to a pod, so a veth stands in for one: `nic0` in the node netns, its peer
 * `nic0p` in a "wire" netns (the network behind the NIC). The plugin (dist/cni/macvtap) runs inside the
 * node netns, as a runtime would run it on a node.
 *
 * Requires root, `deno task build`, `--allow-run` (ip, nsenter, the plugin) and `--allow-read`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ip, type TestNetns } from "./netns.ts";
import type { PluginRun } from "./plugin_exec.ts";
import { DEBIAN_CNI_DIR, TestNode } from "./test_node.ts";

/** The stand-in NIC's state on the node before any pod takes it. */
export const NIC_MAC = "02:00:00:00:aa:01";
export const NIC_ALIAS = "uplink rack 3 port 7";

/** The machine's own eth0 as `ip -j link` shows it (ifindex, name, MAC), to prove it never moved. */
export async function machineEth0(): Promise<string> {
  const [eth0] = JSON.parse(await ip("-j", "link", "show", "eth0"));
  return JSON.stringify({ ifindex: eth0.ifindex, ifname: eth0.ifname, address: eth0.address });
}

/**
 * A {@link TestNode} without the lower link, one pod, and stand-in NICs `name` between node and wire
 * ({@link addNic}); the plugin runs with CNI_PATH = Debian's plugins only.
 */
export class HostdevNode implements AsyncDisposable {
  private constructor(readonly test: TestNode, readonly pod: TestNetns) {}

  /** The runtime's netns, where the stand-in NICs are. */
  get node(): TestNetns {
    return this.test.node;
  }

  /** The network behind the stand-in NICs. */
  get wire(): TestNetns {
    return this.test.wire;
  }

  static async create(purpose: string): Promise<HostdevNode> {
    const test = await TestNode.create(`hd-${purpose}`, { lowerLink: false });
    try {
      return new HostdevNode(test, await test.newPod());
    } catch (error) {
      await test[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** A veth `name` in the node (MAC {@link NIC_MAC}, alias {@link NIC_ALIAS}, up), peer `<name>p` in the wire. */
  async addNic(name: string): Promise<void> {
    await this.node.addVeth(name, `${name}p`, this.wire);
    await this.node.ip("link", "set", name, "address", NIC_MAC, "alias", NIC_ALIAS);
  }

  /** Runs the plugin in the node netns with CNI_NETNS = the pod (unless `netns` says otherwise). */
  cni(
    command: string,
    config: Record<string, unknown>,
    options: { ifname?: string; netns?: string } = {},
  ): Promise<PluginRun> {
    const attachment = { containerId: "hostdev-test", ifname: options.ifname ?? "net1", pod: this.pod };
    return this.test.run(command, attachment, config, { netns: options.netns, cniPath: DEBIAN_CNI_DIR });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.test[Symbol.asyncDispose]();
  }
}

/**
 * Runs `fn` on a fresh {@link HostdevNode} holding the stand-in NICs `nics`, and proves afterwards, also when
 * `fn` failed, that the machine's own eth0 did not move.
 */
export async function withHostdevNode(
  purpose: string,
  fn: (t: HostdevNode) => Promise<void>,
  nics: readonly string[] = [],
): Promise<void> {
  const eth0Before = await machineEth0();
  try {
    await using t = await HostdevNode.create(purpose);
    for (const nic of nics) await t.addNic(nic);
    await fn(t);
  } finally {
    assert.equal(await machineEth0(), eth0Before, "the machine's eth0 is untouched");
  }
}
