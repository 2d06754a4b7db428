// Link broker entry point (run by the capability host in "stream" mode with
// --allow-ffi only): wiring only. Says hello, then serves request lines from stdin
// and link events until stdin closes (the daemon went away).

import { host_wait_readable } from "./imports/bindings";
import { NetlinkConn } from "./netlink/conn";
import { BrokerSession } from "./broker/session";
import { StdinLines } from "./broker/stdin_lines";
// Installs the global abort handler (asconfig.json "use": abort=assembly/imports/trap/onAbort).
import "./imports/trap";

const STDIN_READY: i32 = 1;
const EVENTS_READY: i32 = 2;

function main(): i32 {
  const opened = NetlinkConn.open(-1, 0);
  if (opened.error != null) {
    process.stderr.write("link broker: " + opened.error!.toString() + "\n");
    return 1;
  }
  const session = new BrokerSession(opened.value!);
  const input = new StdinLines();
  const handles = new Int32Array(1);
  process.stdout.write(session.hello());
  while (!input.ended) {
    const events = session.events;
    if (events != null) handles[0] = events.handle;
    const ready = host_wait_readable(handles.dataStart, events != null ? 1 : 0, -1);
    if (ready < 0) {
      process.stderr.write("link broker: waiting failed, errno " + (-ready).toString() + "\n");
      return 1;
    }
    if ((ready & STDIN_READY) != 0) {
      const lines = input.read();
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].length > 0) process.stdout.write(session.handle(lines[i], <f64> process.time()));
      }
    }
    if ((ready & EVENTS_READY) != 0 || (events != null && events.hasQueuedEvents)) {
      const out = session.drainEvents(<f64> process.time());
      for (let i = 0; i < out.length; i++) process.stdout.write(out[i]);
    }
  }
  return 0;
}

process.exit(main());
