/**
 * The inbox on real engines: a SQLite file per test, and a fresh schema per test on the PostgreSQL server
 * `DATABASE_URL` names. Deliveries go over real HTTP on loopback (`WebhookHttp.makeNodeListener`), signed
 * with `WebhookTesting`; time moves with `TestClock` where the store reads the `Clock`.
 */
import { randomBytes } from "node:crypto"
import type * as http from "node:http"
import { assert, describe, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqliteClient } from "@effect/sql-sqlite-node"
import {
  Cause,
  Config,
  ConfigError,
  ConfigProvider,
  Context,
  Deferred,
  Duration,
  Effect,
  Fiber,
  FiberId,
  Layer,
  Logger,
  Option,
  Queue,
  Schedule,
  TestClock,
  TestServices,
  type Scope
} from "effect"
import { listenLoopback } from "./support/http.js"
import * as Engines from "./support/inbox-engines.js"
import {
  WebhookError,
  WebhookHttp,
  WebhookInbox,
  WebhookSecret,
  WebhookTesting,
  type WebhookEvent,
  type Webhooks
} from "../src/index.js"
import { replyOf } from "../packages/engine/test/tables/replies.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const Secret = WebhookSecret.layer(secret)
const TABLE = "openai_webhook_deliveries"
const MIGRATIONS_TABLE = "effect_openai_webhooks_migrations"

// Engines: every test below runs on both.

const sqlite = Engines.sqlite()
const postgres = Engines.postgres("WebhookInbox.test.ts")
type Database = Engines.Database
type Engine = Engines.Engine

// Logs: every line, and a way to wait for one.

interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

interface Log {
  readonly lines: Array<LogLine>
  readonly layer: Layer.Layer<never>
  /** Waits (20 s at most, in real time) for the first line, written or to come, that `matches`. */
  readonly waitFor: (what: string, matches: (line: LogLine) => boolean) => Effect.Effect<LogLine>
  /** The lines about one webhook id, by message. */
  readonly of: (webhookId: string, message: string) => ReadonlyArray<LogLine>
}

const observe = (): Log => {
  const lines: Array<LogLine> = []
  const waiters = new Set<(line: LogLine) => void>()
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    const line: LogLine = {
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    }
    lines.push(line)
    for (const waiter of waiters) waiter(line)
  })
  const waitFor = (what: string, matches: (line: LogLine) => boolean) =>
    Effect.async<LogLine>((resume) => {
      const found = lines.find(matches)
      if (found !== undefined) return resume(Effect.succeed(found))
      const waiter = (line: LogLine) => {
        if (!matches(line)) return
        waiters.delete(waiter)
        resume(Effect.succeed(line))
      }
      waiters.add(waiter)
      return Effect.sync(() => waiters.delete(waiter))
    }).pipe(
      Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`no log line ${what} within 20 s`) }),
      Effect.orDie,
      TestServices.provideLive
    )
  const of = (webhookId: string, message: string) =>
    lines.filter((line) => line.annotations["webhook_id"] === webhookId && line.message === message)
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger), waitFor, of }
}

/**
 * Repeats `effect` until `done` holds of its result (which it returns), pausing 10 ms of real time in between,
 * 20 s at most.
 * `effect` itself runs with the test's services: it may read the TestClock.
 */
const eventually = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let tries = 0; tries < 2000; tries++) {
      const value = yield* effect
      if (done(value)) return value
      yield* TestServices.provideLive(Effect.sleep("10 millis"))
    }
    return yield* Effect.dieMessage(`${what}: not within 20 s`)
  })

// Inboxes, servers and deliveries.

type Handle = (event: WebhookEvent.UnwrapWebhookEvent, delivery: Webhooks.Delivery) => Effect.Effect<void, unknown>

interface Inbox {
  readonly store: WebhookInbox.Store
  readonly sql: SqlClient.SqlClient
}

/** The inbox on a new connection to `database`, with the SqlClient to look at its rows. */
const inboxLayer = (database: Database, options: WebhookInbox.Options) =>
  WebhookInbox.layerSql(options).pipe(Layer.provideMerge(database.client()))

/** Queued mode with its workers, fast: polls every 20 ms. */
const withWorkers = (
  inbox: Layer.Layer<WebhookInbox.WebhookInbox | SqlClient.SqlClient, unknown>,
  options: Omit<WebhookInbox.WorkerOptions<unknown, never>, "pollInterval">
) =>
  Layer.merge(
    inbox,
    WebhookInbox.layerWorker({ concurrency: 4, pollInterval: "20 millis", ...options }).pipe(Layer.provide(inbox))
  )

/** Starts `layer` in the current scope, logging to `log`: a process that runs until the scope closes. */
const start = (layer: Layer.Layer<WebhookInbox.WebhookInbox | SqlClient.SqlClient, unknown>, log: Log) =>
  Effect.map(
    Effect.orDie(Layer.build(layer)).pipe(Effect.provide(log.layer)),
    (context): Inbox & { readonly context: Context.Context<WebhookInbox.WebhookInbox> } => ({
      store: Context.get(context, WebhookInbox.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient),
      context
    })
  )

interface Reply {
  readonly status: number
  readonly body: unknown
}

interface Server extends Inbox {
  readonly post: (delivery: WebhookTesting.Signed) => Effect.Effect<Reply>
}

/**
 * The Node listener with the inbox, on a random loopback port, until the scope closes. The route says the
 * inbox's mode (`inbox: "inline"` with the handler, `inbox: "queued"` without one), unless `route` is `context`:
 * then it does not say, and finds the inbox in its context when it starts (0.2's route, which takes a handler
 * in both modes).
 */
const serve = (
  handle: Handle,
  layer: Layer.Layer<WebhookInbox.WebhookInbox | SqlClient.SqlClient, unknown>,
  log: Log,
  options: WebhookHttp.BaseOptions = {},
  route: "says" | "context" = "says"
): Effect.Effect<Server, never, Scope.Scope> =>
  Effect.gen(function*() {
    const inbox = yield* start(layer, log)
    const listener = yield* (route === "context"
      ? WebhookHttp.makeNodeListener({ ...options, handle })
      : inbox.store.mode === "queued"
      ? WebhookHttp.makeNodeListener({ ...options, inbox: "queued" })
      : WebhookHttp.makeNodeListener({ ...options, handle, inbox: "inline" })).pipe(
        Effect.provide(inbox.context),
        Effect.provide(Secret),
        Effect.provide(log.layer),
        Effect.orDie
      )
    const { port } = yield* listenLoopback(listener)
    const url = `http://127.0.0.1:${port}${WebhookHttp.defaultPath}`
    const post = (delivery: WebhookTesting.Signed) =>
      Effect.promise(async (): Promise<Reply> => {
        const body = typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)
        const response = await fetch(url, { method: "POST", headers: delivery.headers, body })
        return { status: response.status, body: JSON.parse(await response.text()) as unknown }
      })
    return { store: inbox.store, sql: inbox.sql, post }
  })

const signed = (type: WebhookEvent.EventType = "response.completed") =>
  WebhookTesting.sign({ event: WebhookTesting.sample(type), secret })

const idOf = (delivery: WebhookTesting.Signed): string => delivery.headers["webhook-id"]

const newId = () => `msg_${randomBytes(12).toString("hex")}`

// The bodies of the engine's reply table, the fixture both editions run.
const PROCESSED = replyOf("processed").body
const DUPLICATE = replyOf("duplicate").body
const QUEUED = replyOf("queued").body
const FAILED = replyOf("failed").body

/** A handler that records the webhook id of every call, then runs `then` with the call's number (1, 2, ...). */
const counting = (then: (call: number) => Effect.Effect<void, unknown> = () => Effect.void) => {
  const calls: Array<string> = []
  const handle: Handle = (_event, delivery) =>
    Effect.suspend(() => {
      calls.push(delivery.id)
      return then(calls.length)
    })
  return { calls, handle }
}

interface StoredRow {
  readonly status: string
  readonly attempts: number
  readonly lastError: string | null
}

const rowOf = (sql: SqlClient.SqlClient, id: string) =>
  Effect.map(
    Effect.orDie(
      sql<{ status: string; attempts: unknown; last_error: string | null }>`SELECT status, attempts, last_error
FROM ${sql(TABLE)} WHERE webhook_id = ${id}`
    ),
    (rows): StoredRow | undefined =>
      rows[0] === undefined
        ? undefined
        : { status: rows[0].status, attempts: Number(rows[0].attempts), lastError: rows[0].last_error }
  )

