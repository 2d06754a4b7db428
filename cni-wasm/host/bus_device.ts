/**
 * bus_device_link: where a bus device sits in the device tree, and which driver is bound to it, read
 * from the symlinks `/sys/bus/<bus>/devices/<device>` and `/sys/bus/<bus>/devices/<device>/driver`.
 *
 * Why the bus and not /sys/class/net/<ifname>: netlink already names a NIC's parent device
 * (IFLA_PARENT_DEV_NAME / IFLA_PARENT_DEV_BUS_NAME) and that name stays the same in every netns, while
 * /sys/class/net shows the netns of whoever mounted sysfs. The first link gives the PCI address above a
 * virtio device (`../../../devices/pci0000:00/0000:00:03.0/virtio2`), the second the driver
 * (`../../../../bus/virtio/drivers/virtio_net`). The module makes sense of the targets; the host only
 * reads them, through libc (Deno demands `--allow-all` for any /sys read).
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import { EINVAL, ERANGE } from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";

/** Which of a device's two symlinks to read. */
export const DEVICE_ITSELF = 0;
/** The `driver` symlink inside the device's folder (absent while no driver is bound: -ENOENT). */
export const DEVICE_DRIVER = 1;

/** PATH_MAX: no symlink target is longer. */
const PATH_MAX = 4096;

/** Bus and device names as sysfs spells them (`pci`, `virtio`, `0000:3b:00.0`, `virtio2`), at most 64 bytes. */
export function isBusName(name: string): boolean {
  return name.length <= 64 && /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(name);
}

/**
 * The target of one of a bus device's symlinks.
 *
 * @param which {@link DEVICE_ITSELF} or {@link DEVICE_DRIVER}
 * @returns the target as readlink(2) gives it (relative), or -errno: -EINVAL for a bad bus or device
 *   name or `which`, -ENOENT when the device (or its driver) does not exist
 */
export function busDeviceLink(libc: Libc, bus: string, device: string, which: number): string | number {
  if (!isBusName(bus) || !isBusName(device) || (which !== DEVICE_ITSELF && which !== DEVICE_DRIVER)) {
    return -EINVAL;
  }
  const suffix = which === DEVICE_DRIVER ? "/driver" : "";
  const target = new Uint8Array(PATH_MAX);
  const path = cString(`/sys/bus/${bus}/devices/${device}${suffix}`);
  const length = libc.check(libc.files.readlink(path, target, BigInt(target.byteLength)));
  if (length < 0) return length;
  // readlink truncates silently; a full buffer may be a cut-off target.
  if (length >= target.byteLength) return -ERANGE;
  return new TextDecoder().decode(target.subarray(0, length));
}
