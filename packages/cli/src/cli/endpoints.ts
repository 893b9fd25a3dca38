/**
 * `openai-webhooks endpoints list|get|create|update|delete|rotate|test`: the life of a webhook endpoint through
 * OpenAI's API (`WebhookEndpoints`), tables for people and `--json` (OpenAI's own JSON) for scripts.
 *
 * The API key comes from `OPENAI_API_KEY` only: a flag would leave it in shell history and process lists.
 * `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` are read as OpenAI's SDKs read them. A signing
 * secret is printed by `create` and `rotate` alone, the only times OpenAI shows it; the key never is.
 *
 * How an API error ends the command (see `./errors.ts`): what the user must change (the key refused or not
 * allowed, input OpenAI refuses) is a `UsageError` (exit 2); an endpoint not found, a conflict, OpenAI failing,
 * rate limiting or no answer is `Unreachable` (exit 1). Both print `error:` and `hint:`.
 */
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { WebhookEndpoints, type WebhookError } from "effect4-openai-webhooks"
import type { Input, endpointsCommands } from "./commands.js"
import { problemOf } from "./config-error.js"
import { CheckFailed, type CliError, Unreachable, UsageError } from "./errors.js"

/** The flags and arguments of `endpoints <name>`. */
type FlagsOf<K extends keyof typeof endpointsCommands> = Input<(typeof endpointsCommands)[K]>

const KEY_HINT = "export OPENAI_API_KEY=sk-... (an API key of the project whose webhooks these are: " +
  "https://platform.openai.com/api-keys); it is read from the environment only, never from a flag, to keep it out " +
  "of shell history"

/** What each variable accepts: the hint when its value is wrong. */
const accepts: Readonly<Record<string, string>> = {
  OPENAI_API_KEY: KEY_HINT,
  OPENAI_BASE_URL: `OPENAI_BASE_URL is an http(s) URL, ${WebhookEndpoints.defaultBaseUrl} when unset`,
  OPENAI_ORG_ID: "OPENAI_ORG_ID is an organization ID (org-...), or unset",
  OPENAI_PROJECT_ID: "OPENAI_PROJECT_ID is a project ID (proj_...), or unset"
}

/** A `ConfigError` from `layerConfig`, as a usage error naming the variable. */
const fromConfigError = (error: Config.ConfigError): UsageError => {
  const problem = problemOf(error)
  if (problem === undefined) return new UsageError({ message: error.message, hint: KEY_HINT })
  return new UsageError({
    message: problem.missing ? `${problem.name} is not set` : `${problem.name}: ${problem.message}`,
    hint: accepts[problem.name] ?? KEY_HINT
  })
}

/** Which flag a refused `param` comes from, and what it takes. */
const flagHints: Readonly<Record<string, string>> = {
  url: "--url is an https:// URL of at most 2048 characters",
  name: "--name is 1 to 256 characters",
  event_types: "--events takes the types openai-webhooks event-types lists, comma-separated, or all",
  event_type: "--type is one of the types openai-webhooks event-types lists",
  id: "pass the endpoint's ID (whe_...), as openai-webhooks endpoints list shows it"
}

/** An `ApiError` as the CLI ends on it: `UsageError` for what the user must change, `Unreachable` for the rest. */
export const fromApiError = (error: WebhookError.ApiError): UsageError | Unreachable => {
  const message = error.requestId === undefined ? error.message : `${error.message} (request ${error.requestId})`
  switch (error.reason) {
    case "Authentication":
      return new UsageError({
        message,
        hint: "OPENAI_API_KEY was refused: set it to a valid API key of the project " +
          "(https://platform.openai.com/api-keys)"
      })
    case "PermissionDenied":
      return new UsageError({
        message,
        hint: "the key may not manage webhooks here: use a key with that permission, and set OPENAI_PROJECT_ID " +
          "(and OPENAI_ORG_ID) to the project whose endpoints these are"
      })
    case "UnprocessableEntity":
      return new UsageError({
        message,
        hint: flagHints[error.param ?? ""] ?? "see openai-webhooks endpoints --help"
      })
    case "NotFound":
      return new Unreachable({
        message,
        hint: "openai-webhooks endpoints list shows the endpoints of the project OPENAI_API_KEY (and " +
          "OPENAI_PROJECT_ID) names"
      })
    case "Conflict":
      return new Unreachable({
        message,
        hint: "the endpoint changed meanwhile: look at it again (endpoints get) and retry"
      })
    case "RateLimited":
      return new Unreachable({ message, hint: "wait a little and run the command again" })
    case "Server":
      return new Unreachable({
        message,
        hint: message.includes("not retried")
          ? "look before you try again: openai-webhooks endpoints list"
          : "OpenAI failed; try again later (https://status.openai.com)"
      })
    case "Transport":
      return new Unreachable({
        message,
        hint: message.includes("not retried")
          ? "look before you try again: openai-webhooks endpoints list"
          : "check the network, and OPENAI_BASE_URL if it is set"
      })
    case "InvalidResponse":
      return new Unreachable({
        message,
        hint: "is OPENAI_BASE_URL OpenAI's API (or a proxy that passes its answers on unchanged)?"
      })
  }
}

