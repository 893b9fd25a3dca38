/**
 * Standard Webhooks v1 over bytes, as OpenAI's SDKs apply it. Pure: no Effect services; the caller
 * passes the clock reading and the decoded keys.
 *
 * @internal
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { SecretError, SignatureError } from "../WebhookError.js"
import * as headers from "./headers.js"

/** Standard Webhooks: the default tolerance between the sender's and the receiver's clocks. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** A tolerance as seconds (edges accepted), from an Effect duration; the default when none is given. */
export const toleranceSeconds = (tolerance: Duration.DurationInput | undefined): number =>
  tolerance === undefined ? DEFAULT_TOLERANCE_SECONDS : Math.floor(Duration.toSeconds(Duration.decode(tolerance)))

/** Keys shorter than this are truncated or toy secrets (OpenAI's are 32 bytes). */
export const MIN_KEY_BYTES = 16

/**
 * At most this many `v1,` entries of a `webhook-signature` header are checked: a sender rotating
 * secrets sends two or three; an attacker sending thousands gets no more work out of us.
 */
export const MAX_SIGNATURES = 16

const SECRET_PREFIX = "whsec_"
/** A `webhook-timestamp` as Standard Webhooks sends it: whole seconds, in decimal digits. */
export const DECIMAL = /^[0-9]{1,15}$/
const DIGEST_BYTES = 32

/** A decoded webhook key. Opaque: prints as `<redacted>` and holds a `KeyObject`, never a string. */
export class Key {
  /** @internal */
  constructor(readonly key: KeyObject) {}
  toString(): string {
    return "<redacted>"
  }
  toJSON(): string {
    return "<redacted>"
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "<redacted>"
  }
}

const secretError = (reason: SecretError["reason"], message: string) => Either.left(new SecretError({ reason, message }))

/**
 * The checks on a secret as it was typed, before it is decoded: empty is `Missing`, whitespace around it
 * is `Whitespace`, except one final line break (`\n` or `\r\n`, what env files and `echo` add), which is
 * forgiven. Gives the value without that line break. Shared by one secret ({@link parseSecret}) and a
 * configured list (`secret.parseList`), so that both paths give the same reason for the same input.
 */
export const checkTyped = (value: string, label: string): Either.Either<string, SecretError> => {
  const secret = value.endsWith("\r\n")
    ? value.slice(0, -2)
    : value.endsWith("\n")
    ? value.slice(0, -1)
    : value
  if (secret.length === 0) {
    return secretError("Missing", `${label} is empty: set it to the signing secret shown when you created the endpoint`)
  }
  if (secret.trim() !== secret) {
    return secretError(
      "Whitespace",
      `${label} has whitespace around it (a copy-paste slip?): remove the spaces or line breaks before or after it`
    )
  }
  return Either.right(secret)
}

const BASE64_BODY = /^[A-Za-z0-9+/]*$/

/**
 * The bytes of the base64 after `whsec_`. Padding is optional (the same key with or without its `=`, as
 * OpenAI's SDK and `standardwebhooks` read it); real damage is refused: characters outside the standard
 * alphabet, a length no encoding has (1 mod 4), wrong padding, or bits set after the last byte (which is
 * what a secret cut short in the middle looks like).
 */
const decodeBase64 = (encoded: string, label: string): Either.Either<Buffer, SecretError> => {
  let body = encoded.length
  while (body > 0 && encoded.charCodeAt(body - 1) === 61) body--
  const text = encoded.slice(0, body)
  const padding = encoded.length - body
  const invalid = (why: string) =>
    secretError("InvalidBase64", `${label} starts with "whsec_" but the rest is not valid base64: ${why}`)
  if (!BASE64_BODY.test(text)) {
    return invalid(`it has characters outside A-Z, a-z, 0-9, "+" and "/" (and "=" padding at the end): was it edited?`)
  }
  const rest = text.length % 4
  if (rest === 1) return invalid("its length is one that no base64 encoding has: was it cut short?")
  if (padding > 0 && !(rest === 2 && padding === 2) && !(rest === 3 && padding === 1)) {
    return invalid(`its "=" padding does not fit its length: was it edited?`)
  }
  const bytes = Buffer.from(text, "base64")
  if (bytes.toString("base64").slice(0, text.length) !== text) {
    return invalid("its last character has bits set that no encoder leaves: was it cut short?")
  }
  return Either.right(bytes)
}

