/**
 * A throwaway node with the real device plugin on it: the integration {@link TestNode} (node + wire netns,
 * lower link `lower0`, work dir, plugin exec) plus the sandboxed daemon as a real process, its real link
 * broker entered into the node netns, a kubelet stand-in (registration, ListAndWatch, Allocate) and a
 * pod-resources stand-in. Allocate here is the production path: kubelet double → daemon → broker →
 * netlink, so the macvtap gets a kernel-chosen ifindex in the node netns, exactly as on a real node.
 *
 * Disposing stops the daemon, waits for every broker it ever saw to exit (and kills one that does not, by
 * pid), stops the stand-ins and then disposes the test node (netns, links, work dir).
 *
 * Requires root, `deno task build`, `--allow-run`, `--allow-read`, `--allow-write`.
 *
 * @module
 */
import { tempLinkName } from "../macvtap/temp_link_name.ts";
import { writeLinkBrokerScript } from "./broker_scripts.ts";
import { BROKER_EXECUTABLE } from "../../tools/build.ts";
import { DaemonProcess } from "./daemon_process.ts";
import { KubeletDouble } from "./kubelet_double.ts";
import { PodResourcesDouble } from "./pod_resources_double.ts";
import { type Allocation, LOWER_LINK, TestNode } from "../../testing/test_node.ts";
import { waitFor } from "../../testing/wait.ts";
import { childPids, isRunning } from "../../testing/processes.ts";
import { requirePrograms } from "../../testing/root_gate.ts";

/** The resource the node's daemon serves. */
export const RESOURCE = `macvtap.network.kubevirt.io/${LOWER_LINK}`;

/** How a {@link DaemonNode} is set up. */
export interface DaemonNodeOptions {
  /** Devices of the resource (default 100). */
  capacity?: number;
  /** Daemon flags besides the paths (default: GC off, `--gc-interval 0`). */
  daemonArgs?: string[];
}

/** A node running the real daemon and link broker; `await using` it. */
export class DaemonNode implements AsyncDisposable {
  /** The running daemon (replaced by {@link spawnDaemon}). */
  daemon: DaemonProcess;
  /** Every broker pid seen, so none can outlive the test. */
  readonly #brokers = new Set<number>();

  private constructor(
    /** Netns, work dir and plugin exec. */
    readonly test: TestNode,
    /** The kubelet stand-in (replaced by {@link restartKubelet}). */
    public kubelet: KubeletDouble | null,
    /** What pod-resources List answers: no pods until a test says otherwise. */
    readonly podResources: PodResourcesDouble,
    readonly configFile: string,
    private readonly broker: string,
    private readonly daemonArgs: string[],
  ) {
    this.daemon = this.spawnDaemon();
  }

  /** Creates the node and starts everything; resolves once the kubelet double has all devices Healthy. */
  static async start(purpose: string, options: DaemonNodeOptions = {}): Promise<DaemonNode> {
    const capacity = options.capacity ?? 100;
    requirePrograms([BROKER_EXECUTABLE]);
    const test = await TestNode.create(purpose);
    await using cleanup = new AsyncDisposableStack();
    cleanup.use(test);
    for (const dir of ["plugins", "pod-resources", "config"]) await Deno.mkdir(`${test.workDir}/${dir}`);
    const configFile = `${test.workDir}/config/DP_MACVTAP_CONF`;
    await Deno.writeTextFile(
      configFile,
      JSON.stringify([{ name: LOWER_LINK, lowerDevice: LOWER_LINK, capacity }]),
    );
    const kubelet = cleanup.use(await KubeletDouble.start(`${test.workDir}/plugins`));
    const podResources = cleanup.use(
      await PodResourcesDouble.start(`${test.workDir}/pod-resources/kubelet.sock`),
    );
    const broker = await writeLinkBrokerScript(test.workDir, test.node.name);
    const node = new DaemonNode(test, kubelet, podResources, configFile, broker, [
      ...(options.daemonArgs ?? ["--gc-interval", "0"]),
    ]);
    cleanup.move();
    try {
      await node.waitForDevices(capacity);
    } catch (error) {
      await node[Symbol.asyncDispose]();
      throw error;
    }
    return node;
  }

