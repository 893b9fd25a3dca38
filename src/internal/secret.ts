/**
 * The decoded keys behind the `WebhookSecret` service, from the engine's secret parsing: a `Problem` becomes a
 * `SecretError` with the same reason and message.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Result, Secret, Setting } from "openai-webhooks-engine"
import { SecretError } from "../WebhookError.js"
import { importNode } from "./builtin.js"

/** Decoded keys, tried in order; prints without revealing anything but how many there are (the engine's). */
export const Secrets = Secret.Secrets
export type Secrets = Secret.Secrets

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

/** The text of the file at `path`, or the error reading it gave. `node:fs` is imported only then (edge runtimes). */
const readText = (path: string): Effect.Effect<Result.Result<string, unknown>> =>
  Effect.promise(() =>
    importNode<typeof import("node:fs/promises")>("node:fs/promises").then(
      (fs) => fs.readFile(path, "utf8").then(Result.ok, Result.fail),
      Result.fail
    )
  )

/**
 * The configured value of `name` (`OPENAI_WEBHOOK_SECRET`) as `Setting` reads a secret: `<NAME>`, or the contents of
 * the file `<NAME>_FILE` names (Docker's and Kubernetes' convention), one final line break dropped. Both set, a file
 * that cannot be read or an empty one is a `ConfigError` at the variable at fault, naming the path, never the
 * contents; neither set is a `ConfigError` `MissingData`. `<NAME>` set to the empty string alone reaches the
 * secret's own check (`Missing`), as before.
 */
export const fromEnvironment = (name: string): Effect.Effect<Secrets, ConfigError.ConfigError | SecretError> =>
  Effect.gen(function*() {
    const file = `${name}${Setting.FILE_SUFFIX}`
    const [direct, path] = yield* Config.all([Config.option(Config.string(name)), Config.option(Config.string(file))])
    const source = Setting.locate({ [name]: Option.getOrUndefined(direct), [file]: Option.getOrUndefined(path) }, name)
    const refused = (problem: Setting.Problem) =>
      Effect.fail(ConfigError.InvalidData([problem.variable], `${problem.message}: ${problem.hint}`))
    if (!source.ok) return yield* refused(source.error)
    switch (source.value._tag) {
      case "Value":
        return yield* fromConfig(Redacted.make(source.value.value))
      case "File": {
        const found = Setting.fromFile(source.value, yield* readText(source.value.path))
        return found.ok ? yield* fromConfig(Redacted.make(found.value)) : yield* refused(found.error)
      }
      case "Unset":
        return Option.isSome(direct)
          ? yield* fromConfig(Redacted.make(direct.value))
          : yield* Effect.fail(ConfigError.MissingData([name], `Expected ${name} or ${file} to be set`))
    }
  })
