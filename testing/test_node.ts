/**
 * One throwaway Kubernetes node for a test that runs the built plugin (integration, faults, hostdev,
 * benchmarks), built from network namespaces:
 *
 * - `node`: the runtime's (host) netns. It holds the lower link `lower0` and the `mvt<hash>` macvtaps that
 *   the device plugin's Allocate would create on it; the plugin runs here (nsenter, like a runtime).
 * - `wire`: the far end of the lower link (`lower0p`), i.e. the physical network. Frames the pod sends
 *   out show up here; a DHCP server or a test sending frames to a pod lives here.
 * - pods: one netns per pod sandbox, created on demand.
 * - a work dir: a bin dir for IPAM test doubles (first in CNI_PATH) and host-local's dataDir.
 *
 * Disposing kills the processes the test started (by their handle), deletes pods, node and wire (the
 * kernel deletes every virtual link inside, and with a macvtap its /dev/tapN), then the work dir.
 *
 * Requires root, `--allow-run` (ip, nsenter, the plugin), `--allow-read`, `--allow-write` (temp dir);
 * creating one fails naming what is missing when the plugin is not built or nsenter is not installed.
 *
 * @module
 */
import { tempLinkName } from "../daemon/macvtap/temp_link_name.ts";
import { execPlugin, type PluginRun } from "./plugin_exec.ts";
import { TestNetns } from "./netns.ts";
import { requirePrograms } from "./root_gate.ts";
import { stopChild } from "./run_program.ts";
import { CNI_DIST_DIR, CNI_PLUGIN } from "../tools/build.ts";

/** Where Debian's containernetworking-plugins installs host-local, static, dhcp. */
export const DEBIAN_CNI_DIR = "/usr/lib/cni";

/** The lower link in the node netns and its peer in the wire netns. */
export const LOWER_LINK = "lower0";
export const WIRE_LINK = "lower0p";

/** The node-side macvtap the device plugin created for one device ID. */
export interface Allocation {
  deviceId: string;
  /** `mvt` + 12 hex of xxh64(deviceId): the name the CNI looks for. */
  tempName: string;
  /** Its ifindex, so also the N of /dev/tapN. */
  ifindex: number;
}

/** One (CNI_CONTAINERID, CNI_IFNAME) in a pod. */
export interface Attachment {
  containerId: string;
  ifname: string;
  pod: TestNetns;
}

/** How a single plugin exec differs from the defaults. */
export interface ExecOptions {
  /** CNI_ARGS; omitted = not set. */
  cniArgs?: string;
  /** CNI_NETNS; default the pod's path ("" = set but empty). */
  netns?: string;
  /** CNI_PATH; default {@link TestNode.cniPath}. */
  cniPath?: string;
  /** More variables of the runtime's environment (e.g. MACVTAP_IPAM_TIMEOUT_MS for the plugin). */
  env?: Record<string, string>;
}

/** A node, its wire, its pods and the processes a test started on it; `await using` it. */
export class TestNode implements AsyncDisposable {
  private readonly pods: TestNetns[] = [];
  private readonly children: Deno.ChildProcess[] = [];

  private constructor(
    /** The runtime's netns. */
    readonly node: TestNetns,
    /** The network behind the lower link. */
    readonly wire: TestNetns,
    /** Temp dir removed on dispose. */
    readonly workDir: string,
    /** In the netns names, so a leftover says which test made it. */
    private readonly purpose: string,
  ) {}

