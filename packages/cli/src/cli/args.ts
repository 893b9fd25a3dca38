/**
 * The command line of `openai-webhooks`: what each command takes (a {@link Spec} of flags and arguments), the
 * parser that reads `process.argv` against it, and the help that describes it. Effect-free and light on purpose:
 * this is all a command loads before its own module (`--help` loads nothing else), so that a command starts in a
 * tenth of a second, not in the second that @effect/cli with @effect/platform-node took.
 *
 * The lexing (`--flag value`, `--flag=value`, `--`) is `node:util`'s `parseArgs`; what is checked here is what
 * a person gets wrong, each as a {@link Mistake} that names the flag and says what to type instead: an unknown
 * flag or command ("did you mean --url"), a flag without its value, a value of the wrong kind or out of its
 * choices, a flag given twice, a flag of a subcommand put before it, a missing or an extra argument.
 */
import { parseArgs } from "node:util"

/** A usage mistake: `error:` and `hint:` lines, exit code 2 (the CLI's `UsageError`, without loading Effect). */
export interface Mistake {
  readonly message: string
  readonly hint: string
}

/** One `--flag`: how it is written, what it holds, and what `--help` says of it. `A` is the parsed value. */
export interface Flag<A> {
  readonly name: string
  readonly description: string
  /** What the value is, as `--help` shows it (`--url <url>`); undefined for a switch (`--all`). */
  readonly value?: string | undefined
  readonly choices?: ReadonlyArray<string> | undefined
  readonly integer?: boolean | undefined
  readonly repeated?: boolean | undefined
  readonly required?: boolean | undefined
  readonly fallback?: string | number | undefined
  /** An example of a value, for the hint of a mistake. */
  readonly example?: string | undefined
  /** Phantom: the type of the parsed value. */
  readonly _A?: A
}

/** A positional argument. `A` is the parsed value: a string, optional, or a list of at least one. */
export interface Arg<A> {
  readonly name: string
  readonly description: string
  readonly optional?: boolean | undefined
  readonly variadic?: boolean | undefined
  readonly _A?: A
}

type Flags = Record<string, Flag<unknown>>
type Args = Record<string, Arg<unknown>>

/** What a command's `run` receives: each flag and argument under its key, parsed. */
export type Input<S> = S extends Spec<infer F, infer A> ?
    & { readonly [K in keyof F]: F[K] extends Flag<infer V> ? V : never }
    & { readonly [K in keyof A]: A[K] extends Arg<infer V> ? V : never }
  : never

/**
 * A usage mistake found by a command that runs without Effect (`events <type>`): it ends as any `UsageError` does,
 * exit code 2. A command module's `run` returns an Effect (run by `./run.ts`), nothing (it has printed its output),
 * or this.
 */
export interface Refusal {
  readonly _tag: "Refusal"
  readonly mistake: Mistake
}

/** A {@link Refusal}. */
export const refuse = (message: string, hint: string): Refusal => ({ _tag: "Refusal", mistake: { message, hint } })

/** Whether a command's outcome is a {@link Refusal}. */
export const isRefusal = (outcome: unknown): outcome is Refusal =>
  typeof outcome === "object" && outcome !== null && (outcome as { _tag?: unknown })._tag === "Refusal"

/** A command: its flags and arguments, and what `--help` says of it. */
export interface Spec<F extends Flags = Flags, A extends Args = Args> {
  readonly _tag: "Spec"
  readonly name: string
  /** One line, for the list of commands. */
  readonly summary: string
  /** More, for the command's own help. */
  readonly details?: string | undefined
  readonly examples?: ReadonlyArray<string> | undefined
  readonly flags: F
  readonly args: A
}

/** A command with subcommands (`inbox`, `endpoints`). */
export interface Group {
  readonly _tag: "Group"
  readonly name: string
  readonly summary: string
  readonly details?: string | undefined
  readonly commands: ReadonlyArray<Spec<any, any> | Group>
}

/** A command of flags `flags` and arguments `args`. */
export const command = <F extends Flags, A extends Args = {}>(spec: Omit<Spec<F, A>, "_tag" | "args"> & {
  readonly args?: A
}): Spec<F, A> => ({ _tag: "Spec", ...spec, args: spec.args ?? ({} as A) })

/** A command with subcommands. */
export const group = (spec: Omit<Group, "_tag">): Group => ({ _tag: "Group", ...spec })

