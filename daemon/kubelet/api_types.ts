/**
 * The device plugin API as plain TypeScript data: message shapes (field names exactly as on the wire,
 * proto-loader `keepCase`), constants, the backend interface a domain implements, and the one error type
 * a backend throws to choose the gRPC status. No gRPC import here: domain code may depend on this file.
 *
 * @module
 */

/** `v1beta1.Version`. */
export const API_VERSION = "v1beta1";
/** `v1beta1.Healthy`. */
export const HEALTHY = "Healthy";
/** `v1beta1.Unhealthy`. */
export const UNHEALTHY = "Unhealthy";
/** Default kubelet device-plugins directory (`v1beta1.DevicePluginPath`). */
export const DEFAULT_PLUGIN_DIR = "/var/lib/kubelet/device-plugins";
/** File name of the kubelet's Registration socket in that directory. */
export const KUBELET_SOCKET_NAME = "kubelet.sock";
/**
 * File name of the one path the daemon may listen on, inside the device-plugins directory (socket_binder.ts;
 * here so that the sandbox can name it without loading gRPC).
 */
export const BIND_SOCKET_NAME = ".macvtap.network.kubevirt.io.bind";
/** Default pod-resources socket. */
export const DEFAULT_POD_RESOURCES_SOCKET = "/var/lib/kubelet/pod-resources/kubelet.sock";

export interface NUMANode {
  ID: number;
}
export interface TopologyInfo {
  nodes: NUMANode[];
}
export interface Device {
  ID: string;
  health: typeof HEALTHY | typeof UNHEALTHY;
  topology?: TopologyInfo | null;
}
export interface DevicePluginOptions {
  pre_start_required: boolean;
  get_preferred_allocation_available: boolean;
}
export interface RegisterRequest {
  version: string;
  endpoint: string;
  resource_name: string;
  options: DevicePluginOptions;
}
export interface ContainerPreferredAllocationRequest {
  available_deviceIDs: string[];
  must_include_deviceIDs: string[];
  allocation_size: number;
}
export interface PreferredAllocationRequest {
  container_requests: ContainerPreferredAllocationRequest[];
}
export interface ContainerPreferredAllocationResponse {
  deviceIDs: string[];
}
export interface PreferredAllocationResponse {
  container_responses: ContainerPreferredAllocationResponse[];
}
export interface ContainerAllocateRequest {
  devices_ids: string[];
}
export interface AllocateRequest {
  container_requests: ContainerAllocateRequest[];
}
export interface DeviceSpec {
  container_path: string;
  host_path: string;
  permissions: string;
}
export interface Mount {
  container_path: string;
  host_path: string;
  read_only: boolean;
}
export interface ContainerAllocateResponse {
  envs: Record<string, string>;
  mounts: Mount[];
  devices: DeviceSpec[];
  annotations: Record<string, string>;
  cdi_devices: { name: string }[];
}
export interface AllocateResponse {
  container_responses: ContainerAllocateResponse[];
}
export interface PreStartContainerRequest {
  devices_ids: string[];
}
export interface ListAndWatchResponse {
  devices: Device[];
}

/** gRPC statuses a backend may choose; anything else thrown becomes INTERNAL. */
export type PluginStatus =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "FAILED_PRECONDITION"
  | "UNAVAILABLE"
  | "INTERNAL";

/** A request the backend refuses or cannot serve, with the gRPC status the kubelet should see. */
export class PluginRequestError extends Error {
  override name = "PluginRequestError";

  /** @param status gRPC status name */
  constructor(readonly status: PluginStatus, message: string) {
    super(message);
  }
}

/**
 * What the kubelet machinery needs from a domain to serve one resource.
 *
 * The machinery handles sockets, registration, streams and restarts; the backend only answers questions
 * about its devices.
 */
export interface DevicePluginBackend {
  /** Extended resource name, e.g. `macvtap.network.kubevirt.io/eth0`. */
  readonly resourceName: string;
  /** Socket file name in the device-plugins directory. */
  readonly socketName: string;
  /** The full current device list, as ListAndWatch sends it. */
  devices(): Device[];
  /** Calls `listener` whenever {@link devices} may have changed. */
  onDevicesChanged(listener: () => void): Disposable;
  /**
   * Prepares the devices of every container of one AllocateRequest, one response per container, all or
   * nothing: when one container fails, nothing made for the others stays. Throws
   * {@link PluginRequestError} to choose the status.
   */
  allocate(requests: ContainerAllocateRequest[]): Promise<ContainerAllocateResponse[]>;
  /** Picks `allocation_size` devices for one container. */
  preferredAllocation(request: ContainerPreferredAllocationRequest): ContainerPreferredAllocationResponse;
}
