// VERSION probing and version negotiation (rules VERSION-*).
import { registerCases } from "./harness/cases.ts";
import { VERSION_CASES } from "./cases/version.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(VERSION_CASES, PROFILES);
