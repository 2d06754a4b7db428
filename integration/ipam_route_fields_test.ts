// IPAM routes as spec 1.1.0 writes them: "priority" (the metric), "mtu" and "advmss" (route metrics), "table"
// and "scope" reach the kernel, not only the Result; a dst with host bits ("192.168.10.7/24") means its
// network, as Go's net.ParseCIDR reads it, instead of failing with the kernel's EINVAL. Debian's IPAM plugins
// (1.1.1) predate the 1.1.0 route fields, so a printing IPAM double answers with them; the host-bits case
// also runs through Debian's real static plugin.
import { deepEqual, equal } from "node:assert/strict";
import { expectResult, expectSuccess } from "../testing/expect.ts";
import type { TestNetns } from "../testing/netns.ts";
import { installPrintingIpam } from "./doubles/install.ts";
import { expectEmptyPod } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { macvtapConfig, TestNode } from "../testing/test_node.ts";

/** A route of any table as `ip -j -d route show table all` reports it. */
interface DetailedRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table: string;
  scope: string;
  protocol: string;
  metric?: number;
  metrics?: { mtu?: number; advmss?: number }[];
}

/** The routes ADD put on `ifname` (protocol boot), every table, both families, in a comparable form. */
async function podRoutes(pod: TestNetns, ifname: string): Promise<string[]> {
  const all: DetailedRoute[] = [];
  for (const family of ["-4", "-6"]) {
    all.push(
      ...JSON.parse(await pod.ip("-j", "-d", family, "route", "show", "table", "all")) as DetailedRoute[],
    );
  }
  return all.filter((r) => r.dev === ifname && r.protocol === "boot").map((r) => {
    const metrics = Object.entries(r.metrics?.[0] ?? {}).map(([k, v]) => `${k} ${v}`);
    const via = r.gateway ? ` via ${r.gateway}` : "";
    const metric = r.metric !== undefined ? ` metric ${r.metric}` : "";
    return `${r.dst}${via} table ${r.table} scope ${r.scope}${metric}${metrics.map((m) => ` ${m}`).join("")}`;
  }).sort();
}

const ROUTES = [
  { dst: "10.71.0.0/16", priority: 300, mtu: 1400, advmss: 1360 },
  { dst: "10.72.0.0/16", gw: "10.70.0.254", table: 100 },
  { dst: "10.73.0.0/24", scope: 253, table: 1000 },
  { dst: "192.168.10.7/24" },
  { dst: "fd00:71::/48", mtu: 1280, priority: 50 },
  { dst: "fd00:72::9/48", gw: "fd00:70::fe", table: 200 },
];

const IPAM_ANSWER = {
  cniVersion: "1.1.0",
  ips: [
    { address: "10.70.0.5/24", gateway: "10.70.0.1" },
    { address: "fd00:70::5/64", gateway: "fd00:70::1" },
  ],
  routes: ROUTES,
};

rootTest(
  "IPAM routes: priority, mtu, advmss, table and scope reach the kernel; host bits in dst name the network",
  async () => {
    await using node = await TestNode.create("rtfields");
    await installPrintingIpam(node.binDir, "routes-ipam", JSON.stringify(IPAM_ANSWER));
    const allocation = await node.allocate("rtMvp0");
    const pod = await node.attachment();
    const config = macvtapConfig("1.1.0", "rt-net", {
      deviceID: allocation.deviceId,
      ipam: { type: "routes-ipam" },
    });
    const result = expectResult(await node.run("ADD", pod, config), "1.1.0");

    deepEqual(
      await podRoutes(pod.pod, "net1"),
      [
        "10.71.0.0/16 via 10.70.0.1 table main scope global metric 300 mtu 1400 advmss 1360",
        "10.72.0.0/16 via 10.70.0.254 table 100 scope global",
        // scope link: on-link, so no implicit gateway; table 1000 travels in RTA_TABLE.
        "10.73.0.0/24 table 1000 scope link",
        "192.168.10.0/24 via 10.70.0.1 table main scope global",
        "fd00:71::/48 via fd00:70::1 table main scope global metric 50 mtu 1280",
        "fd00:72::/48 via fd00:70::fe table 200 scope global metric 1024",
      ].sort(),
    );
    // The Result keeps the IPAM plugin's routes as it wrote them (Go plugins echo dst with its host bits).
    deepEqual(result.routes, ROUTES);

    const cached = { ...config, prevResult: result };
    expectSuccess(await node.run("CHECK", pod, cached), "CHECK finds every route ADD made");
    expectSuccess(await node.run("DEL", pod, cached), "DEL");
    await expectEmptyPod(pod.pod);
  },
);

rootTest(
  "IPAM routes: out-of-range route fields are the IPAM result's error (106), and nothing stays in the pod",
  async () => {
    await using node = await TestNode.create("rtbad");
    const bad = { ...IPAM_ANSWER, routes: [{ dst: "10.71.0.0/16", scope: 256 }] };
    await installPrintingIpam(node.binDir, "bad-ipam", JSON.stringify(bad));
    const allocation = await node.allocate("rtMvp1");
    const pod = await node.attachment();
    const config = macvtapConfig("1.1.0", "rt-net", {
      deviceID: allocation.deviceId,
      ipam: { type: "bad-ipam" },
    });
    const run = await node.run("ADD", pod, config);
    equal(run.code, 1, run.stdout);
    const error = run.json as { code: number; msg: string };
    equal(error.code, 106);
    equal(error.msg, "IPAM result: routes[0].scope must be an integer from 0 to 255");
    await expectEmptyPod(pod.pod, run);
  },
);

rootTest(
  "Debian static: a route dst with host bits (192.168.10.7/24) is installed as 192.168.10.0/24",
  async () => {
    await using node = await TestNode.create("rthost");
    const allocation = await node.allocate("rtMvp2");
    const pod = await node.attachment();
    const ipam = {
      type: "static",
      addresses: [{ address: "10.74.0.5/24", gateway: "10.74.0.1" }],
      routes: [{ dst: "192.168.10.7/24" }],
    };
    const config = macvtapConfig("1.0.0", "rt-net", { deviceID: allocation.deviceId, ipam });
    const result = expectResult(await node.run("ADD", pod, config), "1.0.0");
    deepEqual(await podRoutes(pod.pod, "net1"), ["192.168.10.0/24 via 10.74.0.1 table main scope global"]);
    deepEqual(result.routes, [{ dst: "192.168.10.7/24" }]);
    expectSuccess(await node.run("CHECK", pod, { ...config, prevResult: result }), "CHECK");
  },
  { programs: ["/usr/lib/cni/static"] },
);
