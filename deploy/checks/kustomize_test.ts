import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { KUBECTL_UNUSABLE, kubectlKustomize } from "./kubectl.ts";
import { buildKustomization, mergeMaps, type Resource, resourceId, splitImage } from "./kustomize.ts";
import { withFiles } from "../../testing/files.ts";

const DEPLOY = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

const DEPLOYMENT = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: old}
spec:
  template:
    spec:
      initContainers: [{name: init, image: "registry.local:5000/agent:1"}]
      containers: [{name: main, image: "registry.local:5000/agent:1", args: [a, b]}]
`;

const BASE = {
  "base/kustomization.yaml": "resources: [workload.yaml, config.yaml]\n",
  "base/workload.yaml": DEPLOYMENT,
  "base/config.yaml": [
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1', b: '2'}",
    "---",
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}",
    "---",
    "",
  ].join("\n"),
};

Deno.test("buildKustomization() loads files, multi-document files and nested kustomizations", async () => {
  await withFiles("kustomize-test-", BASE, async (dir) => {
    const resources = await buildKustomization(`${dir}/base`);
    assert.deepEqual(resources.map(resourceId), [
      "DaemonSet/old/agent",
      "ConfigMap/settings",
      "Namespace/other",
    ]);
  });
});

Deno.test("buildKustomization() applies namespace (namespaced kinds only), patches and images", async () => {
  const overlay = {
    ...BASE,
    "overlay/kustomization.yaml": [
      "namespace: fresh",
      "resources: [../base]",
      "patches: [{path: patch.yaml}]",
      "images: [{name: 'registry.local:5000/agent', newName: example.org/agent, newTag: '2'}]",
      "",
    ].join("\n"),
    "overlay/patch.yaml": [
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {b: '3', c: '4'}",
      "---",
      "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}",
      "spec: {template: {spec: {containers: [{name: main, image: 'registry.local:5000/agent:1', args: [z]}]}}}",
      "",
    ].join("\n"),
  };
  await withFiles("kustomize-test-", overlay, async (dir) => {
    const [daemonSet, config, namespace] = await buildKustomization(`${dir}/overlay`);
    assert.equal(daemonSet!.metadata.namespace, "fresh", "kustomize overrides an existing namespace");
    assert.equal(config!.metadata.namespace, "fresh");
    assert.equal(namespace!.metadata.namespace, undefined, "a Namespace gets no namespace");
    assert.deepEqual(config!.data, { a: "1", b: "3", c: "4" });
    const spec =
      (daemonSet!.spec as { template: { spec: Record<string, { image: string; args?: string[] }[]> } })
        .template.spec;
    assert.deepEqual(spec.containers, [{ name: "main", image: "example.org/agent:2", args: ["z"] }]);
    assert.equal(spec.initContainers![0!]!.image, "example.org/agent:2");
  });
});

Deno.test("buildKustomization() refuses what it does not understand", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { "k/kustomization.yaml": "resources: [a.yaml]\ncommonLabels: {a: b}\n" },
      /unsupported field "commonLabels"/,
    ],
    [{ "k/kustomization.yaml": "resources: [missing.yaml]\n" }, /"[^"]*missing.yaml": not found/],
    [{ "k/kustomization.yaml": "resources: [a.yaml, a.yaml]\n", "k/a.yaml": DEPLOYMENT }, /appears twice/],
    [{ "k/kustomization.yaml": "patches: [{patch: 'x'}]\n" }, /only patches with "path"/],
    [
      { "k/kustomization.yaml": "patches: [{path: p.yaml}]\n", "k/p.yaml": DEPLOYMENT },
      /patch target DaemonSet\/old\/agent not found/,
    ],
    [
      { "k/kustomization.yaml": "resources: [a.yaml]\n", "k/a.yaml": "kind: ConfigMap\n" },
      /lacks apiVersion/,
    ],
    [{ "k/kustomization.yaml": "resources: [a.yaml]\n", "k/a.yaml": "a: [\n" }, /Cannot parse/],
  ];
  for (const [files, message] of cases) {
    await withFiles("kustomize-test-", files, async (dir) => {
      await assert.rejects(buildKustomization(`${dir}/k`), message);
    });
  }
});

Deno.test("mergeMaps() merges maps and replaces lists and scalars", () => {
  assert.deepEqual(
    mergeMaps({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { c: [3], e: null }, d: { f: 1 } }),
    { a: { b: 1, c: [3], e: null }, d: { f: 1 } },
  );
});

Deno.test("splitImage() tells a registry port from a tag", () => {
  assert.deepEqual(splitImage("localhost:5000/a/b"), { name: "localhost:5000/a/b", tag: null, digest: null });
  assert.deepEqual(splitImage("localhost/a:dev"), { name: "localhost/a", tag: "dev", digest: null });
  assert.deepEqual(splitImage("a@sha256:00"), { name: "a", tag: null, digest: "sha256:00" });
});

const KUBECTL_SKIP = await KUBECTL_UNUSABLE;

/** Resources by identity, for comparing builds whose order and key order may differ. */
function byId(resources: Resource[]): Map<string, Resource> {
  return new Map(resources.map((r) => [resourceId(r), r]));
}

for (const kustomization of ["", "/examples/cluster-overlay"]) {
  const name = `buildKustomization(deploy${kustomization}) equals kubectl kustomize's output`;
  Deno.test({
    name: KUBECTL_SKIP ? `${name} (skipped: ${KUBECTL_SKIP})` : name,
    ignore: KUBECTL_SKIP !== null,
    async fn() {
      const dir = `${DEPLOY}${kustomization}`;
      assert.deepEqual(byId(await buildKustomization(dir)), byId(await kubectlKustomize(dir)));
    },
  });
}
