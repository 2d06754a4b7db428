/**
 * `deno task daemon`: the macvtap device plugin. Wiring only — see daemon.ts for what runs.
 *
 * Runs in the sandbox daemon/launch.ts derives from these same arguments (daemon/sandbox.ts): scoped
 * read/write/net(unix)/env and `--allow-run` of the link broker alone (no FFI, no /sys); every link
 * operation goes through the broker.
 *
 * @module
 */
import { openConfig, parseCli, USAGE } from "./cli.ts";
import { Daemon } from "./daemon.ts";
import { BrokerNodeLinks, spawnBroker } from "./links/broker_node_links.ts";
import { jsonLogger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { VERSION } from "./version.ts";

async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseCli(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help || options.version) {
    console.log(options.help ? USAGE : `macvtap device plugin ${VERSION}`);
    return 0;
  }
  const log = jsonLogger({ level: options.logLevel });
  const metrics = new Metrics();
  await using stack = new AsyncDisposableStack();
  try {
    const config = stack.use(await openConfig(options, log, metrics));
    const nodeLinks = stack.use(new BrokerNodeLinks(() => spawnBroker(options.broker, log), { log }));
    await nodeLinks.ready();
    stack.use(await Daemon.start(options, { nodeLinks, config, log, metrics }));
  } catch (error) {
    log.error("cannot start", { error, broker: options.broker });
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    for (const name of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(name, () => resolve(name));
  });
  log.info("shutting down", { signal });
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
