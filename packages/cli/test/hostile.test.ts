/**
 * The receiver under attack, as an earlier adversarial run found it holding (issue 12): hostile requests of every
 * kind that run tried (huge and malformed headers, odd timestamps, signatures of every shape, invalid UTF-8, deep
 * JSON, bodies at and over the limit, chunking, every method, header and log injection, content-length lies,
 * replays), over raw sockets and fetch, against the real process: inline on a SQLite file (`node
 * packages/cli/dist/receiver.js`) and queued on PostgreSQL (`openai-webhooks serve`).
 *
 * After every request the process is alive and `/healthz` answers 200. After each group, every request that
 * reached the receiver's code has exactly its one line (an authentic but undecodable delivery exactly one
 * `invalid` line; in queued mode an accepted one its `queued` line and then one `processed` line), one that Node's
 * parser refused has none, and no answer, log line or stderr shows a stack trace, the secret or a MAC. Generated
 * requests come from fast-check with a fixed seed: the same requests on every run.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import * as http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Result, Schema } from "effect"
import type { WebhookError } from "effect4-openai-webhooks"
import { WebhookEvent, Webhooks, WebhookSignature, WebhookTesting } from "effect4-openai-webhooks"
import { build, killGroups, type LogLine, parseLogfmt, PATIENCE, within } from "../../engine/test/support/process.js"
import {
  type Receiver,
  requirePostgres as postgres,
  skipPostgres,
  startReceiver
} from "../../../test/support/built-receiver.js"
import { exchange, type Exchange, type Header, type RawRequest, requestBytes } from "./support/socket.js"
import { CLI, RECEIVER } from "./support/apps.js"

// A secret of this run only: nothing the receiver is sent can contain it by chance.
const secret = `whsec_${randomBytes(32).toString("base64")}`
const key = Result.getOrThrow(WebhookSignature.key(secret))
const otherKey = Result.getOrThrow(WebhookSignature.key(`whsec_${randomBytes(32).toString("base64")}`))

/** Ids of this run: the PostgreSQL database outlives it, and an id of an earlier run would be a duplicate. */
const run = randomBytes(4).toString("hex")
let ids = 0
const freshId = () => `msg_hostile_${run}_${++ids}`

const now = () => Math.floor(Date.now() / 1000)

// What no answer and no log line may show.

/** The 43 characters before the `=` of every MAC computed here: those sent, and those the receiver compares. */
const macs = new Set<string>()
const MAC_CHARS = 43

/** The base64 MAC of a delivery under `signer` (default: the receiver's key), remembered as one never to show. */
const mac = (id: string, timestamp: string, payload: string | Uint8Array, signer = key): string => {
  const signature = WebhookSignature.sign(signer, { id, timestamp, payload }).slice("v1,".length)
  macs.add(signature.slice(0, MAC_CHARS))
  return signature
}

/** A stack trace, the secret, or a MAC computed here, in `text`: undefined when there is none. */
const leak = (text: string): string | undefined => {
  if (text.includes("    at ")) return "a stack trace"
  if (text.includes(secret.slice("whsec_".length, "whsec_".length + 40))) return "the secret"
  // Every window of MAC_CHARS characters of every run of base64 characters.
  for (const [runOf] of text.matchAll(/[A-Za-z0-9+/]{43,}/g)) {
    for (let at = 0; at + MAC_CHARS <= runOf.length; at++) {
      if (macs.has(runOf.slice(at, at + MAC_CHARS))) return `a MAC (${runOf.slice(at, at + 8)}...)`
    }
  }
  return undefined
}

// Deliveries.

const SAMPLE = WebhookTesting.encode(WebhookTesting.sample("response.completed"))

interface Delivery {
  readonly id: string
  readonly timestamp: string
  readonly body: string | Uint8Array
  readonly signature: string
}

/** A delivery signed as OpenAI signs it: a fresh id, now, the sample body, unless told otherwise. */
const signed = (options: Partial<Omit<Delivery, "signature">> = {}): Delivery => {
  const id = options.id ?? freshId()
  const timestamp = options.timestamp ?? String(now())
  const body = options.body ?? SAMPLE
  return { id, timestamp, body, signature: `v1,${mac(id, timestamp, body)}` }
}

/** A MAC of the right length that no secret made. */
const wrongMac = (): string => `v1,${randomBytes(32).toString("base64")}`

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")

/** The header value Node reads from the UTF-8 bytes of `text`: each byte as a latin1 character. */
const asLatin1 = (text: string): string => Buffer.from(text, "utf8").toString("latin1")

const bytesOf = (body: string | Uint8Array): Uint8Array => typeof body === "string" ? Buffer.from(body) : body

const deliveryHeaders = (delivery: Delivery): ReadonlyArray<Header> => [
  ["Content-Type", "application/json"],
  ["webhook-id", delivery.id],
  ["webhook-timestamp", delivery.timestamp],
  ["webhook-signature", delivery.signature]
]

// What each request must get.

type Message = "accepted" | "rejected" | "invalid" | "too_large" | "method_not_allowed"

interface Expected {
  /** For failure messages. */
  readonly what: string
  /** The answer's status; undefined: no answer (the connection closed). */
  readonly status: number | undefined
  /** The answer's JSON body, when the status is ours; `accepted` is the mode's. */
  readonly body?: unknown
  /** The one line its `webhook-id` gets; none when absent (the request never reached the receiver's code). */
  readonly line?: { readonly message: Message; readonly reason?: string }
}

const ACCEPTED: Expected = { what: "accepted", status: 200, body: "accepted", line: { message: "accepted" } }

const rejected = (reason: WebhookError.SignatureError["reason"]): Expected => ({
  what: `rejected (${reason})`,
  status: 401,
  body: { error: { type: "SignatureError", reason } },
  line: { message: "rejected", reason }
})

const invalid = (reason: WebhookError.DecodeError["reason"]): Expected => ({
  what: `invalid (${reason})`,
  status: 400,
  body: { error: { type: "DecodeError", reason } },
  line: { message: "invalid", reason }
})

const TOO_LARGE: Expected = {
  what: "too large",
  status: 413,
  body: { error: { type: "PayloadTooLarge", message: "The body is larger than 1048576 bytes" } },
  line: { message: "too_large" }
}

const methodNotAllowed = (head: boolean): Expected => ({
  what: "method not allowed",
  status: 405,
  ...(head ? {} : { body: { error: { type: "MethodNotAllowed", message: "Webhook deliveries are POST requests" } } }),
  line: { message: "method_not_allowed" }
})

/** Answered by Node before the receiver's code runs (400, 431, 417), or not at all: no line. */
const refused = (status: number | undefined): Expected => ({ what: `refused with ${status ?? "no answer"}`, status })

