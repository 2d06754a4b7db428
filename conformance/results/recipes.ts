/**
 * How each plugin in this folder was run: the command line's arguments, from the files next to this one.
 * record.ts replays them to refresh the recorded tables; cli_test.ts runs them (at fewer versions) to
 * prove the command line works on plugins nobody here wrote.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DEBIAN_CNI = "/usr/lib/cni";
const OUR_PLUGIN = fileURLToPath(new URL("../../dist/cni/macvtap", import.meta.url));

/** One plugin's run. */
export interface Recipe {
  /** Folder name under results/. */
  name: string;
  plugin: string;
  /** The command line's arguments besides --report/--junit/--versions. */
  args: string[];
  /** --versions of the recorded run; absent = all the plugin's VERSION lists. */
  versions?: string;
}

/** A recipe from the files of results/<name>/: config.json, deviations.json. */
function recipe(name: string, plugin: string, extra: string[] = [], versions?: string): Recipe {
  const args = ["--plugin", plugin, "--config", `${HERE}${name}/config.json`];
  return {
    name,
    plugin,
    args: [...args, "--deviations", `${HERE}${name}/deviations.json`, ...extra],
    versions,
  };
}

const OUR_CNI_PATH = `${fileURLToPath(new URL("../../dist/cni", import.meta.url))}:${DEBIAN_CNI}`;
const OUR_NODE_SETUP = ["--node-setup", `${HERE}macvtap/node_setup.sh`];

/** The plugins recorded here, Debian's (containernetworking-plugins 1.1.1) first. */
export const RECIPES: Record<string, Recipe> = {
  bridge: recipe("bridge", `${DEBIAN_CNI}/bridge`, ["--ipam"]),
  ptp: recipe("ptp", `${DEBIAN_CNI}/ptp`, ["--ipam"]),
  macvlan: recipe("macvlan", `${DEBIAN_CNI}/macvlan`, ["--ipam"]),
  "host-device": recipe("host-device", `${DEBIAN_CNI}/host-device`, [
    "--ipam",
    "--node-setup",
    `${HERE}host-device/node_setup.sh`,
  ]),
  macvtap: recipe("macvtap", OUR_PLUGIN, ["--cni-path", OUR_CNI_PATH, ...OUR_NODE_SETUP]),
  // Debian's host-local speaks up to 1.0.0, and a plugin must pass its delegate's errors on.
  "macvtap-ipam": recipe(
    "macvtap-ipam",
    OUR_PLUGIN,
    ["--ipam", "--cni-path", OUR_CNI_PATH, ...OUR_NODE_SETUP],
    "0.1.0,0.2.0,0.3.0,0.3.1,0.4.0,1.0.0",
  ),
};

/** The command line's entry point. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
