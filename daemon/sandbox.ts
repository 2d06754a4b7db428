/**
 * The daemon's sandbox, as Deno permission flags: what the process serving the kubelet may touch.
 *
 * - read: `proto/` (loaded at start), the device-plugins directory (watched), the pod-resources socket, the
 *   config file's directory (watched: ConfigMap symlink swaps happen there);
 * - write: the device-plugins directory (plugin sockets are created, renamed and removed there) and the
 *   pod-resources socket (connecting needs it);
 * - net: exactly three unix sockets — `kubelet.sock`, the one bind path of {@link SocketBinder} and the
 *   pod-resources socket — plus the metrics address when one is given;
 * - env: `GRPC_*` (read by grpc-js at import) and `DP_MACVTAP_CONF`;
 * - run: the link broker, nothing else.
 *
 * No ffi, no sys, no /sys or /proc (Deno would demand --allow-all), no other program: everything that
 * touches links goes through the broker. The set is derived from the daemon's own command line
 * ({@link sandboxPathsOf}): `deno task daemon` runs daemon/launch.ts, which computes these flags and runs
 * daemon/main.ts under them, so every documented flag works and nothing else is granted.
 * `daemon/sandbox_test.ts` proves the refusals.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliOptions, CONFIG_ENV } from "./cli.ts";
import { BIND_SOCKET_NAME, KUBELET_SOCKET_NAME } from "./kubelet/api_types.ts";

/** The repository's proto/ directory. */
export const PROTO_DIR: string = fileURLToPath(new URL("../proto", import.meta.url));

/** Paths the sandbox is cut to. */
export interface SandboxPaths {
  pluginDir: string;
  podResourcesSocket: string;
  /** The config file, when `--config` is used. */
  configFile?: string | null;
  broker: string;
  /** `HOST:PORT` of --metrics, if used. */
  metrics?: string | null;
}

/** A listen address as a Deno net permission: `host:port`, an IPv6 host in brackets. */
export function netPermission(address: { hostname: string; port: number }): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * The paths a parsed command line points at, made absolute against `cwd` (a relative `--config x.json`
 * must not turn into read access to ".", wherever the permission is resolved).
 */
export function sandboxPathsOf(options: CliOptions, cwd: string): SandboxPaths {
  return {
    pluginDir: resolve(cwd, options.pluginDir),
    podResourcesSocket: resolve(cwd, options.podResourcesSocket),
    configFile: options.configFile === null ? null : resolve(cwd, options.configFile),
    // A bare name is looked up on the PATH, by the daemon and by Deno's run permission alike.
    broker: options.broker.includes("/") ? resolve(cwd, options.broker) : options.broker,
    metrics: options.metricsAddress ? netPermission(options.metricsAddress) : null,
  };
}

/** The permissions of the daemon process, by Deno permission name. */
export function daemonPermissions(
  paths: SandboxPaths,
): Record<"read" | "write" | "net" | "env" | "run", string[]> {
  const read = [PROTO_DIR, paths.pluginDir, paths.podResourcesSocket];
  if (paths.configFile) read.push(dirname(paths.configFile));
  const net = [
    `unix:${paths.pluginDir}/${KUBELET_SOCKET_NAME}`,
    `unix:${paths.pluginDir}/${BIND_SOCKET_NAME}`,
    `unix:${paths.podResourcesSocket}`,
  ];
  if (paths.metrics) net.push(paths.metrics);
  return {
    read,
    write: [paths.pluginDir, paths.podResourcesSocket],
    net,
    env: ["GRPC_*", CONFIG_ENV],
    run: [paths.broker],
  };
}

/**
 * Runtime flags of the daemon process besides permissions. A young generation capped at 1 MiB and V8's
 * optimize-for-size mode keep RSS near 85 MiB under sustained Allocate load (6000 Allocates: 73 → 85 MiB
 * after the first 1000, then flat); with the semi-space cap alone it climbs to ~113 MiB, with V8's defaults
 * to ~200 MiB. The JS heap in use stays 13-20 MiB either way: this is heap sizing, not a leak.
 */
export const DAEMON_RUNTIME_FLAGS = ["--v8-flags=--max-semi-space-size=1,--optimize-for-size"];

/** {@link daemonPermissions} as `deno run` flags (plus `--no-prompt`, so a missing grant fails instead of asking). */
export function daemonPermissionFlags(paths: SandboxPaths): string[] {
  const permissions = daemonPermissions(paths);
  return [
    "--no-prompt",
    ...Object.entries(permissions).map(([name, list]) => `--allow-${name}=${list.join(",")}`),
  ];
}
