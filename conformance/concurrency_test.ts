// Concurrent attachments of different containers (rule ADD-concurrent).
import { registerCases } from "./harness/cases.ts";
import { CONCURRENCY_CASES } from "./cases/concurrency.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(CONCURRENCY_CASES, PROFILES);
