/**
 * The gRPC side of the kubelet APIs: service definitions and client constructors loaded from `proto/`.
 *
 * Requires `--allow-read` on the repository's `proto/` directory.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const PROTO_DIR = fileURLToPath(new URL("../../proto/", import.meta.url));

/** proto-loader options; see proto/README.md for why each is set. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Services and clients of the device plugin (v1beta1) and pod-resources (v1) APIs. */
export interface KubeletApi {
  /** `v1beta1.DevicePlugin`, served by the daemon. */
  devicePlugin: grpc.ServiceDefinition;
  /** `v1beta1.Registration`, served by the kubelet (and by test doubles). */
  registration: grpc.ServiceDefinition;
  /** `v1.PodResourcesLister`, served by the kubelet (and by test doubles). */
  podResources: grpc.ServiceDefinition;
  RegistrationClient: grpc.ServiceClientConstructor;
  DevicePluginClient: grpc.ServiceClientConstructor;
  PodResourcesListerClient: grpc.ServiceClientConstructor;
}

let loaded: KubeletApi | null = null;

/** Loads both protos once and returns their services. */
export function kubeletApi(): KubeletApi {
  if (loaded) return loaded;
  const deviceplugin = grpc.loadPackageDefinition(
    protoLoader.loadSync(`${PROTO_DIR}deviceplugin/v1beta1/api.proto`, LOADER_OPTIONS),
  ).v1beta1 as grpc.GrpcObject;
  const podresources = grpc.loadPackageDefinition(
    protoLoader.loadSync(`${PROTO_DIR}podresources/v1/api.proto`, LOADER_OPTIONS),
  ).v1 as grpc.GrpcObject;
  const service = (pkg: grpc.GrpcObject, name: string) => pkg[name] as grpc.ServiceClientConstructor;
  loaded = {
    devicePlugin: service(deviceplugin, "DevicePlugin").service,
    registration: service(deviceplugin, "Registration").service,
    podResources: service(podresources, "PodResourcesLister").service,
    RegistrationClient: service(deviceplugin, "Registration"),
    DevicePluginClient: service(deviceplugin, "DevicePlugin"),
    PodResourcesListerClient: service(podresources, "PodResourcesLister"),
  };
  return loaded;
}

/** A method of a client made by one of {@link KubeletApi}'s constructors, bound to its client. */
export type ClientMethod = (...args: unknown[]) => unknown;

/**
 * Method `name` of `client` (a client made by one of {@link KubeletApi}'s constructors), bound to it.
 *
 * @throws {Error} naming the method when the loaded protos define none
 */
export function clientMethod(client: grpc.Client, name: string): ClientMethod {
  const method = (client as grpc.Client & Record<string, unknown>)[name];
  if (typeof method !== "function") throw new Error(`the kubelet API protos define no method "${name}"`);
  return method.bind(client) as ClientMethod;
}

/** The grpc-js target for a unix socket path. */
export function unixTarget(path: string): string {
  return `unix://${path}`;
}
