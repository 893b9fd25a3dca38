/**
 * The inbox's statements as sequences of steps on an empty, migrated store, with each step's answer and the rows
 * the store holds at the end. Every dialect runs every scenario (SQLite on a file, PostgreSQL where a server is
 * given); an edition can run them through its own SQL client. A step of several inputs (`claims`, `settles`,
 * `enqueues`) is one group commit: SQLite runs each input's own statement in one transaction, PostgreSQL the
 * dialect's multi-row statement; both must answer and write the same.
 *
 * Times are ms from `T`; `webhook_timestamp` is seconds.
 */
import { InboxSql } from "openai-webhooks-engine"

/** 2026-01-01T12:00:00Z. */
export const T = Date.UTC(2026, 0, 1, 12)
/** The lease every scenario gives: 30 s. */
export const LEASE = 30_000
const SIGNED = 1_767_268_800

export type Step =
  | { readonly op: "claim"; readonly input: InboxSql.Claim; readonly answer: number | null }
  | {
    readonly op: "claims"
    readonly inputs: ReadonlyArray<InboxSql.Claim>
    readonly answers: ReadonlyArray<number | null>
  }
  | { readonly op: "settle"; readonly input: InboxSql.Settle; readonly answer: boolean }
  | {
    readonly op: "settles"
    readonly inputs: ReadonlyArray<InboxSql.Settle>
    readonly answers: ReadonlyArray<boolean>
  }
  | { readonly op: "enqueue"; readonly input: InboxSql.Enqueue; readonly answer: boolean }
  | {
    readonly op: "enqueues"
    readonly inputs: ReadonlyArray<InboxSql.Enqueue>
    readonly answers: ReadonlyArray<boolean>
  }
  | { readonly op: "take"; readonly input: InboxSql.Take; readonly answer: ReadonlyArray<InboxSql.Taken> }
  | { readonly op: "renew"; readonly input: InboxSql.Renew; readonly answer: boolean }
  | { readonly op: "status"; readonly id: string; readonly answer: InboxSql.Status | undefined }
  | { readonly op: "purge"; readonly input: InboxSql.Purge; readonly answer: number }
  | { readonly op: "replay"; readonly input: InboxSql.At; readonly answer: boolean }
  | { readonly op: "inspect"; readonly input: InboxSql.At; readonly answer: InboxSql.Inspection | undefined }
  | { readonly op: "discard"; readonly id: string; readonly answer: number }
  | { readonly op: "recover"; readonly filter: InboxSql.RecoverFilter; readonly now: number; readonly answer: number }
  | { readonly op: "list"; readonly query: InboxSql.ListQuery; readonly answer: ReadonlyArray<string> }
  | { readonly op: "stats"; readonly now: number; readonly answer: Partial<Record<InboxSql.Status, number>> }
  /** A row as an older version, or another instance, left it: written as it is, with no statement of the inbox. */
  | { readonly op: "insert"; readonly row: DeliveryRow }

/** A delivery's row, every column. */
export interface DeliveryRow {
  readonly webhook_id: string
  readonly event_type: string | null
  readonly webhook_timestamp: number
  readonly body: string | null
  readonly status: string
  readonly attempts: number
  readonly locked_until: number | null
  readonly next_attempt_at: number | null
  readonly last_error: string | null
  readonly last_outcome: string | null
  readonly received_at: number
  readonly updated_at: number
}

/** An attempt's row, every column. */
export interface AttemptRow {
  readonly webhook_id: string
  readonly attempt: number
  readonly started_at: number
  readonly ended_at: number | null
  readonly outcome: string | null
  readonly error: string | null
  readonly duration_ms: number | null
}

export interface Scenario {
  readonly name: string
  readonly steps: ReadonlyArray<Step>
  /** Every delivery at the end, by id. */
  readonly deliveries: ReadonlyArray<DeliveryRow>
  /** Every attempt at the end, by id and attempt. */
  readonly attempts: ReadonlyArray<AttemptRow>
}

