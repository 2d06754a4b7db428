/**
 * Each manifest check reports a broken manifest: the real manifests, broken one way at a time.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseStages } from "./containerfile.ts";
import { kubeOvnProblems, nadProblems, podProblems, vmProblems } from "./example_checks.ts";
import { denoProblems, imagePathProblems, type Repository } from "./image_checks.ts";
import { buildKustomization, loadYamlFile, type Resource } from "./kustomize.ts";
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

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const DEPLOY = `${ROOT}/deploy`;
const IMAGE_ROOT = "/opt/macvtap";
const BASE = await buildKustomization(DEPLOY);
const DENO_JSON = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const CONTAINERFILE = await Deno.readTextFile(`${DEPLOY}/Containerfile`);
const EXAMPLES = `${DEPLOY}/examples`;
const everythingExists: Repository = { exists: () => true };

// Free-form edits of parsed YAML: any keeps each one-line mutation readable.
// deno-lint-ignore no-explicit-any
type Fields = Record<string, any>;

/** A deep copy of the base build with `edit` applied to the DaemonSet and its two containers. */
function broken(edit: (daemonSet: Fields, daemon: Fields, installer: Fields) => void): Resource[] {
  const resources = structuredClone(BASE);
  const daemonSet = findOne(resources, "DaemonSet");
  edit(daemonSet, container(daemonSet, "deviceplugin"), container(daemonSet, "install-cni"));
  return resources;
}

function daemonOf(resources: Resource[]) {
  const daemonSet = findOne(resources, "DaemonSet");
  return {
    daemonSet,
    daemon: container(daemonSet, "deviceplugin"),
    installer: container(daemonSet, "install-cni"),
  };
}

