/**
 * The daemon as it runs in production — a separate, sandboxed process (the permissions daemon/launch.ts
 * derives, cut to temp paths) — with the real link broker (dist/link-broker: the codec wasm over netlink)
 * inside a throwaway "node" netns whose lower links are veths, driven by the kubelet and pod-resources
 * doubles. Needs root and `deno task build`. Run serially: the macvtaps made here get the node netns' own
 * low ifindexes, so their /dev/tapN names are only unique while no other test holds macvtaps; the
 * namespaces (with their links) are deleted at the end.
 */
import assert from "node:assert/strict";
import { tempLinkName } from "./macvtap/temp_link_name.ts";
import { KubeletDouble } from "./testing/kubelet_double.ts";
import { PodResourcesDouble } from "./testing/pod_resources_double.ts";
import { DaemonProcess } from "./testing/daemon_process.ts";
import { writeLinkBrokerScript } from "./testing/broker_scripts.ts";
import type { Device } from "./kubelet/api_types.ts";
import { ip, TestNetns } from "../testing/netns.ts";
import { rootTest } from "../testing/root_gate.ts";

const LOWER0 = "macvtap.network.kubevirt.io/lower0";
const LOWER1 = "macvtap.network.kubevirt.io/lower1";
const healthOf = (devices: Device[]) => [...new Set(devices.map((d) => d.health))].join();

/**
 * Replaces `path` whole, as the kubelet swaps a ConfigMap volume: the daemon's watcher never reads a
 * half-written file (which it would log as one more "invalid config file", before the one a step waits for).
 */