/** What the library says of this delivery: the oracle for requests the transport hands over unchanged. */
const verdict = (delivery: Delivery): Expected => {
  const verified = WebhookSignature.verify({
    keys: [key],
    id: delivery.id,
    timestamp: delivery.timestamp,
    signature: delivery.signature,
    payload: delivery.body,
    now: now()
  })
  if (Result.isFailure(verified)) return rejected(verified.failure.reason)
  const decoded = Effect.runSync(Effect.result(Webhooks.decode(delivery.body)))
  return Result.isFailure(decoded) ? invalid(decoded.failure.reason) : ACCEPTED
}

// Requests.

interface Answer {
  readonly status: number | undefined
  readonly body: string
  /** Everything it carried (status, headers, body), for the leak check. */
  readonly raw: string
}

interface Case {
  readonly name: string
  /** The `webhook-id` the receiver reads, which its line carries. Unique, so that its lines can be counted. */
  readonly id: string
  /** What it may get, the first one whose status matches counting. */
  readonly expected: ReadonlyArray<Expected>
  readonly send: (receiver: Receiver) => Promise<Answer>
  /** More to assert of its answer. */
  readonly check?: (answer: Answer) => void
}

const options = (expected: Expected | ReadonlyArray<Expected>): ReadonlyArray<Expected> =>
  Array.isArray(expected) ? expected : [expected as Expected]

/** Bytes as they are over a socket. */
const viaBytes = (
  name: string,
  id: string,
  expected: Expected | ReadonlyArray<Expected>,
  bytes: Uint8Array,
  how?: Exchange
): Case => ({ name, id, expected: options(expected), send: (receiver) => exchange(receiver.port, bytes, how) })

/** A request over a socket. */
const viaSocket = (
  name: string,
  id: string,
  expected: Expected | ReadonlyArray<Expected>,
  request: RawRequest,
  how?: Exchange
): Case => viaBytes(name, id, expected, requestBytes(request), how)

/** A POST over fetch. */
const viaFetch = (
  name: string,
  id: string,
  expected: Expected | ReadonlyArray<Expected>,
  headers: ReadonlyArray<Header>,
  body: Uint8Array
): Case => ({
  name,
  id,
  expected: options(expected),
  send: async (receiver) => {
    const response = await fetch(receiver.url, {
      method: "POST",
      headers: headers.map(([name, value]): [string, string] => [name, value]),
      body: new Uint8Array(body)
    })
    const text = await response.text()
    const raw = `${response.status}\n${[...response.headers].join("\n")}\n${text}`
    return { status: response.status, body: text, raw }
  }
})

/** A signed delivery over the socket, as it is. */
const deliver = (name: string, delivery: Delivery, expected: Expected | ReadonlyArray<Expected> = verdict(delivery)) =>
  viaSocket(name, delivery.id, expected, { headers: deliveryHeaders(delivery), body: bytesOf(delivery.body) })

/** A signed delivery over fetch. */
const post = (name: string, delivery: Delivery, expected: Expected | ReadonlyArray<Expected> = verdict(delivery)) =>
  viaFetch(name, delivery.id, expected, deliveryHeaders(delivery), bytesOf(delivery.body))

// JSON from outside.

/** `levels` arrays or objects around `inner`, as text. */
const nested = (levels: number, shape: "array" | "object", inner = "1"): string =>
  shape === "array" ? `${"[".repeat(levels)}${inner}${"]".repeat(levels)}` :
    `${"{\"a\":".repeat(levels)}${inner}${"}".repeat(levels)}`

const HOLE = "\u0000hole\u0000"

/** The JSON of a sample event of `type` with the value at `path` (`""`: the whole body) replaced by `text`. */
const withValue = (type: string, path: string, text: string): string => {
  if (path === "") return text
  const event = JSON.parse(
    WebhookTesting.encode(WebhookTesting.sample(
      WebhookEvent.isEventType(type) ? type : "response.completed"
    ))
  ) as Record<string, unknown>
  if (!WebhookEvent.isEventType(type)) event["type"] = type
  const keys = path.split(".")
  let at = event
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>
  at[keys.at(-1)!] = HOLE
  return JSON.stringify(event).replace(JSON.stringify(HOLE), text)
}

/** Byte sequences that are not UTF-8: a lone continuation, overlong, a surrogate, cut short, never-valid bytes. */
const NOT_UTF8: ReadonlyArray<readonly [string, Uint8Array]> = [
  ["a lone continuation byte", Uint8Array.of(0x80)],
  ["an overlong slash", Uint8Array.of(0xc0, 0xaf)],
  ["an encoded surrogate", Uint8Array.of(0xed, 0xa0, 0x80)],
  ["a sequence cut short", Uint8Array.of(0xe2, 0x82)],
  ["0xff", Uint8Array.of(0xff)],
  ["a code point past U+10FFFF", Uint8Array.of(0xf4, 0x90, 0x80, 0x80)]
]

/** `inserted` spliced into `text`'s UTF-8 bytes at `at` (modulo its length). */
const splice = (text: string, at: number, inserted: Uint8Array): Uint8Array => {
  const bytes = Buffer.from(text)
  const where = at % (bytes.length + 1)
  return Buffer.concat([bytes.subarray(0, where), inserted, bytes.subarray(where)])
}

/** Text a generator made, unless it could pass for a stack trace in a log line that echoes it. */
const noStackLike = (text: string) => !text.includes(" at ")

const SEED = 20261129

/** `count` values of `arbitrary`, the same on every run. */
const generate = <A>(arbitrary: Arbitrary.Arbitrary<A>, count: number): ReadonlyArray<A> =>
  Effect.runSync(Arbitrary.sampleEffect(arbitrary, { seed: SEED, count }))

// The few generators these cases are made of, on Effect 4's `Arbitrary` (Effect 3's fast-check is not in Effect 4).

/** A whole number from `min` to `max`. */
const integer = (min: number, max: number): Arbitrary.Arbitrary<number> =>
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max })))

/** One of `values`. */
const constantFrom = <const A extends ReadonlyArray<unknown>>(...values: A): Arbitrary.Arbitrary<A[number]> =>
  Arbitrary.map(integer(0, values.length - 1), (index) => values[index] as A[number])

/** A value of one of `arbitraries`, each as likely. */
const oneof = <A>(...arbitraries: ReadonlyArray<Arbitrary.Arbitrary<A>>): Arbitrary.Arbitrary<A> =>
  Arbitrary.flatMap(integer(0, arbitraries.length - 1), (index) => arbitraries[index]!)

