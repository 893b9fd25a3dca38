/**
 * The delivery log on real engines (a SQLite file, and a fresh PostgreSQL schema, per test), through the
 * same test bodies: list, get, replay, recover, discard, stats, timeline, the attempts of every path, and
 * retention. Rows are made through the store's own statements, at times set on the `TestClock`; replays are
 * processed by a real worker, observed with `Deferred`s.
 */
import { randomBytes } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import {
  Context,
  Deferred,
  type Duration,
  Effect,
  Exit,
  FastCheck as fc,
  FiberId,
  HashMap,
  Layer,
  Logger,
  Option,
  Schedule,
  Scope,
  TestClock
} from "effect"
import { WebhookHttp, WebhookInbox, WebhookSecret, WebhookTesting, type WebhookEvent } from "../src/index.js"
import { listenLoopback } from "./support/http.js"
import { type Database, engines } from "./support/inbox-engines.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const Secret = WebhookSecret.layer(secret)

/** 2026-01-01T12:00:00Z: the TestClock's time when a test starts making rows. */
const T0 = Date.UTC(2026, 0, 1, 12)
const MINUTE = 60_000

const newId = () => `msg_${randomBytes(12).toString("hex")}`

const bodyOf = (type: WebhookEvent.EventType) => WebhookTesting.encode(WebhookTesting.sample(type))

interface Inbox {
  readonly store: WebhookInbox.Store
  readonly sql: SqlClient.SqlClient
  readonly context: Context.Context<WebhookInbox.WebhookInbox | SqlClient.SqlClient>
}

/** The inbox on a new connection to `database`, until the scope closes. */
const open = (
  database: Database,
  options: WebhookInbox.Options = {}
): Effect.Effect<Inbox, never, Scope.Scope> =>
  Effect.map(
    Effect.orDie(Layer.build(WebhookInbox.layerSql(options).pipe(Layer.provideMerge(database.client())))),
    (context) => ({
      store: Context.get(context, WebhookInbox.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient),
      context
    })
  )

/** Runs a log operation of the public module on `inbox`. */
const on = <A, E>(inbox: Inbox, effect: Effect.Effect<A, E, WebhookInbox.WebhookInbox>) =>
  Effect.provide(effect, inbox.context)

/**
 * Rows in every status, made through the store's statements at `time` (ms, set on the TestClock), as the
 * protocol makes them; on the live clock (`live`), now, whatever `time` says.
 */
const make = (store: WebhookInbox.Store, live = false) => {
  const at = (time: number) => live ? Effect.void : TestClock.setTime(time)
  const claimed = (id: string, type: WebhookEvent.EventType, time: number) =>
    Effect.zipRight(
      at(time),
      Effect.map(Effect.orDie(store.claim(id, type, 1_767_268_800, bodyOf(type))), Option.getOrThrow)
    )
  return {
    /** Received at `time`, pending for a worker (queued mode). */
    pending: (type: WebhookEvent.EventType, time: number, id = newId()) =>
      Effect.as(Effect.zipRight(at(time), Effect.orDie(store.enqueue(id, type, 1_767_268_800, bodyOf(type)))), id),
    /** Received at `time`, processed at once. */
    done: (type: WebhookEvent.EventType, time: number, id = newId()) =>
      Effect.flatMap(claimed(id, type, time), (token) => Effect.as(Effect.orDie(store.complete(id, token)), id)),
    /** Received at `time`, its handler failed (inline). */
    failed: (type: WebhookEvent.EventType, time: number, id = newId()) =>
      Effect.flatMap(claimed(id, type, time), (token) =>
        Effect.as(Effect.orDie(store.release(id, token, "Error: the handler failed")), id)),
    /** Received at `time`, a failed attempt, due again a minute later (queued). */
    retrying: (type: WebhookEvent.EventType, time: number, id = newId()) =>
      Effect.flatMap(claimed(id, type, time), (token) =>
        Effect.as(Effect.orDie(store.retry(id, token, time + MINUTE, "Error: the handler failed")), id)),
    /** Received at `time`, dead. */
    dead: (type: WebhookEvent.EventType, time: number, id = newId()) =>
      Effect.flatMap(claimed(id, type, time), (token) =>
        Effect.as(Effect.orDie(store.dead(id, token, "Error: the handler always fails")), id)),
    /** Received at `time`, a handler runs it now (a live claim). */
    processing: (type: WebhookEvent.EventType, time: number, id = newId()) => Effect.as(claimed(id, type, time), id)
  }
}

/**
 * Named one-shot signals, given by code or by log lines (`"<message> <webhook_id>"`: the worker's
 * `processed`, `failed`, `dead`), and waited for: real synchronisation, no polling.
 */
const signalsOf = () => {
  const signals = new Map<string, Deferred.Deferred<void>>()
  const of = (key: string) => {
    let signal = signals.get(key)
    if (signal === undefined) signals.set(key, signal = Deferred.unsafeMake<void>(FiberId.none))
    return signal
  }
  const logger = Logger.make(({ annotations, message }) => {
    const id = HashMap.get(annotations, "webhook_id")
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    if (Option.isSome(id)) Deferred.unsafeDone(of(`${text} ${String(id.value)}`), Exit.void)
  })
  return {
    logger,
    signal: (key: string) => Deferred.succeed(of(key), undefined),
    wait: (key: string) => Deferred.await(of(key))
  }
}