const statusOf = (store: WebhookInbox.Store, id: string) =>
  Effect.map(Effect.orDie(store.status(id)), Option.getOrUndefined)

/**
 * Waits until the periodic purge job sleeps until `wakeAt`: the purge at start is done, and moving the
 * TestClock now wakes the job at the time it should.
 */
const purgeAsleep = (wakeAt: number) =>
  eventually("the purge at start", TestClock.sleeps(), (sleeps) => [...sleeps].includes(wakeAt))

/** When the claim or lease on `id` expires, in the store's milliseconds. */
const lockedUntil = (sql: SqlClient.SqlClient, id: string) =>
  Effect.map(
    Effect.orDie(sql<{ locked_until: unknown }>`SELECT locked_until FROM ${sql(TABLE)} WHERE webhook_id = ${id}`),
    (rows) => rows[0]?.locked_until == null ? undefined : Number(rows[0].locked_until)
  )

/** Makes the claim or lease on `id` expired, as if its holder had stalled past it. */
const expire = (sql: SqlClient.SqlClient, id: string) =>
  Effect.orDie(sql`UPDATE ${sql(TABLE)} SET locked_until = 0 WHERE webhook_id = ${id}`)

/** Has the database refuse (with a trigger) every update of the deliveries table, or stop refusing. */
const refuseUpdates = (sql: SqlClient.SqlClient, refuse: boolean) =>
  Effect.orDie(sql.onDialectOrElse({
    pg: () =>
      refuse
        ? Effect.zipRight(
          sql.unsafe(`CREATE FUNCTION refuse_updates() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'updates refused'; END $$ LANGUAGE plpgsql`),
          sql.unsafe(`CREATE TRIGGER refuse_updates BEFORE UPDATE ON ${TABLE}
FOR EACH ROW EXECUTE FUNCTION refuse_updates()`)
        )
        : sql.unsafe(`DROP TRIGGER refuse_updates ON ${TABLE}`),
    orElse: () =>
      refuse
        ? sql.unsafe(`CREATE TRIGGER refuse_updates BEFORE UPDATE ON ${TABLE}
BEGIN SELECT RAISE(ABORT, 'updates refused'); END`)
        : sql.unsafe("DROP TRIGGER refuse_updates")
  }))

/**
 * For the heartbeat's tests, on a fresh database: this process (`server`, the Node listener on an inbox
 * whose lease of 300 ms is renewed every 100 ms, with one worker in queued mode) and another instance
 * (`other`, its store only), a delivery to send, and a handler that says it has `started`, runs until
 * `finish`, and records whether it was `interrupted`. The TestClock starts at `startedAt`.
 */
const heartbeating = (engine: Engine, mode: WebhookInbox.Mode) =>
  Effect.gen(function*() {
    const startedAt = Date.now()
    yield* TestClock.setTime(startedAt)
    const log = observe()
    const database = yield* engine.database
    const started = yield* Deferred.make<void>()
    const finish = yield* Deferred.make<void>()
    const interrupted = yield* Deferred.make<void>()
    const { calls, handle } = counting(() =>
      startedUntil(started, finish)().pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
    )
    const lease = { mode, lease: "300 millis", heartbeat: "100 millis" } as const
    const inbox = inboxLayer(database, lease)
    // One worker: once it looks for more deliveries, it is done with the one before.
    const server = yield* serve(handle, mode === "queued" ? withWorkers(inbox, { handle, concurrency: 1 }) : inbox, log)
    const other = yield* start(inboxLayer(database, lease), observe())
    const delivery = yield* signed()
    return { startedAt, log, server, other, delivery, id: idOf(delivery), started, finish, interrupted, calls }
  })

/** The line a renewal writes when it finds the delivery `id` (attempt 1) taken over. */
const assertTakenOver = (line: LogLine, id: string) => {
  assert.strictEqual(line.level, "WARN")
  assert.deepStrictEqual([line.annotations["webhook_id"], line.annotations["attempt"]], [id, 1])
  const error = String(line.annotations["error"])
  assert.include(error, "another holder took this delivery over")
  assert.include(error, "its handler runs on, but its outcome will not be recorded")
}

/** The ids whose claim or lease this process holds (and its heartbeat renews) right now. */
const heldIds = (store: WebhookInbox.Store) => Array.from(store.holding, (holding) => holding.id)

/** How many replies have this body. */
const answered = (replies: ReadonlyArray<Reply>, body: unknown) =>
  replies.filter((reply) => JSON.stringify(reply.body) === JSON.stringify(body)).length

const DONE_AT_SECOND_ATTEMPT: StoredRow = { status: "done", attempts: 2, lastError: null }

/** For `counting`: says it has started, then runs until `finish` is done. */
const startedUntil = (started: Deferred.Deferred<void>, finish: Deferred.Deferred<void>) => () =>
  Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(finish))

/** For `counting`: the first call fails, the others succeed. */
const failFirst = (call: number) => call === 1 ? Effect.fail(new Error("the database is down")) : Effect.void

const fastRetries = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

