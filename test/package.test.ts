/**
 * The packages as users get them: `npm pack` of the workspace's four (the engine `openai-webhooks-engine`, the
 * Effect 3 edition `effect-openai-webhooks`, the Effect 4 edition `effect4-openai-webhooks`, the applications
 * `effect-openai-webhooks-cli`), then `npm install` of tarballs and nothing else in throwaway projects outside this
 * repository (so that nothing resolves from our own node_modules; the engine and the editions are not on the registry
 * yet, so their tarballs stand in for it).
 *
 * - The Effect 3 edition alone, in a project that has `effect` 3.22 and `@effect/platform` 0.97: what it adds (none
 *   of the applications' packages), that it imports with plain `node` (no tsx), that a consumer type-checks with `tsc`.
 * - The Effect 4 edition alone, in a project that has what `npm install effect` gives (4.1.5), with no flags: the same.
 * - The command's package alone (on Effect 4): nothing native to build, its commands run, the receiver serves on its
 *   SQLite default (node:sqlite), and the install hint it prints for a missing driver installs as printed.
 *
 * Both Effect 4 projects need the Node.js the applications' and the edition's `engines` admit (22.19: Effect 4's and
 * node:sqlite's floor); on an older one (CI's Node 20) they are skipped, saying so.
 * - The command's package in a project already on Effect 3, as the registry will install it (the edition and the
 *   engine its own dependencies, through `overrides`): the project keeps effect 3, the command nests its effect 4.
 *   Its tarballs named on the command line instead fail with ERESOLVE (they become the project's own dependencies,
 *   and the edition's peer effect 4 meets the project's effect 3): not what a user runs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { WebhookEvent, Webhooks, WebhookSecret, WebhookTesting } from "../src/index.js"
import {
  freePort,
  killGroups,
  linesOf,
  PATIENCE,
  type Run,
  root,
  runToEnd,
  type Spawned,
  spawnGroup,
  within
} from "../packages/engine/test/support/process.js"
import {
  bytes,
  consumerManifest,
  copiesOfEffect,
  filesUnder,
  importInternal,
  installed,
  type Manifest,
  manifestOf,
  npmInstall,
  onThisNode,
  run,
  satisfies,
  topLevel,
  typecheckConsumer,
  versionIn
} from "./support/installed.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

/** The packages of this workspace, by name: their `npm pack --json` entries. */
interface Packed {
  readonly name: string
  readonly filename: string
  readonly files: ReadonlyArray<{ readonly path: string }>
}
let packed: ReadonlyMap<string, Packed> = new Map()
let tarballs = ""
/** The project with only the library (and the engine it depends on), beside effect and @effect/platform. */
let library = ""
/** The project with only the Effect 4 edition (and the engine it depends on), beside effect 4. */
let edition = ""
/** The project with only the command's package (and the edition and engine, which the registry does not have yet). */
let command = ""
/** Bytes under the library project's node_modules before and after installing the library's tarballs. */
let sizes = { before: 0, after: 0 }

const LIBRARY = "effect-openai-webhooks"
const EFFECT4 = "effect4-openai-webhooks"
const ENGINE = "openai-webhooks-engine"
const CLI = "effect-openai-webhooks-cli"

const tarball = (name: string) => join(tarballs, packed.get(name)!.filename)

/** A file no source produces, left in each package's dist/ before packing: the build must remove it. */
const STALE = "dist/StaleLeftover.js"
const packageDirs: Readonly<Record<string, string>> = {
  [LIBRARY]: root,
  [ENGINE]: join(root, "packages", "engine"),
  [EFFECT4]: join(root, "packages", "effect4"),
  [CLI]: join(root, "packages", "cli")
}

const applications = onThisNode(packageDirs[CLI]!)
const effect4 = onThisNode(packageDirs[EFFECT4]!)
const cliManifest = () => manifestOf(join(packageDirs[CLI]!, "package.json"))