/** A string matching `pattern`. */
const matching = (pattern: RegExp): Arbitrary.Arbitrary<string> =>
  Arbitrary.schema(Schema.String.check(Schema.isPattern(pattern)))

/** An array of up to `maxLength` items, its length drawn from the whole range (fast-check's `size: "max"`). */
const upTo = <A>(item: Arbitrary.Arbitrary<A>, maxLength: number): Arbitrary.Arbitrary<Array<A>> =>
  Arbitrary.flatMap(integer(0, maxLength), (length) => Arbitrary.array(item, { minLength: length, maxLength: length }))

// The groups of requests. Each is built when its test starts (timestamps are now then).

const MiB = 1024 * 1024

const headerCases = (): ReadonlyArray<Case> => {
  const big = "a".repeat(64 * 1024)
  const cases: Array<Case> = []
  const withHeaders = (
    name: string,
    delivery: Delivery,
    headers: ReadonlyArray<Header>,
    expected: Expected | ReadonlyArray<Expected>
  ) => cases.push(viaSocket(name, delivery.id, expected, { headers, body: bytesOf(delivery.body) }))
  const add = (
    name: string,
    extra: ReadonlyArray<Header>,
    expected: Expected | ReadonlyArray<Expected>,
    at: "before" | "after" = "after"
  ) => {
    const delivery = signed()
    const own = deliveryHeaders(delivery)
    withHeaders(name, delivery, at === "before" ? [...extra, ...own] : [...own, ...extra], expected)
  }
  add("a 64 KiB header", [["x-padding", big]], refused(431))
  add("a 64 KiB header before the webhook headers", [["x-padding", big]], refused(431), "before")
  add("a 64 KiB webhook-signature", [["webhook-signature", `v1,${big}`]], refused(431))
  const many = (count: number) => Array.from({ length: count }, (_, i): Header => [`x-h${i}`, "v"])
  // Node 20 takes 1,000 header lines; Node 24 may refuse as many with 431 (RFC 6585): either, never a crash.
  add("1,000 headers", many(1000), [ACCEPTED, refused(431)])
  // Node keeps the first 1,000 header lines of a request and drops the rest unread (webhook headers behind 1,000
  // others are missing): 990, then the webhook headers.
  add("990 headers before the webhook headers", many(990), [ACCEPTED, refused(431)], "before")
  add("a NUL in a value", [["x-note", "a\u0000b"]], refused(400))
  add("a CR in a value", [["x-note", "a\rb"]], refused(400))
  add("a bare LF in a value", [["x-note", "a\nb"]], refused(400))
  add("a DEL in a name", [["x-no\u007fte", "a"]], refused(400))
  add("a space before the colon", [["x-note ", "a"]], refused(400))
  add("a line folded onto the next (obs-fold)", [["x-note", "a\r\n b"]], refused(400))
  add("a header line without a colon", [["x-note\r\nno-colon-here", "x"]], refused(400))
  {
    const delivery = signed()
    const headers = deliveryHeaders(delivery).map(([name, value]): Header =>
      [name, name === "webhook-id" ? `${value}\u0000` : value]
    )
    withHeaders("a NUL in webhook-id", delivery, headers, refused(400))
  }
  // Repeated webhook-* lines: Node joins them with ", ".
  {
    const first = freshId()
    const second = freshId()
    const delivery = signed({ id: first })
    withHeaders(
      "two webhook-id lines, signed with the first",
      { ...delivery, id: `${first}, ${second}` },
      [["webhook-id", first], ["webhook-id", second], ...deliveryHeaders(delivery).slice(2)],
      rejected("NoMatchingSignature")
    )
    mac(`${first}, ${second}`, delivery.timestamp, delivery.body)
  }
  {
    const first = freshId()
    const second = freshId()
    const delivery = signed({ id: `${first}, ${second}` })
    withHeaders(
      "two webhook-id lines, signed with both as Node joins them",
      delivery,
      [["webhook-id", first], ["webhook-id", second], ...deliveryHeaders(delivery).slice(2)],
      ACCEPTED
    )
  }
  {
    const delivery = signed()
    withHeaders("two webhook-timestamp lines", delivery, [
      ...deliveryHeaders(delivery),
      ["webhook-timestamp", delivery.timestamp]
    ], rejected("InvalidTimestamp"))
  }
  for (const order of ["wrong first", "right first"] as const) {
    const delivery = signed()
    const wrong = `v1,${mac(delivery.id, delivery.timestamp, delivery.body, otherKey)}`
    const lines: ReadonlyArray<Header> = order === "wrong first"
      ? [["webhook-signature", wrong], ["webhook-signature", delivery.signature]]
      : [["webhook-signature", delivery.signature], ["webhook-signature", wrong]]
    const headers = [...deliveryHeaders(delivery).slice(0, 3), ...lines]
    withHeaders(`two webhook-signature lines, ${order}`, delivery, headers, ACCEPTED)
  }
  for (const [name, at] of [["after", 200], ["before", 0]] as const) {
    const delivery = signed()
    const wrong = Array.from({ length: 199 }, (): Header => ["webhook-signature", wrongMac()])
    const lines = [...wrong.slice(0, at), ["webhook-signature", delivery.signature] as Header, ...wrong.slice(at)]
    withHeaders(
      `200 webhook-signature lines, the right one ${name} 199 wrong ones`,
      delivery,
      [...deliveryHeaders(delivery).slice(0, 3), ...lines],
      // Only the first 16 entries are checked.
      at === 0 ? ACCEPTED : rejected("NoMatchingSignature")
    )
  }
  // Empty headers are missing ones (Standard Webhooks); Node trims the whitespace around a value.
  for (const header of ["webhook-timestamp", "webhook-signature"]) {
    const delivery = signed()
    const headers = deliveryHeaders(delivery).map(([name, value]): Header => [name, name === header ? "  " : value])
    withHeaders(`a blank ${header}`, delivery, headers, rejected("MissingHeader"))
  }
  // Issue 12: an empty webhook-id signed over the empty id was stored under the key "".
  cases.push(deliver("an empty webhook-id, signed as empty", signed({ id: "" }), rejected("MissingHeader")))
  // Bytes outside ASCII: Node reads header values as latin1, and so does the id we sign here.
  cases.push(deliver("a latin1 webhook-id", signed({ id: `${freshId()}_\u00e9\u00ff` }), ACCEPTED))
  cases.push(deliver("UTF-8 bytes in webhook-id", signed({ id: `${freshId()}_${asLatin1("日本")}` }), ACCEPTED))
  {
    const delivery = signed({ timestamp: asLatin1("١٧٦٤٤٣٣٠٠٠") })
    cases.push(deliver("Arabic-Indic digits in webhook-timestamp", delivery, rejected("InvalidTimestamp")))
  }
  {
    const delivery = signed()
    const signature = `v1,\u00e9${delivery.signature.slice(4)}`
    cases.push(deliver("a latin1 webhook-signature", { ...delivery, signature }, rejected("NoMatchingSignature")))
  }
  add("latin1 and UTF-8 bytes in other headers", [["x-note", "\u00e9\u00ff"], ["x-lang", asLatin1("日本")]], ACCEPTED)
  {
    const delivery = signed()
    withHeaders("webhook headers in odd case", delivery, [
      ["WEBHOOK-ID", delivery.id],
      ["Webhook-Timestamp", delivery.timestamp],
      ["wEbHoOk-SiGnAtUrE", delivery.signature]
    ], ACCEPTED)
  }
  // Generated: up to 1,000 extra headers of names and values of every allowed byte, around a signed delivery.
  const Name = Arbitrary.map(matching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,12}$/), (name) => `x-${name}`)
  const Value = Arbitrary.map(
    Arbitrary.array(oneof(integer(0x21, 0x7e), integer(0x80, 0xff), constantFrom(0x20, 0x09)), { maxLength: 24 }),
    (codes) => String.fromCharCode(...codes).replace(/^[ \t]+|[ \t]+$/g, "")
  )
  const Extra = upTo(Arbitrary.all([Name, Value]), 1000)
  for (const extra of generate(Extra, 20)) {
    const size = extra.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0)
    // Node refuses a header section over 16 KiB; near the limit, either answer is right.
    const expected = size < 15_000 ? ACCEPTED : size > 17_000 ? refused(431) : [ACCEPTED, refused(431)]
    const delivery = signed()
    const headers = [...deliveryHeaders(delivery), ...extra]
    withHeaders(`${extra.length} generated headers (${size} bytes)`, delivery, headers, expected)
  }
  return cases
}

