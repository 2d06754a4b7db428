/**
 * Where the configuration comes from: the `DP_MACVTAP_CONF` variable (fixed for the process's life, as
 * upstream) or a file (`--config`, typically a ConfigMap volume) that is watched and reloaded.
 *
 * A ConfigMap volume updates by swapping a `..data` symlink in the mount directory, which replaces the
 * file without writing to it — so the *directory* is watched, and every event there re-reads the file
 * (after a short debounce; a slow poll backs up missed events). A reload that fails to read or validate
 * keeps the last good configuration and logs why; an unchanged file is not reported.
 *
 * @module
 */
import { dirname } from "node:path";
import { ConfigError, type DaemonConfig, parseConfig, sameConfig } from "./config.ts";
import { type Logger, silentLogger } from "./log.ts";

/** A source of configuration. */
export interface ConfigSource extends Disposable {
  /** The configuration in force. */
  readonly current: DaemonConfig;
  /** `DP_MACVTAP_CONF` or the file path. */
  readonly origin: string;
  /** Calls `listener` with each new, valid configuration that differs from the previous one. */
  onChange(listener: (config: DaemonConfig) => void): Disposable;
}

/**
 * The configuration from a variable's value; never changes. Throws {@link ConfigError} when invalid; what it
 * ignores (unknown keys) is logged as a warning.
 */
export function fixedConfig(text: string, origin: string, log: Logger = silentLogger): ConfigSource {
  const current = parseConfig(text, origin, warnTo(log));
  return {
    current,
    origin,
    onChange: () => ({ [Symbol.dispose]: () => {} }),
    [Symbol.dispose]: () => {},
  };
}

/** Tuning of {@link WatchedConfigFile}. */
export interface WatchOptions {
  log?: Logger;
  /** Quiet time after the last event before re-reading (default 200 ms). */
  debounceMs?: number;
  /** Re-read this often regardless of events (default 10 s). */
  pollMs?: number;
  /** Told about each reload attempt that found a changed file. */
  onReload?: (ok: boolean) => void;
}

/** A configuration file, re-read when it changes. */
export class WatchedConfigFile implements ConfigSource {
  #current: DaemonConfig;
  #lastText: string;
  #listeners = new Set<(config: DaemonConfig) => void>();
  #watcher: Deno.FsWatcher | null = null;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #log: Logger;

  private constructor(
    readonly origin: string,
    text: string,
    config: DaemonConfig,
    private options: WatchOptions,
  ) {
    this.#lastText = text;
    this.#current = config;
    this.#log = options.log ?? silentLogger;
  }

  /**
   * Reads and validates `path`, then starts watching it.
   *
   * Requires `--allow-read` on the file's directory.
   *
   * @throws {ConfigError} when the file cannot be read or is invalid
   */
  static async open(path: string, options: WatchOptions = {}): Promise<WatchedConfigFile> {
    const text = await readConfigText(path);
    const config = parseConfig(text, path, warnTo(options.log ?? silentLogger));
    const source = new WatchedConfigFile(path, text, config, options);
    source.#watch();
    return source;
  }

  get current(): DaemonConfig {
    return this.#current;
  }

  onChange(listener: (config: DaemonConfig) => void): Disposable {
    this.#listeners.add(listener);
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) };
  }

  /** Re-reads the file now (also what events and the poll do). */
  async reload(): Promise<void> {
    let text: string;
    try {
      text = await readConfigText(this.origin);
    } catch (error) {
      // Mid-swap a ConfigMap mount can briefly lack the file; the next event or poll will see it.
      this.#log.warn("cannot read config file; keeping the last good config", { error });
      return;
    }
    if (text === this.#lastText) return;
    this.#lastText = text;
    let config: DaemonConfig;
    try {
      config = parseConfig(text, this.origin, warnTo(this.#log));
    } catch (error) {
      this.#log.error("invalid config file; keeping the last good config", { error });
      this.options.onReload?.(false);
      return;
    }
    this.options.onReload?.(true);
    if (sameConfig(config, this.#current)) return;
    this.#current = config;
    this.#log.info("config reloaded", {
      origin: this.origin,
      resources: [...config.resources, ...config.hostdevResources].map((r) => r.name),
      autoDiscover: config.autoDiscover,
    });
    for (const listener of [...this.#listeners]) listener(config);
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#debounce);
    clearInterval(this.#poll);
    this.#watcher?.close();
    this.#listeners.clear();
  }

  #watch(): void {
    const reload = () => void this.reload();
    this.#poll = setInterval(reload, this.options.pollMs ?? 10_000);
    try {
      this.#watcher = Deno.watchFs(dirname(this.origin), { recursive: false });
    } catch (error) {
      this.#log.warn("cannot watch the config directory; relying on polling", { error });
      return;
    }
    (async () => {
      for await (const _event of this.#watcher!) {
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(reload, this.options.debounceMs ?? 200);
      }
    })().catch((error) => this.#log.warn("config directory watch ended; relying on polling", { error }));
  }
}

/** Config warnings as log lines (level warn, so they stand out without stopping anything). */
function warnTo(log: Logger): (message: string) => void {
  return (message) => log.warn("config warning", { warning: message });
}

async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read config file "${path}": ${(error as Error).message}`);
  }
}
