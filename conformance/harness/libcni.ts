/**
 * The real-libcni runtime peer: builds conformance/libcni_driver (Go, GOPATH mode, offline, against
 * Debian's golang-github-appc-cni-dev) into `.cache/conformance/` and runs it in a node netns.
 *
 * The binary's name carries a hash of the driver source and the Go version, so it is rebuilt only when
 * either changes.
 *
 * Requires `--allow-run` (go, nsenter), `--allow-read` and `--allow-write` of the repository's .cache.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { TestNetns } from "../../testing/netns.ts";
import { PLUGIN_PATH } from "../../testing/plugin_exec.ts";

const DRIVER_DIR = fileURLToPath(new URL("../libcni_driver", import.meta.url));
const CACHE_DIR = fileURLToPath(new URL("../../.cache/conformance", import.meta.url));
/** Where Debian's golang-github-appc-cni-dev puts libcni (GOPATH layout). */
const DEBIAN_GOPATH = "/usr/share/gocode";
const LIBCNI_SOURCE = `${DEBIAN_GOPATH}/src/github.com/containernetworking/cni/libcni/api.go`;

/** One request to the driver (see libcni_driver/main.go). */
export interface DriverRequest {
  op: "version" | "validate" | "add" | "check" | "del" | "cached";
  pluginDirs: string[];
  cacheDir: string;
  pluginType?: string;
  conflist?: Record<string, unknown>;
  containerID?: string;
  netns?: string;
  ifname?: string;
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

/** The driver's answer. */
export interface DriverResponse {
  ok: boolean;
  result?: Record<string, unknown>;
  supportedVersions?: string[];
  capabilities?: string[];
  error?: { code: number; msg: string; details?: string };
}

/** Null when the driver can be built here, else which Debian package is missing. */
export function libcniMissing(): string | null {
  for (
    const [path, pkg] of [["/usr/bin/go", "golang-go"], [
      LIBCNI_SOURCE,
      "golang-github-appc-cni-dev",
    ]] as const
  ) {
    try {
      Deno.statSync(path);
    } catch {
      return `${path} is missing: apt-get install ${pkg}`;
    }
  }
  return null;
}

let built: Promise<string> | null = null;

/** Path of the driver binary, building it on first use in this isolate (and only if its inputs changed). */
export function ensureDriver(): Promise<string> {
  return built ??= buildDriver();
}

async function buildDriver(): Promise<string> {
  const goVersion = await output("/usr/bin/go", ["version"]);
  // The driver's source, the compiler and the libcni it links: a change to any of them rebuilds.
  const inputs = [
    await Deno.readFile(`${DRIVER_DIR}/main.go`),
    encode(goVersion),
    await Deno.readFile(LIBCNI_SOURCE),
  ];
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(inputs.flatMap((bytes) => [...bytes])));
  const hash = [...new Uint8Array(digest)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
  const binary = `${CACHE_DIR}/libcni-driver-${hash}`;
  if (await exists(binary)) return binary;
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  // GOPATH mode against the Debian sources: no module download, no go.sum, works offline.
  // A temp name of this process: concurrent runs (the CLI tests start several) may build at once.
  const temp = `${binary}.${Deno.pid}.tmp`;
  await output("/usr/bin/go", ["build", "-o", temp, "."], {
    PATH: "/usr/bin:/bin",
    HOME: CACHE_DIR,
    GO111MODULE: "off",
    GOPATH: DEBIAN_GOPATH,
    GOPROXY: "off",
    GOFLAGS: "",
    GOCACHE: `${CACHE_DIR}/gocache`,
  });
  await Deno.rename(temp, binary);
  return binary;
}

/**
 * Runs one driver request inside `node` (the plugins libcni execs inherit that netns).
 *
 * @returns the driver's response; throws when the driver itself could not answer
 */
export async function runDriver(node: TestNetns, request: DriverRequest): Promise<DriverResponse> {
  const driver = await ensureDriver();
  const text = await output(
    "/usr/bin/nsenter",
    [`--net=${node.path}`, "--", driver],
    { PATH: PLUGIN_PATH },
    request,
  );
  return JSON.parse(text) as DriverResponse;
}

async function output(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
  stdin?: unknown,
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: DRIVER_DIR,
    env,
    clearEnv: env !== undefined,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(encode(JSON.stringify(stdin)));
    await writer.close();
  }
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
