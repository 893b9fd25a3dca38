/**
 * What RFC 9112 asks of the receiver's server before it routes a request, on top of what Node's parser
 * (llhttp) enforces already. llhttp refuses with 400 and closes: `Transfer-Encoding` together with
 * `Content-Length`, a final transfer coding other than `chunked`, two `Content-Length`s, bare LF line ends,
 * obsolete line folding, a space before a header's colon, authority-form for a method other than CONNECT;
 * Node refuses an HTTP/1.1 request without `Host` (400) and an unknown expectation (417). Left to us, and
 * decided here: the request-target's form (origin, absolute, asterisk), one valid `Host`, the HTTP version.
 */
import { type IncomingMessage, STATUS_CODES } from "node:http"
import { Reply as reply } from "openai-webhooks-engine"

/** What the receiver answers itself, before or instead of the webhook listener: status, body, headers. */
export type Answer = reply.Answer

/** A JSON answer, built once. */
export const answer = reply.jsonAnswer

/** A request refused: after a request we could not take, the next bytes on its connection cannot be trusted. */
const refusal = (status: number, type: string, message: string, headers: Record<string, string> = {}): Answer =>
  answer(status, { error: { type, message } }, { connection: "close", ...headers })

/** RFC 9112 3.2: exactly one `Host`, and a valid one. */
export const BAD_HOST = refusal(
  400,
  "BadRequest",
  "The request must carry exactly one Host header holding a host and an optional port (RFC 9112, section 3.2)"
)

/** RFC 9112 3.2: the request-target is origin-form, absolute-form (http or https, no userinfo) or `*`. */
export const BAD_TARGET = refusal(
  400,
  "BadRequest",
  "The request-target must be a path such as /webhooks/openai, an http(s) URL, or * for OPTIONS " +
    "(RFC 9112, section 3.2)"
)

/** RFC 9110 15.6.6: this server speaks HTTP/1.0 and HTTP/1.1 only. */
export const BAD_VERSION = refusal(505, "HttpVersionNotSupported", "This server speaks HTTP/1.1 (and HTTP/1.0)")

/**
 * RFC 9110 9.3.6: CONNECT asks for a tunnel, which an origin server does not make. 405 with an empty `Allow`:
 * the authority asked for allows no method here (RFC 9110 10.2.1).
 */
export const CONNECT_REFUSED = refusal(
  405,
  "MethodNotAllowed",
  "This server is not a proxy: CONNECT is not supported",
  { allow: "" }
)

/** `OPTIONS *` (RFC 9110 9.3.7): the server is up; no content, so `Content-Length: 0`. */
export const OPTIONS_SERVER: Answer = { status: 200, body: "", headers: { "content-length": "0" } }

/** An answer as the bytes of a whole response, for a socket no `ServerResponse` owns (CONNECT). */
export const raw = (whole: Answer): string => {
  const headers = Object.entries(whole.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")
  return `HTTP/1.1 ${whole.status} ${STATUS_CODES[whole.status]}\r\n${headers}\r\n${whole.body}`
}

/**
 * RFC 3986 3.2.2 and 3.2.3: `host [ ":" port ]`, where host is an IP literal in brackets or a reg-name
 * (unreserved characters, sub-delims, percent-encodings; an IPv4 address is one). Empty is allowed: RFC 9112
 * 3.2 has a client send an empty `Host` when the target has no authority.
 */
const AUTHORITY = /^(?:\[[0-9A-Za-z:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/

export const isAuthority = (value: string): boolean => AUTHORITY.test(value)

/** RFC 9112 3.2.2: absolute-form, `scheme "://" authority path-abempty [ "?" query ]`, for http and https. */
const ABSOLUTE = /^https?:\/\/([^/?#]*)(\/[^?]*)?(?:\?|$)/i

/**
 * The path a request-target names, `*` for asterisk-form, or undefined for a target this server does not
 * take. Origin-form (`/webhooks/openai?x=1`) gives its path; absolute-form
 * (`http://127.0.0.1:8787/webhooks/openai`), which a server MUST accept (RFC 9112 3.2.2), gives the same path
 * whatever its authority (an empty path is `/`), so that both forms of one target route alike.
 */
export const pathOf = (target: string): string | undefined => {
  if (target.charCodeAt(0) === 47 /* "/" */) {
    const query = target.indexOf("?")
    return query === -1 ? target : target.slice(0, query)
  }
  if (target === "*") return target
  const absolute = ABSOLUTE.exec(target)
  // RFC 9110 4.2.1: an http(s) URI with an empty host MUST be rejected as invalid.
  const authority = absolute?.[1]
  if (authority === undefined || authority === "" || authority.startsWith(":") || !isAuthority(authority)) {
    return undefined
  }
  return absolute![2] ?? "/"
}

/**
 * RFC 9112 3.2: a server MUST answer 400 to a request with more than one `Host` line or an invalid one (Node
 * keeps the first of several, and answers 400 to an HTTP/1.1 request without any itself).
 */
const hostIsValid = (request: IncomingMessage): boolean => {
  const raw = request.rawHeaders
  let seen = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && name.toLowerCase() === "host") {
      if (++seen > 1 || !isAuthority(raw[i + 1]!)) return false
    }
  }
  return true
}

/** The path to route `request` on, or the answer that refuses it. */
export const route = (request: IncomingMessage): string | Answer => {
  if (request.httpVersionMajor !== 1) return BAD_VERSION
  if (!hostIsValid(request)) return BAD_HOST
  const path = pathOf(request.url ?? "")
  if (path === undefined) return BAD_TARGET
  // RFC 9112 3.2.4: asterisk-form is only for a server-wide OPTIONS.
  if (path === "*") return request.method === "OPTIONS" ? OPTIONS_SERVER : BAD_TARGET
  return path
}
