/**
 * Keeps one resource served and registered: serve, then Register; and when the kubelet restarts, its
 * ListAndWatch stream drops or our socket disappears, do it all again (stop the old server so every old
 * stream is cut, unlink, serve anew, register). Failed attempts are retried with growing delays; a new
 * reason (kubelet.sock re-created) cuts the wait short.
 *
 * @module
 */
import { type DevicePluginBackend, KUBELET_SOCKET_NAME } from "./api_types.ts";
import type { RpcObserver } from "./device_plugin_service.ts";
import { PluginServer } from "./plugin_server.ts";
import { KubeletUnreachableError, registerWithKubelet } from "./registration.ts";
import type { SocketBinder } from "./socket_binder.ts";
import type { Logger } from "../log.ts";

/** Registration outcomes, for metrics. */
export interface RunnerObserver extends RpcObserver {
  registered?(resource: string): void;
  registrationFailed?(resource: string): void;
}

/** Tuning of a {@link PluginRunner}. */
export interface RunnerOptions {
  binder: SocketBinder;
  log: Logger;
  observer?: RunnerObserver;
  /** Delays between failed attempts; the last repeats (default 0.5 s … 10 s). */
  retryDelaysMs?: number[];
  /** How often to check that our socket still exists (default 5 s). */
  socketCheckIntervalMs?: number;
  /** Shortest time between two restarts, so a kubelet that keeps dropping us cannot spin us (default 1 s). */
  minRestartIntervalMs?: number;
  registerTimeoutMs?: number;
}

/** A restart asked for and not yet begun. */
interface PendingRestart {
  reason: string;
  /** performance.now() of the first request. */
  at: number;
  /** Inode of the kubelet.sock that prompted it, if that is what did. */
  kubelet: number | null;
}

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];

/** Serves and registers one backend until stopped. */
export class PluginRunner {
  #server: PluginServer | null = null;
  /** The restart asked for and not yet begun, with when it was first asked. */
  #pending: PendingRestart | null = null;
  #wake: (() => void) | null = null;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  #registered = false;
  #lastRegisteredAt = -Infinity;
  /** Aborts the Register call in flight, if any. */
  #registering: AbortController | null = null;
  /** Inode of the kubelet.sock we last registered through. */
  #registeredWith: number | null = null;
  #socketCheck: ReturnType<typeof setInterval> | undefined;
  #log: Logger;

  constructor(readonly backend: DevicePluginBackend, private options: RunnerOptions) {
    this.#log = options.log.child({ resource: backend.resourceName });
  }

  /** True between a successful Register and the next restart. */
  get registered(): boolean {
    return this.#registered;
  }

  /** Serves and registers for the first time (in the background). */
  start(): void {
    this.#pending = { reason: "start", at: performance.now(), kubelet: null };
    this.#loop = this.#run();
    const interval = this.options.socketCheckIntervalMs ?? 5000;
    this.#socketCheck = setInterval(() => void this.#checkSocket(), interval);
  }

  /**
   * Reacts to `kubelet.sock` being created: re-registers unless the registration in force (or the one in
   * progress) went to that very socket (same inode) — the kubelet's stream drop often gets us there first,
   * and a needless second restart would cut the kubelet's dial-back of the first.
   */
  async kubeletRestarted(): Promise<void> {
    const kubelet = await kubeletSocketIno(this.options.binder.dir);
    if (this.#registered && kubelet !== null && kubelet === this.#registeredWith) {
      this.#log.debug("kubelet.sock event for the kubelet we are registered with; nothing to do");
      return;
    }
    this.requestRestart("kubelet restarted", kubelet);
    // A starting kubelet deletes every socket in the directory first. If ours went with them, a Register
    // in flight cannot succeed (the kubelet would dial a missing socket for 10 s): cut it short.
    if (this.#registering && this.#server && !(await exists(this.#server.path))) {
      this.#log.info("plugin socket deleted by the starting kubelet; restarting the registration");
      this.#registering.abort();
    }
  }

