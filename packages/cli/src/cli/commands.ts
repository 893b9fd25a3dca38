/**
 * Every command of `openai-webhooks` on Effect 4's `effect/cli`: its flags and arguments with what `--help` says of
 * them, and the module that runs it, imported only when that command runs (`import()` in its handler), so that
 * `--help`, `secret` and `events` load neither the receiver, nor the library, nor the SQL drivers. `effect/cli`
 * parses, validates and suggests ("did you mean"); `./help.ts` writes the help and `./mistakes.ts` says its mistakes
 * as `error:`/`hint:`. The README's command reference follows this file.
 */
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InboxSql, Signature } from "openai-webhooks-engine"
import { nearest } from "./near.js"

/** What a command's handler module receives: each flag and argument of its config under its key, parsed. */
export type Input<C extends Command.Command.Config> = Command.Command.Config.Infer<C>

/** A flag's value, or undefined when it is absent: what the handler modules take. */
const orUndefined = <A>(flag: Flag.Flag<A>): Flag.Flag<A | undefined> =>
  flag.pipe(Flag.optional, Flag.map(Option.getOrUndefined))

/** `--name <value>`: text, undefined when absent. */
const text = (name: string, description: string, value = "text"): Flag.Flag<string | undefined> =>
  orUndefined(Flag.String(name).pipe(Flag.withMetavar(value), Flag.withDescription(description)))

/** A value `effect/cli` refuses, in words that name the flag (its own say `Expected: an integer`). */
const invalid = (message: string) => Effect.fail(new CliError.ValidationError({ message }))

/**
 * `--name <n>`: a whole number written in decimal (not `1e3` or `0x10`), the mistake naming the flag.
 */
const wholeNumber = (name: string, description: string, value = "n"): Flag.Flag<number> =>
  Flag.String(name).pipe(
    Flag.withMetavar(value),
    Flag.withDescription(description),
    Flag.mapEffect((text) =>
      /^-?\d+$/.test(text.trim()) && Number.isSafeInteger(Number(text))
        ? Effect.succeed(Number(text))
        : invalid(`--${name} takes a whole number, not ${JSON.stringify(text)}`)
    )
  )

/** `--name <n>`: a whole number, undefined when absent. */
const integer = (name: string, description: string, value = "n"): Flag.Flag<number | undefined> =>
  orUndefined(wholeNumber(name, description, value))

/** `text` if it is one of `choices`; else the mistake, naming the flag, with a "did you mean". */
const oneOf = <C extends string>(name: string, choices: ReadonlyArray<C>, text: string) => {
  if ((choices as ReadonlyArray<string>).includes(text)) return Effect.succeed(text as C)
  const near = nearest(text, choices)
  return invalid(
    `--${name} is one of ${choices.join(", ")}, not ${JSON.stringify(text)}${
      near === undefined ? "" : `; did you mean ${near}?`
    }`
  )
}

/** `--name <a|b>`: text, to be one of `choices` (the mistake names the flag; Flag.Literals's does not). */
const choiceText = (name: string, choices: ReadonlyArray<string>, description: string): Flag.Flag<string> =>
  Flag.String(name).pipe(Flag.withMetavar(choices.join("|")), Flag.withDescription(description))

/** `--name <a|b>`: one of `choices`. */
const choice = <const C extends string>(name: string, choices: ReadonlyArray<C>, description: string) =>
  choiceText(name, choices, description).pipe(Flag.mapEffect((text) => oneOf(name, choices, text)))

/** `--name <a|b>`, repeated: each one of `choices`, in order (empty when absent). */
const choices = <const C extends string>(name: string, choices: ReadonlyArray<C>, description: string) =>
  choiceText(name, choices, description).pipe(
    Flag.atLeast(0),
    Flag.mapEffect((texts) => Effect.forEach(texts, (text) => oneOf(name, choices, text)))
  )

/** `--name`: a switch, false when absent. */
const boolean = (name: string, description: string): Flag.Flag<boolean> =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

/** A flag that must be given: text. */
const requiredText = (name: string, description: string, value = "text"): Flag.Flag<string> =>
  Flag.String(name).pipe(Flag.withMetavar(value), Flag.withDescription(description))

