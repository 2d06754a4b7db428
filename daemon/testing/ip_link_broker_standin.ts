/**
 * TEST STAND-IN for the link broker: speaks the real broker protocol (`daemon/host/broker_protocol.ts`) on
 * stdin/stdout but does the work by running `ip -j -d link …` and `ip -o monitor link`.
 *
 * Only for integration tests until the phase-2 broker (capability host + nlmsg-codec wasm) exists; it is
 * never part of a deployment. Run it inside the node's netns, e.g.
 * `ip netns exec <ns> deno run --allow-run=ip daemon/testing/ip_link_broker_standin.ts --unique-ifindex`.
 *
 * `--unique-ifindex` gives every created macvtap a random ifindex in [1e6, 2e6): tests create macvtaps in
 * throwaway namespaces whose auto-numbered ifindexes (hence /dev/tapN) would collide across namespaces.
 *
 * Requires `--allow-run=ip`.
 *
 * @module
 */
import type { MacvtapMode } from "../config.ts";
import { type CreateMacvtapArgs, type Link, TEMP_LINK_PATTERN } from "../host/broker_protocol.ts";
import { serveBrokerProtocol } from "../host/broker_server.ts";
import { HostLinkError, type HostLinks, type LinkEvent } from "../host/host_links.ts";
import { readLines } from "../host/json_lines.ts";

/** `ip -j -d link show` output, the fields used here. */
interface IpJsonLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  txqlen?: number;
  link_index?: number;
  parentdev?: string;
  parentbus?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

const ERRNO_BY_MESSAGE: [RegExp, string][] = [
  [/Cannot find device|does not exist|No such device/i, "ENODEV"],
  [/File exists/i, "EEXIST"],
  [/Operation not permitted/i, "EPERM"],
  [/Device or resource busy/i, "EBUSY"],
  [/Invalid argument|Error: argument/i, "EINVAL"],
];

/** {@link HostLinks} done with `ip` commands in the current netns. */
export class IpCommandLinks implements HostLinks {
  readonly available = true;
  /** When each link (`name/ifindex`) was created here or first listed. */
  #firstSeen = new Map<string, number>();
  #watchers = new Set<(event: LinkEvent) => void>();
  #monitor: Deno.ChildProcess | null = null;
  #snapshot = new Map<string, Link>();
  #rescan: Promise<void> = Promise.resolve();
  #rescanQueued = false;

  /** @param options.uniqueIfindex give created macvtaps a random high ifindex */
  constructor(private options: { uniqueIfindex?: boolean; ip?: string } = {}) {}

