/**
 * The platform component, its overlay and the uninstaller, built by the real `kubectl kustomize` (the
 * private resolver in kustomize.ts knows no components): OpenShift's CNI bin dir reaches every DaemonSet
 * and nothing else changes; the uninstaller cleans the same dir the installer fills, from the same image.
 *
 * Skipped, saying why in its name, when no kubectl with a kustomize that knows components is on the PATH.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { KUBECTL_UNUSABLE, kubectlKustomize as kustomize } from "./kubectl.ts";
import { podSpec, type Resource, resourceId } from "./kustomize.ts";
import { container, findOne, flagValues, volumeNamed } from "./manifest_checks.ts";

const DEPLOY = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
type Fields = Record<string, unknown>;

const SKIP = await KUBECTL_UNUSABLE;

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: SKIP ? `${name} (skipped: ${SKIP})` : name, ignore: SKIP !== null, fn });
}

function cniBinPath(daemonSet: Resource): string {
  return String((volumeNamed(daemonSet, "cni-bin")?.hostPath as Fields).path);
}

function byId(resources: Resource[]): Map<string, Resource> {
  return new Map(resources.map((r) => [resourceId(r), r]));
}

test("components/openshift moves the CNI bin dir to /var/lib/cni/bin and changes nothing else", async () => {
  const base = await kustomize(DEPLOY);
  const openshift = await kustomize(`${DEPLOY}/overlays/openshift`);
  assert.equal(cniBinPath(findOne(base, "DaemonSet")), "/opt/cni/bin");
  assert.equal(cniBinPath(findOne(openshift, "DaemonSet")), "/var/lib/cni/bin");
  const restored = structuredClone(openshift);
  const volume = volumeNamed(findOne(restored, "DaemonSet"), "cni-bin")!.hostPath as Fields;
  volume.path = "/opt/cni/bin";
  assert.deepEqual(byId(restored), byId(base));
});

test("deploy/uninstall cleans the dir the installer fills, from the same image, alone or with the component", async () => {
  const agent = findOne(await kustomize(DEPLOY), "DaemonSet");
  const installer = container(agent, "install-cni");
  const uninstall = findOne(await kustomize(`${DEPLOY}/uninstall`), "DaemonSet");
  const remover = container(uninstall, "uninstall-cni");
  const flags = flagValues(remover.command);
  const to = flagValues(installer.command).get("to")!;
  assert.equal(flags.get("to"), to);
  assert.ok(flags.has("uninstall"));
  assert.equal(flags.get("allow-read"), to);
  assert.equal(flags.get("allow-write"), to);
  assert.equal(cniBinPath(uninstall), cniBinPath(agent));
  for (const c of [remover, container(uninstall, "done")]) assert.equal(c.image, installer.image);
  assert.deepEqual(
    flagValues(container(uninstall, "done").command),
    new Map([["no-prompt", ""], ["no-config", ""], ["wait", ""]]),
  );
  assert.equal(podSpec(uninstall)!.automountServiceAccountToken, false);
  // With the OpenShift component, as an operator there would build it.
  const overlay = await Deno.makeTempDir({ dir: DEPLOY, prefix: ".uninstall-openshift-" });
  try {
    await Deno.writeTextFile(
      `${overlay}/kustomization.yaml`,
      "resources:\n  - ../uninstall\ncomponents:\n  - ../components/openshift\n",
    );
    assert.equal(cniBinPath(findOne(await kustomize(overlay), "DaemonSet")), "/var/lib/cni/bin");
  } finally {
    await Deno.remove(overlay, { recursive: true });
  }
});