const timestampCases = (): ReadonlyArray<Case> => {
  const t = now()
  const cases: Array<Case> = []
  const add = (name: string, timestamp: string, expected?: Expected) => {
    const delivery = signed({ timestamp })
    cases.push(post(`webhook-timestamp ${name} (${JSON.stringify(timestamp)})`, delivery, expected))
  }
  add("negative", `-${t}`, rejected("InvalidTimestamp"))
  add("minus zero", "-0", rejected("InvalidTimestamp"))
  add("with a fraction", `${t}.5`, rejected("InvalidTimestamp"))
  add("with a zero fraction", `${t}.0`, rejected("InvalidTimestamp"))
  add("in exponent form", "1e20", rejected("InvalidTimestamp"))
  add("now in exponent form", `${t}e0`, rejected("InvalidTimestamp"))
  add("with two leading zeros", `00${t}`, ACCEPTED)
  add("with leading zeros to 15 digits", `${"0".repeat(15 - String(t).length)}${t}`, ACCEPTED)
  add("with leading zeros to 16 digits", `${"0".repeat(16 - String(t).length)}${t}`, rejected("InvalidTimestamp"))
  add("of 16 digits", "1000000000000000", rejected("InvalidTimestamp"))
  add("of 15 nines", "999999999999999", rejected("TimestampTooNew"))
  add("the largest safe integer", String(Number.MAX_SAFE_INTEGER), rejected("InvalidTimestamp"))
  add("zero", "0", rejected("TimestampTooOld"))
  add("in hexadecimal", `0x${t.toString(16)}`, rejected("InvalidTimestamp"))
  add("with a plus sign", `+${t}`, rejected("InvalidTimestamp"))
  add("NaN", "NaN", rejected("InvalidTimestamp"))
  add("Infinity", "Infinity", rejected("InvalidTimestamp"))
  add("with a space inside", `${String(t).slice(0, 5)} ${String(t).slice(5)}`, rejected("InvalidTimestamp"))
  add("in milliseconds", String(Date.now()), rejected("TimestampTooNew"))
  // Well inside and well outside the 300 s tolerance: a slow run cannot move them across its edge.
  add("290 s old", String(t - 290), ACCEPTED)
  add("290 s ahead", String(t + 290), ACCEPTED)
  add("330 s old", String(t - 330), rejected("TimestampTooOld"))
  add("340 s ahead", String(t + 340), rejected("TimestampTooNew"))
  {
    // Whitespace around a value is not part of it (RFC 9110): the receiver reads the digits, signed as such.
    const delivery = signed({ timestamp: String(t) })
    cases.push(viaSocket("webhook-timestamp between tabs and spaces", delivery.id, ACCEPTED, {
      headers: deliveryHeaders(delivery).map(([name, value]): Header =>
        [name, name === "webhook-timestamp" ? `\t ${value} \t` : value]
      ),
      body: bytesOf(delivery.body)
    }))
  }
  // Generated: near now, far from now, and strings of the characters numbers are written with.
  const Timestamp = oneof(
    Arbitrary.map(integer(-200, 200), (offset) => String(t + offset)),
    Arbitrary.flatMap(integer(400, 1_000_000_000), (offset) =>
      constantFrom(String(t + offset), String(Math.max(0, t - offset)))),
    Arbitrary.filter(matching(/^[-+]?[0-9]{0,20}(\.[0-9]{0,3})?([eE][-+]?[0-9]{1,3})?$/), (text) => text !== ""),
    Arbitrary.map(Arbitrary.all([integer(0, 8), integer(-200, 200)]), ([zeros, offset]) =>
      `${"0".repeat(zeros)}${t + offset}`)
  )
  for (const timestamp of generate(Timestamp, 40)) add("generated", timestamp)
  return cases
}

