/**
 * Standard Webhooks v1 signatures over bytes, as OpenAI applies them: sign, verify, and explain where a match lies.
 * Pure: the caller passes the clock reading and the decoded keys, and every verdict is a plain `Result`.
 *
 * Signed content: the bytes of `${webhook-id}.${webhook-timestamp}.` followed by the raw body bytes exactly as
 * received (a string body is its UTF-8 bytes). MAC: HMAC-SHA256 keyed by the secret's bytes (see `Secret`). Header:
 * `v1,<base64 MAC>`, several separated by whitespace; any entry matching any key passes, compared in constant time.
 * Source: the Standard Webhooks specification (https://www.standardwebhooks.com) and OpenAI's SDKs.
 *
 * Two paths, one verdict: where the runtime has `node:crypto` (Node, Bun, Deno, Workers with `nodejs_compat`),
 * {@link sign}, {@link verify}, {@link verifyRequest} and {@link matchingEntry} run synchronously on it
 * ({@link synchronous} is `true`). Where it has not (Cloudflare Workers without `nodejs_compat`, Vercel Edge, Next.js
 * edge routes), only {@link signAsync}, {@link verifyAsync} and {@link verifyRequestAsync} work, on Web Crypto; they
 * take the synchronous path wherever it exists. `node:crypto` is found at run time (`process.getBuiltinModule`),
 * never imported, so that an edge runtime loads this module.
 *
 * @since 0.3.0
 */
import * as Headers from "./Headers.js"
import * as crypto from "./internal/crypto.js"
import * as Result from "./Result.js"
import type { Key } from "./Secret.js"

/**
 * Why a delivery does not verify:
 *
 * - `MissingHeader`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent, empty or blank (Standard
 *   Webhooks treats an empty header as a missing one); `header` names it.
 * - `InvalidTimestamp`: `webhook-timestamp` is not a whole number of seconds in decimal digits ({@link isTimestamp}).
 * - `TimestampTooOld` / `TimestampTooNew`: the timestamp is more than the tolerance before / after `now`.
 * - `NoMatchingSignature`: no `v1` entry among the first {@link maxSignatures} matches any key.
 *
 * @since 0.3.0
 * @category models
 */
export type Reason = (typeof reasons)[number]

/**
 * Every {@link Reason}, in the order above: what each edition's `SignatureError` declares its `reason` field with, so
 * that the literals are written once.
 *
 * @since 0.4.0
 * @category models
 */
export const reasons = [
  "MissingHeader",
  "InvalidTimestamp",
  "TimestampTooOld",
  "TimestampTooNew",
  "NoMatchingSignature"
] as const

/**
 * A delivery that does not verify: its {@link Reason}, a message that says what to check, and the header concerned
 * (always set). Never shows a secret, a received signature or an expected MAC.
 *
 * @since 0.3.0
 * @category models
 */
export type Problem = Result.Problem<Reason>

/**
 * What a verified delivery carries besides its body.
 *
 * @since 0.3.0
 * @category models
 */
export interface Delivery {
  /** The `webhook-id` header: the same for every retry of one event, so it is the deduplication key. */
  readonly id: string
  /** The `webhook-timestamp` header, in Unix seconds. */
  readonly timestamp: number
}

/**
 * The default tolerance between the sender's and the receiver's clocks, in seconds (Standard Webhooks: 5 minutes).
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultToleranceSeconds = 300

/**
 * At most this many `v1` entries of a `webhook-signature` header are checked: a sender rotating secrets sends two
 * or three; an attacker sending thousands gets no more work out of a receiver.
 *
 * @since 0.3.0
 * @category constants
 */
export const maxSignatures = 16

// A `webhook-timestamp` as Standard Webhooks sends it: whole seconds, in decimal digits (at most 15: a safe integer).
const DECIMAL = /^[0-9]{1,15}$/
const DIGEST_BYTES = 32

