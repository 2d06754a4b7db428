/**
 * The daemon's live copy of the host's links, kept current from link events.
 *
 * Health and discovery read it instead of asking the broker on every question; it subscribes before its
 * first listing so no change is missed, and lists again whenever the broker says events were lost.
 *
 * Links are keyed by ifindex: the broker sees one netns (the host's), where an ifindex names one link for
 * its whole life while its name can change (udev renames, a hostdev NIC coming back from a pod under its
 * node name). A rename is one `new` event with the same ifindex and a new name; keying by name would keep
 * the old name as a ghost. Names stay unique: a link reported under a name another entry still holds means
 * that entry's delete was missed, and it is dropped.
 *
 * @module
 */
import type { Link, LinkEvent, NodeLinks } from "../links/node_links.ts";
import { type Logger, silentLogger } from "../log.ts";

/**
 * Called for every change of one link: its new state (undefined when it is gone) and its state before
 * (undefined when it is new). A rename has `link.name !== previous.name`.
 */
export type LinkListener = (link: Link | undefined, previous: Link | undefined) => void;

/** Links of the host netns by ifindex (and by name), kept current. */
export class LinkTable implements Disposable {
  #links = new Map<number, Link>();
  #byName = new Map<string, number>();
  #listeners = new Set<LinkListener>();
  #watch: Disposable | null = null;
  #resyncing: Promise<void> | null = null;
  #resyncAgain = false;

  private constructor(private nodeLinks: NodeLinks, private log: Logger) {}

  /** Subscribes to link events, then takes the first listing. */
  static async start(nodeLinks: NodeLinks, log: Logger = silentLogger): Promise<LinkTable> {
    const table = new LinkTable(nodeLinks, log);
    table.#watch = await nodeLinks.watch((event) => table.#onEvent(event));
    table.#replaceAll(await nodeLinks.list());
    return table;
  }

  /** The link named `name` now, if it exists. */
  get(name: string): Link | undefined {
    const ifindex = this.#byName.get(name);
    return ifindex === undefined ? undefined : this.#links.get(ifindex);
  }

  /** The link with this ifindex, if it exists. */
  byIndex(ifindex: number): Link | undefined {
    return this.#links.get(ifindex);
  }

  /** Every link, in name order. */
  all(): Link[] {
    return [...this.#links.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  }

  /** The links whose master (bond, bridge) is `ifindex`. */
  portsOf(ifindex: number): Link[] {
    return this.all().filter((link) => link.masterIfindex === ifindex);
  }

  /** Calls `listener` for every later change of a link. */
  onChange(listener: LinkListener): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) };
  }

  /** Lists again and reports whatever differs (also used after a broker restart). */
  resync(): Promise<void> {
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return this.#resyncing;
    }
    this.#resyncing = (async () => {
      do {
        this.#resyncAgain = false;
        try {
          this.#replaceAll(await this.nodeLinks.list());
        } catch (error) {
          this.log.error("cannot list links after lost events; keeping the last known state", { error });
        }
      } while (this.#resyncAgain);
      this.#resyncing = null;
    })();
    return this.#resyncing;
  }

  [Symbol.dispose](): void {
    this.#watch?.[Symbol.dispose]();
    this.#listeners.clear();
  }

  #onEvent(event: LinkEvent): void {
    if (event.type === "resync") {
      this.log.warn("link events lost, listing again", { reason: event.reason });
      void this.resync();
    } else if (event.type === "new") {
      this.#set(event.link);
    } else {
      // By ifindex: a late delete of a link whose name a newer link now has leaves the newer one alone.
      this.#delete(event.link.ifindex);
    }
  }

  #replaceAll(links: Link[]): void {
    const fresh = new Set(links.map((link) => link.ifindex));
    for (const ifindex of [...this.#links.keys()]) if (!fresh.has(ifindex)) this.#delete(ifindex);
    for (const link of links) this.#set(link);
  }

  #set(link: Link): void {
    const old = this.#links.get(link.ifindex);
    if (old && JSON.stringify(link) === JSON.stringify(old)) return;
    const holder = this.#byName.get(link.name);
    if (holder !== undefined && holder !== link.ifindex) this.#delete(holder);
    if (old && old.name !== link.name) this.#byName.delete(old.name);
    this.#links.set(link.ifindex, link);
    this.#byName.set(link.name, link.ifindex);
    this.#tell(link, old);
  }

  #delete(ifindex: number): void {
    const old = this.#links.get(ifindex);
    if (!old) return;
    this.#links.delete(ifindex);
    if (this.#byName.get(old.name) === ifindex) this.#byName.delete(old.name);
    this.#tell(undefined, old);
  }

  #tell(link: Link | undefined, previous: Link | undefined): void {
    for (const listener of [...this.#listeners]) listener(link, previous);
  }
}
