/**
 * Verifications every edition must answer alike: a delivery (configured secrets, the three header values, the body,
 * the clock, the tolerance) and the verdict, with the failure's reason, header and, where the row gives it, message.
 * The engine runs them through `Signature.verify`; each edition through its own `verify` (with its own clock and
 * duration types) and its header-reading entry. Built on the published vectors (`vectors.ts`).
 */
import type { Delivery, Reason } from "../../src/Signature.js"
import { kat, rust, sdk, type Vector, vectors } from "./vectors.js"

/** The limits the rows are written against: `Signature.maxSignatures` and `Signature.defaultToleranceSeconds`. */
export const limits = { maxSignatures: 16, defaultToleranceSeconds: 300 } as const

/** What a verification must give. */
export type Expected =
  | { readonly ok: true; readonly delivery: Delivery }
  | {
    readonly ok: false
    readonly reason: Reason
    readonly header: string
    /** The whole message (a string) or what it must match; unchecked when absent. */
    readonly message?: string | RegExp
  }

/** One delivery and its verdict. */
export interface Verification {
  /** What the row is, as the end of a sentence ("verifies ...", "rejects ..."). */
  readonly name: string
  /** The configured secrets, tried in order. */
  readonly secrets: ReadonlyArray<string>
  /** The `webhook-id` header; undefined when absent. */
  readonly id: string | undefined
  /** The `webhook-timestamp` header; undefined when absent. */
  readonly timestamp: string | undefined
  /** The `webhook-signature` header; undefined when absent. */
  readonly signature: string | undefined
  /** The raw body as text: its UTF-8 bytes are what was signed. A row holds for the text and for its bytes. */
  readonly body: string
  /** The verifier's clock, in Unix seconds. */
  readonly now: number
  /** The tolerance in whole seconds; the default ({@link limits}) when absent. */
  readonly tolerance?: number
  readonly expected: Expected
}

type Delivered = Omit<Verification, "name" | "expected">

/** Vector `v` as delivered, verified with its own secret at its own timestamp, with `changes`. */
const delivered = (v: Vector, changes: Partial<Delivered> = {}): Delivered => ({
  secrets: [v.secret],
  id: v.id,
  timestamp: v.timestamp,
  signature: v.signature,
  body: v.body,
  now: Number(v.timestamp),
  ...changes
})

const verifies = (name: string, v: Vector, changes: Partial<Delivered> = {}): Verification => ({
  name,
  ...delivered(v, changes),
  expected: { ok: true, delivery: { id: v.id, timestamp: Number(v.timestamp) } }
})

const rejects = (
  name: string,
  changes: Partial<Delivered>,
  reason: Reason,
  header: string,
  message?: string | RegExp
): Verification => ({
  name,
  ...delivered(kat, changes),
  expected: message === undefined ? { ok: false, reason, header } : { ok: false, reason, header, message }
})

const ts = Number(kat.timestamp)
const MAX = limits.maxSignatures

/** The MAC of the kat vector (its signature without `v1,`), with and without its base64 padding. */
export const katMac = kat.signature.slice("v1,".length)
export const katMacUnpadded = katMac.replace(/=+$/, "")
const [decoy, other] = [vectors.decoys.headers[0]!.slice(3), vectors.decoys.headers[1]!.slice(3)]
const bogus = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

const noneOf = (checked: number, secrets: number, capped = false) =>
  `None of the ${checked} v1 signature(s) in webhook-signature matches the ${secrets} configured secret(s)` +
  `${capped ? ` (at most ${MAX} are checked)` : ""}: the secret is not this endpoint's (or was rotated), ` +
  "or the body was changed on the way (re-serialised JSON?)"
const NO_V1_ENTRY = "The webhook-signature header has no v1 entry (\"v1,<base64>\", several separated by spaces): " +
  "is this request from OpenAI?"

/**
 * What proxies, adapters and Node make of a `webhook-signature` split at its comma, or sent on several lines, for
 * the kat delivery: each verifies (as in OpenAI's SDK, `openai@6.49.0`). The MAC is {@link katMac} (or
 * {@link katMacUnpadded}), so that another signature can be put in its place.
 */