  /** The device plugins directory (where kubelet.sock lives). */
  get pluginDir(): string {
    return `${this.test.workDir}/plugins`;
  }

  /** Starts a daemon process (the constructor's, or a new one after {@link killDaemon}). */
  spawnDaemon(extraArgs: string[] = this.daemonArgs): DaemonProcess {
    this.daemon = DaemonProcess.spawn({
      pluginDir: this.pluginDir,
      podResourcesSocket: this.podResources.socket,
      configFile: this.configFile,
      broker: this.broker,
    }, extraArgs);
    return this.daemon;
  }

  /** Waits until the kubelet double holds `count` Healthy devices of {@link RESOURCE}. */
  async waitForDevices(count: number): Promise<void> {
    const kubelet = this.#kubelet();
    await kubelet.waitForRegistration(RESOURCE);
    await kubelet.waitForDevices(
      RESOURCE,
      `${count} healthy devices`,
      (d) => d.length === count && d.every((device) => device.health === "Healthy"),
    );
  }

  /** Allocate(deviceId) through the kubelet double; the answer's /dev/tapN gives the ifindex. */
  async allocate(deviceId: string): Promise<Allocation> {
    const response = await this.#kubelet().allocate(RESOURCE, [deviceId]);
    const hostPath = response.container_responses[0]?.devices[0]?.host_path ?? "";
    const tap = /^\/dev\/tap(\d+)$/.exec(hostPath);
    if (!tap) throw new Error(`Allocate(${deviceId}) answered no /dev/tapN: ${JSON.stringify(response)}`);
    return { deviceId, tempName: tempLinkName(deviceId), ifindex: Number(tap[1]) };
  }

  /** The daemon's link broker (its one child process), or null when it has none right now. */
  brokerPid(): number | null {
    const children = childPids(this.daemon.pid).filter(isRunning);
    for (const pid of children) this.#brokers.add(pid);
    return children[0] ?? null;
  }

  /** SIGKILL to the daemon (by pid): no shutdown code runs, as when the OOM killer strikes. */
  async killDaemon(): Promise<void> {
    this.brokerPid(); // remember the broker before its parent is gone
    Deno.kill(this.daemon.pid, "SIGKILL");
    await this.daemon.exited;
  }

  /** Stops the kubelet double (its streams end, kubelet.sock goes); {@link startKubelet} brings one back. */
  async stopKubelet(): Promise<void> {
    const kubelet = this.kubelet;
    this.kubelet = null;
    await kubelet?.[Symbol.asyncDispose]();
  }

  /** Starts a new kubelet double on the plugin directory (a new kubelet.sock). */
  async startKubelet(): Promise<KubeletDouble> {
    if (this.kubelet) throw new Error("a kubelet double is already running");
    this.kubelet = await KubeletDouble.start(this.pluginDir);
    return this.kubelet;
  }

  #kubelet(): KubeletDouble {
    if (!this.kubelet) throw new Error("the kubelet double is stopped");
    return this.kubelet;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    this.brokerPid();
    await this.daemon.stop().catch((e) => errors.push(e));
    await this.#reapBrokers().catch((e) => errors.push(e));
    await this.stopKubelet().catch((e) => errors.push(e));
    await this.podResources[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await this.test[Symbol.asyncDispose]().catch((e) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, "daemon node cleanup failed");
  }

  /** A broker exits when its stdin closes; one that has not after 10 s is killed, so nothing is left. */
  async #reapBrokers(): Promise<void> {
    const alive = () => [...this.#brokers].filter(isRunning);
    await waitFor("the link brokers to exit", () => alive().length === 0, { timeoutMs: 10_000 })
      .catch(() => {
        for (const pid of alive()) Deno.kill(pid, "SIGKILL");
      });
  }
}
