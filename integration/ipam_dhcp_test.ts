// IPAM delegation with Debian's real dhcp plugin (host-local and static have their own tests). The DHCP
// server is dnsmasq (Debian dnsmasq-base) on the wire side of the lower link; the dhcp plugin's daemon runs
// in the node netns with its socket in the test's work dir (ipam.daemonSocketPath). The daemon does DHCP from
// inside the pod netns on CNI_IFNAME, so the interface must be there when IPAM ADD runs. Control: Debian's
// macvlan + dhcp on the same node get a lease (so the setup itself works).
import { ok } from "node:assert/strict";
import { ensure, expectResult, expectSuccess } from "../testing/expect.ts";
import { configuredRoutes, expectEmptyPod, globalAddresses } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { execPlugin } from "../testing/plugin_exec.ts";
import { DEBIAN_CNI_DIR, LOWER_LINK, macvtapConfig, TestNode, WIRE_LINK } from "../testing/test_node.ts";
import { waitFor } from "../testing/wait.ts";

const NEEDS = { programs: ["/usr/lib/cni/dhcp", "/usr/sbin/dnsmasq"] };
const SERVER = "10.88.0.1";
const POOL = /^10\.88\.0\.(5\d|60)\/24$/;

/** dnsmasq serving 10.88.0.50-60 on the wire, and the CNI dhcp daemon in the node; both die with the node. */
async function startDhcp(node: TestNode): Promise<{ socket: string; leaseFile: string }> {
  await node.wire.ip("addr", "add", `${SERVER}/24`, "dev", WIRE_LINK);
  const leaseFile = `${node.workDir}/dnsmasq.leases`;
  node.spawn("nsenter", [
    `--net=${node.wire.path}`,
    "/usr/sbin/dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--port=0",
    `--interface=${WIRE_LINK}`,
    "--bind-interfaces",
    "--dhcp-range=10.88.0.50,10.88.0.60,255.255.255.0,1h",
    `--dhcp-leasefile=${leaseFile}`,
    "--pid-file=",
  ]);
  const socket = `${node.workDir}/dhcp.sock`;
  node.spawn("nsenter", [
    `--net=${node.node.path}`,
    `${DEBIAN_CNI_DIR}/dhcp`,
    "daemon",
    "-socketpath",
    socket,
  ]);
  await waitFor(`${socket} to appear`, () => Deno.stat(socket).then(() => true, () => false), {
    timeoutMs: 10_000,
  });
  return { socket, leaseFile };
}

/** dnsmasq rewrites its lease file when a lease is released; waits (10 s at most) for `ip` to leave it. */
function expectReleased(leaseFile: string, ip: string): Promise<true> {
  const held = async () => (await Deno.readTextFile(leaseFile).catch(() => "")).includes(` ${ip} `);
  return waitFor(`dnsmasq to release ${ip} after DEL`, async () => !(await held()), { timeoutMs: 10_000 });
}

rootTest(
  "dhcp: ADD gets a lease from the DHCP server behind the lower link; DEL releases it",
  async () => {
    await using node = await TestNode.create("dhcp");
    const { socket, leaseFile } = await startDhcp(node);
    const allocation = await node.allocate("dhcpMvp0");
    const pod = await node.attachment();
    const config = macvtapConfig("1.0.0", "dhcp-net", {
      deviceID: allocation.deviceId,
      ipam: { type: "dhcp", daemonSocketPath: socket },
    });
    const run = await node.run("ADD", pod, config);
    const result = expectResult(run, "1.0.0");
    const [address] = await globalAddresses(pod.pod, "net1");
    ensure(POOL.test(address ?? ""), `pod address ${address} is not from dnsmasq's pool`, run);
    ok((await configuredRoutes(pod.pod, "-4")).some((r) => r.dst === "default" && r.gateway === SERVER));

    expectSuccess(await node.run("DEL", pod, { ...config, prevResult: result }), "DEL");
    await expectEmptyPod(pod.pod);
    await expectReleased(leaseFile, address!.split("/")[0]!);
  },
  NEEDS,
);

rootTest("dhcp (control): Debian's macvlan + dhcp get a lease on the same test node", async () => {
  await using node = await TestNode.create("dhcpref");
  const { socket, leaseFile } = await startDhcp(node);
  const pod = await node.attachment();
  const config = {
    cniVersion: "1.0.0",
    name: "dhcp-ref",
    type: "macvlan",
    master: LOWER_LINK,
    mode: "bridge",
    ipam: { type: "dhcp", daemonSocketPath: socket },
  };
  const env = node.env("ADD", pod, { cniPath: DEBIAN_CNI_DIR });
  const binary = `${DEBIAN_CNI_DIR}/macvlan`;
  const run = await execPlugin({ binary, env, stdin: JSON.stringify(config), netnsPath: node.node.path });
  const result = expectResult(run, "1.0.0");
  const address = result.ips?.[0]?.address ?? "";
  ensure(POOL.test(address), `macvlan got ${address}, not an address from dnsmasq's pool`, run);
  const del = {
    env: { ...env, CNI_COMMAND: "DEL" },
    stdin: JSON.stringify({ ...config, prevResult: result }),
  };
  expectSuccess(await execPlugin({ binary, ...del, netnsPath: node.node.path }), "macvlan DEL");
  await expectReleased(leaseFile, address.split("/")[0]!);
}, { programs: [...NEEDS.programs, "/usr/lib/cni/macvlan"] });