/**
 * Decodes one secret: `whsec_` + base64 gives the key bytes (with or without `=` padding); any other
 * string is its UTF-8 bytes (what OpenAI's SDKs do). One final line break is forgiven, other whitespace
 * around it is not ({@link checkTyped}). `label` names the secret in messages ("The webhook secret",
 * "Webhook secret 2 of 3"); no message shows the secret.
 */
export const parseSecret = (value: string, label = "The webhook secret"): Either.Either<Key, SecretError> => {
  const typed = checkTyped(value, label)
  if (Either.isLeft(typed)) return Either.left(typed.left)
  const secret = typed.right
  if (secret.startsWith("v1,")) {
    return secretError(
      "LooksLikeSignature",
      `${label} starts with "v1,", so it looks like a webhook-signature value, not a secret: ` +
        `use the endpoint's signing secret (it starts with "whsec_")`
    )
  }
  let bytes: Buffer
  if (secret.startsWith(SECRET_PREFIX)) {
    const decoded = decodeBase64(secret.slice(SECRET_PREFIX.length), label)
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    bytes = decoded.right
  } else {
    bytes = Buffer.from(secret, "utf8")
  }
  if (bytes.length < MIN_KEY_BYTES) {
    return secretError(
      "TooShort",
      `${label} gives a ${bytes.length}-byte key; at least ${MIN_KEY_BYTES} bytes are required ` +
        `(OpenAI's secrets are "whsec_" followed by 32 bytes in base64): was it cut short?`
    )
  }
  return Either.right(new Key(createSecretKey(bytes)))
}

const mac = (key: Key, id: string, timestamp: string, payload: string | Uint8Array): Buffer => {
  const hmac = createHmac("sha256", key.key).update(`${id}.${timestamp}.`)
  return (typeof payload === "string" ? hmac.update(payload, "utf8") : hmac.update(payload)).digest()
}

/** The `v1,<base64>` signature of a delivery. */
export const sign = (key: Key, id: string, timestamp: string, payload: string | Uint8Array): string =>
  `v1,${mac(key, id, timestamp, payload).toString("base64")}`

/** What a verified delivery carries besides its body. */
export interface Delivery {
  /** The `webhook-id` header: the same for every retry of one event, so it is the deduplication key. */
  readonly id: string
  /** The `webhook-timestamp` header, in Unix seconds. */
  readonly timestamp: number
}

const signatureError = (reason: SignatureError["reason"], message: string, header?: string) =>
  Either.left(new SignatureError(header === undefined ? { reason, message } : { reason, message, header }))

// Standard Webhooks treats an empty header as a missing one: both are MissingHeader, the message says which.
const missing = (header: string, value: string | undefined) =>
  signatureError(
    "MissingHeader",
    value === undefined
      ? `The ${header} header is missing: is this request from OpenAI?`
      : `The ${header} header is empty: is this request from OpenAI?`,
    header
  )

/**
 * The one verification entry: `Webhooks.verify`, every HTTP mounting style and the CLI's verdict all
 * call this, so that they cannot disagree. Reads the three Standard Webhooks headers from any header
 * shape, then {@link verify}. `now` and `tolerance` are in seconds.
 */
export const verifyRequest = (
  keys: ReadonlyArray<Key>,
  input: headers.HeadersInput,
  payload: string | Uint8Array,
  now: number,
  tolerance: number
): Either.Either<Delivery, SignatureError> =>
  verify(
    keys,
    headers.get(input, "webhook-id"),
    headers.get(input, "webhook-timestamp"),
    headers.get(input, "webhook-signature"),
    payload,
    now,
    tolerance
  )

/**
 * Standard Webhooks verification of one delivery whose three headers have been read (undefined when
 * absent). `now` and `tolerance` are in seconds. Call {@link verifyRequest} unless you hold the
 * header values already.
 */
