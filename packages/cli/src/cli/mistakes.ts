/**
 * A mistake in the command line, as Effect 4's `effect/cli` finds it (a `CliError.ShowHelp` carrying the errors),
 * said as every usage mistake of `openai-webhooks` is: an `error:` line that names the flag, the argument or the
 * command, and a `hint:` line to the help of the command that was typed; exit code 2.
 *
 * The words are the ones the command has always said (under @effect/cli: "The flag '--urll' is not recognized. Did
 * you mean '--url'?", "Expected to find option: '--since'", "Missing argument <webhook-id>"), from the fields of
 * `effect/cli`'s errors rather than from its own messages ("Unrecognized flag: --urll in command send\n\n  Did you
 * mean this?..."), so that users, scripts and the README see the same lines on either edition.
 */
import type * as CliError from "effect/cli/CliError"
import { commandNames, configs, subcommands, valueHints } from "./commands.js"
import { UsageError } from "./errors.js"
import { entriesOf } from "./help.js"
import { nearest } from "./near.js"

/** The command that was typed (`["inbox", "list"]`): the leading words of `argv` that name commands. */
export const typed = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first, second] = argv
  if (first === undefined) return []
  const below = subcommands[first]
  if (below !== undefined) return second !== undefined && below.includes(second) ? [first, second] : [first]
  return configs[first] === undefined ? [] : [first]
}

/** One of `effect/cli`'s errors in the command's words. */
const said = (error: CliError.NonShowHelpErrors): string => {
  switch (error._tag) {
    case "UnrecognizedOption":
      // A one-letter flag (`-x`) is near every short name: no suggestion for it.
      return error.suggestions.length > 0 && error.option.startsWith("--")
        ? `The flag '${error.option}' is not recognized. Did you mean '${error.suggestions[0]}'?`
        : `Received unknown argument: '${error.option}'`
    case "MissingOption":
      return `Expected to find option: '--${error.option}'`
    case "MissingArgument":
      return `Missing argument <${error.argument}>`
    case "UnexpectedArgument":
      return `Received unknown argument: '${error.arguments[0] ?? ""}'`
    case "InvalidValue":
      return error.kind === "flag" && error.value === ""
        ? `Expected a value following option: '--${error.option}'`
        : error.kind === "flag" && /^\d+ occurrences$/.test(error.value)
        ? `Received unknown argument: '--${error.option}'` // a flag given twice: the second one, as Effect 3 said
        : error.message
    default:
      return error.message
  }
}

/** The errors in the order a person fixes them: a word that is no command, then a flag that is not known. */
const RANK: Readonly<Record<string, number>> = { UnknownSubcommand: 0, UnrecognizedOption: 1 }

/**
 * `mistake` as the usage error the command ends with; `program` is the command's name, `argv` what followed it.
 * `mistake` carries at least one error (a `ShowHelp` without any is a request for help, not a mistake).
 */
export const explain = (mistake: CliError.ShowHelp, program: string, argv: ReadonlyArray<string>): UsageError => {
  const path = typed(argv)
  const here = [program, ...path].join(" ")
  const hint = `run ${here} --help`
  const errors = [...mistake.errors].sort((a, b) => (RANK[a._tag] ?? 2) - (RANK[b._tag] ?? 2))
  const error = errors[0]
  if (error === undefined) return new UsageError({ message: `${here} needs a command`, hint })
  const group = subcommands[path.join(" ")]
  if (path.length === 0 || group !== undefined) {
    // The word after the program, or after `inbox`, is not one of its commands: say which ones there are.
    const word = argv[path.length]
    const commands = group ?? commandNames
    if (word === undefined) return new UsageError({ message: `${here} needs a command`, hint })
    if (error._tag === "UnknownSubcommand" || error._tag === "UnrecognizedOption" || word.startsWith("-")) {
      const near = nearest(word, commands)
      const what = word.startsWith("-")
        ? `${word} is no command of ${here}: its flags go after the command they belong to`
        : `"${word}" is no command of ${here}${near === undefined ? "" : `; did you mean ${near}?`}`
      return new UsageError({ message: `${what} (one of ${commands.join(", ")})`, hint })
    }
  }
  if (error._tag === "InvalidValue" && error.kind === "flag" && error.value === "") {
    // `send --url --count 3`: the word after the flag is another flag, which effect/cli does not take as its value.
    const flag = `--${error.option}`
    const next = argv[argv.indexOf(flag) + 1]
    if (next !== undefined && next.startsWith("-")) {
      return new UsageError({
        message: `${flag} needs a value, not the flag ${next}`,
        hint: valueHints[`${path.join(" ")} ${flag}`] ?? hint
      })
    }
  }
  if (error._tag === "MissingOption") {
    // effect/cli names the first required flag that is missing; name them all, so that one try fixes them.
    const given = (name: string) => argv.some((word) => word === `--${name}` || word.startsWith(`--${name}=`))
    const missing = entriesOf(configs[path.join(" ")] ?? {}).filter((entry) =>
      entry.kind === "flag" && !entry.optional && entry.repeated === undefined && !given(entry.name)
    )
    if (missing.length > 0) {
      return new UsageError({
        message: missing.map((entry) => `Expected to find option: '--${entry.name}'`).join("; "),
        hint
      })
    }
  }
  // Several of one kind (two required flags missing) are said together, as one line.
  const message = [...new Set(errors.filter((other) => other._tag === error._tag).map(said))].join("; ")
  return new UsageError({ message, hint })
}