/**
 * Whether a `webhook-timestamp` value is one Standard Webhooks allows: whole Unix seconds in 1 to 15 decimal digits,
 * with no sign, point, exponent or whitespace. Anything else is `InvalidTimestamp`.
 *
 * @since 0.3.0
 * @category predicates
 */
export const isTimestamp = (value: string): boolean => DECIMAL.test(value)

/**
 * Whether this runtime has `node:crypto`, so that the synchronous functions ({@link sign}, {@link verify},
 * {@link verifyRequest}, {@link matchingEntry}) work here. Where it is `false` (an edge runtime) they throw, and
 * {@link signAsync}, {@link verifyAsync} and {@link verifyRequestAsync} verify on Web Crypto instead: an edition
 * branches on it once, so that Node keeps its synchronous path.
 *
 * @since 0.4.0
 * @category runtime
 */
export const synchronous: boolean = crypto.node !== undefined

const noNodeCrypto = () =>
  new Error(
    "openai-webhooks-engine: this runtime has no node:crypto (an edge runtime?): " +
      "use Signature.verifyAsync, verifyRequestAsync or signAsync, which use Web Crypto"
  )

// The key's HMAC was set up once, when the secret was parsed (see `crypto.hmacNode`), not per delivery.
const mac = (key: Key, id: string, timestamp: string, payload: string | Uint8Array): Buffer => {
  const digest = crypto.hmacNode(key, `${id}.${timestamp}.`, payload)
  if (digest !== undefined) return digest
  if (crypto.node === undefined || key.key === undefined) throw noNodeCrypto()
  const hmac = crypto.node.crypto.createHmac("sha256", key.key).update(`${id}.${timestamp}.`)
  return (typeof payload === "string" ? hmac.update(payload, "utf8") : hmac.update(payload)).digest()
}

/**
 * The `v1,<base64>` signature of a delivery: HMAC-SHA256 with `key` over `${id}.${timestamp}.` and the payload's
 * bytes (a string is its UTF-8 bytes). `timestamp` is the header's text, Unix seconds.
 *
 * @example
 * ```ts
 * import { Secret, Signature } from "openai-webhooks-engine"
 *
 * const key = Secret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
 * if (key.ok) Signature.sign(key.value, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "{\"test\": 2432232314}")
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 * ```
 *
 * @since 0.3.0
 * @category signing
 */
export const sign = (key: Key, id: string, timestamp: string, payload: string | Uint8Array): string =>
  `v1,${mac(key, id, timestamp, payload).toString("base64")}`

/**
 * {@link sign} on any runtime: synchronous `node:crypto` where there is one, Web Crypto elsewhere. The same
 * signature as {@link sign}'s.
 *
 * @since 0.4.0
 * @category signing
 */
export const signAsync = (key: Key, id: string, timestamp: string, payload: string | Uint8Array): Promise<string> =>
  synchronous ? Promise.resolve(sign(key, id, timestamp, payload)) : signWeb(key, id, timestamp, payload)

/**
 * {@link signAsync}'s Web Crypto path, taken whatever the runtime: where `node:crypto` is absent it is what
 * {@link signAsync} does; on Node it is how the tests check both paths against the same vectors.
 *
 * @since 0.4.0
 * @category signing
 */
export const signWeb = async (key: Key, id: string, timestamp: string, payload: string | Uint8Array) =>
  `v1,${crypto.encodeBase64(await crypto.hmacWeb(key, `${id}.${timestamp}.`, payload))}`

/**
 * A delivery signed as OpenAI sends it: the body, and the headers to send it with (`webhook-signature` holds one
 * `v1,` entry per key, separated by spaces, as during a secret rotation).
 *
 * @since 0.4.0
 * @category models
 */
export interface Signed<Body extends string | Uint8Array = string | Uint8Array> {
  readonly body: Body
  readonly headers: {
    readonly "content-type": "application/json"
    readonly "webhook-id": string
    readonly "webhook-timestamp": string
    readonly "webhook-signature": string
  }
}

