/**
 * The decoded keys behind the `WebhookSecret` service, from the engine's secret parsing: a `Problem` becomes a
 * `SecretError` with the same reason and message.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { type Result, Secret } from "openai-webhooks-engine"
import { SecretError } from "../WebhookError.js"

/** Decoded keys, tried in order. Prints without revealing anything but how many there are. */
export class Secrets {
  constructor(readonly keys: ReadonlyArray<Secret.Key>) {}
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

const toEither = <A>(result: Result.Result<A, Secret.Problem>): Either.Either<A, SecretError> =>
  result.ok ? Either.right(result.value) : Either.left(new SecretError(result.error))

const toSecrets = (result: Result.Result<ReadonlyArray<Secret.Key>, Secret.Problem>) =>
  result.ok ? Effect.succeed(new Secrets(result.value)) : Effect.fail(new SecretError(result.error))

/** One secret (`Secret.parse`); `label` names it in messages. */
export const parseSecret = (value: string, label?: string): Either.Either<Secret.Key, SecretError> =>
  toEither(Secret.parse(value, label))

/** A configured value holding one secret or several (`Secret.parseList`): what the CLI's `verify` reads. */
export const parseList = (value: string): Either.Either<ReadonlyArray<Secret.Key>, SecretError> =>
  toEither(Secret.parseList(value))

/** Decodes secrets given one per item; each is checked by `Secret.parse` (one final line break forgiven). */
export const make = (
  input: SecretInput | ReadonlyArray<SecretInput>
): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => {
    const list: ReadonlyArray<SecretInput> = typeof input === "string" || Redacted.isRedacted(input)
      ? [input]
      : input
    return toSecrets(Secret.parseAll(list.map((item) => typeof item === "string" ? item : Redacted.value(item))))
  })

/** The service from a configured value (`OPENAI_WEBHOOK_SECRET`), read by `Secret.parseList`. */
export const fromConfig = (value: Redacted.Redacted<string>): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => toSecrets(Secret.parseList(Redacted.value(value))))
