/**
 * How the `inbox` commands reach the receiver's inbox: the database from `--database` or `DATABASE_URL`, read
 * and opened exactly as the receiver reads and opens it (`../../receiver/database.ts`), and the store's
 * failures as the CLI's errors (`../errors.ts`).
 */
import { existsSync } from "node:fs"
import type { SqlError } from "effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Config from "effect/Config"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import { WebhookInbox } from "effect4-openai-webhooks"
import * as Database from "../../receiver/database.js"
import * as Env from "../../receiver/env.js"
import { describe } from "../../receiver/errors.js"
import { problemOf } from "../config-error.js"
import { fromReceiver, Refused, Unreachable, UsageError } from "../errors.js"

/** Where the database's URL came from: the flag, the variable, or neither (the receiver's default file). */
export interface Source {
  readonly from: "--database" | "DATABASE_URL"
  readonly url: string
}

/**
 * `--database` (given as `flag`), else `DATABASE_URL` read as the receiver reads it, else none (the receiver's
 * default SQLite file).
 */
export const source = (flag: string | undefined): Effect.Effect<Option.Option<Source>, UsageError> =>
  flag !== undefined
    ? Effect.succeed(Option.some({ from: "--database", url: flag }))
    : Effect.map(
      // The variable (or its _FILE form) as the receiver reads it; unset is none (the receiver's own setting,
      // `variables.databaseUrl`, refuses unset on Effect 4, where Config.option no longer turns that into none).
      Env.secret("DATABASE_URL"),
      Option.map((found): Source => ({ from: "DATABASE_URL", url: Redacted.value(found.value) }))
    ).pipe(
      Effect.mapError((error) =>
        new UsageError({ message: `DATABASE_URL: ${said(error)}`, hint: `DATABASE_URL is ${Database.FORMS}` })
      )
    )

/** A refusal of the variable, in the words the command said it on Effect 3: `(Invalid data at NAME: "why")`. */
const said = (error: Config.ConfigError): string => {
  const problem = problemOf(error)
  return problem === undefined ? error.message : `(Invalid data at ${problem.name}: ${JSON.stringify(problem.message)})`
}

/** The database `source` names, or a {@link UsageError} naming the flag or variable it came from. */
export const database = (source: Option.Option<Source>): Result.Result<Database.Database, UsageError> =>
  Option.match(source, {
    onNone: () => Result.succeed(Database.DEFAULT),
    onSome: ({ from, url }) =>
      Result.mapError(Database.parse(url), (problem) =>
        new UsageError({
          message: `${from}: ${problem}`,
          hint: `${from === "--database" ? "--database (default: DATABASE_URL)" : "DATABASE_URL"} is ${Database.FORMS}`
        }))
  })

/**
 * Retention long enough that a command never purges: the receiver purges on its own schedule, and the
 * retentions its owner chose (a library user may keep deliveries longer than the defaults) are not known here.
 */
const NEVER_PURGE = "36500 days"

/**
 * The inbox on `database`. A SQLite file that does not exist is an {@link Unreachable}, not a new empty inbox:
 * run from another folder, the default path names no receiver's file. The store migrates the tables when it
 * opens them, as the receiver does (idempotent), and the logs of its fibers go to stderr, warnings only, so
 * that stdout holds only what the command prints.
 */
export const layer = (
  database: Database.Database
): Layer.Layer<WebhookInbox.WebhookInbox, UsageError | Unreachable> => {
  const { description } = database
  if (database._tag === "Sqlite" && database.filename !== ":memory:" && !existsSync(database.filename)) {
    return Layer.effect(
      WebhookInbox.WebhookInbox,
      Effect.fail(
        new Unreachable({
          message: `there is no inbox at ${description}`,
          hint: "run this in the folder the receiver (npx openai-webhooks serve) runs in, or pass --database (or set " +
            "DATABASE_URL) as the receiver's"
        })
      )
    )
  }
  const store = WebhookInbox.layerSql({ retention: NEVER_PURGE, deadRetention: NEVER_PURGE }).pipe(
    Layer.provide(mapLayerError(Database.layer(database), fromReceiver))
  )
  return mapLayerError(store, (error) =>
    error instanceof UsageError || error instanceof Unreachable ? error : new Unreachable({
      message: `cannot open the inbox in ${description}: ${describe(error)}`,
      hint: "the database user needs the right to create tables (the inbox brings its own up to date)"
    })).pipe(
      Layer.provide(Layer.merge(
        Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]),
        Layer.succeed(References.MinimumLogLevel)("Warn")
      ))
    )
}

/** `layer`, its failure to build mapped by `f` (Effect 4's Layer has no `mapError`). */
const mapLayerError = <A, E, R, E2>(layer: Layer.Layer<A, E, R>, f: (error: E) => E2): Layer.Layer<A, E2, R> =>
  Layer.effectContext(Effect.mapError(Layer.build(layer), f))

/** No delivery has the webhook-id `id`. */
export const notFound = (id: string): Refused =>
  new Refused({
    message: `no delivery has the webhook-id ${JSON.stringify(id)}`,
    hint: "openai-webhooks inbox list shows the ids (msg_...) this database holds; is it the receiver's?"
  })

/** What a person sees of a failed store operation on `id` (when the operation has one). */
export const explain = (error: SqlError | WebhookInbox.InboxError, id?: string): Refused | Unreachable | UsageError => {
  if (error._tag === "SqlError") {
    return new Unreachable({
      message: `the database failed: ${describe(error)}`,
      hint: "is it running and reachable? check --database (or DATABASE_URL)"
    })
  }
  const named = id ?? error.webhookId ?? "this delivery"
  switch (error.reason) {
    case "NotFound":
      return notFound(named)
    case "NotDead":
      return new Refused({
        message: error.message,
        hint: `discard removes dead letters only; replay ${named} instead, or leave it to the retention`
      })
    case "InProgress":
      return new Refused({
        message: error.message,
        hint: `a handler runs it now: wait for it to end (openai-webhooks inbox show ${named}), then replay it`
      })
    case "NoBody":
      return new Refused({
        message: error.message,
        hint: "it was stored before the inbox kept bodies, so it cannot be replayed; OpenAI's retries send it again"
      })
    case "InvalidQuery":
      return new UsageError({
        message: error.message,
        hint: "--limit is 1 to 500, --after a cursor a list printed, --since before --until"
      })
  }
}
