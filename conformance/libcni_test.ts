// Interop through the real libcni (rules LIBCNI-*): Debian's libcni 1.1.2 drives each profile's plugin
// from a conflist, as kubelet runtimes, Multus and podman do. libcni 1.1.2 speaks spec <= 1.0.0 only.
import { registerCases } from "./harness/cases.ts";
import { LIBCNI_CASES } from "./cases/libcni.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(LIBCNI_CASES, PROFILES);
