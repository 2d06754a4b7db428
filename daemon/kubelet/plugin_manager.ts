/**
 * All resources' plugin servers: adds and removes them as the configuration (or discovery) changes, and
 * restarts all of them when the kubelet restarts.
 *
 * @module
 */
import type { DevicePluginBackend } from "./api_types.ts";
import { watchPluginDir } from "./plugin_dir_watcher.ts";
import { PluginRunner, type RunnerOptions } from "./plugin_runner.ts";
import { SocketBinder } from "./socket_binder.ts";

/** Options of {@link PluginManager}. */
export type PluginManagerOptions = Omit<RunnerOptions, "binder"> & { pluginDir: string };

/** Runs one {@link PluginRunner} per backend. */
export class PluginManager implements AsyncDisposable {
  #runners = new Map<string, PluginRunner>();
  #binder: SocketBinder;
  #dirWatch: Disposable | null = null;
  #restartListeners = new Set<() => void>();

  constructor(private options: PluginManagerOptions) {
    this.#binder = new SocketBinder(options.pluginDir);
  }

  /** Starts watching the device-plugins directory for kubelet restarts. */
  start(): void {
    this.#dirWatch = watchPluginDir(
      this.options.pluginDir,
      () => this.kubeletRestarted(),
      this.options.log,
    );
  }

  /** Serves and registers `backend` (keyed by its socket name). */
  add(backend: DevicePluginBackend): void {
    if (this.#runners.has(backend.socketName)) throw new Error(`${backend.resourceName} is already served`);
    const runner = new PluginRunner(backend, { ...this.options, binder: this.#binder });
    this.#runners.set(backend.socketName, runner);
    runner.start();
  }

  /** Stops serving the backend with this socket name, if served. */
  async remove(socketName: string): Promise<void> {
    const runner = this.#runners.get(socketName);
    if (!runner) return;
    this.#runners.delete(socketName);
    await runner.stop();
  }

  /** Re-serves and re-registers every resource not yet registered with the kubelet now listening. */
  kubeletRestarted(): void {
    for (const runner of this.#runners.values()) void runner.kubeletRestarted();
    for (const listener of [...this.#restartListeners]) listener();
  }

  /** Calls `listener` whenever `kubelet.sock` is created (the kubelet started or restarted). */
  onKubeletRestarted(listener: () => void): Disposable {
    this.#restartListeners.add(listener);
    return { [Symbol.dispose]: () => void this.#restartListeners.delete(listener) };
  }

  /** Resource name → whether it is currently registered. */
  status(): Map<string, boolean> {
    return new Map([...this.#runners.values()].map((r) => [r.backend.resourceName, r.registered]));
  }

  /**
   * True when every served resource is registered with the kubelet (also when there is none): what a
   * readiness probe should report.
   */
  allRegistered(): boolean {
    return [...this.#runners.values()].every((runner) => runner.registered);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#dirWatch?.[Symbol.dispose]();
    await Promise.all([...this.#runners.keys()].map((name) => this.remove(name)));
  }
}