describe("WebhookInbox", () => {
  it("keeps the service key layers already built with it use", () => {
    assert.strictEqual(WebhookInbox.WebhookInbox.key, "effect-openai-webhooks/WebhookInbox")
  })

  /** The store `layerSql(options)` builds, on a SQLite database in memory. */
  const build = (options: WebhookInbox.Options) =>
    Effect.scoped(Effect.map(
      Layer.build(WebhookInbox.layerSql(options).pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" })))),
      (context) => Context.get(context, WebhookInbox.WebhookInbox)
    ))

  it.effect("leases for 30 s and renews every 10 s by default; renews every third of a lease given alone", () =>
    Effect.gen(function*() {
      const defaults = yield* build({})
      assert.deepStrictEqual([defaults.lease, defaults.heartbeat], [Duration.seconds(30), Duration.seconds(10)])
      const short = yield* build({ lease: "200 millis" })
      assert.deepStrictEqual([short.lease, short.heartbeat], [Duration.millis(200), Duration.millis(66)])
      const given = yield* build({ lease: "1 minute", heartbeat: "5 seconds" })
      assert.deepStrictEqual([given.lease, given.heartbeat], [Duration.minutes(1), Duration.seconds(5)])
    }))

  /** The `IllegalArgumentException` `effect` fails with: any other failure is a defect of the test. */
  const refusal = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(
      Effect.flip(effect),
      (error) => error instanceof WebhookError.IllegalArgumentException ? Effect.succeed(error) : Effect.die(error)
    )

  it.effect("fails to build, saying why, with a heartbeat not shorter than the lease or a lease of nothing", () =>
    Effect.gen(function*() {
      const equal = yield* refusal(build({ lease: "10 seconds", heartbeat: "10 seconds" }))
      assert.strictEqual(equal._tag, "IllegalArgumentException")
      assert.isTrue(Cause.isIllegalArgumentException(equal))
      assert.deepStrictEqual([equal.reason, equal.option], ["Conflict", "heartbeat"])
      assert.strictEqual(
        equal.message,
        "WebhookInbox: heartbeat: Expected a duration shorter than the lease (10s), which it renews; got 10s"
      )
      const zero = yield* refusal(build({ lease: "0 millis" }))
      assert.deepStrictEqual([zero.reason, zero.option], ["OutOfRange", "lease"])
      assert.strictEqual(zero.message, "WebhookInbox: lease: Expected a duration longer than zero; got \"0 millis\"")
      const endless = yield* refusal(build({ lease: Duration.infinity }))
      assert.strictEqual(endless.message, "WebhookInbox: lease: Expected a finite duration; got Infinity")
      const none = yield* refusal(build({ heartbeat: "0 millis" }))
      assert.deepStrictEqual([none.reason, none.option], ["OutOfRange", "heartbeat"])
      assert.strictEqual(
        none.message,
        "WebhookInbox: heartbeat: Expected a duration longer than zero; got \"0 millis\""
      )
    }))

  it.effect("refuses the other options it cannot use the same way: named, with a reason, when built", () =>
    Effect.gen(function*() {
      const malformed = yield* refusal(build({ retention: "a week" as Duration.DurationInput }))
      assert.deepStrictEqual([malformed.reason, malformed.option, malformed.message], [
        "Malformed",
        "retention",
        "WebhookInbox: retention: Expected a duration such as \"10 seconds\" or \"1500 millis\"; got \"a week\""
      ])
      const purge = yield* refusal(build({ purgeInterval: 0 }))
      assert.deepStrictEqual([purge.reason, purge.option], ["OutOfRange", "purgeInterval"])
      const mode = yield* refusal(build({ mode: "later" as WebhookInbox.Mode }))
      assert.deepStrictEqual([mode.reason, mode.option], ["Malformed", "mode"])
      const worker = (options: Partial<WebhookInbox.WorkerOptions<never, never>>) =>
        refusal(Effect.scoped(Layer.build(
          WebhookInbox.layerWorker({ handle: () => Effect.void, ...options }).pipe(
            Layer.provide(WebhookInbox.layerSql().pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" }))))
          )
        )))
      for (const concurrency of [0, -1, 1.5]) {
        const error = yield* worker({ concurrency })
        assert.deepStrictEqual([error.reason, error.option, error.message], [
          "OutOfRange",
          "concurrency",
          `WebhookInbox: concurrency: Expected a whole number of deliveries, at least 1; got ${concurrency}`
        ])
      }
      const poll = yield* worker({ pollInterval: "0 millis" })
      assert.deepStrictEqual([poll.reason, poll.option], ["OutOfRange", "pollInterval"])
      const timeout = yield* worker({ timeout: "soon" as Duration.DurationInput })
      assert.deepStrictEqual([timeout.reason, timeout.option], ["Malformed", "timeout"])
    }))

  it.effect("make builds the inbox in the current scope, as layerSql's layer does", () =>
    Effect.gen(function*() {
      const inbox = yield* WebhookInbox.make({ mode: "queued", lease: "1 minute" })
      assert.deepStrictEqual([inbox.mode, inbox.lease, inbox.heartbeat], [
        "queued",
        Duration.minutes(1),
        Duration.seconds(20)
      ])
      const stats = yield* WebhookInbox.stats.pipe(Effect.provideService(WebhookInbox.WebhookInbox, inbox))
      assert.strictEqual(stats.byStatus.pending, 0)
      const refused = yield* refusal(WebhookInbox.make({ heartbeat: "1 minute" }))
      assert.deepStrictEqual([refused._tag, refused.option], ["IllegalArgumentException", "heartbeat"])
    }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" })), Effect.scoped))

  describe("layerConfig", () => {
    const fromEnv = (variables: Record<string, string>, config?: Config.Config.Wrap<WebhookInbox.Options>) =>
      Effect.scoped(Effect.map(
        Layer.build(
          WebhookInbox.layerConfig(config).pipe(
            Layer.provide(SqliteClient.layer({ filename: ":memory:" })),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables)))))
          )
        ),
        (context) => Context.get(context, WebhookInbox.WebhookInbox)
      ))

    it.effect("reads WEBHOOK_MODE and WEBHOOK_LEASE, with the receiver's defaults: inline, 30 seconds", () =>
      Effect.gen(function*() {
        const defaults = yield* fromEnv({})
        assert.deepStrictEqual([defaults.mode, defaults.lease, defaults.heartbeat], [
          "inline",
          Duration.seconds(30),
          Duration.seconds(10)
        ])
        const set = yield* fromEnv({ WEBHOOK_MODE: "queued", WEBHOOK_LEASE: "90 seconds" })
        assert.deepStrictEqual([set.mode, set.lease, set.heartbeat], [
          "queued",
          Duration.seconds(90),
          Duration.seconds(30)
        ])
      }))

    it.effect("fails with a ConfigError naming the variable and what it accepts", () =>
      Effect.gen(function*() {
        const mode = yield* Effect.flip(fromEnv({ WEBHOOK_MODE: "later" }))
        assert.isTrue(ConfigError.isConfigError(mode) && ConfigError.isInvalidData(mode))
        assert.include(String(mode), "WEBHOOK_MODE")
        assert.include(String(mode), "inline")
        const lease = yield* Effect.flip(fromEnv({ WEBHOOK_LEASE: "500 millis" }))
        assert.isTrue(ConfigError.isConfigError(lease) && ConfigError.isInvalidData(lease))
        assert.include(String(lease), "WEBHOOK_LEASE")
        assert.include(String(lease), "Expected at least 1 second")
      }))

    it.effect("takes a Config of its own, such as the receiver's with a longer retention", () =>
      Effect.gen(function*() {
        const longer = Config.map(WebhookInbox.config, (settings) => ({ ...settings, heartbeat: Duration.seconds(5) }))
        const inbox = yield* fromEnv({ WEBHOOK_LEASE: "1 minute" }, longer)
        assert.deepStrictEqual([inbox.lease, inbox.heartbeat], [Duration.minutes(1), Duration.seconds(5)])
        const wrapped = yield* fromEnv({ MY_MODE: "queued" }, { mode: Config.literal("inline", "queued")("MY_MODE") })
        assert.strictEqual(wrapped.mode, "queued")
        // Its options are checked as layerSql's are.
        const same = Config.map(WebhookInbox.config, (settings) => ({ ...settings, heartbeat: settings.lease }))
        const refused = yield* refusal(fromEnv({ WEBHOOK_LEASE: "2 seconds" }, same))
        assert.deepStrictEqual([refused.reason, refused.option], ["Conflict", "heartbeat"])
      }))
  })

  it("keeps InboxError where 0.2 had it, as a deprecated alias of WebhookError.InboxError", () => {
    assert.strictEqual(WebhookInbox.InboxError, WebhookError.InboxError)
    const error = new WebhookInbox.InboxError({ reason: "NotFound", message: "no such delivery", webhookId: "msg_1" })
    assert.instanceOf(error, WebhookError.InboxError)
    assert.strictEqual(error._tag, "InboxError")
  })
})

