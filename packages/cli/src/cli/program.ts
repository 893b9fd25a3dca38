/**
 * The `openai-webhooks` command line (started by `../cli.ts`): run the receiver, send signed test events, explain
 * failed verifications, generate secrets, list event types, read and operate the receiver's inbox, manage endpoints
 * through OpenAI's API.
 *
 * The command line is Effect 4's `effect/cli`: the commands and their flags are `./commands.ts`, each command's
 * module in this folder imported only when it runs, so that each command loads what it needs and nothing more; the
 * help is ours (`./help.ts`). How a command ends and its exit code are decided in `./run.ts`, from the errors of
 * `./errors.ts`:
 *
 * - `UsageError` (`effect/cli`'s mistakes too: `./mistakes.ts`), `Unreachable` and `Refused`: `error:` and `hint:`
 *   lines on stderr; exit 2, 1 and 1.
 * - `CheckFailed`: the command has printed its verdict; exit 1.
 * - anything else is a bug: the whole cause, exit 1.
 */
import { readFileSync } from "node:fs"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Path from "effect/Path"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Stdio from "effect/Stdio"
import { configs, root } from "./commands.js"
import { presenter, type Tree } from "./help.js"
import { explain } from "./mistakes.js"
import { colours } from "./output.js"
import { command } from "./run.js"

const PROGRAM = "openai-webhooks"

/** The version `--version` prints: the package's own, read from its manifest beside dist/ (or src/). */
const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version

const tree: Tree = { program: PROGRAM, version, configs, root }

const cli = Command.runWith(root, { version })

const unused = (service: string) => () => Effect.die(`openai-webhooks gives effect/cli no ${service}`)

/**
 * What `effect/cli` asks of its platform: files (for file flags), paths, a terminal (for `--wizard`'s prompts), a
 * process spawner, standard streams. The terminal is Node's, as it was on Effect 3; the command has no file flags
 * and spawns nothing, and each command's own module brings what it uses, so the rest are the least that satisfy
 * `effect/cli`, and `--help` loads no platform (`@effect/platform-node`'s index loads the whole of it). Path is
 * Effect's own, real.
 */
export const environment = Layer.mergeAll(
  FileSystem.layerNoop({}),
  Path.layer,
  NodeTerminal.layer,
  Layer.succeed(ChildProcessSpawner.ChildProcessSpawner)(ChildProcessSpawner.make(unused("child processes"))),
  Stdio.layerTest({})
)

/**
 * The command line `argv` (what follows the program's name) run to its end: `effect/cli` parses it and runs the
 * command, or prints the help (in colour when `colour`); a mistake in it fails as a `UsageError`, having printed
 * nothing.
 */
export const commandLine = (argv: ReadonlyArray<string>, colour: boolean) =>
  cli(argv).pipe(
    Effect.catchIf(
      (error): error is CliError.ShowHelp => CliError.isCliError(error) && error._tag === "ShowHelp",
      // Without errors, the help of a command that was not given one of its commands (`inbox`): printed, done.
      (help) => help.errors.length === 0 ? Effect.void : Effect.fail(explain(help, PROGRAM, argv))
    ),
    Effect.provide(Layer.merge(environment, CliOutput.layerPresenter(presenter(tree, colour)))),
    // The variables as Effect 3 read them, and the receiver does: a variable set to "" is set (to ""), so that an
    // empty OPENAI_WEBHOOK_SECRET or OPENAI_API_KEY is refused as such, not read as unset.
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ preserveEmptyStrings: true }))
  )

/** Runs `process.argv` and exits as `./run.ts` says. */
export const main = (): void => {
  // `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0)
  })
  command(commandLine(process.argv.slice(2), colours(process.stdout, process.env)))
}