  /**
   * Asks for a restart; several requests before it happens coalesce into one.
   *
   * @param kubelet inode of the kubelet.sock that prompted it: a registration through that socket answers it
   */
  requestRestart(reason: string, kubelet: number | null = null): void {
    if (this.#stopped) return;
    this.#pending ??= { reason, at: performance.now(), kubelet };
    this.#wake?.();
  }

  /** Stops serving and removes the socket. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#socketCheck);
    this.#wake?.();
    await this.#loop;
    await this.#server?.stop();
    this.#server = null;
    this.#registered = false;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      if (this.#pending === null) await this.#sleep(Infinity);
      if (this.#stopped) break;
      const reason = this.#pending?.reason ?? "restart";
      this.#pending = null;
      try {
        await this.#restart(reason);
        failures = 0;
      } catch (error) {
        this.#registered = false;
        this.options.observer?.registrationFailed?.(this.backend.resourceName);
        const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
        const delay = delays[Math.min(failures++, delays.length - 1)] ?? 0; // no delays given: at once
        const arrived = this.#pendingRequest();
        if (arrived) {
          // Something changed while we tried (kubelet.sock appeared): try again now, not after the delay.
          this.#log.warn("cannot serve and register; retrying at once", {
            reason,
            error,
            next: arrived.reason,
          });
          continue;
        }
        // No kubelet yet (node start-up, kubelet restart) is expected and retried: a warning, not an error.
        const level = error instanceof KubeletUnreachableError ? "warn" : "error";
        this.#log[level]("cannot serve and register; will retry", { reason, error, retryInMs: delay });
        this.#pending = { reason: "retry", at: performance.now(), kubelet: null };
        await this.#sleep(delay);
      }
    }
  }

  async #restart(reason: string): Promise<void> {
    // Spacing after a *successful* registration only: failed attempts are spaced by the retry delays, and
    // a kubelet that just came back must not wait for a spacing meant for one that keeps dropping us.
    const wait = this.#lastRegisteredAt + (this.options.minRestartIntervalMs ?? 1000) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#registered = false;
    await this.#server?.stop();
    this.#server = null;
    if (this.#stopped) return;
    const onStreamLost = () => this.requestRestart("the kubelet's ListAndWatch stream ended");
    this.#server = await PluginServer.start(
      this.backend,
      this.options.binder,
      this.#log,
      onStreamLost,
      this.options.observer,
    );
    const registerStartedAt = performance.now();
    this.#server.expectKubelet();
    this.#registering = new AbortController();
    try {
      await registerWithKubelet(
        this.options.binder.dir,
        this.backend.socketName,
        this.backend.resourceName,
        this.options.registerTimeoutMs,
        this.#registering.signal,
      );
    } finally {
      this.#registering = null;
    }
    // The socket that answered: stat'ed after Register, because a kubelet starting up replaces it while
    // we dial (stat'ing before would often see the old one, or none).
    const kubelet = await kubeletSocketIno(this.options.binder.dir);
    this.#registered = true;
    this.#registeredWith = kubelet;
    this.#lastRegisteredAt = Date.now();
    this.options.observer?.registered?.(this.backend.resourceName);
    this.#log.info("registered with the kubelet", { reason, socket: this.#server.path });
    // A request made before this Register went out, or prompted by the kubelet.sock this Register used,
    // is answered by it: this registration reached the kubelet that exists now.
    const pending = this.#pendingRequest();
    if (
      pending && (pending.at < registerStartedAt || (pending.kubelet !== null && pending.kubelet === kubelet))
    ) {
      this.#pending = null;
    }
  }

  /** The pending request (a method, so the compiler does not assume it unchanged across awaits). */
  #pendingRequest(): PendingRestart | null {
    return this.#pending;
  }

  /** Backstop for missed directory events: the kubelet deletes plugin sockets when it restarts. */
  async #checkSocket(): Promise<void> {
    if (!this.#registered || !this.#server || this.#stopped) return;
    try {
      await Deno.lstat(this.#server.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) this.requestRestart("plugin socket was removed");
    }
  }

  /** Waits `ms` (Infinity: until woken); {@link requestRestart} and {@link stop} wake it early. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

/** Inode of `<dir>/kubelet.sock`, or null when there is none: tells one kubelet instance from the next. */
async function kubeletSocketIno(dir: string): Promise<number | null> {
  try {
    return (await Deno.stat(`${dir}/${KUBELET_SOCKET_NAME}`)).ino;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
