/**
 * TEST HELPER: opens a ListAndWatch stream on a plugin socket from Python grpcio and cancels it after the
 * first list — a client that drops its stream the way a kubelet does when it goes away.
 *
 * Why Python: a grpc-js *client* running under Deno 2.9.3 does not send RST_STREAM when a call is
 * cancelled (the server only notices when the connection closes, at process exit), so it cannot simulate
 * a dropped stream. Debian's python3-grpcio does; the request (Empty) needs no generated code.
 *
 * Requires `--allow-run=/usr/bin/python3` and the python3-grpcio package.
 *
 * @module
 */

const SCRIPT = `
import grpc, sys
channel = grpc.insecure_channel("unix://" + sys.argv[1])
call = channel.unary_stream("/v1beta1.DevicePlugin/ListAndWatch",
    request_serializer=lambda _: b"", response_deserializer=lambda raw: raw)(None)
next(call)
call.cancel()
channel.close()
print("dropped", flush=True)
`;

/** Opens ListAndWatch on `socketPath`, waits for the first list, cancels; resolves when done. */
export async function dropListAndWatchStream(socketPath: string): Promise<void> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", SCRIPT, socketPath],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success || !stdout.includes("dropped")) {
    throw new Error(`python ListAndWatch client failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}
