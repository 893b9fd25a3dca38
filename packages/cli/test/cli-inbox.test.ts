/**
 * `openai-webhooks inbox` as users run it: the built CLI in child processes, on inboxes whose rows the real
 * inbox made (signed deliveries through `WebhookHttp.toWebHandler` in inline and queued mode, a worker whose
 * schedule ends at the first failure), in a SQLite file and in a fresh schema of the PostgreSQL server
 * `DATABASE_URL` names. Plus the one parser of `--since` and `--until`, as laws.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  Arbitrary,
  Context,
  Deferred,
  Effect,
  Layer,
  Logger,
  Redacted,
  References,
  Result,
  Schedule,
  Schema
} from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import * as time from "../src/cli/inbox/time.js"
import {
  type WebhookEvent,
  WebhookHttp,
  WebhookInbox,
  WebhookSecret,
  WebhookTesting
} from "effect4-openai-webhooks"
import { requirePostgres, skipPostgres } from "../../../test/support/built-receiver.js"
import {
  assertExplained,
  build,
  killGroups,
  linesOf,
  PATIENCE,
  type Run,
  runToEnd,
  within
} from "../../engine/test/support/process.js"
import { CLI } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const Secret = WebhookSecret.layer(secret)

beforeAll(build, PATIENCE)
afterEach(killGroups)

const directory = mkdtempSync(join(tmpdir(), "cli-inbox-"))
/** What the file's tests leave behind, undone when they end: the folder, the PostgreSQL schema. */
const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(directory, { recursive: true, force: true })]
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
})

/** Our environment for a child, without colours and without the test's own DATABASE_URL unless `extra` sets it. */
const envWith = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  delete env["DATABASE_URL"]
  return { ...env, ...extra }
}

/** Runs `openai-webhooks ...args` in `cwd` (default: the repository) to its end. */
const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> =>
  runToEnd(["node", CLI, ...args], envWith(env), cwd)

/** Ends well, says nothing on stderr, and prints no terminal escape (not a TTY, and NO_COLOR). */
const assertOk = (run: Run) => {
  assert.strictEqual(run.code, 0, run.stderr)
  assert.strictEqual(run.stderr, "")
  assert.notMatch(run.stdout, /\u001b/)
}

// The JSON documents, decoded with their promised shapes: a field renamed or missing fails the test.

const Iso = Schema.String.check(
  Schema.makeFilter((s: string) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s)
)
const Status = Schema.Literals(["processing", "done", "failed", "pending", "dead"])
const Record = Schema.Struct({
  webhookId: Schema.String,
  eventType: Schema.NullOr(Schema.String),
  status: Status,
  attempts: Schema.Number,
  timestamp: Iso,
  receivedAt: Iso,
  updatedAt: Iso,
  nextAttemptAt: Schema.NullOr(Iso),
  lastError: Schema.NullOr(Schema.String)
})
const Page = Schema.Struct({ deliveries: Schema.Array(Record), next: Schema.NullOr(Schema.String) })
const Detail = Schema.Struct({
  ...Record.fields,
  body: Schema.NullOr(Schema.String),
  history: Schema.Array(Schema.Struct({
    attempt: Schema.Number,
    startedAt: Iso,
    endedAt: Schema.NullOr(Iso),
    outcome: Schema.NullOr(Schema.Literals(["processed", "failed", "timed_out", "interrupted"])),
    durationMs: Schema.NullOr(Schema.Number),
    error: Schema.NullOr(Schema.String)
  }))
})
const Stats = Schema.Struct({
  byStatus: Schema.Struct({
    processing: Schema.Number,
    done: Schema.Number,
    failed: Schema.Number,
    pending: Schema.Number,
    dead: Schema.Number
  }),
  byEventType: Schema.Array(
    Schema.Struct({ eventType: Schema.NullOr(Schema.String), status: Status, count: Schema.Number })
  ),
  oldestPendingAgeMs: Schema.NullOr(Schema.Number)
})

/** The one JSON document a `--json` run prints, decoded with `schema`. */
const documentOf = <S extends Schema.Decoder<unknown>>(run: Run, schema: S): S["Type"] => {
  assertOk(run)
  return Schema.decodeUnknownSync(schema)(JSON.parse(run.stdout))
}