  async list(): Promise<Link[]> {
    const raw = JSON.parse(await this.#ip("-j", "-d", "link", "show")) as IpJsonLink[];
    return raw.map((link) => this.#toLink(link));
  }

  async listTempLinks(): Promise<Link[]> {
    return (await this.list()).filter((link) => link.kind === "macvtap" && TEMP_LINK_PATTERN.test(link.name));
  }

  async watch(onEvent: (event: LinkEvent) => void): Promise<Disposable> {
    this.#watchers.add(onEvent);
    if (!this.#monitor) {
      this.#snapshot = new Map((await this.list()).map((link) => [link.name, link]));
      this.#startMonitor();
    }
    return { [Symbol.dispose]: () => void this.#watchers.delete(onEvent) };
  }

  async createMacvtap(args: CreateMacvtapArgs): Promise<{ ifindex: number; name: string }> {
    const lower = await this.#show(args.lower);
    if (!lower) throw new HostLinkError("ENODEV", `lower link "${args.lower}" does not exist`);
    const index = this.options.uniqueIfindex
      ? ["index", String(1_000_000 + Math.floor(Math.random() * 1e6))]
      : [];
    // txqlen copied from the lower, as upstream does ("we had crashes if we did not set txqlen").
    const txqlen = ["txqueuelen", String(lower.txqlen ?? 1000)];
    await this.#ip(
      "link",
      "add",
      "link",
      args.lower,
      "name",
      args.name,
      ...index,
      ...txqlen,
      ...macvtap(args.mode),
    );
    try {
      await this.#ip("link", "set", "dev", args.name, "up");
      const created = await this.#show(args.name);
      if (!created) throw new HostLinkError("ENODEV", `macvtap "${args.name}" vanished after creation`);
      this.#firstSeen.set(`${args.name}/${created.ifindex}`, Date.now());
      return { ifindex: created.ifindex, name: args.name };
    } catch (error) {
      await this.#ip("link", "del", "dev", args.name).catch(() => {});
      throw error;
    }
  }

  async deleteLink(name: string): Promise<boolean> {
    const link = await this.#show(name);
    if (!link) return false;
    if (link.linkinfo?.info_kind !== "macvtap") {
      throw new HostLinkError("EPERM", `refusing to delete "${name}": not a macvtap`);
    }
    try {
      await this.#ip("link", "del", "dev", name);
      return true;
    } catch (error) {
      if (error instanceof HostLinkError && error.code === "ENODEV") return false;
      throw error;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#watchers.clear();
    try {
      this.#monitor?.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    return Promise.resolve();
  }

  #startMonitor(): void {
    const ip = this.options.ip ?? "ip";
    this.#monitor = new Deno.Command(ip, { args: ["-o", "monitor", "link"], stdout: "piped", stderr: "null" })
      .spawn();
    (async () => {
      for await (const _line of readLines(this.#monitor!.stdout, 1 << 20)) this.#queueRescan();
    })().catch(() => {});
  }

  /** `ip monitor` lines are hard to parse; a fresh dump diffed against the last one is not. */
  #queueRescan(): void {
    if (this.#rescanQueued) return;
    this.#rescanQueued = true;
    this.#rescan = this.#rescan.then(async () => {
      this.#rescanQueued = false;
      const current = new Map((await this.list()).map((link) => [link.name, link]));
      this.#emitDiff(current);
      this.#snapshot = current;
    }).catch((error) => this.#emit({ type: "resync", reason: `rescan failed: ${error}` }));
  }

  #emitDiff(current: Map<string, Link>): void {
    for (const [name, old] of this.#snapshot) {
      const now = current.get(name);
      if (!now || now.ifindex !== old.ifindex) this.#emit({ type: "del", link: old });
    }
    for (const [name, link] of current) {
      const old = this.#snapshot.get(name);
      if (!old || JSON.stringify(old) !== JSON.stringify(link)) this.#emit({ type: "new", link });
    }
  }

  #emit(event: LinkEvent): void {
    for (const watcher of this.#watchers) watcher(event);
  }

  async #show(name: string): Promise<IpJsonLink | null> {
    try {
      return (JSON.parse(await this.#ip("-j", "-d", "link", "show", "dev", name)) as IpJsonLink[])[0] ?? null;
    } catch (error) {
      if (error instanceof HostLinkError && error.code === "ENODEV") return null;
      throw error;
    }
  }

  #toLink(raw: IpJsonLink): Link {
    // By name and ifindex: a link deleted and created again under the same name is a new link.
    const key = `${raw.ifname}/${raw.ifindex}`;
    if (!this.#firstSeen.has(key)) this.#firstSeen.set(key, Date.now());
    const link: Link = {
      ifindex: raw.ifindex,
      name: raw.ifname,
      up: raw.flags.includes("UP"),
      carrier: raw.flags.includes("LOWER_UP"),
      loopback: raw.flags.includes("LOOPBACK"),
      firstSeenMs: this.#firstSeen.get(key)!,
    };
    if (raw.linkinfo?.info_kind) link.kind = raw.linkinfo.info_kind;
    if (raw.parentdev) link.parentDevName = raw.parentdev;
    if (raw.parentbus) link.parentBusName = raw.parentbus;
    if (raw.link_index !== undefined) link.lowerIfindex = raw.link_index;
    const mode = raw.linkinfo?.info_data?.mode;
    if (link.kind === "macvtap" && mode) link.macvtapMode = mode as MacvtapMode;
    return link;
  }

  async #ip(...args: string[]): Promise<string> {
    const ip = this.options.ip ?? "ip";
    const out = await new Deno.Command(ip, { args, stdout: "piped", stderr: "piped" }).output();
    if (out.success) return new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr).trim();
    const code = ERRNO_BY_MESSAGE.find(([pattern]) => pattern.test(stderr))?.[1] ?? "EIO";
    throw new HostLinkError(code, `ip ${args.join(" ")}: ${stderr}`);
  }
}

function macvtap(mode: MacvtapMode): string[] {
  return ["type", "macvtap", "mode", mode];
}

if (import.meta.main) {
  const links = new IpCommandLinks({ uniqueIfindex: Deno.args.includes("--unique-ifindex") });
  const stop = async () => {
    await links[Symbol.asyncDispose]();
    Deno.exit(0);
  };
  // The daemon ends its broker with SIGTERM; the `ip monitor` child must not outlive it.
  Deno.addSignalListener("SIGTERM", stop);
  await serveBrokerProtocol({
    backend: links,
    input: Deno.stdin.readable,
    output: Deno.stdout.writable,
    implementation: "ip-standin (test only)",
  });
  await stop();
}
