/**
 * The kernel's view of a pod and of the node after a CNI call: global addresses and routes of the pod
 * interface (`ip -j`), what is left in the pod, and whether the device plugin's temp link is back on the
 * node. Tests assert these instead of trusting the plugin's Result.
 *
 * Requires root and `--allow-run=ip`.
 *
 * @module
 */
import { ensure } from "./expect.ts";
import type { PluginRun } from "./plugin_exec.ts";
import type { TestNetns } from "./netns.ts";
import type { Allocation, TestNode } from "./test_node.ts";

/** One global address as `ip -j addr` reports it, written as CIDR. */
export type Cidr = string;

/** Global-scope addresses (IPv4 and IPv6, no link-local) on `ifname` in `netns`, as "ip/prefix". */
export async function globalAddresses(netns: TestNetns, ifname: string): Promise<Cidr[]> {
  const links = JSON.parse(await netns.ip("-j", "addr", "show", "dev", ifname)) as {
    addr_info?: { local: string; prefixlen: number; scope: string }[];
  }[];
  return (links[0]?.addr_info ?? [])
    .filter((a) => a.scope === "global")
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/** A route as `ip -j route` reports it. */
export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}

/** Routes of one family in the main table of `netns`, except the kernel's own prefix and fe80 routes. */
export async function configuredRoutes(netns: TestNetns, family: "-4" | "-6"): Promise<KernelRoute[]> {
  const routes = JSON.parse(await netns.ip("-j", family, "route", "show")) as KernelRoute[];
  return routes.filter((r) => r.protocol !== "kernel");
}

/** Names of every link in `netns` but lo. */
export async function linkNames(netns: TestNetns): Promise<string[]> {
  return (await netns.links()).map((l) => l.ifname).filter((name) => name !== "lo");
}

/** The pod holds no link but lo (nothing half-attached). */
export async function expectEmptyPod(pod: TestNetns, run?: PluginRun): Promise<void> {
  const left = await linkNames(pod);
  ensure(left.length === 0, `links left in pod ${pod.name}: ${left.join(", ")}`, run);
}

/**
 * After a failed ADD the macvtap must be back on the node under its temp name with the same ifindex, so
 * the device plugin still owns it and /dev/tapN still names it.
 */
export async function expectBackOnNode(
  node: TestNode,
  allocation: Allocation,
  run?: PluginRun,
): Promise<void> {
  const link = await node.node.link(allocation.tempName);
  ensure(link, `temp link ${allocation.tempName} is not back in the node netns`, run);
  ensure(
    link.ifindex === allocation.ifindex,
    `temp link came back as ifindex ${link.ifindex}, was ${allocation.ifindex}`,
    run,
  );
  ensure(link.linkinfo?.info_kind === "macvtap", `${allocation.tempName} is no longer a macvtap`, run);
}

/** Value of a per-netns sysctl under /proc/sys/net, read from inside `netns`. */
export async function netSysctl(netns: TestNetns, path: string): Promise<string> {
  const out = await new Deno.Command("nsenter", {
    args: [`--net=${netns.path}`, "cat", `/proc/sys/net/${path}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`reading net/${path} in ${netns.name}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Owner, group and permission bits of /dev/tap<ifindex>, or null when it does not exist. */
export function tapNode(ifindex: number): { uid: number; gid: number; mode: number } | null {
  try {
    const info = Deno.statSync(`/dev/tap${ifindex}`);
    return { uid: info.uid!, gid: info.gid!, mode: info.mode! & 0o777 };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