/**
 * The ids of `deliveries`, checked newest first: by received time, then by id (two deliveries may arrive in
 * the same millisecond).
 */
const newestFirst = (deliveries: ReadonlyArray<typeof Record.Type>): ReadonlyArray<string> => {
  deliveries.slice(1).forEach((b, i) => {
    const a = deliveries[i]!
    const order = Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || a.webhookId.localeCompare(b.webhookId)
    assert.isAbove(order, 0, `${a.webhookId} is listed before ${b.webhookId}`)
  })
  return deliveries.map((d) => d.webhookId)
}

/** The order of the deliveries as the inbox received them, newest first, however close in time. */
const received = (made: Made) => [made.pending, [made.hostile, made.dead], made.failed, made.done]

/** `ids` in the order `received` gives, any order within a group of deliveries made together. */
const assertReceivedOrder = (ids: ReadonlyArray<string>, groups: ReadonlyArray<string | ReadonlyArray<string>>) => {
  let at = 0
  for (const group of groups) {
    const members = typeof group === "string" ? [group] : group
    assert.sameMembers(ids.slice(at, at + members.length), [...members])
    at += members.length
  }
  assert.strictEqual(ids.length, at)
}

// The rows: made by the inbox itself, as a receiver makes them.

/** One delivery of each kind, by the status the inbox gives it. */
interface Made {
  readonly done: string
  readonly failed: string
  readonly dead: string
  /** Dead too; its body holds a C1 control (CSI, U+009B) that JSON leaves raw: a terminal must never get it. */
  readonly hostile: string
  readonly pending: string
}

/** The body of a `type` event whose `data.id` is `dataId`, as OpenAI would send it. */
const bodyOf = (type: WebhookEvent.EventType, dataId: string) => {
  const wire = JSON.parse(WebhookTesting.encode(WebhookTesting.sample(type))) as { data: object }
  return JSON.stringify({ ...wire, data: { ...wire.data, id: dataId } })
}

const bodies = new Map<string, string>()

/** Signs `body` with a fresh webhook-id and posts it to `handler`; the status it answered, and the id. */
const deliver = async (handler: (request: Request) => Promise<Response>, body: string) => {
  const signed = WebhookTesting.unsafeSign({ payload: body, secret })
  const response = await handler(
    new Request("http://127.0.0.1/webhooks/openai", { method: "POST", headers: signed.headers, body: signed.body })
  )
  bodies.set(signed.headers["webhook-id"], body)
  return { status: response.status, id: signed.headers["webhook-id"] }
}

/** The fixture's receivers log nothing: the test's output is the test's. */
const Quiet = Logger.layer([])

const textOf = (message: unknown) => Array.isArray(message) ? message[0] : message

/**
 * Runs a worker on the inbox on `client`, as a running receiver does, until it has processed `id` (its
 * `processed` line, logged once the row says done).
 */
const processed = (client: Layer.Layer<SqlClient.SqlClient, unknown>, id: string) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const done = yield* Deferred.make<void>()
    const watching = Logger.make(({ fiber, message }) => {
      if (textOf(message) === "processed" && fiber.getRef(References.CurrentLogAnnotations)["webhook_id"] === id) {
        Deferred.doneUnsafe(done, Effect.void)
      }
    })
    const inbox = WebhookInbox.layerSql({ mode: "inline" }).pipe(Layer.provide(client))
    yield* Layer.build(
      WebhookInbox.layerWorker({ handle: () => Effect.void, pollInterval: "20 millis" }).pipe(
        Layer.provide(inbox),
        Layer.provide(Logger.layer([watching]))
      )
    )
    yield* Deferred.await(done)
  })))

/**
 * Fills the inbox on `client` with one delivery in each status but `processing`: inline, one handled and one
 * whose handler failed; queued, two whose worker's schedule ended (dead), then one stored with no worker running.
 */
