/**
 * This project's macvtap CNI as `deno task build` installs it (dist/cni/macvtap). Each attachment gets
 * the node-side macvtap the device plugin's Allocate would create: `mvt` + xxh64(deviceID) on the lower
 * link, with a unique ifindex so its /dev/tapN cannot collide with another test's.
 *
 * Set MACVTAP_CNI_DIR to test another copy (e.g. an installed /opt/cni/bin).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { addVethLower, type PluginProfile } from "../harness/profile.ts";
import { tempLinkName } from "../../daemon/macvtap/temp_link_name.ts";

const DIST_DIR = fileURLToPath(new URL("../../dist/cni", import.meta.url));
const BIN_DIR = Deno.env.get("MACVTAP_CNI_DIR") ?? DIST_DIR;

/** The deviceID the profile allocates for the index-th attachment of a node. */
export function deviceIdFor(index: number): string {
  return `confMvp${index}`;
}

/** The macvtap profile. */
export const macvtapProfile: PluginProfile = {
  id: "macvtap",
  description: "this project's macvtap CNI (dist/cni/macvtap, built by `deno task build`)",
  binDir: BIN_DIR,
  type: "macvtap",
  versions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  features: {
    gcStatus: true,
    runtimeConfigMac: true,
    argsMac: true,
    libcniCapabilities: ["mac", "deviceID"],
    ipam: false,
  },
  knownDeviations: {},
  missing: () => {
    try {
      if (Deno.statSync(`${BIN_DIR}/macvtap`).isFile) return null;
    } catch {
      // reported below
    }
    return BIN_DIR === DIST_DIR
      ? `${DIST_DIR}/macvtap does not exist: run \`deno task build\` first (the macvtap profile tests the built plugin)`
      : `MACVTAP_CNI_DIR=${BIN_DIR} holds no macvtap executable`;
  },
  prepareNode: async (node, workDir) => ({ node, lower: await addVethLower(node), workDir }),
  netconf: (version) => ({ cniVersion: version, name: "conformance", type: "macvtap" }),
  prepareAttachment: async (ctx, index) => {
    const deviceID = deviceIdFor(index);
    await ctx.node.addMacvtap(tempLinkName(deviceID), ctx.lower);
    return { deviceID };
  },
};
