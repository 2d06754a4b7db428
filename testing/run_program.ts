/**
 * The tests' process runner: a program run to its end as a runtime runs a CNI plugin — exactly the given
 * environment (as under `env -i`), bytes on stdin, optionally inside a network namespace, with a bound
 * that turns a hang into a reported kill — and what it printed and returned.
 *
 * Requires `--allow-run` (the program, and nsenter for `netnsPath`).
 *
 * @module
 */

/** How {@link runProgram} runs a program. */
export interface RunOptions {
  /** The whole environment: the program starts with exactly this (default none at all). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (default: closed at once). */
  stdin?: string;
  /** Working directory (default this process's). */
  cwd?: string;
  /** Path of a network namespace to run in (`nsenter --net=<path> -- program args`). */
  netnsPath?: string;
  /** SIGTERM after this long (default never): the run then reports the signal. */
  timeoutMs?: number;
}

/** What a program did. */
export interface ProgramRun {
  /** Exit code, as Deno reports it. */
  code: number;
  /** The signal that ended it, or null. */
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

const NSENTER = "/usr/bin/nsenter";

/**
 * Runs `program` with `args` to its end.
 *
 * @returns exit code or signal, stdout and stderr
 */
export async function runProgram(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<ProgramRun> {
  const [command, commandArgs] = options.netnsPath === undefined
    ? [program, args]
    : [NSENTER, [`--net=${options.netnsPath}`, "--", program, ...args]];
  const watchdog = new AbortController();
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => watchdog.abort(), options.timeoutMs);
  const child = new Deno.Command(command, {
    args: commandArgs,
    cwd: options.cwd,
    env: options.env ?? {},
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: watchdog.signal,
  }).spawn();
  let out: Deno.CommandOutput;
  try {
    const writer = child.stdin.getWriter();
    // A program that exits without reading its stdin (a plugin's VERSION) closes the pipe: not a failure.
    await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
    await writer.close().catch(() => {});
    out = await child.output();
  } finally {
    clearTimeout(timer);
  }
  const decoder = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** SIGTERM to a long-running child a test started (ignored when it already exited), then reaps it. */
export async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited: nothing to stop
  }
  await child.status;
}
