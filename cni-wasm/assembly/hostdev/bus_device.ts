// A NIC's bus device, as sysfs describes it: its PCI address (the device ID of
// a hostdev resource) and its driver (what a resource selects by). netlink
// names the parent device (IFLA_PARENT_DEV_NAME on bus IFLA_PARENT_DEV_BUS_NAME);
// the host import bus_device_link reads the two sysfs symlinks behind it.

import { host_bus_device_link } from "../imports/bindings";
import { LinkMessage } from "../netlink/link";

const DEVICE_ITSELF: i32 = 0;
const DEVICE_DRIVER: i32 = 1;
/** PATH_MAX: the longest symlink target. */
const TARGET_CAP: i32 = 4096;

/** "dddd:bb:dd.f" (domain of 4 to 8 hex digits, as sysfs prints it), lower or upper case. */
export function isPciAddress(text: string): bool {
  const colon = text.indexOf(":");
  if (colon < 4 || colon > 8 || text.length != colon + 8) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const at = i - colon;
    if (at == 0 || at == 3) {
      if (c != 0x3a) return false;
    } else if (at == 6) {
      if (c != 0x2e) return false;
    } else if (at == 7) {
      if (c < 0x30 || c > 0x37) return false;
    } else if (!isHexDigit(c)) {
      return false;
    }
  }
  return true;
}

function isHexDigit(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * The PCI address of a NIC: its parent device itself on bus "pci", else the
 * nearest PCI device above the parent in the device tree (a virtio NIC's
 * virtio2 sits under 0000:00:03.0). Null for links without a parent device.
 */
export function pciAddressOf(link: LinkMessage): string | null {
  const bus = link.parentBusName;
  const device = link.parentDevName;
  if (bus == null || device == null) return null;
  if (bus == "pci" && isPciAddress(device)) return device.toLowerCase();
  const target = readLink(bus, device, DEVICE_ITSELF);
  if (target == null) return null;
  const parts = target!.split("/");
  for (let i = parts.length - 1; i >= 0; i--) {
    if (isPciAddress(parts[i])) return parts[i].toLowerCase();
  }
  return null;
}

/** The driver bound to a NIC's parent device ("virtio_net", "ixgbe"), or null (none, or no parent device). */
export function driverOf(link: LinkMessage): string | null {
  const bus = link.parentBusName;
  const device = link.parentDevName;
  if (bus == null || device == null) return null;
  const target = readLink(bus, device, DEVICE_DRIVER);
  if (target == null) return null;
  const slash = target!.lastIndexOf("/");
  const name = target!.substring(slash + 1);
  return name.length > 0 ? name : null;
}

function readLink(bus: string, device: string, which: i32): string | null {
  const busBytes = String.UTF8.encode(bus);
  const deviceBytes = String.UTF8.encode(device);
  const target = new Uint8Array(TARGET_CAP);
  const length = host_bus_device_link(
    changetype<usize>(busBytes),
    busBytes.byteLength,
    changetype<usize>(deviceBytes),
    deviceBytes.byteLength,
    which,
    target.dataStart,
    TARGET_CAP,
  );
  if (length <= 0) return null;
  return String.UTF8.decodeUnsafe(target.dataStart, <usize> length);
}
