/**
 * The inspector's door: the page (`./assets/`: HTML, a vanilla JS module, CSS, shipped in this package and read
 * once), the token rule, and the API's routing (`./api.ts`), as one function from a request to an answer or to a
 * call the edition runs on its inbox.
 *
 * The token, when given: a request carries it as `Authorization: Bearer <token>` (RFC 6750 2.1) or in the
 * `inspector_token` cookie, which a browser gets by opening `<path>?token=...` once (answered 303 to `<path>`, so
 * that the token leaves the address bar and the history; `HttpOnly`, `SameSite=Strict`, limited to `<path>`).
 * Compared in constant time, as SHA-256 digests (Web Crypto: nothing here imports a `node:` module at load).
 * Without the token: 401, the same bytes on every path.
 *
 * @internal
 */
import type * as NodeFs from "node:fs"
import type { IncomingMessage } from "node:http"
import type { Answer } from "../../Reply.js"
import { jsonAnswer } from "../../Reply.js"
import { fail, ok, type Result } from "../../Result.js"
import * as Api from "./api.js"

/** What the inspector reads of a request, whatever server it came through. */
export interface Request {
  readonly method: string
  /** The request-target as received: the path (the inspector's `path` and below) and the query. */
  readonly url: string
  /** A header's value by lower-case name. */
  readonly header: (name: string) => string | undefined
}

/** A `node:http` request as the inspector reads it: its target as received, a repeated header's values joined. */
export const fromNode = (request: IncomingMessage): Request => ({
  method: request.method ?? "GET",
  url: request.url ?? "/",
  header: (name) => {
    const value = request.headers[name]
    return Array.isArray(value) ? value.join(", ") : value
  }
})

/** The cookie a browser carries the token in, limited to the inspector's path. */
const COOKIE = "inspector_token"

/**
 * The page's own files only: no inline script or style, no other origin. A body holding `<script>` is shown with
 * `textContent` and could not run even if it were inserted as HTML.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** What the page's paths answer when its files are not where the package puts them (a broken install). */
export const NOT_INSTALLED = Api.error(
  500,
  "NotInstalled",
  "The inspector's page is missing from this installation: reinstall it"
)

/**
 * A request without the token, on any path: 401 and nothing else. `WWW-Authenticate` as RFC 9110 11.6.1 asks of
 * a 401; `no-store`, so that no cache keeps even the refusal.
 */
export const UNAUTHORIZED: Answer = jsonAnswer(401, { error: { type: "Unauthorized" } }, {
  "www-authenticate": "Bearer",
  "cache-control": "no-store"
})

/** The page's files, and what they are. `index.html` names its files and API by `__BASE__`, the path. */
export const ASSETS: ReadonlyArray<readonly [file: string, type: string]> = [
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"]
]

/**
 * Where one of the page's files is: next to this module, in `src/` and in `dist/` alike (the build copies them).
 * Asked for when the page is read, never at load: a bundle for an edge runtime may have no `import.meta.url`.
 */
export const assetUrl = (file: string): URL => new URL(`./assets/${file}`, import.meta.url)

/** The page's answers by path below the inspector's (`""` the page, `/app.js`, `/style.css`). */
export type Page = ReadonlyMap<string, Answer>

const encoder = new TextEncoder()

/** The page's answers for an inspector at `base`, from the files' text by name. */
export const pageOf = (base: string, read: (file: string) => string): Page => {
  const page = new Map<string, Answer>()
  for (const [file, type] of ASSETS) {
    const text = read(file)
    const body = file === "index.html" ? text.replaceAll("__BASE__", base) : text
    const headers = {
      ...Api.HEADERS,
      "content-type": type,
      "content-length": String(encoder.encode(body).byteLength),
      ...(file === "index.html" ? { "content-security-policy": CSP } : {})
    }
    page.set(file === "index.html" ? "" : `/${file}`, { status: 200, body, headers })
  }
  return page
}

/**
 * Reads the page's files for an inspector at `base`, once. Through `process.getBuiltinModule` (no `node:` import
 * for a bundler to refuse): a runtime without a file system (Workers, edge routes) gets a failure saying so, and
 * the edition serves the API without its page.
 */
export const loadPage = (base: string): Result<Page, string> => {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const fs = process?.getBuiltinModule?.call(process, "node:fs") as typeof NodeFs | undefined
    if (fs === undefined) return fail("this runtime has no node:fs to read the inspector's page with")
    return ok(pageOf(base, (file) => fs.readFileSync(assetUrl(file), "utf8")))
  } catch (error) {
    return fail(String(error))
  }
}

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
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
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

