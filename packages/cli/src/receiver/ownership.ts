/**
 * Whose inbox this is. The receiver runs an example handler: pointed at an application's database (to look at its
 * deliveries in the inspector, say), its workers would take that application's pending, replayed and recovered
 * deliveries and mark them done with the example handler, which does nothing with them. So the receiver records
 * in the inbox that it owns it (one row in a table of its own, `openai_webhook_inbox_owner`), and refuses to run
 * its handler and its workers on an inbox that holds deliveries and no such row: one that another application
 * writes. Told so, it either serves only the inspector (`--inspect-only`, `WEBHOOK_INSPECT_ONLY=true`: no
 * workers, no handler, the webhook path not served) or takes the inbox over (`--take-over`,
 * `WEBHOOK_TAKE_OVER=true`: records itself as its owner, for an inbox of its own made before 0.4.0).
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import { InboxSql } from "openai-webhooks-engine"
import { DatabaseUnavailable, InvalidConfig } from "./errors.js"

/** The table of the owner row. Not the inbox's own: an inbox that the library made never has it. */
export const TABLE = "openai_webhook_inbox_owner"

/** What the owner row says. */
export const OWNER = "openai-webhooks serve"

/** How the receiver uses an inbox it is started on. */
export interface Use {
  /** `WEBHOOK_INSPECT_ONLY`: the inspector only; no handler, no workers, no webhook path. */
  readonly inspectOnly: boolean
  /** `WEBHOOK_TAKE_OVER`: run the handler and the workers on it even though another application wrote it. */
  readonly takeOver: boolean
}

const flag = (name: string): Effect.Effect<boolean, InvalidConfig> =>
  Effect.flatMap(
    Effect.orElseSucceed(Config.option(Config.String(name)), () => Option.none<string>()),
    (value) => {
      const given = Option.getOrElse(value, () => "").trim().toLowerCase()
      if (given === "" || given === "false" || given === "0") return Effect.succeed(false)
      if (given === "true" || given === "1") return Effect.succeed(true)
      return Effect.fail(
        new InvalidConfig({
          message: `${name} is true or false, not ${JSON.stringify(Option.getOrElse(value, () => ""))}`,
          hint: `set ${name}=true, or leave it unset`
        })
      )
    }
  )

/** `WEBHOOK_INSPECT_ONLY` and `WEBHOOK_TAKE_OVER` (the `serve` flags `--inspect-only` and `--take-over` set them). */
export const use: Effect.Effect<Use, InvalidConfig> = Effect.gen(function*() {
  const inspectOnly = yield* flag("WEBHOOK_INSPECT_ONLY")
  const takeOver = yield* flag("WEBHOOK_TAKE_OVER")
  if (inspectOnly && takeOver) {
    return yield* Effect.fail(
      new InvalidConfig({
        message: "--inspect-only and --take-over (WEBHOOK_INSPECT_ONLY, WEBHOOK_TAKE_OVER) exclude each other",
        hint: "pass --inspect-only to look at another application's inbox, or --take-over to make it this receiver's"
      })
    )
  }
  return { inspectOnly, takeOver }
})

/**
 * Checks, and records, that this receiver may run its handler and workers on the inbox of `sql`: its own (the owner
 * row), a new one (no delivery, or no table yet: claimed now), or one it is told to take over. Run before the inbox
 * is made, so that a refused inbox is neither migrated nor purged by this receiver.
 * Fails with `InvalidConfig` (exit 2) on an inbox that another application writes; with the inspector only,
 * records and refuses nothing.
 */
export const claim = (
  given: Use,
  database: string
): Effect.Effect<void, InvalidConfig | DatabaseUnavailable, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    if (given.inspectOnly) return
    const sql = yield* SqlClient.SqlClient
    const check = Effect.gen(function*() {
      yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${TABLE} (owner TEXT PRIMARY KEY, claimed_at BIGINT NOT NULL)`)
      const owners = yield* sql.unsafe<{ owner: string }>(`SELECT owner FROM ${TABLE}`)
      if (owners.some((row) => row.owner === OWNER)) return true
      // No table yet: a new inbox, which the inbox makes next.
      const held = yield* Effect.orElseSucceed(
        sql.unsafe(`SELECT 1 AS one FROM ${InboxSql.tables.deliveries} LIMIT 1`),
        () => []
      )
      if (held.length > 0 && !given.takeOver) return false
      yield* sql`INSERT INTO ${sql(TABLE)} (owner, claimed_at) VALUES (${OWNER}, ${Date.now()}) ON CONFLICT DO NOTHING`
      return true
    }).pipe(
      Effect.mapError((error) =>
        new DatabaseUnavailable({
          message: `cannot record the receiver as the owner of the inbox in ${database}: ${error.message}`,
          hint: "the database user needs the right to create a table (the receiver makes its own on start)"
        })
      )
    )
    if (yield* check) return
    return yield* Effect.fail(
      new InvalidConfig({
        message: `the inbox in ${database} holds deliveries that another application wrote: this receiver's ` +
          "example handler and workers would mark that application's deliveries done",
        hint: "serve --inspect-only to look at it in the inspector (no handler, no workers), or serve --take-over " +
          "if this inbox is this receiver's own (made before 0.4.0)"
      })
    )
  })
