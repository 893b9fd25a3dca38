/**
 * The help of `openai-webhooks`, as it has always read: the program and its version, USAGE (`$ openai-webhooks send
 * [--all] [--url url] ... [<event-type>]`), DESCRIPTION, ARGUMENTS, OPTIONS, COMMANDS, each flag's heading on a line
 * of its own with its description indented below. Effect 4's `effect/cli` lays its help out its own way (`USAGE
 * send [flags]`, flags in columns); it lets a program bring its own `CliOutput.Formatter`, and this is ours, written
 * from the commands' own flags and arguments (`./commands.ts`) so that the usage line names each one.
 *
 * The help is plain text unless `colour` (a terminal without NO_COLOR: `./output.ts`), where the headings are bold.
 */
import type * as CliError from "effect/cli/CliError"
import type * as CliOutput from "effect/cli/CliOutput"
import type * as Command from "effect/cli/Command"
import type * as HelpDoc from "effect/cli/HelpDoc"
import * as Param from "effect/cli/Param"
import * as Effect from "effect/Effect"
import * as Console from "effect/Console"
import * as Option from "effect/Option"

/** A flag or an argument as the help shows it. */
export interface Entry {
  readonly kind: "flag" | "argument"
  readonly name: string
  /** The value's name (`url`), "" for a switch. */
  readonly value: string
  readonly description: string
  readonly optional: boolean
  /** How many times it must be given when it may be repeated (0 for a repeatable flag). */
  readonly repeated: number | undefined
}

/**
 * A flag or argument's single parameter and how it is wrapped (optional, repeated), read from its structure:
 * `effect/cli` keeps its own reader of it (`Param.getParamMetadata`) internal. Each alternative of `orElse` counts
 * as its first; none of ours has one.
 */
const entryOf = (param: Param.Any): Entry => {
  let optional = false
  let repeated: number | undefined
  let current: Param.Any = param
  while (!Param.isSingle(current)) {
    const wrapped = current as Param.Optional<Param.ParamKind, unknown> | Param.Variadic<Param.ParamKind, unknown>
    if (wrapped._tag === "Optional") optional = true
    if (wrapped._tag === "Variadic") repeated = Option.getOrElse(wrapped.min, () => 0)
    current = wrapped.param
  }
  const single: Param.Single<Param.ParamKind, unknown> = current
  const isSwitch = single.primitiveType._tag === "Boolean"
  return {
    kind: single.kind === "flag" ? "flag" : "argument",
    name: single.name,
    value: isSwitch ? "" : single.typeName ?? "text",
    description: Option.getOrElse(single.description, () => ""),
    optional: optional || isSwitch,
    repeated
  }
}

/** The flags and arguments of a command's config, in its order. */
export const entriesOf = (config: Command.Command.Config): ReadonlyArray<Entry> =>
  Object.values(config).flatMap((param) => Param.isParam(param) ? [entryOf(param)] : [])

const flagHeading = (entry: Entry): string => `--${entry.name}${entry.value === "" ? "" : ` ${entry.value}`}`

const argumentHeading = (entry: Entry): string => `<${entry.name}>`

/** A command's usage after its name: its flags, then its arguments. */
export const usage = (config: Command.Command.Config): string => {
  const entries = entriesOf(config)
  const words = [
    ...entries.filter((entry) => entry.kind === "flag").map((entry) =>
      entry.repeated !== undefined
        ? `${flagHeading(entry)}...`
        : entry.optional
        ? `[${flagHeading(entry)}]`
        : flagHeading(entry)
    ),
    ...entries.filter((entry) => entry.kind === "argument").map((entry) =>
      entry.repeated !== undefined
        ? `${argumentHeading(entry)}...`
        : entry.optional
        ? `[${argumentHeading(entry)}]`
        : argumentHeading(entry)
    )
  ]
  return words.map((word) => ` ${word}`).join("")
}

/** What the help of a command tree needs of it: each command's flags and arguments, and its commands. */
export interface Tree {
  /** The program's name: the first word of every command path. */
  readonly program: string
  readonly version: string
  /** Each command's flags and arguments, by its path below the program (`inbox list`). */
  readonly configs: Readonly<Record<string, Command.Command.Config>>
  /** The program's command. */
  readonly root: Command.Command.Any
}

const bold = (text: string, colour: boolean): string => colour ? `\x1b[1m${text}\x1b[0m` : text

const section = (title: string, body: ReadonlyArray<string>, colour: boolean): ReadonlyArray<string> =>
  body.length === 0 ? [] : [bold(title, colour), "", ...body]

