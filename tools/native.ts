/**
 * Ahead-of-time compilation of a WASI module into one executable: `wasm2c` (Debian `wabt`) turns the
 * module into C, and the C compiler links it with the capability host (cni-wasm/host/*.c) and the
 * runtime wasm2c ships (`wasm-rt-impl.c`). The generated C is a build output under
 * cni-wasm/build/native/<name>/, never committed. A stamp of every input skips work already done.
 *
 * Requires `--allow-read` and `--allow-write` on the repository, `--allow-run` of wasm2c and the C
 * compiler.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The capability host's C sources. */
export const HOST_SOURCE_DIR = `${ROOT}cni-wasm/host`;

/** Where Debian's `wabt` package puts the runtime wasm2c's output links against. */
export const WASM_RT_DIR = "/usr/share/wabt/wasm2c";

/** Where generated C and objects go, one folder per executable. */
export const NATIVE_BUILD_DIR = `${ROOT}cni-wasm/build/native`;

/** One executable to build. */
export interface NativeBuild {
  /** Names its folder under {@link NATIVE_BUILD_DIR}. */
  name: string;
  /** Absolute path of the WASI module. */
  wasm: string;
  /** Absolute path of the executable to write. */
  out: string;
  /** The link broker's mode: stdin read on demand, stdout written through (default: CNI mode). */
  stream?: boolean;
  /** Linear memory the module may grow to, in MiB (default 256). */
  memoryLimitMib?: number;
  /**
   * Built with `-fsanitize=address,undefined` for the fuzzers: dynamically linked (the sanitizers need
   * it), explicit bounds checks instead of guard pages (so the sanitizer sees every access).
   */
  sanitize?: boolean;
  /** The C compiler (default `cc`; e.g. `aarch64-linux-gnu-gcc` for arm64). */
  cc?: string;
}

/** Flags for the host's own C: every warning is an error there. */
const HOST_WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"];

function compileFlags(build: NativeBuild): string[] {
  const common = ["-std=gnu11", "-D_GNU_SOURCE", `-I${HOST_SOURCE_DIR}`, `-I${WASM_RT_DIR}`];
  if (!build.sanitize) return [...common, "-O2", "-fno-strict-aliasing"];
  return [
    ...common,
    "-O1",
    // Line tables are all a report's stack trace needs (ASan names stack objects from its own metadata);
    // full -g makes GCC's variable tracking on the generated C four times slower (54 s against 14 s).
    "-g1",
    "-fno-omit-frame-pointer",
    "-fsanitize=address,undefined",
    // The first report ends the run (exit code from ASAN_OPTIONS/UBSAN_OPTIONS): a fuzzer cannot miss it.
    "-fno-sanitize-recover=all",
    // Explicit bounds checks before every load and store, and the linear memory one calloc'd heap block
    // instead of an 8 GiB reservation behind guard pages: a host access past the module's memory lands in
    // ASan's redzone, one through a pointer kept across memory.grow (realloc) is a use-after-free, and no
    // SIGSEGV handler of wasm2c competes with ASan's.
    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
    // That also switches stack-overflow detection to depth counting. The largest frame of a generated
    // function under ASan at -O1 is under 400 bytes (-fstack-usage), so 4000 calls stay far inside the
    // 8 MiB main stack and a runaway recursion ends as a clean trap, never as ASan's stack-overflow.
    "-DWASM_RT_MAX_CALL_STACK_DEPTH=4000",
  ];
}

function linkFlags(build: NativeBuild): string[] {
  // The host sees every memory.grow of the module (memory.c) to name an out-of-memory trap.
  const wrap = "-Wl,--wrap=wasm_rt_grow_memory";
  return build.sanitize ? [wrap, "-fsanitize=address,undefined"] : [wrap, "-static", "-s"];
}

/** Runs a program; throws with its output when it fails. */
async function run(program: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" }).output()
    .catch((error) => {
      throw new Error(`Cannot run ${program}: ${error.message} (install Debian "wabt" and "gcc")`);
    });
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-30).join("\n");
    throw new Error(`${program} ${args.join(" ")} failed with exit code ${out.code}:\n${text}`);
  }
}