/**
 * What {@link signDelivery} signs: the body, the keys, and the `webhook-id` and `webhook-timestamp` when they are
 * chosen (else a new id and `now`).
 *
 * @since 0.4.0
 * @category models
 */
export interface Delivered<Body extends string | Uint8Array = string | Uint8Array> {
  readonly keys: ReadonlyArray<Key>
  readonly body: Body
  /** Default: {@link newWebhookId}. */
  readonly id?: string | undefined
  /** Unix seconds or a `Date` (its milliseconds dropped). Default: `now`. */
  readonly timestamp?: number | Date | undefined
  /** The current time in milliseconds (the caller's clock: Effect's `Clock`, `Date.now()`). */
  readonly now: number
}

/**
 * A new `webhook-id` as OpenAI's look: `msg_` and 32 random hex digits, from Web Crypto's random bytes (a global on
 * every runtime).
 *
 * @since 0.4.0
 * @category signing
 */
export const newWebhookId = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  let hex = "msg_"
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0")
  return hex
}

const deliveryHeaders = <Body extends string | Uint8Array>(
  delivery: Delivered<Body>
): { readonly id: string; readonly timestamp: string } => ({
  id: delivery.id ?? newWebhookId(),
  timestamp: String(
    delivery.timestamp === undefined
      ? Math.floor(delivery.now / 1000)
      : delivery.timestamp instanceof Date
      ? Math.floor(delivery.timestamp.getTime() / 1000)
      : delivery.timestamp
  )
})

const signed = <Body extends string | Uint8Array>(
  body: Body,
  id: string,
  timestamp: string,
  signatures: ReadonlyArray<string>
): Signed<Body> => ({
  body,
  headers: {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": signatures.join(" ")
  }
})

/**
 * Signs a delivery as OpenAI would, with each key: what each edition's `WebhookTesting.sign` and the CLI give tests
 * and tools. Synchronous, on `node:crypto`; {@link signDeliveryAsync} works on every runtime.
 *
 * @example
 * ```ts
 * import { Secret, Signature } from "openai-webhooks-engine"
 *
 * const key = Secret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
 * if (key.ok) Signature.signDelivery({ keys: [key.value], body: "{}", now: Date.now() }).headers["webhook-signature"]
 * ```
 *
 * @since 0.4.0
 * @category signing
 */
export const signDelivery = <Body extends string | Uint8Array>(delivery: Delivered<Body>): Signed<Body> => {
  const { id, timestamp } = deliveryHeaders(delivery)
  return signed(delivery.body, id, timestamp, delivery.keys.map((key) => sign(key, id, timestamp, delivery.body)))
}

/**
 * {@link signDelivery} on any runtime: `node:crypto` where there is one, Web Crypto elsewhere.
 *
 * @since 0.4.0
 * @category signing
 */
export const signDeliveryAsync = async <Body extends string | Uint8Array>(
  delivery: Delivered<Body>
): Promise<Signed<Body>> => {
  const { id, timestamp } = deliveryHeaders(delivery)
  const signatures = await Promise.all(delivery.keys.map((key) => signAsync(key, id, timestamp, delivery.body)))
  return signed(delivery.body, id, timestamp, signatures)
}

const problem = (reason: Reason, message: string, header: string): Result.Fail<Problem> =>
  Result.fail({ reason, message, header })

// Standard Webhooks treats an empty header as a missing one: both are MissingHeader, the message says which.
const missing = (header: string, value: string | undefined) =>
  problem(
    "MissingHeader",
    value === undefined
      ? `The ${header} header is missing: is this request from OpenAI?`
      : `The ${header} header is empty: is this request from OpenAI?`,
    header
  )

/**
 * The one verification entry: every edition's `verify`, each HTTP mounting style and the command's verdict call
 * this, so that they cannot disagree. Reads the three Standard Webhooks headers from any header shape
 * (`Headers.get`), then {@link verify}. `now` (Unix time) and `tolerance` are in seconds.
 *
 * @since 0.3.0
 * @category verification
 */
