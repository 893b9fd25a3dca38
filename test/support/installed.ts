/**
 * Throwaway projects that install our packed tarballs as users would (test/package.test.ts): installing into them,
 * reading what landed in their node_modules, and the consumers both editions are checked with, in the same words.
 */
import { execFile } from "node:child_process"
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs"
import { writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import { promisify } from "node:util"
import { root } from "../../packages/engine/test/support/process.js"

export const run = promisify(execFile)

/** A package.json, with the fields these tests read. */
export interface Manifest {
  readonly version: string
  readonly bin?: Readonly<Record<string, string>>
  readonly dependencies?: Readonly<Record<string, string>>
  readonly engines?: { readonly node?: string }
}

export const manifestOf = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Manifest

const semver = createRequire(import.meta.url)("semver") as {
  satisfies: (version: string, range: string) => boolean
  minVersion: (range: string) => { readonly version: string } | null
}

/** Whether `version` is in `range`, as npm decides it. */
export const satisfies = (version: string, range: string): boolean => semver.satisfies(version, range)

/**
 * Whether this Node.js runs the package in `dir` (its manifest's `engines`: 22.19 for the Effect 4 edition and the
 * applications, Effect 4's floor and node:sqlite's) and, when it does not, the words a skipped title ends with.
 */
export const onThisNode = (dir: string) => {
  const { name, engines } = manifestOf(join(dir, "package.json")) as Manifest & { readonly name: string }
  const range = engines!.node!
  return semver.satisfies(process.version, range)
    ? { skip: false, skipped: "" }
    : {
      skip: true,
      skipped: ` (skipped on Node.js ${process.version}: ${name} needs ${semver.minVersion(range)!.version} or ` +
        "newer, the floor of Effect 4 and of node:sqlite)"
    }
}

/** Bytes of every file under `path` (links not followed). */
export const bytes = (path: string): number => {
  const stat = lstatSync(path)
  if (stat.isSymbolicLink()) return 0
  if (!stat.isDirectory()) return stat.size
  return readdirSync(path).reduce((sum, entry) => sum + bytes(join(path, entry)), 0)
}

/** Every file under `path` whose name `test` accepts (links not followed). */
export const filesUnder = (path: string, test: (name: string) => boolean): ReadonlyArray<string> =>
  lstatSync(path).isDirectory()
    ? readdirSync(path).flatMap((entry) => filesUnder(join(path, entry), test))
    : test(path.slice(path.lastIndexOf("/") + 1))
    ? [path]
    : []

export const npmInstall = (project: string, args: ReadonlyArray<string>) =>
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...args], { cwd: project })

export const consumerManifest = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: "consumer", private: true, type: "module", ...extra })

export const installed = (project: string, name: string) =>
  existsSync(join(project, "node_modules", name, "package.json"))

export const versionIn = (project: string, name: string) =>
  manifestOf(join(project, "node_modules", name, "package.json")).version

/** The project's top-level packages, scoped ones by their full name. */
export const topLevel = (project: string): ReadonlyArray<string> =>
  readdirSync(join(project, "node_modules"))
    .filter((entry) => !entry.startsWith("."))
    .flatMap((entry) =>
      entry.startsWith("@")
        ? readdirSync(join(project, "node_modules", entry)).map((scoped) => `${entry}/${scoped}`)
        : [entry]
    )
    .sort()

/** Where the project's copies of `effect` are: one, at the top, when every package shares the project's. */
export const copiesOfEffect = (project: string): ReadonlyArray<string> =>
  filesUnder(join(project, "node_modules"), (name) => name === "package.json")
    .filter((path) => path.endsWith("/node_modules/effect/package.json"))
    .map((path) => path.slice(project.length + 1))

/**
 * A consumer of `edition` as its README shows it, in the same words on Effect 3 and 4: `Match.tag` narrows, the
 * secret comes from a Layer.
 */
const consumerOf = (edition: string, secret: string) => `
import { Effect, Layer, Match } from "effect"
import { Webhooks, WebhookEvent, WebhookSecret, WebhookTesting } from "${edition}"

const secret = "${secret}"

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

/**
 * Type-checks {@link consumerOf} `edition` in `project` with `tsc`, strict and NodeNext, then runs its output with
 * plain node: what it printed, or the compiler's complaints.
 */
export const typecheckConsumer = async (project: string, edition: string, secret: string): Promise<string> => {
  await writeFile(join(project, "consumer.ts"), consumerOf(edition, secret))
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        // As `tsc --init` writes it: the inbox's declarations name the SQL packages, which a project without an inbox
        // does not install, and that is all a library check would find here.
        skipLibCheck: true,
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
  if (typecheck !== "ok") return typecheck
  const { stdout } = await run("node", ["out/consumer.js"], { cwd: project })
  return stdout.trim()
}

/** What importing one of `edition`'s internal modules in `project` gives: "reachable", or the error's code. */
export const importInternal = async (project: string, edition: string): Promise<string> => {
  const script = `import("${edition}/internal/signature.js")
  .then(() => console.log("reachable"), (error) => console.log(error.code))`
  const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: project })
  return stdout.trim()
}
