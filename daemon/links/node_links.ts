/**
 * The daemon's view of the node's network namespace (the host netns): what it may read and the two changes
 * it may make.
 *
 * Implementations: {@link ./broker_node_links.ts BrokerNodeLinks} (production: a link broker child
 * process), {@link ../testing/fake_node_links.ts FakeNodeLinks} (in memory, for tests). The resource code
 * only ever sees this interface.
 *
 * @module
 */
import type { CreateMacvtapArgs, Link, PeerMacvtap } from "./broker_protocol.ts";

export type { CreateMacvtapArgs, Link, PeerMacvtap };

/** A change in the node's links, in the order the kernel reported it. */
export type LinkEvent =
  | { type: "new"; link: Link }
  | { type: "del"; link: Link }
  /** Events were lost (or the broker restarted): list again. */
  | { type: "resync"; reason: string };

/** A failed link operation; `code` is an errno name (ENODEV …) or EBROKER / ETIMEDOUT / EPROTO. */
export class NodeLinkError extends Error {
  override name = "NodeLinkError";

  /** @param code errno name or one of the broker-level codes */
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Links of the node's network namespace. */
export interface NodeLinks extends AsyncDisposable {
  /** Every link of the host netns. */
  list(): Promise<Link[]>;
  /**
   * Calls `onEvent` for every later change; dispose the result to stop. Subscribe before listing so that
   * no change falls between the two.
   */
  watch(onEvent: (event: LinkEvent) => void): Promise<Disposable>;
  /**
   * Creates macvtap `name` on `lower` with `mode`, already up, at `ifindex` when given; returns its ifindex.
   * EEXIST when the name (or the ifindex asked for) is taken.
   */
  createMacvtap(args: CreateMacvtapArgs): Promise<{ ifindex: number; name: string }>;
  /** Deletes temp link `name`; false when it did not exist. */
  deleteLink(name: string): Promise<boolean>;
  /** Macvtaps whose names look like temp link names, with their age bound. */
  listTempLinks(): Promise<Link[]>;
  /** Macvtaps moved out of the host netns (into pods) whose lower link stayed behind, while they exist. */
  listPeerMacvtaps(): Promise<PeerMacvtap[]>;
  /** Whether operations can currently succeed (false while a broker is down), for /healthz. */
  readonly available: boolean;
}