export const verifyRequest = (
  keys: ReadonlyArray<Key>,
  headers: Headers.HeadersInput,
  payload: string | Uint8Array,
  now: number,
  tolerance: number
): Result.Result<Delivery, Problem> =>
  verify(
    keys,
    Headers.get(headers, "webhook-id"),
    Headers.get(headers, "webhook-timestamp"),
    Headers.get(headers, "webhook-signature"),
    payload,
    now,
    tolerance
  )

/**
 * Standard Webhooks verification of one delivery whose three headers have been read (`undefined` when absent; an
 * empty or blank value counts as absent). `now` (Unix time) and `tolerance` are in seconds; the tolerance applies
 * both ways and its edges are accepted. At most {@link maxSignatures} `v1` entries are checked, each against every
 * key in constant time. Call {@link verifyRequest} unless you hold the header values already.
 *
 * @since 0.3.0
 * @category verification
 */
export const verify = (
  keys: ReadonlyArray<Key>,
  id: string | undefined,
  timestamp: string | undefined,
  signature: string | undefined,
  payload: string | Uint8Array,
  now: number,
  tolerance: number
): Result.Result<Delivery, Problem> => {
  const refused = check(id, timestamp, signature, now, tolerance)
  if (refused !== undefined) return refused
  const expected = expectedMacs(keys, id!, timestamp!, payload)
  return verdict(keys, id!, timestamp!, scan(signature!, expected, maxSignatures, NODE))
}

/**
 * {@link verify} on any runtime: the synchronous `node:crypto` path where there is one (the same work, its result
 * in a resolved promise), Web Crypto elsewhere (an HMAC per key by `crypto.subtle`, compared in constant time).
 * Never rejects: every verdict is the `Result`, the same as {@link verify}'s for the same input.
 *
 * @since 0.4.0
 * @category verification
 */
export const verifyAsync = (...args: Parameters<typeof verify>): Promise<Result.Result<Delivery, Problem>> =>
  synchronous ? Promise.resolve(verify(...args)) : verifyWeb(...args)

/**
 * {@link verifyRequest} on any runtime ({@link verifyAsync} after reading the three headers).
 *
 * @since 0.4.0
 * @category verification
 */
export const verifyRequestAsync = (
  ...[keys, headers, payload, now, tolerance]: Parameters<typeof verifyRequest>
): Promise<Result.Result<Delivery, Problem>> =>
  synchronous
    ? Promise.resolve(verifyRequest(keys, headers, payload, now, tolerance))
    : verifyWeb(keys, ...read(headers), payload, now, tolerance)

// The three Standard Webhooks headers, for the Web Crypto path (the synchronous one reads them without an array).
const read = (headers: Headers.HeadersInput) =>
  [
    Headers.get(headers, "webhook-id"),
    Headers.get(headers, "webhook-timestamp"),
    Headers.get(headers, "webhook-signature")
  ] as const

/**
 * {@link verifyAsync}'s Web Crypto path, taken whatever the runtime: an HMAC per key by `crypto.subtle`, entries
 * compared in constant time, headers read as {@link verify} reads them, so that its verdicts are {@link verify}'s.
 * Where `node:crypto` is absent it is what {@link verifyAsync} does; on Node, where `crypto.subtle` runs the HMAC on
 * the thread pool, it is how the tests check both paths against the same tables.
 *
 * @since 0.4.0
 * @category verification
 */
export const verifyWeb = async (
  ...[keys, id, timestamp, signature, payload, now, tolerance]: Parameters<typeof verify>
): Promise<Result.Result<Delivery, Problem>> => {
  const refused = check(id, timestamp, signature, now, tolerance)
  if (refused !== undefined) return refused
  const expected = await Promise.all(keys.map((key) => crypto.hmacWeb(key, `${id}.${timestamp}.`, payload)))
  return verdict(keys, id!, timestamp!, scan(signature!, expected, maxSignatures, WEB))
}