const claim = (
  id: string,
  at: number,
  body: string | null = "{}",
  eventType = "response.completed"
): InboxSql.Claim => ({
  id,
  eventType,
  timestamp: SIGNED,
  body,
  lockedUntil: T + at + LEASE,
  now: T + at
})

const settle = (
  id: string,
  token: number,
  at: number,
  status: InboxSql.Status,
  outcome: InboxSql.AttemptOutcome,
  error: string | null = null,
  nextAttemptAt: number | null = null
): InboxSql.Settle => ({ id, token, status, error, nextAttemptAt, outcome, now: T + at })

const enqueue = (id: string, at: number, body = "{}", eventType = "batch.completed"): InboxSql.Enqueue => ({
  id,
  eventType,
  timestamp: SIGNED,
  body,
  now: T + at
})

const take = (max: number, at: number): InboxSql.Take => ({ max, lockedUntil: T + at + LEASE, now: T + at })

const delivery = (row: Partial<DeliveryRow> & Pick<DeliveryRow, "webhook_id" | "status">): DeliveryRow => ({
  event_type: "response.completed",
  webhook_timestamp: SIGNED,
  body: "{}",
  attempts: 1,
  locked_until: null,
  next_attempt_at: null,
  last_error: null,
  last_outcome: null,
  received_at: T,
  updated_at: T,
  ...row
})

const attempt = (
  webhook_id: string,
  n: number,
  started: number,
  ended?: { readonly at: number; readonly outcome: InboxSql.AttemptOutcome; readonly error?: string }
): AttemptRow => ({
  webhook_id,
  attempt: n,
  started_at: T + started,
  ended_at: ended === undefined ? null : T + ended.at,
  outcome: ended?.outcome ?? null,
  error: ended?.error ?? null,
  duration_ms: ended === undefined ? null : ended.at - started
})

const taken = (webhookId: string, attempts: number, eventType = "batch.completed"): InboxSql.Taken => ({
  webhookId,
  eventType,
  webhookTimestamp: SIGNED,
  body: "{}",
  attempts
})

