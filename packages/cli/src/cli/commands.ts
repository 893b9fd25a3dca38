/**
 * Every command of `openai-webhooks`, its flags and arguments with what `--help` says of them (see `./args.ts`). The
 * module that runs each is named in `../cli.ts`, loaded only when it runs. The README's command reference follows
 * this file.
 */
import { InboxSql, Signature } from "openai-webhooks-engine"
import * as Args from "./args.js"

/** The database URL's forms, as `DATABASE_URL` takes them (the receiver's `database.ts` reads them). */
const DATABASE_FORMS = "sqlite:<path>, memory or postgres://user:password@host:5432/database"

/** What `--since` and `--until` take (`./inbox/time.ts` reads them). */
export const TIME_FORMS = "a span back from now (30m, 1h, 2d, 1w) or an ISO date-time (2026-11-29T08:00:00Z)"

/** Where `send` posts by default: the receiver's default port and path on this machine. */
export const DEFAULT_URL = "http://127.0.0.1:8787/webhooks/openai"

const sendSecret = Args.text(
  "secret",
  "The signing secret, whsec_... (the receiver prints its development secret at start). Default: " +
    "OPENAI_WEBHOOK_SECRET, its first secret when it lists several.",
  "whsec_...",
  "whsec_..."
)

export const send = Args.command({
  name: "send",
  summary: "Sign sample events as OpenAI would and POST them to a receiver.",
  details: "Each event is the type's sample from `openai-webhooks events <type>`, with a fresh event id, signed " +
    "with the secret. A 2xx answer exits 0, any other 1.",
  args: {
    type: Args.optionalArg("event-type", "The event type to send, e.g. response.completed (list: openai-webhooks events).")
  },
  flags: {
    all: Args.boolean("all", "Send one event of every known type, instead of <event-type>."),
    url: Args.withDefault(
      Args.text("url", "The receiver's URL, http:// or https://.", "url", "http://127.0.0.1:8787/webhooks/openai"),
      DEFAULT_URL
    ),
    secret: sendSecret,
    data: Args.text(
      "data",
      "JSON merged over the sample's data (wire field names, objects merged key by key), e.g. '{\"id\":\"resp_1\"}'; " +
        "the whole data of a type this version does not know. See the fields: openai-webhooks events <event-type>.",
      "json",
      "'{\"id\":\"resp_123\"}'"
    ),
    fail: Args.boolean(
      "fail",
      "Make the delivery fail on purpose: its webhook-id starts with fail_, which the receiver's example handler " +
        "fails on (500, then retries, then dead), to try inbox recover and discard."
    ),
    id: Args.text("id", "The webhook-id, 1 to 256 printable characters. Default: a random msg_... per delivery.", "id", "msg_1"),
    timestamp: Args.integer(
      "timestamp",
      "The webhook-timestamp, in Unix seconds (to test the receiver's tolerance). Default: now.",
      "seconds"
    ),
    count: Args.withDefault(Args.integer("count", "How many deliveries of each type to send (a summary follows)."), 1)
  },
  examples: [
    "send response.completed",
    "send --all",
    "send batch.completed --count 100",
    "send response.completed --data '{\"id\":\"resp_123\"}'",
    "send response.failed --fail",
    "send realtime.call.incoming --url https://example.com/webhooks/openai --secret whsec_..."
  ]
})

export const verify = Args.command({
  name: "verify",
  summary: "Verify a captured delivery as the receiver would and, when it does not verify, say why.",
  details: "Same secret parsing, tolerance and rules as the receiver. Exit 0 when verified, 1 when not.",
  flags: {
    body: Args.required(Args.text("body", "A file holding the raw request body, byte for byte as received.", "file", "body.json")),
    headers: Args.required(Args.text(
      "headers",
      "A file holding the request headers: Name: value lines as in a request log, curl -H 'Name: value' lines, " +
        "or a JSON object (as a browser's developer tools copy them).",
      "file",
      "headers.txt"
    )),
    secret: Args.text(
      "secret",
      "The signing secret, whsec_... Default: OPENAI_WEBHOOK_SECRET, read as the receiver reads it (one or several).",
      "whsec_...",
      "whsec_..."
    ),
    tolerance: Args.withDefault(
      Args.integer("tolerance", "How old or how far in the future a timestamp may be, in seconds.", "seconds"),
      Signature.defaultToleranceSeconds
    )
  },
  examples: ["verify --body body.json --headers headers.txt --secret whsec_..."]
})

export const secret = Args.command({
  name: "secret",
  summary: "Print a new random whsec_ secret (32 bytes) for local testing.",
  flags: {}
})

export const events = Args.command({
  name: "events",
  summary: "List every event type this version knows, or show one type's sample event.",
  args: {
    type: Args.optionalArg("event-type", "Show this type's description and its sample event, the fields send --data merges over.")
  },
  flags: {},
  examples: ["events", "events response.completed"]
})