// Everything before the MACs: the headers are there, the timestamp is one and within the tolerance.
const check = (
  id: string | undefined,
  timestamp: string | undefined,
  signature: string | undefined,
  now: number,
  tolerance: number
): Result.Fail<Problem> | undefined => {
  if (id === undefined || isBlank(id)) return missing("webhook-id", id)
  if (timestamp === undefined || isBlank(timestamp)) return missing("webhook-timestamp", timestamp)
  if (signature === undefined || isBlank(signature)) return missing("webhook-signature", signature)
  if (!DECIMAL.test(timestamp)) {
    return problem(
      "InvalidTimestamp",
      `The webhook-timestamp header is not a whole number of seconds (got ${JSON.stringify(timestamp.slice(0, 32))})`,
      "webhook-timestamp"
    )
  }
  const seconds = Number(timestamp)
  // Standard Webhooks: the tolerance applies both ways, and its edges are accepted.
  if (now - seconds > tolerance) {
    return problem(
      "TimestampTooOld",
      `The webhook-timestamp is ${now - seconds} s old, more than the ${tolerance} s tolerance: ` +
        `a replayed delivery, or this machine's clock is ahead`,
      "webhook-timestamp"
    )
  }
  if (seconds - now > tolerance) {
    return problem(
      "TimestampTooNew",
      `The webhook-timestamp is ${seconds - now} s in the future, more than the ${tolerance} s tolerance: ` +
        `this machine's clock is behind`,
      "webhook-timestamp"
    )
  }
  return undefined
}

// The answer from the scan's result (see scan).
const verdict = (
  keys: ReadonlyArray<Key>,
  id: string,
  timestamp: string,
  found: number
): Result.Result<Delivery, Problem> => {
  if (found >= 0) return Result.ok({ id, timestamp: Number(timestamp) })
  const checked = -1 - found
  return problem(
    "NoMatchingSignature",
    checked === 0
      ? "The webhook-signature header has no v1 entry (\"v1,<base64>\", several separated by spaces): " +
        "is this request from OpenAI?"
      : `None of the ${checked} v1 signature(s) in webhook-signature matches the ${keys.length} configured secret(s)` +
        `${checked === maxSignatures ? ` (at most ${maxSignatures} are checked)` : ""}: ` +
        `the secret is not this endpoint's (or was rotated), or the body was changed on the way (re-serialised JSON?)`,
    "webhook-signature"
  )
}

const expectedMacs = (keys: ReadonlyArray<Key>, id: string, timestamp: string, payload: string | Uint8Array) =>
  keys.length === 1 ? [mac(keys[0]!, id, timestamp, payload)] : keys.map((key) => mac(key, id, timestamp, payload))

/**
 * Where the first entry of a `webhook-signature` value that matches one of `keys` lies, looking at every entry
 * rather than the first {@link maxSignatures}: for explaining a verdict (the command's diagnosis), never for reaching
 * one. `index` is 0-based, -1 when none matches; `entries` counts every `v1` entry of the value.
 *
 * @since 0.3.0
 * @category diagnosis
 */
export const matchingEntry = (
  keys: ReadonlyArray<Key>,
  id: string,
  timestamp: string,
  signature: string,
  payload: string | Uint8Array
): { readonly index: number; readonly entries: number } => {
  const found = scan(signature, expectedMacs(keys, id, timestamp, payload), Number.POSITIVE_INFINITY, NODE)
  if (found < 0) return { index: -1, entries: -1 - found }
  return { index: found, entries: -1 - scan(signature, [], Number.POSITIVE_INFINITY, NODE) }
}