const live = WebhookEndpoints.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

/** Runs a command's work with the API from the environment; its failures as the CLI's. */
export const withApi = <A>(
  work: Effect.Effect<A, WebhookError.ApiError | CliError, WebhookEndpoints.WebhookEndpoints>
): Effect.Effect<A, CliError> =>
  work.pipe(
    Effect.provide(live),
    Effect.mapError((error): CliError =>
      error._tag === "ConfigError"
        ? fromConfigError(error)
        : error._tag === "ApiError"
        ? fromApiError(error)
        : error
    )
  )

/** Pretty JSON on stdout. */
export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

/** Unix seconds as an ISO date, to the second. */
const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z")

/** Rows under a header, each column as wide as its widest cell; the last column is not padded. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)))
  return [header, ...rows].map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()
  ).join("\n")
}

const encodeEndpoint = Schema.encodeSync(WebhookEndpoints.wire.WebhookEndpoint)
const encodeWithSecret = Schema.encodeSync(WebhookEndpoints.wire.WebhookEndpointWithSecret)

/** One endpoint as `get`, `update`, `create` and `rotate` show it: a field per line. */
const describe = (endpoint: WebhookEndpoints.WebhookEndpoint): string =>
  [
    ["id", endpoint.id],
    ["name", endpoint.name],
    ["url", endpoint.url],
    ["event types", endpoint.eventTypes.join(", ")],
    ["secret hint", endpoint.signingSecretHint ?? "(none)"],
    ["created", when(endpoint.createdAt)],
    ...(endpoint.updatedAt === undefined ? [] : [["updated", when(endpoint.updatedAt)]])
  ].map(([label, value]) => `${label!.padEnd(12)}${value}`).join("\n")

const resolveEvents = (events: string) =>
  Effect.gen(function*() {
    if (events.trim() === "all") return yield* WebhookEndpoints.eventTypes
    const types = events.split(",").map((type) => type.trim()).filter((type) => type !== "")
    if (types.length === 0) {
      return yield* Effect.fail(
        new UsageError({ message: "--events names no event type", hint: flagHints["event_types"]! })
      )
    }
    return types
  })

export const list = (flags: FlagsOf<"list">) =>
    withApi(Effect.gen(function*() {
      if (flags.limit !== undefined && flags.limit < 1) {
        return yield* Effect.fail(new UsageError({ message: "--limit must be at least 1", hint: "e.g. --limit 10" }))
      }
      const all = WebhookEndpoints.list({ limit: Math.min(100, flags.limit ?? 100) })
      const stream = flags.limit === undefined ? all : Stream.take(all, flags.limit)
      const endpoints = yield* Stream.runCollect(stream)
      if (flags.json) return yield* printJson(endpoints.map((endpoint) => encodeEndpoint(endpoint)))
      if (endpoints.length === 0) {
        return yield* Console.log(
          "no endpoints (create one: openai-webhooks endpoints create --url ... --name ... --events ...)"
        )
      }
      yield* Console.log(table(
        ["ID", "NAME", "CREATED", "URL", "EVENTS"],
        endpoints.map((e) => [e.id, e.name, when(e.createdAt), e.url, e.eventTypes.join(",")])
      ))
    }))

export const get = (flags: FlagsOf<"get">) =>
  withApi(Effect.gen(function*() {
    const endpoint = yield* WebhookEndpoints.retrieve(flags.id)
    yield* flags.json ? printJson(encodeEndpoint(endpoint)) : Console.log(describe(endpoint))
  }))

/** The secret as a receiver takes it: `OPENAI_WEBHOOK_SECRET`, one or several separated by spaces. */
const secretVariable = (...secrets: ReadonlyArray<string>) => `OPENAI_WEBHOOK_SECRET="${secrets.join(" ")}"`

export const create = (flags: FlagsOf<"create">) =>
    withApi(Effect.gen(function*() {
      const eventTypes = yield* resolveEvents(flags.events)
      const endpoint = yield* WebhookEndpoints.create({ url: flags.url, name: flags.name, eventTypes })
      if (flags.json) return yield* printJson(encodeWithSecret(endpoint))
      const secret = Redacted.value(endpoint.signingSecret)
      yield* Console.log(
        [
          `created ${endpoint.id}`,
          "",
          describe(endpoint),
          "",
          "Its signing secret, shown this once (OpenAI keeps only a hint): store it now.",
          "",
          `  ${secret}`,
          "",
          "Next: run your receiver with it:",
          "",
          `  ${secretVariable(secret)} npx openai-webhooks serve`
        ].join("\n")
      )
    }))

