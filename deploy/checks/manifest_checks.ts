/**
 * Consistency checks between the node agent's manifests, the daemon, deno.json and the image. Each check
 * returns a list of problems (empty = consistent) rather than throwing, so a test can show all of them at
 * once and negative tests can assert that a broken manifest is reported.
 *
 * @module
 */
import { posix } from "node:path";
import { isScalar, isSeq, parseDocument, visit } from "yaml";
import { parseConfig } from "../../daemon/config.ts";
import { parseCli } from "../../daemon/cli.ts";
import { daemonPermissions, PROTO_DIR, sandboxPathsOf } from "../../daemon/sandbox.ts";
import { podContainers, podSpec, type Resource } from "./kustomize.ts";

type Fields = Record<string, unknown>;

/** Capabilities a container of the node agent may add, and which container. */
export const ALLOWED_CAPABILITIES: Record<string, string[]> = { deviceplugin: ["NET_ADMIN"] };

/** The one resource of `kind` (and `name`, if given); throws when there is not exactly one. */
export function findOne(resources: Resource[], kind: string, name?: string): Resource {
  const found = resources.filter((r) => r.kind === kind && (name === undefined || r.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`Expected one ${kind}${name ? ` "${name}"` : ""}, found ${found.length}`);
  }
  return found[0]!;
}

/** A container of a pod template by name; throws when absent. */
export function container(workload: Resource, name: string): Fields {
  const found = podContainers(workload).find((c) => c.name === name);
  if (!found) throw new Error(`${workload.kind} "${workload.metadata.name}" has no container "${name}"`);
  return found;
}

/** `--name=value` arguments as a map (flags without a value map to ""). */
export function flagValues(args: unknown): Map<string, string> {
  const values = new Map<string, string>();
  for (const arg of Array.isArray(args) ? args.map(String) : []) {
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (match) values.set(match[1]!, match[2] ?? "");
  }
  return values;
}

/** Every `privileged: true`, privilege escalation, host PID/IPC or privileged SCC anywhere in `value`. */
export function privilegeProblems(value: unknown, where: string): string[] {
  const forbidden: Record<string, unknown> = {
    privileged: true,
    allowPrivilegedContainer: true,
    allowPrivilegeEscalation: true,
    hostPID: true,
    hostIPC: true,
    allowHostPID: true,
    allowHostIPC: true,
  };
  const problems: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const at = `${path}.${key}`;
      if (key in forbidden && child === forbidden[key]) problems.push(`${where}: ${at.slice(1)} is ${child}`);
      walk(child, at);
    }
  };
  walk(value, "");
  return problems;
}

