/**
 * Structured logs: one JSON object per line, `{"ts","level","msg",…fields}`, on stdout.
 *
 * One line per RPC (with the device IDs) and per state change; nothing per ListAndWatch tick.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Extra structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** A logger that writes structured lines. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** One emitted record, as tests see it. */
export interface LogRecord extends LogFields {
  ts: string;
  level: LogLevel;
  msg: string;
}

/** Options of {@link jsonLogger}. */
export interface JsonLoggerOptions {
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Receives each record (default: JSON line on stdout). */
  sink?: (record: LogRecord) => void;
}

/** Errors become `{name, message, code?}` so they survive JSON.stringify. */
function serialise(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      out[key] = { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A logger writing JSON lines.
 *
 * @example
 * ```ts
 * const log = jsonLogger().child({ resource: "macvtap.network.kubevirt.io/eth0" });
 * log.info("allocate", { devices: ["eth0Mvp3"] });
 * ```
 */
export function jsonLogger(options: JsonLoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = LEVEL_ORDER[options.level ?? "info"];
  const sink = options.sink ?? ((record: LogRecord) => console.log(JSON.stringify(record)));
  const emit = (level: LogLevel) => (msg: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < threshold) return;
    sink({ ts: new Date().toISOString(), level, msg, ...serialise(base), ...serialise(fields) });
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => jsonLogger(options, { ...base, ...fields }),
  };
}

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(jsonLogger({ level: "debug", sink: (record) => records.push(record) }), { records });
}

/** A logger that drops everything. */
export const silentLogger: Logger = jsonLogger({ sink: () => {} });