const signatureCases = (): ReadonlyArray<Case> => {
  const cases: Array<Case> = []
  const add = (name: string, shape: (delivery: Delivery, macOf: string) => string, expected?: Expected) => {
    const delivery = signed()
    const header = shape(delivery, delivery.signature.slice("v1,".length))
    const odd = { ...delivery, signature: header }
    cases.push(post(`webhook-signature ${name}`, odd, expected ?? verdict(odd)))
  }
  const wrong = wrongMac
  const noMatch = rejected("NoMatchingSignature")
  add("v1, alone", () => "v1,", noMatch)
  add("v1 alone", () => "v1", noMatch)
  add("v2 with the right MAC", (_, m) => `v2,${m}`, noMatch)
  add("with the MAC cut short", (_, m) => `v1,${m.slice(0, 20)}`, noMatch)
  add("with a byte after the MAC", (_, m) => `v1,${base64(Uint8Array.of(...Buffer.from(m, "base64"), 0))}`, noMatch)
  add("without its padding", (_, m) => `v1,${m.replace(/=+$/, "")}`, ACCEPTED)
  add("folded at its comma", (_, m) => `v1, ${m}`, ACCEPTED)
  add("folded as a list joined with a space", (_, m) => `v1 ${m}`, ACCEPTED)
  add("in URL-safe base64", (_, m) => `v1,${m.replace(/\+/g, "-").replace(/\//g, "_")}`)
  add("as hex", (_, m) => `v1,${Buffer.from(m, "base64").toString("hex")}`, noMatch)
  add("as a JSON array", (_, m) => JSON.stringify(["v1", m]), noMatch)
  add("of another secret", (d) => `v1,${mac(d.id, d.timestamp, d.body, otherKey)}`, noMatch)
  // At most 16 entries are checked.
  add("16 wrong then the right one", (_, m) => [...Array(16).fill(0).map(wrong), `v1,${m}`].join(" "), noMatch)
  add("15 wrong then the right one", (_, m) => [...Array(15).fill(0).map(wrong), `v1,${m}`].join(" "), ACCEPTED)
  add("the right one 300 times", (_, m) => Array(300).fill(`v1,${m}`).join(" "), ACCEPTED)
  add("10 KiB of base64", () => `v1,${randomBytes(7680).toString("base64")}`, noMatch)
  add("3,000 empty entries", () => Array(3000).fill("v1,").join(" "), noMatch)
  add("5,000 commas", () => ",".repeat(5000), noMatch)
  add("a MAC of the right length that is not it", () => wrong(), noMatch)
  // Generated: lists of entries of every shape, joined every way; the library's verdict is the answer.
  const Entry = constantFrom(
    "right", "wrong", "folded", "folded-comma", "unpadded", "url-safe", "v2", "cut", "empty", "bare-mac", "junk"
  )
  const Shape = Arbitrary.all({
    entries: upTo(Entry, 40),
    separator: constantFrom(" ", ", ", ",", "\t", "  ", " ,")
  })
  for (const shape of generate(Shape, 40)) {
    add(`generated (${shape.entries.join(" ")})`, (_, m) =>
      shape.entries.map((entry) => {
        switch (entry) {
          case "right":
            return `v1,${m}`
          case "wrong":
            return wrong()
          case "folded":
            return `v1 ${m}`
          case "folded-comma":
            return `v1, ${m}`
          case "unpadded":
            return `v1,${m.replace(/=+$/, "")}`
          case "url-safe":
            return `v1,${m.replace(/\+/g, "-").replace(/\//g, "_")}`
          case "v2":
            return `v2,${m}`
          case "cut":
            return `v1,${m.slice(0, 30)}`
          case "empty":
            return "v1,"
          case "bare-mac":
            return m
          case "junk":
            return randomBytes(6).toString("base64")
        }
      }).join(shape.separator).replace(/^[ \t]+|[ \t]+$/g, ""))
  }
  return cases
}

const bodyCases = (): ReadonlyArray<Case> => {
  const cases: Array<Case> = []
  const add = (name: string, body: string | Uint8Array, expected?: Expected) => {
    const delivery = signed({ body })
    cases.push((bytesOf(body).byteLength > 64 * 1024 ? deliver : post)(`a body ${name}`, delivery, expected))
  }
  for (const [name, bytes] of NOT_UTF8) {
    add(`of ${name}`, bytes, invalid("InvalidJson"))
    const inside = splice(SAMPLE, SAMPLE.indexOf("resp_") + 2, bytes)
    add(`with ${name} inside a string of an event`, inside, invalid("InvalidJson"))
  }
  add("in UTF-16", Buffer.from(SAMPLE, "utf16le"), invalid("InvalidJson"))
  add("after a UTF-8 byte order mark", Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(SAMPLE)]))
  add("that is empty", "", invalid("InvalidJson"))
  add("that is whitespace", " \r\n\t", invalid("InvalidJson"))
  add("that is null", "null", invalid("InvalidEvent"))
  add("that is an array", "[]", invalid("InvalidEvent"))
  add("that is a string", "\"response.completed\"", invalid("InvalidEvent"))
  add("of JSON cut short", SAMPLE.slice(0, -1), invalid("InvalidJson"))
  add("with a NUL after the JSON", `${SAMPLE}\u0000`, invalid("InvalidJson"))
  for (const shape of ["array", "object"] as const) {
    for (const levels of [3_000, 100_000]) {
      const deep = nested(levels, shape)
      const what = `${levels} nested ${shape}s`
      add(`of ${what}`, deep, invalid("InvalidEvent"))
      // Issue 12: a typed field holding thousands of levels made decoding die, answered 500 without a line.
      add(`whose data.id is ${what}`, withValue("response.completed", "data.id", deep), invalid("InvalidEvent"))
      add(`whose type is ${what}`, withValue("response.completed", "type", deep), invalid("InvalidEvent"))
      add(`of an unknown type whose data is ${what}`, withValue("x.unknown", "data", deep), invalid("InvalidEvent"))
      // A key no class reads: ignored, as keys OpenAI may add are.
      add(`with an extra key of ${what}`, withValue("response.completed", "extra", deep), ACCEPTED)
    }
  }
  const wide = Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(",")
  add("with 50,000 keys in data", withValue("response.completed", "data", `{"id":"resp_1",${wide}}`))
  add("of an unknown type of 500,000 characters", withValue(`x.${"t".repeat(500_000)}`, "data", "{}"))
  add("with a __proto__ key", withValue("response.completed", "data", `{"id":"resp_1","__proto__":{"polluted":true}}`))
  add("with a __proto__ envelope", withValue("response.completed", "extra", `{"__proto__":{"type":"batch.completed"}}`))
  add("with a number past float range", withValue("response.completed", "created_at", "1e400"))
  add("with duplicate keys", SAMPLE.replace("{", "{\"type\":\"batch.completed\","))
  {
    // At the limit exactly: the event, then spaces (JSON allows them) up to 1 MiB.
    const padded = `${SAMPLE}${" ".repeat(MiB - Buffer.byteLength(SAMPLE))}`
    cases.push(deliver("a body of exactly 1 MiB", signed({ body: padded }), ACCEPTED))
    // Over the limit, on a kept-alive connection: Node reads and drops the rest after the 413. (On a connection the
    // client asked to close, Node closes it with the rest unread, and the reset can destroy the 413 on its way.)
    const tooLarge = (name: string, body: Uint8Array, framing: "length" | "chunked") => {
      const delivery = signed({ body })
      cases.push(viaSocket(name, delivery.id, TOO_LARGE, {
        headers: deliveryHeaders(delivery),
        body,
        framing,
        chunk: 64 * 1024,
        close: false
      }))
    }
    tooLarge("a body of 1 MiB and 1 byte", Buffer.from(`${padded} `), "length")
    const tenMiB = Buffer.alloc(10 * MiB, 0x20)
    tooLarge("a body of 10 MiB", tenMiB, "length")
    tooLarge("a body of 10 MiB, chunked (no length declared)", tenMiB, "chunked")
  }
  // Generated: byte soup, events with a value replaced (JSON of any shape, deep nesting), bytes spliced in.
  const Deep = Arbitrary.map(
    Arbitrary.all([constantFrom(1, 2, 127, 128, 129, 1_000, 3_000, 100_000), constantFrom("array", "object")]),
    ([levels, shape]) => nested(levels, shape)
  )
  const Value = oneof(Deep, Arbitrary.map(Arbitrary.schema(Schema.Json), (json) => JSON.stringify(json)))
  const Type = constantFrom(...WebhookEvent.EventType.literals, "x.unknown")
  const Path = constantFrom("", "type", "id", "created_at", "data", "data.id", "extra")
  const Body = Arbitrary.filter(
    oneof<string | Uint8Array>(
      Arbitrary.filter(
        Arbitrary.map(Arbitrary.array(integer(0, 255), { maxLength: 2048 }), (bytes) => Uint8Array.from(bytes)),
        (bytes) => noStackLike(Buffer.from(bytes).toString("latin1"))
      ),
      Arbitrary.map(Arbitrary.all([Type, Path, Value]), ([type, path, value]) => withValue(type, path, value)),
      Arbitrary.map(
        Arbitrary.all([Type, integer(0, 2_147_483_647), constantFrom(...NOT_UTF8.map(([, bytes]) => bytes))]),
        ([type, at, bytes]) => splice(withValue(type, "extra", "0"), at, bytes)
      )
    ),
    (body) => typeof body !== "string" || noStackLike(body)
  )
  for (const [index, body] of generate(Body, 40).entries()) add(`generated (#${index})`, body)
  return cases
}

