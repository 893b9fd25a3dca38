/**
 * The decoded keys behind the `WebhookSecret` service.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { SecretError } from "../WebhookError.js"
import { type Key, parseSecret } from "./signature.js"

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

export const make = (
  input: SecretInput | ReadonlyArray<SecretInput>
): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => {
    const list: ReadonlyArray<SecretInput> = typeof input === "string" || Redacted.isRedacted(input)
      ? [input]
      : input
    if (list.length === 0) {
      return Effect.fail(
        new SecretError({ reason: "Missing", message: "No webhook secret was given: pass at least one" })
      )
    }
    const keys: Array<Key> = []
    for (let i = 0; i < list.length; i++) {
      const item = list[i]!
      const value = typeof item === "string" ? item : Redacted.value(item)
      const label = list.length === 1 ? "The webhook secret" : `Webhook secret ${i + 1} of ${list.length}`
      const key = parseSecret(value, label)
      if (Either.isLeft(key)) return Effect.fail(key.left)
      keys.push(key.right)
    }
    return Effect.succeed(new Secrets(keys))
  })

/** Several secrets in one value (an environment variable), separated by spaces or commas. */
export const split = (value: string): ReadonlyArray<string> => value.split(/[\s,]+/).filter((part) => part.length > 0)
