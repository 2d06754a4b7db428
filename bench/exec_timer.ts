/**
 * Runs programs as a container runtime runs a CNI plugin and times them from outside: bench/exec_timer.c,
 * built here with `gcc -static` (a build dependency, see tools/prepare.ts) and started once, optionally
 * entered into a netns (the runtime's, i.e. the bench's node). Each job's figures come from the kernel:
 * spawn-to-reap time, and wait4()'s peak RSS and CPU time of that one child.
 *
 * Requires root for a netns, `--allow-run` (gcc, nsenter, the timer), `--allow-read`, `--allow-write`
 * (a temp dir for the timer).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./exec_timer.c", import.meta.url));
const NSENTER = "/usr/bin/nsenter";
/** PATH handed to the programs, as conformance/harness/runner.ts gives plugins. */
export const EXEC_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** One program to run: argv[0] is an absolute path; env is its whole environment. */
export interface Job {
  argv: string[];
  env: Record<string, string>;
  stdin?: string;
}

/** What the kernel said about one job. */
export interface JobRun {
  /** Spawn to reaping, milliseconds. */
  ms: number;
  /** Exit code (128 + signal when killed). */
  code: number;
  /** wait4()'s ru_maxrss of the child, KiB. */
  maxrssKiB: number;
  userMs: number;
  sysMs: number;
  stdout: string;
  stderr: string;
}

/** A request's answer: its wall time and every job that ran. */
export interface Batch {
  wallMs: number;
  runs: JobRun[];
}

const MODES = { sequence: 0, parallel: 1 } as const;
const RUN_FIELDS = 7;

/** One run as the timer reports it: ns, exit code, max RSS (KiB), user µs, system µs, stdout and stderr bytes. */
type RunFields = [number, number, number, number, number, number, number];

/** Builds the timer into `dir`; returns its path. */
async function buildTimer(dir: string): Promise<string> {
  const binary = `${dir}/exec_timer`;
  const args = ["-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", binary, SOURCE];
  const out = await new Deno.Command("gcc", { args, stderr: "piped" }).output().catch((error) => {
    throw new Error(`Cannot run gcc to build ${SOURCE}: ${error.message} (install Debian "gcc")`);
  });
  if (!out.success) {
    throw new Error(`gcc could not build ${SOURCE}:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return binary;
}

function encodeRequest(mode: keyof typeof MODES, jobs: Job[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [new Uint8Array(new Uint32Array([MODES[mode], jobs.length]).buffer)];
  for (const job of jobs) {
    const env = Object.entries(job.env).map(([key, value]) => `${key}=${value}`);
    const strings = encoder.encode([...job.argv, ...env].map((s) => `${s}\0`).join(""));
    const stdin = encoder.encode(job.stdin ?? "");
    const head = new Uint32Array([job.argv.length, env.length, stdin.length, strings.length]);
    parts.push(new Uint8Array(head.buffer), strings, stdin);
  }
  const request = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    request.set(part, at);
    at += part.length;
  }
  return request;
}

/** Reads exact byte counts off a stream. */
class ByteReader {
  #buffered = new Uint8Array(0);

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  cancel(): Promise<void> {
    return this.reader.cancel();
  }

  async take(size: number): Promise<Uint8Array> {
    while (this.#buffered.length < size) {
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`exec timer ended its reply early (wanted ${size} bytes)`);
      const joined = new Uint8Array(this.#buffered.length + value.length);
      joined.set(this.#buffered);
      joined.set(value, this.#buffered.length);
      this.#buffered = joined;
    }
    const taken = this.#buffered.slice(0, size);
    this.#buffered = this.#buffered.slice(size);
    return taken;
  }

  async numbers(count: number): Promise<number[]> {
    const bytes = await this.take(8 * count);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true)));
  }
}

/** The timer process; `await using` it. Requests are answered one at a time, in order. */
export class ExecTimer implements AsyncDisposable {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly reader: ByteReader,
    private readonly dir: string,
  ) {}

  /**
   * Builds and starts the timer, inside netns `netnsPath` when given (the programs then run there).
   *
   * Requires `--allow-run` (gcc, nsenter), `--allow-read`, `--allow-write`; root for a netns.
   */
  static async start(netnsPath?: string): Promise<ExecTimer> {
    const dir = await Deno.makeTempDir({ prefix: "mvt-exec-timer-" });
    const binary = await buildTimer(dir);
    const [command, args] = netnsPath ? [NSENTER, [`--net=${netnsPath}`, "--", binary]] : [binary, []];
    const child = new Deno.Command(command, { args, stdin: "piped", stdout: "piped", stderr: "inherit" })
      .spawn();
    return new ExecTimer(child, child.stdin.getWriter(), new ByteReader(child.stdout.getReader()), dir);
  }

  /** Runs `jobs` one after another, stopping after the first that fails. */
  sequence(jobs: Job[]): Promise<Batch> {
    return this.#request("sequence", jobs);
  }

  /** Starts all `jobs` at once and reaps them as they finish. */
  parallel(jobs: Job[]): Promise<Batch> {
    return this.#request("parallel", jobs);
  }

  /** Runs one job. */
  async one(job: Job): Promise<JobRun> {
    const [run] = (await this.sequence([job])).runs;
    if (!run) throw new Error(`exec timer answered no run for ${job.argv[0]}`);
    return run;
  }

  #request(mode: keyof typeof MODES, jobs: Job[]): Promise<Batch> {
    const answer = this.#queue.then(() => this.#exchange(mode, jobs));
    this.#queue = answer.catch(() => {});
    return answer;
  }

  async #exchange(mode: keyof typeof MODES, jobs: Job[]): Promise<Batch> {
    await this.writer.write(encodeRequest(mode, jobs));
    const [wallNs, count] = await this.reader.numbers(2) as [number, number];
    const runs: JobRun[] = [];
    for (let i = 0; i < count; i++) {
      const [ns, code, maxrssKiB, userUs, sysUs, outLength, errLength] = await this.reader.numbers(
        RUN_FIELDS,
      ) as RunFields;
      const decoder = new TextDecoder();
      const stdout = decoder.decode(await this.reader.take(outLength));
      const stderr = decoder.decode(await this.reader.take(errLength));
      runs.push({ ms: ns / 1e6, code, maxrssKiB, userMs: userUs / 1e3, sysMs: sysUs / 1e3, stdout, stderr });
    }
    return { wallMs: wallNs / 1e6, runs };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.writer.close().catch(() => {});
    await this.reader.cancel().catch(() => {});
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Throws when a job of `batch` failed, naming it and its output. */
export function mustSucceed(batch: Batch, what: string): Batch {
  const failed = batch.runs.find((run) => run.code !== 0);
  if (failed) throw new Error(`${what} failed (exit ${failed.code}): ${failed.stdout}${failed.stderr}`);
  return batch;
}
