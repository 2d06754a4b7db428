/**
 * Registers an integration test: root-gated (it creates network namespaces), and failing with a clear
 * message, never skipping, when the built plugin or a Debian peer it drives is missing.
 *
 * @module
 */
import { isRoot, NEEDS_ROOT } from "../../testing/netns.ts";
import { CNI_DIST_DIR } from "../../testing/test_node.ts";

/** What a test needs on the machine besides the built plugin: absolute paths of executables. */
export interface Needs {
  programs?: readonly string[];
}

/** Which Debian package ships each program the tests use (for the failure message). */
const PACKAGE_OF: Record<string, string> = {
  "/usr/lib/cni/host-local": "containernetworking-plugins",
  "/usr/lib/cni/static": "containernetworking-plugins",
  "/usr/lib/cni/dhcp": "containernetworking-plugins",
  "/usr/sbin/dnsmasq": "dnsmasq-base",
  "/usr/bin/podman": "podman",
  "/usr/sbin/runc": "runc",
  "/bin/busybox": "busybox-static",
  "/usr/bin/python3": "python3",
};

/** Deno.test with the root gate and the prerequisite check. */
export function integrationTest(name: string, fn: () => Promise<void>, needs: Needs = {}): void {
  Deno.test({
    name: isRoot ? name : `${name} (${NEEDS_ROOT})`,
    ignore: !isRoot,
    fn: async () => {
      requirePrograms([`${CNI_DIST_DIR}/macvtap`, ...(needs.programs ?? [])]);
      await fn();
    },
  });
}

function requirePrograms(paths: readonly string[]): void {
  const missing = paths.filter((path) => !isFile(path));
  if (missing.length === 0) return;
  const hints = missing.map((path) => {
    if (path.startsWith(CNI_DIST_DIR)) return `${path} (run \`deno task build\`)`;
    return `${path} (apt-get install ${PACKAGE_OF[path] ?? "?"})`;
  });
  throw new Error(`missing: ${hints.join(", ")}`);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
