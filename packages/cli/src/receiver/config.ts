/**
 * The receiver's settings, from environment variables (see README, Configuration), read once at start:
 * a value it cannot use is an {@link InvalidConfig} that names the variable and what it accepts.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as LogLevel from "effect/LogLevel"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { WebhookHttp, WebhookInbox } from "effect-openai-webhooks"
import * as Access from "./access.js"
import * as Database from "./database.js"
import { InvalidConfig } from "./errors.js"

export interface ReceiverConfig {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly timeout: Duration.Duration
  readonly maxBodySize: number
  readonly mode: WebhookInbox.Mode
  readonly lease: Duration.Duration
  readonly database: Database.Database
  readonly workers: number
  readonly logLevel: LogLevel.LogLevel
  /** The request line and headers must arrive within this, counted from their first byte. */
  readonly headersTimeout: Duration.Duration
  /** The whole request, headers and body, must arrive within this, counted from its first byte. */
  readonly requestTimeout: Duration.Duration
  /** How long a connection may stay idle between two requests. */
  readonly keepAliveTimeout: Duration.Duration
  /** Connections open at once; beyond it new ones are closed as they arrive. */
  readonly maxConnections: number
  /** `WEBHOOK_INSPECTOR_TOKEN`: the inspector at `/inbox` is served only with a token (see `./access.ts`). */
  readonly inspectorToken: Option.Option<Redacted.Redacted<string>>
  /** Whether `GET /metrics` is served and handler runs are timed. */
  readonly metrics: boolean
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  readonly metricsToken: Option.Option<Redacted.Redacted>
}

/** `LOG_LEVEL`'s values, as `Config.logLevel` reads them (in any case). */
export const LOG_LEVELS: ReadonlyArray<string> = LogLevel.allLevels.map((level) => level.label.toLowerCase())

/** What each variable accepts, and the `serve` flag over it: the hint when its value is wrong. */
const accepts: Readonly<Record<string, string>> = {
  HOST: "an address of this machine: 0.0.0.0 (every interface) or 127.0.0.1, say",
  PORT: "a port number from 1 to 65535 (serve: --port)",
  WEBHOOK_PATH: "a path starting with /, such as /webhooks/openai, other than /healthz, /metrics and /inbox " +
    "(serve: --path)",
  WEBHOOK_TIMEOUT: "a duration above zero, such as 10 seconds or 1500 millis",
  WEBHOOK_MAX_BODY_SIZE: "a whole number of bytes",
  WEBHOOK_MODE: "inline or queued (serve: --mode)",
  WEBHOOK_LEASE: "a duration of at least 1 second, such as 30 seconds",
  WEBHOOK_WORKERS: "a whole number, at least 1",
  WEBHOOK_HEADERS_TIMEOUT: "a duration from 1 millis to 1 hour, such as 10 seconds",
  WEBHOOK_REQUEST_TIMEOUT: "a duration from 1 millis to 1 hour, such as 30 seconds",
  WEBHOOK_KEEP_ALIVE_TIMEOUT: "a duration from 1 millis to 1 hour, such as 5 seconds",
  WEBHOOK_MAX_CONNECTIONS: "a whole number, at least 1",
  WEBHOOK_METRICS: "on or off (also true, false, yes, no, 1, 0)",
  WEBHOOK_METRICS_TOKEN: Access.ACCEPTS,
  DATABASE_URL: `${Database.FORMS}, or unset for the SQLite file ${Database.DEFAULT_SQLITE_FILE} (serve: --database)`,
  LOG_LEVEL: `one of ${LOG_LEVELS.join(", ")}, in any case`,
  WEBHOOK_INSPECTOR_TOKEN: Access.ACCEPTS
}

/** The receiver's own paths: the health check, the metrics and the inspector (and everything under it). */
export const RESERVED_PATHS: ReadonlyArray<string> = ["/healthz", "/metrics", "/inbox"]