export const update = (flags: FlagsOf<"update">) =>
    withApi(Effect.gen(function*() {
      if (flags.url === undefined && flags.name === undefined && flags.events === undefined) {
        return yield* Effect.fail(
          new UsageError({ message: "nothing to change", hint: "pass --url, --name or --events (or several)" })
        )
      }
      const eventTypes = flags.events !== undefined ? yield* resolveEvents(flags.events) : undefined
      const endpoint = yield* WebhookEndpoints.update(flags.id, { url: flags.url, name: flags.name, eventTypes })
      yield* flags.json
        ? printJson(encodeEndpoint(endpoint))
        : Console.log(`updated ${endpoint.id}\n\n${describe(endpoint)}`)
    }))

export const remove = (flags: FlagsOf<"delete">) =>
  withApi(Effect.gen(function*() {
    const deleted = yield* WebhookEndpoints.del(flags.id)
    if (flags.json) return yield* printJson(Schema.encodeSync(WebhookEndpoints.wire.DeletedWebhookEndpoint)(deleted))
    yield* Console.log(deleted.deleted ? `deleted ${deleted.id}` : `${deleted.id} was not deleted`)
    if (!deleted.deleted) return yield* Effect.fail(new CheckFailed({ message: "not deleted" }))
  }))

/** What `rotate` prints: the new secret, once, and what to do now. */
const rotation = (endpoint: WebhookEndpoints.WebhookEndpointWithSecret, keepOld: boolean, now: number) => {
  const secret = Redacted.value(endpoint.signingSecret)
  const shown = [
    "The new signing secret, shown this once (OpenAI keeps only a hint): store it now.",
    "",
    `  ${secret}`,
    ""
  ]
  if (!keepOld) {
    return [
      `rotated the signing secret of ${endpoint.id}: the old secret stopped working now.`,
      "Deliveries are signed with the new secret only: a receiver that still has the old one rejects them (401)",
      "until it has the new one. OpenAI retries rejected deliveries, so restart your receivers with it now.",
      "",
      ...shown,
      "Give it to your receivers:",
      "",
      `  ${secretVariable(secret)} npx openai-webhooks serve`,
      "",
      "Next time, --keep-old keeps the old secret active for 24 hours, for a rotation without downtime."
    ]
  }
  const rotatedAt = endpoint.updatedAt ?? now
  const until = new Date((rotatedAt + 24 * 60 * 60) * 1000).toISOString().slice(0, 16).replace("T", " ")
  return [
    `rotated the signing secret of ${endpoint.id}: the old secret stays active for 24 hours, until about ${until} UTC.`,
    "Until then each delivery carries a signature for each secret, so a receiver with either one verifies it.",
    "",
    ...shown,
    "Rotate your receivers without downtime:",
    "",
    "  1. Now, give each receiver both secrets, the new one first (<old secret> is the one they have now):",
    "",
    `       ${secretVariable(secret, "<old secret>")} npx openai-webhooks serve`,
    "",
    `  2. Before ${until} UTC, once every receiver runs with both, drop the old one:`,
    "",
    `       ${secretVariable(secret)} npx openai-webhooks serve`
  ]
}

export const rotate = (flags: FlagsOf<"rotate">) =>
    withApi(Effect.gen(function*() {
      const endpoint = yield* WebhookEndpoints.rotateSecret(flags.id, { keepOldSecretActiveFor24Hours: flags.keepOld })
      if (flags.json) return yield* printJson(encodeWithSecret(endpoint))
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      yield* Console.log(rotation(endpoint, flags.keepOld, now).join("\n"))
    }))

export const test = (flags: FlagsOf<"test">) =>
    withApi(Effect.gen(function*() {
      const result = yield* WebhookEndpoints.test(flags.id, { eventType: flags.type })
      if (flags.json) yield* printJson(Schema.encodeSync(WebhookEndpoints.wire.TestEventResult)(result))
      else {
        yield* Console.log(
          `${result.webhookEndpointId}: ${result.eventType} test event answered ${result.statusCode} ` +
            `(${result.success ? "success" : "not a success"})`
        )
      }
      if (!result.success) {
        const hint = "is the receiver running at the endpoint's URL, with the endpoint's signing secret? " +
          "its log says why"
        if (!flags.json) yield* Console.error(`hint: ${hint}`)
        return yield* Effect.fail(new CheckFailed({ message: `answered ${result.statusCode}`, hint }))
      }
    }))
