/**
 * Checks between the DaemonSet and deploy/Containerfile: every path the containers use is put into the
 * image, from a repository file or from what `deno task build` writes; `deno` is on the PATH; Deno is
 * the pinned version; the module cache is filled at build time.
 *
 * @module
 */
import { posix } from "node:path";
import { originOf, type Stage } from "./containerfile.ts";
import { podContainers, type Resource } from "./kustomize.ts";
import { container, daemonArgs, flagValues } from "./manifest_checks.ts";

type Fields = Record<string, unknown>;

/** A path inside the image that a container relies on, and who relies on it. */
export interface ImagePath {
  path: string;
  usedBy: string;
}

/** How to tell whether a repository path exists, and whether the build wrote one. */
export interface Repository {
  exists(repoPath: string): boolean;
}

/** The image paths the init container and the daemon container use. */
export function imagePaths(
  workload: Resource,
  initName: string,
  daemonName: string,
  root: string,
): ImagePath[] {
  const init = container(workload, initName);
  const daemon = container(workload, daemonName);
  const initCommand = (init.command as string[]).map(String);
  const daemonCommand = (daemon.command as string[]).map(String);
  const script = daemonCommand.find((word) => word.endsWith(".ts"));
  const workingDir = String(daemon.workingDir ?? "/");
  return [
    ...initCommand.filter((w) => w.startsWith(root)).map((path) => ({ path, usedBy: initName })),
    { path: flagValues(initCommand).get("from") ?? "", usedBy: `${initName} --from` },
    { path: posix.resolve(workingDir, script ?? ""), usedBy: `${daemonName} command` },
    { path: posix.join(workingDir, "deno.json"), usedBy: `${daemonName} (-P=daemon reads it)` },
    { path: posix.join(workingDir, "package.json"), usedBy: `${daemonName} (npm packages)` },
    { path: posix.join(workingDir, "node_modules/@grpc/grpc-js"), usedBy: `${daemonName} (grpc-js)` },
    { path: posix.join(workingDir, "proto"), usedBy: `${daemonName} (kubelet API protos)` },
    // One static executable: nothing beside it is needed.
    { path: daemonArgs(daemon).options.broker, usedBy: `${daemonName} --broker` },
  ];
}

/**
 * Where one image path comes from, checked: from the build context (the repository file must exist), or
 * written by the build stage (`deno task build` for dist/, `npm ci --omit=dev` for node_modules).
 */
export function imagePathProblems(stages: Stage[], used: ImagePath, repo: Repository): string[] {
  const origin = originOf(stages, used.path);
  const what = `${used.path} (${used.usedBy})`;
  if (!origin) return [`${what} is not copied into the image`];
  if ("context" in origin) {
    return repo.exists(origin.context)
      ? []
      : [`${what} comes from "${origin.context}", not in the repository`];
  }
  const { stage, path, repoPath } = origin.built;
  const runs = stageRuns(stages, stage);
  if (repoPath?.startsWith("dist/")) {
    if (!runs.some((r) => /\bdeno task build\b/.test(r))) {
      return [`${what}: stage ${stage} never runs the build`];
    }
    return repo.exists(repoPath) ? [] : [`${what}: deno task build does not write "${repoPath}"`];
  }
  if (/\/node_modules\//.test(path)) {
    return runs.some((r) => /\bnpm ci --omit=dev\b/.test(r)) ? [] : [`${what}: no production npm install`];
  }
  return [`${what} comes from ${stage}:${path}, which nothing here accounts for`];
}

function stageRuns(stages: Stage[], name: string): string[] {
  const stage = stages.find((s) => s.name === name);
  return (stage?.instructions ?? []).filter((i) => i.keyword === "RUN").map((i) => i.args);
}

/** Where the containers find `deno`. */
export const DENO_ON_PATH = "/usr/local/bin/deno";

/**
 * The containers' `deno` is the pinned Deno from the build, copied onto the PATH, and the daemon's module
 * cache is filled at build time into a DENO_DIR inside the image (the root filesystem is read-only).
 */
export function denoProblems(
  containerfile: string,
  stages: Stage[],
  workload: Resource,
  pinned: string,
): string[] {
  const problems: string[] = [];
  const final = stages.at(-1)!;
  const argument = pinnedDenoArg(containerfile);
  if (argument !== pinned) problems.push(`ARG DENO_VERSION is ${argument}, not the pinned ${pinned}`);
  const installs = stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "RUN")
    .flatMap((i) => [...i.args.matchAll(/\bdeno@(\S+)/g)].map((m) => m[1]));
  if (installs.length === 0) problems.push("no stage installs deno from npm");
  for (const version of installs) {
    if (version !== "${DENO_VERSION}" && version !== pinned) {
      problems.push(`a stage installs deno@${version}`);
    }
  }
  problems.push(...denoBinaryProblems(stages));
  for (const c of podContainers(workload)) {
    if (!Array.isArray(c.command) || c.command[0] !== "deno") {
      problems.push(`container "${c.name}" runs no deno`);
    }
  }
  const runs = final.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join(" && ");
  if (!final.env.DENO_DIR) problems.push("the final stage sets no DENO_DIR, so the cache goes to $HOME");
  if (!/\bdeno cache daemon\/main\.ts\b/.test(runs)) problems.push("the daemon's modules are not cached");
  return problems;
}

/**
 * {@link DENO_ON_PATH} is copied from a stage that installs deno from npm and writes that path from the
 * binary the installed `deno` runs (`Deno.execPath()`: the npm command itself is a Node wrapper).
 */
function denoBinaryProblems(stages: Stage[]): string[] {
  const origin = originOf(stages, DENO_ON_PATH);
  if (!origin) return [`nothing puts deno on the PATH (${DENO_ON_PATH})`];
  if ("context" in origin) {
    return [`${DENO_ON_PATH} comes from "${origin.context}", not from the npm install`];
  }
  const { stage, path } = origin.built;
  const runs = stageRuns(stages, stage);
  if (!runs.some((r) => /\bnpm install\b.*\bdeno@/.test(r))) {
    return [`stage ${stage} installs no deno from npm`];
  }
  const writes = runs.some((r) => r.includes(path) && r.includes("Deno.execPath()"));
  return writes
    ? []
    : [`${DENO_ON_PATH} comes from ${stage}:${path}, which is not the installed deno binary`];
}

/** The `ARG DENO_VERSION=` default before the first `FROM`, if any. */
export function pinnedDenoArg(containerfile: string): string | null {
  return /^ARG DENO_VERSION=(\S+)$/m.exec(containerfile)?.[1] ?? null;
}

/** Every container of the workload uses the same image (the one the Containerfile builds). */
export function sameImageProblems(workload: Resource): string[] {
  const images = new Set(podContainers(workload).map((c: Fields) => String(c.image)));
  return images.size === 1 ? [] : [`containers use different images: ${[...images].join(", ")}`];
}
