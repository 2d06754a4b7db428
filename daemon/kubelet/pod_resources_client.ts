/**
 * Reads which devices the kubelet has handed to running pods (pod-resources API v1, List).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { clientMethod, kubeletApi, unixTarget } from "./api.ts";

/** Devices of one resource held by one container. */
export interface AllocatedDevices {
  pod: string;
  namespace: string;
  container: string;
  resourceName: string;
  deviceIds: string[];
}

interface ListResponse {
  pod_resources: {
    name: string;
    namespace: string;
    containers: { name: string; devices: { resource_name: string; device_ids: string[] }[] }[];
  }[];
}

/**
 * Lists the devices of active pods.
 *
 * Requires `--allow-net=unix:<socket>` plus read and write on that path.
 *
 * @throws Error naming the socket when the kubelet cannot be asked
 */
export async function listAllocatedDevices(socket: string, timeoutMs = 10_000): Promise<AllocatedDevices[]> {
  const { PodResourcesListerClient } = kubeletApi();
  const client = new PodResourcesListerClient(unixTarget(socket), grpc.credentials.createInsecure());
  try {
    const response = await new Promise<ListResponse>((resolve, reject) => {
      clientMethod(client, "List")(
        {},
        { deadline: Date.now() + timeoutMs },
        (error: grpc.ServiceError | null, value: ListResponse) => {
          if (error) {
            reject(new Error(`Cannot list pod resources at "${socket}": ${error.details || error.message}`));
          } else resolve(value);
        },
      );
    });
    return response.pod_resources.flatMap((pod) =>
      pod.containers.flatMap((container) =>
        container.devices.map((devices) => ({
          pod: pod.name,
          namespace: pod.namespace,
          container: container.name,
          resourceName: devices.resource_name,
          deviceIds: devices.device_ids,
        }))
      )
    );
  } finally {
    client.close();
  }
}
