/**
 * Reads a Containerfile far enough to answer "where does this path in the image come from?", so the
 * manifest tests can check that every path the DaemonSet uses is put into the image, from a file that
 * exists in the repository or is written by `deno task build`.
 *
 * Understood: `FROM … [AS name]`, `ARG`, `ENV`, `WORKDIR`, `COPY [--from=stage] src… dest`, `RUN`;
 * comments and line continuations. A build stage is taken to mirror the repository below its WORKDIR
 * (it copies the sources in with the same relative paths), which is how deploy/Containerfile is written.
 *
 * @module
 */
import { posix } from "node:path";

/** One instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** A `COPY` with its working directory resolved. */
export interface Copy {
  /** Stage name of `--from`, or null for the build context. */
  from: string | null;
  /** Absolute source paths in that stage, or context-relative paths. */
  sources: string[];
  /** Absolute destination in the image. */
  destination: string;
  /** The destination was written with a trailing slash: sources go inside it. */
  intoDirectory: boolean;
}

/** One `FROM` and what follows it. */
export interface Stage {
  name: string | null;
  base: string;
  workdir: string;
  instructions: Instruction[];
  copies: Copy[];
  env: Record<string, string>;
}

/**
 * Where an image path comes from: a path of the build context (the repository), or a path that a `RUN`
 * of some stage wrote (e.g. `deno task build` writing dist/), with that path relative to the stage's
 * WORKDIR when it lies below it (the build stage mirrors the repository there).
 */
export type PathOrigin =
  | { context: string }
  | { built: { stage: string; path: string; repoPath: string | null } };

/** Splits a Containerfile into instructions. */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    // Comment lines are dropped everywhere, also between continued lines (as BuildKit and buildah do).
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += continued ? line.replace(/\\\s*$/, " ") : line;
    if (continued) continue;
    const match = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(pending.trim());
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim() });
    pending = "";
  }
  return instructions;
}

/** Groups instructions by stage; `ARG`s before the first `FROM` are substituted in `${NAME}` form. */
export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  for (const instruction of parseInstructions(text)) {
    const stage = stages.at(-1);
    if (instruction.keyword === "FROM") {
      const [base, , name] = instruction.args.split(/\s+/);
      stages.push({ name: name ?? null, base, workdir: "/", instructions: [], copies: [], env: {} });
      continue;
    }
    if (!stage) {
      if (instruction.keyword === "ARG") Object.assign(globalArgs, parseAssignments(instruction.args));
      continue;
    }
    stage.instructions.push(instruction);
    applyInstruction(stage, instruction);
  }
  for (const stage of stages) stage.base = stage.base.replace(/\$\{(\w+)\}/g, (_, n) => globalArgs[n] ?? "");
  return stages;
}

function applyInstruction(stage: Stage, instruction: Instruction): void {
  if (instruction.keyword === "WORKDIR") stage.workdir = posix.resolve(stage.workdir, instruction.args);
  if (instruction.keyword === "ENV") Object.assign(stage.env, parseAssignments(instruction.args));
  if (instruction.keyword !== "COPY") return;
  const words = instruction.args.split(/\s+/);
  const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length) ?? null;
  const paths = words.filter((w) => !w.startsWith("--"));
  const written = paths.at(-1)!;
  const destination = posix.resolve(stage.workdir, written);
  const sources = paths.slice(0, -1);
  stage.copies.push({
    from,
    sources,
    destination,
    intoDirectory: written.endsWith("/") || sources.length > 1,
  });
}

/** `A=1 B=2` (and a bare `ARG NAME=value`) as a map. */
export function parseAssignments(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S*)/g)) {
    values[name] = value.replace(/^["']|["']$/g, "");
  }
  return values;
}

/**
 * Where `path` of stage `stageName` (default: the last stage) comes from, following `COPY --from` back
 * through the stages until a `COPY` from the build context, or a stage where no `COPY` covers it (then
 * a `RUN` there wrote it).
 *
 * @returns null when nothing in the final stage copies the path in (it would come from the base image)
 */
export function originOf(stages: Stage[], path: string, stageName?: string): PathOrigin | null {
  const stage = stageName === undefined ? stages.at(-1)! : stages.find((s) => s.name === stageName);
  if (!stage) throw new Error(`Cannot follow "${path}": no stage named "${stageName}"`);
  const copied = longestCopy(stage, path);
  if (!copied) {
    if (stageName === undefined) return null;
    const repoPath = below(path, stage.workdir);
    return { built: { stage: stageName, path, repoPath: repoPath || null } };
  }
  if (copied.from === null) return { context: posix.normalize(copied.sourcePath) };
  return originOf(stages, copied.sourcePath, copied.from);
}

function longestCopy(stage: Stage, path: string): { from: string | null; sourcePath: string } | null {
  let best: { from: string | null; sourcePath: string; targetLength: number } | null = null;
  for (const copy of stage.copies) {
    for (const source of copy.sources) {
      const target = copiedTarget(copy, source);
      const rest = below(path, target);
      if (rest === null || (best && target.length <= best.targetLength)) continue;
      best = { from: copy.from, sourcePath: posix.join(source, rest), targetLength: target.length };
    }
  }
  return best;
}

/**
 * Where a source ends up: a directory's contents (written `dir/`, the convention deploy/Containerfile
 * keeps) land in the destination; a file lands inside a destination directory under its own name, or
 * is the destination.
 */
function copiedTarget(copy: Copy, source: string): string {
  if (source.endsWith("/") || !copy.intoDirectory) return copy.destination;
  return posix.join(copy.destination, posix.basename(source));
}

/** The part of `path` below `dir` ("" for `dir` itself), or null when it is not below it. */
function below(path: string, dir: string): string | null {
  const normalized = posix.normalize(path).replace(/\/$/, "");
  const base = posix.normalize(dir).replace(/\/$/, "");
  if (normalized === base) return "";
  return normalized.startsWith(`${base}/`) ? normalized.slice(base.length + 1) : null;
}
