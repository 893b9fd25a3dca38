/**
 * Webhook signing secrets: from the text a person configured to the key bytes, with a reason and a message for every
 * way that text can be wrong. No message ever shows the secret.
 *
 * A secret is `whsec_` followed by base64 (what OpenAI's dashboard shows; its `=` padding optional), which gives the
 * key bytes, or any other string, used as its UTF-8 bytes (what OpenAI's SDKs do). Secrets are decoded once, when a
 * receiver starts, never per request.
 *
 * @since 0.3.0
 */
import type { KeyObject } from "node:crypto"
import * as crypto from "./internal/crypto.js"
import * as Result from "./Result.js"

/**
 * Why a secret was refused:
 *
 * - `Missing`: no secret, an empty one, or a list with no entry.
 * - `Whitespace`: spaces or line breaks around it (a copy-paste slip); one final line break is forgiven.
 * - `InvalidBase64`: it starts with `whsec_` but the rest is not base64 (characters outside the standard alphabet,
 *   a length no encoding has, wrong padding, bits set after the last byte).
 * - `TooShort`: its key is shorter than {@link minKeyBytes}.
 * - `LooksLikeSignature`: it starts with `v1,`, so it is a `webhook-signature` value, not a secret.
 *
 * @since 0.3.0
 * @category models
 */
export type Reason = (typeof reasons)[number]

/**
 * Every {@link Reason}, in the order above: what each edition's `SecretError` declares its `reason` field with, so
 * that the literals are written once.
 *
 * @since 0.4.0
 * @category models
 */
export const reasons = ["Missing", "Whitespace", "InvalidBase64", "TooShort", "LooksLikeSignature"] as const

/**
 * A refused secret: its {@link Reason} and a message that says what to fix without showing the secret.
 *
 * @since 0.3.0
 * @category models
 */
export type Problem = Result.Problem<Reason>

/**
 * The shortest key accepted, in bytes: shorter ones are truncated or toy secrets (OpenAI's are 32 bytes).
 *
 * @since 0.3.0
 * @category constants
 */
export const minKeyBytes = 16

/**
 * What OpenAI's secrets start with: the base64 of the key bytes follows.
 *
 * @since 0.3.0
 * @category constants
 */
export const prefix = "whsec_"

/**
 * The label a single secret goes by in messages.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultLabel = "The webhook secret"

/**
 * A decoded signing key. Opaque: prints as `<redacted>` (as a string, as JSON and in `node:util.inspect`) and holds
 * a `node:crypto` `KeyObject` where the runtime has `node:crypto`, never a string. On a runtime without it (an edge
 * runtime) its bytes are kept out of reach of printing, for Web Crypto. Made by {@link parse}, used by the
 * `Signature` functions.
 *
 * @since 0.3.0
 * @category models
 */
