/**
 * The environment variable Allocate uses to tell the container which NICs it got, in the SR-IOV device
 * plugin's convention: `PCIDEVICE_<resource name upper-cased, every non-alphanumeric character "_">`,
 * value the allocated device IDs joined with commas (e.g.
 * `PCIDEVICE_MACVTAP_NETWORK_KUBEVIRT_IO_NICS=0000:00:0a.0`). KubeVirt reads this variable for host devices.
 *
 * @module
 */

/** `PCIDEVICE_…` for `resourceName` (`macvtap.network.kubevirt.io/nics`). */
export function pciDeviceEnvName(resourceName: string): string {
  return `PCIDEVICE_${resourceName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}