export const foldedLayouts: ReadonlyArray<readonly [name: string, signature: string]> = [
  ["a list [\"v1\", mac] joined with a space by the header reader", `v1 ${katMac}`],
  ["the string \"v1, <mac>\" (two lines v1 and <mac> joined by Node)", `v1, ${katMac}`],
  ["\"v1,\" and the MAC separated by a tab", `v1,\t${katMac}`],
  ["\"v1\" and the MAC separated by several spaces and a line break", `v1  \r\n ${katMac}`],
  ["two entries on two lines, joined by Node as \"v1,A, v1,B\", the good one first", `v1,${katMac}, v1,${decoy}`],
  ["two entries on two lines, joined by Node as \"v1,A, v1,B\", the good one second", `v1,${decoy}, v1,${katMac}`],
  ["folded entries one after another", `v1, ${decoy}, v1, ${other}, v1, ${katMac}`],
  ["a folded entry whose MAC has a trailing comma", `v1, ${katMac},`],
  ["a dangling \"v1,\" before a folded entry", `v1, v1 ${katMac}`],
  ["a dangling \"v1\" before a whole entry", `v1 v1,${katMac}`],
  ["a folded entry without base64 padding", `v1, ${katMacUnpadded}`],
  ["a whole entry without base64 padding", `v1,${katMacUnpadded}`]
]

const folded = (n: number, last: string) => [...Array(n).fill(`v1, ${decoy}`), last].join(", ")
const before = (n: number, entry = bogus) => `${Array(n).fill(entry).join(" ")} ${kat.signature}`
const many = Array(10_000).fill(bogus).join(" ")

