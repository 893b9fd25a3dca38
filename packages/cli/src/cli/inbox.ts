/**
 * `openai-webhooks inbox`: the receiver's delivery log from a terminal. `list` and `show` what arrived and what
 * became of it, `replay` a delivery, `recover` every one that failed since an outage, `discard` a dead letter,
 * `stats`. The database is the receiver's (`--database` or `DATABASE_URL`, read as `npm start` reads it); a
 * running receiver's worker processes what `replay` and `recover` queue. Tables for people, `--json` for scripts.
 */
import type { SqlError } from "effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Option from "effect/Option"
import { InboxSql } from "openai-webhooks-engine"
import { WebhookInbox } from "effect4-openai-webhooks"
import { explain } from "../main.js"
import type { Input, inboxCommands } from "./commands.js"
import { CheckFailed } from "./errors.js"
import * as connect from "./inbox/connect.js"
import * as render from "./inbox/render.js"
import * as time from "./inbox/time.js"

/** The flags and arguments of `inbox <name>`. */
type FlagsOf<K extends keyof typeof inboxCommands> = Input<(typeof inboxCommands)[K]>

/** Prints `text`, which ends with its own line break. */
const print = (text: string) => Console.log(text.replace(/\n$/, ""))

/** The instant a `--since` or `--until` flag names. */
const instant = (flag: string, text: string, now: number) =>
  Result.match(time.parse(flag, text, now), { onFailure: Effect.fail, onSuccess: Effect.succeed })

/** The instant an optional `--since` or `--until` flag names, when given. */
const instantOption = (flag: string, input: string | undefined, now: number) =>
  input === undefined ? Effect.succeed(undefined) : instant(flag, input, now)

/**
 * Runs `operation` on the inbox of the database `--database` (`flag`) or `DATABASE_URL` names, its failures as a
 * person reads them (`id`: the delivery it is about). The flags are checked before, so that a mistake in them is
 * said even when the database cannot be reached.
 */
const onInbox = <A>(
  flag: string | undefined,
  operation: Effect.Effect<A, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox>,
  id?: string
) =>
  Effect.flatMap(connect.source(flag), (source) =>
    Result.match(connect.database(source), {
      onFailure: Effect.fail,
      onSuccess: (database) =>
        Effect.provide(Effect.mapError(operation, (error) => connect.explain(error, id)), connect.layer(database))
    }))

export const list = (flags: FlagsOf<"list">) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const since = yield* instantOption("--since", flags.since, now)
      const until = yield* instantOption("--until", flags.until, now)
      const query = {
        status: flags.status.length === 0 ? undefined : flags.status,
        eventType: flags.type,
        since,
        until,
        limit: flags.limit,
        after: flags.after
      }
      const page = yield* onInbox(flags.database, WebhookInbox.list(query))
      yield* print(flags.json ? render.json(render.listJson(page)) : render.listTable(page))
    })

export const show = (flags: FlagsOf<"show">) =>
  Effect.gen(function*() {
    const found = yield* onInbox(flags.database, WebhookInbox.get(flags.id), flags.id)
    if (Option.isNone(found)) return yield* Effect.fail(connect.notFound(flags.id))
    const now = yield* Clock.currentTimeMillis
    yield* print(flags.json ? render.json(render.detailJson(found.value)) : render.detail(found.value, now))
  })

/** What `replay` and `recover` queue is processed by the receiver, not by the command. */
const worker = (count: number) =>
  `a running receiver's worker processes ${count === 1 ? "it" : "them"} within seconds ` +
  "(npx openai-webhooks serve, in either mode)"

export const replay = (flags: FlagsOf<"replay">) =>
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

export const recover = (flags: FlagsOf<"recover">) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const since = yield* instant("--since", flags.since, now)
      const until = yield* instantOption("--until", flags.until, now)
      const status = flags.status
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

export const discard = (flags: FlagsOf<"discard">) =>
  Effect.gen(function*() {
    yield* onInbox(flags.database, WebhookInbox.discard(flags.id), flags.id)
    yield* flags.json
      ? print(render.json({ discarded: flags.id }))
      : Console.log(`${render.printable(flags.id)}: discarded`)
  })

export const stats = (flags: FlagsOf<"stats">) =>
  Effect.gen(function*() {
    const counts = yield* onInbox(flags.database, WebhookInbox.stats)
    yield* print(
      flags.json
        ? render.json(render.statsJson(counts, InboxSql.statuses))
        : render.statsTable(counts, InboxSql.statuses)
    )
  })
