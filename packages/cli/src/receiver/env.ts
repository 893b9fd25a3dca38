/**
 * The engine's rule for settings (`Setting`), as `Config` for the receiver and the command: a variable set to the
 * empty string counts as unset, secrets may come from the file `<NAME>_FILE` names, whole numbers are decimal and
 * bounded. Every refusal is a `ConfigError` at the variable at fault, which `./config.ts` turns into `error:` and
 * `hint:` lines.
 */
import { readFileSync } from "node:fs"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
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
 * {@link CREDENTIALS}, whose empty value {@link secret} refuses. Every variable the receiver reads is a single
 * value: a node that only has children (`PORT_FILE` set and `PORT` not, which Effect 4's environment provider
 * reads as a record at `PORT`) is the variable unset.
 */
export const emptyAsUnset = (provider: ConfigProvider.ConfigProvider): ConfigProvider.ConfigProvider =>
  ConfigProvider.make((path) =>
    Effect.map(provider.load(path), (node) => {
      if (node === undefined || node.value === undefined) return undefined
      if (node.value === "" && !credential.has(path.join("_"))) return undefined
      return node._tag === "Value" ? node : ConfigProvider.makeValue(node.value)
    })
  )

/**
 * The process's environment as the receiver reads it, `overrides` (`serve`'s flags) over it: empty values kept
 * (Effect 4's `ConfigProvider.fromEnv` drops them by default), so that {@link emptyAsUnset} decides, and an empty
 * credential is refused rather than read as unset. An override set to "" hides the variable's own value.
 */
export const environment = (overrides: Readonly<Record<string, string>> = {}): ConfigProvider.ConfigProvider => {
  const own = ConfigProvider.fromEnv({ preserveEmptyStrings: true })
  return Object.keys(overrides).length === 0
    ? own
    : ConfigProvider.orElse(ConfigProvider.fromEnv({ env: { ...overrides }, preserveEmptyStrings: true }), own)
}

/** A refusal at the variable `variable`, saying `message`: what `./config.ts` turns into `error:` and `hint:`. */
export const invalidAt = (variable: string, message: string): Config.ConfigError =>
  new Config.ConfigError(
    new Schema.SchemaError(new SchemaIssue.Pointer([variable], new SchemaIssue.InvalidValue({ message })))
  )

/** A refusal of the engine's, as a `ConfigError` at the variable at fault. */
const refusal = (problem: Setting.Problem): Config.ConfigError => invalidAt(problem.variable, problem.message)

const fromResult = <A>(result: Result.Result<A, Setting.Problem>): Effect.Effect<A, Config.ConfigError> =>
  result.ok ? Effect.succeed(result.value) : Effect.fail(refusal(result.error))

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
    Config.option(Config.String(name)),
    Config.option(Config.String(`${name}${Setting.FILE_SUFFIX}`))
  ]).pipe(
    Config.mapEffect(([value, file]) => {
      const environment: Setting.Environment = {
        [name]: Option.getOrUndefined(value),
        [`${name}${Setting.FILE_SUFFIX}`]: Option.getOrUndefined(file)
      }
      return Effect.map(
        fromResult(Setting.read(environment, name, (path) => readFileSync(path, "utf8"), {
          emptyIsUnset: !CREDENTIALS.includes(name)
        })),
        (found): Option.Option<Secret> =>
          found === undefined
            ? Option.none()
            : Option.some({ variable: found.variable, value: Redacted.make(found.value) })
      )
    })
  )

/** A whole-number variable: decimal digits within `bounds` (`Setting.integer`), refused naming the bounds. */
export const integer = (name: string, bounds: Setting.Bounds): Config.Config<number> =>
  Config.String(name).pipe(
    Config.mapEffect((text) => {
      const parsed = Setting.integer(text, bounds)
      return parsed.ok ? Effect.succeed(parsed.value) : Effect.fail(invalidAt(name, parsed.error.message))
    })
  )

/** A string variable checked by `valid`, refused with `message` (what it expects) when it is not. */
export const checked = (
  name: string,
  valid: (text: string) => boolean,
  message: string
): Config.Config<string> =>
  Config.String(name).pipe(
    Config.mapEffect((text) => valid(text) ? Effect.succeed(text) : Effect.fail(invalidAt(name, message)))
  )
