/**
 * Connection churn against the real daemon process: Deno 2.9.4–2.9.6 abort a grpc-js server when clients
 * close connections right after concurrent calls (nghttp2 `closed_next == NULL`); 2.9.3 survives. This
 * keeps a future Deno upgrade honest. The links are in-memory (fake broker), so no root is needed.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { kubeletApi, unixTarget } from "./kubelet/api.ts";
import { callUnary, KubeletDouble, type PluginConnection } from "./testing/kubelet_double.ts";
import { DaemonProcess } from "./testing/daemon_process.ts";
import { writeFakeBrokerScript } from "./testing/broker_scripts.ts";

const CONNECTIONS = 300;
const CALLS_PER_CONNECTION = 50;
const RESOURCE = "macvtap.network.kubevirt.io/eth0";

async function churnOnce(socket: string): Promise<void> {
  const { DevicePluginClient } = kubeletApi();
  // A connection of its own (no shared subchannel), closed right after its concurrent calls.
  const client = new DevicePluginClient(unixTarget(socket), grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  }) as PluginConnection["client"];
  const calls = Array.from(
    { length: CALLS_PER_CONNECTION },
    (_, i) =>
      i % 2 === 0
        ? callUnary(client, "GetDevicePluginOptions", {})
        : callUnary(client, "GetPreferredAllocation", {
          container_requests: [{
            available_deviceIDs: ["eth0Mvp3", "eth0Mvp1"],
            must_include_deviceIDs: [],
            allocation_size: 1,
          }],
        }),
  );
  await Promise.all(calls);
  client.close();
}

Deno.test({
  name:
    `daemon survives ${CONNECTIONS} connections × ${CALLS_PER_CONNECTION} concurrent calls, closed at once`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mvt-churn-" });
    try {
      const configFile = `${dir}/config.json`;
      await Deno.writeTextFile(configFile, '[{"name":"eth0","capacity":10}]');
      await using kubelet = await KubeletDouble.start(dir);
      const broker = await writeFakeBrokerScript(dir);
      await using daemon = DaemonProcess.spawn(
        { pluginDir: dir, podResourcesSocket: `${dir}/none.sock`, configFile, broker },
        ["--gc-interval", "0"],
      );
      await kubelet.waitForRegistration(RESOURCE);
      let exited = false;
      daemon.exited.then(() => exited = true);
      const socket = `${dir}/macvtap.network.kubevirt.io_eth0`;
      for (let i = 0; i < CONNECTIONS; i += 5) {
        await Promise.all([0, 1, 2, 3, 4].map(() => churnOnce(socket)));
        assert.equal(exited, false, `daemon died after ${i} connections:\n${daemon.transcript()}`);
      }
      // Still whole: the kubelet's own connection and stream work.
      const response = await kubelet.allocate(RESOURCE, ["eth0Mvp0"]);
      assert.match(response.container_responses[0]!.devices[0]!.host_path, /^\/dev\/tap\d+$/);
      assert.equal(kubelet.plugin(RESOURCE)?.streamEnded, null);
      assert.equal((await daemon.stop()).code, 0, daemon.transcript());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