const entryLines = (heading: string, entry: Entry, colour: boolean): ReadonlyArray<string> => [
  bold(heading, colour),
  "",
  ...(entry.description === "" ? [] : [`  ${entry.description}`, ""]),
  ...(entry.repeated !== undefined
    ? [
      entry.kind === "flag"
        ? "  This option may be repeated zero or more times."
        : `  This argument must be repeated at least ${entry.repeated} times.`,
      ""
    ]
    : entry.optional
    ? ["  This setting is optional.", ""]
    : [])
]

/** The command at `path` (below the program) in the tree, or undefined. */
const find = (root: Command.Command.Any, path: ReadonlyArray<string>): Command.Command.Any | undefined => {
  let command: Command.Command.Any | undefined = root
  for (const name of path) {
    command = command?.subcommands.flatMap((group) => group.commands).find((sub) => sub.name === name)
  }
  return command
}

/** Every command below `path`, depth first, each with its path below the program. */
const below = (
  command: Command.Command.Any,
  path: ReadonlyArray<string>
): ReadonlyArray<readonly [ReadonlyArray<string>, Command.Command.Any]> =>
  command.subcommands.flatMap((group) => group.commands).flatMap((sub) => {
    const here = [...path, sub.name]
    return [[here, sub] as const, ...below(sub, here)]
  })

/** The help of the command at `commandPath` (the program's name first), as `openai-webhooks` prints it. */
export const render = (tree: Tree, commandPath: ReadonlyArray<string>, colour: boolean): string => {
  const path = commandPath.slice(1)
  const command = find(tree.root, path)
  const config = tree.configs[path.join(" ")] ?? {}
  const entries = entriesOf(config)
  const commands = command === undefined ? [] : below(command, path).map(([full, sub]) => {
    const name = full.slice(path.length).join(" ")
    return [`${name}${usage(tree.configs[full.join(" ")] ?? {})}`, sub.description ?? ""] as const
  })
  const width = Math.max(0, ...commands.map(([line]) => line.length))
  return [
    bold(tree.program, colour),
    "",
    `${tree.program} ${tree.version}`,
    "",
    ...section("USAGE", [`$ ${[tree.program, ...path].join(" ")}${usage(config)}`, ""], colour),
    ...section("DESCRIPTION", command?.description ? [command.description, ""] : [], colour),
    ...section(
      "ARGUMENTS",
      entries.filter((entry) => entry.kind === "argument").flatMap((entry) =>
        entryLines(
          `${argumentHeading(entry)}${entry.repeated !== undefined ? ` ${entry.repeated}+` : ""}`,
          entry,
          colour
        )
      ),
      colour
    ),
    ...section(
      "OPTIONS",
      entries.filter((entry) => entry.kind === "flag").flatMap((entry) =>
        entryLines(`${flagHeading(entry)}${entry.repeated !== undefined ? "..." : ""}`, entry, colour)
      ),
      colour
    ),
    ...section(
      "COMMANDS",
      commands.flatMap(([line, description]) => [`  - ${line.padEnd(width)}  ${description}`, ""]),
      colour
    )
  ].join("\n")
}

/**
 * The formatter `effect/cli` writes its help and version with: ours (`render`). Its own error texts are not printed
 * (`./mistakes.ts` says them as `error:`/`hint:`), but a formatter says them all: here, their messages.
 */
export const formatter = (tree: Tree, colour: boolean): CliOutput.Formatter => {
  const formatError = (error: CliError.CliError): string => error.message
  return {
    formatHelpDoc: (doc: HelpDoc.HelpDoc) => render(tree, doc.commandPath ?? [tree.program], colour),
    formatCliError: formatError,
    formatError,
    formatVersion: (_name, version) => `${version}\n`,
    formatErrors: (errors) => errors.map(formatError).join("\n")
  }
}

/**
 * What `effect/cli` presents, as `openai-webhooks` prints it: the help and the version on stdout; nothing for a
 * mistake in the command line, which the command's failure says once, as `error:`/`hint:` (`./mistakes.ts`).
 */
export const presenter = (tree: Tree, colour: boolean): CliOutput.Presenter => {
  const format = formatter(tree, colour)
  return {
    present: (event) =>
      event._tag === "Help"
        ? Console.log(format.formatHelpDoc(event.helpDoc))
        : event._tag === "Version"
        ? Console.log(format.formatVersion(event.name, event.version))
        : Effect.void
  }
}
