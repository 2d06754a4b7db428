/**
 * The daemon's live copy of the host's links, kept current from link events.
 *
 * Health and discovery read it instead of asking the broker on every question; it subscribes before its
 * first listing so no change is missed, and lists again whenever the broker says events were lost.
 *
 * @module
 */
import type { HostLinks, Link, LinkEvent } from "../host/host_links.ts";
import { type Logger, silentLogger } from "../log.ts";

/** Called with the link's new state, or undefined when it is gone. */
export type LinkListener = (name: string, link: Link | undefined) => void;

/** Links of the host netns by name, kept current. */
export class LinkTable implements Disposable {
  #links = new Map<string, Link>();
  #listeners = new Set<LinkListener>();
  #watch: Disposable | null = null;
  #resyncing: Promise<void> | null = null;
  #resyncAgain = false;

  private constructor(private hostLinks: HostLinks, private log: Logger) {}

  /** Subscribes to link events, then takes the first listing. */
  static async start(hostLinks: HostLinks, log: Logger = silentLogger): Promise<LinkTable> {
    const table = new LinkTable(hostLinks, log);
    table.#watch = await hostLinks.watch((event) => table.#onEvent(event));
    table.#replaceAll(await hostLinks.list());
    return table;
  }

  /** The link named `name`, if it exists. */
  get(name: string): Link | undefined {
    return this.#links.get(name);
  }

  /** Every link, in name order. */
  all(): Link[] {
    return [...this.#links.values()].sort((a, b) => a.name < b.name ? -1 : 1);
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
          this.#replaceAll(await this.hostLinks.list());
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
      this.#set(event.link.name, event.link);
    } else if (this.#links.get(event.link.name)?.ifindex === event.link.ifindex) {
      // Only a delete of the link we know: a stale del must not remove a newer link of the same name.
      this.#set(event.link.name, undefined);
    }
  }

  #replaceAll(links: Link[]): void {
    const fresh = new Map(links.map((link) => [link.name, link]));
    for (const name of [...this.#links.keys()]) if (!fresh.has(name)) this.#set(name, undefined);
    for (const [name, link] of fresh) this.#set(name, link);
  }

  #set(name: string, link: Link | undefined): void {
    const old = this.#links.get(name);
    if (link === undefined && old === undefined) return;
    if (link && old && JSON.stringify(link) === JSON.stringify(old)) return;
    if (link) this.#links.set(name, link);
    else this.#links.delete(name);
    for (const listener of [...this.#listeners]) listener(name, link);
  }
}