export const serve = Args.command({
  name: "serve",
  summary: "Run the receiver, flags over its environment variables, until SIGINT or SIGTERM.",
  flags: {
    // Text, each checked by the receiver's own rule for the variable it stands for (../receiver/config.ts).
    host: Args.text(
      "host",
      "The address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface). Default: HOST, else " +
        "0.0.0.0 with a webhook secret and 127.0.0.1 without (development).",
      "address"
    ),
    port: Args.text("port", "The port to listen on, 1 to 65535. Default: PORT, else 8787.", "port"),
    path: Args.text(
      "path",
      "The path deliveries are posted to. Default: WEBHOOK_PATH, else /webhooks/openai.",
      "path"
    ),
    mode: Args.text(
      "mode",
      "inline: run the handler before answering; queued: answer once stored, workers run it. Default: " +
        "WEBHOOK_MODE, else inline.",
      "inline|queued"
    ),
    database: Args.text(
      "database",
      `The inbox's store: ${DATABASE_FORMS}. Default: DATABASE_URL (or the file DATABASE_URL_FILE names), else ` +
        "the SQLite file .data/openai-webhooks.sqlite.",
      "url"
    ),
    inspectOnly: Args.boolean(
      "inspect-only",
      "Serve only the inspector, on an inbox another application writes: no handler, no workers, no webhook path. " +
        "Default: WEBHOOK_INSPECT_ONLY."
    ),
    takeOver: Args.boolean(
      "take-over",
      "Run the example handler and workers on an inbox that holds deliveries this receiver did not record as its " +
        "own (its own, made before 0.4.0). Default: WEBHOOK_TAKE_OVER."
    )
  },
  examples: ["serve", "serve --port 3001 --mode queued", "serve --database postgres://user:password@localhost/app"]
})

const inboxDatabase = Args.text(
  "database",
  `The receiver's database: ${DATABASE_FORMS}. Default: DATABASE_URL, else the SQLite file ` +
    ".data/openai-webhooks.sqlite (as the receiver, run in this folder, keeps it).",
  "url",
  "sqlite:.data/openai-webhooks.sqlite"
)
const inboxJson = Args.boolean("json", "Print one JSON document instead of a table, for scripts.")
const webhookId = Args.arg("webhook-id", "The delivery's webhook-id (msg_...).")

/** The `inbox` commands, by name. */
export const inboxCommands = {
  list: Args.command({
    name: "list",
    summary: "List deliveries, newest first.",
    flags: {
      database: inboxDatabase,
      status: Args.repeated(Args.choice(
        "status",
        InboxSql.statuses,
        "Only deliveries in this status."
      )),
      type: Args.text(
        "type",
        "Only this event type (response.completed), or a family: batch or batch. (every batch.* type).",
        "type",
        "response.completed"
      ),
      since: Args.text("since", `Received at or after: ${TIME_FORMS}.`, "when", "1h"),
      until: Args.text("until", `Received before: ${TIME_FORMS}.`, "when", "10m"),
      limit: Args.integer("limit", "Deliveries per page, 1 to 500. Default: 50."),
      after: Args.text("after", "The next page: the cursor the previous page printed.", "cursor"),
      json: inboxJson
    },
    examples: ["inbox list --status failed --since 1h", "inbox list --type batch --json"]
  }),
  show: Args.command({
    name: "show",
    summary: "Show a delivery: its fields, its body and its attempts.",
    args: { id: webhookId },
    flags: { database: inboxDatabase, json: inboxJson },
    examples: ["inbox show msg_..."]
  }),
  replay: Args.command({
    name: "replay",
    summary: "Process deliveries again, whatever their status (a done one too); exit 1 if one could not be.",
    details: "--json prints { replayed: [id], failed: [{ webhookId, reason, message }] }.",
    args: { ids: Args.variadic("webhook-id", "The webhook-id (msg_...) of each delivery to process again.") },
    flags: { database: inboxDatabase, json: inboxJson },
    examples: ["inbox replay msg_1 msg_2"]
  }),
  recover: Args.command({
    name: "recover",
    summary: "Replay every delivery that failed or went dead in a window.",
    details: "--json prints { recovered, since, until, status }.",
    flags: {
      since: Args.required(Args.text("since", `Received at or after: ${TIME_FORMS}.`, "when", "2h")),
      until: Args.text("until", `Received before: ${TIME_FORMS}. Default: now.`, "when", "10m"),
      status: Args.choice(
        "status",
        ["failed", "dead"],
        "Only failed deliveries (waiting for a retry), or only dead ones. Default: both."
      ),
      database: inboxDatabase,
      json: inboxJson
    },
    examples: ["inbox recover --since 2h", "inbox recover --since 2026-01-05 --status dead"]
  }),
  discard: Args.command({
    name: "discard",
    summary: "Remove a dead letter, with its attempts, for good.",
    details: "--json prints { discarded }.",
    args: { id: webhookId },
    flags: { database: inboxDatabase, json: inboxJson },
    examples: ["inbox discard msg_..."]
  }),
  stats: Args.command({
    name: "stats",
    summary: "Count deliveries by status and by event type, and say how old the oldest waiting one is.",
    flags: { database: inboxDatabase, json: inboxJson }
  })
}

