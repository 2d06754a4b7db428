/**
 * TEST HELPER: the whole daemon in-process, driven by the kubelet double and a pod-resources double,
 * with links from the in-memory fake (daemon_test.ts, daemon_kubelet_test.ts).
 *
 * @module
 */
import { type ConfigSource, fixedConfig } from "../config_source.ts";
import { Daemon, type DaemonOptions } from "../daemon.ts";
import { type FakeLinkSpec, FakeNodeLinks } from "./fake_node_links.ts";
import { type Logger, memoryLogger } from "../log.ts";
import { KubeletDouble } from "./kubelet_double.ts";
import { PodResourcesDouble } from "./pod_resources_double.ts";

/** What a test varies. */
export interface DaemonSetup {
  links?: FakeLinkSpec[];
  /** Links to use as they are (a "node" shared by two daemons in turn). */
  fake?: FakeNodeLinks;
  /** The plugin directory to use (kept at dispose when given). */
  dir?: string;
  config?: string | ((dir: string, log: Logger) => Promise<ConfigSource>);
  options?: Partial<DaemonOptions>;
}

/** Starts kubelet double, pod-resources double and daemon; dispose stops them and removes the directory. */
export async function startDaemon(setup: DaemonSetup = {}) {
  const dir = setup.dir ?? await Deno.makeTempDir({ prefix: "mvt-daemon-" });
  const fake = setup.fake ?? new FakeNodeLinks(setup.links ?? [{ name: "eth0", parentDevName: "virtio2" }]);
  const kubelet = await KubeletDouble.start(dir);
  await Deno.mkdir(`${dir}/pod-resources`, { recursive: true }); // a kubelet restart deletes sockets in the plugin dir
  const podResources = await PodResourcesDouble.start(`${dir}/pod-resources/kubelet.sock`);
  const log = memoryLogger();
  const config = typeof setup.config === "function"
    ? await setup.config(dir, log)
    : fixedConfig(setup.config ?? '[{"name":"eth0","capacity":4}]', "DP_MACVTAP_CONF");
  const daemon = await Daemon.start({
    pluginDir: dir,
    podResourcesSocket: podResources.socket,
    gcIntervalMs: 0,
    gcGraceMs: 0,
    pluginTuning: { minRestartIntervalMs: 10, socketCheckIntervalMs: 100 },
    ...setup.options,
  }, { nodeLinks: fake, config, log });
  return {
    dir,
    fake,
    kubelet,
    podResources,
    config,
    daemon,
    log,
    /** Stops the daemon and its doubles, keeping the directory (a daemon restart, a "reboot"). */
    async stop() {
      await daemon[Symbol.asyncDispose]();
      config[Symbol.dispose]();
      await podResources[Symbol.asyncDispose]();
      await kubelet[Symbol.asyncDispose]();
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
      if (!setup.dir) await Deno.remove(dir, { recursive: true });
    },
  };
}