/** Every method Node knows, unknown ones, and the framing of a body every way, true or lying. */
const framingCases = (): ReadonlyArray<Case> => {
  const cases: Array<Case> = []
  /** A signed delivery sent as `request` says. */
  const add = (
    name: string,
    request: (delivery: Delivery) => RawRequest,
    expected: Expected | ReadonlyArray<Expected>,
    how?: Exchange
  ) => {
    const delivery = signed()
    cases.push(viaSocket(name, delivery.id, expected, request(delivery), how))
  }
  const as = (delivery: Delivery, more: Partial<RawRequest> = {}): RawRequest => ({
    headers: deliveryHeaders(delivery),
    body: bytesOf(delivery.body),
    ...more
  })
  /** The delivery with these headers added, and no framing header but theirs. */
  const framedBy = (delivery: Delivery, ...headers: ReadonlyArray<Header>): RawRequest =>
    as(delivery, { framing: "none", headers: [...deliveryHeaders(delivery), ...headers] })
  const length = (delivery: Delivery, more = 0): Header => [
    "Content-Length",
    String(bytesOf(delivery.body).byteLength + more)
  ]
  const notFound: Expected = { what: "not found", status: 404 }
  for (const method of http.METHODS) {
    if (method === "CONNECT") continue
    const expected = method === "POST" ? ACCEPTED : methodNotAllowed(method === "HEAD")
    add(`${method} with a signed delivery`, (d) => as(d, { method }), expected)
  }
  // RFC 9110 9.3.6: not a proxy. Answered on the socket before any delivery code runs: no line.
  add("CONNECT", (d) => as(d, { method: "CONNECT", target: "127.0.0.1:443" }), refused(405))
  add("a method in lower case", (d) => as(d, { method: "post" }), refused(400))
  add("an unknown method", (d) => as(d, { method: "FETCH" }), refused(400))
  add("chunked in 1-byte chunks", (d) => as(d, { framing: "chunked", chunk: 1 }), ACCEPTED)
  add("chunked in 7-byte chunks, written in 60 pieces", (d) => as(d, { framing: "chunked", chunk: 7 }), ACCEPTED, {
    pieces: 60
  })
  add("written one byte at a time", (d) => as(d), ACCEPTED, { pieces: 2048 })
  add("chunked with a chunk extension and a trailer", (d) => {
    const body = bytesOf(d.body)
    return {
      ...framedBy(d, ["Transfer-Encoding", "chunked"]),
      body: Buffer.concat([
        Buffer.from(`${body.byteLength.toString(16)};name=value\r\n`),
        body,
        Buffer.from("\r\n0\r\nx-trailer: yes\r\n\r\n")
      ])
    }
  }, ACCEPTED)
  // RFC 9112 lets a server refuse this, or read the chunks and close.
  add("Transfer-Encoding: chunked and a Content-Length", (d) =>
    as(d, { framing: "chunked", headers: [...deliveryHeaders(d), ["Content-Length", "5"]] }), [refused(400), ACCEPTED])
  add("two Content-Length values", (d) => framedBy(d, length(d), ["Content-Length", "3"]), refused(400))
  add("a negative Content-Length", (d) => framedBy(d, ["Content-Length", "-1"]), refused(400))
  add("a Content-Length of 20 digits", (d) => framedBy(d, ["Content-Length", "99999999999999999999"]), refused(400))
  add("Transfer-Encoding: gzip", (d) => framedBy(d, ["Transfer-Encoding", "gzip"]), refused(400))
  add("a chunk size that is not hexadecimal", (d) => ({
    ...framedBy(d, ["Transfer-Encoding", "chunked"]),
    body: Buffer.from("zz\r\n{}\r\n0\r\n\r\n")
  }), refused(400))
  {
    // A Content-Length one byte short: the receiver reads that much (the MAC it computes differs), and the byte
    // left is read as the next request, which Node refuses. Which answer the client sees first is a race; the
    // receiver's line is written either way.
    const delivery = signed()
    const body = bytesOf(delivery.body)
    mac(delivery.id, delivery.timestamp, body.subarray(0, body.byteLength - 1))
    const short = rejected("NoMatchingSignature")
    cases.push(viaSocket("a Content-Length one byte short", delivery.id, [
      short,
      { ...short, status: 400, body: undefined },
      { ...short, status: undefined, body: undefined }
    ], framedBy(delivery, length(delivery, -1))))
  }
  add("a Content-Length longer than the body, then the client stops sending", (d) => framedBy(d, length(d, 100)), [
    refused(400),
    refused(undefined)
  ], { then: "end" })
  add("a Content-Length longer than the body, then the client leaves", (d) => framedBy(d, length(d, 100)), [
    refused(undefined)
  ], { then: "destroy" })
  {
    const delivery = signed()
    const bytes = requestBytes(as(delivery)).subarray(0, 120)
    cases.push(viaBytes("half the headers, then the client leaves", delivery.id, refused(undefined), bytes, {
      then: "destroy"
    }))
  }
  add("Expect: 100-continue", (d) => as(d, { headers: [...deliveryHeaders(d), ["Expect", "100-continue"]] }), ACCEPTED)
  // RFC 9110 lets a server answer 417 to an expectation it does not know.
  add("an expectation nobody knows", (d) => as(d, { headers: [...deliveryHeaders(d), ["Expect", "the-unexpected"]] }), [
    refused(417),
    ACCEPTED
  ])
  // A server without an upgrade handler may answer it as a plain request, or refuse it.
  add("Connection: Upgrade to websocket", (d) =>
    as(d, { headers: [...deliveryHeaders(d), ["Connection", "Upgrade"], ["Upgrade", "websocket"]], close: false }), [
    ACCEPTED,
    refused(400),
    refused(undefined)
  ])
  add("HTTP/1.1 without Host", (d) => as(d, { host: false }), refused(400))
  add("a query string", (d) => as(d, { target: "/webhooks/openai?x=1&webhook-id=forged" }), ACCEPTED)
  add("a path with a trailing slash", (d) => as(d, { target: "/webhooks/openai/" }), notFound)
  // RFC 9112 3.2.2: a server must accept the absolute form.
  add("an absolute-form request-target", (d) => as(d, { target: "http://127.0.0.1/webhooks/openai" }), ACCEPTED)
  return cases
}