/**
 * The origin-form (path and query, RFC 9112 3.2.1) of a request-target a server gave as an absolute URL (Effect 4's
 * `originalUrl`): the characters after the authority as they came, where `new URL` would resolve `.` and `..` and
 * re-encode the query. A target already in origin-form is itself.
 */
export const originForm = (url: string): string => {
  if (url.startsWith("/")) return url
  const scheme = url.indexOf("://")
  if (scheme === -1) return url
  for (let i = scheme + 3; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c === 47 /* "/" */) return url.slice(i)
    if (c === 63 /* "?" */) return `/${url.slice(i)}`
  }
  return "/"
}

/** Whether `path` (without its query) is the inspector's at `base`: `base` itself or below it. */
export const owns = (base: string, path: string): boolean =>
  path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47 /* "/" */)

/** `/`, then path characters; no trailing `/`, no query, fragment or router pattern (`*`, `:`). */
const PATH = /^(\/[A-Za-z0-9._~!$&'()+,;=@%-]+)+$/

/** Why `path` cannot be an inspector's, or undefined when it can. */
export const pathProblem = (path: string): string | undefined =>
  PATH.test(path)
    ? undefined
    : `an absolute path without a trailing slash, query or pattern, such as "/inbox", not ${JSON.stringify(path)}`

/** The inspector's settings. */
export interface Options {
  /** Where the page is; its files and API below it. No trailing slash (see {@link pathProblem}). */
  readonly path: string
  /** The token every request must carry; none: the application's own authentication guards the route. */
  readonly token?: string | undefined
  /** The page's answers ({@link loadPage}); none: its paths answer {@link NOT_INSTALLED}, the API is served. */
  readonly page?: Page | undefined
}

/** The inspector's door: each request's answer, or the inbox call its answer needs. */
export type Door = (request: Request) => Api.Routed | Promise<Api.Routed>

const answer = (answer: Answer): Api.Routed => ({ _tag: "Answer", answer })
const NOT_FOUND = answer(Api.NOT_FOUND)
const REFUSED = answer(UNAUTHORIZED)
const NOT_INSTALLED_ROUTE = answer(NOT_INSTALLED)
const READ_ONLY = answer(Api.READ_ONLY)

/** The door of an inspector at `options.path`. With a token, a request's answer is a promise (Web Crypto). */
export const make = (options: Options): Door => {
  const base = options.path
  const token = options.token
  const page = new Map<string, Api.Routed>()
  for (const [path, asset] of options.page ?? []) page.set(path, answer(asset))

  const inside = (request: Request, sub: string, query: URLSearchParams, bearer: boolean): Api.Routed => {
    const { method } = request
    if (sub.startsWith("/api/")) {
      const segments = segmentsOf(sub.slice("/api/".length))
      if (segments === undefined) return NOT_FOUND
      const mayChange = bearer || request.header("x-inspector") === "1"
      return Api.route({ method, segments, query, mayChange }, Date.now())
    }
    if (options.page === undefined) return NOT_INSTALLED_ROUTE
    const asset = page.get(sub === "/" ? "" : sub)
    if (asset === undefined) return NOT_FOUND
    return method === "GET" || method === "HEAD" ? asset : READ_ONLY
  }

  const parse = (url: string) => {
    const question = url.indexOf("?")
    const path = question === -1 ? url : url.slice(0, question)
    const query = new URLSearchParams(question === -1 ? "" : url.slice(question + 1))
    return { path, query }
  }

  if (token === undefined) {
    return (request) => {
      const { path, query } = parse(request.url)
      return owns(base, path) ? inside(request, path.slice(base.length), query, false) : NOT_FOUND
    }
  }

  const expected = digest(token)
  const matches = async (candidate: string | null | undefined): Promise<boolean> =>
    typeof candidate === "string" && same(await digest(candidate), await expected)
  const signIn = answer(Api.json(303, { redirect: base }, {
    location: base,
    "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; Path=${base}; HttpOnly; SameSite=Strict`
  }))
  return async (request) => {
    const { path, query } = parse(request.url)
    if (!owns(base, path)) return NOT_FOUND
    const sub = path.slice(base.length)
    // The address printed or bookmarked: trade the token in the address for the cookie, once.
    if ((sub === "" || sub === "/") && query.has("token")) {
      return (await matches(query.get("token"))) ? signIn : REFUSED
    }
    const bearer = await matches(BEARER.exec(request.header("authorization") ?? "")?.[1])
    if (!bearer && !(await matches(cookieValue(request.header("cookie"), COOKIE)))) return REFUSED
    return inside(request, sub, query, bearer)
  }
}
