/**
 * An in-memory host netns for unit tests: links can be added, changed and removed by the test, and the
 * daemon's calls are recorded. It applies the same mandate as a real broker (temp names only, macvtaps
 * only), so tests notice when domain code asks for something a broker would refuse.
 *
 * @module
 */
import {
  type CreateMacvtapArgs,
  type Link,
  type PeerMacvtap,
  TEMP_LINK_PATTERN,
} from "../links/broker_protocol.ts";
import { type LinkEvent, NodeLinkError, type NodeLinks } from "../links/node_links.ts";

/** Fields a test gives when adding a link; the rest default to an up, carrier-on, kind-less link. */
export type FakeLinkSpec = Partial<Link> & { name: string };

/** A virtio NIC as the broker reports it: PCI address `pciAddress`, driver virtio_net. */
export function virtioNic(name: string, pciAddress: string, more: Partial<FakeLinkSpec> = {}): FakeLinkSpec {
  return {
    name,
    parentDevName: `virtio${pciAddress.at(-3)}`,
    parentBusName: "virtio",
    driver: "virtio_net",
    pciAddress,
    ...more,
  };
}

/** Ops the fake can be told to fail. */
export type FakeOp = "list" | "watch" | "createMacvtap" | "deleteLink" | "listTempLinks" | "listPeerMacvtaps";

/** In-memory {@link NodeLinks}. */
export class FakeNodeLinks implements NodeLinks {
  /** One line per mutating call, e.g. `create mvt… on eth0 mode bridge` or `delete mvt…`. */
  readonly calls: string[] = [];
  /** Flip to simulate a broker outage: every operation then fails with EBROKER. */
  available = true;
  #links = new Map<string, Link>();
  /** Macvtaps "moved into pods" by {@link moveToPeer}. */
  #peers: PeerMacvtap[] = [];
  #watchers = new Set<(event: LinkEvent) => void>();
  #failures: { op: FakeOp; code: string; matches: (arg: string) => boolean }[] = [];
  #nextIfindex = 100;
  #now: () => number;

  /** @param options.now clock for `firstSeenMs` (default Date.now) */
  constructor(links: FakeLinkSpec[] = [], options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    for (const spec of links) this.add(spec);
  }

