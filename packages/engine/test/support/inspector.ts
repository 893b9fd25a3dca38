/**
 * What both editions' `WebhookInspector` tests ask of an inspector on a live server, without Effect: the requests
 * (fetch, no redirects followed) and what their answers must be. Each edition's test builds the app its own way
 * (its router, its inbox on a SQLite file, its logger) and runs these rows against the origin it listens on.
 */
import { assert } from "vitest"

export const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
export const TOKEN = "a-token-of-the-app-0123456789"
/** A token with every character a cookie or a header could trip on. */
export const AWKWARD_TOKEN = "a;b=c,d%e\"f+g/h=0123456789"
/** Where the rows mount the inspector: not the default, so that the path is seen to be the app's choice. */
export const BASE = "/ops/inbox"

/** Ids no header carries as such (stored by the app some other way), each found by `?id=` all the same. */
export const UNUSUAL_IDS: ReadonlyArray<string> = [
  "msg_\u00fc\u2713\u{1F600}",
  "../../etc/passwd",
  "a?b#c&d=e",
  "%",
  `msg_${"\u00e9".repeat(600)}`
]

/** Ids a browser would take for path steps. */
export const PATH_STEP_IDS: ReadonlyArray<string> = [".", ".."]

/** Paths an inspector cannot be mounted at: each an illegal-argument error naming `path`. */
export const BAD_PATHS: ReadonlyArray<string> = ["/inbox/", "inbox", "/inbox?x=1", "/inbox/*", "/:id", ""]

