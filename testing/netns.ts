/**
 * Throwaway network namespaces for tests that need the real kernel.
 *
 * Every namespace is named `mvtest-<purpose>-<random>` so a crashed run can be
 * swept with {@link sweepTestNamespaces}, and every fixture is
 * `AsyncDisposable`: `await using node = await TestNetns.create("node")`
 * deletes the namespace (and with it every virtual link inside) even when the
 * test fails. Tests never touch the machine's own interfaces.
 *
 * Requires root, `--allow-run=ip` and `--allow-read=/run/netns`.
 *
 * @module
 */

/** Prefix of every namespace these fixtures create. */
export const TEST_NETNS_PREFIX = "mvtest-";

/** True when the process can create namespaces (root). */
export const isRoot: boolean = Deno.uid() === 0;

/** Skip message for tests that need root and real netns. */
export const NEEDS_ROOT = "needs root: creates network namespaces";

/** Runs `ip` with the given arguments and returns stdout; throws with stderr on failure. */
export async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Link details as `ip -j -d link show` reports them (the fields tests read). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  operstate: string;
  promiscuity: number;
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

/** A named network namespace that deletes itself on dispose. */
export class TestNetns implements AsyncDisposable {
  private constructor(
    /** Namespace name (for `ip -n`). */
    readonly name: string,
  ) {}

  /** Path a CNI runtime would pass as CNI_NETNS. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Creates `mvtest-<purpose>-<random>` with loopback up. */
  static async create(purpose: string): Promise<TestNetns> {
    const suffix = crypto.randomUUID().slice(0, 8);
    const ns = new TestNetns(`${TEST_NETNS_PREFIX}${purpose}-${suffix}`);
    await ip("netns", "add", ns.name);
    await ip("-n", ns.name, "link", "set", "lo", "up");
    return ns;
  }

  /** Runs `ip -n <ns> ...args`. */
  ip(...args: string[]): Promise<string> {
    return ip("-n", this.name, ...args);
  }

  /** All links in the namespace, with details. */
  async links(): Promise<IpLink[]> {
    return JSON.parse(await this.ip("-j", "-d", "link", "show")) as IpLink[];
  }

  /** One link by name, or null when it does not exist. */
  async link(name: string): Promise<IpLink | null> {
    return (await this.links()).find((l) => l.ifname === name) ?? null;
  }

  /** Creates a veth pair, both ends up; `peerNs` (default: this one) holds the peer end. */
  async addVeth(name: string, peer: string, peerNs: TestNetns = this): Promise<void> {
    await this.ip("link", "add", name, "type", "veth", "peer", "name", peer, "netns", peerNs.name);
    await this.ip("link", "set", name, "up");
    await peerNs.ip("link", "set", peer, "up");
  }

  /**
   * Creates a veth pair in this netns whose end `name` takes ifindex `index` (standing where a link
   * moved in from the node would want its ifindex) and whose peer `<name>p` takes a random high one (not
   * the next free index, which a test may be about to use). Both stay down.
   */
  async addVethAt(name: string, index: number): Promise<void> {
    const ends = [name, "index", String(index), "type", "veth", "peer", "name", `${name}p`];
    await this.ip("link", "add", ...ends, "index", String(uniqueIfindex()));
  }

  /**
   * Creates a macvtap on `lower`, like the device plugin does at Allocate, and returns its ifindex.
   *
   * /dev/tap<ifindex> lives in the one global devtmpfs while ifindexes are per netns, so two
   * namespaces holding a macvtap with the same ifindex fight over one /dev node (and leave it
   * stale). Test macvtaps therefore get a random ifindex far above anything a machine uses.
   */
  async addMacvtap(name: string, lower: string, mode = "bridge", index = uniqueIfindex()): Promise<number> {
    await this.ip(
      "link",
      "add",
      "link",
      lower,
      "name",
      name,
      "index",
      String(index),
      "type",
      "macvtap",
      "mode",
      mode,
    );
    await this.ip("link", "set", name, "up");
    const link = await this.link(name);
    if (!link) throw new Error(`macvtap "${name}" vanished right after creation`);
    return link.ifindex;
  }

  /** Deletes the namespace; the kernel removes every virtual link inside. */
  async [Symbol.asyncDispose](): Promise<void> {
    await deleteNetns(this.name);
  }
}

/** A random ifindex in [1_000_000, 2_000_000): no real machine or auto-numbered link gets there. */
export function uniqueIfindex(): number {
  return 1_000_000 + Math.floor(Math.random() * 1_000_000);
}

/** Deletes a namespace by name, ignoring "does not exist". */
export async function deleteNetns(name: string): Promise<void> {
  const out = await new Deno.Command("ip", { args: ["netns", "del", name], stderr: "piped" }).output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr);
    if (!/No such file|Invalid argument|not found/i.test(stderr)) {
      throw new Error(`ip netns del ${name} failed: ${stderr.trim()}`);
    }
  }
}

/** Deletes every namespace a previous, crashed run left behind. Returns their names. */
export async function sweepTestNamespaces(): Promise<string[]> {
  const listing = await ip("netns", "list");
  const names = listing.split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(TEST_NETNS_PREFIX));
  for (const name of names) await deleteNetns(name);
  return names;
}