/**
 * Scans the entries of a `webhook-signature` value for one of the `expected` MACs, checking at most `limit` entries,
 * each against every expected MAC in constant time. Returns the 0-based index of the matching entry, or
 * `-1 - checked` when none matches.
 *
 * An entry is a `v1,<base64>` token, or a `v1` (or `v1,`) token followed by a base64 token: what intermediaries make
 * of a header they split at its comma (`["v1", "<mac>"]` joined with a space, `"v1, <mac>"`). Tokens are separated
 * by whitespace; commas at the end of a token, or between `v1` and its MAC, are separators too (Node joins two header
 * lines `v1,A` and `v1,B` as `"v1,A, v1,B"`). OpenAI's SDK (`openai@6.49.0`) verifies all of these. The scan slices
 * only the entries it checks, so a huge header costs no allocation beyond `limit` small strings. `backend` decodes
 * and compares: `node:buffer` and `timingSafeEqual`, or their equivalents for runtimes without them.
 */
const scan = (signature: string, expected: ReadonlyArray<Uint8Array>, limit: number, backend: Backend): number => {
  let checked = 0
  let start = 0
  const end = signature.length
  while (start < end && checked < limit) {
    while (start < end && isSpace(signature.charCodeAt(start))) start++
    let stop = start
    while (stop < end && !isSpace(signature.charCodeAt(stop))) stop++
    let last = stop
    while (last > start && signature.charCodeAt(last - 1) === COMMA) last--
    let macStart = -1
    let macEnd = -1
    if (last - start > 3 && signature.startsWith("v1,", start)) {
      macStart = start + 3
      macEnd = last
    } else if (last - start === 2 && signature.startsWith("v1", start)) {
      // Folded at its comma: the MAC is the next token, when that is base64 (and not another "v1").
      let next = stop
      while (next < end && (isSpace(signature.charCodeAt(next)) || signature.charCodeAt(next) === COMMA)) next++
      let nextStop = next
      while (nextStop < end && isBase64(signature.charCodeAt(nextStop))) nextStop++
      const nextLast = nextStop
      while (nextStop < end && signature.charCodeAt(nextStop) === COMMA) nextStop++
      if (
        nextLast > next && (nextStop === end || isSpace(signature.charCodeAt(nextStop))) &&
        !(nextLast - next === 2 && signature.startsWith("v1", next))
      ) {
        macStart = next
        macEnd = nextLast
        stop = nextStop
      }
    }
    if (macStart >= 0) {
      const candidate = backend.decode(signature.slice(macStart, macEnd))
      if (candidate.length === DIGEST_BYTES) {
        for (let i = 0; i < expected.length; i++) {
          if (backend.equal(candidate, expected[i]!)) return checked
        }
      }
      checked++
    }
    start = stop
  }
  return -1 - checked
}

const COMMA = 44

interface Backend {
  readonly decode: (base64: string) => Uint8Array
  readonly equal: (a: Uint8Array, b: Uint8Array) => boolean
}

const WEB: Backend = { decode: crypto.decodeBase64, equal: crypto.constantTimeEqual }

// Where node:crypto is absent, NODE is never scanned with (the synchronous functions throw before their scan).
const NODE: Backend = crypto.node === undefined ? WEB : nodeBackend(crypto.node.Buffer, crypto.node.crypto)

// node:buffer's decoder and node:crypto's compare, looked up once.
function nodeBackend(buffer: typeof Buffer, node: NonNullable<typeof crypto.node>["crypto"]): Backend {
  return { decode: (text) => buffer.from(text, "base64"), equal: node.timingSafeEqual }
}

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13

// The standard and URL-safe base64 alphabets and padding: what Buffer.from(text, "base64") decodes.
const isBase64 = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 ||
  code === 47 || code === 61 || code === 45 || code === 95

/**
 * Whether a header value is empty or whitespace only (spaces, tabs, line breaks): Standard Webhooks treats such a
 * header as a missing one.
 *
 * @since 0.3.0
 * @category predicates
 */
export const isBlank = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) if (!isSpace(value.charCodeAt(i))) return false
  return true
}