/** Every delivery, paging with `limit`. */
const all = (inbox: Inbox, query: WebhookInbox.ListQuery) =>
  Effect.gen(function*() {
    const seen: Array<WebhookInbox.DeliveryRecord> = []
    let page = yield* on(inbox, WebhookInbox.list(query))
    seen.push(...page.deliveries)
    while (page.next !== null) {
      page = yield* on(inbox, WebhookInbox.list({ ...query, after: page.next }))
      seen.push(...page.deliveries)
    }
    return seen
  })

const ids = (deliveries: ReadonlyArray<WebhookInbox.DeliveryRecord>) => deliveries.map((delivery) => delivery.webhookId)

/** The `InboxError` `effect` fails with. */
const inboxError = <A, E>(effect: Effect.Effect<A, E | WebhookInbox.InboxError>) =>
  Effect.flatMap(Effect.flip(effect), (error) =>
    error instanceof WebhookInbox.InboxError
      ? Effect.succeed(error)
      : Effect.dieMessage(`not an InboxError: ${String(error)}`))

for (const engine of engines("inbox-log.test.ts")) {
  describe.skipIf(engine.skip)(`the delivery log on ${engine.name}`, () => {
    const fresh = (options: WebhookInbox.Options = {}, live = false) =>
      Effect.gen(function*() {
        // Before the inbox starts: moving the TestClock by years would run its hourly purge for each hour.
        if (!live) yield* TestClock.setTime(T0 - 2 * 60 * MINUTE)
        const database = yield* engine.database
        const inbox = yield* open(database, options)
        return { database, inbox, rows: make(inbox.store, live) }
      })

    describe("list", () => {
      it.scoped("lists newest first, with every field, and says when there is no next page", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const first = yield* rows.done("response.completed", T0)
          const second = yield* rows.failed("batch.failed", T0 + MINUTE)
          const third = yield* rows.pending("batch.completed", T0 + 2 * MINUTE)
          const page = yield* on(inbox, WebhookInbox.list())
          assert.deepStrictEqual(ids(page.deliveries), [third, second, first])
          assert.isNull(page.next)
          const [pending, failed, done] = page.deliveries
          assert.deepStrictEqual(done, {
            webhookId: first,
            eventType: "response.completed",
            timestamp: new Date(1_767_268_800_000),
            receivedAt: new Date(T0),
            updatedAt: new Date(T0),
            status: "done",
            attempts: 1,
            lastError: null,
            nextAttemptAt: null
          })
          assert.strictEqual(failed?.status, "failed")
          assert.strictEqual(failed?.lastError, "Error: the handler failed")
          assert.strictEqual(pending?.status, "pending")
          assert.strictEqual(pending?.attempts, 0)
          assert.deepStrictEqual(pending?.nextAttemptAt, new Date(T0 + 2 * MINUTE))
        }))

      it.scoped("orders deliveries received in the same millisecond by webhook-id, newest first", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          for (const id of ["msg_b", "msg_a", "msg_c"]) yield* rows.done("response.completed", T0, id)
          assert.deepStrictEqual(ids((yield* on(inbox, WebhookInbox.list())).deliveries), ["msg_c", "msg_b", "msg_a"])
          assert.deepStrictEqual(ids(yield* all(inbox, { limit: 1 })), ["msg_c", "msg_b", "msg_a"])
        }))

      it.scoped.prop(
        "pages through every delivery once, in order, whatever the page size and however times tie",
        { times: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 25 }), limit: fc.integer({ min: 1, max: 7 }) },
        ({ limit, times }) =>
          Effect.gen(function*() {
            const { inbox, rows } = yield* fresh()
            const made: Array<{ id: string; at: number }> = []
            for (const [i, minute] of times.entries()) {
              const id = `msg_${String(i).padStart(2, "0")}_${randomBytes(2).toString("hex")}`
              yield* rows.done("response.completed", T0 + minute * MINUTE, id)
              made.push({ id, at: T0 + minute * MINUTE })
            }
            const expected = made
              .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
              .map((row) => row.id)
            assert.deepStrictEqual(ids(yield* all(inbox, { limit })), expected)
          }),
        { fastCheck: { numRuns: 12 } }
      )

      it.scoped("filters by status, one or several", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const done = yield* rows.done("response.completed", T0)
          const failed = yield* rows.failed("response.completed", T0 + 1)
          const dead = yield* rows.dead("response.completed", T0 + 2)
          const pending = yield* rows.pending("response.completed", T0 + 3)
          const processing = yield* rows.processing("response.completed", T0 + 4)
          const list = (status: WebhookInbox.ListQuery["status"]) =>
            Effect.map(on(inbox, WebhookInbox.list({ status })), (page) => ids(page.deliveries))
          assert.deepStrictEqual(yield* list("done"), [done])
          assert.deepStrictEqual(yield* list("failed"), [failed])
          assert.deepStrictEqual(yield* list(["dead", "pending"]), [pending, dead])
          assert.deepStrictEqual(yield* list(["processing"]), [processing])
          assert.deepStrictEqual(yield* list(undefined), [processing, pending, dead, failed, done])
        }))

      it.scoped("filters by an exact event type, or a family prefix in which _ and % are plain characters", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const completed = yield* rows.done("batch.completed", T0)
          const failed = yield* rows.done("batch.failed", T0 + 1)
          const response = yield* rows.done("response.completed", T0 + 2)
          const fineTuning = yield* rows.done("fine_tuning.job.succeeded", T0 + 3)
          // What a LIKE pattern or a case-insensitive comparison would wrongly take for the families below.
          const lookalike = newId()
          yield* TestClock.setTime(T0 + 4)
          yield* Effect.orDie(inbox.store.enqueue(lookalike, "fineXtuning.job.x", 1, "{}"))
          const upper = newId()
          yield* Effect.orDie(inbox.store.enqueue(upper, "BATCH.completed", 1, "{}"))
          const list = (eventType: string) =>
            Effect.map(on(inbox, WebhookInbox.list({ eventType })), (page) => ids(page.deliveries))
          assert.deepStrictEqual(yield* list("batch.completed"), [completed])
          assert.deepStrictEqual(yield* list("batch."), [failed, completed])
          assert.deepStrictEqual(yield* list("fine_tuning."), [fineTuning])
          assert.deepStrictEqual(yield* list("response."), [response])
          // A name without a dot is a family (every type has a dot): `batch` lists what `batch.` lists.
          assert.deepStrictEqual(yield* list("batch"), [failed, completed])
          assert.deepStrictEqual(yield* list("fine_tuning"), [fineTuning])
          assert.deepStrictEqual(yield* list("batc"), [])
          assert.deepStrictEqual(yield* list("%."), [])
        }))

      it.scoped("filters by received time: since included, until excluded", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const at0 = yield* rows.done("response.completed", T0)
          const at1 = yield* rows.done("response.completed", T0 + MINUTE)
          const at2 = yield* rows.done("response.completed", T0 + 2 * MINUTE)
          const list = (query: WebhookInbox.ListQuery) =>
            Effect.map(on(inbox, WebhookInbox.list(query)), (page) => ids(page.deliveries))
          assert.deepStrictEqual(yield* list({ since: new Date(T0 + MINUTE) }), [at2, at1])
          assert.deepStrictEqual(yield* list({ until: new Date(T0 + MINUTE) }), [at0])
          assert.deepStrictEqual(
            yield* list({ since: new Date(T0 + MINUTE), until: new Date(T0 + 2 * MINUTE) }),
            [at1]
          )
          assert.deepStrictEqual(
            yield* list({
              since: new Date(T0),
              until: new Date(T0 + 3 * MINUTE),
              status: "done",
              eventType: "response."
            }),
            [at2, at1, at0]
          )
        }))

      it.scoped("defaults to 50 a page and refuses a limit out of 1 to 500, a foreign cursor, since after until", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          for (let i = 0; i < 51; i++) yield* rows.pending("response.completed", T0 + i)
          const page = yield* on(inbox, WebhookInbox.list())
          assert.strictEqual(page.deliveries.length, 50)
          assert.isString(page.next)
          assert.strictEqual((yield* on(inbox, WebhookInbox.list({ limit: 500 }))).deliveries.length, 51)
          for (const limit of [0, 501, 1.5, Number.NaN]) {
            const error = yield* inboxError(on(inbox, WebhookInbox.list({ limit })))
            assert.strictEqual(error.reason, "InvalidQuery")
            assert.include(error.message, "limit must be a whole number from 1 to 500")
          }
          for (const after of ["nonsense!", "bm9wZQ", "", Buffer.from("[1]").toString("base64url")]) {
            const error = yield* inboxError(on(inbox, WebhookInbox.list({ after })))
            assert.strictEqual(error.reason, "InvalidQuery", after)
            assert.include(error.message, "not a cursor of this inbox")
          }
          const backwards = yield* inboxError(
            on(inbox, WebhookInbox.list({ since: new Date(T0 + 1), until: new Date(T0) }))
          )
          assert.strictEqual(backwards.reason, "InvalidQuery")
          assert.include(backwards.message, "is after until")
          const unknown = yield* inboxError(
            on(inbox, WebhookInbox.list({ status: "released" as WebhookInbox.Status }))
          )
          assert.include(unknown.message, `"released" is not one of processing, done, failed, pending, dead`)
          const invalidDate = yield* inboxError(on(inbox, WebhookInbox.list({ since: new Date(Number.NaN) })))
          assert.include(invalidDate.message, "since must be a valid Date")
        }))
    })

    describe("get", () => {
      it.scoped("gives a delivery with its body and its attempts, oldest first; none for an unknown id", () =>
        Effect.gen(function*() {
          const { inbox } = yield* fresh()
          const id = newId()
          const body = bodyOf("batch.completed")
          yield* TestClock.setTime(T0)
          const first = yield* Effect.orDie(inbox.store.claim(id, "batch.completed", 1_767_268_800, body))
          yield* TestClock.setTime(T0 + 1500)
          yield* Effect.orDie(inbox.store.release(id, Option.getOrThrow(first), "Error: boom"))
          yield* TestClock.setTime(T0 + 2000)
          const second = yield* Effect.orDie(inbox.store.claim(id, "batch.completed", 1_767_268_800, "another body"))
          yield* TestClock.setTime(T0 + 2250)
          yield* Effect.orDie(inbox.store.complete(id, Option.getOrThrow(second)))
          const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
          assert.strictEqual(detail.body, body, "the first body is kept")
          assert.strictEqual(detail.status, "done")
          assert.strictEqual(detail.attempts, 2)
          assert.deepStrictEqual(detail.history, [
            {
              attempt: 1,
              startedAt: new Date(T0),
              endedAt: new Date(T0 + 1500),
              outcome: "failed",
              error: "Error: boom",
              durationMs: 1500
            },
            {
              attempt: 2,
              startedAt: new Date(T0 + 2000),
              endedAt: new Date(T0 + 2250),
              outcome: "processed",
              error: null,
              durationMs: 250
            }
          ])
          assert.isTrue(Option.isNone(yield* on(inbox, WebhookInbox.get(newId()))))
        }))
    })

    describe("replay", () => {
      /**
       * A worker on `inbox`, one delivery at a time; `settled(id)` waits for its `processed` line about `id`,
       * which it writes once the row is settled.
       */
      const worker = (inbox: Inbox) =>
        Effect.gen(function*() {
          const signals = signalsOf()
          yield* Layer.build(
            WebhookInbox.layerWorker({
              handle: () => Effect.void,
              concurrency: 1,
              pollInterval: "20 millis",
              schedule: Schedule.stop
            })
          ).pipe(Effect.provide(inbox.context), Effect.provide(Logger.replace(Logger.defaultLogger, signals.logger)))
          return { settled: (id: string) => signals.wait(`processed ${id}`) }
        })

      it.scopedLive("processes a done, a failed and a dead delivery again with a worker, counting attempts on", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh({ mode: "inline" }, true)
          const now = Date.now()
          const done = yield* rows.done("response.completed", now)
          const failed = yield* rows.failed("response.completed", now)
          const dead = yield* rows.dead("response.completed", now)
          const { settled } = yield* worker(inbox)
          for (const id of [done, failed, dead]) {
            yield* on(inbox, WebhookInbox.replay(id))
            yield* settled(id)
            const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
            assert.strictEqual(detail.status, "done", id)
            // The attempt the replay made is marked so; the first is not.
            assert.deepStrictEqual(
              detail.history.map((attempt) => [attempt.attempt, attempt.outcome, attempt.replayed ?? false]),
              [
                [1, id === done ? "processed" : "failed", false],
                [2, "processed", true]
              ]
            )
          }
        }))

      it.scoped("refuses a delivery a handler runs now, an unknown one, and one stored without its body", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const running = yield* rows.processing("response.completed", T0)
          const inProgress = yield* inboxError(on(inbox, WebhookInbox.replay(running)))
          assert.deepStrictEqual([inProgress.reason, inProgress.webhookId], ["InProgress", running])
          const unknown = newId()
          const notFound = yield* inboxError(on(inbox, WebhookInbox.replay(unknown)))
          assert.deepStrictEqual([notFound.reason, notFound.webhookId], ["NotFound", unknown])
          const bodiless = newId()
          const token = yield* Effect.orDie(inbox.store.claim(bodiless, "response.completed", 1))
          yield* Effect.orDie(inbox.store.complete(bodiless, Option.getOrThrow(token)))
          const noBody = yield* inboxError(on(inbox, WebhookInbox.replay(bodiless)))
          assert.deepStrictEqual([noBody.reason, noBody.webhookId], ["NoBody", bodiless])
          // Once the claim has expired (its process died), the delivery is replayed.
          yield* TestClock.adjust(inbox.store.lease)
          yield* on(inbox, WebhookInbox.replay(running))
          const replayed = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(running)))
          assert.strictEqual(replayed.status, "pending")
          assert.deepStrictEqual(replayed.nextAttemptAt, new Date(T0 + 30_000))
        }))
    })

    describe("recover", () => {
      it.scoped("makes pending every failed and dead delivery with a body received in the window; says how many", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const before = yield* rows.failed("response.completed", T0 - 1)
          const failed = yield* rows.failed("response.completed", T0)
          const retrying = yield* rows.retrying("response.completed", T0 + 1)
          const dead = yield* rows.dead("response.completed", T0 + 2)
          const done = yield* rows.done("response.completed", T0 + 3)
          const neverFailed = yield* rows.pending("response.completed", T0 + 4)
          const running = yield* rows.processing("response.completed", T0 + 5)
          const atUntil = yield* rows.dead("response.completed", T0 + 10 * MINUTE)
          const bodiless = newId()
          yield* TestClock.setTime(T0 + 6)
          const token = yield* Effect.orDie(inbox.store.claim(bodiless, "response.completed", 1))
          yield* Effect.orDie(inbox.store.release(bodiless, Option.getOrThrow(token), "Error"))
          yield* TestClock.setTime(T0 + 20 * MINUTE)
          const window = { since: new Date(T0), until: new Date(T0 + 10 * MINUTE) }
          assert.strictEqual(yield* on(inbox, WebhookInbox.recover({ ...window, status: ["failed"] })), 2)
          assert.strictEqual(yield* on(inbox, WebhookInbox.recover({ ...window, status: "dead" })), 1)
          const statuses = yield* Effect.forEach(
            [before, failed, retrying, dead, done, neverFailed, running, atUntil, bodiless],
            (id) => Effect.map(on(inbox, WebhookInbox.get(id)), (detail) => Option.getOrThrow(detail))
          )
          assert.deepStrictEqual(statuses.map((delivery) => delivery.status), [
            "failed",
            "pending",
            "pending",
            "pending",
            "done",
            "pending",
            "processing",
            "dead",
            "failed"
          ])
          assert.deepStrictEqual(
            statuses.map((delivery) => delivery.nextAttemptAt?.getTime()).slice(1, 4),
            [T0 + 20 * MINUTE, T0 + 20 * MINUTE, T0 + 20 * MINUTE],
            "due now"
          )
          assert.deepStrictEqual(statuses[5]?.nextAttemptAt, new Date(T0 + 4), "one that never failed is left as it is")
          // Both at once (the default): the dead one recovered above is pending after a failure, and counts again.
          assert.strictEqual(yield* on(inbox, WebhookInbox.recover({ since: new Date(0) })), 5)
          const error = yield* inboxError(
            on(inbox, WebhookInbox.recover({ since: new Date(T0 + 1), until: new Date(T0) }))
          )
          assert.strictEqual(error.reason, "InvalidQuery")
        }))
    })

    describe("discard", () => {
      it.scoped("deletes a dead delivery and its attempts; refuses one that is not dead, or unknown", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const dead = yield* rows.dead("response.completed", T0)
          const done = yield* rows.done("response.completed", T0)
          yield* on(inbox, WebhookInbox.discard(dead))
          assert.isTrue(Option.isNone(yield* on(inbox, WebhookInbox.get(dead))))
          const attempts = yield* Effect.orDie(
            inbox.sql`SELECT COUNT(*) AS n FROM openai_webhook_attempts WHERE webhook_id = ${dead}`
          )
          assert.strictEqual(Number(attempts[0]?.["n"]), 0)
          const notDead = yield* inboxError(on(inbox, WebhookInbox.discard(done)))
          assert.deepStrictEqual([notDead.reason, notDead.webhookId], ["NotDead", done])
          assert.include(notDead.message, "is done, not dead")
          const notFound = yield* inboxError(on(inbox, WebhookInbox.discard(dead)))
          assert.strictEqual(notFound.reason, "NotFound")
        }))
    })

    describe("stats and timeline", () => {
      it.scoped("counts by status and event type, and the age of the oldest waiting delivery", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          const empty = yield* on(inbox, WebhookInbox.stats)
          assert.deepStrictEqual(empty, {
            byStatus: { processing: 0, done: 0, failed: 0, pending: 0, dead: 0 },
            byEventType: [],
            oldestPendingAgeMs: null
          })
          yield* rows.done("response.completed", T0)
          yield* rows.done("response.completed", T0)
          yield* rows.failed("batch.failed", T0 + MINUTE)
          yield* rows.pending("batch.failed", T0 + 2 * MINUTE)
          yield* rows.dead("response.completed", T0 + 3 * MINUTE)
          yield* TestClock.setTime(T0 + 10 * MINUTE)
          assert.deepStrictEqual(yield* on(inbox, WebhookInbox.stats), {
            byStatus: { processing: 0, done: 2, failed: 1, pending: 1, dead: 1 },
            byEventType: [
              { eventType: "batch.failed", status: "failed", count: 1 },
              { eventType: "batch.failed", status: "pending", count: 1 },
              { eventType: "response.completed", status: "done", count: 2 },
              { eventType: "response.completed", status: "dead", count: 1 }
            ],
            oldestPendingAgeMs: 9 * MINUTE
          })
        }))

      it.scoped("counts deliveries per bucket by status, every bucket present, by minute over the last hour", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh()
          yield* rows.done("response.completed", T0 - 61 * MINUTE) // before the hour
          yield* rows.done("response.completed", T0 - 59 * MINUTE + 5)
          yield* rows.done("response.completed", T0 - 59 * MINUTE + 59_999)
          yield* rows.failed("response.completed", T0 - 59 * MINUTE + 10)
          yield* rows.dead("response.completed", T0 + 30_000)
          yield* TestClock.setTime(T0 + 30_001)
          const buckets = yield* on(inbox, WebhookInbox.timeline())
          assert.strictEqual(buckets.length, 61)
          assert.deepStrictEqual(buckets[0]?.start, new Date(T0 - 60 * MINUTE))
          assert.deepStrictEqual(buckets[60]?.start, new Date(T0))
          const zero = { processing: 0, done: 0, failed: 0, pending: 0, dead: 0 }
          assert.deepStrictEqual(buckets[0]?.counts, zero)
          assert.deepStrictEqual(buckets[1]?.counts, { ...zero, done: 2, failed: 1 })
          assert.deepStrictEqual(buckets[60]?.counts, { ...zero, dead: 1 })
          const total = (bucket: WebhookInbox.TimelineBucket) => Object.values(bucket.counts).reduce((a, b) => a + b)
          assert.deepStrictEqual(buckets.slice(2, 60).map(total), Array(58).fill(0))
          const hourly = yield* on(
            inbox,
            WebhookInbox.timeline({ since: new Date(T0 - 2 * 60 * MINUTE), bucket: "1 hour" })
          )
          assert.deepStrictEqual(hourly.map(total), [1, 3, 1])
          const tooMany = yield* inboxError(
            on(inbox, WebhookInbox.timeline({ since: new Date(0), bucket: "1 second" }))
          )
          assert.strictEqual(tooMany.reason, "InvalidQuery")
          const nothing = yield* inboxError(on(inbox, WebhookInbox.timeline({ bucket: "0 millis" })))
          assert.strictEqual(nothing.reason, "InvalidQuery")
        }))
    })

    describe("attempts", () => {
      /**
       * The Node listener with `handle` on an inbox in `mode` on a real loopback port, and a worker (one at a
       * time, failures retried once at once, then dead) in queued mode. `settled(id)` waits for the line the
       * worker writes once it has settled `id`; `released(id)`, for the inline claim on `id` given back.
       */
      const serve = (
        mode: WebhookInbox.Mode,
        handle: (event: WebhookEvent.UnwrapWebhookEvent) => Effect.Effect<void, unknown>,
        timeout?: Duration.DurationInput
      ) =>
        Effect.gen(function*() {
          const { inbox } = yield* fresh({ mode }, true)
          const signals = signalsOf()
          // The real store; its `release` also says when it is done, for the claim an edge timeout gives back
          // after it has answered.
          const store: WebhookInbox.Store = {
            ...inbox.store,
            release: (...args) => Effect.ensuring(inbox.store.release(...args), signals.signal(`released ${args[0]}`))
          }
          const context = Context.add(inbox.context, WebhookInbox.WebhookInbox, store)
          const bounded = timeout === undefined ? {} : { timeout }
          const logger = Logger.replace(Logger.defaultLogger, signals.logger)
          if (mode === "queued") {
            yield* Layer.build(
              WebhookInbox.layerWorker({
                handle,
                concurrency: 1,
                pollInterval: "20 millis",
                schedule: Schedule.recurs(1),
                ...bounded
              })
            ).pipe(Effect.provide(context), Effect.provide(logger))
          }
          const listener = yield* WebhookHttp.makeNodeListener({ handle, ...bounded })
            .pipe(Effect.provide(context), Effect.provide(Secret), Effect.provide(logger))
          const { port } = yield* listenLoopback(listener)
          const post = (type: WebhookEvent.EventType = "response.completed") =>
            Effect.gen(function*() {
              const delivery = yield* Effect.orDie(WebhookTesting.sign({ event: WebhookTesting.sample(type), secret }))
              const status = yield* Effect.promise(() =>
                fetch(`http://127.0.0.1:${port}${WebhookHttp.DEFAULT_PATH}`, {
                  method: "POST",
                  headers: delivery.headers,
                  body: delivery.body
                }).then(async (response) => {
                  await response.arrayBuffer()
                  return response.status
                })
              )
              return { id: delivery.headers["webhook-id"], body: delivery.body, status }
            })
          const history = (id: string) =>
            Effect.map(on(inbox, WebhookInbox.get(id)), (detail) => Option.getOrThrow(detail))
          return {
            inbox,
            post,
            history,
            settled: (id: string, line: string) => signals.wait(`${line} ${id}`),
            released: (id: string) => signals.wait(`released ${id}`)
          }
        })

      const outcomes = (detail: WebhookInbox.DeliveryDetail) =>
        detail.history.map((attempt) => [attempt.attempt, attempt.outcome])

      const assertEnded = (attempt: WebhookInbox.Attempt | undefined) => {
        assert.isDefined(attempt)
        assert.isNotNull(attempt!.endedAt)
        assert.isAtLeast(attempt!.endedAt!.getTime(), attempt!.startedAt.getTime())
        assert.strictEqual(attempt!.durationMs, attempt!.endedAt!.getTime() - attempt!.startedAt.getTime())
      }

      it.scopedLive("inline: records processed, failed (with the cause), timed_out and interrupted attempts", () =>
        Effect.gen(function*() {
          const server = yield* serve("inline", (event) => {
            switch (event._tag) {
              case "batch.failed":
                return Effect.fail(new Error("the batch store is down"))
              case "batch.cancelled":
                return Effect.never
              case "batch.expired":
                return Effect.interrupt
              default:
                return Effect.void
            }
          }, "200 millis")
          const processed = yield* server.post("response.completed")
          assert.strictEqual(processed.status, 200)
          const done = yield* server.history(processed.id)
          assert.deepStrictEqual(outcomes(done), [[1, "processed"]])
          assert.strictEqual(done.body, processed.body, "the body is kept in inline mode")
          assertEnded(done.history[0])

          const failed = yield* server.post("batch.failed")
          assert.strictEqual(failed.status, 500)
          const failedDetail = yield* server.history(failed.id)
          assert.strictEqual(failedDetail.status, "failed")
          assert.deepStrictEqual(outcomes(failedDetail), [[1, "failed"]])
          assert.include(failedDetail.history[0]?.error ?? "", "the batch store is down")
          assertEnded(failedDetail.history[0])

          const slow = yield* server.post("batch.cancelled")
          assert.strictEqual(slow.status, 500)
          yield* server.released(slow.id)
          const timedOut = yield* server.history(slow.id)
          assert.deepStrictEqual(outcomes(timedOut), [[1, "timed_out"]])
          assert.include(timedOut.history[0]?.error ?? "", "did not finish within 200ms")
          assertEnded(timedOut.history[0])

          const interrupted = yield* server.post("batch.expired")
          assert.strictEqual(interrupted.status, 500)
          yield* server.released(interrupted.id)
          assert.deepStrictEqual(outcomes(yield* server.history(interrupted.id)), [[1, "interrupted"]])
        }))

      it.scopedLive("queued: records processed, failed then dead, and timed_out attempts", () =>
        Effect.gen(function*() {
          let calls = 0
          const server = yield* serve("queued", (event) => {
            switch (event._tag) {
              case "batch.failed":
                return Effect.fail(new Error("the batch store is down"))
              case "batch.cancelled":
                return Effect.suspend(() => ++calls === 1 ? Effect.never : Effect.void)
              default:
                return Effect.void
            }
          }, "200 millis")
          const processed = yield* server.post("response.completed")
          yield* server.settled(processed.id, "processed")
          const done = yield* server.history(processed.id)
          assert.deepStrictEqual(outcomes(done), [[1, "processed"]])
          assertEnded(done.history[0])

          const failing = yield* server.post("batch.failed")
          yield* server.settled(failing.id, "dead")
          const dead = yield* server.history(failing.id)
          assert.strictEqual(dead.status, "dead")
          assert.deepStrictEqual(outcomes(dead), [[1, "failed"], [2, "failed"]])
          assert.include(dead.history[1]?.error ?? "", "the batch store is down")
          dead.history.forEach(assertEnded)

          const slow = yield* server.post("batch.cancelled")
          yield* server.settled(slow.id, "processed")
          const timedOut = yield* server.history(slow.id)
          assert.deepStrictEqual(outcomes(timedOut), [[1, "timed_out"], [2, "processed"]])
          assert.include(timedOut.history[0]?.error ?? "", "did not finish within 200ms")
        }))

      it.scopedLive("queued: records a worker stopped mid-attempt as interrupted, and its delivery due again", () =>
        Effect.gen(function*() {
          const { inbox } = yield* fresh({ mode: "queued" }, true)
          const started = yield* Deferred.make<void>()
          const workers = yield* Scope.make()
          yield* Layer.buildWithScope(
            WebhookInbox.layerWorker({
              handle: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never),
              concurrency: 1,
              pollInterval: "20 millis"
            }),
            workers
          ).pipe(Effect.provide(inbox.context))
          const id = newId()
          yield* Effect.orDie(inbox.store.enqueue(id, "response.completed", 1, bodyOf("response.completed")))
          yield* Deferred.await(started)
          yield* Scope.close(workers, Exit.void)
          const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
          assert.strictEqual(detail.status, "pending")
          assert.deepStrictEqual(outcomes(detail), [[1, "interrupted"]])
          assert.strictEqual(detail.history[0]?.error, "interrupted")
        }))

      it.scoped("takes several due deliveries in one take, oldest due first, each once, with one attempt each", () =>
        Effect.gen(function*() {
          const { inbox, rows } = yield* fresh({ lease: "2 minutes" })
          const oldest = yield* rows.pending("response.completed", T0)
          const second = yield* rows.pending("batch.completed", T0 + 1000)
          const third = yield* rows.pending("response.failed", T0 + 2000)
          const later = yield* rows.retrying("batch.failed", T0 + 3000)
          const held = yield* rows.processing("response.completed", T0 + 3000)
          const fourth = yield* rows.pending("batch.expired", T0 + 4000)
          yield* TestClock.setTime(T0 + 5000)
          const take = (max: number) =>
            Effect.map(Effect.orDie(inbox.store.take(max)), (rows) => rows.map((row) => [row.webhookId, row.attempts]))
          assert.deepStrictEqual(yield* take(2), [[oldest, 1], [second, 1]])
          // Not `later`, due a minute after its failure, nor `held`, whose claim's lease runs.
          assert.deepStrictEqual(yield* take(10), [[third, 1], [fourth, 1]])
          assert.deepStrictEqual(yield* take(10), [])
          for (const id of [oldest, second, third, fourth]) {
            const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
            assert.strictEqual(detail.status, "processing")
            const started = new Date(T0 + 5000)
            assert.deepStrictEqual(detail.history, [
              { attempt: 1, startedAt: started, endedAt: null, outcome: null, error: null, durationMs: null }
            ])
          }
          // Past the retry's time and the claim's lease (not yet the leases taken above), both are due: the retry's
          // second attempt, and a takeover. Two takes at once, each with room for both: each row is taken once.
          const now = T0 + 3000 + 2 * MINUTE
          yield* TestClock.setTime(now)
          const [first, other] = yield* Effect.all([take(3), take(3)], { concurrency: 2 })
          assert.sameDeepMembers([...first, ...other], [[later, 2], [held, 2]])
          for (const id of [later, held]) {
            const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
            assert.deepStrictEqual(detail.history.map((attempt) => [attempt.attempt, attempt.startedAt.getTime()]), [
              [1, T0 + 3000],
              [2, now]
            ])
          }
          assert.deepStrictEqual(yield* take(3), [])
        }))

      it.scoped("leaves the attempt of a holder that died unended, and starts the next one at a takeover", () =>
        Effect.gen(function*() {
          const { inbox } = yield* fresh()
          const id = newId()
          yield* TestClock.setTime(T0)
          yield* Effect.orDie(inbox.store.enqueue(id, "response.completed", 1, bodyOf("response.completed")))
          assert.strictEqual((yield* Effect.orDie(inbox.store.take(1))).length, 1)
          // The worker that took it died: after the lease another takes it over.
          yield* TestClock.setTime(T0 + 30_000)
          const [taken] = yield* Effect.orDie(inbox.store.take(1))
          assert.strictEqual(taken?.attempts, 2)
          yield* TestClock.setTime(T0 + 30_500)
          assert.isTrue(yield* Effect.orDie(inbox.store.complete(id, 2)))
          const detail = Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id)))
          assert.deepStrictEqual(detail.history, [
          { attempt: 1, startedAt: new Date(T0), endedAt: null, outcome: null, error: null, durationMs: null },
            {
              attempt: 2,
              startedAt: new Date(T0 + 30_000),
              endedAt: new Date(T0 + 30_500),
              outcome: "processed",
              error: null,
              durationMs: 500
            }
          ])
          // The first holder, back from its stall, can settle neither the delivery nor its attempt.
          assert.isFalse(yield* Effect.orDie(inbox.store.retry(id, 1, T0, "late")))
          assert.strictEqual(Option.getOrThrow(yield* on(inbox, WebhookInbox.get(id))).history[0]?.endedAt, null)
        }))
    })

    describe("retention", () => {
      it.scoped("purges done and failed deliveries after retention, dead ones after deadRetention, with attempts", () =>
        Effect.gen(function*() {
          // The periodic purge (tested in WebhookInbox.test.ts) out of the way: this test purges when it says.
          const { inbox, rows } = yield* fresh({
            retention: "7 days",
            deadRetention: "30 days",
            purgeInterval: "1000 days"
          })
          const DAY = 24 * 60 * MINUTE
          const oldDone = yield* rows.done("response.completed", T0)
          const oldFailed = yield* rows.failed("response.completed", T0)
          const oldDead = yield* rows.dead("response.completed", T0)
          const pending = yield* rows.pending("response.completed", T0)
          const dead = yield* rows.dead("response.completed", T0 + 10 * DAY)
          const done = yield* rows.done("response.completed", T0 + 10 * DAY)
          const attemptsOf = (ids: ReadonlyArray<string>) =>
            Effect.map(
              Effect.orDie(inbox.sql<{ webhook_id: string }>`SELECT webhook_id FROM openai_webhook_attempts
WHERE webhook_id IN ${inbox.sql.in(ids)}`),
              (rows) => rows.map((row) => row.webhook_id).sort()
            )
          const present = (ids: ReadonlyArray<string>) =>
            Effect.map(
              Effect.forEach(ids, (id) => on(inbox, WebhookInbox.get(id))),
              (found) => ids.filter((_, i) => Option.isSome(found[i]!))
            )
          const everyId = [oldDone, oldFailed, oldDead, pending, dead, done]
          // 14 days on: the done and failed ones of day 0 are past 7 days; the dead one is within 30.
          yield* TestClock.setTime(T0 + 14 * DAY)
          assert.strictEqual(yield* Effect.orDie(inbox.store.purge), 2)
          assert.deepStrictEqual(yield* present(everyId), [oldDead, pending, dead, done])
          assert.deepStrictEqual(yield* attemptsOf([oldDone, oldFailed]), [])
          // 31 days on: the dead one of day 0 too; the one of day 10 is 21 days dead, kept.
          yield* TestClock.setTime(T0 + 31 * DAY)
          assert.strictEqual(yield* Effect.orDie(inbox.store.purge), 2)
          assert.deepStrictEqual(yield* present(everyId), [pending, dead])
          assert.deepStrictEqual(yield* attemptsOf(everyId), [dead].sort())
        }))
    })
  })
}