export const verify = (
  keys: ReadonlyArray<Key>,
  id: string | undefined,
  timestamp: string | undefined,
  signature: string | undefined,
  payload: string | Uint8Array,
  now: number,
  tolerance: number
): Either.Either<Delivery, SignatureError> => {
  if (id === undefined || isBlank(id)) return missing("webhook-id", id)
  if (timestamp === undefined || isBlank(timestamp)) return missing("webhook-timestamp", timestamp)
  if (signature === undefined || isBlank(signature)) return missing("webhook-signature", signature)
  if (!DECIMAL.test(timestamp)) {
    return signatureError(
      "InvalidTimestamp",
      `The webhook-timestamp header is not a whole number of seconds (got ${JSON.stringify(timestamp.slice(0, 32))})`,
      "webhook-timestamp"
    )
  }
  const seconds = Number(timestamp)
  // Standard Webhooks: the tolerance applies both ways, and its edges are accepted.
  if (now - seconds > tolerance) {
    return signatureError(
      "TimestampTooOld",
      `The webhook-timestamp is ${now - seconds} s old, more than the ${tolerance} s tolerance: ` +
        `a replayed delivery, or this machine's clock is ahead`,
      "webhook-timestamp"
    )
  }
  if (seconds - now > tolerance) {
    return signatureError(
      "TimestampTooNew",
      `The webhook-timestamp is ${seconds - now} s in the future, more than the ${tolerance} s tolerance: ` +
        `this machine's clock is behind`,
      "webhook-timestamp"
    )
  }
  const found = scan(signature, expectedMacs(keys, id, timestamp, payload), MAX_SIGNATURES)
  if (found >= 0) return Either.right({ id, timestamp: seconds })
  const checked = -1 - found
  return signatureError(
    "NoMatchingSignature",
    checked === 0
      ? "The webhook-signature header has no v1 entry (\"v1,<base64>\", several separated by spaces): " +
        "is this request from OpenAI?"
      : `None of the ${checked} v1 signature(s) in webhook-signature matches the ${keys.length} configured secret(s)` +
        `${checked === MAX_SIGNATURES ? ` (at most ${MAX_SIGNATURES} are checked)` : ""}: ` +
        `the secret is not this endpoint's (or was rotated), or the body was changed on the way (re-serialised JSON?)`,
    "webhook-signature"
  )
}

const expectedMacs = (keys: ReadonlyArray<Key>, id: string, timestamp: string, payload: string | Uint8Array) =>
  keys.length === 1 ? [mac(keys[0]!, id, timestamp, payload)] : keys.map((key) => mac(key, id, timestamp, payload))

/**
 * Where the first entry of a `webhook-signature` value that matches one of the configured keys lies,
 * looking at every entry rather than the first {@link MAX_SIGNATURES}: for explaining a verdict (the
 * CLI's diagnosis), never for reaching one. `index` is 0-based, -1 when none matches; `entries` counts
 * every `v1` entry of the value.
 */
export const matchingEntry = (
  keys: ReadonlyArray<Key>,
  id: string,
  timestamp: string,
  signature: string,
  payload: string | Uint8Array
): { readonly index: number; readonly entries: number } => {
  const found = scan(signature, expectedMacs(keys, id, timestamp, payload), Number.POSITIVE_INFINITY)
  if (found < 0) return { index: -1, entries: -1 - found }
  return { index: found, entries: -1 - scan(signature, [], Number.POSITIVE_INFINITY) }
}

/**
 * Scans the entries of a `webhook-signature` value for one of the `expected` MACs, checking at most
 * `limit` entries, each against every expected MAC in constant time. Returns the 0-based index of the
 * matching entry, or `-1 - checked` when none matches.
 *
 * An entry is a `v1,<base64>` token, or a `v1` (or `v1,`) token followed by a base64 token: what
 * intermediaries make of a header they split at its comma (`["v1", "<mac>"]` joined with a space,
 * `"v1, <mac>"`). Tokens are separated by whitespace; commas at the end of a token, or between `v1` and
 * its MAC, are separators too (Node joins two header lines `v1,A` and `v1,B` as `"v1,A, v1,B"`). OpenAI's
 * SDK (`openai@6.49.0`) verifies all of these. The scan slices only the entries it checks, so a huge header costs no
 * allocation beyond `limit` small strings.
 */
const scan = (signature: string, expected: ReadonlyArray<Buffer>, limit: number): number => {
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
      const candidate = Buffer.from(signature.slice(macStart, macEnd), "base64")
      if (candidate.length === DIGEST_BYTES) {
        for (let i = 0; i < expected.length; i++) {
          if (timingSafeEqual(candidate, expected[i]!)) return checked
        }
      }
      checked++
    }
    start = stop
  }
  return -1 - checked
}

const COMMA = 44

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13

// The standard and URL-safe base64 alphabets and padding: what Buffer.from(text, "base64") decodes.
const isBase64 = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 ||
  code === 47 || code === 61 || code === 45 || code === 95

/** Empty or whitespace only: Standard Webhooks treats such a header as a missing one. */
export const isBlank = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) if (!isSpace(value.charCodeAt(i))) return false
  return true
}
