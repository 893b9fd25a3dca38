/**
 * The receiver's settings, from environment variables (see README, Configuration), read once at start:
 * a value it cannot use is an {@link InvalidConfig} that names the variable (or the `serve` flag over it) and
 * what it accepts. One rule for all (the engine's `Setting`, through `./env.ts`): empty counts as unset, whole
 * numbers are decimal digits within stated bounds, and the secrets (`OPENAI_WEBHOOK_SECRET`, the two tokens,
 * `DATABASE_URL`) may come from the file `<NAME>_FILE` names.
 *
 * Development or not: with no webhook secret configured the receiver runs on a development secret made for the
 * run, and only where no real sender can be waiting for it: on loopback (`HOST` defaults to 127.0.0.1 then,
 * 0.0.0.0 with a secret) and without `NODE_ENV=production`. Otherwise it refuses to start (exit 2).
 */
import { isIP } from "node:net"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { WebhookHttp, WebhookInbox } from "effect4-openai-webhooks"
import { Setting } from "openai-webhooks-engine"
import * as Access from "./access.js"
import * as Database from "./database.js"
import * as Env from "./env.js"
import { InvalidConfig } from "./errors.js"

export interface ReceiverConfig {
  /** `HOST`; unset, 127.0.0.1 in development (no {@link secret}) and 0.0.0.0 (every interface) with a secret. */
  readonly host: string
  /**
   * `OPENAI_WEBHOOK_SECRET`, or the file `OPENAI_WEBHOOK_SECRET_FILE` names; `None` in development, where the
   * receiver makes a secret for the run (`./secret.ts`).
   */
  readonly secret: Option.Option<Env.Secret>
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

/**
 * `LOG_LEVEL`'s values (in any case), and the level each is: the names Effect 3's `Config.logLevel` took, kept so
 * that a deployment's `LOG_LEVEL` still works (Effect 4's own `Config.LogLevel` takes `Warn`, `None`, ... in that
 * case only).
 */
const LEVELS: Readonly<Record<string, LogLevel.LogLevel>> = {
  all: "All",
  fatal: "Fatal",
  error: "Error",
  warn: "Warn",
  info: "Info",
  debug: "Debug",
  trace: "Trace",
  off: "None"
}

/** `LOG_LEVEL`'s values, in any case. */
export const LOG_LEVELS: ReadonlyArray<string> = Object.keys(LEVELS)

const logLevel: Config.Config<LogLevel.LogLevel> = Config.String("LOG_LEVEL").pipe(
  Config.mapEffect((text) => {
    const level = Object.hasOwn(LEVELS, text.toLowerCase()) ? LEVELS[text.toLowerCase()] : undefined
    return level !== undefined
      ? Effect.succeed(level)
      : Effect.fail(Env.invalidAt("LOG_LEVEL", `Expected a log level but received ${JSON.stringify(text)}`))
  })
)

/**
 * A host name (RFC 1123 2.1: letters, digits and inner hyphens per label), its last label not all digits (RFC 3696
 * 2), so that a number such as 0 or 1.5 is refused rather than read by the resolver as an address.
 */
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
const HOSTNAME = new RegExp(`^(?:${LABEL}\\.)*(?=[A-Za-z0-9-]*[A-Za-z])${LABEL}$`)

/** The bounds of each whole-number variable. */
export const BOUNDS = {
  PORT: { min: 1, max: 65535 },
  // The body is held in memory while it is verified; OpenAI's deliveries are a few KB.
  WEBHOOK_MAX_BODY_SIZE: { min: 1, max: 1024 * 1024 * 1024 },
  WEBHOOK_WORKERS: { min: 1, max: 1000 },
  WEBHOOK_MAX_CONNECTIONS: { min: 1, max: 1_000_000 }
} as const satisfies Readonly<Record<string, Setting.Bounds>>

/** What a variable holding a file's path accepts. */
const fileOf = (name: string) =>
  `the path of a readable file holding ${name}'s value (a mounted secret, say), not empty; set ${name} or ` +
  `${name}_FILE, not both`

/** The `serve` flag over each variable that has one. */
export const FLAGS: Readonly<Record<string, string>> = {
  HOST: "--host",
  PORT: "--port",
  WEBHOOK_PATH: "--path",
  WEBHOOK_MODE: "--mode",
  DATABASE_URL: "--database"
}

/** What each variable accepts: the hint when its value is wrong. Empty always counts as unset. */
const accepts: Readonly<Record<string, string>> = {
  OPENAI_WEBHOOK_SECRET: "your endpoint's signing secret (whsec_..., from the OpenAI dashboard), or several " +
    "separated by spaces while you rotate",
  OPENAI_WEBHOOK_SECRET_FILE: fileOf("OPENAI_WEBHOOK_SECRET"),
  HOST: "an address of this machine: 0.0.0.0 (every interface), 127.0.0.1 (this machine only), :: or ::1 for " +
    "IPv6, or a host name such as localhost",
  PORT: `a port number ${Setting.range(BOUNDS.PORT)}, in decimal digits`,
  WEBHOOK_PATH: "a path starting with /, such as /webhooks/openai, other than /healthz, /metrics and /inbox",
  WEBHOOK_TIMEOUT: "a duration from 1 millis to 1 hour, such as 10 seconds or 1500 millis",
  WEBHOOK_MAX_BODY_SIZE: `a number of bytes ${Setting.range(BOUNDS.WEBHOOK_MAX_BODY_SIZE)}, in decimal digits`,
  WEBHOOK_MODE: "inline or queued",
  WEBHOOK_LEASE: "a duration of at least 1 second, such as 30 seconds",
  WEBHOOK_WORKERS: `a whole number ${Setting.range(BOUNDS.WEBHOOK_WORKERS)}, in decimal digits`,
  WEBHOOK_HEADERS_TIMEOUT: "a duration from 1 millis to 1 hour, such as 10 seconds",
  WEBHOOK_REQUEST_TIMEOUT: "a duration from 1 millis to 1 hour, such as 30 seconds",
  WEBHOOK_KEEP_ALIVE_TIMEOUT: "a duration from 1 millis to 1 hour, such as 5 seconds",
  WEBHOOK_MAX_CONNECTIONS: `a whole number ${Setting.range(BOUNDS.WEBHOOK_MAX_CONNECTIONS)}, in decimal digits`,
  WEBHOOK_METRICS: "on or off (also true, false, yes, no, 1, 0)",
  WEBHOOK_METRICS_TOKEN: Access.ACCEPTS,
  WEBHOOK_METRICS_TOKEN_FILE: fileOf("WEBHOOK_METRICS_TOKEN"),
  DATABASE_URL: `${Database.FORMS}, or unset for the SQLite file ${Database.DEFAULT_SQLITE_FILE}`,
  DATABASE_URL_FILE: fileOf("DATABASE_URL"),
  LOG_LEVEL: `one of ${LOG_LEVELS.join(", ")}, in any case`,
  WEBHOOK_INSPECTOR_TOKEN: Access.ACCEPTS,
  WEBHOOK_INSPECTOR_TOKEN_FILE: fileOf("WEBHOOK_INSPECTOR_TOKEN")
}

/** The receiver's own paths: the health check, the metrics and the inspector (and everything under it). */
export const RESERVED_PATHS: ReadonlyArray<string> = ["/healthz", "/metrics", "/inbox"]

/** Variables the commands read too, as the receiver reads them. */
export const variables = {
  // An origin-form path (RFC 9112 3.2.1): one that does not start with "/" could never match a request.
  path: Env.checked(
    "WEBHOOK_PATH",
    (path) => /^\/[^\s?#]*$/.test(path),
    "Expected a path starting with /, without spaces, ? or #"
  ).pipe(
    // Deliveries are matched first: on one of the receiver's own paths they would hide it.
    Config.mapEffect((path) =>
      RESERVED_PATHS.includes(path) || path.startsWith("/inbox/")
        ? Effect.fail(Env.invalidAt(
          "WEBHOOK_PATH",
          `Expected a path other than the receiver's own (${RESERVED_PATHS.join(", ")} and under /inbox/)`
        ))
        : Effect.succeed(path)
    )
  ),
  /** `DATABASE_URL`, or the contents of the file `DATABASE_URL_FILE` names (its password is a secret). */
  databaseUrl: Config.mapEffect(
    Env.secret("DATABASE_URL"),
    Option.match({
      onNone: () => Effect.fail(Env.invalidAt("DATABASE_URL", "Expected DATABASE_URL to be set")),
      onSome: (found) => Effect.succeed(Redacted.value(found.value))
    })
  )
}

/**
 * A timeout of the HTTP server. Node takes whole milliseconds, and a timer longer than 2^31 - 1 ms fires at
 * once (with a warning): an hour is far more than any of them needs, and well within.
 */
const serverTimeout = (name: string, fallback: Duration.Duration): Config.Config<Duration.Duration> =>
  Config.String(name).pipe(
    Config.mapEffect((text) =>
      Option.match(Duration.fromInput(text as Duration.Input), {
        onNone: () => Effect.fail(Env.invalidAt(name, `Expected a duration but received ${JSON.stringify(text)}`)),
        onSome: (duration) =>
          Duration.between(duration, { minimum: Duration.millis(1), maximum: Duration.hours(1) })
            ? Effect.succeed(duration)
            : Effect.fail(Env.invalidAt(name, "Expected a duration from 1 millis to 1 hour"))
      })
    ),
    Config.withDefault(fallback)
  )

/**
 * An on/off variable, by the words Effect 3's `Config.boolean` took (Effect 4's `Config.Boolean` also takes `y` and
 * `n`), refused in its words.
 */
const onOff = (name: string): Config.Config<boolean> =>
  Config.String(name).pipe(
    Config.mapEffect((text) =>
      ON.has(text)
        ? Effect.succeed(true)
        : OFF.has(text)
        ? Effect.succeed(false)
        : Effect.fail(Env.invalidAt(name, `Expected a boolean value but received ${JSON.stringify(text)}`))
    )
  )
const ON: ReadonlySet<string> = new Set(["true", "yes", "on", "1"])
const OFF: ReadonlySet<string> = new Set(["false", "no", "off", "0"])

/**
 * `Config.all` over a record, every field read: Effect 4's stops at the first refusal, and a person fixing their
 * variables wants each one at fault named at once (as Effect 3's `Config.all` did).
 */
const allOf = <const Fields extends Readonly<Record<string, Config.Config<unknown>>>>(
  fields: Fields
): Config.Config<{ readonly [K in keyof Fields]: Config.Success<Fields[K]> }> =>
  Config.all(Object.fromEntries(Object.entries(fields).map(([key, field]) => [
    key,
    field.pipe(
      Config.map((value): Result.Result<unknown, Config.ConfigError> => Result.succeed(value)),
      Config.orElse((error) => Config.succeed(Result.fail(error)))
    )
  ]))).pipe(
    Config.mapEffect((results) => {
      const values: Record<string, unknown> = {}
      const errors: Array<Config.ConfigError> = []
      for (const [key, result] of Object.entries(results)) {
        if (Result.isSuccess(result)) values[key] = result.success
        else errors.push(result.failure)
      }
      const [first, ...others] = errors
      type Values = { readonly [K in keyof Fields]: Config.Success<Fields[K]> }
      if (first === undefined) return Effect.succeed(values as Values)
      const issues = errors.flatMap((error) => error.cause._tag === "SchemaError" ? [error.cause.issue] : [])
      const [issue, ...rest] = issues
      return Effect.fail(
        others.length === 0 || issue === undefined || issues.length < errors.length
          ? first
          : new Config.ConfigError(
            new Schema.SchemaError(new SchemaIssue.Composite(Schema.Unknown.ast, [issue, ...rest]))
          )
      )
    })
  )

/** The settings, with what decides whether a run without a secret may use a development one. */
export const config: Config.Config<
  ReceiverConfig & { readonly production: boolean }
> = allOf({
  secret: Env.secret("OPENAI_WEBHOOK_SECRET"),
  host: Config.option(Env.checked(
    "HOST",
    (host) => isIP(host) !== 0 || HOSTNAME.test(host),
    "Expected an IP address (0.0.0.0, 127.0.0.1, ::) or a host name of this machine"
  )),
  nodeEnv: Config.option(Config.String("NODE_ENV")),
  port: Env.integer("PORT", BOUNDS.PORT).pipe(Config.withDefault(8787)),
  path: variables.path.pipe(Config.withDefault(WebhookHttp.defaultPath)),
  // The handler's deadline: a timer too, so an hour at most (see `serverTimeout`).
  timeout: serverTimeout("WEBHOOK_TIMEOUT", Duration.seconds(10)),
  maxBodySize: Env.integer("WEBHOOK_MAX_BODY_SIZE", BOUNDS.WEBHOOK_MAX_BODY_SIZE).pipe(
    Config.withDefault(WebhookHttp.defaultMaxBodySize)
  ),
  // WEBHOOK_MODE and WEBHOOK_LEASE, read as the library reads them for any program (`WebhookInbox.layerConfig`).
  inbox: WebhookInbox.config,
  database: Env.secret("DATABASE_URL").pipe(
    Config.mapEffect(Option.match({
      onNone: () => Effect.succeed(Database.DEFAULT),
      onSome: ({ value, variable }) =>
        Result.match(Database.parse(Redacted.value(value)), {
          onSuccess: Effect.succeed,
          onFailure: (problem) => Effect.fail(Env.invalidAt(variable, problem))
        })
    }))
  ),
  // Each slot costs a take and a settle, two commits, per delivery: at 4 the workers drain a few hundred a
  // second on PostgreSQL, at 32 about five times that (README, Configuration).
  workers: Env.integer("WEBHOOK_WORKERS", BOUNDS.WEBHOOK_WORKERS).pipe(Config.withDefault(32)),
  logLevel: logLevel.pipe(Config.withDefault("Info" as const)),
  // Why these defaults: README, Configuration.
  headersTimeout: serverTimeout("WEBHOOK_HEADERS_TIMEOUT", Duration.seconds(10)),
  requestTimeout: serverTimeout("WEBHOOK_REQUEST_TIMEOUT", Duration.seconds(15)),
  keepAliveTimeout: serverTimeout("WEBHOOK_KEEP_ALIVE_TIMEOUT", Duration.seconds(5)),
  maxConnections: Env.integer("WEBHOOK_MAX_CONNECTIONS", BOUNDS.WEBHOOK_MAX_CONNECTIONS).pipe(
    Config.withDefault(1000)
  ),
  inspectorToken: Access.config("WEBHOOK_INSPECTOR_TOKEN"),
  metrics: onOff("WEBHOOK_METRICS").pipe(Config.withDefault(true)),
  metricsToken: Access.config("WEBHOOK_METRICS_TOKEN")
}).pipe(
  Config.map(({ host, inbox, nodeEnv, ...rest }) => {
    const settings = {
      ...rest,
      // Development listens on loopback unless told otherwise; with a secret, every interface (a container).
      host: Option.getOrElse(host, () => Option.isNone(rest.secret) ? "127.0.0.1" : "0.0.0.0"),
      mode: inbox.mode,
      lease: inbox.lease
    }
    return { ...settings, production: Option.contains(nodeEnv, "production") }
  })
)

/** The refusals in a `ConfigError`, each at its variable (Effect 4's issues as the standard schema lists them). */
const problemsOf = (error: Config.ConfigError): ReadonlyArray<{ readonly name: string; readonly message: string }> =>
  error.cause._tag === "SourceError"
    ? [{ name: "", message: error.cause.message }]
    : formatter(error.cause.issue).issues.map((issue) => ({
      name: (issue.path ?? []).map(String).join("_"),
      message: issue.message
    }))

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The variables whose value a refusal may show: none of the secrets (credentials, `DATABASE_URL`). */
const SHOWN: ReadonlySet<string> = new Set([
  "HOST",
  "PORT",
  "WEBHOOK_PATH",
  "WEBHOOK_TIMEOUT",
  "WEBHOOK_MAX_BODY_SIZE",
  "WEBHOOK_MODE",
  "WEBHOOK_LEASE",
  "WEBHOOK_WORKERS",
  "WEBHOOK_HEADERS_TIMEOUT",
  "WEBHOOK_REQUEST_TIMEOUT",
  "WEBHOOK_KEEP_ALIVE_TIMEOUT",
  "WEBHOOK_MAX_CONNECTIONS",
  "WEBHOOK_METRICS",
  "LOG_LEVEL"
])

/**
 * One `InvalidConfig` for everything wrong in `error`: each variable with its problem, and what each accepts.
 * A `serve` flag is over its variable in the provider (found first), so the value at fault is the one a person gave.
 */
export const invalid = (
  error: Config.ConfigError,
  flags: ReadonlySet<string> = new Set(),
  values: Readonly<Record<string, string>> = {}
): InvalidConfig => {
  // Effect 4's refusal of a value that is none of a few words says what it expects but not what it got: added here
  // from `values` (the variables that are not secrets, as read).
  const problems = problemsOf(error).map((problem) => {
    const value = values[problem.name]
    return value === undefined || /\b(got|received)\b/.test(problem.message)
      ? problem
      : { ...problem, message: `${problem.message}, got ${JSON.stringify(value)}` }
  })
  // A value given as a `serve` flag is named as the flag: that is what the person typed.
  const label = (name: string) => flags.has(name) ? FLAGS[name] ?? name : name
  const names = [...new Set(problems.map((problem) => problem.name))]
  return new InvalidConfig({
    message: problems.map(({ message, name }) => `${label(name)}: ${message}`).join("; "),
    hint: names.map((name) => `${label(name)} is ${accepts[name] ?? "described in the README, Configuration"}`)
      .join("; ")
  })
}

/**
 * A run without a webhook secret, where a real sender could be waiting for the real one: refused, rather than
 * answering 401 to every delivery until OpenAI gives up (72 hours later). `--host` is named when it was a flag.
 */
const development = (
  settings: ReceiverConfig & { readonly production: boolean },
  flags: ReadonlySet<string>
): Effect.Effect<ReceiverConfig, InvalidConfig> => {
  const { production, ...rest } = settings
  if (Option.isSome(settings.secret)) return Effect.succeed(rest)
  const missing = "no webhook secret is set (OPENAI_WEBHOOK_SECRET or OPENAI_WEBHOOK_SECRET_FILE)"
  const set = "set OPENAI_WEBHOOK_SECRET to your endpoint's signing secret (whsec_..., from the OpenAI dashboard), " +
    "or OPENAI_WEBHOOK_SECRET_FILE to a file holding it"
  if (production) {
    return Effect.fail(
      new InvalidConfig({
        message: `${missing}, and NODE_ENV is production: the development secret is for development only`,
        hint: set
      })
    )
  }
  if (!Setting.isLoopback(settings.host)) {
    const host = flags.has("HOST") ? "--host" : "HOST"
    return Effect.fail(
      new InvalidConfig({
        message: `${missing}, and ${host} ${settings.host} is not loopback: a development secret there would ` +
          "answer 401 to every real delivery",
        hint: `${set}; or, for development, listen on loopback: unset ${host} (the default is then 127.0.0.1)`
      })
    )
  }
  return Effect.succeed(rest)
}

/**
 * The settings from the current `ConfigProvider` (empty values as unset), or an {@link InvalidConfig}: `flags`
 * are the variables given as `serve` flags, named as those flags when their value is wrong.
 */
export const loadWith = (flags: ReadonlySet<string> = new Set()): Effect.Effect<ReceiverConfig, InvalidConfig> =>
  Effect.gen(function*() {
    const provider = Env.emptyAsUnset(yield* ConfigProvider.ConfigProvider)
    const parsed = yield* Effect.result(config.parse(provider))
    if (Result.isSuccess(parsed)) return yield* development(parsed.success, flags)
    const values: Record<string, string> = {}
    for (const { name } of problemsOf(parsed.failure)) {
      if (!SHOWN.has(name)) continue
      const node = yield* Effect.orElseSucceed(provider.load([name]), () => undefined)
      if (node?.value !== undefined) values[name] = node.value
    }
    return yield* Effect.fail(invalid(parsed.failure, flags, values))
  })

/** The settings, or an {@link InvalidConfig}. */
export const load: Effect.Effect<ReceiverConfig, InvalidConfig> = loadWith()
