// What a command handler receives and returns.

import { JsonValue } from "../json/value";
import { CniArgs } from "./args";
import { CniEnv } from "./env";
import { CniError } from "./errors";
import { NetConf } from "./netconf";

export class Invocation {
  constructor(
    public env: CniEnv,
    public conf: NetConf,
    public args: CniArgs,
    /** stdin exactly as received: delegated IPAM plugins get the complete config. */
    public stdin: string,
  ) {}
}

/** A handler's answer: a document to print (null = print nothing), or an error. */
export class Outcome {
  constructor(
    public output: JsonValue | null,
    public error: CniError | null,
  ) {}

  static done(output: JsonValue | null): Outcome {
    return new Outcome(output, null);
  }

  static failed(error: CniError): Outcome {
    return new Outcome(null, error);
  }
}

export type Handler = (inv: Invocation) => Outcome;
