/**
 * TEST HELPER: running the node image with podman on this machine.
 *
 * Podman as root asks the OCI runtime for RLIMIT_NOFILE 1048576 (and a large RLIMIT_NPROC) unless told
 * otherwise; raising a limit needs CAP_SYS_RESOURCE, which a machine that is itself a container may lack
 * (this one does), and then every `podman run` fails with "error setting rlimits". So every run here
 * names limits below the current ones.
 *
 * @module
 */

/** A limit podman may set without raising anything: well below this process's hard limits. */
function safeLimit(name: "Max open files" | "Max processes", wanted: number): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const hard = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, "m").exec(limits)?.[1];
  const bound = hard === undefined || hard === "unlimited" ? wanted : Math.floor(Number(hard) / 2);
  return Math.min(wanted, bound);
}

/** `podman run --rm` of `reference` with `options`, then `command`, within the machine's limits. */
export function podmanRunArgs(reference: string, options: string[], command: string[]): string[] {
  const files = safeLimit("Max open files", 4096);
  const processes = safeLimit("Max processes", 4096);
  return [
    "run",
    "--rm",
    `--ulimit=nofile=${files}:${files}`,
    `--ulimit=nproc=${processes}:${processes}`,
    ...options,
    reference,
    ...command,
  ];
}

/** The one-file image that tells whether podman can run anything here. */
const PROBE_IMAGE = "localhost/macvtap-podman-probe:busybox";

async function podman(args: string[], stdin?: Uint8Array): Promise<{ ok: boolean; text: string }> {
  try {
    const child = new Deno.Command("podman", {
      args,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin) {
      const writer = child.stdin.getWriter();
      await writer.write(stdin);
      await writer.close();
    }
    const out = await child.output();
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
    return { ok: out.success, text };
  } catch (error) {
    return { ok: false, text: (error as Error).message };
  }
}

/** A tar of one file, `/busybox` (mode 0755), in ustar format. */
function busyboxTar(binary: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  put("busybox", 0);
  put(octal(0o755, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(binary.length, 12), 124);
  put(octal(0, 12), 136);
  put("        ", 148);
  put("0", 156);
  put("ustar\x0000", 257);
  const sum = header.reduce((total, byte) => total + byte, 0);
  put(octal(sum, 7) + " ", 148);
  const padded = Math.ceil(binary.length / 512) * 512;
  const tar = new Uint8Array(512 + padded + 1024);
  tar.set(header, 0);
  tar.set(binary, 512);
  return tar;
}

/**
 * Why podman cannot run containers here, or null when it can: a one-file busybox image (Debian's
 * busybox-static) imported and run with the limits above.
 */
export async function podmanSkipReason(): Promise<string | null> {
  const version = await podman(["--version"]);
  if (!version.ok) return `podman is not usable here: ${version.text}`;
  const busybox = await Deno.readFile("/bin/busybox").catch(() => null);
  if (!busybox) return "no /bin/busybox (Debian busybox-static) to make the probe image from";
  if (!(await podman(["image", "exists", PROBE_IMAGE])).ok) {
    const imported = await podman(["import", "--quiet", "-", PROBE_IMAGE], busyboxTar(busybox));
    if (!imported.ok) return `podman cannot import an image here: ${imported.text}`;
  }
  const run = await podman(podmanRunArgs(PROBE_IMAGE, ["--network=none"], ["/busybox", "true"]));
  return run.ok ? null : `podman cannot run containers here: ${run.text}`;
}
