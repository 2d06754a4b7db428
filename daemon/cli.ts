/**
 * Command line and environment of `deno task daemon`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type ConfigSource, fixedConfig, WatchedConfigFile } from "./config_source.ts";
import { DEFAULT_PLUGIN_DIR, DEFAULT_POD_RESOURCES_SOCKET } from "./kubelet/api_types.ts";
import type { Logger, LogLevel } from "./log.ts";
import { type Metrics, parseListenAddress } from "./metrics.ts";

/** The variable holding the configuration when no `--config` is given (kubevirt/macvtap-cni's name). */
export const CONFIG_ENV = "DP_MACVTAP_CONF";

/** The link broker `deno task build` writes: a static executable (see README, "The link broker"). */
export const DEFAULT_BROKER = fileURLToPath(new URL("../dist/link-broker", import.meta.url));

/** Everything the command line decides. */
export interface CliOptions {
  help: boolean;
  version: boolean;
  configFile: string | null;
  pluginDir: string;
  podResourcesSocket: string;
  metricsAddress: { hostname: string; port: number } | null;
  broker: string;
  gcIntervalMs: number;
  gcGraceMs: number;
  logLevel: LogLevel;
}

/** `--help` text. */
export const USAGE = `Usage: deno task daemon [options]

kubelet device plugin advertising macvtap.network.kubevirt.io/<name> resources.

Configuration: ${CONFIG_ENV}='[{"name","lowerDevice","mode","capacity"}…]' ('[]' = auto-discovery),
or --config FILE (watched; a bad reload keeps the last good config).

Options:
  --config FILE                 configuration file (takes precedence over ${CONFIG_ENV})
  --plugin-dir DIR              kubelet device-plugins directory (default ${DEFAULT_PLUGIN_DIR})
  --pod-resources-socket PATH   kubelet pod-resources socket (default ${DEFAULT_POD_RESOURCES_SOCKET})
  --metrics HOST:PORT           serve /metrics and /healthz there (default: off)
  --broker PATH                 link broker program, run without arguments (default ${DEFAULT_BROKER})
  --gc-interval DURATION        stale temp link collection period, 0 = off (default 60s)
  --gc-grace DURATION           never collect temp links younger than this (default 2m)
  --log-level LEVEL             debug, info, warn or error (default info)
  --version                     print the version and exit
  --help                        show this text
Durations: 500ms, 30s, 2m (a bare number means seconds).`;

const LOG_LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

/** Parses `500ms`, `30s`, `2m` or a bare number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`Cannot use ${flag} "${text}": expected a duration such as 500ms, 30s or 2m`);
  const scale = { ms: 1, s: 1000, m: 60_000 }[match[2] as "ms" | "s" | "m" ?? "s"];
  return Math.round(Number(match[1]) * scale);
}

/**
 * Parses the daemon's arguments.
 *
 * @throws Error naming the bad flag
 */
export function parseCli(args: string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      help: { type: "boolean", default: false },
      version: { type: "boolean", default: false },
      config: { type: "string" },
      "plugin-dir": { type: "string", default: DEFAULT_PLUGIN_DIR },
      "pod-resources-socket": { type: "string", default: DEFAULT_POD_RESOURCES_SOCKET },
      metrics: { type: "string" },
      broker: { type: "string", default: DEFAULT_BROKER },
      "gc-interval": { type: "string", default: "60s" },
      "gc-grace": { type: "string", default: "2m" },
      "log-level": { type: "string", default: "info" },
    },
  });
  if (positionals.length > 0) {
    throw new Error(`Cannot use argument "${positionals[0]}": the daemon takes only options`);
  }
  const logLevel = values["log-level"] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`Cannot use --log-level "${logLevel}": expected ${LOG_LEVELS.join(", ")}`);
  }
  return {
    help: values.help!,
    version: values.version!,
    configFile: values.config ?? null,
    pluginDir: values["plugin-dir"]!.replace(/\/+$/, ""),
    podResourcesSocket: values["pod-resources-socket"]!,
    metricsAddress: values.metrics === undefined ? null : parseListenAddress(values.metrics),
    broker: values.broker!,
    gcIntervalMs: parseDuration(values["gc-interval"]!, "--gc-interval"),
    gcGraceMs: parseDuration(values["gc-grace"]!, "--gc-grace"),
    logLevel,
  };
}

/**
 * Opens the configuration: `--config FILE` (watched) or else `DP_MACVTAP_CONF`.
 *
 * Requires `--allow-read` on the file's directory or `--allow-env=DP_MACVTAP_CONF`.
 *
 * @throws {import("./config.ts").ConfigError} when there is none or it is invalid
 */
export async function openConfig(options: CliOptions, log: Logger, metrics: Metrics): Promise<ConfigSource> {
  const env = Deno.env.get(CONFIG_ENV);
  if (options.configFile) {
    if (env !== undefined) log.info(`--config given; ignoring ${CONFIG_ENV}`, { config: options.configFile });
    for (const result of ["ok", "error"]) metrics.inc("macvtap_dp_config_reloads_total", { result }, 0);
    return await WatchedConfigFile.open(options.configFile, {
      log,
      onReload: (ok) => metrics.inc("macvtap_dp_config_reloads_total", { result: ok ? "ok" : "error" }),
    });
  }
  if (env === undefined) throw new Error(`No configuration: set ${CONFIG_ENV} or pass --config FILE`);
  return fixedConfig(env, CONFIG_ENV, log);
}
