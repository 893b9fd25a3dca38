/**
 * The inspector as one function from a request to an answer: the page (`./assets/`: HTML, a vanilla JS module,
 * CSS, shipped in the package and read once when the inspector is made), its JSON API (`./api.ts`), and the token
 * rule when it has a token. Every mounting style of `WebhookInspector` (a route layer, an `HttpApp`, a `node:http`
 * listener) adapts this one function.
 *
 * The token, when given: a request carries it as `Authorization: Bearer <token>` (RFC 6750 2.1) or in the
 * `inspector_token` cookie, which a browser gets by opening `<path>?token=...` once (answered 303 to `<path>`, so
 * that the token leaves the address bar and the history; `HttpOnly`, `SameSite=Strict`, limited to `<path>`).
 * Compared in constant time, as SHA-256 digests (Web Crypto: nothing here imports a `node:` module at load).
 * Without the token: 401, the same bytes on every path. Without a token option, the application's own
 * authentication guards the route.
 *
 * Changes read no body (their parameters are in the address) and, against cross-site requests, need the token in
 * `Authorization` or the header `x-inspector: 1`, which no cross-site form can send.
 */
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Reply } from "openai-webhooks-engine"
import type * as WebhookInbox from "../../WebhookInbox.js"
import { importNode } from "../builtin.js"
import * as Api from "./api.js"
import * as Traffic from "./traffic.js"

/** What the inspector reads of a request, whatever server it came through. */
export interface Request {
  readonly method: string
  /** The request-target as received: the path (the inspector's `path` and below) and the query. */
  readonly url: string
  /** A header's value by lower-case name. */
  readonly header: (name: string) => string | undefined
}

export interface Options {
  /** Where the page is, `/inbox` by default; its files and API below it. No trailing slash. */
  readonly path: string
  readonly token: Redacted.Redacted<string> | undefined
}

/** The cookie a browser carries the token in, limited to the inspector's path. */
const COOKIE = "inspector_token"

/**
 * The page's own files only: no inline script or style, no other origin. A body holding `<script>` is shown with
 * `textContent` and could not run even if it were inserted as HTML.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** What the page's paths answer when its files are not where the package puts them (a broken install). */
const NOT_INSTALLED = Api.error(
  500,
  "NotInstalled",
  "The inspector's page is missing from this installation: reinstall it"
)

/**
 * A request without the token, on any path: 401 and nothing else. `WWW-Authenticate` as RFC 9110 11.6.1 asks of
 * a 401; `no-store`, so that no cache keeps even the refusal.
 */
export const UNAUTHORIZED: Reply.Answer = Reply.jsonAnswer(401, { error: { type: "Unauthorized" } }, {
  "www-authenticate": "Bearer",
  "cache-control": "no-store"
})

/** The page's files, and what they are. `index.html` names its files and API by `__BASE__`, the path. */
const ASSETS: ReadonlyArray<readonly [file: string, type: string]> = [
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"]
]

const encoder = new TextEncoder()

/** The page's files by path below the inspector's, or, when one cannot be read, a line saying so and none. */
const loadAssets = (base: string): Effect.Effect<ReadonlyMap<string, Reply.Answer> | undefined> =>
  Effect.tryPromise(async () => {
    // Imported here, and by a name no bundler resolves ahead: the library's index loads this module on runtimes
    // without `node:fs` (Workers, edge routes), where only making an inspector needs it.
    const { readFile } = await importNode<typeof import("node:fs/promises")>("node:fs/promises")
    const assets = new Map<string, Reply.Answer>()
    for (const [file, type] of ASSETS) {
      const text = await readFile(new URL(`./assets/${file}`, import.meta.url), "utf8")
      const body = file === "index.html" ? text.replaceAll("__BASE__", base) : text
      const headers = {
        ...Api.HEADERS,
        "content-type": type,
        "content-length": String(encoder.encode(body).byteLength),
        ...(file === "index.html" ? { "content-security-policy": CSP } : {})
      }
      assets.set(file === "index.html" ? "" : `/${file}`, { status: 200, body, headers })
    }
    return assets as ReadonlyMap<string, Reply.Answer>
  }).pipe(
    Effect.catchAll((error) =>
      Effect.as(
        Effect.logError("inspector: its page cannot be read; its API is served").pipe(
          Effect.annotateLogs("error", String(error.error))
        ),
        undefined
      )
    )
  )

const digest = (value: string): Promise<Uint8Array> =>
  globalThis.crypto.subtle.digest("SHA-256", encoder.encode(value)).then((buffer) => new Uint8Array(buffer))