/** The variables that `openai-webhooks serve` also takes as flags, as both read them. */
export const variables = {
  port: Config.port("PORT"),
  // An origin-form path (RFC 9112 3.2.1): one that does not start with "/" could never match a request.
  path: Config.string("WEBHOOK_PATH").pipe(
    Config.validate({
      message: "Expected a path starting with /, without spaces, ? or #",
      validation: (path) => /^\/[^\s?#]*$/.test(path)
    }),
    // Deliveries are matched first: on one of the receiver's own paths they would hide it.
    Config.mapOrFail((path) =>
      RESERVED_PATHS.includes(path) || path.startsWith("/inbox/")
        ? Either.left(ConfigError.InvalidData(
          ["WEBHOOK_PATH"],
          `Expected a path other than the receiver's own (${RESERVED_PATHS.join(", ")} and under /inbox/)`
        ))
        : Either.right(path)
    )
  ),
  mode: Config.literal("inline", "queued")("WEBHOOK_MODE"),
  databaseUrl: Config.string("DATABASE_URL")
}

/**
 * A timeout of the HTTP server. Node takes whole milliseconds, and a timer longer than 2^31 - 1 ms fires at
 * once (with a warning): an hour is far more than any of them needs, and well within.
 */
const serverTimeout = (name: string, fallback: Duration.Duration): Config.Config<Duration.Duration> =>
  Config.duration(name).pipe(
    Config.validate({
      message: "Expected a duration from 1 millis to 1 hour",
      validation: (duration: Duration.Duration) =>
        Duration.between(duration, { minimum: Duration.millis(1), maximum: Duration.hours(1) })
    }),
    Config.withDefault(fallback)
  )

export const config: Config.Config<ReceiverConfig> = Config.all({
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  port: variables.port.pipe(Config.withDefault(8787)),
  path: variables.path.pipe(Config.withDefault(WebhookHttp.defaultPath)),
  timeout: Config.duration("WEBHOOK_TIMEOUT").pipe(
    Config.validate({
      message: "Expected more than zero",
      validation: (timeout) => Duration.greaterThan(timeout, Duration.zero)
    }),
    Config.withDefault(Duration.seconds(10))
  ),
  maxBodySize: Config.integer("WEBHOOK_MAX_BODY_SIZE").pipe(Config.withDefault(WebhookHttp.defaultMaxBodySize)),
  // WEBHOOK_MODE and WEBHOOK_LEASE, read as the library reads them for any program (`WebhookInbox.layerConfig`).
  inbox: WebhookInbox.config,
  database: Config.string().pipe(
    Config.mapOrFail((url) => Either.mapLeft(Database.parse(url), (problem) => ConfigError.InvalidData([], problem))),
    Config.nested("DATABASE_URL"),
    Config.withDefault(Database.DEFAULT)
  ),
  workers: Config.integer("WEBHOOK_WORKERS").pipe(
    Config.validate({ message: "Expected at least 1", validation: (n) => n >= 1 }),
    // Each slot costs a take and a settle, two commits, per delivery: at 4 the workers drain a few hundred a
    // second on PostgreSQL, at 32 about five times that (README, Configuration).
    Config.withDefault(32)
  ),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  // Why these defaults: README, Configuration.
  headersTimeout: serverTimeout("WEBHOOK_HEADERS_TIMEOUT", Duration.seconds(10)),
  requestTimeout: serverTimeout("WEBHOOK_REQUEST_TIMEOUT", Duration.seconds(15)),
  keepAliveTimeout: serverTimeout("WEBHOOK_KEEP_ALIVE_TIMEOUT", Duration.seconds(5)),
  maxConnections: Config.integer("WEBHOOK_MAX_CONNECTIONS").pipe(
    Config.validate({ message: "Expected at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(1000)
  ),
  inspectorToken: Access.config("WEBHOOK_INSPECTOR_TOKEN"),
  metrics: Config.boolean("WEBHOOK_METRICS").pipe(Config.withDefault(true)),
  metricsToken: Access.config("WEBHOOK_METRICS_TOKEN")
}).pipe(Config.map(({ inbox, ...rest }) => ({ ...rest, mode: inbox.mode, lease: inbox.lease })))

/**
 * One `InvalidConfig` for everything wrong in `error`: each variable with its problem, and what each accepts.
 * Of two alternatives (a `serve` flag over the environment), the one that found a value speaks.
 */
export const invalid = (error: ConfigError.ConfigError): InvalidConfig => {
  type Problem = { readonly name: string; readonly message: string; readonly missing: boolean }
  const leaf = (missing: boolean) => (_: unknown, path: Array<string>, message: string): ReadonlyArray<Problem> => [
    { name: path.join("."), message, missing }
  ]
  const problems = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left, right) => [...left, ...right],
    orCase: (_, left, right) =>
      left.every((problem) => problem.missing)
        ? right
        : right.every((problem) => problem.missing)
        ? left
        : [...left, ...right],
    invalidDataCase: leaf(false),
    missingDataCase: leaf(true),
    sourceUnavailableCase: leaf(false),
    unsupportedCase: leaf(false)
  })
  const names = [...new Set(problems.map((problem) => problem.name))]
  return new InvalidConfig({
    message: problems.map(({ message, name }) => `${name}: ${message}`).join("; "),
    hint: names.map((name) => `${name} is ${accepts[name] ?? "described in the README, Configuration"}`).join("; ")
  })
}

/** The settings, or an {@link InvalidConfig}. */
export const load: Effect.Effect<ReceiverConfig, InvalidConfig> = Effect.mapError(config, invalid)
