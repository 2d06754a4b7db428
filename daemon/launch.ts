/**
 * `deno task daemon`: runs daemon/main.ts in the sandbox its own command line calls for.
 *
 * Deno permissions are fixed when a process starts, and the daemon's depend on its flags (`--plugin-dir`,
 * `--pod-resources-socket`, `--config`, `--metrics`, `--broker`), so this launcher parses them, derives the
 * permission flags (daemon/sandbox.ts) and runs `deno run <flags> daemon/main.ts <the same args>`, then
 * stays as its parent: it forwards SIGTERM/SIGINT/SIGHUP and exits with the daemon's status (128 + signal
 * number when a signal ended it), so it can be a container's PID 1.
 *
 * Requires only `--allow-run=deno`: it reads, writes, connects to and looks up nothing. The `deno` it runs
 * is the one on the PATH (a run permission names a program, and this process cannot learn its own binary's
 * path in a form the permission would match); it refuses to go on when that one is not the Deno running
 * the launcher.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseCli, USAGE } from "./cli.ts";
import { DAEMON_RUNTIME_FLAGS, daemonPermissionFlags, sandboxPathsOf } from "./sandbox.ts";
import { VERSION } from "./version.ts";

/** The daemon's entry point. */
export const DAEMON_MAIN: string = fileURLToPath(new URL("./main.ts", import.meta.url));

/** The repository's deno.json (the npm packages resolve through it, whatever the working directory). */
export const DENO_CONFIG: string = fileURLToPath(new URL("../deno.json", import.meta.url));

/** The program the launcher runs: found on the PATH, checked against {@link Deno.version}. */
export const DENO_PROGRAM = "deno";

/** Signals passed on to the daemon. */
const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * The `deno` arguments that run the daemon with `args`, sandboxed for them.
 *
 * @param cwd the working directory relative paths in `args` are taken from
 * @throws Error naming the bad flag (from parseCli)
 */
export function daemonRunArgs(args: string[], cwd: string): string[] {
  const paths = sandboxPathsOf(parseCli(args), cwd);
  return [
    "run",
    ...DAEMON_RUNTIME_FLAGS,
    ...daemonPermissionFlags(paths),
    `--config=${DENO_CONFIG}`,
    DAEMON_MAIN,
    ...args,
  ];
}

/** Refuses a `deno` on the PATH that is another version than the one running this launcher. */
async function checkDenoOnPath(): Promise<void> {
  const out = await new Deno.Command(DENO_PROGRAM, { args: ["--version"], stdout: "piped", stderr: "null" })
    .output();
  const found = /^deno (\S+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "none";
  if (!out.success || found !== Deno.version.deno) {
    throw new Error(
      `Cannot run the daemon: the deno on the PATH is version ${found}, this launcher runs on ` +
        `${Deno.version.deno}; put the same deno first on the PATH`,
    );
  }
}

/** Runs the sandboxed daemon as a child and waits for it; returns the exit code to leave with. */
async function launch(args: string[]): Promise<number> {
  let runArgs: string[];
  try {
    const options = parseCli(args);
    if (options.help || options.version) {
      console.log(options.help ? USAGE : `macvtap device plugin ${VERSION}`);
      return 0;
    }
    runArgs = daemonRunArgs(args, Deno.cwd());
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  await checkDenoOnPath();
  const child = new Deno.Command(DENO_PROGRAM, { args: runArgs, stdin: "null" }).spawn();
  for (const signal of FORWARDED_SIGNALS) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // Already gone: its status is on its way.
      }
    });
  }
  const status = await child.status;
  return status.signal === null ? status.code : 128 + signalNumber(status.signal);
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await launch(Deno.args));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
