/**
 * What an ADD result says about addressing, against what the kernel shows in the pod: the addresses a
 * result assigns to CNI_IFNAME, the routes it lists, and lookups of both in a netns (`ip -j addr`,
 * `ip -j route show table all`).
 *
 * Requires root and `--allow-run=ip`.
 *
 * @module
 */
import type { TestNetns } from "../../testing/netns.ts";
import type { CniResult, CniRoute } from "../../testing/expect.ts";
import { versionHasInterfaces } from "./profile.ts";
import { ipFamily } from "./result_shape.ts";

/** An address or a route destination: family, address bits and prefix length. */
export interface Cidr {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
  /** As written in the result. */
  text: string;
}

/** A route of the result. */
export interface ResultRoute {
  dst: Cidr;
  gw?: string;
}

/** Parses "<ip>/<prefix>" (or a bare address, as a host route); null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const [address = "", prefixText] = text.split("/");
  const family = ipFamily(address);
  if (family === null) return null;
  const width = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return null;
  return { family, bits: addressBits(address, family), prefix, text };
}

/** True when both name the same network (host bits ignored, as the kernel and Go's ParseCIDR do). */
export function sameNetwork(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family || a.prefix !== b.prefix) return false;
  const width = a.family === 4 ? 32n : 128n;
  const shift = width - BigInt(a.prefix);
  return a.bits >> shift === b.bits >> shift;
}

function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(octet), 0n);
  const [head = "", tail = ""] = expandEmbeddedV4(address).split("::");
  const groups = (part: string) => part === "" ? [] : part.split(":");
  const left = groups(head);
  const right = address.includes("::") ? groups(tail) : [];
  const all = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return all.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n);
}

/** "::ffff:10.0.0.1" → "::ffff:a00:1", so every group is hex. */
function expandEmbeddedV4(address: string): string {
  const match = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (!match) return address;
  const [, prefix, dotted] = match as unknown as [string, string, string];
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
  return `${prefix}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** The addresses the result assigns to the interface `ifname` in `sandbox` (0.1.0/0.2.0: ip4/ip6). */
export function resultAddresses(result: CniResult, version: string, ifname: string, sandbox: string): Cidr[] {
  const texts: string[] = [];
  if (!versionHasInterfaces(version)) {
    for (const config of [result.ip4, result.ip6]) if (config?.ip) texts.push(config.ip);
  } else {
    const index = (result.interfaces ?? []).findIndex((i) => i.name === ifname && i.sandbox === sandbox);
    for (const ip of result.ips ?? []) {
      if (index >= 0 && ip.interface === index && ip.address) texts.push(ip.address);
    }
  }
  return texts.map(parseCidr).filter((c): c is Cidr => c !== null);
}

/** The routes the result lists (0.1.0/0.2.0: those of ip4/ip6). */
export function resultRoutes(result: CniResult, version: string): ResultRoute[] {
  const raw: CniRoute[] = versionHasInterfaces(version)
    ? result.routes ?? []
    : [...result.ip4?.routes ?? [], ...result.ip6?.routes ?? []];
  return raw.flatMap((r) => {
    const dst = typeof r.dst === "string" ? parseCidr(r.dst) : null;
    return dst ? [{ dst, gw: r.gw }] : [];
  });
}

/** The addresses on `ifname` in `netns`. */
export async function linkAddresses(netns: TestNetns, ifname: string): Promise<Cidr[]> {
  const [entry] = JSON.parse(await netns.ip("-j", "addr", "show", "dev", ifname)) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  return (entry?.addr_info ?? []).flatMap((a) => parseCidr(`${a.local}/${a.prefixlen}`) ?? []);
}

/** A kernel route, as `ip -j route show table all` prints it. */
export interface KernelRoute {
  /** Added by {@link kernelRoutes}: which listing it came from. */
  family: 4 | 6;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string | number;
  type?: string;
}

/** Every route of both families in every table of `netns`. */
export async function kernelRoutes(netns: TestNetns): Promise<KernelRoute[]> {
  const routes: KernelRoute[] = [];
  for (const family of [4, 6] as const) {
    const listed = JSON.parse(await netns.ip("-j", `-${family}`, "route", "show", "table", "all"));
    routes.push(...(listed as Omit<KernelRoute, "family">[]).map((r) => ({ ...r, family })));
  }
  return routes;
}

/** The kernel route that carries `route` (same destination, and the same next hop when it names one). */
export function findRoute(routes: KernelRoute[], route: ResultRoute): KernelRoute | undefined {
  return routes.find((k) => {
    if (k.family !== route.dst.family || (k.type !== undefined && k.type !== "unicast")) return false;
    const dst = parseCidr(k.dst === "default" ? (k.family === 4 ? "0.0.0.0/0" : "::/0") : k.dst);
    if (!dst || !sameNetwork(dst, route.dst)) return false;
    return route.gw === undefined || (k.gateway !== undefined && sameAddress(k.gateway, route.gw));
  });
}

function sameAddress(a: string, b: string): boolean {
  const [pa, pb] = [parseCidr(a), parseCidr(b)];
  return pa !== null && pb !== null && pa.family === pb.family && pa.bits === pb.bits;
}

/** Deletes a kernel route exactly as the kernel lists it. */
export async function deleteRoute(netns: TestNetns, route: KernelRoute): Promise<void> {
  const args = [`-${route.family}`, "route", "del", route.dst];
  if (route.gateway) args.push("via", route.gateway);
  if (route.dev) args.push("dev", route.dev);
  args.push("table", String(route.table ?? "main"));
  await netns.ip(...args);
}
