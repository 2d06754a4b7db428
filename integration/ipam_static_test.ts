// IPAM delegation with Debian's real static plugin: fixed dual-stack addresses, routes with and without a
// gateway (a route without gw goes via the ips[] gateway of its family, as ipam.ConfigureIface does) and
// DNS from the IPAM config, on the pod macvtap and in the Result; CHECK is forwarded to static.
import { deepEqual } from "node:assert/strict";
import { expectResult, expectSuccess } from "../testing/expect.ts";
import { versionHasIpVersion } from "../conformance/harness/profile.ts";
import { configuredRoutes, expectEmptyPod, globalAddresses } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { macvtapConfig, TestNode } from "../testing/test_node.ts";

const DNS = { nameservers: ["192.0.2.53"], domain: "example.test", search: ["example.test"] };

const STATIC_IPAM = {
  type: "static",
  addresses: [
    { address: "192.0.2.20/24", gateway: "192.0.2.1" },
    { address: "2001:db8:20::20/64", gateway: "2001:db8:20::1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }, { dst: "2001:db8:99::/48", gw: "2001:db8:20::fe" }],
  dns: DNS,
};

for (const version of ["0.4.0", "1.0.0"]) {
  rootTest(
    `static [${version}]: fixed addresses, routes and DNS on the pod macvtap and in the Result`,
    async () => {
      await using node = await TestNode.create("static");
      const allocation = await node.allocate("staticMvp0");
      const pod = await node.attachment();
      const config = macvtapConfig(version, "static-net", {
        deviceID: allocation.deviceId,
        ipam: STATIC_IPAM,
      });
      const result = expectResult(await node.run("ADD", pod, config), version);

      deepEqual((await globalAddresses(pod.pod, "net1")).sort(), ["192.0.2.20/24", "2001:db8:20::20/64"]);
      deepEqual((await configuredRoutes(pod.pod, "-4")).map((r) => [r.dst, r.gateway, r.dev]), [
        ["default", "192.0.2.1", "net1"],
      ]);
      deepEqual((await configuredRoutes(pod.pod, "-6")).map((r) => [r.dst, r.gateway, r.dev]).sort(), [
        ["2001:db8:99::/48", "2001:db8:20::fe", "net1"],
        ["default", "2001:db8:20::1", "net1"],
      ]);
      const v = versionHasIpVersion(version);
      deepEqual(result.ips, [
        { ...(v ? { version: "4" } : {}), address: "192.0.2.20/24", gateway: "192.0.2.1", interface: 0 },
        {
          ...(v ? { version: "6" } : {}),
          address: "2001:db8:20::20/64",
          gateway: "2001:db8:20::1",
          interface: 0,
        },
      ]);
      deepEqual(result.routes, STATIC_IPAM.routes);
      deepEqual(result.dns, DNS);

      const cached = { ...config, prevResult: result };
      expectSuccess(await node.run("CHECK", pod, cached), "CHECK (ours, then static's)");
      expectSuccess(await node.run("DEL", pod, cached), "DEL");
      await expectEmptyPod(pod.pod);
    },
    { programs: ["/usr/lib/cni/static"] },
  );
}
