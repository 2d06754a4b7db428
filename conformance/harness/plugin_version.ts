/**
 * Asking a plugin which spec versions it speaks, as libcni does.
 *
 * Requires `--allow-run` (the plugin).
 *
 * @module
 */
import { execPlugin, type PluginRun } from "../../testing/plugin_exec.ts";

/**
 * VERSION exactly as libcni's GetVersionInfo sends it: dummy NETNS/IFNAME/PATH, no CNI_CONTAINERID, a
 * config holding only `cniVersion`.
 */
export function probeVersion(binary: string, cniVersion: string): Promise<PluginRun> {
  return execPlugin({
    binary,
    env: { CNI_COMMAND: "VERSION", CNI_NETNS: "dummy", CNI_IFNAME: "dummy", CNI_PATH: "dummy" },
    stdin: JSON.stringify({ cniVersion }),
  });
}

/** The supportedVersions of a VERSION answer, or null when the answer has no list of strings. */
export function supportedVersionsOf(run: PluginRun): string[] | null {
  if (run.code !== 0) return null;
  const list = (run.json as { supportedVersions?: unknown } | null)?.supportedVersions;
  return Array.isArray(list) && list.every((v) => typeof v === "string") ? list : null;
}