/** A positional argument that may be left out. */
const optionalArg = (name: string, description: string): Argument.Argument<string | undefined> =>
  Argument.String(name).pipe(
    Argument.withDescription(description),
    Argument.optional,
    Argument.map(Option.getOrUndefined)
  )

/** A positional argument that must be given. */
const arg = (name: string, description: string): Argument.Argument<string> =>
  Argument.String(name).pipe(Argument.withDescription(description))

/** A command's module, imported when the command runs, and its `run` applied to the parsed input. */
const load = <I, E, R>(module: () => Promise<(input: I) => Effect.Effect<unknown, E, R>>) => (input: I) =>
  Effect.flatMap(Effect.promise(module), (run) => Effect.asVoid(run(input)))

/** The database URL's forms, as `DATABASE_URL` takes them (the receiver's `database.ts` reads them). */
const DATABASE_FORMS = "sqlite:<path>, memory or postgres://user:password@host:5432/database"

/** What `--since` and `--until` take (`./inbox/time.ts` reads them). */
export const TIME_FORMS = "a span back from now (30m, 1h, 2d, 1w) or an ISO date-time (2026-11-29T08:00:00Z)"

/** Where `send` posts by default: the receiver's default port and path on this machine. */
export const DEFAULT_URL = "http://127.0.0.1:8787/webhooks/openai"

/** What `--url` takes, with an example: said when `send` is given a URL it cannot use, or none. */
export const urlHint = (example: string): string => `--url takes http:// or https://, e.g. --url ${example}`

/**
 * The hint for a flag given without its value (`send --url --count 3`), by the command's path and the flag's name,
 * where one says more than the command's help.
 */
export const valueHints: Readonly<Record<string, string>> = { "send --url": urlHint(DEFAULT_URL) }

/** `send`'s flags and argument. */
export const send = {
  type: optionalArg(
    "event-type",
    "The event type to send, e.g. response.completed (list: openai-webhooks events)."
  ),
  all: boolean("all", "Send one event of every known type, instead of <event-type>."),
  url: Flag.String("url").pipe(
    Flag.withMetavar("url"),
    Flag.withDescription(`The receiver's URL, http:// or https://. Default: ${DEFAULT_URL}.`),
    Flag.withDefault(DEFAULT_URL)
  ),
  secret: text(
    "secret",
    "The signing secret, whsec_... (the receiver prints its development secret at start). Default: " +
      "OPENAI_WEBHOOK_SECRET, its first secret when it lists several.",
    "whsec_..."
  ),
  data: text(
    "data",
    "JSON merged over the sample's data (wire field names, objects merged key by key), e.g. '{\"id\":\"resp_1\"}'; " +
      "the whole data of a type this version does not know. See the fields: openai-webhooks events <event-type>.",
    "json"
  ),
  fail: boolean(
    "fail",
    "Make the delivery fail on purpose: its webhook-id starts with fail_, which the receiver's example handler " +
      "fails on (500, then retries, then dead), to try inbox recover and discard."
  ),
  id: text("id", "The webhook-id, 1 to 256 printable characters. Default: a random msg_... per delivery.", "id"),
  timestamp: integer(
    "timestamp",
    "The webhook-timestamp, in Unix seconds (to test the receiver's tolerance). Default: now.",
    "seconds"
  ),
  count: wholeNumber("count", "How many deliveries of each type to send (a summary follows). Default: 1.").pipe(
    Flag.withDefault(1)
  )
}

/** `verify`'s flags. */
export const verify = {
  body: requiredText("body", "A file holding the raw request body, byte for byte as received.", "file"),
  headers: requiredText(
    "headers",
    "A file holding the request headers: Name: value lines as in a request log, curl -H 'Name: value' lines, " +
      "or a JSON object (as a browser's developer tools copy them).",
    "file"
  ),
  secret: text(
    "secret",
    "The signing secret, whsec_... Default: OPENAI_WEBHOOK_SECRET, read as the receiver reads it (one or several).",
    "whsec_..."
  ),
  tolerance: wholeNumber(
    "tolerance",
    `How old or how far in the future a timestamp may be, in seconds. Default: ${Signature.defaultToleranceSeconds}.`,
    "seconds"
  ).pipe(Flag.withDefault(Signature.defaultToleranceSeconds))
}

