/**
 * A mistake in the command line, as @effect/cli finds it (a `ValidationError`), said as every usage mistake is: an
 * `error:` line with @effect/cli's own words, which name the flag, the argument or the command, and a `hint:` line
 * to the help of the command that was typed; exit code 2.
 *
 * @effect/cli corrects a mistyped flag ("The flag '--urll' is not recognized. Did you mean '--url'?"), and says
 * "Expected a value following option: '--url'", only when the command line then fails to parse; with every flag
 * optional it parses, and the flag is reported as an unknown argument. For that case the command's own options are
 * asked again (`Options.processCommandLine`), so that the error says what was meant.
 */
import * as AutoCorrect from "@effect/cli/AutoCorrect"
import type * as CliConfig from "@effect/cli/CliConfig"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { commandNames, configs, subcommands } from "./commands.js"
import { UsageError } from "./errors.js"
import { plain } from "./output.js"

/** The command that was typed (`["inbox", "list"]`): the leading words of `argv` that name commands. */
export const typed = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first, second] = argv
  if (first === undefined) return []
  const below = subcommands[first]
  if (below !== undefined) return second !== undefined && below.includes(second) ? [first, second] : [first]
  return configs[first] === undefined ? [] : [first]
}

/**
 * What @effect/cli finds wrong with the flags of the command at `path` (a mistyped flag and its correction, a flag
 * without its value), when its parse of the whole command line had dropped it.
 */
const correction = (path: ReadonlyArray<string>, rest: ReadonlyArray<string>, config: CliConfig.CliConfig) => {
  const spec = configs[path.join(" ")]
  if (spec === undefined) return Effect.succeed(Option.none<string>())
  const options = Object.values(spec).filter(Options.isOptions)
  return Options.processCommandLine(Options.all(options), rest, config).pipe(
    Effect.map(([error]) => Option.map(error, (e) => plain(e.error))),
    Effect.orElseSucceed(() => Option.none<string>())
  )
}

/**
 * "; did you mean send?" for a mistyped command, by @effect/cli's own distance and limit (its parser corrects
 * flags, not commands).
 */
const nearest = (word: string, names: ReadonlyArray<string>, config: CliConfig.CliConfig): string => {
  const near = names
    .map((name) => ({ name, distance: AutoCorrect.levensteinDistance(word, name, config) }))
    .filter(({ distance }) => distance <= Math.max(config.autoCorrectLimit, 2))
    .sort((a, b) => a.distance - b.distance)[0]
  return near === undefined ? "" : `; did you mean ${near.name}?`
}

/** `error` as the usage error the command ends with; `program` is the command's name, `argv` what followed it. */
export const explain = (
  error: ValidationError.ValidationError,
  program: string,
  argv: ReadonlyArray<string>,
  config: CliConfig.CliConfig
) =>
  Effect.gen(function*() {
    const path = typed(argv)
    const here = [program, ...path].join(" ")
    const hint = `run ${here} --help`
    if (error._tag === "HelpRequested") return new UsageError({ message: `${here} needs a command`, hint })
    const said = plain(error.error)
    const group = subcommands[path.join(" ")]
    if (group !== undefined && error._tag === "CommandMismatch" || /^Invalid subcommand/.test(said)) {
      // @effect/cli names the program's commands even when the word after `inbox` is wrong: say which group.
      const word = argv[path.length]
      const commands = group ?? commandNames
      const what = word === undefined
        ? `${here} needs a command`
        : word.startsWith("-")
        ? `${word} is no command of ${here}: its flags go after the command they belong to`
        : `"${word}" is no command of ${here}${nearest(word, commands, config)}`
      return new UsageError({ message: `${what} (one of ${[...commands].join(", ")})`, hint })
    }
    if (/^Received unknown argument/.test(said)) {
      const corrected = yield* correction(path, argv.slice(path.length), config)
      if (Option.isSome(corrected)) return new UsageError({ message: corrected.value, hint })
    }
    return new UsageError({ message: said, hint })
  })
