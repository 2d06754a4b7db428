// The CNI_* environment (rules ENV-*): required variables, container ID and ifname syntax, unknown verbs.
import { registerCases } from "./harness/cases.ts";
import { ENV_CASES } from "./cases/env.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(ENV_CASES, PROFILES);