beforeAll(async () => {
  tarballs = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-tarballs-"))
  for (const dir of Object.values(packageDirs)) writeFileSync(join(dir, STALE), "export const stale = true\n")
  // The root's `prepare` builds all four; the command's `prepack` turns any `file:` dependency into a version.
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--workspaces", "--include-workspace-root", "--pack-destination", tarballs],
    { cwd: root }
  )
  packed = new Map((JSON.parse(stdout) as Array<Packed>).map((entry) => [entry.name, entry]))

  // The library alone: a project on Effect 3 first, then the library's tarballs (npm adds its required peers).
  library = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-library-"))
  await writeFile(join(library, "package.json"), consumerManifest())
  await npmInstall(library, ["effect@3.22", "@effect/platform@0.97"])
  sizes = { before: bytes(join(library, "node_modules")), after: 0 }
  await npmInstall(library, [tarball(ENGINE), tarball(LIBRARY)])
  sizes = { ...sizes, after: bytes(join(library, "node_modules")) }
}, 480_000)

afterAll(async () => {
  for (const path of [tarballs, library, edition, command]) {
    if (path !== "") await rm(path, { recursive: true, force: true })
  }
})

// A failed test must not leave a receiver behind.
afterEach(killGroups)

/** Our environment without the receiver's variables (CI exports DATABASE_URL), and without colours. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  for (const name of ["OPENAI_WEBHOOK_SECRET", "DATABASE_URL", "PORT", "HOST", "WEBHOOK_PATH", "WEBHOOK_MODE"]) {
    delete env[name]
  }
  delete env["LOG_LEVEL"]
  return { ...env, ...extra }
}

/** `npx openai-webhooks ...args` in the command's project, to its end. */
const npx = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  runToEnd(["npx", "--no-install", "openai-webhooks", ...args], cleanEnv(env), command)

/** Waits for a receiver's "listening on" line; rejects with its output when it exits before. */
const listening = (spawned: Spawned, url: string) =>
  Promise.race([
    spawned.stdout.waitForLine({ message: `listening on ${url}` }),
    spawned.exit.then(({ code, signal }) => {
      throw new Error(`exited (${code ?? signal}) before listening:\n${spawned.stdout.text}${spawned.stderr.text}`)
    })
  ])

/** Exit `code`, and on stderr exactly these `error:` and `hint:` lines: no stack trace. */
const assertFailed = (result: Run, code: 1 | 2, error: RegExp, hint: RegExp) => {
  assert.strictEqual(result.code, code, result.stdout + result.stderr)
  const lines = linesOf(result.stderr)
  assert.strictEqual(lines.length, 2, result.stderr)
  assert.match(lines[0]!, error)
  assert.match(lines[1]!, hint)
}

/** The applications' packages, and what they bring: none of it is either edition's to install. */
const APPLICATIONS = [
  "@effect/cli",
  "@effect/platform-node",
  "@effect/platform-node-shared",
  "@effect/cluster",
  "@effect/workflow",
  "@parcel/watcher",
  "prom-client",
  "leven",
  "@effect/sql-sqlite-node",
  "better-sqlite3",
  "@effect/sql-pg",
  "pg",
  CLI
]

