/**
 * The engine's rule for settings (`Setting`), as `Config` for the receiver and the command: a variable set to the
 * empty string counts as unset, secrets may come from the file `<NAME>_FILE` names, whole numbers are decimal and
 * bounded. Every refusal is a `ConfigError` at the variable at fault, which `./config.ts` turns into `error:` and
 * `hint:` lines.
 */
import { readFileSync } from "node:fs"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type Result, Setting } from "openai-webhooks-engine"

/**
 * The credentials: a token that guards an endpoint, the webhook secret. Unset, each means less protection (an open
 * `/metrics`, a development secret), so an empty one is refused rather than read as unset: it is far more often a
 * substitution that failed (`TOKEN=${MISSING}`) than a wish to turn the protection off. `DATABASE_URL` is a secret
 * too, but unset it means the local SQLite file, so empty is unset there as everywhere else.
 */
export const CREDENTIALS: ReadonlyArray<string> = [
  "OPENAI_WEBHOOK_SECRET",
  "WEBHOOK_INSPECTOR_TOKEN",
  "WEBHOOK_METRICS_TOKEN"
]

const credential = new Set(CREDENTIALS.flatMap((name) => [name, `${name}${Setting.FILE_SUFFIX}`]))

/**
 * `provider`, where a variable set to the empty string is missing: `Config.withDefault` then applies, as if it were
 * unset. One place for every variable, the library's (`WEBHOOK_MODE`, `WEBHOOK_LEASE`) included, except the
 * {@link CREDENTIALS}, whose empty value {@link secret} refuses.
 */
export const emptyAsUnset = (provider: ConfigProvider.ConfigProvider): ConfigProvider.ConfigProvider => {
  const flat = provider.flattened
  // The raw text, read as a string whatever the primitive asked for, to see whether it is empty.
  const text = Config.string() as Config.Config.Primitive<string>
  return ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (path, primitive, split) =>
      credential.has(path.join("_")) ? flat.load(path, primitive, split) : Effect.flatMap(
        flat.load(path, text, false),
        (values) =>
          values.length === 1 && values[0] === ""
            ? Effect.fail(ConfigError.MissingData([...path], `Expected ${path.join(".")} to be set (empty is unset)`))
            : flat.load(path, primitive, split)
      ),
    enumerateChildren: (path) => flat.enumerateChildren(path),
    patch: flat.patch
  }))
}

/** A refusal of the engine's, as a `ConfigError` at the variable at fault. */
const refusal = (problem: Setting.Problem): ConfigError.ConfigError =>
  ConfigError.InvalidData([problem.variable], problem.message)

const fromResult = <A>(result: Result.Result<A, Setting.Problem>): Either.Either<A, ConfigError.ConfigError> =>
  result.ok ? Either.right(result.value) : Either.left(refusal(result.error))

/** A secret setting as found: its value, and the variable that gave it (`<NAME>` or `<NAME>_FILE`). */
export interface Secret {
  readonly variable: string
  readonly value: Redacted.Redacted<string>
}

/**
 * The secret setting `name`: `<NAME>`, or the contents of the file `<NAME>_FILE` names (one final line break
 * dropped), `None` when neither is set. Both set, a file that cannot be read or an empty one are refused, naming
 * the variable and the path, never the contents (`Setting.read`); so is an empty value of one of the
 * {@link CREDENTIALS}.
 */
export const secret = (name: string): Config.Config<Option.Option<Secret>> =>
  Config.all([
    Config.option(Config.string(name)),
    Config.option(Config.string(`${name}${Setting.FILE_SUFFIX}`))
  ]).pipe(
    Config.mapOrFail(([value, file]) => {
      const environment: Setting.Environment = {
        [name]: Option.getOrUndefined(value),
        [`${name}${Setting.FILE_SUFFIX}`]: Option.getOrUndefined(file)
      }
      return Either.map(
        fromResult(Setting.read(environment, name, (path) => readFileSync(path, "utf8"), {
          emptyIsUnset: !CREDENTIALS.includes(name)
        })),
        (found) =>
          found === undefined
            ? Option.none()
            : Option.some({ variable: found.variable, value: Redacted.make(found.value) })
      )
    })
  )

/** A whole-number variable: decimal digits within `bounds` (`Setting.integer`), refused naming the bounds. */
export const integer = (name: string, bounds: Setting.Bounds): Config.Config<number> =>
  Config.string().pipe(
    Config.mapOrFail((text) => {
      const parsed = Setting.integer(text, bounds)
      return parsed.ok ? Either.right(parsed.value) : Either.left(ConfigError.InvalidData([], parsed.error.message))
    }),
    // Nested after the check, so that a refusal names the variable.
    Config.nested(name)
  )