/** Every container: all capabilities dropped, only allowed ones added, read-only root, uid stated. */
export function containerSecurityProblems(workload: Resource): string[] {
  const problems: string[] = [];
  for (const c of podContainers(workload)) {
    const security = (c.securityContext ?? {}) as Fields;
    const capabilities = (security.capabilities ?? {}) as { drop?: string[]; add?: string[] };
    const at = `container "${c.name}"`;
    if (!capabilities.drop?.includes("ALL")) problems.push(`${at} does not drop ALL capabilities`);
    for (const added of capabilities.add ?? []) {
      if (!ALLOWED_CAPABILITIES[String(c.name)]?.includes(added)) problems.push(`${at} adds ${added}`);
    }
    if (security.readOnlyRootFilesystem !== true) problems.push(`${at} has a writable root filesystem`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${at} allows privilege escalation`);
    if (typeof security.runAsUser !== "number") problems.push(`${at} does not state runAsUser`);
  }
  return problems;
}

/** Every item of a `capabilities.add` list in a YAML text has a comment saying why. */
export function capabilityCommentProblems(text: string, file: string): string[] {
  const problems: string[] = [];
  visit(parseDocument(text), {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value !== "add" || !isSeq(pair.value)) return;
      const list = pair.value;
      list.items.forEach((item, index) => {
        const own = isScalar(item) ? item.commentBefore ?? item.comment : undefined;
        const comment = own ?? (index === 0 ? list.commentBefore : undefined);
        if (!comment?.trim()) problems.push(`${file}: capability ${String(item)} has no comment saying why`);
      });
    },
  });
  return problems;
}

/** The daemon's options as the daemon itself parses the container's args. */
export function daemonArgs(daemon: Fields) {
  const args = Array.isArray(daemon.args) ? daemon.args.map(String) : [];
  return { options: parseCli(args), raw: flagValues(args) };
}

/**
 * The ConfigMap the daemon reads exists in the same build, is mounted as a directory (no subPath, so
 * updates arrive), the `--config` file is one of its keys, and that key holds a configuration the
 * daemon accepts.
 */
export function configMapProblems(resources: Resource[], workload: Resource, daemon: Fields): string[] {
  const configFile = daemonArgs(daemon).options.configFile;
  if (!configFile) return [`container "${daemon.name}" gets no --config file`];
  const mount = mountCovering(daemon, configFile);
  if (!mount) return [`--config ${configFile} is not on a volume mount`];
  if (mount.subPath) return [`the config mount ${mount.mountPath} uses subPath, which never updates`];
  const volume = volumeNamed(workload, mount.name);
  const name = (volume?.configMap as Fields | undefined)?.name;
  if (!name) return [`--config ${configFile} is not on a ConfigMap volume`];
  const configMap = resources.find((r) =>
    r.kind === "ConfigMap" && r.metadata.name === name && r.metadata.namespace === workload.metadata.namespace
  );
  if (!configMap) return [`ConfigMap "${name}" mounted by ${workload.metadata.name} is not in the build`];
  const key = posix.relative(mount.mountPath, configFile);
  const text = (configMap.data as Record<string, string> | undefined)?.[key];
  if (text === undefined) return [`ConfigMap "${name}" has no key "${key}" for --config ${configFile}`];
  try {
    parseConfig(text, `ConfigMap ${name} ${key}`);
  } catch (error) {
    return [(error as Error).message];
  }
  return [];
}

interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

/** The volume mount of `c` whose path is `path` or a parent of it (the deepest one). */
export function mountCovering(c: Fields, path: string): Mount | undefined {
  const mounts = (Array.isArray(c.volumeMounts) ? c.volumeMounts : []) as Mount[];
  return mounts
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** A pod volume by name. */
export function volumeNamed(workload: Resource, name: string): Fields | undefined {
  const volumes = (podSpec(workload)?.volumes ?? []) as Fields[];
  return volumes.find((v) => v.name === name);
}

/** What each probe GETs: readiness is /readyz (every resource registered), liveness /healthz. */
export const PROBE_PATHS: Record<string, string> = { readinessProbe: "/readyz", livenessProbe: "/healthz" };

/** Readiness and liveness probes GET their path on the port `--metrics` serves (by number or port name). */
export function probeProblems(daemon: Fields): string[] {
  const metrics = daemonArgs(daemon).options.metricsAddress;
  if (!metrics) return [`container "${daemon.name}" serves no --metrics, so the probes have nowhere to go`];
  const ports = (Array.isArray(daemon.ports) ? daemon.ports : []) as {
    name?: string;
    containerPort: number;
  }[];
  const problems: string[] = [];
  for (const [kind, wanted] of Object.entries(PROBE_PATHS)) {
    const probe = daemon[kind] as { httpGet?: { path?: string; port?: string | number; host?: string } };
    if (!probe?.httpGet) {
      problems.push(`${kind} is not an httpGet probe`);
      continue;
    }
    const { path, port, host } = probe.httpGet;
    const number = typeof port === "number" ? port : ports.find((p) => p.name === port)?.containerPort;
    if (path !== wanted) problems.push(`${kind} GETs ${path}, not ${wanted}`);
    if (number !== metrics.port) {
      problems.push(`${kind} port ${port} is not the metrics port ${metrics.port}`);
    }
    const loopback = /^(127\.|::1$|localhost$)/.test(metrics.hostname);
    if (loopback && host !== metrics.hostname) {
      problems.push(`${kind} goes to the pod IP but metrics listen on ${metrics.hostname} only`);
    }
  }
  return problems;
}

/** Tokens of a simple command line (no quoting in the tasks we compare). */
export function words(commandLine: string): string[] {
  return commandLine.trim().split(/\s+/);
}

/**
 * The daemon container runs `deno task daemon`'s command line in the image's copy of the repository, with
 * args the daemon accepts; and the sandbox the launcher derives from them (daemon/sandbox.ts) reads and
 * writes nothing but volume mounts of this container (and the image's proto/), and runs only the image's
 * link broker.
 */
export function sandboxProblems(
  daemon: Fields,
  denoJson: Fields,
  imageRoot: string,
  repoRoot: string,
): string[] {
  const task = (denoJson.tasks as Record<string, string> | undefined)?.daemon;
  if (!task) return ["deno.json has no daemon task"];
  const problems: string[] = [];
  if (JSON.stringify(daemon.command) !== JSON.stringify(words(task))) {
    problems.push(`command ${JSON.stringify(daemon.command)} is not deno task daemon's "${task}"`);
  }
  if (daemon.workingDir !== imageRoot) problems.push(`workingDir is not ${imageRoot}, where deno.json is`);
  let granted;
  try {
    granted = daemonPermissions(sandboxPathsOf(daemonArgs(daemon).options, imageRoot));
  } catch (error) {
    return [...problems, `the daemon refuses its args: ${(error as Error).message}`];
  }
  const proto = posix.join(imageRoot, posix.relative(repoRoot, PROTO_DIR));
  for (const path of [...granted.read, ...granted.write]) {
    if (path === PROTO_DIR || path === proto) continue;
    if (!mountCovering(daemon, path)) {
      problems.push(`the sandbox grants ${path}, which is not a volume mount`);
    }
  }
  const broker = posix.join(imageRoot, "dist/link-broker");
  if (JSON.stringify(granted.run) !== JSON.stringify([broker])) {
    problems.push(`the sandbox may run ${granted.run.join(", ")}, not only the image's ${broker}`);
  }
  return problems;
}

/**
 * The kubelet directories the daemon uses are hostPath mounts at the same path as on the host (the
 * pod-resources one as a directory, so a re-created socket shows), nothing mounts /dev, and no mount
 * uses subPath.
 */
export function mountProblems(workload: Resource, daemon: Fields): string[] {
  const { options } = daemonArgs(daemon);
  const problems: string[] = [];
  const wanted = [
    { what: "--plugin-dir", path: options.pluginDir, readOnly: false },
    {
      what: "--pod-resources-socket's directory",
      path: posix.dirname(options.podResourcesSocket),
      readOnly: true,
    },
  ];
  for (const { what, path, readOnly } of wanted) {
    const mount = mountCovering(daemon, path);
    const hostPath = mount && (volumeNamed(workload, mount.name)?.hostPath as Fields | undefined);
    if (!mount || mount.mountPath !== path) problems.push(`${what} ${path} is not itself a volume mount`);
    else if (hostPath?.path !== path) problems.push(`${what} ${path} is not the same hostPath on the node`);
    else if (!readOnly && mount.readOnly) problems.push(`${what} ${path} is mounted read-only`);
  }
  for (const c of podContainers(workload)) {
    for (const mount of (c.volumeMounts ?? []) as Mount[]) {
      if (mount.subPath) problems.push(`container "${c.name}" mounts ${mount.mountPath} with subPath`);
      const hostPath = (volumeNamed(workload, mount.name)?.hostPath as Fields | undefined)?.path;
      if (mount.mountPath === "/dev" || hostPath === "/dev") {
        problems.push(`container "${c.name}" mounts /dev, which nothing here needs`);
      }
    }
  }
  return problems;
}

/**
 * The init container runs deploy/install_cni.ts from the image's dist/cni into a hostPath mount, with
 * read permission on exactly those two directories and write permission on the target only.
 */
export function installerProblems(workload: Resource, init: Fields, imageRoot: string): string[] {
  const command = (Array.isArray(init.command) ? init.command : []).map(String);
  const script = posix.join(imageRoot, "deploy/install_cni.ts");
  const flags = flagValues(command);
  const from = flags.get("from");
  const to = flags.get("to");
  const problems: string[] = [];
  if (command[0] !== "deno" || command[1] !== "run" || !command.includes(script)) {
    problems.push(`init container "${init.name}" does not run ${script} with deno`);
  }
  if (from !== posix.join(imageRoot, "dist/cni")) {
    problems.push(`installer --from is ${from}, not the image's dist/cni`);
  }
  if (flags.get("allow-read") !== `${from},${to}`) {
    problems.push(`installer may read ${flags.get("allow-read")}`);
  }
  if (flags.get("allow-write") !== to) problems.push(`installer may write ${flags.get("allow-write")}`);
  const unexpected = [...flags.keys()].filter((f) =>
    f.startsWith("allow-") && f !== "allow-read" && f !== "allow-write"
  );
  if (unexpected.length) problems.push(`installer also gets --${unexpected.join(", --")}`);
  const mount = to ? mountCovering(init, to) : undefined;
  if (!mount || mount.mountPath !== to || !volumeNamed(workload, mount.name)?.hostPath) {
    problems.push(`installer --to ${to} is not a hostPath mount`);
  }
  return problems;
}
