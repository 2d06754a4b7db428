/**
 * Executes a CNI plugin the way a runtime does: a fresh environment holding only PATH and the CNI_*
 * variables of the request, the config on stdin, stdout/stderr/exit code captured.
 *
 * The runtime's own network namespace is a throwaway "node" netns: the plugin is started through
 * `nsenter --net=<node>` so that host links it looks up (macvlan's master, our macvtap's temp link) are
 * found there and nothing on the real machine is touched.
 *
 * Requires root, `--allow-run` (nsenter and the plugin) and `--allow-read`.
 *
 * @module
 */
import { runProgram } from "./run_program.ts";

/**
 * PATH handed to plugins, as a runtime's environment has one (Debian's plugins and the IPAM plugins ours
 * runs may exec programs by name); nothing else of the test process reaches a plugin.
 */
export const PLUGIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A plugin that has not answered after this long is killed and reported. */
export const PLUGIN_TIMEOUT_MS = 60_000;

/** One exec of a plugin. */
export interface PluginRequest {
  /** Absolute path of the plugin executable. */
  binary: string;
  /** The complete environment (CNI_* and anything the case adds); PATH is added unless given. */
  env: Record<string, string>;
  /** Bytes written to the plugin's stdin. */
  stdin: string;
  /** Path of the netns the plugin runs in (the node); omitted = the caller's own. */
  netnsPath?: string;
}

/** What the plugin did. */
export interface PluginRun {
  /** Exit code (a signal counts as 128 + number). */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or null when stdout is empty or not JSON. */
  json: unknown;
  /** The request, for failure messages. */
  request: PluginRequest;
}

/**
 * Runs the plugin once.
 *
 * @param request binary, environment, stdin and node netns
 * @returns exit code, output and the parsed stdout
 */
export async function execPlugin(request: PluginRequest): Promise<PluginRun> {
  const out = await runProgram(request.binary, [], {
    env: { PATH: PLUGIN_PATH, ...request.env },
    stdin: request.stdin,
    netnsPath: request.netnsPath,
    // A hung plugin is killed and shows up as exit 143 instead of stalling the suite.
    timeoutMs: PLUGIN_TIMEOUT_MS,
  });
  return {
    code: out.signal ? 128 + signalNumber(out.signal) : out.code,
    stdout: out.stdout,
    stderr: out.stderr,
    json: parseJsonOrNull(out.stdout),
    request,
  };
}

function parseJsonOrNull(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = { SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 };
  return numbers[signal] ?? 0;
}

/** A run rendered for an assertion message: exit code, env, stdin, stdout and stderr. */
export function describeRun(run: PluginRun): string {
  const env = Object.entries(run.request.env).map(([k, v]) => `${k}=${v}`).join(" ");
  return [
    `exit ${run.code}; env: ${env}`,
    `stdin: ${truncate(run.request.stdin)}`,
    `stdout: ${truncate(run.stdout) || "(empty)"}`,
    `stderr: ${truncate(run.stderr) || "(empty)"}`,
  ].join("\n  ");
}

function truncate(text: string, max = 1500): string {
  const flat = text.trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