/** Header and log injection: nothing a sender writes may forge a line or a header of an answer. */
const injectionCases = (forged: string): ReadonlyArray<Case> => {
  const cases: Array<Case> = []
  const line = `level=INFO message=processed webhook_id=${forged} event_type=response.completed`
  {
    const id = `${freshId()} ${line}`
    cases.push(viaSocket("a webhook-id that writes a log line, unsigned", id, rejected("MissingHeader"), {
      headers: [["webhook-id", id]],
      body: Buffer.from(SAMPLE)
    }))
  }
  cases.push(deliver("a webhook-id that writes a log line, signed", signed({ id: `${freshId()}" ${line}` }), ACCEPTED))
  cases.push(deliver("an escaped line break in webhook-id, signed", signed({ id: `${freshId()}\\n${line}` }), ACCEPTED))
  {
    const delivery = signed({ body: withValue(`x.type\n${line}`, "data", "{}") })
    cases.push(deliver("an event type that writes a log line", delivery, ACCEPTED))
  }
  {
    const delivery = signed({ body: withValue("response.completed", "data.id", JSON.stringify(`\n${line}\n`)) })
    cases.push(deliver("a data.id that writes a log line", delivery, ACCEPTED))
  }
  const undecodable = signed({ body: `${SAMPLE}\n${line}` })
  cases.push(deliver("an undecodable body that writes a log line", undecodable, invalid("InvalidJson")))
  {
    // Percent-encoded CR LF: nothing decodes it, and no answer repeats a request header.
    const delivery = signed({ id: `${freshId()}%0d%0aSet-Cookie:%20forged=1` })
    cases.push({
      ...deliver("a webhook-id that would split the answer", delivery, ACCEPTED),
      check: (answer) => assert.notInclude(answer.raw.toLowerCase(), "set-cookie")
    })
  }
  return cases
}

// The receivers.

const databases = mkdtempSync(join(tmpdir(), "hostile-"))
afterAll(() => rmSync(databases, { recursive: true, force: true }))
// Whatever happens, no receiver is left behind.
afterAll(killGroups)

interface Mode {
  readonly name: string
  readonly skip: boolean
  readonly start: () => Promise<Receiver>
  /** What an accepted delivery is answered, and the line the receiver writes for it when it answers. */
  readonly accepted: { readonly body: unknown; readonly message: "processed" | "queued" }
}

const modes: ReadonlyArray<Mode> = [
  {
    name: "inline on a SQLite file",
    skip: false,
    start: () =>
      startReceiver(() => ["node", RECEIVER], {
        DATABASE_URL: `sqlite:${join(databases, "inbox.sqlite")}`,
        WEBHOOK_MODE: "inline",
        OPENAI_WEBHOOK_SECRET: secret
      }),
    accepted: { body: { received: true }, message: "processed" }
  },
  {
    name: "queued on PostgreSQL",
    skip: skipPostgres("hostile.test.ts"),
    start: () =>
      startReceiver(
        (port) => [
          "node",
          CLI,
          "serve",
          ...["--port", `${port}`, "--mode", "queued", "--database", postgres()]
        ],
        { OPENAI_WEBHOOK_SECRET: secret }
      ),
    accepted: { body: { received: true, queued: true }, message: "queued" }
  }
]

/** A receiver's log lines, parsed as they come: the output grows by megabytes of echoed bodies. */
class Log {
  private parsed: Array<LogLine> = []
  private offset = 0
  constructor(readonly receiver: Receiver) {}
  get lines(): ReadonlyArray<LogLine> {
    const text = this.receiver.stdout.text
    const end = text.lastIndexOf("\n") + 1
    if (end > this.offset) {
      for (const line of text.slice(this.offset, end - 1).split("\n")) this.parsed.push(parseLogfmt(line))
      this.offset = end
    }
    return this.parsed
  }
  of(id: string): ReadonlyArray<LogLine> {
    return this.lines.filter((line) => line["webhook_id"] === id)
  }
  until<A>(what: string, find: (lines: ReadonlyArray<LogLine>) => A | undefined): Promise<A> {
    return this.receiver.stdout.waitFor(what, () => find(this.lines))
  }
}

/** Both receivers, built once and started together. */
const receivers = new Map<Mode, Receiver>()
beforeAll(async () => {
  await build()
  await Promise.all(modes.filter((mode) => !mode.skip).map(async (mode) => receivers.set(mode, await mode.start())))
}, 2 * PATIENCE)

interface Sent {
  readonly request: Case
  readonly expected: Expected
}

