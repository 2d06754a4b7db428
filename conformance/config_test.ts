// stdin decoding, the network name, and the shape of error output (rules CONF-*, ERR-*).
import { registerCases } from "./harness/cases.ts";
import { CONFIG_CASES } from "./cases/config.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(CONFIG_CASES, PROFILES);
