/**
 * The `v1beta1.DevicePlugin` handlers for one backend: options, the ListAndWatch stream, Allocate,
 * GetPreferredAllocation and PreStartContainer. One JSON log line per RPC, with the device IDs.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type AllocateRequest,
  type AllocateResponse,
  type DevicePluginBackend,
  type DevicePluginOptions,
  type ListAndWatchResponse,
  PluginRequestError,
  type PluginStatus,
  type PreferredAllocationRequest,
  type PreferredAllocationResponse,
  type PreStartContainerRequest,
} from "./api_types.ts";
import type { Logger } from "../log.ts";

/** The options this daemon always reports: GetPreferredAllocation is worth calling, PreStart is not. */
export const PLUGIN_OPTIONS: DevicePluginOptions = {
  pre_start_required: false,
  get_preferred_allocation_available: true,
};

const STATUS_CODES: Record<PluginStatus, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

type Stream = grpc.ServerWritableStream<unknown, ListAndWatchResponse>;

/** Lifecycle of the ListAndWatch streams a server holds, so it can end them and spot unexpected ends. */
export interface StreamTracker {
  /** Takes a new stream; true when it is the kubelet's (not another client's). */
  opened(stream: Stream): boolean;
  /** `byServer` is true when the server ended the stream itself (stop); false when the client went away. */
  closed(stream: Stream, byServer: boolean): void;
  /** True once the server is ending its streams on purpose. */
  readonly stopping: boolean;
}

/** Observes RPC outcomes for metrics. */
export interface RpcObserver {
  rpcFailed?(resource: string, rpc: string): void;
  /** Time an Allocate call took to answer, successful or not. */
  allocateTimed?(resource: string, seconds: number): void;
}

/** Builds the DevicePlugin implementation for `backend`. */
export function devicePluginHandlers(
  backend: DevicePluginBackend,
  streams: StreamTracker,
  log: Logger,
  observer: RpcObserver = {},
): grpc.UntypedServiceImplementation {
  const fail = <T>(rpc: string, callback: grpc.sendUnaryData<T>, error: unknown, fields: object) => {
    const status = error instanceof PluginRequestError ? STATUS_CODES[error.status] : grpc.status.INTERNAL;
    log.warn(rpc, { ...fields, status: grpc.status[status], error });
    observer.rpcFailed?.(backend.resourceName, rpc);
    callback({ code: status, details: (error as Error).message });
  };
  return {
    GetDevicePluginOptions: (_call: unknown, callback: grpc.sendUnaryData<DevicePluginOptions>) => {
      log.debug("GetDevicePluginOptions");
      callback(null, PLUGIN_OPTIONS);
    },
    ListAndWatch: (stream: Stream) => listAndWatch(backend, stream, streams, log),
    Allocate: async (
      call: grpc.ServerUnaryCall<AllocateRequest, AllocateResponse>,
      callback: grpc.sendUnaryData<AllocateResponse>,
    ) => {
      const started = performance.now();
      const devices = call.request.container_requests.map((c) => c.devices_ids);
      const took = () => {
        const ms = performance.now() - started;
        observer.allocateTimed?.(backend.resourceName, ms / 1000);
        return Math.round(ms);
      };
      try {
        const container_responses = await backend.allocate(call.request.container_requests);
        const paths = container_responses.map((r) => r.devices.map((d) => d.host_path));
        log.info("Allocate", { devices, paths, ms: took() });
        callback(null, { container_responses });
      } catch (error) {
        fail("Allocate", callback, error, { devices, ms: took() });
      }
    },
    GetPreferredAllocation: (
      call: grpc.ServerUnaryCall<PreferredAllocationRequest, PreferredAllocationResponse>,
      callback: grpc.sendUnaryData<PreferredAllocationResponse>,
    ) => {
      try {
        const container_responses = call.request.container_requests.map((r) =>
          backend.preferredAllocation(r)
        );
        log.info("GetPreferredAllocation", {
          available: call.request.container_requests.map((r) => r.available_deviceIDs.length),
          mustInclude: call.request.container_requests.map((r) => r.must_include_deviceIDs),
          preferred: container_responses.map((r) => r.deviceIDs),
        });
        callback(null, { container_responses });
      } catch (error) {
        fail("GetPreferredAllocation", callback, error, {});
      }
    },
    PreStartContainer: (
      call: grpc.ServerUnaryCall<PreStartContainerRequest, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      log.info("PreStartContainer", { devices: call.request.devices_ids });
      callback(null, {});
    },
  };
}

/** Sends the full list now and after every change, until either side ends the stream. */
function listAndWatch(
  backend: DevicePluginBackend,
  stream: Stream,
  streams: StreamTracker,
  log: Logger,
): void {
  let lastSent = "";
  const send = () => {
    const devices = backend.devices();
    const body = JSON.stringify(devices);
    if (body === lastSent) return;
    lastSent = body;
    stream.write({ devices });
  };
  const kubelet = streams.opened(stream);
  const subscription = backend.onDevicesChanged(send);
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    subscription[Symbol.dispose]();
    const byServer = streams.stopping;
    log.info("ListAndWatch ended", { why, byServer, kubelet });
    streams.closed(stream, byServer);
  };
  stream.on("cancelled", () => end("cancelled by the client"));
  stream.on("error", (error: Error) => end(`stream error: ${error.message}`));
  stream.on("finish", () => end("ended by the daemon"));
  stream.on("close", () => end("connection closed"));
  log.info("ListAndWatch started", { devices: backend.devices().length, kubelet });
  send();
}