export const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "inline: a claim starts attempt 1, holds against a copy, is renewed by its token only, and completes once",
    steps: [
      { op: "claim", input: claim("a", 0), answer: 1 },
      { op: "claim", input: claim("a", 1), answer: null },
      { op: "status", id: "a", answer: "processing" },
      { op: "renew", input: { id: "a", token: 1, lockedUntil: T + 40_000 }, answer: true },
      { op: "renew", input: { id: "a", token: 2, lockedUntil: T + 50_000 }, answer: false },
      { op: "settle", input: settle("a", 1, 500, "done", "processed"), answer: true },
      { op: "settle", input: settle("a", 1, 600, "done", "processed"), answer: false },
      { op: "renew", input: { id: "a", token: 1, lockedUntil: T + 60_000 }, answer: false },
      { op: "claim", input: claim("a", 700), answer: null },
      { op: "status", id: "a", answer: "done" },
      { op: "status", id: "unknown", answer: undefined }
    ],
    deliveries: [delivery({ webhook_id: "a", status: "done", last_outcome: "processed", updated_at: T + 500 })],
    attempts: [attempt("a", 1, 0, { at: 500, outcome: "processed" })]
  },
  {
    name: "inline: a failed claim is given back and claimed again, its body kept; an expired lease is taken over",
    steps: [
      { op: "claim", input: claim("b", 0), answer: 1 },
      { op: "settle", input: settle("b", 1, 100, "failed", "failed", "Error: boom"), answer: true },
      { op: "claim", input: claim("b", 200, "{\"other\":1}"), answer: 2 },
      // The lease of attempt 2 ends at 200 + LEASE: a copy then takes it over.
      { op: "claim", input: claim("b", 200 + LEASE - 1), answer: null },
      { op: "claim", input: claim("b", 200 + LEASE), answer: 3 },
      // The holder of attempt 2 comes back: its token no longer holds the row.
      { op: "renew", input: { id: "b", token: 2, lockedUntil: T + 90_000 }, answer: false },
      { op: "settle", input: settle("b", 2, 200 + LEASE + 1, "done", "processed"), answer: false },
      { op: "settle", input: settle("b", 3, 200 + LEASE + 50, "done", "processed"), answer: true }
    ],
    deliveries: [
      delivery({
        webhook_id: "b",
        status: "done",
        attempts: 3,
        last_outcome: "processed",
        updated_at: T + 200 + LEASE + 50
      })
    ],
    attempts: [
      attempt("b", 1, 0, { at: 100, outcome: "failed", error: "Error: boom" }),
      attempt("b", 2, 200),
      attempt("b", 3, 200 + LEASE, { at: 200 + LEASE + 50, outcome: "processed" })
    ]
  },
  {
    name: "queued: enqueue once, take the oldest due first, retry on a schedule, then done or dead",
    steps: [
      { op: "enqueue", input: enqueue("c", 0), answer: true },
      { op: "enqueue", input: enqueue("d", 1), answer: true },
      { op: "enqueue", input: enqueue("c", 2), answer: false },
      { op: "take", input: take(5, 10), answer: [taken("c", 1), taken("d", 1)] },
      { op: "take", input: take(5, 11), answer: [] },
      { op: "settle", input: settle("c", 1, 20, "pending", "failed", "Error: x", T + 1000), answer: true },
      { op: "settle", input: settle("d", 1, 20, "dead", "failed", "Error: y"), answer: true },
      { op: "take", input: take(5, 500), answer: [] },
      { op: "take", input: take(1, 1000), answer: [taken("c", 2)] },
      { op: "settle", input: settle("c", 2, 1100, "done", "processed"), answer: true },
      { op: "take", input: take(0, 2000), answer: [] }
    ],
    deliveries: [
      delivery({
        webhook_id: "c",
        event_type: "batch.completed",
        status: "done",
        attempts: 2,
        next_attempt_at: T + 1000,
        last_outcome: "processed",
        updated_at: T + 1100
      }),
      delivery({
        webhook_id: "d",
        event_type: "batch.completed",
        status: "dead",
        attempts: 1,
        next_attempt_at: T + 1,
        last_error: "Error: y",
        last_outcome: "failed",
        received_at: T + 1,
        updated_at: T + 20
      })
    ],
    attempts: [
      attempt("c", 1, 10, { at: 20, outcome: "failed", error: "Error: x" }),
      attempt("c", 2, 1000, { at: 1100, outcome: "processed" }),
      attempt("d", 1, 10, { at: 20, outcome: "failed", error: "Error: y" })
    ]
  },
  {
    name: "queued: a take skips rows without a body and takes over an expired lease, last (no next attempt)",
    steps: [
      { op: "claim", input: claim("inline-held", 0), answer: 1 },
      { op: "claim", input: claim("inline-bodiless", 0, null), answer: 1 },
      { op: "enqueue", input: enqueue("queued", 5), answer: true },
      { op: "take", input: take(10, LEASE - 1), answer: [taken("queued", 1)] },
      {
        op: "take",
        input: take(10, LEASE),
        answer: [taken("inline-held", 2, "response.completed")]
      }
    ],
    deliveries: [
      delivery({ webhook_id: "inline-bodiless", status: "processing", body: null, locked_until: T + LEASE }),
      delivery({
        webhook_id: "inline-held",
        status: "processing",
        attempts: 2,
        locked_until: T + 2 * LEASE,
        updated_at: T + LEASE
      }),
      delivery({
        webhook_id: "queued",
        event_type: "batch.completed",
        status: "processing",
        locked_until: T + 2 * LEASE - 1,
        next_attempt_at: T + 5,
        received_at: T + 5,
        updated_at: T + LEASE - 1
      })
    ],
    attempts: [
      attempt("inline-bodiless", 1, 0),
      attempt("inline-held", 1, 0),
      attempt("inline-held", 2, LEASE),
      attempt("queued", 1, LEASE - 1)
    ]
  },
  {
    name: "an event type holding U+0000 is stored with U+FFFD, claimed or queued",
    steps: [
      { op: "claim", input: claim("nul-claimed", 0, "{}", "response.completed\u0000"), answer: 1 },
      { op: "enqueue", input: enqueue("nul-queued", 0, "{}", "\u0000batch.completed"), answer: true },
      { op: "claims", inputs: [claim("nul-batch", 1, "{}", "a\u0000b"), claim("plain", 1)], answers: [1, 1] },
      { op: "enqueues", inputs: [enqueue("nul-q1", 1, "{}", "\u0000"), enqueue("nul-q2", 1)], answers: [true, true] }
    ],
    deliveries: [
      delivery({
        webhook_id: "nul-batch",
        event_type: "a\uFFFDb",
        status: "processing",
        locked_until: T + 1 + LEASE,
        received_at: T + 1,
        updated_at: T + 1
      }),
      delivery({
        webhook_id: "nul-claimed",
        event_type: "response.completed\uFFFD",
        status: "processing",
        locked_until: T + LEASE
      }),
      delivery({
        webhook_id: "nul-q1",
        event_type: "\uFFFD",
        status: "pending",
        attempts: 0,
        next_attempt_at: T + 1,
        received_at: T + 1,
        updated_at: T + 1
      }),
      delivery({
        webhook_id: "nul-q2",
        event_type: "batch.completed",
        status: "pending",
        attempts: 0,
        next_attempt_at: T + 1,
        received_at: T + 1,
        updated_at: T + 1
      }),
      delivery({
        webhook_id: "nul-queued",
        event_type: "\uFFFDbatch.completed",
        status: "pending",
        attempts: 0,
        next_attempt_at: T
      }),
      delivery({
        webhook_id: "plain",
        status: "processing",
        locked_until: T + 1 + LEASE,
        received_at: T + 1,
        updated_at: T + 1
      })
    ],
    attempts: [attempt("nul-batch", 1, 1), attempt("nul-claimed", 1, 0), attempt("plain", 1, 1)]
  },
  {
    name: "a group commit: claims, settles and enqueues of many rows answer and write as one at a time would",
    steps: [
      { op: "claim", input: claim("held", 0), answer: 1 },
      {
        op: "claims",
        inputs: [claim("g3", 10), claim("g1", 10), claim("held", 10), claim("g2", 10)],
        answers: [1, 1, null, 1]
      },
      {
        op: "settles",
        inputs: [
          settle("g2", 1, 20, "failed", "timed_out", "HandlerTimeout"),
          settle("g1", 1, 20, "done", "processed"),
          settle("g3", 7, 20, "done", "processed"),
          settle("held", 1, 20, "failed", "interrupted", "interrupted")
        ],
        answers: [true, true, false, true]
      },
      // g2 and held were given back failed: queued again. g1 is done: a duplicate.
      {
        op: "enqueues",
        inputs: [enqueue("g2", 30), enqueue("new", 30), enqueue("g1", 30), enqueue("held", 30, "{\"b\":2}")],
        answers: [true, true, false, true]
      },
      { op: "claims", inputs: [claim("g3", 40), claim("g2", 40)], answers: [null, 2] }
    ],
    deliveries: [
      delivery({
        webhook_id: "g1",
        status: "done",
        locked_until: null,
        last_outcome: "processed",
        received_at: T + 10,
        updated_at: T + 20
      }),
      delivery({
        webhook_id: "g2",
        status: "processing",
        attempts: 2,
        locked_until: T + 40 + LEASE,
        next_attempt_at: T + 30,
        last_error: "HandlerTimeout",
        received_at: T + 10,
        updated_at: T + 40
      }),
      delivery({
        webhook_id: "g3",
        status: "processing",
        locked_until: T + 10 + LEASE,
        received_at: T + 10,
        updated_at: T + 10
      }),
      delivery({
        webhook_id: "held",
        status: "pending",
        body: "{\"b\":2}",
        next_attempt_at: T + 30,
        last_error: "interrupted",
        last_outcome: "interrupted",
        updated_at: T + 30
      }),
      delivery({
        webhook_id: "new",
        event_type: "batch.completed",
        status: "pending",
        attempts: 0,
        next_attempt_at: T + 30,
        received_at: T + 30,
        updated_at: T + 30
      })
    ],
    attempts: [
      attempt("g1", 1, 10, { at: 20, outcome: "processed" }),
      attempt("g2", 1, 10, { at: 20, outcome: "timed_out", error: "HandlerTimeout" }),
      attempt("g2", 2, 40),
      attempt("g3", 1, 10),
      attempt("held", 1, 0, { at: 20, outcome: "interrupted", error: "interrupted" })
    ]
  },
  {
    name: "the log: replay, recover, discard and purge change only what they may; a released row counts as failed",
    steps: [
      {
        op: "insert",
        row: delivery({
          webhook_id: "old-released",
          status: "released",
          last_error: "Error: old",
          updated_at: T - 10
        })
      },
      {
        op: "insert",
        row: delivery({
          webhook_id: "old-bodiless",
          status: "released",
          body: null,
          updated_at: T - 10
        })
      },
      { op: "claim", input: claim("live", 0), answer: 1 },
      { op: "claim", input: claim("dead", 0), answer: 1 },
      { op: "settle", input: settle("dead", 1, 5, "dead", "failed", "Error: always"), answer: true },
      { op: "claim", input: claim("handled", 0), answer: 1 },
      { op: "settle", input: settle("handled", 1, 5, "done", "processed"), answer: true },
      { op: "stats", now: T + 100, answer: { processing: 1, done: 1, failed: 2, dead: 1 } },
      { op: "list", query: { status: "failed" }, answer: ["old-released", "old-bodiless"] },
      { op: "list", query: { status: ["dead", "done"], limit: 1 }, answer: ["handled"] },
      {
        op: "list",
        query: { eventType: "response." },
        answer: ["old-released", "old-bodiless", "live", "handled", "dead"]
      },
      { op: "replay", input: { id: "live", now: T + 10 }, answer: false },
      { op: "inspect", input: { id: "live", now: T + 10 }, answer: { status: "processing", locked: true, body: true } },
      { op: "replay", input: { id: "old-bodiless", now: T + 10 }, answer: false },
      {
        op: "inspect",
        input: { id: "old-bodiless", now: T + 10 },
        answer: { status: "failed", locked: false, body: false }
      },
      { op: "inspect", input: { id: "nobody", now: T + 10 }, answer: undefined },
      { op: "replay", input: { id: "handled", now: T + 20 }, answer: true },
      { op: "discard", id: "handled", answer: 0 },
      { op: "recover", filter: { since: T - 100, until: T + 100, failed: true, dead: false }, now: T + 30, answer: 1 },
      { op: "discard", id: "dead", answer: 1 },
      { op: "settle", input: settle("live", 1, 40, "done", "processed"), answer: true },
      // Purged: live (done at 40) and old-bodiless (failed, by its old name, at -10), with their attempts.
      { op: "purge", input: { doneBefore: T + 41, deadBefore: T }, answer: 2 },
      { op: "purge", input: { doneBefore: T + 41, deadBefore: T }, answer: 0 }
    ],
    deliveries: [
      delivery({
        webhook_id: "handled",
        status: "pending",
        next_attempt_at: T + 20,
        last_outcome: "processed",
        updated_at: T + 20
      }),
      delivery({
        webhook_id: "old-released",
        status: "pending",
        next_attempt_at: T + 30,
        last_error: "Error: old",
        updated_at: T + 30
      })
    ],
    attempts: [attempt("handled", 1, 0, { at: 5, outcome: "processed" })]
  }
]