/** `secret` takes nothing. */
export const secret = {}

/** `events`'s argument. */
export const events = {
  type: optionalArg(
    "event-type",
    "Show this type's description and its sample event, the fields send --data merges over."
  )
}

/**
 * `serve`'s flags: text, each checked by the receiver's own rule for the variable it stands for
 * (../receiver/config.ts), so that `--port 0x10` is refused as `PORT=0x10` is, naming the flag.
 */
export const serve = {
  host: text(
    "host",
    "The address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface). Default: HOST, else " +
      "0.0.0.0 with a webhook secret and 127.0.0.1 without (development).",
    "address"
  ),
  port: text("port", "The port to listen on, 1 to 65535. Default: PORT, else 8787.", "port"),
  path: text("path", "The path deliveries are posted to. Default: WEBHOOK_PATH, else /webhooks/openai.", "path"),
  mode: text(
    "mode",
    "inline: run the handler before answering; queued: answer once stored, workers run it. Default: " +
      "WEBHOOK_MODE, else inline.",
    "inline|queued"
  ),
  database: text(
    "database",
    `The inbox's store: ${DATABASE_FORMS}. Default: DATABASE_URL (or the file DATABASE_URL_FILE names), else ` +
      "the SQLite file .data/openai-webhooks.sqlite.",
    "url"
  ),
  inspectOnly: boolean(
    "inspect-only",
    "Serve only the inspector, on an inbox another application writes: no handler, no workers, no webhook path. " +
      "Default: WEBHOOK_INSPECT_ONLY."
  ),
  takeOver: boolean(
    "take-over",
    "Run the example handler and workers on an inbox that holds deliveries this receiver did not record as its " +
      "own (its own, made before 0.4.0). Default: WEBHOOK_TAKE_OVER."
  )
}

const inboxDatabase = text(
  "database",
  `The receiver's database: ${DATABASE_FORMS}. Default: DATABASE_URL, else the SQLite file ` +
    ".data/openai-webhooks.sqlite (as the receiver, run in this folder, keeps it).",
  "url"
)
const inboxJson = boolean("json", "Print one JSON document instead of a table, for scripts.")
const webhookId = arg("webhook-id", "The delivery's webhook-id (msg_...).")

/** The flags and arguments of each `inbox` command, by name. */
export const inboxCommands = {
  list: {
    database: inboxDatabase,
    status: choices("status", InboxSql.statuses, "Only deliveries in this status; repeat it for several."),
    type: text(
      "type",
      "Only this event type (response.completed), or a family: batch or batch. (every batch.* type).",
      "type"
    ),
    since: text("since", `Received at or after: ${TIME_FORMS}.`, "when"),
    until: text("until", `Received before: ${TIME_FORMS}.`, "when"),
    limit: integer("limit", "Deliveries per page, 1 to 500. Default: 50."),
    after: text("after", "The next page: the cursor the previous page printed.", "cursor"),
    json: inboxJson
  },
  show: { id: webhookId, database: inboxDatabase, json: inboxJson },
  replay: {
    ids: Argument.String("webhook-id").pipe(
      Argument.withDescription("The webhook-id (msg_...) of each delivery to process again."),
      Argument.atLeast(1)
    ),
    database: inboxDatabase,
    json: inboxJson
  },
  recover: {
    since: requiredText("since", `Received at or after: ${TIME_FORMS}.`, "when"),
    until: text("until", `Received before: ${TIME_FORMS}. Default: now.`, "when"),
    status: orUndefined(
      choice(
        "status",
        ["failed", "dead"],
        "Only failed deliveries (waiting for a retry), or only dead ones. Default: both."
      )
    ),
    database: inboxDatabase,
    json: inboxJson
  },
  discard: { id: webhookId, database: inboxDatabase, json: inboxJson },
  stats: { database: inboxDatabase, json: inboxJson }
}

const apiJson = boolean("json", "Print OpenAI's JSON instead of a table, for scripts.")
const endpointId = arg("id", "The endpoint's ID, whe_...")
const EVENTS = "Event types, comma-separated (response.completed,batch.completed), or all: every type an endpoint " +
  "may subscribe to, as OpenAI's API lists them now (see openai-webhooks event-types)."

