/**
 * Loads the hostdev test module (cni-wasm/test/modules/hostdev.ts) on the fake kernel of the netlink
 * tests plus a fake sysfs for `bus_device_link`: a table of symlink targets by "<bus>/<device>" (and
 * "<bus>/<device>/driver"), answering -ENOENT for anything else.
 *
 * Requires --allow-read/--allow-write on the repository and --allow-env.
 *
 * @module
 */
import { loadModule } from "../load_module.ts";
import { FakeKernel } from "../netlink/_netlink_module.ts";

/** The test module's exports (see modules/hostdev.ts). */
export interface HostdevModule {
  memory: WebAssembly.Memory;
  pciAddress(text: string): boolean;
  nicDevice(datagram: Uint8Array): string;
  deriveLink(datagram: Uint8Array, name: string, index: number, bus: string, device: string): Uint8Array;
  originOf(datagram: Uint8Array, deviceID: string): string;
  originText(deviceID: string, name: string, mtu: number, up: boolean, alias: string): string;
  originDecode(alias: string): string;
  defaultRoutes(datagrams: Uint8Array): string;
  lookupNic(deviceID: string): string;
}

/** This VM's real sysfs targets for eth0's parent device (`readlink /sys/bus/virtio/devices/virtio2[/driver]`). */
/** The arguments of the `bus_device_link` import, as bindings.ts declares them. */
export type SysfsArguments = [
  bus: number,
  busLength: number,
  device: number,
  deviceLength: number,
  which: number,
  buffer: number,
  capacity: number,
];

export const VIRTIO2_SYSFS: Record<string, string> = {
  "virtio/virtio2": "../../../devices/pci0000:00/0000:00:03.0/virtio2",
  "virtio/virtio2/driver": "../../../../bus/virtio/drivers/virtio_net",
};

const ENOENT = 2;

/** The test module on a fake kernel and a fake sysfs; `sysfs.reads` lists every path asked for. */
export async function loadHostdev(targets: Record<string, string> = VIRTIO2_SYSFS) {
  const kernel = new FakeKernel();
  const reads: string[] = [];
  let memory: WebAssembly.Memory | null = null;
  const text = (ptr: number, len: number) =>
    new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
  const imports = kernel.imports();
  const bus_device_link = (...[bus, busLen, dev, devLen, which, buf, cap]: SysfsArguments) => {
    const path = `${text(bus, busLen)}/${text(dev, devLen)}${which === 1 ? "/driver" : ""}`;
    reads.push(path);
    const target = targets[path];
    if (target === undefined) return -ENOENT;
    const bytes = new TextEncoder().encode(target);
    if (bytes.length > cap) return -34;
    new Uint8Array(memory!.buffer, buf, bytes.length).set(bytes);
    return bytes.length;
  };
  const hd = await loadModule<HostdevModule>("hostdev", {
    macvtap_host: { ...imports.macvtap_host, bus_device_link },
  });
  memory = hd.memory;
  kernel.attach(hd.memory);
  return { hd, kernel, reads };
}
