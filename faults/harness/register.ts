/**
 * Registers a fault-injection test: root-gated (it creates network namespaces), and failing with a clear
 * message, never skipping, when the build it drives is missing.
 *
 * Resource and op sanitizers are off: the daemon's pipes, grpc-js sockets and the kubelet double's timers
 * close asynchronously after a test's last step. What matters here is checked explicitly instead — no
 * netns, link, /dev/tapN, lease or process left — by each test and the fixtures' disposers.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { isRoot, NEEDS_ROOT } from "../../testing/netns.ts";

const BUILT = ["dist/cni/macvtap", "dist/link-broker"].map((path) =>
  fileURLToPath(new URL(`../../${path}`, import.meta.url))
);

/** Deno.test with the root gate, the build check and sanitizers off (see the module doc). */
export function faultTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: isRoot ? name : `${name} (${NEEDS_ROOT})`,
    ignore: !isRoot,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const missing = BUILT.filter((path) => !isFile(path));
      if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run \`deno task build\``);
      await fn();
    },
  });
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
