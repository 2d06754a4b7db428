/**
 * The deploy/ manifests against each other, the daemon, deno.json, the build and the image layout.
 * manifest_checks_test.ts shows that each check reports a broken manifest.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../daemon/config.ts";
import { resourceName } from "../../daemon/resources/resource_names.ts";
import {
  kubeOvnProblems,
  nadProblems,
  podProblems,
  registeredBindings,
  SUPPORTED_CNI_VERSIONS,
  vmProblems,
} from "./example_checks.ts";
import { imagePathProblems, imagePaths, imageProblems } from "./image_checks.ts";
import { ARCHES, HOST_ARCH } from "../../tools/build.ts";
import { IMAGE_APP_DIR, imageLayout } from "../../tools/image_layout.ts";
import { IMAGE_NAME } from "../../tools/image.ts";
import { VERSION } from "../../daemon/version.ts";
import { kustomize } from "./kubectl.ts";
import { loadYamlDocuments, podSpec, type Resource, resourceId } from "./kustomize.ts";
import {
  capabilityCommentProblems,
  configMapProblems,
  container,
  containerSecurityProblems,
  findOne,
  installerProblems,
  mountProblems,
  privilegeProblems,
  probeProblems,
  sandboxProblems,
} from "./manifest_checks.ts";
import { pathExists } from "../../testing/files.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const DEPLOY = `${ROOT}/deploy`;

async function yamlFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}

const YAML_FILES = await yamlFiles(DEPLOY);
const BUILDS: Record<string, Resource[]> = {
  "deploy/": await kustomize(DEPLOY),
  "deploy/examples/cluster-overlay/": await kustomize(`${DEPLOY}/examples/cluster-overlay`),
};
const BASE = BUILDS["deploy/"];
const DAEMON_SET = findOne(BASE!, "DaemonSet");
const DAEMON = container(DAEMON_SET, "deviceplugin");
const INSTALLER = container(DAEMON_SET, "install-cni");

/** Every Kubernetes object of the examples (kustomizations and their overlay files left out). */
async function exampleResources(): Promise<Resource[]> {
  const resources: Resource[] = [];
  for (const file of YAML_FILES.filter((f) => f.includes("/examples/") && !f.includes("/cluster-overlay/"))) {
    resources.push(...await loadYamlDocuments(file) as Resource[]);
  }
  return resources;
}
const EXAMPLES = await exampleResources();
const ofKind = (kind: string) => EXAMPLES.filter((r) => r.kind === kind);

Deno.test("every YAML file under deploy/ parses into Kubernetes objects or a kustomization", async () => {
  assert.ok(YAML_FILES.length >= 15, `found only ${YAML_FILES.length} YAML files`);
  for (const file of YAML_FILES) {
    const documents = await loadYamlDocuments(file) as Record<string, unknown>[];
    assert.ok(documents.length > 0, `${file} is empty`);
    for (const document of documents) {
      const named = typeof (document.metadata as Record<string, unknown> | undefined)?.name === "string";
      const isKustomization = file.endsWith("/kustomization.yaml") &&
        (Array.isArray(document.resources) || document.kind === "Component");
      assert.ok(isKustomization || (document.apiVersion && document.kind && named), `${file}: not an object`);
    }
  }
});

Deno.test("deploy/ builds namespace-neutral; the overlay adds its namespace, config and registry image", () => {
  assert.deepEqual(BASE!.map(resourceId), [
    "ServiceAccount/macvtap",
    "ConfigMap/macvtap-deviceplugin-config",
    "DaemonSet/macvtap",
  ]);
  const overlay = BUILDS["deploy/examples/cluster-overlay/"];
  assert.deepEqual(overlay!.map(resourceId), [
    "Namespace/macvtap",
    "ServiceAccount/macvtap/macvtap",
    "ConfigMap/macvtap/macvtap-deviceplugin-config",
    "DaemonSet/macvtap/macvtap",
  ]);
  const images = container(findOne(overlay!, "DaemonSet"), "deviceplugin").image;
  assert.equal(images, `registry.example.com/macvtap-stack:${VERSION}`);
  assert.deepEqual(imageProblems(DAEMON_SET, IMAGE_NAME, VERSION), [], "the image deno task image tags");
});

