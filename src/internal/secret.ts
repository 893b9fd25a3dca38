/**
 * The decoded keys behind the `WebhookSecret` service.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { SecretError } from "../WebhookError.js"
import { checkTyped, type Key, parseSecret } from "./signature.js"

/** Decoded keys, tried in order. Prints without revealing anything but how many there are. */
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

export type SecretInput = string | Redacted.Redacted<string>

const none = () => new SecretError({ reason: "Missing", message: "No webhook secret was given: pass at least one" })

/** Decodes secrets given one per item; each is checked by `parseSecret` (one final line break forgiven). */
export const make = (
  input: SecretInput | ReadonlyArray<SecretInput>
): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => {
    const list: ReadonlyArray<SecretInput> = typeof input === "string" || Redacted.isRedacted(input)
      ? [input]
      : input
    return toSecrets(parseAll(list.map((item) => typeof item === "string" ? item : Redacted.value(item))))
  })

/**
 * Decodes a configured value (`OPENAI_WEBHOOK_SECRET`): one secret or several, separated by spaces or
 * commas, for a rotation. The value as a whole is checked as typed, like one secret (`checkTyped`: one
 * final line break forgiven, other whitespace around it is `Whitespace`); then every entry is checked
 * like a secret from code, so that an entry starting with `v1,` is `LooksLikeSignature` (the comma after
 * `v1` does not split it). What `WebhookSecret.layerConfig` and the CLI's `verify` read.
 */
export const parseList = (value: string): Either.Either<ReadonlyArray<Key>, SecretError> =>
  Either.flatMap(checkTyped(value, "The webhook secret"), (typed) => parseAll(split(typed)))

/** Several secrets in one value, separated by spaces or commas; an entry starting with `v1,` stays whole. */
export const split = (value: string): ReadonlyArray<string> => value.match(/v1,[^\s,]*|[^\s,]+/g) ?? []

/** The service from a configured value, read by {@link parseList}. */
export const fromConfig = (value: Redacted.Redacted<string>): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => toSecrets(parseList(Redacted.value(value))))

const toSecrets = (keys: Either.Either<ReadonlyArray<Key>, SecretError>): Effect.Effect<Secrets, SecretError> =>
  Either.isLeft(keys) ? Effect.fail(keys.left) : Effect.succeed(new Secrets(keys.right))

const parseAll = (list: ReadonlyArray<string>): Either.Either<ReadonlyArray<Key>, SecretError> => {
  if (list.length === 0) return Either.left(none())
  const keys: Array<Key> = []
  for (let i = 0; i < list.length; i++) {
    const label = list.length === 1 ? "The webhook secret" : `Webhook secret ${i + 1} of ${list.length}`
    const key = parseSecret(list[i]!, label)
    if (Either.isLeft(key)) return Either.left(key.left)
    keys.push(key.right)
  }
  return Either.right(keys)
}