/** `--name <value>`: text, undefined when absent. */
export const text = (
  name: string,
  description: string,
  value = "text",
  example?: string
): Flag<string | undefined> => ({ name, description, value, example })

/** `--name <n>`: a whole number written in decimal, undefined when absent. */
export const integer = (name: string, description: string, value = "n"): Flag<number | undefined> => ({
  name,
  description,
  value,
  integer: true
})

/** `--name`: a switch, false when absent. */
export const boolean = (name: string, description: string): Flag<boolean> => ({ name, description })

/** `--name <a|b>`: one of `choices`, undefined when absent. */
export const choice = <const C extends string>(
  name: string,
  choices: ReadonlyArray<C>,
  description: string
): Flag<C | undefined> => ({ name, description, value: choices.join("|"), choices })

/** The flag with `fallback` when absent (said in `--help`). */
export const withDefault = <A>(flag: Flag<A | undefined>, fallback: A & (string | number)): Flag<A> =>
  ({ ...flag, fallback }) as Flag<A>

/** The flag, which must be given. */
export const required = <A>(flag: Flag<A | undefined>): Flag<A> => ({ ...flag, required: true }) as Flag<A>

/** The flag, which may be given several times: every value, in order (empty when absent). */
export const repeated = <A>(flag: Flag<A | undefined>): Flag<ReadonlyArray<A>> =>
  ({ ...flag, repeated: true }) as Flag<ReadonlyArray<A>>

/** A positional argument that must be given. */
export const arg = (name: string, description: string): Arg<string> => ({ name, description })

/** A positional argument that may be left out. */
export const optionalArg = (name: string, description: string): Arg<string | undefined> => ({
  name,
  description,
  optional: true
})

/** One or more positional arguments. */
export const variadic = (name: string, description: string): Arg<ReadonlyArray<string>> => ({
  name,
  description,
  variadic: true
})

// --- Did you mean ---

/** Edits from `a` to `b`: insertions, deletions, substitutions, swaps of two neighbours ("lsit" is 1 from "list"). */
const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}

