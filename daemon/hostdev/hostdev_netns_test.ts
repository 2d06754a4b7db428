/**
 * A hostdev resource end to end: the sandboxed daemon process with the real link broker in a throwaway
 * node netns, the kubelet double, and the real CNI (dist/cni/macvtap, deviceType "hostdev"). The kernel
 * here has no spare virtio NIC, so a veth selected by name stands in for one (device ID = its name).
 * Advertised → allocated (PCIDEVICE_… env, no /dev node) → attached by the CNI (the device stays listed
 * while the NIC is in the pod) → returned to the node on DEL; health from carrier; a default route moving
 * onto the NIC takes it off the list. The machine's eth0 is compared before and after. Needs root and
 * `deno task build`.
 */
import assert from "node:assert/strict";
import { DaemonProcess } from "../testing/daemon_process.ts";
import { KubeletDouble } from "../testing/kubelet_double.ts";
import { PodResourcesDouble } from "../testing/pod_resources_double.ts";
import { writeLinkBrokerScript } from "../testing/broker_scripts.ts";
import type { Device } from "../kubelet/api_types.ts";
import { HostdevNode, machineEth0 } from "../../testing/hostdev_node.ts";
import { expectOk } from "../../testing/expect.ts";
import { rootTest } from "../../testing/root_gate.ts";

const NICS = "macvtap.network.kubevirt.io/nics";
const VIRTIO = "macvtap.network.kubevirt.io/virtio";
const listed = (devices: Device[]) => devices.map((d) => `${d.ID} ${d.health}`).join();

const CNI_CONFIG = {
  cniVersion: "1.0.0",
  name: "nics",
  type: "macvtap",
  deviceType: "hostdev",
  ipam: { type: "static", addresses: [{ address: "10.40.0.5/24" }] },
};

rootTest(
  "hostdev resource: advertised, allocated (env), attached by the CNI, returned on DEL",
  async (t) => {
    const eth0Before = await machineEth0();
    await using node = await HostdevNode.create("dp");
    await node.addNic("nic0");
    await node.addNic("nic1");
    const dir = await Deno.makeTempDir({ prefix: "mvt-hostdev-dp-" });
    try {
      const configFile = `${dir}/config.json`;
      await Deno.writeTextFile(
        configFile,
        '[{"name":"nics","kind":"hostdev","interfaces":["nic0","nic1"]},{"name":"virtio","kind":"hostdev"}]',
      );
      await using kubelet = await KubeletDouble.start(dir);
      await Deno.mkdir(`${dir}/pod-resources`);
      await using podResources = await PodResourcesDouble.start(`${dir}/pod-resources/kubelet.sock`);
      const broker = await writeLinkBrokerScript(dir, node.node.name);
      await using _daemon = DaemonProcess.spawn(
        { pluginDir: dir, podResourcesSocket: podResources.socket, configFile, broker },
        ["--gc-interval", "0s", "--log-level", "debug"],
      );

      await t.step("advertises one device per selected NIC; by driver virtio_net nothing here", async () => {
        await kubelet.waitForRegistration(NICS);
        await kubelet.waitForDevices(NICS, "both healthy", (d) => listed(d) === "nic0 Healthy,nic1 Healthy");
        await kubelet.waitForRegistration(VIRTIO);
        await kubelet.waitForDevices(
          VIRTIO,
          "empty (no spare virtio NIC in the node netns)",
          (d) => d.length === 0,
        );
      });

      await t.step("health follows carrier: the wire end down → Unhealthy, up → Healthy", async () => {
        await node.wire.ip("link", "set", "nic0p", "down");
        await kubelet.waitForDevices(
          NICS,
          "nic0 unhealthy",
          (d) => listed(d) === "nic0 Unhealthy,nic1 Healthy",
        );
        await node.wire.ip("link", "set", "nic0p", "up");
        await kubelet.waitForDevices(NICS, "healthy again", (d) => listed(d) === "nic0 Healthy,nic1 Healthy");
      });

      await t.step("a default route onto the NIC takes it off the list; removed, it is back", async () => {
        await node.node.ip("addr", "add", "10.41.0.2/24", "dev", "nic0");
        await node.node.ip("route", "add", "default", "via", "10.41.0.1", "dev", "nic0");
        await kubelet.waitForDevices(NICS, "nic0 gone", (d) => listed(d) === "nic1 Healthy");
        await node.node.ip("route", "del", "default", "via", "10.41.0.1", "dev", "nic0");
        await node.node.ip("addr", "del", "10.41.0.2/24", "dev", "nic0");
        await kubelet.waitForDevices(NICS, "nic0 back", (d) => listed(d) === "nic0 Healthy,nic1 Healthy");
      });

      let result: Record<string, unknown> = {};
      await t.step("Allocate names the NIC in PCIDEVICE_<RESOURCE>, mounts no device node", async () => {
        const response = await kubelet.allocate(NICS, ["nic0"]);
        const container = response.container_responses[0]!;
        assert.deepEqual(container.envs, { PCIDEVICE_MACVTAP_NETWORK_KUBEVIRT_IO_NICS: "nic0" });
        assert.deepEqual(container.devices, []);
        assert.ok(await node.node.link("nic0"), "Allocate leaves the NIC where it is");
      });

      await t.step("the CNI attaches it to the pod; the device stays listed while it is there", async () => {
        const deviceID = "nic0"; // what Multus reads from pod-resources for this allocation
        result = expectOk(await node.cni("ADD", { ...CNI_CONFIG, deviceID }))!;
        assert.equal(await node.node.link("nic0"), null);
        assert.ok(await node.pod.link("net1"));
        // A later change on nic1 orders after nic0's departure: once it shows, nic0's has been handled.
        await node.wire.ip("link", "set", "nic1p", "down");
        const devices = await kubelet.waitForDevices(
          NICS,
          "nic1 unhealthy",
          (d) => /nic1 Unhealthy/.test(listed(d)),
        );
        assert.equal(listed(devices), "nic0 Healthy,nic1 Unhealthy");
        await node.wire.ip("link", "set", "nic1p", "up");
      });

      await t.step("DEL returns it to the node under its name; still listed, Healthy", async () => {
        expectOk(await node.cni("DEL", { ...CNI_CONFIG, deviceID: "nic0", prevResult: result }));
        assert.equal(await node.pod.link("net1"), null);
        const back = await node.node.link("nic0");
        assert.ok(back?.flags.includes("UP"));
        await kubelet.waitForDevices(NICS, "both healthy", (d) => listed(d) === "nic0 Healthy,nic1 Healthy");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await machineEth0(), eth0Before, "the machine's eth0 is untouched");
  },
  { sanitizers: false }, // child process pipes and grpc sockets close asynchronously after the steps
);