  /**
   * Creates node + wire with the veth lower link between them (both ends up, MTU 1500); with
   * `lowerLink: false` node and wire stay unconnected (a test that puts its own links between them).
   */
  static async create(purpose: string, { lowerLink = true } = {}): Promise<TestNode> {
    requirePrograms([CNI_PLUGIN, "/usr/bin/nsenter"]);
    const node = await TestNetns.create(`node-${purpose}`);
    const made: AsyncDisposable[] = [node];
    try {
      const wire = await TestNetns.create(`wire-${purpose}`);
      made.push(wire);
      if (lowerLink) await node.addVeth(LOWER_LINK, WIRE_LINK, wire);
      const workDir = await Deno.makeTempDir({ prefix: "mvtest-node-" });
      await Deno.mkdir(`${workDir}/bin`);
      return new TestNode(node, wire, workDir, purpose);
    } catch (error) {
      for (const ns of made) await ns[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** Folder for IPAM test doubles; first in the default CNI_PATH. */
  get binDir(): string {
    return `${this.workDir}/bin`;
  }

  /** host-local's dataDir for this node. */
  get ipamDataDir(): string {
    return `${this.workDir}/ipam`;
  }

  /** CNI_PATH a runtime would pass: the doubles, the plugin, Debian's plugins. */
  get cniPath(): string {
    return [this.binDir, CNI_DIST_DIR, DEBIAN_CNI_DIR].join(":");
  }

  /** A new pod sandbox netns, deleted with the node. */
  async newPod(): Promise<TestNetns> {
    const pod = await TestNetns.create(`pod-${this.purpose}`);
    this.pods.push(pod);
    return pod;
  }

  /** A new attachment in `pod` (default: a new pod), container ID random like a sandbox ID. */
  async attachment(ifname = "net1", pod?: TestNetns): Promise<Attachment> {
    const containerId = crypto.randomUUID().replaceAll("-", "");
    return { containerId, ifname, pod: pod ?? await this.newPod() };
  }

  /** Allocate(deviceId) as the device plugin does it: macvtap `mvt<hash>` on lower0, up, unique ifindex. */
  async allocate(deviceId: string, mode = "bridge"): Promise<Allocation> {
    const tempName = tempLinkName(deviceId);
    const ifindex = await this.node.addMacvtap(tempName, LOWER_LINK, mode);
    return { deviceId, tempName, ifindex };
  }

  /** The environment a runtime sets for `command` on `attachment`. */
  env(command: string, attachment: Attachment, options: ExecOptions = {}): Record<string, string> {
    const env: Record<string, string> = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: attachment.containerId,
      CNI_NETNS: options.netns ?? attachment.pod.path,
      CNI_IFNAME: attachment.ifname,
      CNI_PATH: options.cniPath ?? this.cniPath,
      ...options.env,
    };
    if (options.cniArgs !== undefined) env.CNI_ARGS = options.cniArgs;
    return env;
  }

  /** Execs the built macvtap plugin for `command` in the node netns with `config` on stdin. */
  run(
    command: string,
    attachment: Attachment,
    config: Record<string, unknown>,
    options: ExecOptions = {},
  ): Promise<PluginRun> {
    return this.exec(this.env(command, attachment, options), JSON.stringify(config));
  }

  /** Execs the built plugin with exactly this environment and stdin, in the node netns. */
  exec(env: Record<string, string>, stdin: string): Promise<PluginRun> {
    return execPlugin({ binary: CNI_PLUGIN, env, stdin, netnsPath: this.node.path });
  }

  /** Starts a long-running helper (DHCP server, daemon); it is killed on dispose. */
  spawn(command: string, args: string[], options: Omit<Deno.CommandOptions, "args"> = {}): Deno.ChildProcess {
    const child = new Deno.Command(command, { stdout: "null", stderr: "null", ...options, args }).spawn();
    this.children.push(child);
    return child;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const child of this.children.splice(0)) await stopChild(child).catch((e) => errors.push(e));
    for (const pod of this.pods.splice(0)) await pod[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await this.node[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await this.wire[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await Deno.remove(this.workDir, { recursive: true }).catch((e) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, "test node cleanup failed");
  }
}

/** The config keys every macvtap NAD in these tests shares. */
export function macvtapConfig(
  cniVersion: string,
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { cniVersion, name, type: "macvtap", ...extra };
}