/** The candidate nearest to `given` (a typo: at most a third of its letters wrong, or a prefix of it). */
export const nearest = (given: string, candidates: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = candidate.startsWith(given) && given.length >= 2 ? 0.5 : distance(given, candidate)
    if (d < bestDistance && d <= Math.max(1, Math.floor(Math.max(given.length, candidate.length) / 3))) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

const didYouMean = (given: string, candidates: ReadonlyArray<string>, prefix = "") => {
  const near = nearest(given, candidates)
  return near === undefined ? "" : `; did you mean ${prefix}${near}?`
}

// --- Parsing ---

/** What the command line asks for: a command to run with its input, help to print, or the version. */
export type Parsed =
  | { readonly _tag: "Run"; readonly spec: Spec; readonly path: ReadonlyArray<string>; readonly input: object }
  | { readonly _tag: "Help"; readonly node: Spec | Group; readonly path: ReadonlyArray<string> }
  | { readonly _tag: "Version" }
  | { readonly _tag: "Mistake"; readonly mistake: Mistake }

const mistake = (message: string, hint: string): Parsed => ({ _tag: "Mistake", mistake: { message, hint } })

const isHelp = (word: string) => word === "--help" || word === "-h"

/** Every flag of `node`'s commands, at any depth, with the path of a command that takes it. */
const flagsBelow = (node: Group, path: ReadonlyArray<string>): Map<string, ReadonlyArray<string>> => {
  const out = new Map<string, ReadonlyArray<string>>()
  for (const child of node.commands) {
    const at = [...path, child.name]
    if (child._tag === "Group") for (const [name, where] of flagsBelow(child, at)) out.set(name, out.get(name) ?? where)
    else for (const flag of Object.values<Flag<unknown>>(child.flags)) if (!out.has(flag.name)) out.set(flag.name, at)
  }
  return out
}

/**
 * Reads `argv` (what follows the program's name) against `root`: walks the command words down to a command,
 * then reads its flags and arguments. Never throws: a mistake is a {@link Mistake} result.
 */
export const parse = (root: Group, argv: ReadonlyArray<string>, program: string): Parsed => {
  let node: Spec | Group = root
  const path: Array<string> = []
  let i = 0
  while (node._tag === "Group") {
    const word = argv[i]
    const here: string = [program, ...path].join(" ")
    const names: ReadonlyArray<string> = node.commands.map((child) => child.name)
    if (word === undefined) {
      return path.length === 0
        ? { _tag: "Help", node, path }
        : mistake(`${here} needs a command: ${names.join(", ")}`, `see ${here} --help`)
    }
    if (isHelp(word)) return { _tag: "Help", node, path }
    if (word === "--version" && path.length === 0) return { _tag: "Version" }
    if (word.startsWith("-")) {
      const name = word.replace(/^-+/, "").split("=")[0]!
      const below = flagsBelow(node, path).get(name)
      return below === undefined
        ? mistake(`unknown flag ${word.split("=")[0]} for ${here}`, `it takes a command first: ${names.join(", ")}`)
        : mistake(
          `--${name} goes after the command it belongs to, not before it`,
          `e.g. ${[program, ...below].join(" ")} --${name} ...`
        )
    }
    const next: Spec | Group | undefined = node.commands.find((child) => child.name === word)
    if (next === undefined) {
      return mistake(
        `unknown command "${word}" for ${here}${didYouMean(word, names)}`,
        `the commands: ${names.join(", ")}`
      )
    }
    node = next
    path.push(word)
    i++
  }
  return parseCommand(node, argv.slice(i), [program, ...path].join(" "), path)
}

const parseCommand = (spec: Spec, argv: ReadonlyArray<string>, here: string, path: ReadonlyArray<string>): Parsed => {
  const flags = Object.entries(spec.flags)
  const byName = new Map(flags.map(([key, flag]) => [flag.name, { key, flag }]))
  const options: Record<string, { type: "string" | "boolean"; multiple: boolean }> = {}
  for (const [, flag] of flags) {
    options[flag.name] = { type: flag.value === undefined ? "boolean" : "string", multiple: true }
  }
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true })
  const help = `see ${here} --help`
  const values = new Map<string, Array<string | boolean>>()
  const positionals: Array<string> = []
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue
    if (token.kind === "positional") {
      positionals.push(token.value)
      continue
    }
    if (token.name === "help" || token.name === "h") return { _tag: "Help", node: spec, path }
    const known = byName.get(token.name)
    if (known === undefined) {
      return mistake(
        `unknown flag ${token.rawName} for ${here}${didYouMean(token.name, [...byName.keys()], "--")}`,
        byName.size === 0 ? `${here} takes no flags` : help
      )
    }
    const { flag } = known
    let value: string | boolean
    if (flag.value === undefined) {
      if (token.inlineValue === true) {
        return mistake(`--${flag.name} is a switch and takes no value`, `write --${flag.name} alone`)
      }
      value = true
    } else {
      const given = token.value
      // `--url --count 3`: the next flag is not --url's value.
      const nextFlag = !token.inlineValue && given?.startsWith("--") === true &&
        byName.has(given.slice(2).split("=")[0]!)
      if (given === undefined || nextFlag) {
        return mistake(`--${flag.name} needs a value (${flag.value})`, example(flag))
      }
      value = given
    }
    const seen = values.get(known.key) ?? []
    if (seen.length > 0 && !flag.repeated) {
      const once = flag.value === undefined ? "give it once" : `give it once: ${example(flag)}`
      return mistake(`--${flag.name} is given twice`, once)
    }
    seen.push(value)
    values.set(known.key, seen)
  }
  const input: Record<string, unknown> = {}
  for (const [key, flag] of flags) {
    const given = values.get(key) ?? []
    if (flag.value === undefined) {
      input[key] = given.length > 0
      continue
    }
    const parsed: Array<string | number> = []
    for (const raw of given as ReadonlyArray<string>) {
      const checked = check(flag, raw)
      if (typeof checked === "object") return { _tag: "Mistake", mistake: checked }
      parsed.push(checked)
    }
    if (given.length === 0 && flag.required) return mistake(`--${flag.name} is required`, example(flag))
    input[key] = flag.repeated ? parsed : parsed[0] ?? flag.fallback
  }
  const args = Object.entries(spec.args)
  for (const [key, arg] of args) {
    if (arg.variadic) {
      if (positionals.length === 0) return mistake(`<${arg.name}> is required: one or more`, help)
      input[key] = positionals.splice(0)
    } else {
      const value = positionals.shift()
      if (value === undefined && !arg.optional) return mistake(`<${arg.name}> is required`, help)
      input[key] = value
    }
  }
  if (positionals.length > 0) {
    const extra = positionals[0]!
    const flagLike = extra.startsWith("-") ? "" : didYouMean(extra, [...byName.keys()], "--")
    return mistake(
      args.length === 0
        ? `${here} takes no arguments, but got "${extra}"${flagLike}`
        : `one argument too many: "${extra}"${flagLike}`,
      help
    )
  }
  return { _tag: "Run", spec, path, input }
}

