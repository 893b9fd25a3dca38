/**
 * The decoded keys behind the `WebhookSecret` service, from the engine's secret parsing: a `Problem` becomes a
 * `SecretError` with the same reason and message. Where the value comes from (`<NAME>` or the file `<NAME>_FILE`
 * names) is the engine's `Setting`; only the reading through Effect's `Config` is here.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { Result as EngineResult, Secret, Setting } from "openai-webhooks-engine"
import { SecretError } from "../WebhookError.js"

/** Decoded keys, tried in order; prints without revealing anything but how many there are (the engine's). */
export const Secrets = Secret.Secrets
export type Secrets = Secret.Secrets

export type SecretInput = string | Redacted.Redacted<string>

const toSecrets = (result: EngineResult.Result<ReadonlyArray<Secret.Key>, Secret.Problem>) =>
  result.ok ? Effect.succeed(new Secrets(result.value)) : Effect.fail(new SecretError(result.error))

/** One secret (`Secret.parse`); `label` names it in messages. */
export const parseSecret = (value: string, label?: string): Result.Result<Secret.Key, SecretError> => {
  const parsed = Secret.parse(value, label)
  return parsed.ok ? Result.succeed(parsed.value) : Result.fail(new SecretError(parsed.error))
}

/** Decodes secrets given one per item; each is checked by `Secret.parse` (one final line break forgiven). */
export const make = (input: SecretInput | ReadonlyArray<SecretInput>): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => {
    const list: ReadonlyArray<SecretInput> = typeof input === "string" || Redacted.isRedacted(input)
      ? [input]
      : input
    return toSecrets(Secret.parseAll(list.map((item) => typeof item === "string" ? item : Redacted.value(item))))
  })

/** The service from a configured value (`OPENAI_WEBHOOK_SECRET`), read by `Secret.parseList`. */
export const fromConfig = (value: Redacted.Redacted<string>): Effect.Effect<Secrets, SecretError> =>
  Effect.suspend(() => toSecrets(Secret.parseList(Redacted.value(value))))

/**
 * `node:fs/promises` where the runtime has it. Found at run time (`process.getBuiltinModule`, in every Node this
 * edition supports), never imported, so that bundlers for edge runtimes see no `node:` import.
 */
const fsPromises = (): typeof import("node:fs/promises") | undefined =>
  (globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule?.("node:fs/promises") as typeof import("node:fs/promises") | undefined

/** The text of the file at `path`, or the error reading it gave. */
const readText = (path: string): Effect.Effect<EngineResult.Result<string, unknown>> =>
  Effect.promise(() => {
    const fs = fsPromises()
    return fs === undefined
      ? Promise.resolve(EngineResult.fail(new Error("this runtime has no file system (node:fs)")))
      : fs.readFile(path, "utf8").then(EngineResult.ok, EngineResult.fail)
  })

/** A `ConfigError` at `variable`: Effect 4's `ConfigError` holds a `SchemaError` whose issue points at the key. */
const configError = (variable: string, issue: SchemaIssue.Issue): Config.ConfigError =>
  new Config.ConfigError(new Schema.SchemaError(new SchemaIssue.Pointer([variable], issue)))

/** A missing key, saying what to set. */
const missing = (message: string): SchemaIssue.Issue => new SchemaIssue.MissingKey({ messageMissingKey: message })

/**
 * The configured value of `name` (`OPENAI_WEBHOOK_SECRET`) as `Setting` reads a secret: `<NAME>`, or the contents of
 * the file `<NAME>_FILE` names (Docker's and Kubernetes' convention), one final line break dropped. Both set, a file
 * that cannot be read or an empty one is a `ConfigError` at the variable at fault, naming the path, never the
 * contents; neither set is a `ConfigError` with a missing key. `<NAME>` set to the empty string alone reaches the
 * secret's own check (`Missing`).
 */
export const fromEnvironment = (name: string): Effect.Effect<Secrets, Config.ConfigError | SecretError> =>
  Effect.gen(function*() {
    const file = `${name}${Setting.FILE_SUFFIX}`
    const [direct, path] = yield* Config.all([Config.option(Config.String(name)), Config.option(Config.String(file))])
    const source = Setting.locate({ [name]: Option.getOrUndefined(direct), [file]: Option.getOrUndefined(path) }, name)
    const refused = (problem: Setting.Problem) =>
      Effect.fail(
        configError(problem.variable, new SchemaIssue.InvalidValue({ message: `${problem.message}: ${problem.hint}` }))
      )
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
          : yield* Effect.fail(configError(name, missing(`Expected ${name} or ${file} to be set`)))
    }
  })
