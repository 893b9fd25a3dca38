/**
 * `openai-webhooks` as a tool people type every day: every mistake in a command line is a usage error (exit 2, an
 * `error:` line naming the flag, a `hint:` line, a "did you mean" where one is near), and `--help` is plain text
 * when piped, with the program's name and a real description of every flag. The parser's table runs in-process;
 * the built command in child processes confirms how each ends.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { pathToFileURL } from "node:url"
import {
  assertExplained,
  build,
  killGroups,
  PATIENCE,
  root,
  type Run,
  runToEnd
} from "../../engine/test/support/process.js"
import * as Command from "effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { inboxCommands, send as sendConfig } from "../src/cli/commands.js"
import { UsageError } from "../src/cli/errors.js"
import { colours } from "../src/cli/output.js"
import { commandLine, environment } from "../src/cli/program.js"
import { CLI } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

beforeAll(build, PATIENCE)
afterEach(killGroups)

/** Runs the built command with a secret, and without NO_COLOR unless `env` sets it. */
const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> => {
  const base: NodeJS.ProcessEnv = { ...process.env, OPENAI_WEBHOOK_SECRET: secret }
  delete base["NO_COLOR"]
  delete base["FORCE_COLOR"]
  return runToEnd(["node", CLI, ...args], { ...base, ...env })
}

/** What is printed on stdout while `effect` runs, through the Console service. */
const capture = <A, E>(effect: Effect.Effect<A, E>) => {
  const lines: Array<string> = []
  const console: Console.Console = {
    ...globalThis.console,
    log: (...args) => void lines.push(args.join(" ")),
    error: (...args) => void lines.push(`stderr: ${args.join(" ")}`)
  }
  return Effect.runPromiseExit(Effect.provideService(effect, Console.Console, console)).then((exit) => ({
    exit,
    out: lines.join("\n")
  }))
}

/** The usage error the command line `argv` fails with, before any command runs. */
const mistakeOf = async (argv: ReadonlyArray<string>) => {
  const { exit, out } = await capture(commandLine(argv, false))
  assert.isTrue(Exit.isFailure(exit), `${argv.join(" ")} succeeded`)
  const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  assert.instanceOf(failure, UsageError, `${argv.join(" ")}: ${String(failure)}`)
  // effect/cli's own printout of the mistake is dropped: the command prints it once, as error: and hint:.
  assert.strictEqual(out, "", argv.join(" "))
  return failure as UsageError
}