/** The purge's retention an edition's store is given to run a scenario's purges: any, with the clock set to `doneBefore` plus it. */
export const RETENTION = 60 * 60 * 1000

/**
 * The dead retention an edition's store needs beside {@link RETENTION} for a scenario's purges (every purge of one
 * scenario alike: one store serves them all).
 */
export const deadRetentionOf = (scenario: Scenario): number => {
  const purges = scenario.steps.flatMap((step) => step.op === "purge" ? [step.input] : [])
  const gaps = new Set(purges.map((purge) => purge.doneBefore - purge.deadBefore))
  if (gaps.size > 1) throw new Error(`${scenario.name}: one store serves every purge of a scenario`)
  return RETENTION + (gaps.values().next().value ?? 0)
}

/** What a step answers, as the table writes it (undefined for an `insert`). */
export const expected = (step: Step): unknown => {
  switch (step.op) {
    case "claims":
    case "settles":
    case "enqueues":
      return step.answers
    case "stats":
      return { ...InboxSql.zeroCounts(), ...step.answer }
    case "insert":
      return undefined
    default:
      return step.answer
  }
}

/** The rows a scenario ends with, every column, in the order of its `deliveries` and `attempts`. */
export const ROWS = {
  deliveries: `SELECT webhook_id, event_type, webhook_timestamp, body, status, attempts, locked_until,
  next_attempt_at, last_error, last_outcome, received_at, updated_at FROM ${InboxSql.tables.deliveries}
ORDER BY webhook_id`,
  attempts: `SELECT webhook_id, attempt, started_at, ended_at, outcome, error, duration_ms
FROM ${InboxSql.tables.attempts} ORDER BY webhook_id, attempt`
} as const

