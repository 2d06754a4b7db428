/**
 * The one way to register a test that needs root (it makes network namespaces, drives the built plugin or
 * the daemon on the kernel), with its prerequisites checked before the body runs. Nothing passes
 * silently:
 *
 * - not root: the test is reported as ignored, its name saying why ({@link NEEDS_ROOT});
 * - a program it needs is missing (`ip` always: every such test makes netns with it): the test fails
 *   naming the Debian package that ships it, one of those tools/prepare.ts installs for `deno task test`;
 *   a build output is missing: the test fails saying to run `deno task build`;
 * - `skip`: where a suite allows a test to be left out on a machine that cannot run it at all (podman
 *   unable to run a container), the test is reported as ignored with the reason in its name.
 *
 * Requires `--allow-env` (PATH) and `--allow-read` (the programs) when it runs.
 *
 * @module
 */
import { DIST_DIR } from "../tools/build.ts";
import { isRoot, NEEDS_ROOT } from "./netns.ts";

/** What a root-gated test needs besides root. */
export interface Prerequisites {
  /**
   * Programs it runs: a name looked up on PATH (`ip`, `nsenter`), an absolute path of a Debian program
   * (`/usr/lib/cni/host-local`), or a build output under the repository's `dist/`.
   */
  programs?: readonly string[];
  /**
   * Deno's resource and op sanitizers (default on). Off only where a real child process or socket closes
   * asynchronously after the last step; what matters then (no netns, link, lease or process left) is
   * checked explicitly by the test and its fixtures.
   */
  sanitizers?: boolean;
  /** Why this machine cannot run the test at all, or null; only where the test's suite allows a skip. */
  skip?: string | null;
}

/** Which Debian package ships each program the tests run, by file name (all in tools/prepare.ts's lists). */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: "iproute2",
  nsenter: "util-linux",
  "host-local": "containernetworking-plugins",
  static: "containernetworking-plugins",
  dhcp: "containernetworking-plugins",
  macvlan: "containernetworking-plugins",
  dnsmasq: "dnsmasq-base",
  podman: "podman",
  runc: "runc",
  busybox: "busybox-static",
  python3: "python3",
  tcpdump: "tcpdump",
};

/** Every program a root-gated test needs whatever it declares. */
const ALWAYS: readonly string[] = ["ip"];

/**
 * Registers `fn` as a Deno test gated on root and on `prerequisites` (see the module doc).
 *
 * @param name the test name (a suffix says why when it is ignored)
 * @param fn the test body; it gets the test context for steps
 */
export function rootTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  prerequisites: Prerequisites = {},
): void {
  Deno.test(rootTestDefinition(name, fn, prerequisites, isRoot));
}

/** The Deno test {@link rootTest} registers, for a process that is root or not. */
export function rootTestDefinition(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  prerequisites: Prerequisites,
  root: boolean,
): Deno.TestDefinition {
  const programs = [...ALWAYS, ...(prerequisites.programs ?? [])];
  for (const program of programs) debianPackageOf(program); // an unknown program is a bug of the test
  const skip = root ? prerequisites.skip ?? null : NEEDS_ROOT;
  const sanitize = prerequisites.sanitizers ?? true;
  return {
    name: skip === null ? name : `${name} (${skip === NEEDS_ROOT ? skip : `skipped: ${skip}`})`,
    ignore: skip !== null,
    sanitizeResources: sanitize,
    sanitizeOps: sanitize,
    fn: async (t) => {
      requirePrograms(programs);
      await fn(t);
    },
  };
}

/**
 * Throws one error naming every missing program and what installs it (the Debian package, or
 * `deno task build` for a build output).
 */
export function requirePrograms(programs: readonly string[]): void {
  const missing = programs.filter((program) => findProgram(program) === null);
  if (missing.length === 0) return;
  const hints = missing.map((program) => {
    const pkg = debianPackageOf(program);
    return pkg === null ? `${program} (run \`deno task build\`)` : `${program} (apt-get install ${pkg})`;
  });
  throw new Error(`missing: ${hints.join(", ")}`);
}

/** The Debian package of `program`, null for a build output; throws for a program nobody listed. */
export function debianPackageOf(program: string): string | null {
  if (program.startsWith(`${DIST_DIR}/`)) return null;
  const pkg = PACKAGE_OF[program.slice(program.lastIndexOf("/") + 1)];
  if (pkg === undefined) {
    throw new Error(`no Debian package known for "${program}": add it to PACKAGE_OF in testing/root_gate.ts`);
  }
  return pkg;
}

/** The executable file `program` names (looked up on PATH when it has no slash), or null. */
export function findProgram(program: string): string | null {
  const candidates = program.includes("/")
    ? [program]
    : (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "").map((dir) => `${dir}/${program}`);
  return candidates.find(isExecutableFile) ?? null;
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}
