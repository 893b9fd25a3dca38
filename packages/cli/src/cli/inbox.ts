/**
 * `openai-webhooks inbox`: the receiver's delivery log from a terminal. `list` and `show` what arrived and what
 * became of it, `replay` a delivery, `recover` every one that failed since an outage, `discard` a dead letter,
 * `stats`. The database is the receiver's (`--database` or `DATABASE_URL`, read as `npm start` reads it); a
 * running receiver's worker processes what `replay` and `recover` queue. Tables for people, `--json` for scripts.
 */
import { Args, Command, Options } from "@effect/cli"
import type { SqlError } from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { InboxSql } from "openai-webhooks-engine"
import { WebhookInbox } from "effect-openai-webhooks"
import { explain } from "../main.js"
import { CheckFailed } from "./errors.js"
import * as connect from "./inbox/connect.js"
import * as render from "./inbox/render.js"
import * as time from "./inbox/time.js"

/** Prints `text`, which ends with its own line break. */
const print = (text: string) => Console.log(text.replace(/\n$/, ""))

const json = Options.boolean("json").pipe(Options.withDescription("Print one JSON document, for scripts."))

const id = Args.text({ name: "webhook-id" }).pipe(Args.withDescription("The delivery's webhook-id (msg_...)."))

const timeOption = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(`${description}: ${time.FORMS}.`))

/** The instant a `--since` or `--until` flag names. */
const instant = (flag: string, text: string, now: number) =>
  Either.match(time.parse(flag, text, now), { onLeft: Effect.fail, onRight: Effect.succeed })

/** The instant an optional `--since` or `--until` flag names, when given. */
const instantOption = (flag: string, input: Option.Option<string>, now: number) =>
  Option.match(input, { onNone: () => Effect.succeed(undefined), onSome: (text) => instant(flag, text, now) })

/**
 * Runs `operation` on the inbox of the database `source` names, its failures as a person reads them (`id`: the
 * delivery it is about). The flags are checked before, so that a mistake in them is said even when the database
 * cannot be reached.
 */
const onInbox = <A>(
  source: Option.Option<connect.Source>,
  operation: Effect.Effect<A, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox>,
  id?: string
) =>
  Either.match(connect.database(source), {
    onLeft: Effect.fail,
    onRight: (database) =>
      Effect.provide(Effect.mapError(operation, (error) => connect.explain(error, id)), connect.layer(database))
  })

const list = Command.make(
  "list",
  {
    database: connect.option,
    status: Options.choice("status", InboxSql.statuses).pipe(
      Options.repeated,
      Options.withDescription(`Only these statuses (repeat it for several): ${InboxSql.statuses.join(", ")}.`)
    ),
    type: Options.text("type").pipe(
      Options.withDescription("Only this event type (response.completed), or a family ending in a dot (batch.)."),
      Options.optional
    ),
    since: timeOption("since", "Received at or after").pipe(Options.optional),
    until: timeOption("until", "Received before").pipe(Options.optional),
    limit: Options.integer("limit").pipe(
      Options.withDescription("Deliveries per page: 1 to 500. Default: 50."),
      Options.optional
    ),
    after: Options.text("after").pipe(
      Options.withDescription("The next page: the cursor the previous page printed."),
      Options.optional
    ),
    json
  },
  (flags) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const since = yield* instantOption("--since", flags.since, now)
      const until = yield* instantOption("--until", flags.until, now)
      const query = {
        status: flags.status.length === 0 ? undefined : flags.status,
        eventType: Option.getOrUndefined(flags.type),
        since,
        until,
        limit: Option.getOrUndefined(flags.limit),
        after: Option.getOrUndefined(flags.after)
      }
      const page = yield* onInbox(flags.database, WebhookInbox.list(query))
      yield* print(flags.json ? render.json(render.listJson(page)) : render.listTable(page))
    })
).pipe(Command.withDescription("List deliveries, newest first. Example: inbox list --status failed --since 1h"))

const show = Command.make("show", { database: connect.option, id, json }, (flags) =>
  Effect.gen(function*() {
    const found = yield* onInbox(flags.database, WebhookInbox.get(flags.id), flags.id)
    if (Option.isNone(found)) return yield* Effect.fail(connect.notFound(flags.id))
    const now = yield* Clock.currentTimeMillis
    yield* print(flags.json ? render.json(render.detailJson(found.value)) : render.detail(found.value, now))
  })).pipe(
    Command.withDescription("Show a delivery: its fields, its body and its attempts. Example: inbox show msg_...")
  )