Deno.test("every object and the pod template carry app.kubernetes.io/version, the version of deno.json", () => {
  const template =
    (DAEMON_SET.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
  const labelSets = [
    ...BASE!.map((r) => r.metadata.labels as Record<string, string>),
    template.metadata.labels,
  ];
  assert.equal(labelSets.length, 4);
  for (const labels of labelSets) assert.equal(labels["app.kubernetes.io/version"], VERSION);
});

Deno.test("the DaemonSet runs on linux nodes of the architectures the image is built for", () => {
  const spec = podSpec(DAEMON_SET)!;
  assert.deepEqual(spec.nodeSelector, { "kubernetes.io/os": "linux" });
  const terms = (spec.affinity as { nodeAffinity: Record<string, { nodeSelectorTerms: unknown[] }> })
    .nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
  assert.deepEqual(terms, [{
    matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: [...ARCHES] }],
  }]);
});

for (const [name, resources] of Object.entries(BUILDS)) {
  Deno.test(`${name}: the ConfigMap the DaemonSet mounts exists, mounted whole, with a config the daemon accepts`, () => {
    const daemonSet = findOne(resources, "DaemonSet");
    assert.deepEqual(configMapProblems(resources, daemonSet, container(daemonSet, "deviceplugin")), []);
  });
}

Deno.test("the default config is [] (auto-discovery)", () => {
  const data = findOne(BASE!, "ConfigMap", "macvtap-deviceplugin-config").data as Record<string, string>;
  assert.deepEqual(Object.keys(data), ["DP_MACVTAP_CONF"]);
  assert.equal(parseConfig(data.DP_MACVTAP_CONF!, "base").autoDiscover, true);
});

Deno.test("nothing under deploy/ is privileged, escalates privileges or shares host PID/IPC", async () => {
  for (const file of YAML_FILES) {
    for (const document of await loadYamlDocuments(file)) {
      assert.deepEqual(privilegeProblems(document, file), []);
    }
  }
});

Deno.test("the DaemonSet's containers drop all capabilities, add only NET_ADMIN (explained), read-only root", async () => {
  assert.deepEqual(containerSecurityProblems(DAEMON_SET), []);
  for (const file of YAML_FILES) {
    assert.deepEqual(capabilityCommentProblems(await Deno.readTextFile(file), file), []);
  }
  const added = (DAEMON.securityContext as { capabilities: { add: string[] } }).capabilities.add;
  assert.deepEqual(added, ["NET_ADMIN"]);
});

Deno.test("the pod: hostNetwork, system-node-critical, every taint tolerated, no API token", () => {
  const spec = podSpec(DAEMON_SET)!;
  assert.equal(spec.hostNetwork, true);
  assert.equal(spec.priorityClassName, "system-node-critical");
  assert.deepEqual(spec.tolerations, [{ operator: "Exists" }]);
  assert.equal(spec.automountServiceAccountToken, false);
  const account = findOne(BASE!, "ServiceAccount");
  assert.equal(spec.serviceAccountName, account.metadata.name);
  assert.equal(account.automountServiceAccountToken, false);
  assert.ok(!BASE!.some((r) => /Role/.test(r.kind)), "no RBAC: the daemon never calls the API server");
});

Deno.test("readiness GETs /readyz and liveness /healthz on the port --metrics serves", () => {
  assert.deepEqual(probeProblems(DAEMON), []);
});

Deno.test("the daemon runs `deno task daemon`; the sandbox its args derive grants only mounts and the broker", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.deepEqual(sandboxProblems(DAEMON, denoJson, IMAGE_APP_DIR, ROOT), []);
});

Deno.test("kubelet directories are hostPath mounts at the host's paths; no /dev, no subPath", () => {
  assert.deepEqual(mountProblems(DAEMON_SET, DAEMON), []);
});