export interface Got {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

export const get = async (url: string, init: RequestInit = {}): Promise<Got> => {
  const response = await fetch(url, { redirect: "manual", ...init })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** Waits, polling the API, for `id` to be a dead letter (the worker's one attempt failed); fails after 10 s. */
export const dead = async (origin: string, id: string, headers: Record<string, string>, base = BASE) => {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const response = await fetch(`${origin}${base}/api/delivery?id=${encodeURIComponent(id)}`, { headers })
    if (response.status === 200 && (await response.json() as { status: string }).status === "dead") return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${id} never became dead`)
}

/** The page at `BASE` behind `TOKEN`, the sign-in, and nothing where it was not mounted. */
export const servesPageBehindToken = async (origin: string) => {
  for (const path of [BASE, `${BASE}/app.js`, `${BASE}/api/stats`, `${BASE}/api/delivery?id=.`]) {
    const refused = await get(`${origin}${path}`)
    assert.strictEqual(refused.status, 401, path)
    assert.strictEqual(refused.text, `{"error":{"type":"Unauthorized"}}`)
  }
  const headers = bearer(TOKEN)
  const page = await get(`${origin}${BASE}`, { headers })
  assert.strictEqual(page.status, 200)
  assert.include(page.text, `<script type="module" src="${BASE}/app.js"></script>`)
  assert.include(page.text, `<meta name="inspector-base" content="${BASE}">`)
  assert.include(page.headers.get("content-security-policy")!, "script-src 'self'")
  const script = await get(`${origin}${BASE}/app.js`, { headers })
  assert.strictEqual(script.status, 200)
  assert.strictEqual(script.headers.get("content-type"), "text/javascript; charset=utf-8")
  assert.strictEqual((await get(`${origin}${BASE}/style.css`, { headers })).status, 200)
  assert.strictEqual((await get(`${origin}${BASE}/api/stats`, { headers })).status, 200)
  const answers = await get(`${origin}${BASE}/api/answers`, { headers })
  assert.strictEqual(answers.status, 200)
  assert.strictEqual(JSON.parse(answers.text).bucketMs, 60_000)
  const signIn = await get(`${origin}${BASE}?token=${TOKEN}`)
  assert.strictEqual(signIn.status, 303)
  assert.strictEqual(signIn.headers.get("location"), BASE)
  assert.include(signIn.headers.get("set-cookie")!, `Path=${BASE}; HttpOnly; SameSite=Strict`)
  // Only where it was mounted.
  assert.strictEqual((await get(`${origin}/inbox`, { headers })).status, 404)
  assert.strictEqual((await get(`${origin}${BASE}es`, { headers })).status, 404)
}

/** A browser signed in with `AWKWARD_TOKEN`'s cookie reads, and changes only with `x-inspector` or the bearer. */
export const signsInWithCookie = async (origin: string) => {
  const signIn = await get(`${origin}${BASE}?token=${encodeURIComponent(AWKWARD_TOKEN)}`)
  assert.strictEqual(signIn.status, 303)
  const set = signIn.headers.get("set-cookie")!
  const pair = set.slice(0, set.indexOf(";"))
  assert.isTrue(pair.startsWith("inspector_token="))
  const status = async (headers: Record<string, string>) =>
    (await get(`${origin}${BASE}/api/stats`, { headers })).status
  assert.strictEqual(await status({ cookie: pair }), 200)
  assert.strictEqual(await status({ cookie: `theme=dark; ${pair}; other=1` }), 200)
  assert.strictEqual(await status({ cookie: `other=${pair.slice("inspector_token=".length)}` }), 401)
  assert.strictEqual(await status({ cookie: "inspector_token=%E0%A4%A" }), 401)
  assert.strictEqual(await status({ cookie: "inspector_token=wrong" }), 401)
  // A browser sends the cookie by itself, a header only when a script asks: with the cookie alone nothing changes.
  const replay = async (headers: Record<string, string>) =>
    (await get(`${origin}${BASE}/api/delivery/replay?id=msg_nobody`, { method: "POST", headers })).status
  assert.strictEqual(await replay({ cookie: pair }), 403)
  assert.strictEqual(await replay({ cookie: pair, "x-inspector": "1" }), 404)
  assert.strictEqual(await replay(bearer(AWKWARD_TOKEN)), 404)
  assert.strictEqual(await replay({ authorization: "Bearer wrong", cookie: pair }), 403)
}

/** `id`, stored, is shown by `?id=` (no token: the app's own authentication). */
export const showsById = async (origin: string, id: string) => {
  const shown = await get(`${origin}${BASE}/api/delivery?id=${encodeURIComponent(id)}`)
  assert.strictEqual(shown.status, 200, id)
  assert.strictEqual(JSON.parse(shown.text).webhookId, id)
}

/** Dead letter `id` is discarded by `?id=` with `x-inspector` only (no token), and is gone. */
export const discardsById = async (origin: string, id: string) => {
  await dead(origin, id, {})
  const query = `id=${encodeURIComponent(id)}`
  const forged = await get(`${origin}${BASE}/api/delivery/discard?${query}`, { method: "POST" })
  assert.strictEqual(forged.status, 403)
  const discarded = await get(`${origin}${BASE}/api/delivery/discard?${query}`, {
    method: "POST",
    headers: { "x-inspector": "1" }
  })
  assert.deepStrictEqual(JSON.parse(discarded.text), { discarded: id })
  assert.strictEqual((await get(`${origin}${BASE}/api/delivery?${query}`)).status, 404)
}

/** An inspector at the default path behind `TOKEN` over an empty inbox: the API, the page, an id of `..`. */
export const servesAtDefaultPath = async (origin: string) => {
  const headers = bearer(TOKEN)
  assert.strictEqual((await get(`${origin}/inbox/api/stats`)).status, 401)
  const stats = await get(`${origin}/inbox/api/stats`, { headers })
  assert.strictEqual(stats.status, 200)
  assert.deepInclude(JSON.parse(stats.text).byStatus, { done: 0, dead: 0 })
  assert.include((await get(`${origin}/inbox`, { headers })).text, `src="/inbox/app.js"`)
  assert.strictEqual((await get(`${origin}/inbox/api/delivery?id=..`, { headers })).status, 404)
  const invalid = await get(`${origin}/inbox/api/deliveries?status=lost`, { headers })
  assert.strictEqual(invalid.status, 400)
  assert.strictEqual(JSON.parse(invalid.text).error.reason, "InvalidQuery")
}

/** The sum of one outcome's counts over the minutes `answers` holds (no token: the app's own authentication). */
const answered = async (origin: string, outcome: string): Promise<number> => {
  const answers = JSON.parse((await get(`${origin}${BASE}/api/answers`)).text) as {
    readonly minutes: ReadonlyArray<{ readonly counts: Readonly<Record<string, number>> }>
  }
  return answers.minutes.reduce((sum, minute) => sum + (minute.counts[outcome] ?? 0), 0)
}

/** A delivery refused at the webhook route (401: never stored by the inbox) is counted in the page's `answers`. */
export const countsRefusedAnswers = async (origin: string, webhookUrl: string) => {
  const before = await answered(origin, "rejected")
  const headers = { "content-type": "application/json" }
  const refused = await fetch(webhookUrl, { method: "POST", body: "{}", headers })
  assert.strictEqual(refused.status, 401)
  assert.strictEqual(await answered(origin, "rejected"), before + 1)
}
