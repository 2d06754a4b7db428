// The 1.1.0 verbs GC and STATUS (rules GC-*, STATUS-*), for profiles that implement them.
import { registerCases } from "./harness/cases.ts";
import { GC_STATUS_CASES } from "./cases/gc_status.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(GC_STATUS_CASES, PROFILES);