Deno.test("the init container installs the image's dist/cni into the CNI bin dir with the narrowest flags", () => {
  assert.deepEqual(installerProblems(DAEMON_SET, INSTALLER, IMAGE_APP_DIR), []);
});

Deno.test("every path the containers use is in the image, from the repository or from deno task build", async () => {
  const used = imagePaths(DAEMON_SET, "install-cni", "deviceplugin", IMAGE_APP_DIR);
  assert.ok(
    used.some((p) => p.path === `${IMAGE_APP_DIR}/dist/link-broker`),
    "the daemon's --broker is checked",
  );
  const layout = await imageLayout(HOST_ARCH, Deno.execPath());
  for (const path of used) assert.deepEqual(imagePathProblems(layout, path, pathExists), [], path.path);
  assert.ok(pathExists(`${ROOT}/dist/cni/macvtap`), "dist/cni is built (deno task build)");
});

/** Resource names the overlay's explicit config creates. */
function configuredResources(): Set<string> {
  const overlay = BUILDS["deploy/examples/cluster-overlay/"];
  const data = findOne(overlay!, "ConfigMap").data as Record<string, string>;
  return new Set(parseConfig(data.DP_MACVTAP_CONF!, "overlay").resources.map((r) => resourceName(r.name)));
}

Deno.test("every NAD asks for a resource the example config creates and configures the plugin validly", () => {
  const nads = ofKind("NetworkAttachmentDefinition");
  assert.equal(nads.length, 3);
  for (const nad of nads) assert.deepEqual(nadProblems(nad, configuredResources()), []);
  assert.ok(SUPPORTED_CNI_VERSIONS.includes("1.0.0"));
});

Deno.test("example pods attach to defined NADs and request one device per attachment", () => {
  const pods = ofKind("Pod");
  assert.equal(pods.length, 2);
  for (const pod of pods) assert.deepEqual(podProblems(pod, ofKind("NetworkAttachmentDefinition")), []);
});

Deno.test("the example VM uses the registered macvtap binding (tap) and a defined NAD", () => {
  const bindings = registeredBindings(findOne(EXAMPLES, "KubeVirt"));
  assert.deepEqual(bindings, { macvtap: { domainAttachmentType: "tap" } });
  const vm = findOne(EXAMPLES, "VirtualMachine");
  assert.deepEqual(vmProblems(vm, ofKind("NetworkAttachmentDefinition"), bindings), []);
});

Deno.test("kube-ovn: the NAD's provider, the Subnet and the pod's annotations agree", () => {
  const pod = findOne(EXAMPLES, "Pod", "macvtap-ovn-client");
  assert.deepEqual(kubeOvnProblems(pod, ofKind("NetworkAttachmentDefinition"), ofKind("Subnet")), []);
});

Deno.test("the OpenShift SCC grants what the DaemonSet uses: NET_ADMIN only, hostNetwork, hostPath, uid 0", () => {
  const scc = findOne(EXAMPLES, "SecurityContextConstraints") as Record<string, unknown> & Resource;
  assert.deepEqual(scc.allowedCapabilities, ["NET_ADMIN"]);
  assert.deepEqual(scc.requiredDropCapabilities, ["ALL"]);
  assert.equal(scc.allowPrivilegedContainer, false);
  assert.equal(scc.allowHostNetwork, true);
  assert.equal(scc.allowHostDirVolumePlugin, true);
  assert.deepEqual(scc.runAsUser, { type: "RunAsAny" });
  const overlay = BUILDS["deploy/examples/cluster-overlay/"];
  const account = findOne(overlay!, "ServiceAccount");
  assert.deepEqual(scc.users, [
    `system:serviceaccount:${account.metadata.namespace}:${account.metadata.name}`,
  ]);
  const volumeKinds = (podSpec(DAEMON_SET)!.volumes as Record<string, unknown>[])
    .map((v) => Object.keys(v).find((k) => k !== "name"));
  assert.deepEqual([...new Set(volumeKinds)].sort(), scc.volumes);
});