/** The flags and arguments of each `endpoints` command, by name. */
export const endpointsCommands = {
  list: {
    limit: integer("limit", "Show at most this many, newest first. Default: all of them."),
    json: apiJson
  },
  get: { id: endpointId, json: apiJson },
  create: {
    url: requiredText("url", "Where OpenAI delivers: https://..., at most 2048 characters.", "url"),
    name: requiredText("name", "The endpoint's name, 1 to 256 characters.", "name"),
    events: requiredText("events", EVENTS, "types"),
    json: apiJson
  },
  update: {
    id: endpointId,
    url: text("url", "A new https:// URL.", "url"),
    name: text("name", "A new name, 1 to 256 characters.", "name"),
    events: text("events", `The new set, which replaces the old one. ${EVENTS}`, "types"),
    json: apiJson
  },
  delete: { id: endpointId, json: apiJson },
  rotate: {
    id: endpointId,
    keepOld: boolean(
      "keep-old",
      "Keep the old secret active for 24 hours (each delivery then carries a signature for each), for a " +
        "rotation without downtime. Without it the old secret stops at once."
    ),
    json: apiJson
  },
  test: {
    id: endpointId,
    type: requiredText("type", "The event type of the test event.", "type"),
    json: apiJson
  }
}

/** `event-types`'s flags. */
export const eventTypes = {
  json: boolean("json", "Print OpenAI's JSON list instead of one type per line.")
}

/** The commands of each command that has some: what a hint names (`openai-webhooks inbox list`). */
export const subcommands: Readonly<Record<string, ReadonlyArray<string>>> = {
  inbox: Object.keys(inboxCommands),
  endpoints: Object.keys(endpointsCommands)
}

/** The program's commands, in the order of its help. */
export const commandNames: ReadonlyArray<string> = [
  "serve",
  "send",
  "verify",
  "secret",
  "events",
  "inbox",
  "endpoints",
  "event-types"
]

/** Each command's flags and arguments, by its path (`inbox list`): where `./mistakes.ts` looks for a near flag. */
export const configs: Readonly<Record<string, Command.Command.Config>> = {
  serve,
  send,
  verify,
  secret,
  events,
  "event-types": eventTypes,
  ...Object.fromEntries(Object.entries(inboxCommands).map(([name, config]) => [`inbox ${name}`, config])),
  ...Object.fromEntries(Object.entries(endpointsCommands).map(([name, config]) => [`endpoints ${name}`, config]))
}

const describe = (summary: string) => Command.withDescription(summary)

const inbox = Command.make("inbox").pipe(
  describe(
    "Read and operate the receiver's delivery log: list, show, replay, recover, discard, stats. The database: " +
      "--database, else DATABASE_URL, else the receiver's SQLite file. A running receiver's worker processes what " +
      "replay and recover queue."
  ),
  Command.withSubcommands([
    Command.make("list", inboxCommands.list, load(() => import("./inbox.js").then((m) => m.list))).pipe(
      describe("List deliveries, newest first. E.g. inbox list --status failed --since 1h; inbox list --type batch.")
    ),
    Command.make("show", inboxCommands.show, load(() => import("./inbox.js").then((m) => m.show))).pipe(
      describe("Show a delivery: its fields, its body and its attempts.")
    ),
    Command.make("replay", inboxCommands.replay, load(() => import("./inbox.js").then((m) => m.replay))).pipe(
      describe(
        "Process deliveries again, whatever their status (a done one too); exit 1 if one could not be. --json " +
          "prints { replayed: [id], failed: [{ webhookId, reason, message }] }."
      )
    ),
    Command.make("recover", inboxCommands.recover, load(() => import("./inbox.js").then((m) => m.recover))).pipe(
      describe(
        "Replay every delivery that failed or went dead in a window, e.g. inbox recover --since 2h. --json prints " +
          "{ recovered, since, until, status }."
      )
    ),
    Command.make("discard", inboxCommands.discard, load(() => import("./inbox.js").then((m) => m.discard))).pipe(
      describe("Remove a dead letter, with its attempts, for good. --json prints { discarded }.")
    ),
    Command.make("stats", inboxCommands.stats, load(() => import("./inbox.js").then((m) => m.stats))).pipe(
      describe("Count deliveries by status and by event type, and say how old the oldest waiting one is.")
    )
  ])
)