const example = (flag: Flag<unknown>): string =>
  `e.g. --${flag.name} ${flag.example ?? (flag.choices?.[0] ?? (flag.integer ? "10" : `<${flag.value}>`))}`

/** A flag's value checked against its kind: the value, or a {@link Mistake} naming the flag. */
const check = (flag: Flag<unknown>, raw: string): string | number | Mistake => {
  if (flag.integer) {
    const trimmed = raw.trim()
    if (!/^-?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
      return { message: `--${flag.name} takes a whole number, not ${JSON.stringify(raw)}`, hint: example(flag) }
    }
    return Number(trimmed)
  }
  if (flag.choices !== undefined && !flag.choices.includes(raw)) {
    return {
      message: `--${flag.name} is one of ${flag.choices.join(", ")}, not ${JSON.stringify(raw)}${
        didYouMean(raw, flag.choices)
      }`,
      hint: example(flag)
    }
  }
  return raw
}

// --- Help ---

/** Whether to colour: a terminal, and neither NO_COLOR (https://no-color.org) nor TERM=dumb. */
export const colours = (stream: { readonly isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb"

const wrap = (text: string, width: number, indent: number): string => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === "" ? word : `${line} ${word}`
  }
  lines.push(line)
  return lines.join(`\n${" ".repeat(indent)}`)
}

const flagLabel = (flag: Flag<unknown>) => `--${flag.name}${flag.value === undefined ? "" : ` <${flag.value}>`}`

const argLabel = (arg: Arg<unknown>) =>
  arg.variadic ? `<${arg.name}>...` : arg.optional ? `[<${arg.name}>]` : `<${arg.name}>`

/**
 * The help of `node` (the program's, a group's or a command's): usage with the program's name, what it does, each
 * argument and flag with what it means and its default, examples. Bold headings only when `colour`.
 */
export const help = (
  node: Spec | Group,
  path: ReadonlyArray<string>,
  program: string,
  options: { readonly colour: boolean; readonly width: number; readonly version?: string }
): string => {
  const width = Math.max(60, Math.min(options.width, 120))
  const heading = (text: string) => options.colour ? `\x1b[1m${text}\x1b[0m` : text
  const here = [program, ...path].join(" ")
  const out: Array<string> = []
  const table = (rows: ReadonlyArray<readonly [string, string]>) => {
    const column = Math.min(28, Math.max(...rows.map(([label]) => label.length)) + 4)
    for (const [label, text] of rows) {
      const start = label.length + 2 >= column ? `  ${label}\n${" ".repeat(column)}` : `  ${label.padEnd(column - 2)}`
      out.push(`${start}${wrap(text, width, column)}`)
    }
  }
  const title = options.version === undefined ? here : `${here} ${options.version}`
  out.push(`${title}: ${wrap(node.summary, width, 0)}`)
  if (node.details !== undefined) out.push("", wrap(node.details, width, 0))
  out.push("", heading("Usage"))
  if (node._tag === "Group") {
    out.push(`  ${here} <command> [flags]`, "", heading("Commands"))
    table(node.commands.map((child) => [child.name, child.summary]))
    out.push("", `Run ${here} <command> --help for a command's flags.`)
  } else {
    const args = Object.values(node.args)
    const flags = Object.values(node.flags)
    const required = flags.filter((flag) => flag.required).map(flagLabel)
    const optional = flags.some((flag) => !flag.required) ? ["[flags]"] : []
    out.push(`  ${[here, ...args.map(argLabel), ...required, ...optional].join(" ")}`)
    if (args.length > 0) {
      out.push("", heading("Arguments"))
      table(args.map((arg) => [argLabel(arg), arg.description]))
    }
    if (flags.length > 0) {
      out.push("", heading("Flags"))
      table(flags.map((flag) => [
        flagLabel(flag),
        [
          flag.description,
          flag.required ? "Required." : undefined,
          flag.repeated ? "Repeat it for several." : undefined,
          flag.fallback === undefined ? undefined : `Default: ${flag.fallback}.`
        ].filter((part) => part !== undefined).join(" ")
      ]))
    }
    if (node.examples !== undefined && node.examples.length > 0) {
      out.push("", heading("Examples"))
      for (const line of node.examples) out.push(`  ${program} ${line}`)
    }
  }
  return `${out.join("\n")}\n`
}