/** What `replay` and `recover` queue is processed by the receiver, not by the command. */
const worker = (count: number) =>
  `a running receiver's worker processes ${count === 1 ? "it" : "them"} within seconds ` +
  "(npm start or openai-webhooks serve, in either mode)"

const replay = Command.make(
  "replay",
  {
    database: connect.option,
    json,
    ids: Args.text({ name: "webhook-id" }).pipe(
      Args.withDescription("The webhook-id (msg_...) of each delivery to process again."),
      Args.atLeast(1)
    )
  },
  (flags) =>
    Effect.gen(function*() {
      // Each id on its own: one that cannot be replayed is said, and the others are replayed all the same.
      const replayed: Array<string> = []
      const failed: Array<{ readonly webhookId: string; readonly reason: string; readonly message: string }> = []
      yield* onInbox(
        flags.database,
        Effect.forEach(flags.ids, (webhookId) =>
          Effect.matchEffect(WebhookInbox.replay(webhookId), {
            onSuccess: () => {
              replayed.push(webhookId)
              return flags.json ? Effect.void : Console.log(`${render.printable(webhookId)}: queued for replay`)
            },
            onFailure: (error) => {
              const said = connect.explain(error, webhookId)
              failed.push({
                webhookId,
                reason: error._tag === "SqlError" ? "SqlError" : error.reason,
                message: said.message
              })
              return flags.json ? Effect.void : Console.error(explain(said).trimEnd())
            }
          }), { discard: true })
      )
      if (flags.json) yield* print(render.json({ replayed, failed }))
      else if (replayed.length > 0) yield* Console.log(worker(replayed.length))
      if (failed.length > 0) {
        return yield* Effect.fail(new CheckFailed({ message: `${failed.length} of ${flags.ids.length} not replayed` }))
      }
    })
).pipe(
  Command.withDescription(
    "Process deliveries again, whatever their status (a done one too). Example: inbox replay msg_1 msg_2. " +
      "--json: { replayed: [id], failed: [{ webhookId, reason, message }] }, exit 1 if any failed."
  )
)

const recover = Command.make(
  "recover",
  {
    database: connect.option,
    json,
    since: timeOption("since", "Received at or after"),
    until: timeOption("until", "Received before. Default: now").pipe(Options.optional),
    status: Options.choice("status", ["failed", "dead"] as const).pipe(
      Options.withDescription("Only failed deliveries (waiting for a retry), or only dead ones. Default: both."),
      Options.optional
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const since = yield* instant("--since", flags.since, now)
      const until = yield* instantOption("--until", flags.until, now)
      const status = Option.getOrUndefined(flags.status)
      const count = yield* onInbox(flags.database, WebhookInbox.recover({ since, until, status }))
      if (flags.json) {
        return yield* print(render.json({
          recovered: count,
          since: since.toISOString(),
          until: until === undefined ? null : until.toISOString(),
          status: status === undefined ? ["failed", "dead"] : [status]
        }))
      }
      const which = status ?? "failed or dead"
      const window = `received since ${render.iso(since)}${until === undefined ? "" : ` until ${render.iso(until)}`}`
      yield* Console.log(`queued ${count} ${which} ${count === 1 ? "delivery" : "deliveries"} for replay (${window})`)
      if (count > 0) yield* Console.log(worker(count))
    })
).pipe(
  Command.withDescription(
    "Replay every delivery that failed or went dead in a window. Example: inbox recover --since 2h. " +
      "--json: { recovered, since, until, status }."
  )
)

const discard = Command.make("discard", { database: connect.option, id, json }, (flags) =>
  Effect.gen(function*() {
    yield* onInbox(flags.database, WebhookInbox.discard(flags.id), flags.id)
    yield* flags.json
      ? print(render.json({ discarded: flags.id }))
      : Console.log(`${render.printable(flags.id)}: discarded`)
  })).pipe(
    Command.withDescription(
      "Remove a dead letter, with its attempts. Example: inbox discard msg_... --json: { discarded }."
    )
  )

const stats = Command.make("stats", { database: connect.option, json }, (flags) =>
  Effect.gen(function*() {
    const counts = yield* onInbox(flags.database, WebhookInbox.stats)
    yield* print(flags.json ? render.json(render.statsJson(counts, InboxSql.statuses)) : render.statsTable(counts, InboxSql.statuses))
  })).pipe(
    Command.withDescription("Count deliveries by status and by event type, and say how old the oldest waiting is.")
  )

export const command = Command.make("inbox").pipe(
  Command.withDescription(
    "The receiver's delivery log: list, show, replay, recover, discard, stats. The database: --database, else " +
      "DATABASE_URL, else the receiver's SQLite file."
  ),
  Command.withSubcommands([list, show, replay, recover, discard, stats])
)
