/**
 * Runs the test-module functions on the native capability host, for tests that touch the kernel:
 * cni-wasm/test/modules/command.ts is compiled like the real modules (asconfig.json, a WASI
 * command) and then into an executable in stream mode (tools/native.ts), once per test process. A test
 * starts it, calls its functions by name (one request line, one reply line), and disposes it, which
 * closes stdin and fails unless the process exited cleanly. Sockets and netns handles the module
 * opened die with the process.
 *
 * Requires read/write on the repository, --allow-env (the AssemblyScript compiler), --allow-run of
 * wasm2c, cc and the test module's executable; root for anything that touches the kernel.
 *
 * @module
 */
import { CNI_WASM_DIR, compileAssembly } from "../../tools/asc.ts";
import { compileNative } from "../../tools/native.ts";

const NAME = "command";
const WASM = `${CNI_WASM_DIR}/build/test/${NAME}.wasm`;
/** Where the executable goes (cni-wasm/build/ is never committed). */
export const NATIVE_MODULE_EXECUTABLE = `${CNI_WASM_DIR}/build/test/${NAME}`;

/** How long the test module may take to exit once it should (stdin closed, or a reply missing). */
const EXIT_TIMEOUT_MS = 10_000;

let built: Promise<string> | null = null;

/** Builds the executable (when its sources changed) once per test process; @returns its path */
export function buildNativeModule(): Promise<string> {
  built ??= (async () => {
    await compileAssembly({ entry: `test/modules/${NAME}.ts`, outFile: `build/test/${NAME}.wasm` });
    await compileNative({ name: NAME, wasm: WASM, out: NATIVE_MODULE_EXECUTABLE, stream: true });
    return NATIVE_MODULE_EXECUTABLE;
  })();
  return built;
}

/** Splits a byte stream into lines; null at the end of the stream. */
class LineReader {
  private buffered = "";
  private ended = false;
  private readonly reader: ReadableStreamDefaultReader<string>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<string | null> {
    for (let end = this.buffered.indexOf("\n"); end < 0; end = this.buffered.indexOf("\n")) {
      if (this.ended) return this.takeRest();
      const { value, done } = await this.reader.read();
      if (done) this.ended = true;
      else this.buffered += value;
    }
    const end = this.buffered.indexOf("\n");
    const line = this.buffered.slice(0, end);
    this.buffered = this.buffered.slice(end + 1);
    return line;
  }

  /** What followed the last newline (a reply cut short), or null when nothing did. */
  private takeRest(): string | null {
    const rest = this.buffered;
    this.buffered = "";
    return rest.length > 0 ? rest : null;
  }
}

/** An argument of a test-module function: strings and integers only. */
export type ModuleArgument = string | number;

/** One running test-module process. */
export class NativeModule implements AsyncDisposable {
  private readonly stdin: WritableStreamDefaultWriter<Uint8Array>;
  private readonly replies: LineReader;
  private readonly stderr: Promise<string>;
  /** Calls run one after another: each waits for the one before it. */
  private previous: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Set once a call reported how the process ended: closing then does not report it a second time. */
  private endReported = false;

  private constructor(private readonly child: Deno.ChildProcess) {
    this.stdin = child.stdin.getWriter();
    this.replies = new LineReader(child.stdout);
    this.stderr = new Response(child.stderr).text();
  }

  /**
   * Builds the test module if needed and starts it, inside the netns at `netnsPath` when given (as a runtime
   * runs the plugin from the node's netns; requires root and nsenter), else in this process's netns.
   */
  static async start(netnsPath?: string): Promise<NativeModule> {
    const executable = await buildNativeModule();
    const [program, args] = netnsPath === undefined
      ? [executable, []]
      : ["nsenter", [`--net=${netnsPath}`, "--", executable]];
    const command = new Deno.Command(program, { args, stdin: "piped", stdout: "piped", stderr: "piped" });
    return new NativeModule(command.spawn());
  }

  /**
   * Calls test-module function `fn` (see modules/command.ts for the ones served) with `args`.
   *
   * @returns what the function returned, as text (numbers in decimal, "" for none)
   * @throws Error when the test module refused the request, trapped, or exited
   */
  call(fn: string, ...args: ModuleArgument[]): Promise<string> {
    const result = this.previous.then(() => this.exchange(fn, args));
    this.previous = result.catch(() => {});
    return result;
  }

  private async exchange(fn: string, args: ModuleArgument[]): Promise<string> {
    const request = JSON.stringify([fn, ...args]);
    if (this.closed || this.endReported) {
      throw new Error(`Cannot call ${request}: the test module was closed`);
    }
    await this.stdin.write(new TextEncoder().encode(`${request}\n`));
    const line = await this.replies.next();
    let reply: { value?: unknown; refused?: unknown } = {};
    try {
      reply = JSON.parse(line ?? "{}");
    } catch { /* not a reply line: reported below with the process's end */ }
    if (typeof reply.value === "string") return reply.value;
    if (typeof reply.refused === "string") {
      throw new Error(`The test module refused ${request}: ${reply.refused}`);
    }
    const end = await this.end();
    this.endReported = true;
    throw new Error(
      `The test module gave no reply to ${request} (it printed ${JSON.stringify(line)}); ${end}`,
    );
  }

  /** Waits for the process to exit, killing it past the timeout; @returns how it ended, with its stderr. */
  private async end(): Promise<string> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), EXIT_TIMEOUT_MS);
    try {
      const status = await this.child.status;
      const how = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
      const stderr = (await this.stderr).trim();
      return `${NAME} ended with ${how}${stderr ? `, stderr: ${stderr}` : ""}`;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Closes the test module's stdin (after the calls already made) and waits for it to exit.
   *
   * @throws Error when it exited other than with code 0, or printed a line nobody asked for
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.previous;
    this.closed = true;
    await this.stdin.close().catch(() => {});
    const [extra, end] = await Promise.all([this.replies.next(), this.end()]);
    if (this.endReported) return;
    if (!(await this.child.status).success) throw new Error(`The test module failed: ${end}`);
    if (extra !== null) {
      throw new Error(`The test module printed ${JSON.stringify(extra)} after its last reply`);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