const endpoints = Command.make("endpoints").pipe(
  describe(
    "Manage the project's webhook endpoints through OpenAI's API. Needs OPENAI_API_KEY (from the environment " +
      "only); OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID are used when set."
  ),
  Command.withSubcommands([
    Command.make("list", endpointsCommands.list, load(() => import("./endpoints.js").then((m) => m.list))).pipe(
      describe("List the project's webhook endpoints, newest first.")
    ),
    Command.make("get", endpointsCommands.get, load(() => import("./endpoints.js").then((m) => m.get))).pipe(
      describe("Show one endpoint (its secret is not shown: OpenAI keeps only a hint).")
    ),
    Command.make("create", endpointsCommands.create, load(() => import("./endpoints.js").then((m) => m.create))).pipe(
      describe(
        "Create an endpoint and print its signing secret, once. E.g. endpoints create --url " +
          "https://example.com/webhooks/openai --name production --events response.completed,batch.completed"
      )
    ),
    Command.make("update", endpointsCommands.update, load(() => import("./endpoints.js").then((m) => m.update))).pipe(
      describe("Change an endpoint's URL, name or event types (--events replaces the whole set).")
    ),
    Command.make("delete", endpointsCommands.delete, load(() => import("./endpoints.js").then((m) => m.remove))).pipe(
      describe("Delete an endpoint, at once: OpenAI stops delivering to it.")
    ),
    Command.make("rotate", endpointsCommands.rotate, load(() => import("./endpoints.js").then((m) => m.rotate))).pipe(
      describe(
        "Give an endpoint a new signing secret and print it, once, with the steps to take. E.g. endpoints rotate " +
          "whe_... --keep-old"
      )
    ),
    Command.make("test", endpointsCommands.test, load(() => import("./endpoints.js").then((m) => m.test))).pipe(
      describe(
        "Ask OpenAI to send the endpoint a test event, and print how it answered (exit 1 if not a success). E.g. " +
          "endpoints test whe_... --type response.completed"
      )
    )
  ])
)

/** The program: every command. */
export const root = Command.make("openai-webhooks").pipe(
  describe("Receive, send and debug OpenAI webhooks, operate the inbox, and manage endpoints."),
  Command.withSubcommands([
    Command.make("serve", serve, load(() => import("./serve.js").then((m) => m.run))).pipe(
      describe(
        "Run the receiver, flags over its environment variables, until SIGINT or SIGTERM. E.g. serve --port 3001 " +
          "--mode queued"
      )
    ),
    Command.make("send", send, load(() => import("./send.js").then((m) => m.run))).pipe(
      describe(
        "Sign sample events as OpenAI would and POST them to a receiver. Each event is the type's sample from " +
          "openai-webhooks events <type>, with a fresh event id, signed with the secret. A 2xx answer exits 0, any " +
          "other 1. E.g. send response.completed; send --all; send batch.completed --count 100; send " +
          "response.failed --fail."
      )
    ),
    Command.make("verify", verify, load(() => import("./verify.js").then((m) => m.run))).pipe(
      describe(
        "Verify a captured delivery as the receiver would and, when it does not verify, say why. Same secret " +
          "parsing, tolerance and rules as the receiver. Exit 0 when verified, 1 when not."
      )
    ),
    Command.make("secret", secret, load(() => import("./secret.js").then((m) => m.run))).pipe(
      describe("Print a new random whsec_ secret (32 bytes) for local testing.")
    ),
    Command.make("events", events, load(() => import("./events.js").then((m) => m.run))).pipe(
      describe("List every event type this version knows, or show one type's sample event.")
    ),
    inbox,
    endpoints,
    Command.make("event-types", eventTypes, load(() => import("./event-types.js").then((m) => m.run))).pipe(
      describe(
        "List the event types an endpoint may subscribe to, as OpenAI's API lists them now (needs " +
          "OPENAI_API_KEY). What endpoints create --events all subscribes to; the types this version decodes: " +
          "openai-webhooks events."
      )
    )
  ])
)
