/**
 * What @effect/cli prints, as `openai-webhooks` prints it: its help plain unless on a terminal, with the program's
 * name in the usage; its own printout of a mistake dropped, for `./mistakes.ts` to say it once as `error:`/`hint:`.
 */
import { stripVTControlCharacters } from "node:util"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/** Whether to colour: a terminal, and neither NO_COLOR (https://no-color.org) nor TERM=dumb. */
export const colours = (stream: { readonly isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb"

/**
 * @effect/cli's help of an option or argument begins with its kind's own line ("A user-defined piece of text.", "A
 * true or false value.") before our description; the kind is already in the usage (`--url url`, `--all`), so the
 * line says nothing, and "a user-defined piece of text" misleads. Dropped with the blank line after it.
 */
const KIND = /^[ \t]*(?:A user-defined piece of text(?: that is confidential)?|A true or false value)\.[ \t]*$/

/**
 * @effect/cli writes a command's usage as `$ send ...` (without the program, or the group of an `inbox` command):
 * the line, from the command that was typed (`here`, e.g. `openai-webhooks inbox list`).
 */
const usageLine = (line: string, here: string): string => {
  if (!line.startsWith("$ ")) return line
  const words = here.split(" ")
  const rest = line.slice(2)
  for (let i = 0; i < words.length; i++) {
    const tail = words.slice(i).join(" ")
    if (rest === tail || rest.startsWith(`${tail} `)) return `$ ${here}${rest.slice(tail.length)}`
  }
  return line
}

/**
 * The help @effect/cli writes, as printed: the usage with the program's name, without the kinds' lines, without
 * colour unless `colour`.
 */
export const help = (text: string, here: string, colour: boolean): string => {
  const out: Array<string> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = stripVTControlCharacters(lines[i]!)
    if (KIND.test(line)) {
      if (lines[i + 1] !== undefined && stripVTControlCharacters(lines[i + 1]!).trim() === "") i++
      continue
    }
    out.push(colour && !line.startsWith("$ ") ? lines[i]! : usageLine(line, here))
  }
  return out.join("\n")
}

const originals = new WeakMap<Console.Console, Console.Console>()

/**
 * The console @effect/cli runs with: its help written as {@link help} says, its own printout of a mistake dropped
 * (the command prints it once, as `error:`/`hint:`, from the failure). A command's module runs with the console
 * it replaced: see {@link withOwnConsole}.
 */
export const forCli = (console: Console.Console, here: string, colour: boolean): Console.Console => {
  const quiet: Console.Console = {
    ...console,
    log: (...args) => console.log(...args.map((arg) => typeof arg === "string" ? help(arg, here, colour) : arg)),
    error: () => Effect.void
  }
  originals.set(quiet, console)
  return quiet
}

/** Runs a command's own effect with the console {@link forCli} replaced: its errors are printed. */
export const withOwnConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.consoleWith((console) => Effect.withConsole(effect, originals.get(console) ?? console))

/** The text of a `HelpDoc`, plain, on one line. */
export const plain = (doc: HelpDoc.HelpDoc): string =>
  stripVTControlCharacters(HelpDoc.toAnsiText(doc)).trim().replace(/\s*\n\s*/g, "; ")