async function replaceFile(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.new`, text);
  await Deno.rename(`${path}.new`, path);
}

rootTest(
  "sandboxed daemon + link broker in a netns: register, health, Allocate, restarts, reloads, GC",
  async (t) => {
    await using node = await TestNetns.create("node");
    await using peer = await TestNetns.create("peer");
    await node.addVeth("lower0", "peer0", peer);
    await node.addVeth("lower1", "peer1", peer);
    const dir = await Deno.makeTempDir({ prefix: "mvt-dp-netns-" });
    try {
      const configFile = `${dir}/config/DP_MACVTAP_CONF`;
      await Deno.mkdir(`${dir}/config`);
      await Deno.writeTextFile(configFile, '[{"name":"lower0","mode":"vepa","capacity":8}]');
      await using kubelet = await KubeletDouble.start(dir);
      // Its own directory, as on a node: a kubelet restart deletes every socket in the plugin directory.
      await Deno.mkdir(`${dir}/pod-resources`);
      await using podResources = await PodResourcesDouble.start(`${dir}/pod-resources/kubelet.sock`);
      podResources.pods = [PodResourcesDouble.pod("vm-a", LOWER0, ["lower0Mvp1", "lower0Mvp6"])];
      const broker = await writeLinkBrokerScript(dir, node.name);
      await using daemon = DaemonProcess.spawn(
        { pluginDir: dir, podResourcesSocket: podResources.socket, configFile, broker },
        ["--gc-interval", "200ms", "--gc-grace", "0s", "--log-level", "debug"],
      );

      await t.step("registers the configured resource with capacity Healthy devices", async () => {
        await kubelet.waitForRegistration(LOWER0);
        assert.equal(kubelet.plugin(LOWER0)?.request.endpoint, "macvtap.network.kubevirt.io_lower0");
        const devices = await kubelet.waitForDevices(
          LOWER0,
          "8 healthy",
          (d) => d.length === 8 && healthOf(d) === "Healthy",
        );
        assert.equal(devices[7]!.ID, "lower0Mvp7");
      });

      await t.step(
        "Allocate creates the macvtap in the node netns with the mode, and /dev/tapN exists",
        async () => {
          const response = await kubelet.allocate(LOWER0, ["lower0Mvp1"]);
          const spec = response.container_responses[0]!.devices[0];
          const link = await node.link(tempLinkName("lower0Mvp1"));
          assert.ok(link, "temp link created");
          assert.equal(link.linkinfo?.info_kind, "macvtap");
          assert.equal(link.linkinfo?.info_data?.mode, "vepa");
          assert.ok(link.flags.includes("UP"));
          assert.deepEqual(spec, {
            container_path: `/dev/tap${link.ifindex}`,
            host_path: `/dev/tap${link.ifindex}`,
            permissions: "rw",
          });
          assert.ok(
            (await Deno.stat(spec.host_path)).isCharDevice,
            `${spec.host_path} is a character device`,
          );
          await daemon.waitForLog(
            "Allocate log line",
            (r) => r.msg === "Allocate" && JSON.stringify(r.devices) === '[["lower0Mvp1"]]',
          );
        },
      );

      await t.step("peer down → Unhealthy, up → Healthy", async () => {
        await peer.ip("link", "set", "peer0", "down");
        await kubelet.waitForDevices(
          LOWER0,
          "unhealthy",
          (d) => d.length === 8 && healthOf(d) === "Unhealthy",
        );
        await peer.ip("link", "set", "peer0", "up");
        await kubelet.waitForDevices(LOWER0, "healthy", (d) => healthOf(d) === "Healthy");
      });

      await t.step("stale temp links are collected; links held by pods and other links are not", async () => {
        // GC runs every 200 ms with no grace: lower0Mvp5 is held by a pod while it is made (else GC could
        // delete it before addMacvtap reads it back), and becomes stale when that pod goes.
        const vmA = PodResourcesDouble.pod("vm-a", LOWER0, ["lower0Mvp1", "lower0Mvp6"]);
        podResources.pods = [vmA, PodResourcesDouble.pod("vm-gone", LOWER0, ["lower0Mvp5"])];
        await node.addMacvtap(tempLinkName("lower0Mvp5"), "lower0");
        await node.addMacvtap(tempLinkName("lower0Mvp6"), "lower0"); // vm-a holds lower0Mvp6
        await node.addMacvtap("keep0", "lower0"); // not ours at all
        podResources.pods = [vmA];
        await daemon.waitForLog(
          "GC of lower0Mvp5",
          (r) => r.msg === "deleted stale temp link" && r.link === tempLinkName("lower0Mvp5"),
        );
        assert.equal(await node.link(tempLinkName("lower0Mvp5")), null);
        assert.ok(await node.link(tempLinkName("lower0Mvp6")));
        assert.ok(await node.link(tempLinkName("lower0Mvp1")));
        assert.ok(await node.link("keep0"));
      });

      await t.step("kubelet.sock re-created → registered again", async () => {
        await kubelet.restart();
        await kubelet.waitForRegistration(LOWER0, 2);
        await kubelet.waitForDevices(LOWER0, "list after restart", (d) => d.length === 8);
        // Stream drop + kubelet.sock event are one restart: no second registration past the 1 s spacing.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(kubelet.registrations.filter((r) => r.resource_name === LOWER0).length, 2);
      });

      await t.step(
        "config file rewritten → new resource; bad config → clear error, old config kept",
        async () => {
          await replaceFile(
            configFile,
            '[{"name":"lower0","mode":"vepa","capacity":8},{"name":"lower1","mode":"private"}]',
          );
          await kubelet.waitForRegistration(LOWER1);
          await kubelet.waitForDevices(LOWER1, "100 devices", (d) => d.length === 100);
          await replaceFile(configFile, '[{"name":"lower0","mode":"bridged"}]');
          const error = await daemon.waitForLog(
            "config error",
            (r) => r.msg.startsWith("invalid config file"),
          );
          assert.match(
            JSON.stringify(error.error),
            /mode \\"bridged\\" is not one of bridge, vepa, private, passthru, source/,
          );
          // Held by a pod, so the 200 ms GC leaves it for the mode check below.
          podResources.pods = [...podResources.pods, PodResourcesDouble.pod("vm-b", LOWER1, ["lower1Mvp0"])];
          const response = await kubelet.allocate(LOWER1, ["lower1Mvp0"]);
          assert.ok(
            response.container_responses[0]!.devices[0]!.host_path.startsWith("/dev/tap"),
            "lower1 still served",
          );
          assert.equal((await node.link(tempLinkName("lower1Mvp0")))?.linkinfo?.info_data?.mode, "private");
        },
      );

      await t.step("lower link deleted → devices stay listed Unhealthy; re-created → Healthy", async () => {
        await node.ip("link", "del", "lower1");
        await kubelet.waitForDevices(
          LOWER1,
          "100 Unhealthy",
          (d) => d.length === 100 && healthOf(d) === "Unhealthy",
        );
        await node.addVeth("lower1", "peer1", peer);
        await kubelet.waitForDevices(
          LOWER1,
          "Healthy again",
          (d) => d.length === 100 && healthOf(d) === "Healthy",
        );
      });

      await t.step("Allocate of the same device again keeps its macvtap and /dev/tapN", async () => {
        podResources.pods = [...podResources.pods, PodResourcesDouble.pod("vm-c", LOWER0, ["lower0Mvp2"])];
        const first = await kubelet.allocate(LOWER0, ["lower0Mvp2"]);
        const link = await node.link(tempLinkName("lower0Mvp2"));
        const second = await kubelet.allocate(LOWER0, ["lower0Mvp2"]);
        assert.deepEqual(second, first);
        assert.equal((await node.link(tempLinkName("lower0Mvp2")))?.ifindex, link?.ifindex);
        const path = first.container_responses[0]!.devices[0]!.host_path;
        assert.equal(path, `/dev/tap${link?.ifindex}`);
        assert.ok((await Deno.stat(path)).isCharDevice, `${path} still exists`);
      });

      await t.step("lower renamed → Unhealthy and FAILED_PRECONDITION; renamed back → Healthy", async () => {
        await node.ip("link", "set", "lower0", "down");
        await node.ip("link", "set", "lower0", "name", "up9");
        await kubelet.waitForDevices(
          LOWER0,
          "unhealthy",
          (d) => d.length === 8 && healthOf(d) === "Unhealthy",
        );
        await assert.rejects(kubelet.allocate(LOWER0, ["lower0Mvp3"]), /lower link "lower0" does not exist/);
        await node.ip("link", "set", "up9", "name", "lower0");
        await node.ip("link", "set", "lower0", "up");
        await kubelet.waitForDevices(LOWER0, "healthy", (d) => healthOf(d) === "Healthy");
        podResources.pods = [...podResources.pods, PodResourcesDouble.pod("vm-d", LOWER0, ["lower0Mvp3"])];
        const response = await kubelet.allocate(LOWER0, ["lower0Mvp3"]);
        assert.ok(response.container_responses[0]!.devices[0]!.host_path.startsWith("/dev/tap"));
      });

      await t.step("SIGTERM: exits 0, removes its sockets, leaves no process in the node netns", async () => {
        const status = await daemon.stop();
        assert.equal(status.code, 0, daemon.transcript());
        for (const name of ["macvtap.network.kubevirt.io_lower0", "macvtap.network.kubevirt.io_lower1"]) {
          await assert.rejects(Deno.lstat(`${dir}/${name}`), Deno.errors.NotFound);
        }
        // The broker exits when the daemon closes its stdin; give it a moment to go.
        let pids = "";
        for (let tries = 0; tries < 50; tries++) {
          pids = (await ip("netns", "pids", node.name)).trim();
          if (pids === "") break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(pids, "", "the link broker is gone");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { sanitizers: false }, // child process pipes and grpc sockets close asynchronously after the steps
);
