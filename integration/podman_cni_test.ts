// podman 4.3 (Debian) with its CNI backend (containers.conf network_backend = "cni") as a second real libcni
// runtime: a container started with --network <our conflist> --mac-address gets the node's macvtap as eth0
// with that MAC and a host-local address, and `--rm` (podman's DEL) gives everything back. podman runs inside
// the test's node netns (nsenter), so the plugin finds the temp link there and the machine's own netns is
// untouched. Every podman file lives in the test's work dir (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, HOME),
// except libcni's result cache (podman hard-codes /var/lib/cni) and runc's /run/runc: the test removes what
// it made there.
import { deepEqual, equal } from "node:assert/strict";
import { ensure } from "../testing/expect.ts";
import { leases } from "../testing/host_local.ts";
import { linkNames, tapNode } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { DEBIAN_CNI_DIR, LOWER_LINK, TestNode } from "../testing/test_node.ts";
import { CNI_DIST_DIR } from "../tools/build.ts";

const NETWORK = "mvtpod";
const MAC = "02:11:22:33:44:55";
const LIBCNI_CACHE = "/var/lib/cni";
const NEEDS = { programs: ["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox", "/usr/lib/cni/host-local"] };

/** A rootfs holding only busybox-static and the applets the container runs (no registry here). */
async function writeRootfs(dir: string): Promise<void> {
  for (const sub of ["bin", "proc", "sys", "dev", "etc"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  await Deno.copyFile("/bin/busybox", `${dir}/bin/busybox`);
  await Deno.chmod(`${dir}/bin/busybox`, 0o755);
  for (const applet of ["sh", "cat", "ip"]) await Deno.symlink("busybox", `${dir}/bin/${applet}`);
}

/** containers.conf and storage.conf keeping podman's files under `dir` (CNI backend, cgroupfs, vfs). */
async function writePodmanConfig(dir: string): Promise<void> {
  const containersConf = [
    "[network]",
    'network_backend = "cni"',
    `cni_plugin_dirs = ["${CNI_DIST_DIR}", "${DEBIAN_CNI_DIR}"]`,
    `network_config_dir = "${dir}/net.d"`,
    "[engine]",
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = "${dir}/events.log"`,
    `tmp_dir = "${dir}/tmp"`,
    `static_dir = "${dir}/storage/libpod"`,
    `volume_path = "${dir}/storage/volumes"`,
  ];
  await Deno.writeTextFile(`${dir}/containers.conf`, `${containersConf.join("\n")}\n`);
  const storageConf = [
    "[storage]",
    'driver = "vfs"',
    `runroot = "${dir}/run"`,
    `graphroot = "${dir}/storage"`,
  ];
  await Deno.writeTextFile(`${dir}/storage.conf`, `${storageConf.join("\n")}\n`);
}

/** Our conflist: cniVersion 1.0.0 (podman's libcni 1.1.x and Debian's host-local stop there). */
async function writeConflist(node: TestNode, deviceId: string): Promise<void> {
  // The device ID is fixed in the conflist: podman has no device plugin to ask.
  const conflist = {
    cniVersion: "1.0.0",
    name: NETWORK,
    plugins: [{
      type: "macvtap",
      deviceID: deviceId,
      capabilities: { mac: true },
      ipam: { type: "host-local", dataDir: node.ipamDataDir, ranges: [[{ subnet: "10.55.0.0/24" }]] },
    }],
  };
  await Deno.mkdir(`${node.workDir}/net.d`, { recursive: true });
  await Deno.writeTextFile(`${node.workDir}/net.d/50-${NETWORK}.conflist`, JSON.stringify(conflist));
}

/** Everything podman needs under the node's work dir; returns podman's environment. */
async function podmanWorld(node: TestNode, deviceId: string): Promise<Record<string, string>> {
  const dir = node.workDir;
  await Deno.mkdir(`${dir}/tmp`);
  await writeRootfs(`${dir}/rootfs`);
  await writePodmanConfig(dir);
  await writeConflist(node, deviceId);
  return {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: dir,
    CONTAINERS_CONF: `${dir}/containers.conf`,
    CONTAINERS_STORAGE_CONF: `${dir}/storage.conf`,
  };
}

/** podman run --rm in the node netns; returns the container's stdout. */
async function podmanRun(node: TestNode, env: Record<string, string>, script: string): Promise<string> {
  const out = await new Deno.Command("nsenter", {
    args: [
      `--net=${node.node.path}`,
      "podman",
      "--runtime=runc",
      "run",
      "--rm",
      // crun/runc cannot raise these limits here (no CAP_SYS_RESOURCE): ask for what the machine allows.
      "--ulimit=nofile=20000:20000",
      "--ulimit=nproc=4096:4096",
      `--network=${NETWORK}`,
      `--mac-address=${MAC}`,
      // --rootfs is a flag: the "image" argument is then a directory (no registry is reachable here).
      "--rootfs",
      `${node.workDir}/rootfs`,
      "/bin/sh",
      "-c",
      script,
    ],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  ensure(out.success, `podman run failed (${out.code}): ${new TextDecoder().decode(out.stderr)}\n${stdout}`);
  return stdout;
}

/** runc's default state root; podman 4.3 uses it for root (it is empty again after --rm). */
const RUNC_ROOT = "/run/runc";

/**
 * Runs `body`, then removes what podman left outside the work dir: libcni's result cache (all of
 * /var/lib/cni if the test created it, else only our network's entries) and runc's state root if the test
 * created it.
 */
async function withHostLeftovers(body: () => Promise<void>): Promise<void> {
  const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
  const hadCache = await exists(LIBCNI_CACHE);
  const hadRuncRoot = await exists(RUNC_ROOT);
  try {
    await body();
  } finally {
    if (!hadCache) await Deno.remove(LIBCNI_CACHE, { recursive: true }).catch(() => {});
    else await removeCachedResults(`${LIBCNI_CACHE}/results`);
    if (!hadRuncRoot) await Deno.remove(RUNC_ROOT).catch(() => {}); // not recursive: never a live state
  }
}

/** libcni's cache files for our network: `<net>-<containerID>-<ifname>`. */
async function removeCachedResults(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(`${NETWORK}-`)) await Deno.remove(`${dir}/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

rootTest(
  "podman CNI backend: --network macvtap --mac-address gives the container its MAC and IP",
  async () => {
    await using node = await TestNode.create("podman");
    const allocation = await node.allocate("podmanMvp0");
    const env = await podmanWorld(node, allocation.deviceId);
    await withHostLeftovers(async () => {
      const stdout = await podmanRun(
        node,
        env,
        "cat /sys/class/net/eth0/address; ip -o -4 addr show dev eth0",
      );
      const [mac, address] = stdout.trim().split("\n");
      equal(mac, MAC);
      ensure(/inet 10\.55\.0\.\d+\/24/.test(address ?? ""), `eth0 has no host-local address: ${stdout}`);
    });
    // --rm ran podman's DEL: the macvtap went with the container, the lease is back.
    deepEqual(await linkNames(node.node), [LOWER_LINK]);
    equal(tapNode(allocation.ifindex), null, "/dev/tapN outlived the container");
    deepEqual(await leases(node.ipamDataDir, NETWORK), []);
  },
  NEEDS,
);