describe("the library's tarballs, installed alone beside effect 3.22 and @effect/platform 0.97", () => {
  it("bring none of the applications' packages, and add at most 3 MB", () => {
    for (const name of [LIBRARY, ENGINE, "effect", "@effect/platform"]) {
      assert.isTrue(installed(library, name), `${name} is not installed`)
    }
    for (const name of APPLICATIONS) assert.isFalse(installed(library, name), `${name} is installed`)
    assert.match(manifestOf(join(library, "node_modules", "effect", "package.json")).version, /^3\.22\./)
    const added = sizes.after - sizes.before
    assert.isAtMost(added, 3_000_000, `the library's tarballs added ${added} bytes`)
  })

  it("import Webhooks, WebhookHttp and WebhookInbox with plain node", async () => {
    const script = `import { Webhooks, WebhookHttp, WebhookInbox } from "effect-openai-webhooks"
console.log(typeof Webhooks.unwrap, typeof WebhookHttp.makeNodeListener, typeof WebhookInbox.layerSql)`
    const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: library })
    assert.strictEqual(stdout.trim(), "function function function")
  })

  it("read the inspector's page from the engine's installed files, where both editions serve it from", async () => {
    const script = `import { Inspector } from "openai-webhooks-engine"
const page = Inspector.loadPage("/ops/inbox")
if (!page.ok) throw new Error(page.error)
console.log([...page.value.keys()].join(","), page.value.get("").body.includes("/ops/inbox/app.js"))`
    const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: library })
    assert.strictEqual(stdout.trim(), ",/app.js,/style.css true")
  })

  it("type-check a strict NodeNext consumer, whose output runs with plain node", async () => {
    assert.strictEqual(await typecheckConsumer(library, LIBRARY, secret), "response resp_abc123")
  }, 120_000) // a whole tsc run over the package's declarations: about 30 s on a loaded 2-core machine

  it("keep internal modules private", async () => {
    assert.strictEqual(await importInternal(library, LIBRARY), "ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})

describe.skipIf(effect4.skip)(
  `the Effect 4 edition's tarballs, installed alone beside effect 4.1.5${effect4.skipped}`,
  () => {
    beforeAll(async () => {
      // What a newcomer on Effect 4 does: `npm install effect` (4.1.5 today), then the edition's install line, with
      // no flags (a peer range that refuses the project's effect is an ERESOLVE here).
      edition = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-effect4-"))
      await writeFile(join(edition, "package.json"), consumerManifest())
      await npmInstall(edition, ["effect@4.1.5"])
      await npmInstall(edition, [tarball(ENGINE), tarball(EFFECT4)])
    }, 480_000)

    it("bring the engine and nothing else: none of the applications' packages, not the Effect 3 edition", () => {
      assert.deepStrictEqual(topLevel(edition), ["effect", EFFECT4, ENGINE].sort())
      assert.strictEqual(versionIn(edition, "effect"), "4.1.5")
      for (const name of [...APPLICATIONS, LIBRARY]) assert.isFalse(installed(edition, name), `${name} is installed`)
      // One effect: the edition's peer is the project's.
      assert.deepStrictEqual(copiesOfEffect(edition), ["node_modules/effect/package.json"])
    })

    it("import Webhooks, WebhookHttp and WebhookInbox with plain node", async () => {
      const script = `import { Webhooks, WebhookHttp, WebhookInbox } from "${EFFECT4}"
console.log(typeof Webhooks.unwrap, typeof WebhookHttp.makeNodeListener, typeof WebhookInbox.layerSql)`
      const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: edition })
      assert.strictEqual(stdout.trim(), "function function function")
    })

    it("answer through toWebHandler's fetch handler: a signed delivery 200, a forged one 401, a GET 405", async () => {
      await writeFile(
        join(edition, "fetch.mjs"),
        `import { Effect } from "effect"
import { WebhookHttp, WebhookSecret, WebhookTesting } from "${EFFECT4}"

const secret = "${secret}"
const handled = []
const { handler, dispose } = WebhookHttp.toWebHandler({
  handle: (event) => Effect.sync(() => handled.push(event._tag)),
  layer: WebhookSecret.layer(secret)
})
const url = "http://localhost" + WebhookHttp.defaultPath
const post = ({ body, headers }) => handler(new Request(url, { method: "POST", body, headers }))
const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
const forged = { ...signed, body: signed.body.replace("resp_abc123", "resp_forged") }
const answers = [await post(signed), await post(forged), await handler(new Request(url))]
await dispose()
console.log(answers.map((answer) => answer.status).join(" "), handled.join(","))
`
      )
      const { stdout } = await run("node", ["fetch.mjs"], { cwd: edition })
      // The route's own log lines come first; the script's line is the last.
      assert.strictEqual(stdout.trim().split("\n").at(-1), "200 401 405 response.completed")
    })

    it("type-check a strict NodeNext consumer, whose output runs with plain node", async () => {
      assert.strictEqual(await typecheckConsumer(edition, EFFECT4, secret), "response resp_abc123")
    }, 120_000)

    it("keep internal modules private", async () => {
      assert.strictEqual(await importInternal(edition, EFFECT4), "ERR_PACKAGE_PATH_NOT_EXPORTED")
    })
  }
)

describe.skipIf(applications.skip)(`the command's tarball, installed alone${applications.skipped}`, () => {
  beforeAll(async () => {
    // The command alone, with no flags, into an empty project: its Effect 4 edition and the engine from their
    // tarballs (the registry does not have them yet), everything else from the registry.
    command = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-command-"))
    await writeFile(join(command, "package.json"), consumerManifest())
    await npmInstall(command, [tarball(ENGINE), tarball(EFFECT4), tarball(CLI)])
  }, 480_000)

  it("brings what it runs, on Effect 4: its edition, @effect/platform-node, both drivers, prom-client, leven", () => {
    const manifest = cliManifest()
    const dependencies = Object.entries(manifest.dependencies!)
    assert.sameMembers(dependencies.map(([name]) => name), [
      "effect",
      EFFECT4,
      ENGINE,
      "@effect/platform-node",
      "@effect/sql-sqlite-node",
      "@effect/sql-pg",
      "prom-client",
      "leven"
    ])
    for (const [name, range] of dependencies) {
      assert.isTrue(installed(command, name), `${name} is not installed`)
      const version = versionIn(command, name)
      assert.isTrue(satisfies(version, range), `${name}@${version} is not ${range}`)
    }
    for (const name of ["effect", "@effect/platform-node", "@effect/sql-sqlite-node", "@effect/sql-pg"]) {
      assert.match(versionIn(command, name), /^4\./, name)
    }
    // Nothing of Effect 3: not its edition, not the packages the applications ran on there.
    for (const name of [LIBRARY, "@effect/cli", "@effect/platform", "@effect/sql", "better-sqlite3"]) {
      assert.isFalse(installed(command, name), `${name} is installed`)
    }
    // One effect, which the edition and the drivers share.
    assert.deepStrictEqual(copiesOfEffect(command), ["node_modules/effect/package.json"])
  })

  it("builds nothing native: no install script, no addon, no binding.gyp (SQLite is node:sqlite)", () => {
    // npm marks each package with an install script (or a binding.gyp, which npm builds) in the lock it writes.
    const lock = JSON.parse(readFileSync(join(command, "package-lock.json"), "utf8")) as {
      readonly packages: Readonly<Record<string, { readonly hasInstallScript?: boolean; readonly gypfile?: boolean }>>
    }
    assert.isAbove(Object.keys(lock.packages).length, 10)
    const building = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript || entry.gypfile)
    assert.deepStrictEqual(building.map(([path]) => path), [])
    assert.deepStrictEqual(
      filesUnder(join(command, "node_modules"), (name) => name === "binding.gyp" || name.endsWith(".node")),
      []
    )
  })

  it("runs openai-webhooks --help, naming every command", async () => {
    const result = await npx(["--help"])
    assert.strictEqual(result.code, 0, result.stderr)
    for (const name of ["serve", "send", "verify", "secret", "events", "inbox", "endpoints", "event-types"]) {
      assert.include(result.stdout, name)
    }
  })

  it("runs openai-webhooks secret", async () => {
    const result = await npx(["secret"])
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /^whsec_[A-Za-z0-9+/]{43}=\n$/)
  })

  it("runs openai-webhooks events, one line per event type", async () => {
    const result = await npx(["events"])
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(
      linesOf(result.stdout).map((line) => line.split(" ")[0]),
      [...WebhookEvent.EventType.literals]
    )
  })

  it("runs openai-webhooks send, whose delivery the library verifies", async () => {
    const received: Array<{ body: string; headers: http.IncomingHttpHeaders }> = []
    const server = http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: request.headers })
        response.writeHead(200, { "content-type": "application/json" }).end("{\"received\":true}")
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/openai`
      const result = await npx(["send", "batch.completed", "--url", url], { OPENAI_WEBHOOK_SECRET: secret })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stdout, /^200 batch\.completed msg_[0-9a-f]{32} \{"received":true\}\n$/)
      assert.strictEqual(received.length, 1)
      const event = await Effect.runPromise(
        Webhooks.unwrap(received[0]!.body, received[0]!.headers).pipe(Effect.provide(WebhookSecret.layer(secret)))
      )
      assert.strictEqual(event._tag, "batch.completed")
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it("runs openai-webhooks send to a receiver that is not running: unreachable, exit 1", async () => {
    const url = `http://127.0.0.1:${await freePort()}/webhooks/openai`
    const result = await npx(["send", "batch.completed", "--url", url, "--secret", secret])
    assertFailed(result, 1, /^error: could not reach .*ECONNREFUSED/, /^hint: is the receiver running\?/)
    assert.strictEqual(result.stdout, "")
  })

  it("runs openai-webhooks verify on a captured delivery", async () => {
    const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("video.completed"), secret })
    await writeFile(join(command, "body.json"), delivery.body)
    await writeFile(join(command, "headers.json"), JSON.stringify(delivery.headers))
    const result = await npx(["verify", "--body", "body.json", "--headers", "headers.json", "--secret", secret])
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.strictEqual(linesOf(result.stdout).at(-1), "verified")
  })

  it("runs openai-webhooks serve on its SQLite default, which takes what send signs; inbox list shows it", async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/webhooks/openai`
    const serve = spawnGroup(
      ["npx", "--no-install", "openai-webhooks", "serve", "--port", String(port)],
      cleanEnv({ OPENAI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1" }),
      command
    )
    await listening(serve, url)
    const sent = await npx(["send", "response.completed", "--url", url], { OPENAI_WEBHOOK_SECRET: secret })
    assert.strictEqual(sent.code, 0, sent.stdout + sent.stderr)
    const id = /^200 response\.completed (msg_[0-9a-f]{32}) /.exec(sent.stdout)?.[1]
    assert.isDefined(id, sent.stdout)
    await serve.stdout.waitForLine({ message: "processed", webhook_id: id! })

    // The receiver's own database, as the command finds it in the folder the receiver runs in.
    const listed = await npx(["inbox", "list", "--json"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    const { deliveries } = JSON.parse(listed.stdout) as { deliveries: Array<{ webhookId: string; status: string }> }
    assert.deepInclude(deliveries.map(({ status, webhookId }) => ({ webhookId, status })), {
      webhookId: id!,
      status: "done"
    })

    // SIGTERM to npx's process group, as Ctrl-C: the receiver stops gracefully, and every process that held the pipe
    // (npm's too, which dies of the signal) has exited.
    process.kill(-serve.child.pid!, "SIGTERM")
    await serve.stdout.waitForLine({ message: "stopped" })
    await within(serve.stdout.ended, "serve to exit")
  }, 2 * PATIENCE)

  it("ships the receiver npm start runs, which starts on an in-memory inbox", async () => {
    const port = await freePort()
    const receiver = spawnGroup(
      ["node", join("node_modules", CLI, "dist", "receiver.js")],
      cleanEnv({ OPENAI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: "memory" }),
      command
    )
    await listening(receiver, `http://127.0.0.1:${port}/webhooks/openai`)
    process.kill(-receiver.child.pid!, "SIGTERM")
    assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
  })

  it("says which driver to install when one is missing, and that hint installs it as printed", async () => {
    // An installation without @effect/sql-pg (a dependency of the command): what npm would have left after a failure.
    rmSync(join(command, "node_modules", "@effect", "sql-pg"), { recursive: true, force: true })
    const database = `postgres://webhooks:pw_Zq81hidden@127.0.0.1:${await freePort()}/webhooks`
    const missing = await npx(["serve", "--database", database], { OPENAI_WEBHOOK_SECRET: secret })
    // The range the command depends on (an Effect 4 one), as its manifest says it.
    const range = cliManifest().dependencies!["@effect/sql-pg"]!
    assert.match(range, /^[~^]?4\./)
    assertFailed(
      missing,
      2,
      new RegExp(
        "^error: the inbox's database is PostgreSQL 127\\.0\\.0\\.1:\\d+/webhooks, " +
          "and its driver @effect/sql-pg is not installed$"
      ),
      new RegExp(`^hint: npm install @effect/sql-pg@${range.replace(/[.^~]/g, "\\$&")}$`)
    )
    assert.notInclude(missing.stdout + missing.stderr, "pw_Zq81hidden")

    // The hint, run exactly as printed (the range keeps the driver on the command's effect 4.1: the registry's latest
    // driver may want a later effect, an ERESOLVE).
    const hint = linesOf(missing.stderr)[1]!.slice("hint: ".length).split(" ")
    const installing = await runToEnd(
      hint,
      { ...process.env, npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false" },
      command
    )
    assert.strictEqual(installing.code, 0, installing.stdout + installing.stderr)
    assert.isTrue(satisfies(versionIn(command, "@effect/sql-pg"), range), versionIn(command, "@effect/sql-pg"))
    // Still the one effect the command depends on.
    assert.isTrue(satisfies(versionIn(command, "effect"), cliManifest().dependencies!["effect"]!))

    // The driver loads now: what is left is the server, which does not answer.
    const unreachable = await npx(["serve", "--database", database], { OPENAI_WEBHOOK_SECRET: secret })
    assertFailed(unreachable, 1, /^error: cannot open PostgreSQL 127\.0\.0\.1:\d+\/webhooks: .*ECONNREFUSED/, /server/)
    assert.notInclude(unreachable.stdout + unreachable.stderr, "pw_Zq81hidden")
  }, 2 * PATIENCE)
})

