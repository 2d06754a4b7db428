/**
 * Debian's reference macvlan plugin with host-local IPAM (package containernetworking-plugins 1.1.1,
 * built on libcni 1.1.2, spec <= 1.0.0). It proves the generic cases are plugin-neutral: a case that fails
 * here is either a real deviation of the reference plugin (listed below, with the reason) or a bug in the
 * suite.
 *
 * @module
 */
import { addVethLower, type PluginProfile } from "../harness/profile.ts";

const BIN_DIR = "/usr/lib/cni";

function isExecutable(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The Debian macvlan + host-local profile. */
export const debianMacvlan: PluginProfile = {
  id: "debian-macvlan",
  description: "Debian containernetworking-plugins macvlan + host-local (/usr/lib/cni)",
  binDir: BIN_DIR,
  type: "macvlan",
  // 0.1.0/0.2.0 results have no interfaces list, which most cases are about.
  versions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0"],
  features: {
    gcStatus: false,
    runtimeConfigMac: true,
    argsMac: true,
    libcniCapabilities: ["mac"],
    ipam: true,
  },
  knownDeviations: {
    "VERSION-echo": {
      reason:
        "libcni skel 1.1.2 answers VERSION with its own newest version (1.0.0) whatever cniVersion it got",
      versions: ["0.3.0", "0.3.1", "0.4.0"],
    },
    "ERR-version": { reason: "libcni skel 1.1.2 prints error JSON without a cniVersion field" },
    "ADD-prevresult": { reason: "macvlan 1.1.1 ignores prevResult on ADD and prints only its own result" },
    "ENV-ifname-pattern": {
      reason:
        "macvlan 1.1.1 creates its link as net%d, which the kernel names net0, then fails with code 999 " +
        "looking up net%d and leaves net0 in the pod (skel 1.1.2 does not refuse %)",
    },
  },
  missing: () =>
    isExecutable(`${BIN_DIR}/macvlan`) && isExecutable(`${BIN_DIR}/host-local`)
      ? null
      : `${BIN_DIR}/macvlan or host-local is missing: apt-get install containernetworking-plugins`,
  prepareNode: async (node, workDir) => ({ node, lower: await addVethLower(node), workDir }),
  netconf: (version, ctx) => ({
    cniVersion: version,
    name: "conformance",
    type: "macvlan",
    master: ctx.lower,
    mode: "bridge",
    ipam: { type: "host-local", subnet: "10.250.0.0/16", dataDir: `${ctx.workDir}/ipam` },
  }),
  prepareAttachment: () => Promise.resolve({}),
};