const fill = async (client: Layer.Layer<SqlClient.SqlClient, unknown>): Promise<Made> => {
  const inline = WebhookHttp.toWebHandler({
    handle: (event) =>
      event._tag === "batch.failed" ? Effect.fail(new Error("the batch service said no\n    at handler")) : Effect.void,
    layer: Layer.mergeAll(WebhookInbox.layerSql({ mode: "inline" }).pipe(Layer.provide(client)), Secret, Quiet)
  })
  const done = await deliver(inline.handler, bodyOf("response.completed", "resp_done"))
  const failed = await deliver(inline.handler, bodyOf("batch.failed", "batch_failed"))
  await inline.dispose()
  assert.deepStrictEqual([done.status, failed.status], [200, 500])

  // The worker logs `dead` once the row says so: the two lines are the moment to stop it.
  const deadLogged = Effect.runSync(Deferred.make<void>())
  let dead = 0
  const counting = Logger.make(({ message }) => {
    if (textOf(message) === "dead" && ++dead === 2) Deferred.doneUnsafe(deadLogged, Effect.void)
  })
  const inbox = WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provide(client))
  const worker = WebhookInbox.layerWorker({
    handle: () => Effect.fail(new Error("the eval store is down")),
    schedule: Schedule.recurs(0),
    pollInterval: "20 millis"
  }).pipe(Layer.provide(inbox), Layer.provide(Logger.layer([counting])))
  const queued = WebhookHttp.toWebHandler({
    handle: () => Effect.void,
    layer: Layer.mergeAll(inbox, worker, Secret, Quiet)
  })
  const deadOne = await deliver(queued.handler, bodyOf("eval.run.failed", "evalrun_dead"))
  const hostile = await deliver(queued.handler, bodyOf("fine_tuning.job.failed", "ftjob_\u009b31mred\u0007"))
  await within(Effect.runPromise(Deferred.await(deadLogged)), "two dead deliveries")
  await queued.dispose()

  const stored = WebhookHttp.toWebHandler({
    handle: () => Effect.void,
    layer: Layer.mergeAll(inbox, Secret, Quiet)
  })
  const pending = await deliver(stored.handler, bodyOf("video.completed", "video_pending"))
  await stored.dispose()
  assert.deepStrictEqual([deadOne.status, hostile.status, pending.status], [200, 200, 200])
  return { done: done.id, failed: failed.id, dead: deadOne.id, hostile: hostile.id, pending: pending.id }
}

// Engines: every test below runs on both.

interface Engine {
  readonly name: string
  readonly skip: boolean
  /** A database of the file's own: the `--database` value the CLI gets, the client the fixture uses. */
  readonly open: () => Promise<{ readonly url: string; readonly client: Layer.Layer<SqlClient.SqlClient, unknown> }>
}

const sqlite: Engine = {
  name: "SQLite file",
  skip: false,
  open: async () => {
    const filename = join(directory, "inbox.sqlite")
    return { url: `sqlite:${filename}`, client: SqliteClient.layer({ filename }) }
  }
}

/** A fresh schema, as the connection's search_path; dropped when the file's tests end. */
const postgres: Engine = {
  name: "PostgreSQL",
  skip: skipPostgres("cli-inbox.test.ts"),
  open: async () => {
    const postgresUrl = requirePostgres()
    const schema = `cli_${randomBytes(6).toString("hex")}`
    const admin = (statement: string) =>
      Effect.runPromise(
        Effect.scoped(Effect.flatMap(Layer.build(PgClient.layer({ url: Redacted.make(postgresUrl) })), (context) =>
          Context.get(context, SqlClient.SqlClient).unsafe(statement)))
      )
    await admin(`CREATE SCHEMA ${schema}`)
    cleanups.unshift(() => admin(`DROP SCHEMA ${schema} CASCADE`))
    const url = `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}options=${
      encodeURIComponent(`-c search_path=${schema}`)
    }`
    return { url, client: PgClient.layer({ url: Redacted.make(url) }) }
  }
}