describe.skipIf(applications.skip)(`the command's tarball in a project on Effect 3${applications.skipped}`, () => {
  let project = ""
  beforeAll(async () => {
    // As from the registry: the edition and the engine are the command's dependencies, not the project's. (Tarballs
    // named on the command line become the project's own, and the edition's peer, effect 4, then meets the project's
    // effect 3: ERESOLVE.) `overrides` points those two dependencies of the command at their tarballs.
    project = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-command3-"))
    await writeFile(
      join(project, "package.json"),
      consumerManifest({ overrides: { [EFFECT4]: `file:${tarball(EFFECT4)}`, [ENGINE]: `file:${tarball(ENGINE)}` } })
    )
    await npmInstall(project, ["effect@3.22", "@effect/platform@0.97"])
    await npmInstall(project, [tarball(CLI)])
  }, 480_000)

  afterAll(() => rm(project, { recursive: true, force: true }))

  it("installs with no flags: the project keeps its effect 3, the command its own effect 4 and edition", () => {
    assert.match(versionIn(project, "effect"), /^3\.22\./)
    const own = join(project, "node_modules", CLI)
    assert.match(versionIn(own, "effect"), /^4\./)
    assert.isTrue(installed(own, EFFECT4), "the Effect 4 edition beside the command's effect 4")
  })

  it("runs openai-webhooks events there", async () => {
    const result = await runToEnd(["npx", "--no-install", "openai-webhooks", "events"], cleanEnv(), project)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(linesOf(result.stdout).length, WebhookEvent.EventType.literals.length)
  })
})

