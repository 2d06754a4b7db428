/**
 * Keeps one resource served and registered: serve, then Register; and when the kubelet restarts, its
 * ListAndWatch stream drops or our socket disappears, do it all again (stop the old server so every old
 * stream is cut, unlink, serve anew, register). Failed attempts are retried with growing delays; a new
 * reason (kubelet.sock re-created) cuts the wait short.
 *
 * @module
 */
import type { DevicePluginBackend } from "./api_types.ts";
import type { RpcObserver } from "./device_plugin_service.ts";
import { PluginServer } from "./plugin_server.ts";
import { registerWithKubelet } from "./registration.ts";
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

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];

/** Serves and registers one backend until stopped. */
export class PluginRunner {
  #server: PluginServer | null = null;
  #pendingReason: string | null = null;
  #wake: (() => void) | null = null;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  #registered = false;
  #lastRestartAt = -Infinity;
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
    this.#pendingReason = "start";
    this.#loop = this.#run();
    const interval = this.options.socketCheckIntervalMs ?? 5000;
    this.#socketCheck = setInterval(() => void this.#checkSocket(), interval);
  }

  /** Asks for a restart; several requests before it happens coalesce into one. */
  requestRestart(reason: string): void {
    if (this.#stopped) return;
    this.#pendingReason ??= reason;
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
      if (this.#pendingReason === null) await this.#sleep(Infinity);
      if (this.#stopped) break;
      const reason = this.#pendingReason ?? "restart";
      this.#pendingReason = null;
      try {
        await this.#restart(reason);
        failures = 0;
      } catch (error) {
        this.#registered = false;
        this.options.observer?.registrationFailed?.(this.backend.resourceName);
        const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
        const delay = delays[Math.min(failures++, delays.length - 1)];
        this.#log.error("cannot serve and register; will retry", { reason, error, retryInMs: delay });
        this.#pendingReason ??= "retry";
        await this.#sleep(delay);
      }
    }
  }

  async #restart(reason: string): Promise<void> {
    const wait = this.#lastRestartAt + (this.options.minRestartIntervalMs ?? 1000) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#lastRestartAt = Date.now();
    this.#registered = false;
    await this.#server?.stop();
    this.#server = null;
    if (this.#stopped) return;
    const onStreamLost = () => this.requestRestart("ListAndWatch stream ended by the kubelet");
    this.#server = await PluginServer.start(
      this.backend,
      this.options.binder,
      this.#log,
      onStreamLost,
      this.options.observer,
    );
    await registerWithKubelet(
      this.options.binder.dir,
      this.backend.socketName,
      this.backend.resourceName,
      this.options.registerTimeoutMs,
    );
    this.#registered = true;
    this.options.observer?.registered?.(this.backend.resourceName);
    this.#log.info("registered with the kubelet", { reason, socket: this.#server.path });
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
