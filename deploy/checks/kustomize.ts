/**
 * A small kustomize resolver for the manifest checks: enough of `kubectl kustomize` to build deploy/ and its
 * overlays on a machine without a kustomize that can (kubectl.ts says why Debian's cannot, and prefers a
 * real one where it is installed), and strict about the rest (an unknown kustomization field is an error
 * rather than silently ignored).
 *
 * Supported: `resources` (YAML files, multi-document, and directories holding a kustomization.yaml),
 * `namespace` (set on every namespaced resource, as kustomize does, overriding what was there),
 * `patches` with `path` (strategic merge reduced to what our overlays need: maps merge recursively,
 * lists and scalars are replaced; the target is found by kind and name), and `images` (`newName`,
 * `newTag`, `digest` on containers and init containers of pod templates).
 *
 * Requires `--allow-read` of the kustomization directories.
 *
 * @module
 */
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as parsed from YAML. */
export type Resource = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
};

/** Kinds that live outside namespaces, among those our manifests and examples use. */
export const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PriorityClass",
  "SecurityContextConstraints",
]);

const KNOWN_FIELDS = new Set(["apiVersion", "kind", "resources", "namespace", "patches", "images"]);

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * Parses every document of a YAML file; empty documents are skipped.
 *
 * @throws {Error} naming the file on a syntax error
 */
export async function loadYamlDocuments(path: string): Promise<unknown[]> {
  const text = await Deno.readTextFile(path);
  const values: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      throw new Error(`Cannot parse "${path}": ${document.errors[0]!.message}`);
    }
    const value = document.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/**
 * Parses every document of a YAML file into Kubernetes objects.
 *
 * @throws {Error} naming the file on a syntax error or a document that is not a Kubernetes object
 */
export async function loadYamlFile(path: string): Promise<Resource[]> {
  const values = await loadYamlDocuments(path);
  for (const value of values) {
    if (!isResource(value)) {
      throw new Error(`Cannot use "${path}": a document lacks apiVersion, kind or metadata.name`);
    }
  }
  return values as Resource[];
}

function isResource(value: unknown): value is Resource {
  const object = value as Resource;
  return typeof object === "object" && typeof object.apiVersion === "string" &&
    typeof object.kind === "string" && typeof object.metadata?.name === "string";
}

/**
 * Builds the kustomization in `dir` the way `kubectl kustomize <dir>` would (for the supported fields).
 *
 * @returns the resulting resources, in resource-list order
 * @throws {Error} naming the kustomization and the field or entry it cannot handle
 */
export async function buildKustomization(dir: string): Promise<Resource[]> {
  const file = `${dir}/kustomization.yaml`;
  const [kustomization] = await loadYamlDocuments(file).catch((error) => {
    throw new Error(`Cannot read kustomization in "${dir}": ${(error as Error).message}`);
  }) as Record<string, unknown>[];
  if (typeof kustomization !== "object" || kustomization === null) {
    throw new Error(`Cannot build "${file}": not a YAML map`);
  }
  for (const field of Object.keys(kustomization)) {
    if (!KNOWN_FIELDS.has(field)) throw new Error(`Cannot build "${file}": unsupported field "${field}"`);
  }
  let resources: Resource[] = [];
  for (const entry of list<string>(kustomization.resources)) {
    resources.push(...await loadEntry(`${dir}/${entry}`));
  }
  rejectDuplicates(resources, file);
  for (const patch of list<{ path?: string }>(kustomization.patches)) {
    if (!patch.path) throw new Error(`Cannot build "${file}": only patches with "path" are supported`);
    for (const patchResource of await loadYamlFile(`${dir}/${patch.path}`)) {
      resources = applyPatch(resources, patchResource, file);
    }
  }
  const namespace = kustomization.namespace as string | undefined;
  if (namespace) resources = resources.map((r) => withNamespace(r, namespace));
  for (const image of list<ImageOverride>(kustomization.images)) {
    resources = resources.map((r) => withImage(r, image));
  }
  return resources;
}

async function loadEntry(path: string): Promise<Resource[]> {
  const info = await Deno.stat(path).catch(() => {
    throw new Error(`Cannot load resource "${path}": not found`);
  });
  return info.isDirectory ? await buildKustomization(path) : await loadYamlFile(path);
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? value as T[] : [];
}

/** `kind/name` plus the namespace when there is one: kustomize's resource identity. */
export function resourceId(resource: Resource): string {
  const namespace = resource.metadata.namespace ? `${resource.metadata.namespace}/` : "";
  return `${resource.kind}/${namespace}${resource.metadata.name}`;
}

function rejectDuplicates(resources: Resource[], file: string): void {
  const seen = new Set<string>();
  for (const resource of resources) {
    const id = resourceId(resource);
    if (seen.has(id)) throw new Error(`Cannot build "${file}": ${id} appears twice`);
    seen.add(id);
  }
}

function applyPatch(resources: Resource[], patch: Resource, file: string): Resource[] {
  const matches = (r: Resource) =>
    r.kind === patch.kind && r.metadata.name === patch.metadata.name &&
    (!patch.metadata.namespace || r.metadata.namespace === patch.metadata.namespace);
  if (!resources.some(matches)) {
    throw new Error(`Cannot build "${file}": patch target ${resourceId(patch)} not found`);
  }
  return resources.map((r) => matches(r) ? mergeMaps(r, patch) as Resource : r);
}

/** Recursive merge of plain objects; anything else in `patch` replaces what `base` had. */
export function mergeMaps(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    merged[key] = key in base ? mergeMaps(base[key], value) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function withNamespace(resource: Resource, namespace: string): Resource {
  if (CLUSTER_SCOPED_KINDS.has(resource.kind)) return resource;
  return { ...resource, metadata: { ...resource.metadata, namespace } };
}

type Fields = Record<string, unknown>;

/** The pod spec of a Pod, or of a workload's pod template. */
export function podSpec(resource: Resource): Fields | undefined {
  const spec = resource.spec as Fields | undefined;
  if (resource.kind === "Pod") return spec;
  return (spec?.template as Fields | undefined)?.spec as Fields | undefined;
}

/** The init containers and containers of a Pod or of a workload's pod template. */
export function podContainers(resource: Resource): Fields[] {
  const spec = podSpec(resource);
  if (!spec) return [];
  return [...list<Fields>(spec.initContainers), ...list<Fields>(spec.containers)];
}

/** Splits `registry/name:tag` or `name@sha256:…` into its name and the rest. */
export function splitImage(image: string): { name: string; tag: string | null; digest: string | null } {
  const [withoutDigest = "", digest = null] = image.split("@");
  const colon = withoutDigest.lastIndexOf(":");
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon > withoutDigest.lastIndexOf("/")) {
    return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  }
  return { name: withoutDigest, tag: null, digest };
}

function withImage(resource: Resource, override: ImageOverride): Resource {
  const copy = structuredClone(resource);
  for (const container of podContainers(copy)) {
    const image = splitImage(String(container.image ?? ""));
    if (image.name !== override.name) continue;
    const name = override.newName ?? image.name;
    const tag = override.newTag ?? image.tag;
    const digest = override.digest ?? (override.newTag ? null : image.digest);
    container.image = `${name}${tag && !override.digest ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
  }
  return copy;
}
