/**
 * Checks between the DaemonSet and the image `deno task image` builds (tools/image_layout.ts): every path
 * the containers use is put into the image, from a file that exists (in the repository, or written by
 * `deno task build`); `deno` is on the image's PATH; both containers run the image of this version.
 *
 * @module
 */
import { posix } from "node:path";
import { entryCovering, IMAGE_DENO, IMAGE_ENV, type ImageEntry } from "../../tools/image_layout.ts";
import { podContainers, type Resource } from "./kustomize.ts";
import { container, daemonArgs, flagValues } from "./manifest_checks.ts";

type Fields = Record<string, unknown>;

/** A path inside the image that a container relies on, and who relies on it. */
export interface ImagePath {
  path: string;
  usedBy: string;
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
  const workingDir = String(daemon.workingDir ?? "/");
  const scripts = daemonCommand.filter((word) => word.endsWith(".ts"));
  return [
    ...initCommand.filter((w) => w.startsWith(root)).map((path) => ({ path, usedBy: initName })),
    { path: flagValues(initCommand).get("from") ?? "", usedBy: `${initName} --from` },
    ...scripts.map((script) => ({
      path: posix.resolve(workingDir, script),
      usedBy: `${daemonName} command`,
    })),
    { path: posix.join(workingDir, "daemon/main.ts"), usedBy: `${daemonName} (the launcher runs it)` },
    { path: posix.join(workingDir, "deno.json"), usedBy: `${daemonName} (npm resolution, version)` },
    { path: posix.join(workingDir, "package.json"), usedBy: `${daemonName} (npm packages)` },
    { path: posix.join(workingDir, "node_modules/@grpc/grpc-js"), usedBy: `${daemonName} (grpc-js)` },
    { path: posix.join(workingDir, "proto"), usedBy: `${daemonName} (kubelet API protos)` },
    // One static executable: nothing beside it is needed.
    { path: daemonArgs(daemon).options.broker, usedBy: `${daemonName} --broker` },
  ];
}

/** One image path: copied in by the layout, from a source that exists. */
export function imagePathProblems(
  layout: ImageEntry[],
  used: ImagePath,
  exists: (path: string) => boolean,
): string[] {
  const what = `${used.path} (${used.usedBy})`;
  const entry = entryCovering(layout, used.path);
  if (!entry) return [`${what} is not copied into the image`];
  const source = entry.source + used.path.slice(entry.target.length);
  return exists(source)
    ? []
    : [`${what} comes from "${source}", which does not exist (run deno task build?)`];
}

/** Both containers run `deno` from the image's PATH, and the same image, tagged with this version. */
export function imageProblems(workload: Resource, imageName: string, version: string): string[] {
  const problems: string[] = [];
  const path = IMAGE_ENV.PATH.split(":");
  if (!path.includes(posix.dirname(IMAGE_DENO))) problems.push(`${IMAGE_DENO} is not on the image's PATH`);
  for (const c of podContainers(workload) as Fields[]) {
    if (!Array.isArray(c.command) || c.command[0] !== "deno") {
      problems.push(`container "${c.name}" runs no deno`);
    }
    if (c.image !== `${imageName}:${version}`) {
      problems.push(`container "${c.name}" runs ${c.image}, not ${imageName}:${version}`);
    }
  }
  return problems;
}
