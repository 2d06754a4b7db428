// bus_device_link on the machine's real sysfs, read-only: the symlinks behind the parent device of this
// machine's eth0 (a virtio NIC here: virtio2 on bus virtio, under PCI device 0000:00:03.0), compared with
// what Deno itself reads; plus the refusals (bad names, which, short buffers, missing devices).
import assert from "node:assert/strict";
import { ip } from "../../../testing/netns.ts";
import { runProbe } from "./_probe.ts";

/** eth0's parent device as `ip -d` reports it, or null (no eth0, or not a bus device). */
async function eth0Parent(): Promise<{ bus: string; device: string } | null> {
  try {
    const [eth0] = JSON.parse(await ip("-j", "-d", "link", "show", "eth0"));
    return eth0.parentbus && eth0.parentdev ? { bus: eth0.parentbus, device: eth0.parentdev } : null;
  } catch {
    return null;
  }
}

const parent = await eth0Parent();

async function probe(bus: string, device: string, which: number, cap = 4096) {
  const run = await runProbe(["bus-device", bus, device, String(which), String(cap)]);
  assert.equal(run.code, 0, run.stderr);
  return { rc: Number(run.values.get("rc")), target: run.values.get("target") };
}

Deno.test({
  name: "bus_device_link: eth0's parent device and its driver, as readlink(2) gives them",
  ignore: parent === null,
  async fn() {
    const { bus, device } = parent!;
    const itself = await probe(bus, device, 0);
    assert.equal(itself.target, await Deno.readLink(`/sys/bus/${bus}/devices/${device}`));
    assert.equal(itself.rc, new TextEncoder().encode(itself.target!).length);
    const driver = await probe(bus, device, 1);
    assert.equal(driver.target, await Deno.readLink(`/sys/bus/${bus}/devices/${device}/driver`));
    if (bus === "virtio") {
      assert.match(itself.target!, /\/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\/virtio\d+$/);
      assert.match(driver.target!, /\/virtio_net$/);
    }
  },
});

Deno.test({
  name: "bus_device_link: -ERANGE for a short buffer, -ENOENT for no device, -EINVAL for bad names or which",
  ignore: parent === null,
  async fn() {
    const { bus, device } = parent!;
    assert.equal((await probe(bus, device, 0, 8)).rc, -34);
    assert.equal((await probe(bus, "nosuchdevice0", 0)).rc, -2);
    assert.equal((await probe("nosuchbus", device, 1)).rc, -2);
    for (
      const [b, d, which] of [["..", device, 0], [bus, "../../..", 0], [bus, "a/b", 1], [
        bus,
        device,
        2,
      ]] as const
    ) {
      assert.equal((await probe(b, d, which)).rc, -22, `${b} ${d} ${which}`);
    }
  },
});

Deno.test("bus_device_link: sysfs bus and device names only (up to 64 bytes of [A-Za-z0-9_.:-], not leading - . _ :)", async () => {
  for (const name of ["pci", "virtio", "0000:3b:00.0", "virtio2", "mlx5_core.eth.0", "x".repeat(64)]) {
    assert.equal((await probe(name, "nosuchdevice0", 0)).rc, -2, `${name}: a valid name, no such device`);
  }
  for (const name of ["", ".", "..", "../x", "a/b", "a b", "-x", ":x", "x".repeat(65)]) {
    assert.equal((await probe(name, "virtio2", 0)).rc, -22, `bus ${JSON.stringify(name)}`);
    assert.equal((await probe("virtio", name, 0)).rc, -22, `device ${JSON.stringify(name)}`);
  }
});