for (const mode of modes) {
  describe.skipIf(mode.skip)(`the receiver ${mode.name}, attacked`, () => {
    let receiver: Receiver
    let log: Log
    /** The ids of every authentic but undecodable delivery sent: exactly these get one `invalid` line each. */
    const invalidIds = new Set<string>()
    /** How far stdout has been checked for leaks. */
    let checked = 0

    beforeAll(() => {
      receiver = receivers.get(mode)!
      log = new Log(receiver)
    })

    const alive = async (after: string) => {
      assert.strictEqual(receiver.child.exitCode, null, `the receiver exited after ${after}`)
      assert.strictEqual(receiver.child.signalCode, null, `the receiver was killed after ${after}`)
      const health = await fetch(`${receiver.origin}/healthz`)
      assert.strictEqual(health.status, 200, `/healthz after ${after}`)
      assert.deepStrictEqual(await health.json(), { status: "ok" })
    }

    /** Sends each request in turn: the answer it may get, nothing leaked, and the receiver still up. */
    const attack = async (cases: ReadonlyArray<Case>): Promise<ReadonlyArray<Sent>> => {
      const sent: Array<Sent> = []
      for (const request of cases) {
        const answer = await within(request.send(receiver), request.name, PATIENCE)
        const expected = request.expected.find((option) => option.status === answer.status)
        assert.isDefined(
          expected,
          `${request.name}: expected ${request.expected.map((option) => option.what).join(" or ")}, ` +
            `got ${answer.status ?? "no answer"} ${answer.body.slice(0, 300)}`
        )
        if (expected!.body !== undefined) {
          const body = expected!.body === "accepted" ? mode.accepted.body : expected!.body
          assert.deepStrictEqual(JSON.parse(answer.body), body, request.name)
        }
        assert.isUndefined(leak(answer.raw), `${request.name}: the answer shows ${leak(answer.raw)}`)
        request.check?.(answer)
        await alive(request.name)
        if (expected!.line?.message === "invalid") invalidIds.add(request.id)
        sent.push({ request, expected: expected! })
      }
      return sent
    }

    /** Once every line of `sent` is written: exactly the lines each one must get, and nothing leaked. */
    const audit = async (sent: ReadonlyArray<Sent>) => {
      // Lines are written in order: once a delivery sent last has its line, every earlier one has its own.
      const last = signed()
      await within(post("the last delivery", last, ACCEPTED).send(receiver), "the last delivery")
      await log.until("the last delivery's line", (lines) =>
        lines.find((line) => line["webhook_id"] === last.id && line["message"] === mode.accepted.message))
      const accepted = sent.filter(({ expected }) => expected.line?.message === "accepted").map(({ request }) =>
        request.id
      )
      if (mode.accepted.message === "queued") {
        // The workers run each accepted delivery's handler once.
        await log.until("every accepted delivery to be processed", (lines) => {
          const processed = new Set(
            lines.filter((line) => line["message"] === "processed").map((line) => line["webhook_id"])
          )
          return accepted.every((id) => processed.has(id)) ? true : undefined
        })
      }
      for (const { expected, request } of sent) {
        const messages = log.of(request.id).map((line) => line["message"]).sort()
        const wanted = expected.line === undefined
          ? []
          : expected.line.message !== "accepted"
          ? [expected.line.message]
          : mode.accepted.message === "queued"
          ? ["processed", "queued"]
          : ["processed"]
        assert.deepStrictEqual(messages, wanted, `${request.name}: the lines of ${JSON.stringify(request.id)}`)
        if (expected.line?.reason !== undefined) {
          assert.strictEqual(log.of(request.id)[0]!["reason"], expected.line.reason, request.name)
        }
      }
      const lines = log.lines
      // Exactly one invalid line per authentic but undecodable delivery, and no other invalid line.
      const invalidLines = lines.filter((line) => line["message"] === "invalid").map((line) => line["webhook_id"]!)
      assert.deepStrictEqual(invalidLines.filter((id) => !invalidIds.has(id)), [], "invalid lines of no such delivery")
      assert.strictEqual(invalidLines.length, invalidIds.size, "one invalid line per invalid delivery")
      for (const outcome of ["failed", "dead", "inbox worker: database error, trying again"]) {
        assert.deepStrictEqual(lines.filter((line) => line["message"] === outcome), [], outcome)
      }
      const text = receiver.stdout.text
      // Overlap by a MAC's length, so that one written across the boundary is seen.
      assert.isUndefined(leak(text.slice(Math.max(0, checked - MAC_CHARS))), "a log line shows it")
      checked = text.length
      assert.strictEqual(receiver.stderr.text, "", "stderr")
    }

    const group = (name: string, cases: () => ReadonlyArray<Case>) =>
      it(name, { timeout: 2 * PATIENCE }, async () => {
        await audit(await attack(cases()))
      })

    group("huge and malformed headers, repeated and non-ASCII webhook headers", headerCases)
    group("odd timestamps", timestampCases)
    group("signatures of every shape", signatureCases)
    group("invalid UTF-8, deep and odd JSON, bodies at and over the limit", bodyCases)
    group("every method, chunking, and framing that lies", framingCases)

    it("forges no log line and no answer header from what a sender writes", { timeout: 2 * PATIENCE }, async () => {
      const forged = freshId()
      const sent = await attack(injectionCases(forged))
      await audit(sent)
      assert.deepStrictEqual(log.of(forged), [], "a line forged by a sender")
    })

    it("answers copies of a processed delivery duplicate, and a copy past the tolerance 401", {
      timeout: 2 * PATIENCE
    }, async () => {
      const delivery = signed()
      const first = post("the first copy", delivery, ACCEPTED)
      const sent = await attack([first])
      await audit(sent)
      const copy = () => first.send(receiver)
      const duplicate = { received: true, duplicate: true }
      const once = await copy()
      assert.deepStrictEqual([once.status, JSON.parse(once.body)], [200, duplicate])
      const copies = await Promise.all(Array.from({ length: 20 }, copy))
      assert.deepStrictEqual(
        copies.map((answer) => [answer.status, JSON.parse(answer.body)]),
        Array(20).fill([200, duplicate])
      )
      // The same delivery as OpenAI signed it 330 s ago, past the 300 s tolerance.
      const late = signed({ id: delivery.id, timestamp: String(now() - 330) })
      const replayed = await post("a copy past the tolerance", late, rejected("TimestampTooOld")).send(receiver)
      assert.strictEqual(replayed.status, 401)
      await log.until("21 duplicate lines and a rejected one", (lines) => {
        const of = lines.filter((line) => line["webhook_id"] === delivery.id)
        return of.filter((line) => line["message"] === "duplicate").length === 21 &&
            of.some((line) => line["message"] === "rejected")
          ? true
          : undefined
      })
      // The handler ran once.
      assert.strictEqual(log.of(delivery.id).filter((line) => line["message"] === "processed").length, 1)
      await alive("the copies")
    })

    it("then stops on SIGTERM and exits 0", { timeout: PATIENCE }, async () => {
      receiver.child.kill("SIGTERM")
      assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
    })
  })
}