for (const engine of [sqlite, postgres]) {
  describe.skipIf(engine.skip)(`openai-webhooks inbox on ${engine.name}`, () => {
    let url = ""
    let client: Layer.Layer<SqlClient.SqlClient, unknown>
    let made: Made
    beforeAll(async () => {
      const database = await engine.open()
      url = database.url
      client = database.client
      made = await fill(client)
    }, PATIENCE)

    const inbox = (...args: ReadonlyArray<string>) => cli(["inbox", ...args, "--database", url])

    it("list: a table of every delivery, newest first, with its type, status, attempts and last error", async () => {
      const [run, json] = await Promise.all([inbox("list"), inbox("list", "--json")])
      assertOk(run)
      const [header, ...rows] = linesOf(run.stdout)
      assert.match(header!, /^RECEIVED +WEBHOOK-ID +TYPE +STATUS +ATTEMPTS +LAST ERROR$/)
      const columns = rows.map((row) => row.split(/ {2,}/))
      assert.deepStrictEqual(columns.map(([, id]) => id), [...newestFirst(documentOf(json, Page).deliveries)])
      assertReceivedOrder(columns.map(([, id]) => id!), received(made))
      const byId = new Map(columns.map((row) => [row[1], row]))
      assert.deepStrictEqual(
        [made.pending, made.hostile, made.dead, made.failed, made.done].map((id) => byId.get(id)!.slice(2, 5)),
        [
          ["video.completed", "pending", "0"],
          ["fine_tuning.job.failed", "dead", "1"],
          ["eval.run.failed", "dead", "1"],
          ["batch.failed", "failed", "1"],
          ["response.completed", "done", "1"]
        ]
      )
      assert.deepStrictEqual(byId.get(made.failed)!.slice(5), ["Error: the batch service said no"])
      assert.deepStrictEqual(byId.get(made.done)!.slice(5), [])
      // Aligned: each left-aligned column starts where its title does.
      const starts = [...header!.matchAll(/\S+/g)].map((match) => match.index)
      for (const row of rows) {
        for (const start of starts.slice(1, 4)) assert.match(row.slice(start - 1, start + 1), /^ \S$/, row)
      }
      assert.match(columns[0]![0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    })

    it("list --json: one document, the shapes' field names, filters by status, type family and time", async () => {
      const all = documentOf(await inbox("list", "--json"), Page)
      assertReceivedOrder(newestFirst(all.deliveries), received(made))
      assert.isNull(all.next)
      const failed = all.deliveries.find((d) => d.webhookId === made.failed)!
      assert.strictEqual(failed.eventType, "batch.failed")
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(failed.attempts, 1)
      assert.match(failed.lastError ?? "", /the batch service said no/)

      const [dead, family, since, until] = await Promise.all([
        inbox("list", "--json", "--status", "dead"),
        inbox("list", "--json", "--type", "fine_tuning.", "--status", "dead", "--status", "done"),
        inbox("list", "--json", "--since", "1h"),
        inbox("list", "--json", "--until", "2000-01-01")
      ])
      assert.sameMembers([...newestFirst(documentOf(dead, Page).deliveries)], [made.hostile, made.dead])
      assert.deepStrictEqual(newestFirst(documentOf(family, Page).deliveries), [made.hostile])
      assert.strictEqual(documentOf(since, Page).deliveries.length, 5)
      assert.deepStrictEqual(documentOf(until, Page), { deliveries: [], next: null })
    })

    it("list pages with --limit and --after, every delivery once", async () => {
      const first = documentOf(await inbox("list", "--json", "--limit", "2"), Page)
      assert.strictEqual(first.deliveries.length, 2)
      assert.isString(first.next)
      const table = await inbox("list", "--limit", "2")
      assertOk(table)
      assert.strictEqual(linesOf(table.stdout).at(-1), `more: add --after ${first.next}`)
      const second = documentOf(await inbox("list", "--json", "--limit", "2", "--after", first.next!), Page)
      const third = documentOf(await inbox("list", "--json", "--limit", "2", "--after", second.next!), Page)
      assert.isNull(third.next)
      assertReceivedOrder(newestFirst([...first.deliveries, ...second.deliveries, ...third.deliveries]), received(made))
    })

    it("list says what is wrong with a bad --since, --until, --limit or cursor, and exits 2", async () => {
      const [since, until, limit, cursor] = await Promise.all([
        inbox("list", "--since", "yesterday"),
        inbox("list", "--until", "2026-02-30"),
        inbox("list", "--limit", "501"),
        inbox("list", "--after", "not-a-cursor")
      ])
      assertExplained(since, 2, /^error: --since: "yesterday" is not a time$/, /30m, 1h, 2d/)
      assertExplained(until, 2, /^error: --until: "2026-02-30" is not a time$/, /ISO date-time/)
      assertExplained(limit, 2, /limit/, /--limit is 1 to 500/)
      assertExplained(cursor, 2, /cursor/, /--after a cursor a list printed/)
    })

    it("show: the fields, the body pretty-printed, the attempts as a table", async () => {
      const run = await inbox("show", made.failed)
      assertOk(run)
      const text = run.stdout
      assert.match(text, new RegExp(`^webhook-id +${made.failed}$`, "m"))
      assert.match(text, /^type +batch\.failed$/m)
      assert.match(text, /^status +failed$/m)
      assert.match(text, /^last error +Error: the batch service said no$/m)
      const body = text.slice(text.indexOf("\nbody\n") + 6, text.indexOf("\n\nattempts\n"))
      assert.strictEqual(body, JSON.stringify(JSON.parse(bodies.get(made.failed)!), null, 2))
      const attempts = linesOf(text.slice(text.indexOf("\nattempts\n") + 10))
      assert.match(attempts[0]!, /^# +STARTED +DURATION +OUTCOME +ERROR$/)
      const started = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.source
      assert.match(attempts[1]!, new RegExp(`^1 +${started} +[\\d.]+ m?s +failed +Error: the batch service said no$`))
      assert.strictEqual(attempts.length, 2)
    })

    it("show escapes the control characters of a body, so that no delivery can drive the terminal", async () => {
      const run = await inbox("show", made.hostile)
      assertOk(run)
      assert.notMatch(run.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
      assert.include(run.stdout, `"id": "ftjob_\\u009b31mred\\u0007"`)
    })

    it("show --json: the delivery with its raw body and its history", async () => {
      const detail = documentOf(await inbox("show", made.dead, "--json"), Detail)
      assert.strictEqual(detail.webhookId, made.dead)
      assert.strictEqual(detail.status, "dead")
      assert.strictEqual(detail.body, bodies.get(made.dead))
      assert.deepStrictEqual(detail.history.map((a) => [a.attempt, a.outcome]), [[1, "failed"]])
      assert.match(detail.history[0]!.error ?? "", /the eval store is down/)
      assert.isAtLeast(detail.history[0]!.durationMs ?? -1, 0)
    })

    it("show and discard of an id no delivery has: exit 1, the id named", async () => {
      const missing = "msg_nobody_has_this_one"
      const runs = await Promise.all([
        inbox("show", missing),
        inbox("show", missing, "--json"),
        inbox("discard", missing)
      ])
      for (const run of runs) {
        assertExplained(run, 1, new RegExp(`^error: no delivery has the webhook-id "${missing}"$`), /inbox list/)
      }
    })

    it("stats: counts by status and by event type, and the oldest waiting delivery", async () => {
      const [table, json] = await Promise.all([inbox("stats"), inbox("stats", "--json")])
      const stats = documentOf(json, Stats)
      assert.deepStrictEqual(stats.byStatus, { processing: 0, done: 1, failed: 1, pending: 1, dead: 2 })
      assert.deepStrictEqual(
        [...stats.byEventType].sort((a, b) => (a.eventType ?? "").localeCompare(b.eventType ?? "")),
        [
          { eventType: "batch.failed", status: "failed", count: 1 },
          { eventType: "eval.run.failed", status: "dead", count: 1 },
          { eventType: "fine_tuning.job.failed", status: "dead", count: 1 },
          { eventType: "response.completed", status: "done", count: 1 },
          { eventType: "video.completed", status: "pending", count: 1 }
        ]
      )
      assert.isAtLeast(stats.oldestPendingAgeMs ?? -1, 0)
      assertOk(table)
      const lines = linesOf(table.stdout)
      assert.deepStrictEqual(lines.slice(0, 6).map((line) => line.split(/ +/)), [
        ["STATUS", "COUNT"],
        ["processing", "0"],
        ["done", "1"],
        ["failed", "1"],
        ["pending", "1"],
        ["dead", "2"]
      ])
      assert.match(lines[6]!, /^oldest pending or failed: received .+ ago$/)
      assert.include(lines, "")
      assert.match(lines.find((line) => line.startsWith("eval.run.failed"))!, /^eval\.run\.failed +0 +0 +0 +0 +1$/)
    })

    // The operations change the rows: the tests below each use their own deliveries, in this order.

    it("discard removes a dead letter, and refuses one that is not dead (exit 1)", async () => {
      const notDead = await inbox("discard", made.failed)
      assertExplained(notDead, 1, /failed|not dead/, /dead letters only/)
      const run = await inbox("discard", made.hostile)
      assertOk(run)
      assert.strictEqual(run.stdout, `${made.hostile}: discarded\n`)
      assertExplained(await inbox("show", made.hostile), 1, /no delivery has the webhook-id/, /inbox list/)
    })

    it("replay of several ids replays each, says each result, exits 1 if one failed; a worker runs it", async () => {
      const run = await inbox("replay", made.done, "msg_missing")
      assert.strictEqual(run.code, 1, run.stderr)
      assert.deepStrictEqual(linesOf(run.stdout), [
        `${made.done}: queued for replay`,
        "a running receiver's worker processes it within seconds (npx openai-webhooks serve, in either mode)"
      ])
      assert.deepStrictEqual(linesOf(run.stderr).slice(0, 1), [`error: no delivery has the webhook-id "msg_missing"`])
      assert.match(linesOf(run.stderr)[1]!, /^hint: /)
      assert.strictEqual(documentOf(await inbox("show", made.done, "--json"), Detail).status, "pending")
      // What the command said: a receiver's worker processes it again.
      await within(processed(client, made.done), `a worker to process ${made.done}`)
      const detail = documentOf(await inbox("show", made.done, "--json"), Detail)
      assert.strictEqual(detail.status, "done")
      assert.deepStrictEqual(detail.history.map((a) => [a.attempt, a.outcome]), [[1, "processed"], [2, "processed"]])
    })

    it("recover queues the dead deliveries of the window, and says how many and who processes them", async () => {
      const [bad, none] = await Promise.all([
        inbox("recover", "--since", "an hour ago"),
        inbox("recover", "--since", "2000-01-01", "--until", "2000-01-02")
      ])
      assertExplained(bad, 2, /^error: --since: "an hour ago" is not a time$/, /--since is/)
      assertOk(none)
      assert.strictEqual(
        none.stdout,
        "queued 0 failed or dead deliveries for replay " +
          "(received since 2000-01-01T00:00:00Z until 2000-01-02T00:00:00Z)\n"
      )
      const run = await inbox("recover", "--since", "1h", "--status", "dead")
      assertOk(run)
      const [said, worker] = linesOf(run.stdout)
      assert.match(said!, /^queued 1 dead delivery for replay \(received since \d{4}-.+Z\)$/)
      assert.match(worker!, /^a running receiver's worker processes it within seconds/)
      assert.strictEqual(documentOf(await inbox("show", made.dead, "--json"), Detail).status, "pending")
    })

    it("replay, recover and discard with --json print one document, and keep their exit codes", async () => {
      const replayed = await inbox("replay", made.pending, "msg_missing", "--json")
      assert.strictEqual(replayed.code, 1, replayed.stderr)
      assert.deepStrictEqual(JSON.parse(replayed.stdout), {
        replayed: [made.pending],
        failed: [{ webhookId: "msg_missing", reason: "NotFound", message: `no delivery has the webhook-id "msg_missing"` }]
      })
      const recovered = await inbox("recover", "--since", "2000-01-01", "--until", "2000-01-02", "--json")
      assertOk(recovered)
      assert.deepStrictEqual(JSON.parse(recovered.stdout), {
        recovered: 0,
        since: "2000-01-01T00:00:00.000Z",
        until: "2000-01-02T00:00:00.000Z",
        status: ["failed", "dead"]
      })
      const refused = await inbox("discard", made.failed, "--json")
      assertExplained(refused, 1, /failed|not dead/, /dead letters only/)
      assert.strictEqual(refused.stdout, "")
    })
  })
}

describe("openai-webhooks inbox: the database", () => {
  it("reads DATABASE_URL when --database is absent, as the receiver does", async () => {
    const filename = join(directory, "empty.sqlite")
    await Effect.runPromise(
      Effect.scoped(Layer.build(WebhookInbox.layerSql().pipe(Layer.provide(SqliteClient.layer({ filename })))))
    )
    const stats = documentOf(await cli(["inbox", "stats", "--json"], { DATABASE_URL: `sqlite:${filename}` }), Stats)
    assert.deepStrictEqual(stats, {
      byStatus: { processing: 0, done: 0, failed: 0, pending: 0, dead: 0 },
      byEventType: [],
      oldestPendingAgeMs: null
    })
  })

  it("refuses a database URL it cannot read: exit 2, naming the flag or the variable, never the password", async () => {
    const [flag, variable] = await Promise.all([
      cli(["inbox", "list", "--database", "mysql://root:hunter2@db/x"]),
      cli(["inbox", "list"], { DATABASE_URL: "mysql://root:hunter2@db/x" })
    ])
    assertExplained(flag, 2, /^error: --database: it names no database/, /^hint: --database .*sqlite:<path>/)
    assertExplained(variable, 2, /^error: DATABASE_URL: it names no database/, /^hint: DATABASE_URL is sqlite:<path>/)
    for (const run of [flag, variable]) assert.notInclude(run.stderr, "hunter2")
  })

  it("says so when the database cannot be reached: exit 1, never the password", async () => {
    const run = await cli(["inbox", "list", "--database", "postgres://someone:hunter2@127.0.0.1:1/inbox"])
    assertExplained(run, 1, /^error: cannot open PostgreSQL 127\.0\.0\.1:1\/inbox/, /is the server running/)
    assert.notInclude(run.stderr, "hunter2")
  })

  it("does not make an empty inbox where there is none: exit 1, and the file is not created", async () => {
    const elsewhere = mkdtempSync(join(directory, "elsewhere-"))
    const run = await cli(["inbox", "list"], {}, elsewhere)
    const where = /^error: there is no inbox at the SQLite file \.data\/openai-webhooks\.sqlite$/
    assertExplained(run, 1, where, /--database/)
    assert.isFalse(existsSync(join(elsewhere, ".data")))
  })
})

describe("--since and --until", () => {
  const now = Date.UTC(2026, 10, 29, 12, 0, 0)
  const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
  /** A whole number from `min` to `max`, on Effect 4's Arbitrary (fast-check's `integer`). */
  const between = (min: number, max: number) =>
    Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max })))

  it.prop(
    "a span is that long before now",
    [
      between(0, 100_000),
      Arbitrary.map(between(0, 4), (i) => (Object.keys(units) as Array<keyof typeof units>)[i]!)
    ],
    ([n, unit]) => {
      const parsed = time.parse("--since", `${n}${unit}`, now)
      assert.deepStrictEqual(parsed, Result.succeed(new Date(now - n * units[unit])))
    }
  )

  it.prop(
    "an ISO date-time is that instant",
    [Arbitrary.map(between(Date.parse("1970-01-01"), Date.parse("9999-12-31")), (millis) => new Date(millis))],
    ([date]) => {
      assert.deepStrictEqual(time.parse("--until", date.toISOString(), now), Result.succeed(date))
    }
  )

  it.prop(
    "anything else is a usage error naming the flag and the input",
    [Arbitrary.filter(Arbitrary.schema(Schema.String), (s) => !/^\s*(\d+[smhdw]|\d{4}-\d\d-\d\d.*)\s*$/.test(s))],
    ([input]) => {
      const parsed = time.parse("--since", input, now)
      assert.isTrue(Result.isFailure(parsed))
      if (Result.isFailure(parsed)) {
        assert.strictEqual(parsed.failure.message, `--since: ${JSON.stringify(input)} is not a time`)
        assert.match(parsed.failure.hint, /^--since is /)
      }
    }
  )

  it("refuses a day the month does not have, and a span past the calendar", () => {
    for (const input of ["2026-02-30", "2026-13-01", "2026-04-31T10:00:00Z", "99999999999w"]) {
      assert.isTrue(Result.isFailure(time.parse("--since", input, now)), input)
    }
    assert.deepStrictEqual(
      time.parse("--since", "2024-02-29", now),
      Result.succeed(new Date("2024-02-29T00:00:00Z"))
    )
  })
})