describe("the command line's mistakes (effect/cli's): each names the flag or the command, says what to type", () => {
  const table: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp, RegExp]> = [
    [["send", "response.completed", "--url"], /^Expected a value following option: '--url'$/, /send --help$/],
    [["send", "--urll", "x"], /^The flag '--urll' is not recognized\. Did you mean '--url'\?$/, /send --help$/],
    [["send", "--cout", "3"], /Did you mean '--count'\?$/, /send --help/],
    [["send", "--count", "abc"], /^--count takes a whole number, not "abc"$/, /send --help/],
    [["send", "--count", "1e3"], /^--count takes a whole number, not "1e3"$/, /send --help/],
    [["inbox", "list", "--status", "bogus"], /^--status is one of .*dead, not "bogus"$/, /inbox list --help/],
    [["inbox", "list", "--status", "faild"], /; did you mean failed\?$/, /inbox list --help/],
    [["inbox", "list", "--limit", "ten"], /^--limit takes a whole number/, /inbox list --help/],
    [["inbox", "list", "--databse", "x"], /Did you mean '--database'\?$/, /inbox list --help/],
    [
      ["inbox", "--database", "X", "list"],
      /^--database is no command of openai-webhooks inbox: its flags go after the command they belong to/,
      /inbox --help/
    ],
    [
      ["inbox", "lsit"],
      /^"lsit" is no command of openai-webhooks inbox; did you mean list\? \(one of list, show/,
      /inbox --help/
    ],
    [["inbox", "recover"], /^Expected to find option: '--since'$/, /inbox recover --help/],
    [["inbox", "show"], /^Missing argument <webhook-id>$/, /inbox show --help/],
    [
      ["sned"],
      /^"sned" is no command of openai-webhooks; did you mean send\? \(one of serve, send/,
      /openai-webhooks --help/
    ],
    [["secret", "--json"], /^Received unknown argument: '--json'$/, /secret --help/],
    [["secret", "extra"], /^Received unknown argument: 'extra'$/, /secret --help/],
    [["send", "a", "b"], /^Received unknown argument: 'b'$/, /send --help/],
    [["endpoints", "create", "--url", "https://x"], /Expected to find option: '--name'/, /endpoints create --help/]
  ]
  for (const [argv, message, hint] of table) {
    it(argv.join(" "), async () => {
      const mistake = await mistakeOf(argv)
      assert.match(mistake.message, message)
      assert.match(mistake.hint, /^run openai-webhooks/)
      assert.match(mistake.hint, hint)
    })
  }

  it("parses what is right: flags in either form, a repeated flag, arguments, defaults", async () => {
    const parsed = async <C extends Command.Command.Config>(config: C, argv: ReadonlyArray<string>) => {
      let input: unknown
      const command = Command.make("x", config, (given) => Effect.sync(() => void (input = given)))
      const { exit } = await capture(Command.runWith(command, { version: "0" })(argv).pipe(Effect.provide(environment)))
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      return input as Record<string, unknown>
    }
    // effect/cli reads --flag=value for a single flag; a repeated one is written --status failed --status dead.
    const list = await parsed(inboxCommands.list, ["--status", "failed", "--status", "dead", "--limit=5", "--json"])
    assert.deepInclude(list, { status: ["failed", "dead"], limit: 5, json: true, type: undefined })
    const send = await parsed(sendConfig, ["--count", "-1", "batch.completed"])
    assert.deepInclude(send, {
      type: "batch.completed",
      count: -1,
      all: false,
      url: "http://127.0.0.1:8787/webhooks/openai"
    })
  })
})

describe("usage mistakes of the built command: exit 2, error: and hint:, every time", () => {
  const runs: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp, RegExp]> = [
    [
      ["send", "response.completed", "--url", "127.0.0.1:3001/x"],
      /--url "127\.0\.0\.1:3001\/x" is not a URL \(no http/,
      /--url http:\/\/127\.0\.0\.1:3001\/x/
    ],
    [
      ["send", "response.completed", "--url", "localhost:3001/x"],
      /--url localhost:3001\/x: no http:\/\/ or https:\/\//,
      /--url http:\/\/localhost:3001\/x/
    ],
    [["send", "response.completed", "--url", "ftp://example.com/x"], /ftp:\/\/ is not http or https/, /--url takes http/],
    [["send", "response.completed", "--url", "http://127.0.0.1:99999/x"], /port 99999 is out of range/, /--url/],
    [["send", "response.completed", "--id", ""], /^error: --id "": a webhook-id is 1 to 256 printable/, /--id msg_1/],
    [["send", "response.completed", "--id", "a b"], /^error: --id "a b"/, /--id/],
    [["send", "response.completed", "--all"], /--all sends every type: it takes no <event-type>/, /send --all/],
    [["send", "response.completed", "--data", "[1]"], /--data must be a JSON object/, /--data/],
    [["send", "--urll", "http://x"], /Did you mean '--url'\?/, /send --help/],
    [["send", "--url", "--count", "3"], /^error: --url needs a value, not the flag --count$/m, /--url http:\/\//],
    [["send", "response.completed", "--url"], /^error: Expected a value following option: '--url'$/m, /send --help/],
    [["send", "--count", "abc"], /^error: --count takes a whole number, not "abc"$/m, /send --help/],
    [["inbox", "list", "--status", "bogus"], /--status is one of/, /inbox list --help/],
    [["inbox", "--database", "X", "list"], /--database is no command of openai-webhooks inbox/, /inbox --help/],
    [["sned"], /did you mean send\?/, /openai-webhooks --help/],
    [
      ["events", "response.complete"],
      /unknown event type "response\.complete"; did you mean response\.completed\?/,
      /openai-webhooks events/
    ]
  ]
  for (const [argv, error, hint] of runs) {
    it(argv.map((arg) => arg === "" ? "''" : arg).join(" "), async () => {
      assertExplained(await cli(argv), 2, error, hint)
    })
  }

  it("refuses a --secret the receiver would refuse to start with: exit 2, naming the flag", async () => {
    // verify checks its files first: give it real ones.
    const directory = mkdtempSync(join(tmpdir(), "cli-usage-"))
    writeFileSync(join(directory, "body"), "{}")
    writeFileSync(join(directory, "headers"), "webhook-id: msg_1\nwebhook-timestamp: 1\nwebhook-signature: v1,x\n")
    const files = ["--body", join(directory, "body"), "--headers", join(directory, "headers")]
    assertExplained(
      await cli(["verify", ...files, "--secret", "v1,abc"]),
      2,
      /^error: --secret \(LooksLikeSignature\)/,
      /signing secret/
    )
    assertExplained(
      await cli(["verify", ...files], { OPENAI_WEBHOOK_SECRET: "v1,abc" }),
      2,
      /^error: OPENAI_WEBHOOK_SECRET \(LooksLikeSignature\)/,
      /refuse to start/
    )
  })
})

describe("--help", () => {
  it("is plain text when piped, with the program's name in the usage line and no colour codes", async () => {
    for (const argv of [["--help"], ["send", "--help"], ["inbox", "list", "--help"], ["inbox", "--help"], []]) {
      const run = await cli(argv)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.notMatch(run.stdout, /\x1b\[/, argv.join(" "))
      assert.match(run.stdout, /^openai-webhooks/)
      assert.notInclude(run.stdout, "A user-defined piece of text")
    }
    const send = await cli(["send", "--help"])
    assert.match(send.stdout, /^\$ openai-webhooks send \[--all\] \[--url url\] .*\[<event-type>\]$/m)
    assert.match(send.stdout, /^--url url\n\n {2}The receiver's URL/m)
    const list = await cli(["inbox", "list", "--help"])
    assert.match(list.stdout, /^\$ openai-webhooks inbox list \[--database url\]/m)
  })

  it("puts a command's required flags in its usage line", async () => {
    const { exit, out } = await capture(commandLine(["endpoints", "create", "--help"], false))
    assert.isTrue(Exit.isSuccess(exit))
    assert.match(out, /^\$ openai-webhooks endpoints create --url url --name name --events types \[--json\]$/m)
  })

  it("colours on a terminal only, and never with NO_COLOR or TERM=dumb", async () => {
    assert.isTrue(colours({ isTTY: true }, {}))
    assert.isFalse(colours({ isTTY: false }, {}))
    assert.isFalse(colours({ isTTY: true }, { NO_COLOR: "1" }))
    assert.isFalse(colours({ isTTY: true }, { TERM: "dumb" }))
    const coloured = await capture(commandLine(["send", "--help"], true))
    assert.include(coloured.out, "\x1b[")
    const plain = await capture(commandLine(["send", "--help"], false))
    assert.notInclude(plain.out, "\x1b")
    // The colours are around the headings only: the text is the plain help's.
    assert.strictEqual(coloured.out.replace(/\x1b\[[0-9;]*m/g, ""), plain.out)
  })

  it("describes every flag and argument of every command in words of its own", async () => {
    const paths = [
      ["serve"], ["send"], ["verify"], ["secret"], ["events"], ["event-types"],
      ...Object.keys(inboxCommands).map((name) => ["inbox", name]),
      ...["list", "get", "create", "update", "delete", "rotate", "test"].map((name) => ["endpoints", name])
    ]
    let flags = 0
    for (const path of paths) {
      const { out } = await capture(commandLine([...path, "--help"], false))
      assert.notInclude(out, "A user-defined piece of text", path.join(" "))
      assert.notInclude(out, "A true or false value", path.join(" "))
      // Each flag's heading (`--url url`) is followed by a description of its own, not only "This setting is optional".
      for (const match of out.matchAll(/^(--[a-z-]+)[^\n]*\n\n {2}([^\n]*)/gm)) {
        assert.notMatch(match[2]!, /^This (setting|option)/, `${path.join(" ")} ${match[1]}`)
        assert.isAtLeast(match[2]!.length, 12, `${path.join(" ")} ${match[1]}`)
        flags++
      }
    }
    assert.isAtLeast(flags, 30)
  })
})

describe("start-up: each command loads only what it needs", () => {
  it("--help, secret and events load no receiver, library, SQL driver or platform-node index", async () => {
    // Both editions of the library (the root package's dist/, packages/effect4's), whichever a build resolves.
    const libraries = [join(root, "dist"), join(root, "packages/effect4/dist")].map((path) =>
      `${pathToFileURL(path).href}/`
    )
    // A loader hook that writes every module URL the process loads on stderr. Synchronously: on Node 24 the hooks
    // run on a thread of their own, whose process.stderr is flushed through the main thread and lost at exit.
    const directory = mkdtempSync(join(tmpdir(), "cli-loads-"))
    writeFileSync(
      join(directory, "hook.mjs"),
      "import { writeSync } from \"node:fs\"\n" +
        "export async function load(url, context, next) {\n" +
        "  writeSync(2, `loaded ${url}\\n`)\n" +
        "  return next(url, context)\n" +
        "}\n"
    )
    writeFileSync(
      join(directory, "register.mjs"),
      `import { register } from "node:module"\nregister(${JSON.stringify(`file://${join(directory, "hook.mjs")}`)})\n`
    )
    for (const argv of [["--help"], ["secret"], ["events"]]) {
      const run = await runToEnd(["node", "--import", join(directory, "register.mjs"), CLI, ...argv], {
        ...process.env,
        NO_COLOR: "1"
      })
      assert.strictEqual(run.code, 0, run.stderr)
      const loaded = run.stderr.split("\n").filter((line) => line.startsWith("loaded ")).map((line) => line.slice(7))
      assert.isAtLeast(loaded.length, 100, "the hook saw the modules")
      assert.isTrue(loaded.some((url) => url.includes("/effect/dist/cli/")), "effect/cli parses the command line")
      for (const url of loaded) {
        assert.notMatch(url, /\/receiver\/(?!errors\.js$)/, argv.join(" "))
        assert.notMatch(url, /\/@effect\/sql|\/effect\/dist\/sql\/|^node:sqlite$/, argv.join(" "))
        assert.notMatch(url, /\/@effect\/platform-node\/dist\/index\.js$/, argv.join(" "))
        assert.notMatch(url, /\/better-sqlite3\/|\/pg\//, argv.join(" "))
        // The library: only `send --data`, the inbox and endpoints commands load it.
        for (const library of libraries) assert.isFalse(url.startsWith(library), `${argv.join(" ")} loads ${url}`)
      }
    }
  })
})
