/**
 * Each manifest check reports a broken manifest: the real manifests, broken one way at a time.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { kubeOvnProblems, nadProblems, podProblems, vmProblems } from "./example_checks.ts";
import { imagePathProblems, imageProblems } from "./image_checks.ts";
import { HOST_ARCH } from "../../tools/build.ts";
import { IMAGE_APP_DIR, imageLayout } from "../../tools/image_layout.ts";
import { kustomize } from "./kubectl.ts";
import { loadYamlFile, type Resource } from "./kustomize.ts";
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

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const DEPLOY = `${ROOT}/deploy`;
const BASE = await kustomize(DEPLOY);
const DENO_JSON = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const EXAMPLES = `${DEPLOY}/examples`;

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

Deno.test("sandboxProblems() finds another command, args it refuses and grants beyond mounts or the broker", () => {
  const check = (edit: (d: Fields) => void, denoJson = DENO_JSON) =>
    sandboxProblems(daemonOf(broken((_, d) => edit(d))).daemon, denoJson, IMAGE_APP_DIR, ROOT);
  reports(
    check((d) => d.command.splice(d.command.indexOf("--allow-run=deno"), 1, "-A")),
    /is not deno task daemon's/,
  );
  reports(check((d) => d.workingDir = "/"), /workingDir/);
  reports(
    check((d) => d.args[0] = "--config=/etc/other/DP_MACVTAP_CONF"),
    /grants \/etc\/other, which is not a volume mount/,
  );
  reports(
    check((d) => d.args.push("--plugin-dir=/var/lib")),
    /grants \/var\/lib, which is not a volume mount/,
  );
  reports(check((d) => d.args.push("--broker=/usr/bin/ip")), /may run \/usr\/bin\/ip/);
  reports(check((d) => d.args.push("--log-level=loud")), /refuses its args: .*loud/);
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
    return installerProblems(daemonSet, installer, IMAGE_APP_DIR);
  };
  const replace = (i: Fields, from: string, to: string) =>
    i.command = i.command.map((w: string) => w === from ? to : w);
  reports(check((i) => replace(i, "--allow-write=/host/opt/cni/bin", "--allow-write=/")), /may write \//);
  reports(check((i) => i.command.splice(2, 0, "--allow-run")), /also gets --allow-run/);
  reports(check((i) => replace(i, "--from=/opt/macvtap/dist/cni", "--from=/tmp")), /--from is \/tmp/);
  reports(check((_, s) => s.spec.template.spec.volumes[0].hostPath = undefined), /not a hostPath mount/);
});

Deno.test("imagePathProblems() and imageProblems() find paths the image lacks, missing sources, other images", async () => {
  const layout = await imageLayout(HOST_ARCH, Deno.execPath());
  const exists = () => true;
  const withoutProto = layout.filter((entry) => !entry.target.endsWith("/proto"));
  reports(
    imagePathProblems(withoutProto, { path: "/opt/macvtap/proto/x.proto", usedBy: "x" }, exists),
    /not copied/,
  );
  reports(
    imagePathProblems(layout, { path: "/opt/macvtap/dist/cni/macvtap", usedBy: "x" }, () => false),
    /comes from ".*\/dist\/cni\/macvtap", which does not exist/,
  );
  assert.deepEqual(
    imagePathProblems(layout, { path: "/opt/macvtap/daemon/main.ts", usedBy: "x" }, exists),
    [],
  );
  reports(imagePathProblems(layout, { path: "/usr/bin/env", usedBy: "x" }, exists), /not copied/);
  const { daemonSet } = daemonOf(BASE);
  assert.deepEqual(imageProblems(daemonSet, "localhost/macvtap-stack", "0.1.0"), []);
  reports(
    imageProblems(daemonSet, "localhost/macvtap-stack", "9.9.9"),
    /not localhost\/macvtap-stack:9\.9\.9/,
  );
  const other = structuredClone(BASE);
  (container(findOne(other, "DaemonSet"), "install-cni").command as string[])[0] = "sh";
  reports(
    imageProblems(findOne(other, "DaemonSet"), "localhost/macvtap-stack", "0.1.0"),
    /"install-cni" runs no deno/,
  );
});

Deno.test("the example checks find unknown resources, unmatched limits, bindings and kube-ovn drift", async () => {
  const [nad] = await loadYamlFile(`${EXAMPLES}/multus/network-attachment-definition.yaml`);
  const [pod] = await loadYamlFile(`${EXAMPLES}/multus/pod.yaml`);
  const known = new Set(["macvtap.network.kubevirt.io/other"]);
  reports(
    nadProblems(nad!, known),
    /asks for macvtap.network.kubevirt.io\/dataplane, which no config creates/,
  );
  const typo = structuredClone(nad);
  (typo!.spec as Fields).config = '{"cniVersion":"0.2.0","name":"x","type":"macvlan","master":"eth0"}';
  for (const pattern of [/type macvlan/, /network "x"/, /cniVersion 0\.2\.0/, /unknown key "master"/]) {
    reports(nadProblems(typo!, known), pattern);
  }
  const twoDevices = structuredClone(pod);
  (twoDevices!.spec as Fields).containers[0].resources.limits["macvtap.network.kubevirt.io/dataplane"] = 2;
  reports(podProblems(twoDevices!, [nad!]), /limits .* to 2, needs 1/);
  reports(podProblems(pod!, []), /attaches to dataplane, which no example defines/);
  const [vm] = await loadYamlFile(`${EXAMPLES}/kubevirt/virtual-machine.yaml`);
  reports(vmProblems(vm!, [], {}), /binding macvtap, which is not registered/);
  reports(
    vmProblems(vm!, [], { macvtap: { domainAttachmentType: "managedTap" } }),
    /domainAttachmentType tap/,
  );
  const ovnNads = await loadYamlFile(`${EXAMPLES}/kube-ovn/network-attachment-definition.yaml`);
  const [ovnPod] = await loadYamlFile(`${EXAMPLES}/kube-ovn/pod.yaml`);
  const [subnet] = await loadYamlFile(`${EXAMPLES}/kube-ovn/subnet.yaml`);
  const outside = structuredClone(ovnPod);
  (outside!.metadata.annotations as Fields)["bond0-ovn.default.kubernetes.io/ip_address"] = "192.0.3.5";
  reports(kubeOvnProblems(outside!, ovnNads, [subnet!]), /outside 192\.0\.2\.0\/24/);
  (outside!.metadata.annotations as Fields)["bond0-ovn.default.kubernetes.io/ip_address"] = "192.0.2.5";
  reports(kubeOvnProblems(outside!, ovnNads, [subnet!]), /excluded/);
  const moved = structuredClone(subnet);
  (moved!.spec as Fields).provider = "bond0-ovn.kube-system";
  reports(kubeOvnProblems(ovnPod!, ovnNads, [moved!]), /has provider bond0-ovn.kube-system/);
  const renamed = structuredClone(ovnNads[0]);
  renamed!.metadata.namespace = "other";
  reports(nadProblems(renamed!, new Set()), /provider bond0-ovn.default, not bond0-ovn.other/);
});