/** Equal digests, in time that does not depend on where they differ. */
const same = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length && i < b.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/** RFC 9110 11.1: the scheme is case-insensitive; RFC 6750 2.1: one space, then the token. */
const BEARER = /^bearer +(\S+) *$/i

/** The value of the cookie `name` in a `Cookie` header (RFC 6265 4.2.1: `name=value` pairs separated by `; `). */
const cookieValue = (header: string | undefined, name: string): string | undefined => {
  if (header === undefined) return undefined
  for (const pair of header.split(";")) {
    const equals = pair.indexOf("=")
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue
    try {
      return decodeURIComponent(pair.slice(equals + 1).trim())
    } catch {
      return undefined // not percent-encoded as we encode it: not ours
    }
  }
  return undefined
}

/** Path segments, percent-decoded; undefined when one is not valid percent-encoding. */
const segmentsOf = (path: string): ReadonlyArray<string> | undefined => {
  try {
    return path.split("/").filter((segment) => segment !== "").map(decodeURIComponent)
  } catch {
    return undefined
  }
}

/** Whether `path` (without its query) is the inspector's at `base`: `base` itself or below it. */
export const owns = (base: string, path: string): boolean =>
  path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47 /* "/" */)

/**
 * The inspector: reads the page's files once and starts the process's count of answers per minute; then answers
 * each request. Never fails: the inbox's errors are answers (404, 409, 400, 500 with a line in the log).
 */
export const make = (
  options: Options
): Effect.Effect<(request: Request) => Effect.Effect<Reply.Answer>, never, WebhookInbox.WebhookInbox> =>
  Effect.gen(function*() {
    const base = options.path
    const context = yield* Effect.context<WebhookInbox.WebhookInbox>()
    const assets = yield* loadAssets(base)
    Traffic.start()
    const token = options.token
    const expected = token === undefined ? undefined : yield* Effect.promise(() => digest(Redacted.value(token)))
    const matches = (candidate: string | null | undefined): Effect.Effect<boolean> =>
      expected === undefined || typeof candidate !== "string"
        ? Effect.succeed(false)
        : Effect.map(Effect.promise(() => digest(candidate)), (got) => same(got, expected))
    const signIn = token === undefined ? undefined : Api.json(303, { redirect: base }, {
      location: base,
      "set-cookie": `${COOKIE}=${encodeURIComponent(Redacted.value(token))}; Path=${base}; HttpOnly; SameSite=Strict`
    })

    const serve = (request: Api.ApiRequest): Effect.Effect<Reply.Answer> =>
      Api.api(request).pipe(
        Effect.catchTags({
          InboxError: (e: WebhookInbox.InboxError) => Effect.succeed(Api.inboxError(e)),
          SqlError: (e: SqlError) =>
            Effect.as(Effect.logError("inspector: the inbox's database failed", Cause.fail(e)), Api.DATABASE_FAILED)
        }),
        Effect.catchAllDefect((defect) =>
          Effect.as(Effect.logError("inspector: failed", Cause.die(defect)), Api.FAILED)
        ),
        Effect.provide(context)
      )

    return (request: Request): Effect.Effect<Reply.Answer> =>
      Effect.gen(function*() {
        const { method, url } = request
        const question = url.indexOf("?")
        const path = question === -1 ? url : url.slice(0, question)
        const query = new URLSearchParams(question === -1 ? "" : url.slice(question + 1))
        if (!owns(base, path)) return Api.NOT_FOUND
        const sub = path.slice(base.length)
        let bearer = false
        if (token !== undefined) {
          // The address printed or bookmarked: trade the token in the address for the cookie, once.
          if ((sub === "" || sub === "/") && query.has("token")) {
            return (yield* matches(query.get("token"))) ? signIn! : UNAUTHORIZED
          }
          bearer = yield* matches(BEARER.exec(request.header("authorization") ?? "")?.[1])
          if (!bearer && !(yield* matches(cookieValue(request.header("cookie"), COOKIE)))) return UNAUTHORIZED
        }
        if (sub.startsWith("/api/")) {
          const segments = segmentsOf(sub.slice("/api/".length))
          if (segments === undefined) return Api.NOT_FOUND
          return yield* serve({
            method,
            segments,
            query,
            mayChange: bearer || request.header("x-inspector") === "1"
          })
        }
        if (assets === undefined) return NOT_INSTALLED
        const asset = assets.get(sub === "/" ? "" : sub)
        if (asset === undefined) return Api.NOT_FOUND
        return method === "GET" || method === "HEAD" ? asset : Api.READ_ONLY
      })
  })
