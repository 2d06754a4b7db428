/**
 * The real `kubectl kustomize`, preferred wherever one that can build deploy/ is on the PATH, and the private
 * resolver (kustomize.ts) everywhere else.
 *
 * Why both: Debian 12's `kubernetes-client` is kubectl 1.20 with kustomize v2.0.3, which knows neither
 * directories as resources, nor `patches`, nor `components`; it cannot build deploy/ at all. So a fresh
 * machine has no kustomize that can, and the manifest checks would not run there without the private
 * resolver. Where a current kubectl is installed, the checks build with it, and kustomize_test.ts shows
 * that both builds agree.
 *
 * Requires `--allow-run=kubectl` (when it is there) and `--allow-read` of the kustomization directories.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { buildKustomization, type Resource } from "./kustomize.ts";

/** deploy/, resolved from this file. */
const DEPLOY = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * `kubectl kustomize dir`, parsed.
 *
 * @throws {Deno.errors.NotFound} when there is no kubectl; {Error} with kubectl's words when it fails
 */
export async function kubectlKustomize(dir: string): Promise<Resource[]> {
  const out = await new Deno.Command("kubectl", {
    args: ["kustomize", dir],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`kubectl kustomize ${dir} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return parseAllDocuments(new TextDecoder().decode(out.stdout)).map((d) => d.toJS() as Resource);
}

/**
 * Why the real kustomize cannot build our kustomizations here (no kubectl, or one too old for components),
 * or null when it can. Asked once: it builds the overlay that uses every feature deploy/ needs.
 */
export const KUBECTL_UNUSABLE: Promise<string | null> = kubectlKustomize(`${DEPLOY}/overlays/openshift`).then(
  () => null,
  (error) =>
    error instanceof Deno.errors.NotFound
      ? "no kubectl on the PATH"
      : `kubectl kustomize fails: ${(error as Error).message.split("\n")[0]}`,
);

/** Builds the kustomization in `dir` with the real kustomize where it is usable, else with the private one. */
export async function kustomize(dir: string): Promise<Resource[]> {
  return await KUBECTL_UNUSABLE === null ? await kubectlKustomize(dir) : await buildKustomization(dir);
}
