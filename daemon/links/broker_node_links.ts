/**
 * {@link NodeLinks} through a link broker child process: the only way the sandboxed daemon touches links.
 *
 * The broker is restarted with growing delays when it dies; requests made meanwhile wait for the new one
 * (up to their deadline), and watchers get a `resync` event once it is back, because events may have been
 * lost in between.
 *
 * @module
 */
import { type CreateMacvtapArgs, type Event, type Link, type PeerMacvtap } from "./broker_protocol.ts";
import { checkLink, checkPeerMacvtap } from "./broker_protocol.ts";
import { BrokerConnection, type BrokerTransport, type RequestBody } from "./broker_connection.ts";
import { type LinkEvent, NodeLinkError, type NodeLinks } from "./node_links.ts";
import { readLines } from "./json_lines.ts";
import { type Logger, silentLogger } from "../log.ts";

/** Makes a fresh broker (one per start and restart). */
export type BrokerFactory = () => BrokerTransport;

/** Tuning of {@link BrokerNodeLinks}. */
export interface BrokerNodeLinksOptions {
  /** Deadline of each request, including waiting for a restarting broker (default 15 s). */
  requestTimeoutMs?: number;
  /** How long a new broker has to say hello (default 10 s). */
  helloTimeoutMs?: number;
  /** Delays before successive restarts; the last one repeats (default 0.5 s … 30 s). */
  restartDelaysMs?: number[];
  /** A broker that lived this long resets the delay sequence (default 10 s). */
  stableAfterMs?: number;
  log?: Logger;
}

const DEFAULT_RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * Starts `program` (no arguments) as a broker child process with piped stdin/stdout and an empty
 * environment; its stderr lines go to `log` as warnings.
 *
 * The broker needs no variable, and whatever the daemon's environment holds (the pod's service
 * variables, `DP_MACVTAP_CONF`, `GRPC_*`) is none of its business: a child inherits everything unless
 * told otherwise, whatever `--allow-env` the daemon itself has.
 *
 * Requires `--allow-run=<program>`.
 */
export function spawnBroker(program: string, log: Logger = silentLogger): BrokerTransport {
  const child = new Deno.Command(program, {
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  (async () => {
    for await (const line of readLines(child.stderr, 64 * 1024)) log.warn("link broker stderr", { line });
  })().catch(() => {});
  return {
    readable: child.stdout,
    writable: child.stdin,
    exited: child.status.then((s) => s.signal ? `killed by ${s.signal}` : `exit code ${s.code}`),
    kill: () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited: nothing to end.
      }
    },
  };
}

/** {@link NodeLinks} backed by a (restarting) link broker. */
export class BrokerNodeLinks implements NodeLinks {
  #factory: BrokerFactory;
  #log: Logger;
  #options: Required<Omit<BrokerNodeLinksOptions, "log">>;
  #connection: Promise<BrokerConnection>;
  #current: BrokerConnection | null = null;
  #watchers = new Set<(event: LinkEvent) => void>();
  #disposed = false;
  #restarts = 0;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | null = null;