describe("composing the inbox with a route", () => {
  /** An inbox on a new SQLite database in memory, and its workers when `handle` is given: built in the scope. */
  const built = (mode: WebhookInbox.Mode, log: Log, handle?: Handle) => {
    const inbox = WebhookInbox.layerSql({ mode }).pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" })))
    return start(
      handle === undefined ? inbox : withWorkers(inbox, { handle }),
      log
    )
  }

  const listen = (listener: Effect.Effect<http.RequestListener, unknown, WebhookSecret.WebhookSecret>, log: Log) =>
    Effect.gen(function*() {
      const made = yield* listener.pipe(Effect.provide(Secret), Effect.provide(log.layer), Effect.orDie)
      const { port } = yield* listenLoopback(made)
      return (delivery: WebhookTesting.Signed) =>
        Effect.promise(async (): Promise<Reply> => {
          const response = await fetch(`http://127.0.0.1:${port}${WebhookHttp.defaultPath}`, {
            method: "POST",
            headers: delivery.headers,
            body: delivery.body as string
          })
          return { status: response.status, body: JSON.parse(await response.text()) as unknown }
        })
    })

  it.scopedLive("a queued route takes no handler and needs none of its services: the workers have them", () =>
    Effect.gen(function*() {
      class Ledger extends Context.Tag("test/Ledger")<Ledger, Array<string>>() {}
      const entries: Array<string> = []
      const log = observe()
      const inboxLive = WebhookInbox.layerSql({ mode: "queued" }).pipe(
        Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" }))
      )
      const workers = WebhookInbox.layerWorker({
        handle: (_event, delivery) =>
          Effect.flatMap(Ledger, (ledger) => Effect.sync(() => void ledger.push(delivery.id))),
        pollInterval: "20 millis"
      }).pipe(Layer.provide(inboxLive), Layer.provide(Layer.succeed(Ledger, entries)))
      const inbox = yield* start(Layer.merge(inboxLive, workers), log)
      // The route's type asks for the secret and the inbox, not the Ledger.
      type Needs = WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox
      const route: Effect.Effect<http.RequestListener, unknown, Needs> = WebhookHttp.makeNodeListener({
        inbox: "queued"
      })
      const post = yield* listen(Effect.provide(route, inbox.context), log)
      const delivery = yield* signed()
      assert.deepStrictEqual(yield* post(delivery), { status: 200, body: QUEUED })
      yield* log.waitFor("processed", (line) => line.message === "processed")
      assert.deepStrictEqual(entries, [idOf(delivery)])
      assert.deepStrictEqual(yield* post(delivery), { status: 200, body: DUPLICATE })
      assert.isUndefined(log.lines.find((line) => line.message === "deliveries are not deduplicated"))
    }))

  it.scopedLive("an inbox given to layerWorker only: a route that does not say inbox says so once, at start", () =>
    Effect.gen(function*() {
      const log = observe()
      const { calls, handle } = counting()
      // The slip the README's snippet made easy: the workers have the inbox, the route does not.
      yield* built("inline", log, handle)
      const post = yield* listen(WebhookHttp.makeNodeListener({ handle }), log)
      const delivery = yield* signed()
      for (let copy = 0; copy < 3; copy++) {
        assert.deepStrictEqual(yield* post(delivery), { status: 200, body: PROCESSED })
      }
      // Every copy ran the handler: no inbox in the route. Said once, when the listener was made, not per copy.
      assert.deepStrictEqual(calls, [idOf(delivery), idOf(delivery), idOf(delivery)])
      const warned = log.lines.filter((line) => line.message === "deliveries are not deduplicated")
      assert.strictEqual(warned.length, 1)
      assert.strictEqual(warned[0]!.level, "WARN")
      assert.include(String(warned[0]!.annotations["error"]), "not only to WebhookInbox.layerWorker")
      // Saying `inbox` makes the same slip a type error:
      type Listener = Effect.Effect<http.RequestListener, unknown, WebhookSecret.WebhookSecret>
      // @ts-expect-error the route requires a WebhookInbox, which only the workers were given
      const typed: Listener = WebhookHttp.makeNodeListener({ handle, inbox: "inline" })
      assert.isDefined(typed)
    }))

  it.scopedLive("a route that does not say inbox uses the inbox its context holds when it starts (0.2's route)", () =>
    Effect.gen(function*() {
      const log = observe()
      const { calls, handle } = counting()
      const inbox = yield* built("inline", log)
      const post = yield* listen(Effect.provide(WebhookHttp.makeNodeListener({ handle }), inbox.context), log)
      const delivery = yield* signed()
      assert.deepStrictEqual(yield* post(delivery), { status: 200, body: PROCESSED })
      assert.deepStrictEqual(yield* post(delivery), { status: 200, body: DUPLICATE })
      assert.deepStrictEqual(calls, [idOf(delivery)])
      assert.isUndefined(log.lines.find((line) => line.message === "deliveries are not deduplicated"))
    }))

  it.scopedLive("a route fails to start on an inbox of another mode than it says, saying how to build it", () =>
    Effect.gen(function*() {
      const log = observe()
      const inbox = yield* built("queued", log)
      const { handle } = counting()
      const error = yield* Effect.flip(
        WebhookHttp.makeNodeListener({ handle, inbox: "inline" }).pipe(
          Effect.provide(inbox.context),
          Effect.provide(Secret)
        )
      )
      assert.strictEqual(error._tag, "IllegalArgumentException")
      if (error._tag !== "IllegalArgumentException") return
      assert.deepStrictEqual([error.reason, error.option], ["Conflict", "inbox"])
      assert.strictEqual(
        error.message,
        "WebhookHttp: inbox: the route says inbox: \"inline\", and the WebhookInbox it is given is queued: build it " +
          "with WebhookInbox.layerSql({ mode: \"inline\" }) (or WEBHOOK_MODE=inline for WebhookInbox.layerConfig)"
      )
    }))
})