export class Key {
  /** @internal */
  constructor(
    /**
     * The key bytes, as a `KeyObject` (which never prints them); `undefined` on a runtime without `node:crypto`
     * (since 0.4.0), where `Signature`'s asynchronous functions use Web Crypto.
     */
    readonly key: KeyObject | undefined
  ) {}
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

const problem = (reason: Reason, message: string): Result.Fail<Problem> => Result.fail({ reason, message })

/**
 * The checks on a secret as it was typed, before it is decoded: empty is `Missing`, whitespace around it is
 * `Whitespace`, except one final line break (`\n` or `\r\n`, what env files and `echo` add), which is forgiven.
 * Gives the value without that line break. {@link parse} (one secret) and {@link parseList} (a configured list) both
 * start with it, so that both give the same reason for the same input. `label` names the secret in messages.
 *
 * @since 0.3.0
 * @category parsing
 */
export const checkTyped = (value: string, label: string = defaultLabel): Result.Result<string, Problem> => {
  const secret = value.endsWith("\r\n")
    ? value.slice(0, -2)
    : value.endsWith("\n")
    ? value.slice(0, -1)
    : value
  if (secret.length === 0) {
    return problem("Missing", `${label} is empty: set it to the signing secret shown when you created the endpoint`)
  }
  if (secret.trim() !== secret) {
    return problem(
      "Whitespace",
      `${label} has whitespace around it (a copy-paste slip?): remove the spaces or line breaks before or after it`
    )
  }
  return Result.ok(secret)
}

const BASE64_BODY = /^[A-Za-z0-9+/]*$/

/**
 * The bytes of the base64 after `whsec_`. Padding is optional (the same key with or without its `=`, as OpenAI's SDK
 * and `standardwebhooks` read it); real damage is refused: characters outside the standard alphabet, a length no
 * encoding has (1 mod 4), wrong padding, or bits set after the last byte (what a secret cut short looks like).
 */
const decodeBase64 = (encoded: string, label: string): Result.Result<Uint8Array, Problem> => {
  let body = encoded.length
  while (body > 0 && encoded.charCodeAt(body - 1) === 61) body--
  const text = encoded.slice(0, body)
  const padding = encoded.length - body
  const invalid = (why: string) =>
    problem("InvalidBase64", `${label} starts with "whsec_" but the rest is not valid base64: ${why}`)
  if (!BASE64_BODY.test(text)) {
    return invalid(`it has characters outside A-Z, a-z, 0-9, "+" and "/" (and "=" padding at the end): was it edited?`)
  }
  const rest = text.length % 4
  if (rest === 1) return invalid("its length is one that no base64 encoding has: was it cut short?")
  if (padding > 0 && !(rest === 2 && padding === 2) && !(rest === 3 && padding === 1)) {
    return invalid(`its "=" padding does not fit its length: was it edited?`)
  }
  // Not Buffer, a Node global: secrets are decoded on edge runtimes too (once, at start-up).
  const bytes = crypto.decodeBase64(text)
  if (crypto.encodeBase64(bytes).slice(0, text.length) !== text) {
    return invalid("its last character has bits set that no encoder leaves: was it cut short?")
  }
  return Result.ok(bytes)
}

/**
 * Decodes one secret: `whsec_` + base64 gives the key bytes (with or without `=` padding); any other string is its
 * UTF-8 bytes (what OpenAI's SDKs do). One final line break is forgiven, other whitespace around it is not
 * ({@link checkTyped}); the key must have at least {@link minKeyBytes} bytes. `label` names the secret in messages
 * ("The webhook secret", "Webhook secret 2 of 3"); no message shows the secret.
 *
 * @example
 * ```ts
 * import { Secret } from "openai-webhooks-engine"
 *
 * const key = Secret.parse("whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=")
 * // key.ok === true; Secret.parse("whsec_ab!c") gives { ok: false, error: { reason: "InvalidBase64", ... } }
 * ```
 *
 * @since 0.3.0
 * @category parsing
 */
export const parse = (value: string, label: string = defaultLabel): Result.Result<Key, Problem> => {
  const typed = checkTyped(value, label)
  if (!typed.ok) return typed
  const secret = typed.value
  if (secret.startsWith("v1,")) {
    return problem(
      "LooksLikeSignature",
      `${label} starts with "v1,", so it looks like a webhook-signature value, not a secret: ` +
        `use the endpoint's signing secret (it starts with "whsec_")`
    )
  }
  let bytes: Uint8Array
  if (secret.startsWith(prefix)) {
    const decoded = decodeBase64(secret.slice(prefix.length), label)
    if (!decoded.ok) return decoded
    bytes = decoded.value
  } else {
    bytes = crypto.utf8(secret)
  }
  if (bytes.length < minKeyBytes) {
    return problem(
      "TooShort",
      `${label} gives a ${bytes.length}-byte key; at least ${minKeyBytes} bytes are required ` +
        `(OpenAI's secrets are "whsec_" followed by 32 bytes in base64): was it cut short?`
    )
  }
  const key = new Key(crypto.node === undefined ? undefined : crypto.node.crypto.createSecretKey(bytes))
  crypto.remember(key, bytes, key.key)
  return Result.ok(key)
}

/**
 * The keys a receiver verifies with, tried in order (several during a rotation): what each edition's
 * `WebhookSecret` service holds. Prints as how many keys it holds and nothing else (`String`, `JSON.stringify`,
 * `node:util.inspect`).
 *
 * @since 0.4.0
 * @category models
 */
export class Secrets {
  constructor(readonly keys: ReadonlyArray<Key>) {}
  toString(): string {
    return `WebhookSecret(${this.keys.length} key${this.keys.length === 1 ? "" : "s"}, redacted)`
  }
  toJSON(): string {
    return this.toString()
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }
}

/**
 * Decodes secrets given one per item (several while a secret is rotated), each by {@link parse} and labelled
 * "Webhook secret i of n" when there are several. An empty list is `Missing`; the first bad secret is the failure.
 *
 * @since 0.3.0
 * @category parsing
 */
export const parseAll = (list: ReadonlyArray<string>): Result.Result<ReadonlyArray<Key>, Problem> => {
  if (list.length === 0) return problem("Missing", "No webhook secret was given: pass at least one")
  const keys: Array<Key> = []
  for (let i = 0; i < list.length; i++) {
    const label = list.length === 1 ? defaultLabel : `Webhook secret ${i + 1} of ${list.length}`
    const key = parse(list[i]!, label)
    if (!key.ok) return key
    keys.push(key.value)
  }
  return Result.ok(keys)
}

/**
 * Decodes a configured value (`OPENAI_WEBHOOK_SECRET`): one secret or several, separated by spaces or commas, for a
 * rotation. The value as a whole is checked as typed, like one secret ({@link checkTyped}: one final line break
 * forgiven, other whitespace around it is `Whitespace`); then its entries ({@link split}) are decoded by
 * {@link parseAll}, so that an entry starting with `v1,` is `LooksLikeSignature` (the comma after `v1` does not split
 * it), and a value of separators only is `Missing`.
 *
 * @since 0.3.0
 * @category parsing
 */
export const parseList = (value: string): Result.Result<ReadonlyArray<Key>, Problem> => {
  const typed = checkTyped(value)
  return typed.ok ? parseAll(split(typed.value)) : typed
}

/**
 * The entries of a value holding several secrets, separated by spaces or commas (any run of them); an entry starting
 * with `v1,` stays whole, so that a pasted signature is refused as one rather than cut in two.
 *
 * @since 0.3.0
 * @category parsing
 */
export const split = (value: string): ReadonlyArray<string> => value.match(/v1,[^\s,]*|[^\s,]+/g) ?? []
