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
}

function recipe(name: string, plugin: string, extra: string[] = []): Recipe {
  return {
    name,
    plugin,
    args: [
      "--plugin",
      plugin,
      "--config",
      `${HERE}${name}/config.json`,
      "--deviations",
      `${HERE}${name}/deviations.json`,
      "--ipam",
      ...extra,
    ],
  };
}

/** The plugins recorded here, Debian's (containernetworking-plugins 1.1.1) first. */
export const RECIPES: Record<string, Recipe> = {
  bridge: recipe("bridge", `${DEBIAN_CNI}/bridge`),
  ptp: recipe("ptp", `${DEBIAN_CNI}/ptp`),
  macvlan: recipe("macvlan", `${DEBIAN_CNI}/macvlan`),
  "host-device": recipe("host-device", `${DEBIAN_CNI}/host-device`, [
    "--node-setup",
    `${HERE}host-device/node_setup.sh`,
  ]),
  macvtap: recipe("macvtap", OUR_PLUGIN, [
    "--cni-path",
    `${fileURLToPath(new URL("../../dist/cni", import.meta.url))}:${DEBIAN_CNI}`,
    "--node-setup",
    `${HERE}macvtap/node_setup.sh`,
  ]),
};

/** The command line's entry point. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
