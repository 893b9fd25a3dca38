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
import { assertExplained, build, killGroups, PATIENCE, type Run, runToEnd } from "../../../test/support/process.js"
import * as Args from "../src/cli/args.js"
import { root } from "../src/cli/commands.js"
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

const mistakeOf = (argv: ReadonlyArray<string>) => {
  const parsed = Args.parse(root, argv, "openai-webhooks")
  assert.strictEqual(parsed._tag, "Mistake", `${argv.join(" ")} parsed as ${parsed._tag}`)
  return (parsed as Extract<Args.Parsed, { _tag: "Mistake" }>).mistake
}

describe("the parser's mistakes: each names the flag or the command, and says what to type", () => {
  const table: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp, RegExp]> = [
    [["send", "response.completed", "--url"], /^--url needs a value/, /^e\.g\. --url http:\/\//],
    [["send", "--url", "--count", "3"], /^--url needs a value/, /--url/],
    [["send", "--urll", "x"], /^unknown flag --urll for openai-webhooks send; did you mean --url\?$/, /send --help/],
    [["send", "--cout", "3"], /did you mean --count\?$/, /send --help/],
    [["send", "--count", "abc"], /^--count takes a whole number, not "abc"$/, /--count 10/],
    [["send", "--count", "1e3"], /^--count takes a whole number, not "1e3"$/, /--count/],
    [["send", "--all=yes"], /^--all is a switch and takes no value$/, /--all alone/],
    [["send", "--url", "a", "--url", "b"], /^--url is given twice$/, /give it once/],
    [["inbox", "list", "--status", "bogus"], /^--status is one of .*dead, not "bogus"$/, /--status/],
    [["inbox", "list", "--status", "faild"], /; did you mean failed\?$/, /--status/],
    [["inbox", "list", "--limit", "ten"], /^--limit takes a whole number/, /--limit 10/],
    [["inbox", "--database", "X", "list"], /^--database goes after the command it belongs to/, /inbox list --database/],
    [["inbox", "lsit"], /^unknown command "lsit" for openai-webhooks inbox; did you mean list\?$/, /list, show/],
    [["inbox"], /^openai-webhooks inbox needs a command: list, show/, /inbox --help/],
    [["inbox", "recover"], /^--since is required$/, /--since 2h/],
    [["inbox", "show"], /^<webhook-id> is required$/, /inbox show --help/],
    [["sned"], /^unknown command "sned" for openai-webhooks; did you mean send\?$/, /the commands: serve, send/],
    [["secret", "--json"], /^unknown flag --json for openai-webhooks secret$/, /takes no flags/],
    [["secret", "extra"], /^openai-webhooks secret takes no arguments, but got "extra"$/, /secret --help/],
    [["send", "a", "b"], /^one argument too many: "b"$/, /send --help/],
    [["endpoints", "create", "--url", "https://x"], /^--name is required$/, /--name production/]
  ]
  for (const [argv, message, hint] of table) {
    it(argv.join(" "), () => {
      const mistake = mistakeOf(argv)
      assert.match(mistake.message, message)
      assert.match(mistake.hint, hint)
    })
  }

  it("parses what is right: flags in either form, a repeated flag, arguments, defaults", () => {
    const parsed = Args.parse(
      root,
      ["inbox", "list", "--status=failed", "--status", "dead", "--limit", "5", "--json"],
      "openai-webhooks"
    )
    assert.strictEqual(parsed._tag, "Run")
    if (parsed._tag !== "Run") return
    assert.deepStrictEqual(parsed.path, ["inbox", "list"])
    assert.deepInclude(parsed.input, { status: ["failed", "dead"], limit: 5, json: true, type: undefined })
    const send = Args.parse(root, ["send", "batch.completed", "--count", "-1"], "openai-webhooks")
    assert.strictEqual(send._tag, "Run")
    if (send._tag === "Run") {
      assert.deepInclude(send.input, {
        type: "batch.completed",
        count: -1,
        all: false,
        url: "http://127.0.0.1:8787/webhooks/openai"
      })
    }
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
    [["send", "--urll", "http://x"], /did you mean --url\?/, /send --help/],
    [["inbox", "list", "--status", "bogus"], /--status is one of/, /--status/],
    [["inbox", "--database", "X", "list"], /--database goes after/, /inbox list --database/],
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
    assert.match(send.stdout, /^ {2}openai-webhooks send \[<event-type>\] \[flags\]$/m)
    assert.match(send.stdout, /^ {2}--url <url> +The receiver's URL/m)
  })

  it("puts a command's required flags in its usage line", () => {
    const create = Args.parse(root, ["endpoints", "create", "--help"], "openai-webhooks")
    assert.strictEqual(create._tag, "Help")
    if (create._tag !== "Help") return
    const text = Args.help(create.node, create.path, "openai-webhooks", { colour: false, width: 100 })
    assert.match(text, /^ {2}openai-webhooks endpoints create --url <url> --name <name> --events <types> \[flags\]$/m)
  })

  it("colours headings on a terminal only, and never with NO_COLOR or TERM=dumb", () => {
    assert.isTrue(Args.colours({ isTTY: true }, {}))
    assert.isFalse(Args.colours({ isTTY: false }, {}))
    assert.isFalse(Args.colours({ isTTY: true }, { NO_COLOR: "1" }))
    assert.isFalse(Args.colours({ isTTY: true }, { TERM: "dumb" }))
    const coloured = Args.help(root, [], "openai-webhooks", { colour: true, width: 100 })
    assert.include(coloured, "\x1b[1mCommands\x1b[0m")
    assert.notInclude(Args.help(root, [], "openai-webhooks", { colour: false, width: 100 }), "\x1b")
  })

  it("describes every flag and argument of every command in words of its own", () => {
    const seen: Array<string> = []
    const walk = (node: Args.Spec | Args.Group, path: ReadonlyArray<string>) => {
      if (node._tag === "Group") {
        for (const child of node.commands) walk(child, [...path, child.name])
        return
      }
      const text = Args.help(node, path, "openai-webhooks", { colour: false, width: 100 })
      for (const flag of Object.values<Args.Flag<unknown>>(node.flags)) {
        assert.isAtLeast(flag.description.length, 12, `${path.join(" ")} --${flag.name}`)
        assert.include(text, `--${flag.name}`)
        seen.push(`${path.join(" ")} --${flag.name}`)
      }
      for (const arg of Object.values<Args.Arg<unknown>>(node.args)) {
        assert.isAtLeast(arg.description.length, 12, `${path.join(" ")} <${arg.name}>`)
      }
      assert.isAtLeast(node.summary.length, 12)
    }
    walk(root, [])
    assert.isAtLeast(seen.length, 30)
  })
})