  /** Adds a link (physical-looking by default; at `spec.ifindex` if given) and reports it to watchers. */
  add(spec: FakeLinkSpec): Link {
    if (this.#links.has(spec.name)) throw new Error(`fake link "${spec.name}" already exists`);
    if (spec.ifindex !== undefined && this.#byIndex(spec.ifindex)) {
      throw new Error(`fake ifindex ${spec.ifindex} is already taken`);
    }
    while (this.#byIndex(this.#nextIfindex)) this.#nextIfindex++;
    const link: Link = {
      ifindex: this.#nextIfindex++,
      up: true,
      carrier: true,
      loopback: false,
      firstSeenMs: this.#now(),
      ...spec,
    };
    this.#links.set(link.name, link);
    this.#emit({ type: "new", link });
    return link;
  }

  /** Changes fields of an existing link (say `{carrier: false}`) and reports it. */
  update(name: string, changes: Partial<Omit<Link, "name" | "ifindex">>): Link {
    const link = { ...this.#require(name), ...changes };
    this.#links.set(name, link);
    this.#emit({ type: "new", link });
    return link;
  }

  /** Renames a link in place (same ifindex), as udev does, and reports its new state. */
  rename(name: string, to: string): Link {
    const link = { ...this.#require(name), name: to };
    if (this.#links.has(to)) throw new Error(`fake link "${to}" already exists`);
    this.#links.delete(name);
    this.#links.set(to, link);
    this.#emit({ type: "new", link });
    return link;
  }

  /**
   * Moves macvtap `name` into "pod" netns `netnsId` as `podName`, keeping its ifindex (what the CNI's ADD
   * does): the host netns reports it deleted, {@link listPeerMacvtaps} reports it until {@link deletePeer}.
   */
  moveToPeer(name: string, netnsId: number, podName = "net1"): PeerMacvtap {
    const link = this.#require(name);
    if (link.kind !== "macvtap" || link.lowerIfindex === undefined) {
      throw new Error(`"${name}" is no macvtap`);
    }
    this.remove(name);
    const peer = { netnsId, ifindex: link.ifindex, lowerIfindex: link.lowerIfindex, name: podName };
    this.#peers.push(peer);
    return peer;
  }

  /** Deletes a moved macvtap in its pod (CNI DEL, or the pod netns going away). */
  deletePeer(ifindex: number): void {
    this.#peers = this.#peers.filter((peer) => peer.ifindex !== ifindex);
  }

  /** Removes a link and reports it. */
  remove(name: string): void {
    const link = this.#require(name);
    this.#links.delete(name);
    this.#emit({ type: "del", link });
  }

  /** Reports a resync event (as a broker does after losing events). */
  resync(reason = "test"): void {
    this.#emit({ type: "resync", reason });
  }

  /** Reports an event without changing any state (a late or duplicated event). */
  inject(event: LinkEvent): void {
    this.#emit(event);
  }

  /** The link named `name`, if any. */
  get(name: string): Link | undefined {
    return this.#links.get(name);
  }

  /** Makes the next call of `op` (whose name or lower argument matches, if given) fail with `code`. */
  failNext(op: FakeOp, code: string, arg?: string): void {
    this.#failures.push({ op, code, matches: (value) => arg === undefined || value === arg });
  }

  list(): Promise<Link[]> {
    return this.#run("list", "", () => [...this.#links.values()]);
  }

  watch(onEvent: (event: LinkEvent) => void): Promise<Disposable> {
    return this.#run("watch", "", () => {
      this.#watchers.add(onEvent);
      return { [Symbol.dispose]: () => void this.#watchers.delete(onEvent) };
    });
  }

  /** Number of live watch subscriptions (tests check that streams do not leak them). */
  get watcherCount(): number {
    return this.#watchers.size;
  }

  createMacvtap(args: CreateMacvtapArgs): Promise<{ ifindex: number; name: string }> {
    return this.#run("createMacvtap", args.name, () => {
      this.#requireTempName(args.name);
      if (this.#links.has(args.name)) throw new NodeLinkError("EEXIST", `link "${args.name}" already exists`);
      if (args.ifindex !== undefined && this.#byIndex(args.ifindex)) {
        throw new NodeLinkError("EEXIST", `ifindex ${args.ifindex} already exists`);
      }
      const lower = this.#links.get(args.lower);
      if (!lower) throw new NodeLinkError("ENODEV", `lower link "${args.lower}" does not exist`);
      const at = args.ifindex === undefined ? "" : ` at ${args.ifindex}`;
      this.calls.push(`create ${args.name} on ${args.lower} mode ${args.mode}${at}`);
      const link = this.add({
        ...(args.ifindex === undefined ? {} : { ifindex: args.ifindex }),
        name: args.name,
        kind: "macvtap",
        macvtapMode: args.mode,
        lowerIfindex: lower.ifindex,
        carrier: lower.carrier,
      });
      return { ifindex: link.ifindex, name: link.name };
    });
  }

  deleteLink(name: string): Promise<boolean> {
    return this.#run("deleteLink", name, () => {
      this.#requireTempName(name);
      const link = this.#links.get(name);
      if (!link) return false;
      if (link.kind !== "macvtap") {
        throw new NodeLinkError("EPERM", `refusing to delete "${name}": not a macvtap`);
      }
      this.calls.push(`delete ${name}`);
      this.remove(name);
      return true;
    });
  }

  listTempLinks(): Promise<Link[]> {
    return this.#run(
      "listTempLinks",
      "",
      () => [...this.#links.values()].filter((l) => l.kind === "macvtap" && TEMP_LINK_PATTERN.test(l.name)),
    );
  }

  listPeerMacvtaps(): Promise<PeerMacvtap[]> {
    return this.#run("listPeerMacvtaps", "", () => this.#peers.map((peer) => ({ ...peer })));
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#watchers.clear();
    return Promise.resolve();
  }

  #run<T>(op: FakeOp, arg: string, body: () => T): Promise<T> {
    if (!this.available) return Promise.reject(new NodeLinkError("EBROKER", "fake broker is down"));
    const failure = this.#failures.findIndex((f) => f.op === op && f.matches(arg));
    if (failure >= 0) {
      const { code } = this.#failures.splice(failure, 1)[0]!;
      return Promise.reject(new NodeLinkError(code, `injected ${code} for ${op} ${arg}`));
    }
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #byIndex(ifindex: number): Link | undefined {
    return [...this.#links.values()].find((link) => link.ifindex === ifindex);
  }

  #require(name: string): Link {
    const link = this.#links.get(name);
    if (!link) throw new Error(`fake link "${name}" does not exist`);
    return link;
  }

  #requireTempName(name: string): void {
    if (!TEMP_LINK_PATTERN.test(name)) {
      throw new NodeLinkError("EPERM", `refusing to touch link "${name}": not a temp link name`);
    }
  }

  /** Delivers in order, but after the caller's current step, as a real broker's events arrive. */
  #emit(event: LinkEvent): void {
    const watchers = [...this.#watchers];
    queueMicrotask(() => {
      for (const watcher of watchers) if (this.#watchers.has(watcher)) watcher(event);
    });
  }
}