  /** Starts the first broker; see {@link ready} to wait for it. */
  constructor(factory: BrokerFactory, options: BrokerNodeLinksOptions = {}) {
    this.#factory = factory;
    this.#log = options.log ?? silentLogger;
    this.#options = {
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      restartDelaysMs: options.restartDelaysMs ?? DEFAULT_RESTART_DELAYS_MS,
      stableAfterMs: options.stableAfterMs ?? 10_000,
    };
    this.#connection = this.#connect();
    this.#connection.catch(() => {});
  }

  /** Resolves once the first broker said hello; rejects with why it did not. */
  async ready(): Promise<void> {
    await this.#connection;
  }

  get available(): boolean {
    return this.#current?.open ?? false;
  }

  async list(): Promise<Link[]> {
    return linksOf(await this.#request({ op: "list" }));
  }

  async listTempLinks(): Promise<Link[]> {
    return linksOf(await this.#request({ op: "listTempLinks" }));
  }

  async listPeerMacvtaps(): Promise<PeerMacvtap[]> {
    const result = await this.#request({ op: "listPeerMacvtaps" }) as { macvtaps?: unknown };
    if (!Array.isArray(result?.macvtaps)) {
      throw new NodeLinkError("EPROTO", "link broker answered listPeerMacvtaps without macvtaps");
    }
    return result.macvtaps.map(checkPeerMacvtap);
  }

  async watch(onEvent: (event: LinkEvent) => void): Promise<Disposable> {
    this.#watchers.add(onEvent);
    try {
      // Asking again is harmless: a broker that already watches just says so.
      await this.#request({ op: "watch" });
    } catch (error) {
      this.#watchers.delete(onEvent);
      throw error;
    }
    return { [Symbol.dispose]: () => void this.#watchers.delete(onEvent) };
  }

  async createMacvtap(args: CreateMacvtapArgs): Promise<{ ifindex: number; name: string }> {
    const result = await this.#request({ op: "createMacvtap", ...args }) as Record<string, unknown>;
    const wrongIndex = args.ifindex !== undefined && result?.ifindex !== args.ifindex;
    if (typeof result?.ifindex !== "number" || result.ifindex <= 0 || wrongIndex) {
      throw new NodeLinkError("EPROTO", `link broker answered createMacvtap with ${JSON.stringify(result)}`);
    }
    return { ifindex: result.ifindex, name: args.name };
  }

  async deleteLink(name: string): Promise<boolean> {
    try {
      const result = await this.#request({ op: "deleteLink", name }) as Record<string, unknown>;
      return result?.deleted === true;
    } catch (error) {
      // The protocol says "deleted: false", but a broker passing the kernel's ENODEV through means the same.
      if (error instanceof NodeLinkError && error.code === "ENODEV") return false;
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    clearTimeout(this.#restartTimer);
    this.#wake?.();
    this.#watchers.clear();
    await this.#current?.close();
  }

  async #request(body: RequestBody): Promise<unknown> {
    if (this.#disposed) throw new NodeLinkError("EBROKER", "link broker client is closed");
    const deadline = this.#options.requestTimeoutMs;
    const connection = await withDeadline(
      this.#connection,
      deadline,
      `waiting for the link broker (${body.op})`,
    );
    return await connection.request(body, deadline);
  }

  async #connect(): Promise<BrokerConnection> {
    let transport: BrokerTransport;
    try {
      transport = this.#factory();
    } catch (error) {
      const reason = `cannot start the link broker: ${(error as Error).message}`;
      // After the caller has stored this attempt's promise, so the retry's promise replaces it.
      queueMicrotask(() => this.#onClosed(reason, 0));
      throw new NodeLinkError("EBROKER", reason);
    }
    const connection = new BrokerConnection(transport, (e) => this.#deliver(e), this.#options.helloTimeoutMs);
    const startedAt = Date.now();
    this.#current = connection;
    connection.closed.then((reason) => this.#onClosed(reason, Date.now() - startedAt));
    const hello = await connection.hello;
    this.#log.info("link broker ready", { implementation: hello.implementation, version: hello.version });
    if (this.#restarts > 0 && this.#watchers.size > 0) {
      await connection.request({ op: "watch" }, this.#options.requestTimeoutMs);
      this.#deliver({ event: "resync", reason: "link broker restarted" });
    }
    return connection;
  }

  #onClosed(reason: string, livedMs: number): void {
    if (this.#disposed) return;
    if (livedMs >= this.#options.stableAfterMs) this.#restarts = 0;
    const delays = this.#options.restartDelaysMs;
    const delay = delays[Math.min(this.#restarts, delays.length - 1)];
    this.#restarts++;
    this.#log.error("link broker gone, restarting", { reason, restartInMs: delay, restarts: this.#restarts });
    this.#connection = new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#restartTimer = setTimeout(resolve, delay);
    }).then(() => {
      if (this.#disposed) throw new NodeLinkError("EBROKER", "link broker client is closed");
      return this.#connect();
    });
    this.#connection.catch((error) => {
      if (!this.#disposed) this.#log.error("link broker restart failed", { error });
    });
  }

  #deliver(event: Event): void {
    const linkEvent: LinkEvent = event.event === "resync"
      ? { type: "resync", reason: event.reason }
      : { type: event.action, link: event.link };
    for (const watcher of [...this.#watchers]) watcher(linkEvent);
  }
}

function linksOf(result: unknown): Link[] {
  const links = (result as { links?: unknown })?.links;
  if (!Array.isArray(links)) throw new NodeLinkError("EPROTO", "link broker answered a list without links");
  return links.map(checkLink);
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NodeLinkError("ETIMEDOUT", `gave up ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