/** Every verification row. */
export const verifications: ReadonlyArray<Verification> = [
  // The published vectors.
  ...vectors.valid.map((v) => verifies(`the ${v.name} vector at its own timestamp`, v)),
  rejects("a vector verified with another vector's secret", { secrets: [rust.secret] }, "NoMatchingSignature",
    "webhook-signature", noneOf(1, 1)),
  rejects("the vector an hour after its timestamp", { now: ts + 3600 }, "TimestampTooOld", "webhook-timestamp",
    "The webhook-timestamp is 3600 s old, more than the 300 s tolerance: " +
      "a replayed delivery, or this machine's clock is ahead"),
  rejects("a secret without whsec_ that looks like base64, used as its UTF-8 bytes", {
    secrets: [kat.secret.slice("whsec_".length)]
  }, "NoMatchingSignature", "webhook-signature"),

  // Rotation: several configured secrets.
  ...[sdk, kat].map((v) =>
    verifies(`a delivery signed with either of two configured secrets (${v.name})`, v, {
      secrets: [sdk.secret, kat.secret]
    })
  ),
  {
    name: "a delivery signed with a secret that is not configured, among two",
    ...delivered(rust, { secrets: [sdk.secret, kat.secret] }),
    expected: { ok: false, reason: "NoMatchingSignature", header: "webhook-signature", message: noneOf(1, 2) }
  },

  // The decoys: never alone, never in the way of the valid signature.
  ...vectors.decoys.headers.flatMap((d, i) => [
    rejects(`decoy ${i + 1} (${d.slice(0, 16)}...) on its own`, { signature: d }, "NoMatchingSignature",
      "webhook-signature"),
    verifies(`the valid signature with decoy ${i + 1} before it`, kat, { signature: `${d} ${kat.signature}` }),
    verifies(`the valid signature with decoy ${i + 1} after it`, kat, { signature: `${kat.signature} ${d}` })
  ]),
  verifies("entries separated by tabs and line breaks as well as spaces", kat, {
    signature: `${vectors.decoys.headers[0]}\t${vectors.decoys.headers[1]}\n ${kat.signature}`
  }),

  // Folded and re-joined headers.
  ...foldedLayouts.map(([name, signature]) => verifies(name, kat, { signature })),
  ...[`v1 ${katMac}?`, "v1 v1", "v1", "v1,", "v1, ,", `v1 "${katMac}"`].map((signature) =>
    rejects(`a token after "v1" that is not base64, or another "v1", as its MAC: ${JSON.stringify(signature)}`, {
      signature
    }, "NoMatchingSignature", "webhook-signature")
  ),
  verifies(`the good entry folded, after ${MAX - 1} folded entries`, kat, {
    signature: folded(MAX - 1, `v1, ${katMac}`)
  }),
  rejects(`the good entry folded, after ${MAX} folded entries (each counts as one of those checked)`, {
    signature: folded(MAX, `v1, ${katMac}`)
  }, "NoMatchingSignature", "webhook-signature", noneOf(MAX, 1, true)),
  ...["v2,abc", "v1", `v1a,${katMac}`, katMac].map((signature) =>
    rejects(`a webhook-signature without any v1 entry: ${JSON.stringify(signature)}`, { signature },
      "NoMatchingSignature", "webhook-signature", NO_V1_ENTRY)
  ),
  rejects("two v1 entries, neither matching, saying how many were checked", {
    signature: `v1, ${decoy} v1,${other}`
  }, "NoMatchingSignature", "webhook-signature", noneOf(2, 1)),

  // Headers.
  ...(["id", "timestamp", "signature"] as const).map((name) =>
    rejects(`a delivery without webhook-${name}, naming it`, { [name]: undefined }, "MissingHeader",
      `webhook-${name}`, `The webhook-${name} header is missing: is this request from OpenAI?`)
  ),
  rejects("a delivery without any header, naming webhook-id first", {
    id: undefined,
    timestamp: undefined,
    signature: undefined
  }, "MissingHeader", "webhook-id", "The webhook-id header is missing: is this request from OpenAI?"),
  // Standard Webhooks treats an empty header as a missing one.
  ...["", " ", "  ", "\t", " \r\n "].flatMap((value) =>
    (["id", "timestamp", "signature"] as const).map((name) =>
      rejects(`a webhook-${name} of ${JSON.stringify(value)} as missing, saying it is empty`, { [name]: value },
        "MissingHeader", `webhook-${name}`, `The webhook-${name} header is empty: is this request from OpenAI?`)
    )
  ),

  // Timestamps.
  rejects("the timestamp \"abc\"", { timestamp: "abc" }, "InvalidTimestamp", "webhook-timestamp",
    "The webhook-timestamp header is not a whole number of seconds (got \"abc\")"),
  rejects("a 40-digit timestamp, showing its first 32 characters", { timestamp: "1".padEnd(40, "0") },
    "InvalidTimestamp", "webhook-timestamp",
    `The webhook-timestamp header is not a whole number of seconds (got "1${"0".repeat(31)}")`),
  ...["-5", "1.5", " 123", "1e9", `${kat.timestamp} `, "0x10", "+123"].map((timestamp) =>
    rejects(`the timestamp ${JSON.stringify(timestamp)}`, { timestamp }, "InvalidTimestamp", "webhook-timestamp")
  ),
  verifies("a delivery signed exactly 300 s ago", kat, { now: ts + 300 }),
  verifies("a delivery signed exactly 300 s in the future", kat, { now: ts - 300 }),
  rejects("a delivery signed 301 s ago", { now: ts + 301 }, "TimestampTooOld", "webhook-timestamp",
    "The webhook-timestamp is 301 s old, more than the 300 s tolerance: " +
      "a replayed delivery, or this machine's clock is ahead"),
  rejects("a delivery signed 301 s in the future", { now: ts - 301 }, "TimestampTooNew", "webhook-timestamp",
    "The webhook-timestamp is 301 s in the future, more than the 300 s tolerance: this machine's clock is behind"),
  verifies("a delivery signed 10 s ago with a tolerance of 10 s", kat, { now: ts + 10, tolerance: 10 }),
  verifies("a delivery signed 10 s in the future with a tolerance of 10 s", kat, { now: ts - 10, tolerance: 10 }),
  rejects("a delivery signed 11 s ago with a tolerance of 10 s", { now: ts + 11, tolerance: 10 }, "TimestampTooOld",
    "webhook-timestamp", "The webhook-timestamp is 11 s old, more than the 10 s tolerance: " +
      "a replayed delivery, or this machine's clock is ahead"),
  rejects("a delivery signed 11 s in the future with a tolerance of 10 s", { now: ts - 11, tolerance: 10 },
    "TimestampTooNew", "webhook-timestamp"),
  verifies("a delivery signed an hour ago with a tolerance of an hour", kat, { now: ts + 3600, tolerance: 3600 }),

  // Bodies.
  rejects("a body with a space added", { body: `${kat.body} ` }, "NoMatchingSignature", "webhook-signature"),
  rejects("a body re-serialised as JSON", { body: JSON.stringify(JSON.parse(kat.body)) }, "NoMatchingSignature",
    "webhook-signature"),

  // Bounded work.
  rejects("a valid signature after 10,000 bogus v1 entries", { signature: `${many} ${kat.signature}` },
    "NoMatchingSignature", "webhook-signature", noneOf(MAX, 1, true)),
  verifies("a valid signature before 10,000 bogus v1 entries", kat, { signature: `${kat.signature} ${many}` }),
  verifies(`a valid signature in position ${MAX}`, kat, { signature: before(MAX - 1) }),
  rejects(`a valid signature in position ${MAX + 1}`, { signature: before(MAX) }, "NoMatchingSignature",
    "webhook-signature"),
  verifies(`a valid signature after ${MAX * 2} entries that are not v1`, kat, {
    signature: before(MAX * 2, `v2,${bogus.slice(3)}`)
  }),
  rejects("10,000 copies of a decoy", { signature: Array(10_000).fill(vectors.decoys.headers[1]!).join(" ") },
    "NoMatchingSignature", "webhook-signature")
]

/**
 * Everything a failure must never show about vector `v`: its secret, the secret's base64, the key bytes in base64
 * and hex, its signature and its MAC.
 */
export const revealing = (v: Vector): ReadonlyArray<string> => {
  const body = v.secret.slice("whsec_".length)
  const key = Buffer.from(body, "base64")
  return [v.secret, body, key.toString("base64"), key.toString("hex"), v.signature, v.signature.slice(3)]
}