function reports(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected ${pattern} in ${JSON.stringify(problems)}`);
}

Deno.test("privilegeProblems() finds privileged, escalation and host PID anywhere", () => {
  const { daemonSet } = daemonOf(broken((_, daemon) => daemon.securityContext.privileged = true));
  reports(privilegeProblems(daemonSet, "ds"), /securityContext\.privileged is true/);
  reports(privilegeProblems({ a: [{ hostPID: true }] }, "x"), /a\.0\.hostPID/);
  reports(privilegeProblems({ allowPrivilegedContainer: true }, "scc"), /allowPrivilegedContainer/);
});

Deno.test("containerSecurityProblems() finds added capabilities, kept capabilities and writable roots", () => {
  const cases: [(d: Fields, i: Fields) => void, RegExp][] = [
    [(d) => d.securityContext.capabilities.add.push("SYS_ADMIN"), /"deviceplugin" adds SYS_ADMIN/],
    [(_, i) => i.securityContext.capabilities.add = ["NET_ADMIN"], /"install-cni" adds NET_ADMIN/],
    [(d) => d.securityContext.capabilities.drop = [], /does not drop ALL/],
    [(_, i) => i.securityContext.readOnlyRootFilesystem = false, /writable root/],
    [(d) => delete d.securityContext.runAsUser, /runAsUser/],
  ];
  for (const [edit, pattern] of cases) {
    reports(containerSecurityProblems(daemonOf(broken((_, d, i) => edit(d, i))).daemonSet), pattern);
  }
});

Deno.test("capabilityCommentProblems() wants a comment on every added capability", async () => {
  const text = await Deno.readTextFile(`${DEPLOY}/base/daemonset.yaml`);
  const uncommented = text.replace(/(\n\s+add:\n)(\s+#[^\n]*\n)+/, "$1");
  assert.notEqual(uncommented, text);
  reports(capabilityCommentProblems(uncommented, "daemonset.yaml"), /NET_ADMIN has no comment/);
  const second = text.replace(/(\n(\s+)- NET_ADMIN\n)/, "$1$2- NET_RAW\n");
  reports(capabilityCommentProblems(second, "daemonset.yaml"), /NET_RAW has no comment/);
});

Deno.test("configMapProblems() finds a missing ConfigMap, a subPath mount, a wrong key and a bad config", () => {
  const check = (resources: Resource[]) => {
    const { daemonSet, daemon } = daemonOf(resources);
    return configMapProblems(resources, daemonSet, daemon);
  };
  reports(check(BASE.filter((r) => r.kind !== "ConfigMap")), /is not in the build/);
  reports(check(broken((_, d) => d.volumeMounts.at(-1).subPath = "DP_MACVTAP_CONF")), /subPath/);
  reports(
    check(broken((_, d) => d.args[0] = "--config=/etc/macvtap-device-plugin/conf.json")),
    /no key "conf.json"/,
  );
  reports(check(broken((_, d) => d.args.shift())), /gets no --config/);
  const badConfig = structuredClone(BASE);
  findOne(badConfig, "ConfigMap").data = { DP_MACVTAP_CONF: '[{"name":"eth0","mode":"bridged"}]' };
  reports(check(badConfig), /bridged/);
});

Deno.test("probeProblems() finds probes off the metrics port, the wrong path, or exec probes", () => {
  const check = (edit: (d: Fields) => void) => probeProblems(daemonOf(broken((_, d) => edit(d))).daemon);
  reports(check((d) => d.livenessProbe.httpGet.port = 9999), /livenessProbe port 9999/);
  reports(
    check((d) => d.ports[0].containerPort = 9121),
    /readinessProbe port metrics is not the metrics port/,
  );
  reports(check((d) => d.readinessProbe.httpGet.path = "/metrics"), /GETs \/metrics/);
  reports(check((d) => d.readinessProbe = { exec: { command: ["ls"] } }), /not an httpGet/);
  reports(
    check((d) => d.args = d.args.map((a: string) => a.replace("0.0.0.0", "127.0.0.1"))),
    /127\.0\.0\.1 only/,
  );
  reports(
    check((d) => d.args = d.args.filter((a: string) => !a.startsWith("--metrics"))),
    /serves no --metrics/,
  );
});

Deno.test("sandboxProblems() finds another command, args outside the set and a set wider than needed", () => {
  const check = (edit: (d: Fields) => void, denoJson = DENO_JSON) =>
    sandboxProblems(daemonOf(broken((_, d) => edit(d))).daemon, denoJson, IMAGE_ROOT, ROOT);
  reports(
    check((d) => d.command.splice(d.command.indexOf("-P=daemon"), 1, "-A")),
    /is not deno task daemon's/,
  );
  reports(check((d) => d.workingDir = "/"), /workingDir/);
  reports(check((d) => d.args[0] = "--config=/etc/other/DP_MACVTAP_CONF"), /^read: .*\/etc\/other/);
  reports(check((d) => d.args.push("--broker=/usr/bin/ip")), /^run: /);
  reports(check((d) => d.args = d.args.map((a: string) => a.replace(":9120", ":9999"))), /^net: /);
  const wider = structuredClone(DENO_JSON);
  wider.permissions.daemon.read.push("/etc");
  wider.permissions.daemon.ffi = true;
  reports(check(() => {}, wider), /^read: deno.json grants .*"\/etc"/);
  reports(check(() => {}, wider), /also grants ffi/);
  reports(check(() => {}, { tasks: {} }), /no daemon task/);
});

Deno.test("mountProblems() finds a socket-file mount, another host path, /dev and subPath", () => {
  const check = (edit: (s: Fields, d: Fields) => void) => {
    const { daemonSet, daemon } = daemonOf(broken((s, d) => edit(s, d)));
    return mountProblems(daemonSet, daemon);
  };
  const volume = (s: Fields, name: string) =>
    s.spec.template.spec.volumes.find((v: Fields) => v.name === name);
  const mount = (d: Fields, name: string) => d.volumeMounts.find((m: Fields) => m.name === name);
  reports(
    check((_, d) => mount(d, "pod-resources").mountPath = "/var/lib/kubelet/pod-resources/kubelet.sock"),
    /pod-resources-socket's directory .* is not itself a volume mount/,
  );
  reports(check((s) => volume(s, "device-plugins").hostPath.path = "/tmp/dp"), /not the same hostPath/);
  reports(check((_, d) => mount(d, "device-plugins").readOnly = true), /mounted read-only/);
  reports(check((_, d) => mount(d, "config").subPath = "x"), /with subPath/);
  reports(
    check((s, d) => {
      s.spec.template.spec.volumes.push({ name: "dev", hostPath: { path: "/dev" } });
      d.volumeMounts.push({ name: "dev", mountPath: "/host-dev" });
    }),
    /mounts \/dev/,
  );
});

Deno.test("installerProblems() finds wider permissions and a target that is not on the host", () => {
  const check = (edit: (i: Fields, s: Fields) => void) => {
    const { daemonSet, installer } = daemonOf(broken((s, _, i) => edit(i, s)));
    return installerProblems(daemonSet, installer, IMAGE_ROOT);
  };
  const replace = (i: Fields, from: string, to: string) =>
    i.command = i.command.map((w: string) => w === from ? to : w);
  reports(check((i) => replace(i, "--allow-write=/host/opt/cni/bin", "--allow-write=/")), /may write \//);
  reports(check((i) => i.command.splice(2, 0, "--allow-run")), /also gets --allow-run/);
  reports(check((i) => replace(i, "--from=/opt/macvtap/dist/cni", "--from=/tmp")), /--from is \/tmp/);
  reports(check((_, s) => s.spec.template.spec.volumes[0].hostPath = undefined), /not a hostPath mount/);
});

Deno.test("imagePathProblems() and denoProblems() find paths the image lacks and another Deno", () => {
  const stages = parseStages(CONTAINERFILE.replace("COPY --from=build /src/proto/ proto/\n", ""));
  reports(
    imagePathProblems(stages, { path: "/opt/macvtap/proto", usedBy: "x" }, everythingExists),
    /not copied/,
  );
  const real = parseStages(CONTAINERFILE);
  const nothing: Repository = { exists: () => false };
  reports(
    imagePathProblems(real, { path: "/opt/macvtap/daemon/main.ts", usedBy: "x" }, nothing),
    /not in the repo/,
  );
  reports(
    imagePathProblems(real, { path: "/opt/macvtap/dist/cni/x", usedBy: "x" }, nothing),
    /does not write "dist\/cni\/x"/,
  );
  const noBroker = parseStages(
    CONTAINERFILE.replace("COPY --from=build /src/dist/link-broker dist/link-broker\n", ""),
  );
  reports(
    imagePathProblems(noBroker, { path: "/opt/macvtap/dist/link-broker", usedBy: "x" }, everythingExists),
    /not copied/,
  );
  const { daemonSet } = daemonOf(BASE);
  const deno = (containerfile: string) =>
    denoProblems(containerfile, parseStages(containerfile), daemonSet, "2.9.3");
  const copy = "COPY --from=build /deno/deno /usr/local/bin/deno";
  assert.ok(CONTAINERFILE.includes(copy));
  reports(deno(CONTAINERFILE.replace("ARG DENO_VERSION=2.9.3", "ARG DENO_VERSION=2.9.6")), /2\.9\.6/);
  reports(deno(CONTAINERFILE.replace(copy, "")), /on the PATH/);
  // The npm command: a Node wrapper, not the binary; and a binary from the build context, not the npm install.
  reports(
    deno(CONTAINERFILE.replace(copy, "COPY --from=build /usr/local/bin/deno /usr/local/bin/deno")),
    /not the installed deno binary/,
  );
  reports(
    deno(CONTAINERFILE.replace(copy, "COPY tools/deno /usr/local/bin/deno")),
    /not from the npm install/,
  );
});

Deno.test("the example checks find unknown resources, unmatched limits, bindings and kube-ovn drift", async () => {
  const [nad] = await loadYamlFile(`${EXAMPLES}/multus/network-attachment-definition.yaml`);
  const [pod] = await loadYamlFile(`${EXAMPLES}/multus/pod.yaml`);
  const known = new Set(["macvtap.network.kubevirt.io/other"]);
  reports(
    nadProblems(nad, known),
    /asks for macvtap.network.kubevirt.io\/dataplane, which no config creates/,
  );
  const typo = structuredClone(nad);
  (typo.spec as Fields).config = '{"cniVersion":"0.2.0","name":"x","type":"macvlan","master":"eth0"}';
  for (const pattern of [/type macvlan/, /network "x"/, /cniVersion 0\.2\.0/, /unknown key "master"/]) {
    reports(nadProblems(typo, known), pattern);
  }
  const twoDevices = structuredClone(pod);
  (twoDevices.spec as Fields).containers[0].resources.limits["macvtap.network.kubevirt.io/dataplane"] = 2;
  reports(podProblems(twoDevices, [nad]), /limits .* to 2, needs 1/);
  reports(podProblems(pod, []), /attaches to dataplane, which no example defines/);
  const [vm] = await loadYamlFile(`${EXAMPLES}/kubevirt/virtual-machine.yaml`);
  reports(vmProblems(vm, [], {}), /binding macvtap, which is not registered/);
  reports(
    vmProblems(vm, [], { macvtap: { domainAttachmentType: "managedTap" } }),
    /domainAttachmentType tap/,
  );
  const ovnNads = await loadYamlFile(`${EXAMPLES}/kube-ovn/network-attachment-definition.yaml`);
  const [ovnPod] = await loadYamlFile(`${EXAMPLES}/kube-ovn/pod.yaml`);
  const [subnet] = await loadYamlFile(`${EXAMPLES}/kube-ovn/subnet.yaml`);
  const outside = structuredClone(ovnPod);
  (outside.metadata.annotations as Fields)["bond0-ovn.default.kubernetes.io/ip_address"] = "192.0.3.5";
  reports(kubeOvnProblems(outside, ovnNads, [subnet]), /outside 192\.0\.2\.0\/24/);
  (outside.metadata.annotations as Fields)["bond0-ovn.default.kubernetes.io/ip_address"] = "192.0.2.5";
  reports(kubeOvnProblems(outside, ovnNads, [subnet]), /excluded/);
  const moved = structuredClone(subnet);
  (moved.spec as Fields).provider = "bond0-ovn.kube-system";
  reports(kubeOvnProblems(ovnPod, ovnNads, [moved]), /has provider bond0-ovn.kube-system/);
  const renamed = structuredClone(ovnNads[0]);
  renamed.metadata.namespace = "other";
  reports(nadProblems(renamed, new Set()), /provider bond0-ovn.default, not bond0-ovn.other/);
});
