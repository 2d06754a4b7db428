/**
 * TEST HELPER: a node for hostdev CNI tests, built from throwaway netns. The kernel here has no spare
 * virtio NIC to hand to a pod, so a veth stands in for one: `nic0` in the node netns, its peer `nic0p`
 * in a "wire" netns (the network behind the NIC). The plugin (dist/cni/macvtap) runs inside the node
 * netns, as a runtime would run it on a node.
 *
 * Requires root, `deno task build`, `--allow-run` (ip, nsenter, the plugin) and `--allow-read`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { execPlugin, type PluginRun } from "../../../testing/plugin_exec.ts";
import { ip, TestNetns } from "../../../testing/netns.ts";

/** The built plugin. */
export const CNI_PLUGIN: string = fileURLToPath(new URL("../../../dist/cni/macvtap", import.meta.url));

/** Debian's containernetworking-plugins (static IPAM). */
export const DEBIAN_CNI_DIR = "/usr/lib/cni";

/** The stand-in NIC's state on the node before any pod takes it. */
export const NIC_MAC = "02:00:00:00:aa:01";
export const NIC_ALIAS = "uplink rack 3 port 7";

/** The machine's own eth0 as `ip -j link` shows it (ifindex, name, MAC), to prove it never moved. */
export async function machineEth0(): Promise<string> {
  const [eth0] = JSON.parse(await ip("-j", "link", "show", "eth0"));
  return JSON.stringify({ ifindex: eth0.ifindex, ifname: eth0.ifname, address: eth0.address });
}

/** node + wire + pod netns, a stand-in NIC `name` between node and wire. */
export class HostdevNode implements AsyncDisposable {
  private constructor(readonly node: TestNetns, readonly wire: TestNetns, readonly pod: TestNetns) {}

  static async create(purpose: string): Promise<HostdevNode> {
    const made: TestNetns[] = [];
    try {
      for (const role of ["node", "wire", "pod"]) made.push(await TestNetns.create(`hd-${purpose}-${role}`));
      return new HostdevNode(made[0]!, made[1]!, made[2]!);
    } catch (error) {
      for (const ns of made) await ns[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** A veth `name` in the node (MAC {@link NIC_MAC}, alias {@link NIC_ALIAS}, up), peer `<name>p` in the wire. */
  async addNic(name: string): Promise<void> {
    await this.node.addVeth(name, `${name}p`, this.wire);
    await this.node.ip("link", "set", name, "address", NIC_MAC, "alias", NIC_ALIAS);
  }

  /** Runs the plugin in the node netns with CNI_NETNS = the pod (unless `netns` says otherwise). */
  cni(command: string, config: Record<string, unknown>, options: { ifname?: string; netns?: string } = {}) {
    return execPlugin({
      binary: CNI_PLUGIN,
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: "hostdev-test",
        CNI_NETNS: options.netns ?? this.pod.path,
        CNI_IFNAME: options.ifname ?? "net1",
        CNI_PATH: DEBIAN_CNI_DIR,
      },
      stdin: JSON.stringify(config),
      netnsPath: this.node.path,
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const ns of [this.pod, this.wire, this.node]) await ns[Symbol.asyncDispose]();
  }
}

/** The plugin's stdout as JSON, failing with the whole run when it exited non-zero. */
export function expectOk(run: PluginRun): Record<string, unknown> | null {
  if (run.code !== 0) throw new Error(`plugin failed: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.json as Record<string, unknown> | null;
}
