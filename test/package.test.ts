/**
 * The package as users get it: `npm pack`, then `npm install <the tarball>` and nothing else in a throwaway
 * project outside this repository (so that nothing resolves from our own node_modules). There, the
 * `openai-webhooks` command runs, the library imports with plain `node` (no tsx), and a consumer
 * type-checks with `tsc`.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { WebhookEvent, Webhooks, WebhookSecret, WebhookTesting } from "../src/index.js"
import { freePort, killGroups, linesOf, type Run, root, runToEnd } from "./support/process.js"

const run = promisify(execFile)
let project = ""

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

const consumer = `
import { Effect, Layer, Match } from "effect"
import { Webhooks, WebhookEvent, WebhookSecret, WebhookTesting } from "effect-openai-webhooks"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

const route = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tag("response.completed", (event) => \`response \${event.data.id}\`),
  Match.tagStartsWith("batch.", (event) => \`batch \${event.data.id}\`),
  Match.orElse((event) => \`other \${event._tag}\`)
)

const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
const program = Webhooks.unwrap(signed.body, signed.headers).pipe(Effect.map(route))
const SecretLive: Layer.Layer<WebhookSecret.WebhookSecret, unknown> = WebhookSecret.layer(secret)
const out: string = await Effect.runPromise(Effect.provide(program, SecretLive))
console.log(out)
`

// A failed test must not leave a receiver behind.
afterEach(killGroups)

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-pack-"))
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: root })
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }]
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  // The one command a user runs: npm (>= 7) adds the non-optional peers itself.
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(project, filename)], {
    cwd: project
  })
}, 240_000)

afterAll(async () => {
  if (project !== "") await rm(project, { recursive: true, force: true })
})

/** Our environment without the receiver's variables (CI exports DATABASE_URL), and without colours. */
const cleanEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  for (const name of ["OPENAI_WEBHOOK_SECRET", "DATABASE_URL", "PORT", "HOST", "WEBHOOK_PATH", "WEBHOOK_MODE"]) {
    delete env[name]
  }
  delete env["LOG_LEVEL"]
  return { ...env, ...extra }
}

/** `npx openai-webhooks ...args` in the consumer project, to its end. */
const npx = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  runToEnd(["npx", "--no-install", "openai-webhooks", ...args], cleanEnv(env), project)

/** Exit `code`, and on stderr exactly these `error:` and `hint:` lines: no stack trace. */
const assertFailed = (result: Run, code: 1 | 2, error: RegExp, hint: RegExp) => {
  assert.strictEqual(result.code, code, result.stdout + result.stderr)
  const lines = linesOf(result.stderr)
  assert.strictEqual(lines.length, 2, result.stderr)
  assert.match(lines[0]!, error)
  assert.match(lines[1]!, hint)
}

describe("the packed package, installed alone", () => {
  it("brings its non-optional peers (the CLI's included) and neither SQL driver", () => {
    const installed = (name: string) => existsSync(join(project, "node_modules", name, "package.json"))
    for (const name of ["effect", "@effect/platform", "@effect/sql", "@effect/cli", "@effect/platform-node"]) {
      assert.isTrue(installed(name), `${name} is not installed`)
    }
    for (const name of ["@effect/sql-sqlite-node", "better-sqlite3", "@effect/sql-pg", "pg"]) {
      assert.isFalse(installed(name), `${name} is installed`)
    }
  })

  it("runs openai-webhooks --help, naming every command", async () => {
    const result = await npx(["--help"])
    assert.strictEqual(result.code, 0, result.stderr)
    for (const command of ["serve", "send", "verify", "secret", "events", "endpoints", "event-types"]) {
      assert.include(result.stdout, command)
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
    await writeFile(join(project, "body.json"), delivery.body)
    await writeFile(join(project, "headers.json"), JSON.stringify(delivery.headers))
    const result = await npx(["verify", "--body", "body.json", "--headers", "headers.json", "--secret", secret])
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.strictEqual(linesOf(result.stdout).at(-1), "verified")
  })

  it("says which package serve needs for its SQLite default, and exits 2, before any development secret", async () => {
    // No secret: the driver is looked for before the development secret's banner would be printed.
    const result = await npx(["serve", "--port", String(await freePort())])
    assertFailed(
      result,
      2,
      new RegExp(
        "^error: the inbox's database is the SQLite file \\.data/openai-webhooks\\.sqlite, " +
          "and its driver @effect/sql-sqlite-node is not installed$"
      ),
      /^hint: npm install @effect\/sql-sqlite-node$/
    )
  })

  it("says which package serve needs for PostgreSQL, and exits 2", async () => {
    const result = await npx(["serve", "--database", "postgres://webhooks:pw_Zq81hidden@127.0.0.1:5432/webhooks"], {
      OPENAI_WEBHOOK_SECRET: secret
    })
    assertFailed(result, 2, /driver @effect\/sql-pg is not installed$/, /^hint: npm install @effect\/sql-pg$/)
    assert.notInclude(result.stdout + result.stderr, "pw_Zq81hidden")
  })

  it("ships the receiver, which says the same as serve when its driver is missing", async () => {
    const result = await runToEnd(
      ["node", "node_modules/effect-openai-webhooks/dist/bin/receiver.js"],
      cleanEnv({ OPENAI_WEBHOOK_SECRET: secret, PORT: String(await freePort()) }),
      project
    )
    assertFailed(
      result,
      2,
      /driver @effect\/sql-sqlite-node is not installed$/,
      /^hint: npm install @effect\/sql-sqlite-node$/
    )
  })

  it("type-checks a strict NodeNext consumer, whose output runs with plain node", async () => {
    await writeFile(join(project, "consumer.ts"), consumer)
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          outDir: "out",
          // The compiler and Node's types are tools, not the package's dependencies: ours, not installed there.
          typeRoots: [join(root, "node_modules", "@types")],
          types: ["node"]
        },
        files: ["consumer.ts"]
      })
    )
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
    const typecheck = await run("node", [tsc, "-p", "tsconfig.json"], { cwd: project }).then(
      () => "ok",
      (error: { stdout: string }) => error.stdout
    )
    assert.strictEqual(typecheck, "ok")
    const { stdout } = await run("node", ["out/consumer.js"], { cwd: project })
    assert.strictEqual(stdout.trim(), "response resp_abc123")
  }, 120_000) // a whole tsc run over the package's declarations: about 30 s on a loaded 2-core machine

  it("keeps internal modules private", async () => {
    const script = `import("effect-openai-webhooks/internal/signature.js").then(() => console.log("reachable"), (e) => console.log(e.code))`
    const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: project })
    assert.strictEqual(stdout.trim(), "ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})

describe("the packed files", () => {
  it("are compiled JavaScript, declarations and source maps, the two applications, and no tests", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json"], { cwd: root })
    const [{ files }] = JSON.parse(stdout) as [{ files: Array<{ path: string }> }]
    const paths = files.map((file) => file.path)
    for (
      const path of [
        "dist/index.js",
        "dist/index.d.ts",
        "dist/index.js.map",
        "dist/Webhooks.d.ts",
        "dist/bin/cli.js",
        "dist/bin/receiver.js",
        "dist/bin/receiver/database.js",
        // The inspector's page, found next to the compiled receiver (copied there by the build).
        "dist/bin/receiver/inspector/index.html",
        "dist/bin/receiver/inspector/app.js",
        "dist/bin/receiver/inspector/style.css",
        "package.json"
      ]
    ) {
      assert.include(paths, path)
    }
    assert.isFalse(paths.some((path) => path.startsWith("test/") || path.startsWith("bench/")))
  })
})