export const inbox = Args.group({
  name: "inbox",
  summary: "Read and operate the receiver's delivery log: list, show, replay, recover, discard, stats.",
  details: "The database: --database, else DATABASE_URL, else the receiver's SQLite file. A running receiver's " +
    "worker processes what replay and recover queue.",
  commands: Object.values(inboxCommands)
})

const apiJson = Args.boolean("json", "Print OpenAI's JSON instead of a table, for scripts.")
const endpointId = Args.arg("id", "The endpoint's ID, whe_...")
const EVENTS = "Event types, comma-separated (response.completed,batch.completed), or all: every type an endpoint " +
  "may subscribe to, as OpenAI's API lists them now (see openai-webhooks event-types)."

/** The `endpoints` commands, by name. */
export const endpointsCommands = {
  list: Args.command({
    name: "list",
    summary: "List the project's webhook endpoints, newest first.",
    flags: {
      limit: Args.integer("limit", "Show at most this many, newest first. Default: all of them."),
      json: apiJson
    }
  }),
  get: Args.command({
    name: "get",
    summary: "Show one endpoint (its secret is not shown: OpenAI keeps only a hint).",
    args: { id: endpointId },
    flags: { json: apiJson }
  }),
  create: Args.command({
    name: "create",
    summary: "Create an endpoint and print its signing secret, once.",
    flags: {
      url: Args.required(
        Args.text("url", "Where OpenAI delivers: https://..., at most 2048 characters.", "url", "https://example.com/webhooks/openai")
      ),
      name: Args.required(Args.text("name", "The endpoint's name, 1 to 256 characters.", "name", "production")),
      events: Args.required(Args.text("events", EVENTS, "types", "response.completed,batch.completed")),
      json: apiJson
    },
    examples: [
      "endpoints create --url https://example.com/webhooks/openai --name production --events response.completed,batch.completed"
    ]
  }),
  update: Args.command({
    name: "update",
    summary: "Change an endpoint's URL, name or event types (--events replaces the whole set).",
    args: { id: endpointId },
    flags: {
      url: Args.text("url", "A new https:// URL.", "url", "https://example.com/webhooks/openai"),
      name: Args.text("name", "A new name, 1 to 256 characters.", "name", "production"),
      events: Args.text("events", `The new set, which replaces the old one. ${EVENTS}`, "types", "response.completed"),
      json: apiJson
    }
  }),
  delete: Args.command({
    name: "delete",
    summary: "Delete an endpoint, at once: OpenAI stops delivering to it.",
    args: { id: endpointId },
    flags: { json: apiJson }
  }),
  rotate: Args.command({
    name: "rotate",
    summary: "Give an endpoint a new signing secret and print it, once, with the steps to take.",
    args: { id: endpointId },
    flags: {
      keepOld: Args.boolean(
        "keep-old",
        "Keep the old secret active for 24 hours (each delivery then carries a signature for each), for a " +
          "rotation without downtime. Without it the old secret stops at once."
      ),
      json: apiJson
    },
    examples: ["endpoints rotate whe_... --keep-old"]
  }),
  test: Args.command({
    name: "test",
    summary: "Ask OpenAI to send the endpoint a test event, and print how it answered (exit 1 if not a success).",
    args: { id: endpointId },
    flags: {
      type: Args.required(Args.text("type", "The event type of the test event.", "type", "response.completed")),
      json: apiJson
    },
    examples: ["endpoints test whe_... --type response.completed"]
  })
}

export const endpoints = Args.group({
  name: "endpoints",
  summary: "Manage the project's webhook endpoints through OpenAI's API.",
  details: "Needs OPENAI_API_KEY (from the environment only); OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID " +
    "are used when set.",
  commands: Object.values(endpointsCommands)
})

export const eventTypes = Args.command({
  name: "event-types",
  summary: "List the event types an endpoint may subscribe to, as OpenAI's API lists them now (needs OPENAI_API_KEY).",
  details: "What endpoints create --events all subscribes to. The types this version decodes: openai-webhooks events.",
  flags: { json: Args.boolean("json", "Print OpenAI's JSON list instead of one type per line.") }
})

/** The program: every command. */
export const root = Args.group({
  name: "openai-webhooks",
  summary: "Receive, send and debug OpenAI webhooks, operate the inbox, and manage endpoints.",
  commands: [serve, send, verify, secret, events, inbox, endpoints, eventTypes]
})