const NUMBERS = new Set([
  "webhook_timestamp",
  "attempts",
  "locked_until",
  "next_attempt_at",
  "received_at",
  "updated_at",
  "attempt",
  "started_at",
  "ended_at",
  "duration_ms"
])

/** A row with its numbers as numbers: PostgreSQL's driver returns BIGINT as text. */
export const normal = (row: InboxSql.SqlRow): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key, NUMBERS.has(key) && value !== null ? Number(value) : value])
  )

/**
 * `webhook-id`s at and around the inbox's bound (1,024 bytes of UTF-8) and where PostgreSQL's index fails (about
 * 2,700 bytes, issue 18), with their length in bytes and whether the inbox keys on them. Random letters and digits,
 * as OpenAI's and Svix's ids are, which PostgreSQL cannot compress below its index limit. Multi-byte characters
 * count their bytes: 256 four-byte characters are exactly the bound.
 */
const randomish = (length: number): string => {
  let text = ""
  // A fixed sequence (a linear congruential generator): the same ids in every run and both editions.
  let seed = 18
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
  while (text.length < length) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    text += alphabet[seed % alphabet.length]
  }
  return text
}

export interface IdCase {
  readonly name: string
  readonly id: string
  readonly bytes: number
  readonly kept: boolean
}

export const ids: ReadonlyArray<IdCase> = [
  { name: "OpenAI's shape", id: "wh_685342ee9c2c8190a8b6c4e0b5f8c1f2", bytes: 35, kept: true },
  { name: "a third of the bound in characters, never counted", id: `msg_${randomish(337)}`, bytes: 341, kept: true },
  { name: "the bound", id: `msg_${randomish(1020)}`, bytes: 1024, kept: true },
  { name: "a byte over the bound", id: `msg_${randomish(1021)}`, bytes: 1025, kept: false },
  { name: "where PostgreSQL's index failed", id: `msg_${randomish(2796)}`, bytes: 2800, kept: false },
  { name: "four-byte characters to the bound", id: "\u{1F600}".repeat(256), bytes: 1024, kept: true },
  { name: "four-byte characters over it", id: `\u{1F600}`.repeat(256) + "x", bytes: 1025, kept: false },
  { name: "two-byte characters over it, under it in characters", id: "é".repeat(513), bytes: 1026, kept: false },
  { name: "a lone surrogate counts as U+FFFD", id: "\uD800".repeat(342), bytes: 1026, kept: false }
]