for (const engine of [sqlite, postgres]) {
  describe.skipIf(engine.skip)(`on ${engine.name}`, () => {
    describe("inline mode", () => {
      it.scopedLive("runs the handler once for 50 concurrent copies; the other 49 answer 200 duplicate", () =>
        Effect.gen(function*() {
          const copies = 50
          const log = observe()
          const database = yield* engine.database
          // The handler holds its claim until every copy has tried to claim: all 50 are in at once.
          const allClaimed = yield* Deferred.make<void>()
          let claims = 0
          const inbox = Layer.effect(
            WebhookInbox.WebhookInbox,
            Effect.map(WebhookInbox.WebhookInbox, (store): WebhookInbox.Store => ({
              ...store,
              claim: (...args) =>
                Effect.tap(store.claim(...args), () =>
                  ++claims === copies ? Deferred.succeed(allClaimed, undefined) : Effect.void)
            }))
          ).pipe(Layer.provideMerge(inboxLayer(database, { mode: "inline" })))
          const { calls, handle } = counting(() => Deferred.await(allClaimed))
          const server = yield* serve(handle, inbox, log)
          const delivery = yield* signed()
          const replies = yield* Effect.all(Array.from({ length: copies }, () => server.post(delivery)), {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual(replies.map((reply) => reply.status), Array(copies).fill(200))
          assert.strictEqual(answered(replies, PROCESSED), 1)
          assert.strictEqual(answered(replies, DUPLICATE), 49)
          assert.deepStrictEqual(calls, [idOf(delivery)])
          assert.strictEqual(log.of(idOf(delivery), "processed").length, 1)
          assert.strictEqual(log.of(idOf(delivery), "duplicate").length, 49)
          assert.strictEqual(yield* statusOf(server.store, idOf(delivery)), "done")
        }))

      it.scopedLive("answers a copy sent after a restart on the same database 200 duplicate, without the handler", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const delivery = yield* signed()
          const first = yield* Effect.scoped(
            Effect.flatMap(
              serve(handle, inboxLayer(database, { mode: "inline" }), log),
              (server) => server.post(delivery)
            )
          )
          assert.deepStrictEqual(first, { status: 200, body: PROCESSED })
          const restarted = yield* serve(handle, inboxLayer(database, { mode: "inline" }), log)
          assert.deepStrictEqual(yield* restarted.post(delivery), { status: 200, body: DUPLICATE })
          assert.deepStrictEqual(calls, [idOf(delivery)])
          assert.strictEqual(log.of(idOf(delivery), "duplicate").length, 1)
        }))

      it.scopedLive("answers 500 when the handler fails, and runs it again for the next copy (OpenAI's retry)", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting(failFirst)
          const server = yield* serve(handle, inboxLayer(database, { mode: "inline" }), log)
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 500, body: FAILED })
          const released = yield* rowOf(server.sql, idOf(delivery))
          assert.strictEqual(released?.status, "failed")
          assert.include(released?.lastError ?? "", "the database is down")
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: PROCESSED })
          assert.deepStrictEqual(calls, [idOf(delivery), idOf(delivery)])
          assert.deepStrictEqual(yield* rowOf(server.sql, idOf(delivery)), DONE_AT_SECOND_ATTEMPT)
          const lines = log.lines.filter((line) => line.annotations["webhook_id"] === idOf(delivery))
          assert.deepStrictEqual(lines.map((line) => line.message), ["failed", "processed"])
        }))

      it.scopedLive("answers 500 when the handler throws, gives the claim back, runs it again for the next copy", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const calls: Array<string> = []
          const throwFirst: Handle = (_event, delivery) => {
            calls.push(delivery.id)
            if (calls.length === 1) throw new Error("a bug in the handler")
            return Effect.void
          }
          const server = yield* serve(throwFirst, inboxLayer(database, { mode: "inline" }), log)
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 500, body: FAILED })
          const released = yield* rowOf(server.sql, idOf(delivery))
          assert.strictEqual(released?.status, "failed")
          assert.include(released?.lastError ?? "", "a bug in the handler")
          assert.include(log.of(idOf(delivery), "failed")[0]?.cause ?? "", "a bug in the handler")
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: PROCESSED })
          assert.deepStrictEqual(yield* rowOf(server.sql, idOf(delivery)), DONE_AT_SECOND_ATTEMPT)
        }))

      /** The one line of a copy that gave up on another instance's claim: it says so, and no handler ran. */
      const assertHeld = (log: Log, id: string, within: string) => {
        const [line, ...more] = log.lines.filter((line) => line.annotations["webhook_id"] === id)
        assert.deepStrictEqual(more, [])
        assert.strictEqual(line?.message, "failed")
        const error = String(line?.annotations["error"])
        assert.include(error, "held by another instance's claim (or another copy in this one)")
        assert.include(error, `did not end within ${within}`)
        assert.include(error, "OpenAI will retry")
        assert.notInclude(error, "handler")
      }

      it.scopedLive("answers 500 to a copy another instance's claim holds past the timeout, saying so", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const server = yield* serve(handle, inboxLayer(database, { mode: "inline" }), log, { timeout: "200 millis" })
          // Another instance, on the same database, claimed the delivery and then died holding the claim.
          const other = yield* start(inboxLayer(database, { mode: "inline" }), observe())
          const delivery = yield* signed()
          const claimed = yield* other.store.claim(idOf(delivery), "response.completed", 1)
          assert.isTrue(Option.isSome(claimed))
          assert.deepStrictEqual(yield* server.post(delivery), { status: 500, body: FAILED })
          yield* log.waitFor("the line", (line) => line.annotations["webhook_id"] === idOf(delivery))
          assertHeld(log, idOf(delivery), "200ms")
          assert.deepStrictEqual(calls, [])
          assert.strictEqual(yield* statusOf(server.store, idOf(delivery)), "processing")
        }))

      it.scoped("answers 500 to a copy another instance's claim holds for 10 s without a timeout, saying so", () =>
        Effect.gen(function*() {
          const startedAt = Date.now()
          yield* TestClock.setTime(startedAt)
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const server = yield* serve(handle, inboxLayer(database, { mode: "inline" }), log)
          const other = yield* start(inboxLayer(database, { mode: "inline" }), observe())
          const delivery = yield* signed()
          yield* other.store.claim(idOf(delivery), "response.completed", 1)
          const reply = yield* Effect.fork(server.post(delivery))
          // The copy found the claim held and waits, looking again every 50 ms.
          yield* eventually("the copy to wait", TestClock.sleeps(), (sleeps) => [...sleeps].includes(startedAt + 50))
          yield* TestClock.adjust("10 seconds")
          assert.deepStrictEqual(yield* Fiber.join(reply), { status: 500, body: FAILED })
          assertHeld(log, idOf(delivery), "10s")
          assert.deepStrictEqual(calls, [])
        }))

      it.scoped("runs the handler for a copy sent once a dead instance's claim has expired, and not before", () =>
        Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const lease = { mode: "inline", lease: "200 millis" } as const
          const server = yield* serve(handle, inboxLayer(database, lease), log, { timeout: "200 millis" })
          // Another instance claimed the delivery and died: no heartbeat renews its claim.
          const other = yield* start(inboxLayer(database, lease), observe())
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* other.store.claim(idOf(delivery), "response.completed", 1), Option.some(1))
          yield* TestClock.adjust("199 millis")
          assert.deepStrictEqual(yield* server.post(delivery), { status: 500, body: FAILED })
          yield* TestClock.adjust("1 millis")
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: PROCESSED })
          assert.deepStrictEqual(calls, [idOf(delivery)])
          assert.deepStrictEqual(yield* rowOf(server.sql, idOf(delivery)), DONE_AT_SECOND_ATTEMPT)
        }))

      it.scoped("keeps the claim of a handler that runs 3 times the lease: no other copy or instance takes it", () =>
        Effect.gen(function*() {
          const { calls, delivery, finish, id, log, other, server, started, startedAt } = yield* heartbeating(
            engine,
            "inline"
          )
          const first = yield* Effect.fork(server.post(delivery))
          yield* Deferred.await(started)
          assert.deepStrictEqual(heldIds(server.store), [id])
          // OpenAI's next copy arrives meanwhile, finds the claim held and waits, looking every 50 ms.
          const second = yield* Effect.fork(server.post(delivery))
          yield* eventually("the copy to wait", TestClock.sleeps(), (sleeps) => [...sleeps].includes(startedAt + 50))
          for (let beat = 1; beat <= 9; beat++) {
            yield* TestClock.adjust("100 millis")
            const now = startedAt + beat * 100
            yield* eventually(`renewal ${beat}`, lockedUntil(server.sql, id), (until) => until === now + 300)
            const claimed = yield* other.store.claim(id, "response.completed", 1)
            assert.deepStrictEqual(claimed, Option.none(), `at ${beat * 100} ms`)
          }
          yield* Deferred.succeed(finish, undefined)
          assert.deepStrictEqual(yield* Fiber.join(first), { status: 200, body: PROCESSED })
          // Let go with the attempt: no heartbeat renews it any more.
          assert.deepStrictEqual(heldIds(server.store), [])
          // Once the waiting copy has looked at 900 ms and sleeps again, its next look finds the delivery done.
          const lastLook = startedAt + 900 + 50
          yield* eventually("the copy to wait again", TestClock.sleeps(), (sleeps) => [...sleeps].includes(lastLook))
          yield* TestClock.adjust("50 millis")
          assert.deepStrictEqual(yield* Fiber.join(second), { status: 200, body: DUPLICATE })
          assert.deepStrictEqual(calls, [id])
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "done", attempts: 1, lastError: null })
          assert.deepStrictEqual(log.lines.filter((line) => line.level === "WARN"), [])
        }))

      it.scoped("says when a claim is found taken over, lets the handler end, answers 500 and leaves the row", () =>
        Effect.gen(function*() {
          const { calls, delivery, finish, id, interrupted, log, other, server, started } = yield* heartbeating(
            engine,
            "inline"
          )
          const reply = yield* Effect.fork(server.post(delivery))
          yield* Deferred.await(started)
          // This process stalled past its lease (its renewals did not run), and another instance took over.
          yield* expire(server.sql, id)
          assert.deepStrictEqual(yield* other.store.claim(id, "response.completed", 1), Option.some(2))
          yield* TestClock.adjust("100 millis")
          const takenOver = yield* log.waitFor("taken over", (line) => line.message === "taken over")
          assertTakenOver(takenOver, id)
          // Not interrupted: it ends as it would have.
          assert.isFalse(yield* Deferred.isDone(interrupted))
          yield* Deferred.succeed(finish, undefined)
          assert.deepStrictEqual(yield* Fiber.join(reply), { status: 500, body: FAILED })
          const lines = log.lines.filter((line) => line.annotations["webhook_id"] === id)
          assert.deepStrictEqual(lines.map((line) => line.message), ["taken over", "failed"])
          assert.include(lines[1]?.cause ?? "", "LeaseLost: another holder took this delivery over")
          assert.include(lines[1]?.cause ?? "", "this attempt's outcome is not recorded")
          // Neither done nor given back: the row is the new holder's, untouched.
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "processing", attempts: 2, lastError: null })
          assert.isTrue(yield* other.store.complete(id, 2))
          assert.deepStrictEqual(calls, [id])
        }))

      it.scoped("answers 500 and leaves the row when settling finds the claim taken over before any renewal did", () =>
        Effect.gen(function*() {
          const { delivery, finish, id, log, other, server, started } = yield* heartbeating(engine, "inline")
          const reply = yield* Effect.fork(server.post(delivery))
          yield* Deferred.await(started)
          yield* expire(server.sql, id)
          assert.deepStrictEqual(yield* other.store.claim(id, "response.completed", 1), Option.some(2))
          yield* Deferred.succeed(finish, undefined)
          assert.deepStrictEqual(yield* Fiber.join(reply), { status: 500, body: FAILED })
          const lines = log.lines.filter((line) => line.annotations["webhook_id"] === id)
          assert.deepStrictEqual(lines.map((line) => line.message), ["failed"])
          assert.include(lines[0]?.cause ?? "", "this attempt's outcome is not recorded")
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "processing", attempts: 2, lastError: null })
        }))

      it.scoped("logs a renewal's database error and keeps the claim with the next beat", () =>
        Effect.gen(function*() {
          const { delivery, finish, id, log, other, server, started, startedAt } = yield* heartbeating(engine, "inline")
          const reply = yield* Effect.fork(server.post(delivery))
          yield* Deferred.await(started)
          // For one beat, the database refuses every update of the table: that renewal fails there.
          yield* refuseUpdates(server.sql, true)
          yield* TestClock.adjust("100 millis")
          const warning = yield* log.waitFor("its warning", (line) => line.message.startsWith("inbox heartbeat"))
          assert.strictEqual(warning.message, "inbox heartbeat: database error, trying again at the next beat")
          assert.strictEqual(warning.level, "WARN")
          assert.deepStrictEqual([warning.annotations["webhook_id"], warning.annotations["attempt"]], [id, 1])
          assert.include(warning.cause, "SqlError: Failed to execute statement")
          yield* refuseUpdates(server.sql, false)
          yield* TestClock.adjust("100 millis")
          yield* eventually("the next renewal", lockedUntil(server.sql, id), (until) => until === startedAt + 500)
          yield* TestClock.adjust("250 millis")
          assert.deepStrictEqual(yield* other.store.claim(id, "response.completed", 1), Option.none())
          yield* Deferred.succeed(finish, undefined)
          assert.deepStrictEqual(yield* Fiber.join(reply), { status: 200, body: PROCESSED })
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "done", attempts: 1, lastError: null })
        }))
    })

    describe("queued mode", () => {
      it.scopedLive("answers 50 concurrent copies 200, queued once and duplicate 49 times; runs the handler once", () =>
        Effect.gen(function*() {
          const copies = 50
          const log = observe()
          const database = yield* engine.database
          const handled = yield* Deferred.make<string>()
          const { calls, handle } = counting()
          const inbox = withWorkers(inboxLayer(database, { mode: "queued" }), {
            handle: (event, delivery) =>
              Effect.zipRight(handle(event, delivery), Deferred.succeed(handled, delivery.id))
          })
          const server = yield* serve(handle, inbox, log)
          const delivery = yield* signed()
          const replies = yield* Effect.all(Array.from({ length: copies }, () => server.post(delivery)), {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual(replies.map((reply) => reply.status), Array(copies).fill(200))
          assert.strictEqual(answered(replies, QUEUED), 1)
          assert.strictEqual(answered(replies, DUPLICATE), 49)
          assert.strictEqual(yield* Deferred.await(handled), idOf(delivery))
          yield* log.waitFor("processed", (line) => line.message === "processed")
          // Done: no worker may take it again, and every copy has been answered.
          assert.strictEqual(yield* statusOf(server.store, idOf(delivery)), "done")
          assert.deepStrictEqual(calls, [idOf(delivery)])
          assert.strictEqual(log.of(idOf(delivery), "processed").length, 1)
          assert.strictEqual(log.of(idOf(delivery), "queued").length, 1)
          assert.strictEqual(log.of(idOf(delivery), "duplicate").length, 49)
        }))

      it.scopedLive("answers a copy sent after a restart on the same database 200 duplicate, without the handler", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const delivery = yield* signed()
          yield* Effect.scoped(Effect.gen(function*() {
            const server = yield* serve(handle, withWorkers(inboxLayer(database, { mode: "queued" }), { handle }), log)
            assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
            yield* log.waitFor("processed", (line) => line.message === "processed")
          }))
          const restarted = yield* serve(handle, withWorkers(inboxLayer(database, { mode: "queued" }), { handle }), log)
          assert.deepStrictEqual(yield* restarted.post(delivery), { status: 200, body: DUPLICATE })
          assert.deepStrictEqual(calls, [idOf(delivery)])
          assert.strictEqual(log.of(idOf(delivery), "duplicate").length, 1)
        }))

      it.scopedLive("processes after a restart the deliveries a stopped process had queued but not handled", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const constructed: Array<string> = []
          const eager: Handle = (event, delivery) => {
            constructed.push(delivery.id)
            return handle(event, delivery)
          }
          const deliveries = yield* Effect.all(Array.from({ length: 5 }, () => signed()))
          // No workers in the first life: the deliveries are stored and answered, then the process stops.
          // A route that does not say `inbox` (0.2's) takes a handler in queued mode too: it must not call it.
          yield* Effect.scoped(Effect.gen(function*() {
            const server = yield* serve(eager, inboxLayer(database, { mode: "queued" }), log, {}, "context")
            for (const delivery of deliveries) {
              assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
            }
          }))
          assert.deepStrictEqual(calls, [])
          // Not even called to build its Effect: a handler that does work before returning one must not run.
          assert.strictEqual(constructed.length, 0)
          const restarted = yield* start(withWorkers(inboxLayer(database, { mode: "queued" }), { handle }), log)
          for (const delivery of deliveries) {
            yield* log.waitFor(`processed ${idOf(delivery)}`, (line) =>
              line.message === "processed" && line.annotations["webhook_id"] === idOf(delivery))
            assert.strictEqual(yield* statusOf(restarted.store, idOf(delivery)), "done")
          }
          assert.sameMembers(calls, deliveries.map(idOf))
        }))

      it.scopedLive("retries a failed delivery on the schedule and processes it", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting(failFirst)
          const server = yield* serve(
            handle,
            withWorkers(inboxLayer(database, { mode: "queued" }), { handle, schedule: fastRetries }),
            log
          )
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          yield* log.waitFor("processed", (line) => line.message === "processed")
          assert.deepStrictEqual(calls, [idOf(delivery), idOf(delivery)])
          assert.deepStrictEqual(yield* rowOf(server.sql, idOf(delivery)), DONE_AT_SECOND_ATTEMPT)
          const [failed] = log.of(idOf(delivery), "failed")
          assert.strictEqual(failed?.level, "WARN")
          assert.strictEqual(failed?.annotations["attempt"], 1)
          assert.strictEqual(failed?.annotations["retry_in"], "10ms")
          assert.include(failed?.cause ?? "", "the database is down")
          assert.strictEqual(log.of(idOf(delivery), "processed")[0]?.annotations["attempt"], 2)
        }))

      it.scopedLive("interrupts a handler that outlives its timeout and retries the delivery on the schedule", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const interrupted = yield* Deferred.make<void>()
          const { calls, handle } = counting((call) =>
            call === 1
              ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
              : Effect.void
          )
          const server = yield* serve(
            handle,
            withWorkers(inboxLayer(database, { mode: "queued" }), {
              handle,
              schedule: fastRetries,
              timeout: "100 millis"
            }),
            log
          )
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          yield* log.waitFor("processed", (line) => line.message === "processed")
          yield* Deferred.await(interrupted)
          assert.deepStrictEqual(calls, [idOf(delivery), idOf(delivery)])
          const [failed] = log.of(idOf(delivery), "failed")
          assert.include(failed?.cause ?? "", "the handler did not finish within 100ms")
          assert.strictEqual(failed?.annotations["retry_in"], "10ms")
          assert.deepStrictEqual(yield* rowOf(server.sql, idOf(delivery)), DONE_AT_SECOND_ATTEMPT)
        }))

      it.scopedLive("keeps a delivery whose handler always fails as dead after the schedule, logging its body", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting(() => Effect.fail(new Error("the database is down")))
          const backoff = Schedule.exponential("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
          const server = yield* serve(
            handle,
            withWorkers(inboxLayer(database, { mode: "queued" }), { handle, schedule: backoff }),
            log
          )
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          const dead = yield* log.waitFor("dead", (line) => line.message === "dead")
          assert.strictEqual(dead.level, "ERROR")
          assert.strictEqual(dead.annotations["webhook_id"], idOf(delivery))
          assert.strictEqual(dead.annotations["body"], delivery.body)
          assert.include(dead.cause, "the database is down")
          // The schedule allows 3 retries, with exponential delays in between: 4 attempts in all.
          assert.strictEqual(calls.length, 4)
          assert.deepStrictEqual(
            log.of(idOf(delivery), "failed").slice(0, 3).map((line) => line.annotations["retry_in"]),
            ["10ms", "20ms", "40ms"]
          )
          const row = yield* rowOf(server.sql, idOf(delivery))
          assert.strictEqual(row?.status, "dead")
          assert.strictEqual(row?.attempts, calls.length)
          assert.include(row?.lastError ?? "", "the database is down")
        }))

      it.scopedLive("keeps a delivery whose handler throws as dead after the schedule, logging failed then dead", () =>
        Effect.gen(function*() {
          const log = observe()
          const database = yield* engine.database
          const calls: Array<string> = []
          // Throws instead of returning a failed Effect: a bug in user code, not a database error.
          const throwing: Handle = (_event, delivery) => {
            calls.push(delivery.id)
            throw new Error("a bug in the handler")
          }
          const twoRetries = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
          const server = yield* serve(
            throwing,
            withWorkers(inboxLayer(database, { mode: "queued" }), { handle: throwing, schedule: twoRetries }),
            log
          )
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          const dead = yield* log.waitFor("dead", (line) => line.message === "dead")
          assert.strictEqual(dead.annotations["webhook_id"], idOf(delivery))
          assert.include(dead.cause, "a bug in the handler")
          const failed = log.of(idOf(delivery), "failed")
          assert.deepStrictEqual(failed.slice(0, 2).map((line) => line.annotations["retry_in"]), ["10ms", "10ms"])
          for (const line of failed) assert.include(line.cause, "a bug in the handler")
          assert.deepStrictEqual(log.lines.filter((line) => line.message.startsWith("inbox worker")), [])
          const row = yield* rowOf(server.sql, idOf(delivery))
          assert.strictEqual(row?.status, "dead")
          assert.strictEqual(row?.attempts, calls.length)
          assert.include(row?.lastError ?? "", "a bug in the handler")
        }))

      it.scoped("keeps the lease of a worker whose handler runs three times the lease: no other worker takes it", () =>
        Effect.gen(function*() {
          const { calls, delivery, finish, id, log, other, server, started, startedAt } = yield* heartbeating(
            engine,
            "queued"
          )
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          // The idle worker looks again after its 20 ms poll interval, and takes it.
          yield* TestClock.adjust("20 millis")
          yield* Deferred.await(started)
          assert.deepStrictEqual(heldIds(server.store), [id])
          let renewed = startedAt + 20 + 300
          for (let beat = 1; beat <= 9; beat++) {
            // The heartbeat beats every 100 ms from the take: once in each step.
            const stepStart = startedAt + 20 + (beat - 1) * 100
            yield* TestClock.adjust("100 millis")
            const until = yield* eventually(`renewal ${beat}`, lockedUntil(server.sql, id), (until) => until! > renewed)
            assert.isAtLeast(until!, stepStart + 300)
            renewed = until!
            // Another process's worker looks for due deliveries at every beat.
            assert.deepStrictEqual(yield* other.store.take(1), [], `at ${beat * 100} ms`)
          }
          yield* Deferred.succeed(finish, undefined)
          const processed = yield* log.waitFor("processed", (line) => line.message === "processed")
          assert.strictEqual(processed.annotations["attempt"], 1)
          assert.deepStrictEqual(heldIds(server.store), [])
          assert.deepStrictEqual(calls, [id])
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "done", attempts: 1, lastError: null })
        }))

      it.scoped("says when a worker's lease is found taken over, lets the handler end, and records nothing of it", () =>
        Effect.gen(function*() {
          const setting = yield* heartbeating(engine, "queued")
          const { calls, delivery, finish, id, interrupted, log, other, server, started, startedAt } = setting
          assert.deepStrictEqual(yield* server.post(delivery), { status: 200, body: QUEUED })
          yield* TestClock.adjust("20 millis")
          yield* Deferred.await(started)
          // This process stalled past its lease, and another process's worker took the delivery over.
          yield* expire(server.sql, id)
          const taken = yield* other.store.take(1)
          assert.deepStrictEqual(taken.map((row) => [row.webhookId, row.attempts]), [[id, 2]])
          yield* TestClock.adjust("100 millis")
          assertTakenOver(yield* log.waitFor("taken over", (line) => line.message === "taken over"), id)
          assert.isFalse(yield* Deferred.isDone(interrupted))
          yield* Deferred.succeed(finish, undefined)
          const nextLook = startedAt + 120 + 20
          yield* eventually("the worker's next look", TestClock.sleeps(), (sleeps) => [...sleeps].includes(nextLook))
          assert.deepStrictEqual(
            log.lines.filter((line) => line.annotations["webhook_id"] === id).map((line) => line.message),
            ["queued", "taken over"]
          )
          // Neither done, retried nor dead: the row is the new holder's, untouched.
          assert.deepStrictEqual(yield* rowOf(server.sql, id), { status: "processing", attempts: 2, lastError: null })
          assert.isTrue(yield* other.store.complete(id, 2))
          assert.deepStrictEqual(calls, [id])
        }))

      it.scopedLive("runs 120 deliveries once each, in one attempt, with two processes' workers on one database", () =>
        Effect.gen(function*() {
          const count = 120
          const log = observe()
          const database = yield* engine.database
          const { calls, handle } = counting()
          const server = yield* serve(handle, inboxLayer(database, { mode: "queued" }), log)
          const deliveries = yield* Effect.all(Array.from({ length: count }, () => signed()))
          const replies = yield* Effect.all(deliveries.map(server.post), { concurrency: "unbounded" })
          assert.deepStrictEqual(replies.map((reply) => reply.status), Array(count).fill(200))
          // Two more "processes": each its own connection and eight slots, so that their takes of several rows
          // each contend for the same rows.
          yield* start(withWorkers(inboxLayer(database, { mode: "queued" }), { handle, concurrency: 8 }), log)
          yield* start(withWorkers(inboxLayer(database, { mode: "queued" }), { handle, concurrency: 8 }), log)
          for (const delivery of deliveries) {
            yield* log.waitFor(`processed ${idOf(delivery)}`, (line) =>
              line.message === "processed" && line.annotations["webhook_id"] === idOf(delivery))
          }
          assert.sameMembers(calls, deliveries.map(idOf))
          assert.strictEqual(calls.length, count)
          assert.strictEqual(log.lines.filter((line) => line.message === "processed").length, count)
          // Taken once each: a second take of a row would have started a second attempt.
          const attempts = yield* Effect.orDie(
            server.sql<{ attempts: unknown; n: unknown }>`SELECT attempts, COUNT(*) AS n FROM ${server.sql(TABLE)}
WHERE status = 'done' GROUP BY attempts`
          )
          assert.deepStrictEqual(attempts.map((row) => [Number(row.attempts), Number(row.n)]), [[1, count]])
        }))

      /**
       * On a fresh database, `count` deliveries stored in queued mode a millisecond apart (oldest first), and a
       * handler that records how many run at once and runs until its delivery's gate opens (`open(id)`);
       * `started` gives the ids in the order their handlers started. The TestClock stands still from then on:
       * a worker's poll never fires, so every take after its first comes from a slot freeing.
       */
      const gated = (count: number) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const log = observe()
          const database = yield* engine.database
          const { store } = yield* start(inboxLayer(database, { mode: "queued" }), log)
          const ids = Array.from({ length: count }, newId)
          const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))
          for (const id of ids) {
            assert.isTrue(yield* store.enqueue(id, "response.completed", 1, body))
            yield* TestClock.adjust("1 millis")
          }
          const gates = new Map(ids.map((id) => [id, Deferred.unsafeMake<void>(FiberId.none)]))
          const starts = yield* Queue.unbounded<string>()
          const running = { now: 0, most: 0 }
          const handle: Handle = (_event, delivery) =>
            Effect.suspend(() => {
              running.now++
              running.most = Math.max(running.most, running.now)
              return Effect.zipRight(Queue.offer(starts, delivery.id), Deferred.await(gates.get(delivery.id)!))
            }).pipe(Effect.ensuring(Effect.sync(() => running.now--)))
          const started = Queue.take(starts).pipe(
            Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("no handler started in 20 s") }),
            Effect.orDie,
            TestServices.provideLive
          )
          const open = (id: string) => Deferred.succeed(gates.get(id)!, undefined)
          return { database, handle, ids, log, open, running, started }
        })

      it.scoped("runs at most concurrency handlers at once, and takes the next delivery as soon as one ends", () =>
        Effect.gen(function*() {
          const { database, handle, ids, log, open, running, started } = yield* gated(7)
          yield* start(withWorkers(inboxLayer(database, { mode: "queued" }), { handle, concurrency: 3 }), log)
          // One take fills the three slots with the three oldest.
          const first = [yield* started, yield* started, yield* started]
          assert.sameMembers(first, ids.slice(0, 3))
          assert.strictEqual(running.now, 3)
          // Each handler that ends frees a slot, taken at once by the oldest delivery still due.
          for (const [i, id] of ids.entries()) {
            yield* open(id)
            yield* log.waitFor(`processed ${id}`, (line) =>
              line.message === "processed" && line.annotations["webhook_id"] === id)
            if (i + 3 < ids.length) assert.strictEqual(yield* started, ids[i + 3])
          }
          assert.strictEqual(running.most, 3)
          assert.strictEqual(running.now, 0)
          assert.deepStrictEqual(log.lines.filter((line) => line.message.startsWith("inbox worker")), [])
        }))

      it.scoped("keeps taking and processing other deliveries while one handler runs on", () =>
        Effect.gen(function*() {
          const { database, handle, ids, log, open, started } = yield* gated(6)
          const [slow, ...others] = ids
          yield* start(withWorkers(inboxLayer(database, { mode: "queued" }), { handle, concurrency: 2 }), log)
          // The oldest takes one of the two slots and keeps it; the other five go through the other slot.
          assert.sameMembers([yield* started, yield* started], [slow, others[0]])
          for (const [i, id] of others.entries()) {
            if (i > 0) assert.strictEqual(yield* started, id)
            yield* open(id)
            yield* log.waitFor(`processed ${id}`, (line) =>
              line.message === "processed" && line.annotations["webhook_id"] === id)
          }
          assert.deepStrictEqual(log.of(slow!, "processed"), [])
          const server = yield* start(inboxLayer(database, { mode: "queued" }), observe())
          assert.strictEqual(yield* statusOf(server.store, slow!), "processing")
          yield* open(slow!)
          yield* log.waitFor(`processed ${slow}`, (line) =>
            line.message === "processed" && line.annotations["webhook_id"] === slow)
        }))
    })

    describe("the store", () => {
      it.scoped("lets an id be claimed again once its lease has expired, and not before", () =>
        Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const database = yield* engine.database
          const { store } = yield* start(inboxLayer(database, { mode: "inline", lease: "200 millis" }), observe())
          const id = newId()
          const claim = store.claim(id, "response.completed", 1)
          assert.deepStrictEqual(yield* claim, Option.some(1))
          assert.deepStrictEqual(yield* claim, Option.none())
          yield* TestClock.adjust("199 millis")
          assert.deepStrictEqual(yield* claim, Option.none())
          yield* TestClock.adjust("1 millis")
          assert.deepStrictEqual(yield* claim, Option.some(2))
          assert.deepStrictEqual(yield* claim, Option.none())
          // The first holder's lease was taken over: its token no longer changes the row.
          yield* store.release(id, 1, "late failure of the first copy")
          assert.strictEqual(yield* statusOf(store, id), "processing")
          yield* store.complete(id, 2)
          yield* TestClock.adjust("1 hour")
          assert.deepStrictEqual(yield* claim, Option.none())
          assert.strictEqual(yield* statusOf(store, id), "done")
        }))

      it.scoped("renews a claim or a lease only while its token holds it, as settling does", () =>
        Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const database = yield* engine.database
          const { store } = yield* start(inboxLayer(database, { mode: "inline", lease: "200 millis" }), observe())
          const id = newId()
          const claim = store.claim(id, "response.completed", 1)
          assert.deepStrictEqual(yield* claim, Option.some(1))
          yield* TestClock.adjust("150 millis")
          assert.isTrue(yield* store.renew(id, 1))
          // 300 ms after the claim, past its first lease, but 150 ms after the renewal.
          yield* TestClock.adjust("150 millis")
          assert.deepStrictEqual(yield* claim, Option.none())
          yield* TestClock.adjust("50 millis")
          assert.deepStrictEqual(yield* claim, Option.some(2))
          assert.isFalse(yield* store.renew(id, 1))
          assert.isTrue(yield* store.renew(id, 2))
          yield* store.complete(id, 2)
          assert.isFalse(yield* store.renew(id, 2))
          assert.strictEqual(yield* statusOf(store, id), "done")
          assert.isFalse(yield* store.renew(newId(), 1))

          const queued = newId()
          assert.isTrue(yield* store.enqueue(queued, "response.completed", 1, "{}"))
          const taken = yield* store.take(1)
          assert.deepStrictEqual(taken.map((row) => [row.webhookId, row.attempts]), [[queued, 1]])
          yield* TestClock.adjust("150 millis")
          assert.isTrue(yield* store.renew(queued, 1))
          yield* TestClock.adjust("150 millis")
          assert.deepStrictEqual(yield* store.take(1), [])
          yield* TestClock.adjust("50 millis")
          assert.deepStrictEqual((yield* store.take(1)).map((row) => row.attempts), [2])
          assert.isFalse(yield* store.renew(queued, 1))
        }))

      it.scoped("gives a queued delivery to one worker at a time, and to another once the lease has expired", () =>
        Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const database = yield* engine.database
          const { store } = yield* start(inboxLayer(database, { mode: "queued", lease: "1 minute" }), observe())
          const id = newId()
          assert.isTrue(yield* store.enqueue(id, "response.completed", 1, "{}"))
          assert.isFalse(yield* store.enqueue(id, "response.completed", 1, "{}"))
          const [first, second] = yield* Effect.all([store.take(2), store.take(2)], { concurrency: 2 })
          assert.deepStrictEqual([...first, ...second].map((row) => [row.webhookId, row.attempts]), [[id, 1]])
          yield* TestClock.adjust("59 seconds")
          assert.deepStrictEqual(yield* store.take(2), [])
          yield* TestClock.adjust("1 second")
          const again = yield* store.take(2)
          assert.deepStrictEqual(again.map((row) => [row.webhookId, row.attempts]), [[id, 2]])
        }))

      it.scoped("purges handled deliveries older than the retention, and nothing else", () =>
        Effect.gen(function*() {
          const startedAt = Date.now() - 24 * 60 * 60 * 1000
          yield* TestClock.setTime(startedAt)
          const database = yield* engine.database
          const { store } = yield* start(
            inboxLayer(database, { mode: "inline", retention: "1 hour", purgeInterval: "1000 days" }),
            observe()
          )
          yield* purgeAsleep(startedAt + Duration.toMillis("1000 days"))
          const ids = Array.from({ length: 6 }, newId)
          const [oldDone, oldReleased, oldProcessing, oldPending, oldDead, recentDone] = ids
          yield* store.claim(oldDone!, "response.completed", 1)
          yield* store.complete(oldDone!, 1)
          yield* store.claim(oldReleased!, "response.completed", 1)
          yield* store.release(oldReleased!, 1, "boom")
          yield* store.claim(oldProcessing!, "response.completed", 1)
          yield* store.enqueue(oldPending!, "response.completed", 1, "{}")
          yield* store.enqueue(oldDead!, "response.completed", 1, "{}")
          const [taken] = yield* store.take(1)
          const deadId = taken!.webhookId
          // take leases the oldest due row: make sure the one made dead is oldDead, and oldPending stays pending.
          if (deadId !== oldDead) {
            yield* store.retry(deadId, 1, Number.MAX_SAFE_INTEGER, "not this one")
            const [next] = yield* store.take(1)
            assert.strictEqual(next?.webhookId, oldDead)
          }
          yield* store.dead(oldDead!, 1, "boom")
          yield* TestClock.adjust("2 hours")
          yield* store.claim(recentDone!, "response.completed", 1)
          yield* store.complete(recentDone!, 1)
          assert.strictEqual(yield* store.purge, 2)
          assert.deepStrictEqual(
            yield* Effect.forEach(ids, (id) => statusOf(store, id)),
            [undefined, undefined, "processing", "pending", "dead", "done"]
          )
        }))

      it.scoped("purges expired records periodically, every purgeInterval", () =>
        Effect.gen(function*() {
          const startedAt = Date.now() - 48 * 60 * 60 * 1000
          yield* TestClock.setTime(startedAt)
          const database = yield* engine.database
          const log = observe()
          const { store } = yield* start(
            inboxLayer(database, { mode: "inline", retention: "1 hour", purgeInterval: "90 minutes" }),
            log
          )
          const id = newId()
          yield* store.claim(id, "response.completed", 1)
          yield* store.complete(id, 1)
          yield* purgeAsleep(startedAt + Duration.toMillis("90 minutes"))
          yield* TestClock.adjust("89 minutes")
          assert.strictEqual(yield* statusOf(store, id), "done")
          yield* TestClock.adjust("1 minute")
          yield* eventually("the periodic purge", statusOf(store, id), (status) => status === undefined)
          yield* log.waitFor("purged", (line) => line.message === "purged 1 expired deliveries")
        }))

      it.scopedLive("migrates idempotently: one row per migration however many times an inbox starts", () =>
        Effect.gen(function*() {
          const database = yield* engine.database
          const startOnce = Effect.scoped(start(inboxLayer(database, { mode: "inline" }), observe()))
          yield* startOnce
          yield* startOnce
          // Two instances starting at once on the same database (only PostgreSQL serves several instances).
          if (engine === postgres) yield* Effect.all([startOnce, startOnce], { concurrency: 2 })
          const { sql, store } = yield* start(inboxLayer(database, { mode: "inline" }), observe())
          const migrations = yield* Effect.orDie(
            sql<{ migration_id: unknown; name: string }>`SELECT migration_id, name FROM ${sql(MIGRATIONS_TABLE)}
ORDER BY migration_id`
          )
          const recorded = migrations.map((row) => [Number(row.migration_id), row.name])
          assert.deepStrictEqual(recorded, [
            [1, "create_deliveries"],
            [2, "delivery_log"],
            [3, "attempt_outcome"],
            [4, "replay_marks"],
            [5, "delivery_counts"],
            [6, "trace_context"]
          ])
          const id = newId()
          assert.isTrue(Option.isSome(yield* store.claim(id, "response.completed", 1)))
          assert.strictEqual(yield* statusOf(store, id), "processing")
        }))
    })
  })
}