describe("the packed files", () => {
  const paths = (name: string) => packed.get(name)!.files.map((file) => file.path)

  it("of the library: compiled JavaScript, declarations, source maps and source; no applications, no tests", () => {
    const files = paths(LIBRARY)
    for (
      const path of [
        "dist/index.js",
        "dist/index.d.ts",
        "dist/index.js.map",
        "dist/Webhooks.d.ts",
        "dist/WebhookInspector.js"
      ]
    ) {
      assert.include(files, path)
    }
    assert.include(files, "package.json")
    for (const path of files) {
      assert.notMatch(path, /^(test|bench|packages)\/|^dist\/bin\/|\.tsbuildinfo$/, path)
    }
  })

  it("of the command: the two applications (the inspector's page is the engine's); no declarations, no tests", () => {
    const files = paths(CLI)
    for (
      const path of [
        "dist/cli.js",
        "dist/receiver.js",
        "dist/receiver/database.js",
        "dist/receiver/inspector.js",
        "package.json"
      ]
    ) {
      assert.include(files, path)
    }
    for (const path of files) assert.notMatch(path, /^(src|test|scripts)\/|\.tsbuildinfo$|\.d\.ts$/, path)
  })

  it("of the command: a manifest naming its edition and engine by version; the repository's as it was", async () => {
    const { stdout } = await run("tar", ["-xzOf", tarball(CLI), "package/package.json"])
    const manifest = JSON.parse(stdout) as Manifest
    for (const name of [EFFECT4, ENGINE]) {
      assert.strictEqual(manifest.dependencies?.[name], manifestOf(join(packageDirs[name]!, "package.json")).version)
    }
    assert.notProperty(manifest.dependencies, LIBRARY)
    assert.notInclude(stdout, "file:")
    assert.deepStrictEqual(manifest.bin, { "openai-webhooks": "dist/cli.js" })
    // postpack put the repository's manifest back; it has nothing to rewrite now (no `file:` dependency).
    const repository = cliManifest()
    assert.deepStrictEqual(manifest.dependencies, repository.dependencies)
    assert.isFalse(existsSync(join(root, "packages", "cli", "package.json.repository")))
  })

  it("of the Effect 4 edition: compiled JavaScript, declarations, source maps and source; no tests, no bench", () => {
    const files = paths(EFFECT4)
    for (
      const path of [
        "dist/index.js",
        "dist/index.d.ts",
        "dist/index.js.map",
        "dist/Webhooks.d.ts",
        "dist/WebhookHttp.js",
        "dist/WebhookInspector.js",
        "src/index.ts",
        "package.json"
      ]
    ) {
      assert.include(files, path)
    }
    for (const path of files) {
      assert.notMatch(path, /^(test|bench|examples|scripts)\/|\.tsbuildinfo$|\.test\.ts$/, path)
    }
  })

  it("of the engine: compiled JavaScript and declarations, and the inspector's page both editions serve", () => {
    for (
      const path of [
        "dist/index.js",
        "dist/index.d.ts",
        "package.json",
        "dist/Inspector.js",
        // The inspector's page, found next to the module that reads it (copied there by the build), once.
        "dist/internal/inspector/assets/index.html",
        "dist/internal/inspector/assets/app.js",
        "dist/internal/inspector/assets/style.css"
      ]
    ) {
      assert.include(paths(ENGINE), path)
    }
    for (const name of [LIBRARY, EFFECT4]) assert.notInclude(paths(name).join("\n"), "assets/", name)
  })

  for (const name of [LIBRARY, ENGINE, EFFECT4, CLI]) {
    it(`of ${name}: the LICENSE, the README, and a manifest naming the repository and homepage`, async () => {
      assert.includeMembers(paths(name), ["LICENSE", "README.md", "package.json"])
      const { stdout } = await run("tar", ["-xzOf", tarball(name), "package/package.json"])
      const manifest = JSON.parse(stdout) as { repository?: { url?: string; directory?: string }; homepage?: string }
      const repository = "github.com/effect-openai-webhooks/effect-openai-webhooks"
      assert.include(manifest.repository?.url, repository)
      assert.include(manifest.homepage, repository)
      if (name !== LIBRARY) assert.strictEqual(manifest.repository?.directory, relative(root, packageDirs[name]!))
    })

    it(`of ${name}: no file that no source produces (a stale one left in dist/ before packing is gone)`, () => {
      assert.notInclude(paths(name), STALE)
      assert.isFalse(existsSync(join(packageDirs[name]!, STALE)))
      for (const path of paths(name).filter((file) => file.startsWith("dist/") && /\.(js|d\.ts)$/.test(file))) {
        const source = path.replace(/^dist\//, "src/").replace(/\.(js|d\.ts)$/, ".ts")
        const copied = path.replace(/^dist\//, "src/")
        const dir = packageDirs[name]!
        assert.isTrue(existsSync(join(dir, source)) || existsSync(join(dir, copied)), path)
      }
    })
  }

  it("of the library: the CHANGELOG", () => {
    assert.include(paths(LIBRARY), "CHANGELOG.md")
  })
})
