/**
 * TEST DOUBLE of the kubelet's pod-resources API: `v1.PodResourcesLister` on a socket, answering List with
 * whatever pods the test sets.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { kubeletApi, unixTarget } from "../kubelet/api.ts";

/** A pod as List reports it. */
export interface PodResourcesEntry {
  name: string;
  namespace: string;
  containers: { name: string; devices: { resource_name: string; device_ids: string[] }[] }[];
}

/** A fake pod-resources server. */
export class PodResourcesDouble implements AsyncDisposable {
  /** What List answers; change it at will. */
  pods: PodResourcesEntry[] = [];
  /** Number of List calls served. */
  listCalls = 0;

  private constructor(readonly socket: string, private server: grpc.Server) {}

  /** Serves on `socket`. */
  static async start(socket: string): Promise<PodResourcesDouble> {
    const server = new grpc.Server();
    const double = new PodResourcesDouble(socket, server);
    server.addService(kubeletApi().podResources, {
      List: (_call: unknown, callback: grpc.sendUnaryData<object>) => {
        double.listCalls++;
        callback(null, { pod_resources: double.pods });
      },
      GetAllocatableResources: (_call: unknown, callback: grpc.sendUnaryData<object>) => {
        callback(null, { devices: [], cpu_ids: [] });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        unixTarget(socket),
        grpc.ServerCredentials.createInsecure(),
        (e) => e ? reject(e) : resolve(),
      );
    });
    return double;
  }

  /** One pod holding `deviceIds` of `resourceName` in container "compute". */
  static pod(name: string, resourceName: string, deviceIds: string[]): PodResourcesEntry {
    return {
      name,
      namespace: "default",
      containers: [{ name: "compute", devices: [{ resource_name: resourceName, device_ids: deviceIds }] }],
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await Deno.remove(this.socket).catch(() => {});
  }
}
