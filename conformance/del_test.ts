// DEL (rules DEL-*): removes the interface, and succeeds whenever there is nothing left to remove.
import { registerCases } from "./harness/cases.ts";
import { DEL_CASES } from "./cases/del.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(DEL_CASES, PROFILES);