/** Every input of the build, hashed: a change in any of them rebuilds. */
async function cacheKey(build: NativeBuild, sources: string[]): Promise<string> {
  const flags = { compile: compileFlags(build), link: linkFlags(build), warnings: HOST_WARNINGS };
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify({ ...build, sources, flags }))];
  for (const file of [build.wasm, ...sources]) parts.push(await Deno.readFile(file));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength + 1, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength + 1;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function hostSources(): string[] {
  return [...Deno.readDirSync(HOST_SOURCE_DIR)]
    .filter((entry) => entry.isFile && /\.[ch]$/.test(entry.name))
    .map((entry) => `${HOST_SOURCE_DIR}/${entry.name}`)
    .sort();
}

/** "module.name" of every function the host grants, read from cni-wasm/host/imports.h. */
function grantedImports(): Set<string> {
  const header = Deno.readTextFileSync(`${HOST_SOURCE_DIR}/imports.h`);
  return new Set([...header.matchAll(/\bZ_(\w+?)Z_(\w+)\(/g)].map((m) => `${m[1]}.${m[2]}`));
}

/**
 * Refuses a module that imports anything the host does not grant, naming it (the link would fail
 * too, but with a linker's words).
 */
function checkImports(build: NativeBuild, header: string): void {
  const granted = grantedImports();
  const wanted = [...header.matchAll(/\/\* import: '([^']+)' '([^']+)' \*\//g)].map((m) => `${m[1]}.${m[2]}`);
  const refused = wanted.filter((name) => !granted.has(name));
  if (refused.length > 0) {
    throw new Error(
      `Cannot build "${build.name}" from ${build.wasm}: it imports ${refused.join(", ")}, which the ` +
        "capability host does not grant (cni-wasm/host/imports.h)",
    );
  }
}

/** Compiles `sources` to objects in `dir`, two compilers at a time (the generated C dominates). */
async function compileObjects(build: NativeBuild, dir: string, sources: string[]): Promise<string[]> {
  const cc = build.cc ?? "cc";
  const flags = compileFlags(build);
  const defines = [
    `-DHOST_STREAM_MODE=${build.stream ? 1 : 0}`,
    `-DMEMORY_LIMIT_MIB=${build.memoryLimitMib ?? 256}`,
  ];
  const jobs = sources.map((source) => {
    const object = `${dir}/${source.slice(source.lastIndexOf("/") + 1).replace(/\.c$/, ".o")}`;
    const own = source.startsWith(HOST_SOURCE_DIR) ? [...HOST_WARNINGS, ...defines] : [];
    return { object, args: [...flags, ...own, `-I${dir}`, "-c", source, "-o", object] };
  });
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await run(cc, job.args);
  };
  await Promise.all([worker(), worker()]);
  return jobs.map((job) => job.object);
}

/**
 * Builds one executable unless nothing changed since the last build. Safe to run from several processes
 * at once: each works in a folder of its own and the executable is replaced by a rename.
 *
 * @returns true when it was (re)built
 */
export async function compileNative(build: NativeBuild): Promise<boolean> {
  const dir = `${NATIVE_BUILD_DIR}/${build.name}`;
  const stamp = `${dir}/stamp`;
  const hostFiles = hostSources();
  const key = await cacheKey(build, hostFiles);
  const upToDate = await Deno.readTextFile(stamp).then((text) => text === key, () => false) &&
    await Deno.stat(build.out).then(() => true, () => false);
  if (upToDate) return false;
  const work = `${dir}/work-${Deno.pid}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    await run("wasm2c", [build.wasm, "-n", "plugin", "-o", `${work}/plugin.c`]);
    checkImports(build, await Deno.readTextFile(`${work}/plugin.h`));
    const sources = [
      `${work}/plugin.c`,
      `${WASM_RT_DIR}/wasm-rt-impl.c`,
      ...hostFiles.filter((f) => f.endsWith(".c")),
    ];
    const objects = await compileObjects(build, work, sources);
    await Deno.mkdir(build.out.slice(0, build.out.lastIndexOf("/")), { recursive: true });
    // Linked beside it and renamed: a running copy (a test, the daemon's broker) is never overwritten in place.
    const partial = `${build.out}.${Deno.pid}.partial`;
    await run(build.cc ?? "cc", [...linkFlags(build), ...objects, "-lm", "-o", partial]);
    await Deno.rename(partial, build.out);
    await Deno.writeTextFile(stamp, key);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return true;
}
