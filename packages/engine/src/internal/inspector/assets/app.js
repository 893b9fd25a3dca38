// The inspector page: no framework, nothing from another origin, its JSON API under <base>/api/ (the base is in
// the page's <meta name="inspector-base">, where the server mounted it). Times are shown in UTC, as the command and
// the logs write them, with the zone said; the filters' times are read as UTC too.
// Every piece of data goes into the page as text (textContent, text nodes, attributes), never as HTML: a body
// holding <script> shows as text. The API's errors are { error: { type, reason?, message } }.

const STATUSES = ["processing", "done", "failed", "pending", "dead"]
/** What the endpoint answered, by outcome, with the HTTP status OpenAI saw. */
const ANSWERS = [
  ["processed", "200"], ["queued", "200"], ["duplicate", "200"], ["rejected", "401"], ["invalid", "400"],
  ["failed", "500"], ["too_large", "413"], ["method_not_allowed", "405"]
]
const BASE = document.querySelector("meta[name=inspector-base]").content
const REFRESH_MS = 2000
const MINUTE = 60_000
const SVG = "http://www.w3.org/2000/svg"

const $ = (id) => document.getElementById(id)

/** An element with attributes and children; a string child becomes a text node. */
const h = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value))
  }
  element.append(...children.filter((child) => child !== undefined && child !== null))
  return element
}

const svg = (tag, attributes = {}, ...children) => {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  element.append(...children)
  return element
}

/** One format for every time on the page: `YYYY-MM-DD HH:MM:SS UTC`, as the command and the logs (UTC). */
const utc = (ms) => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`
/** A time in a <time> that keeps the exact instant. */
const when = (iso) => {
  if (!iso) return ""
  const d = new Date(iso)
  return h("time", { datetime: d.toISOString() }, utc(d.getTime()))
}
/** A minute of the chart: `HH:MM` in UTC (the axis says UTC once). */
const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16)
/** A filter's `datetime-local` value (no zone) read as UTC, or the ISO time as such an input shows it. */
const fromInput = (value) => new Date(`${value}Z`)
const toInput = (iso) => new Date(iso).toISOString().slice(0, 19)
const age = (ms) =>
  ms < MINUTE ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.round(ms / MINUTE)} min`
  : ms < 86_400_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 86_400_000)} d`

const live = (text) => {
  if ($("live").textContent !== text) $("live").textContent = text
}

/** The API: JSON in and out; mutations carry x-inspector: 1, which no cross-site form can send. */
const api = async (path, method = "GET") => {
  let response
  try {
    response = await fetch(`${BASE}/api/${path}`, { method, headers: { "x-inspector": "1" } })
  } catch {
    throw new Unreachable("the receiver does not answer")
  }
  const body = await response.json().catch(() => null)
  if (response.status >= 502 && body?.error === undefined) throw new Unreachable(`a proxy answered ${response.status}`)
  if (response.status === 401) {
    state.stopped = true
    throw new Error("not signed in: open the inspector's address with its token again")
  }
  if (!response.ok) throw new Error(body?.error?.message ?? `the receiver answered ${response.status}`)
  return body
}

/** The receiver did not answer at all (not an error it answered). */
class Unreachable extends Error {}

/** The numbers on the page are as of the last refresh that worked: said plainly, and greyed, when it is old. */
const stale = (since) => {
  document.body.classList.toggle("stale", since !== null)
  $("stale").hidden = since === null
  if (since !== null) {
    $("stale").textContent = `The receiver stopped answering: nothing below is newer than ${utc(since)}. ` +
      "Retrying every few seconds."
  }
}

const state = {
  query: new URLSearchParams(),
  cursor: null,
  next: null,
  busy: false,
  again: false,
  stopped: false,
  /** When the last refresh that worked ended. */
  fresh: Date.now()
}
const detail = { id: null, shown: null, following: null, raw: false }

// The list, its counts and the chart refresh on their own, but not while a detail is open or a question asked.
const paused = () => state.stopped || document.hidden || $("detail").open || $("confirm").open

const renderCounts = (stats) => {
  $("counts").replaceChildren(...STATUSES.map((status) =>
    h("li", { class: `count status-${status}${stats.byStatus[status] > 0 ? " some" : ""}` },
      h("span", { class: "n" }, String(stats.byStatus[status] ?? 0)), ` ${status}`)
  ))
  $("oldest").textContent = stats.oldestPendingAgeMs === null
    ? "Nothing waits for a retry."
    : `The oldest delivery waiting for a retry was received ${age(stats.oldestPendingAgeMs)} ago.`
}

/** Stacked bars, one per minute of the last hour, by status; the same numbers in a table and in a summary. */
const renderChart = (origin, timeline) => {
  const minutes = Array.from({ length: 60 }, (_, i) => ({ start: origin + i * MINUTE, counts: {} }))
  for (const bucket of timeline.buckets) {
    const slot = minutes[Math.floor((Date.parse(bucket.start) - origin) / MINUTE)]
    if (!slot) continue
    for (const status of STATUSES) slot.counts[status] = (slot.counts[status] ?? 0) + (bucket.counts[status] ?? 0)
  }
  const total = (minute) => STATUSES.reduce((sum, status) => sum + (minute.counts[status] ?? 0), 0)
  const highest = Math.max(1, ...minutes.map(total))
  const totals = Object.fromEntries(STATUSES.map((s) => [s, minutes.reduce((sum, m) => sum + (m.counts[s] ?? 0), 0)]))
  const all = STATUSES.reduce((sum, s) => sum + totals[s], 0)
  const summary = `${all} deliveries received in the last hour` +
    (all === 0 ? "" : `: ${STATUSES.filter((s) => totals[s] > 0).map((s) => `${totals[s]} ${s}`).join(", ")}`) +
    (all === 0 ? "" : `; at most ${highest} in one minute`)
  // Bars only, stretched to the box: the labels are HTML, so that they keep their size at any width.
  const height = 100
  const bars = minutes.map((minute, i) => {
    let y = height
    const pieces = STATUSES.filter((s) => minute.counts[s] > 0).map((status) => {
      const size = (minute.counts[status] / highest) * height
      y -= size
      return svg("rect", { x: i * 10 + 1, y, width: 8, height: size, class: `status-${status}` })
    })
    const text = `${hhmm(minute.start)}: ${total(minute) === 0 ? "none" : STATUSES.filter((s) => minute.counts[s] > 0)
      .map((s) => `${minute.counts[s]} ${s}`).join(", ")}`
    return svg("g", {}, svg("title", {}, text), ...pieces)
  })
  $("chart").replaceChildren(
    svg(
      "svg",
      { viewBox: `0 0 600 ${height}`, preserveAspectRatio: "none", role: "img", "aria-labelledby": "chart-summary" },
      svg("title", { id: "chart-summary" }, summary),
      ...bars
    )
  )
  $("chart-max").textContent = `${highest} per minute`
  $("chart-start").textContent = hhmm(origin)
  $("chart-table").tBodies[0].replaceChildren(...minutes.filter((m) => total(m) > 0).map((minute) =>
    h("tr", {}, h("th", { scope: "row" }, hhmm(minute.start)),
      ...STATUSES.map((s) => h("td", {}, String(minute.counts[s] ?? 0))))
  ))
}

/** What the endpoint answered per minute (counted by this process, since it started), the errors first. */
const renderAnswers = (answers) => {
  const totals = Object.fromEntries(ANSWERS.map(([o]) => [o, 0]))
  for (const minute of answers.minutes) {
    for (const [outcome, n] of Object.entries(minute.counts)) totals[outcome] = (totals[outcome] ?? 0) + n
  }
  const all = ANSWERS.reduce((sum, [outcome]) => sum + totals[outcome], 0)
  const refused = ANSWERS.filter(([, code]) => code !== "200").reduce((sum, [outcome]) => sum + totals[outcome], 0)
  const copies = totals.duplicate === 0
    ? ""
    : ` ${totals.duplicate} ${totals.duplicate === 1 ? "copy was" : "copies were"} answered duplicate (200).`
  $("answers-summary").textContent = all === 0
    ? "No delivery reached the endpoint in the last hour."
    : refused === 0
    ? `Every delivery in the last hour was answered 200.${copies}`
    : `${refused} ${refused === 1 ? "delivery was" : "deliveries were"} refused in the last hour: ` +
      ANSWERS.filter(([o, code]) => code !== "200" && totals[o] > 0).map(([o, code]) => `${totals[o]} ${o} (${code})`)
        .join(", ") + `.${copies}`
  $("answers-since").textContent = answers.since === null
    ? ""
    : `Counted by this process since ${utc(Date.parse(answers.since))}.`
  $("answers-table").tBodies[0].replaceChildren(...[...answers.minutes].reverse().map((minute) =>
    h("tr", {}, h("th", { scope: "row" }, hhmm(Date.parse(minute.start))),
      ...ANSWERS.map(([o]) => h("td", { class: minute.counts[o] > 0 ? `some answer-${o}` : undefined },
        String(minute.counts[o] ?? 0))))
  ))
}

const renderList = (page) => {
  state.next = page.next
  $("older").disabled = page.next === null
  $("newest").disabled = state.cursor === null
  const rows = page.deliveries.map((d) =>
    h("tr", { "data-row": d.webhookId },
      h("td", {}, h("button", { type: "button", class: "link", "data-id": d.webhookId }, d.webhookId)),
      h("td", {}, d.eventType ?? "(unknown)"),
      h("td", {}, h("span", { class: `badge status-${d.status}` }, d.status)),
      h("td", {}, when(d.receivedAt)),
      h("td", { class: "wide" }, String(d.attempts)),
      h("td", { class: "wide error", title: d.lastError ?? "" }, (d.lastError ?? "").split("\n")[0].slice(0, 200)))
  )
  // The row that has the keyboard's focus keeps it across a refresh.
  const focused = $("list").contains(document.activeElement) ? document.activeElement.dataset.id : undefined
  $("list").tBodies[0].replaceChildren(
    ...(rows.length > 0 ? rows : [h("tr", {}, h("td", { colspan: 6 }, "No delivery matches these filters."))])
  )
  if (focused) $("list").querySelector(`button[data-id="${CSS.escape(focused)}"]`)?.focus()
  return rows.length
}

/** Counts, chart and list, for the current filters; asked again while it runs, it runs once more after. */
const refresh = async () => {
  if (state.busy) {
    state.again = true
    return
  }
  state.busy = true
  try {
    const origin = Math.floor(Date.now() / MINUTE) * MINUTE - 59 * MINUTE
    const query = new URLSearchParams(state.query)
    if (state.cursor !== null) query.set("after", state.cursor)
    const [stats, timeline, page, answers] = await Promise.all([
      api("stats"),
      api(`timeline?since=${encodeURIComponent(new Date(origin).toISOString())}`),
      api(`deliveries?${query}`),
      api("answers")
    ])
    state.fresh = Date.now()
    stale(null)
    renderCounts(stats)
    renderChart(origin, timeline)
    renderAnswers(answers)
    const shown = renderList(page)
    // Said only when it changes, so that a screen reader is not told the same thing every two seconds.
    live(`${shown} shown. ${STATUSES.map((s) => `${stats.byStatus[s]} ${s}`).join(", ")}.`)
  } catch (error) {
    if (error instanceof Unreachable) stale(state.fresh)
    live(`Could not refresh: ${error.message}`)
  } finally {
    state.busy = false
    if (state.again) {
      state.again = false
      refresh()
    }
  }
}

/** Asks once; resolves true on Confirm. The safe choice, Cancel, has the focus. */
const ask = (text, action) =>
  new Promise((resolve) => {
    const dialog = $("confirm")
    $("confirm-text").textContent = text
    $("confirm-ok").textContent = action
    dialog.returnValue = ""
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true })
    dialog.showModal()
  })

const say = (text) => {
  $("detail-message").textContent = text
}

const pretty = (body) => {
  if (body === null) return "(not stored: received before the inbox kept bodies)"
  if (detail.raw) return body
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

const renderDetail = (d) => {
  const field = (name, ...value) => [h("dt", {}, name), h("dd", {}, ...value)]
  $("detail-title").textContent = d.webhookId
  $("detail-fields").replaceChildren(
    ...field("Event type", d.eventType ?? "(unknown)"),
    ...field("Status", h("span", { id: "detail-status", class: `badge status-${d.status}` }, d.status)),
    ...field("Received", when(d.receivedAt)),
    ...field("Attempts", String(d.attempts)),
    ...(d.nextAttemptAt && d.status === "pending" ? field("Next attempt", when(d.nextAttemptAt)) : []),
    ...(d.lastError ? field("Last error", d.lastError.split("\n")[0]) : [])
  )
  const seconds = Math.floor(Date.parse(d.timestamp) / 1000)
  $("detail-headers").textContent = `webhook-id: ${d.webhookId}\nwebhook-timestamp: ${seconds}` +
    `  (${utc(Date.parse(d.timestamp))})`
  $("detail-attempts").replaceChildren(
    ...(d.history.length === 0 ? [h("li", {}, "None yet.")] : d.history.map((a) =>
      h("li", { class: `attempt outcome-${a.outcome ?? "running"}` },
        h("p", {}, h("strong", {}, `Attempt ${a.attempt}: ${a.outcome ?? "running"}`),
          a.replayed ? h("span", { class: "tag" }, " replayed") : null, " · ", when(a.startedAt),
          a.durationMs === null ? "" : ` · ${a.durationMs} ms`),
        a.error ? h("pre", {}, a.error) : null)
    ))
  )
  $("detail-body").textContent = pretty(d.body)
  $("raw").setAttribute("aria-pressed", String(detail.raw))
  $("raw").textContent = detail.raw ? "Show formatted" : "Show raw"
  $("discard").hidden = d.status !== "dead"
}

const loadDetail = async () => {
  const d = await api(`delivery?id=${encodeURIComponent(detail.id)}`)
  if ($("detail").open && d.webhookId === detail.id) {
    detail.shown = d
    renderDetail(d)
  }
  return d
}

const stopFollowing = () => {
  clearInterval(detail.following)
  detail.following = null
}

/** After a replay: reloads the delivery every second until the replay's attempt has ended (a minute at most). */
const follow = (attemptsBefore) => {
  stopFollowing()
  let left = 60
  detail.following = setInterval(async () => {
    if (!$("detail").open || --left < 0) return stopFollowing()
    try {
      const d = await loadDetail()
      if (d.attempts > attemptsBefore && d.status !== "pending" && d.status !== "processing") {
        stopFollowing()
        say(`Replayed: ${d.status}.`)
      }
    } catch (error) {
      say(error.message)
    }
  }, 1000)
}

const openDetail = async (id) => {
  stopFollowing()
  detail.id = id
  detail.shown = null
  $("detail-title").textContent = id
  for (const target of ["detail-fields", "detail-attempts"]) $(target).replaceChildren()
  for (const target of ["detail-headers", "detail-body"]) $(target).textContent = ""
  say("Loading…")
  if (!$("detail").open) $("detail").showModal()
  try {
    await loadDetail()
    say("")
  } catch (error) {
    say(error.message)
  }
}

const filters = () => {
  const form = $("filters")
  const query = new URLSearchParams()
  const checked = [...form.querySelectorAll("input[name=status]:checked")].map((input) => input.value)
  if (checked.length > 0) query.set("status", checked.join(","))
  if (form.elements.type.value.trim()) query.set("type", form.elements.type.value.trim())
  for (const name of ["since", "until"]) {
    if (form.elements[name].value) query.set(name, fromInput(form.elements[name].value).toISOString())
  }
  if (form.elements.limit.value) query.set("limit", form.elements.limit.value)
  return query
}

/** The filters live in the page's address, so that a reload or a shared link keeps them. */
const applyFilters = (event) => {
  event?.preventDefault()
  state.query = filters()
  state.cursor = null
  const search = state.query.toString()
  history.replaceState(null, "", search === "" ? BASE : `${BASE}?${search}`)
  refresh()
}

/** The filters of the page's address, put back in the form. */
const restoreFilters = () => {
  const query = new URLSearchParams(location.search)
  const form = $("filters")
  const wanted = (query.get("status") ?? "").split(",")
  for (const input of form.querySelectorAll("input[name=status]")) input.checked = wanted.includes(input.value)
  if (query.get("type")) form.elements.type.value = query.get("type")
  for (const name of ["since", "until"]) {
    const value = query.get(name)
    if (value && !Number.isNaN(Date.parse(value))) form.elements[name].value = toInput(value)
  }
  if (query.get("limit")) form.elements.limit.value = query.get("limit")
  state.query = filters()
}

$("status-filter").append(...STATUSES.map((status) =>
  h("label", { class: "choice" }, h("input", { type: "checkbox", name: "status", value: status }), ` ${status}`)
))
$("legend").append(...STATUSES.map((status) =>
  h("li", {}, h("span", { class: `swatch status-${status}` }), ` ${status}`)
))
$("chart-table").tHead.rows[0].append(...STATUSES.map((status) => h("th", { scope: "col" }, status)))
$("answers-table").tHead.rows[0].append(
  ...ANSWERS.map(([outcome, code]) => h("th", { scope: "col" }, `${outcome} ${code}`))
)

$("filters").addEventListener("submit", applyFilters)
$("filters").addEventListener("change", (event) => {
  if (event.target.name === "status") applyFilters()
})
$("older").addEventListener("click", () => {
  state.cursor = state.next
  refresh()
})
$("newest").addEventListener("click", () => {
  state.cursor = null
  refresh()
})
// A click anywhere on a row opens it (its id is the button the keyboard reaches).
$("list").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-row]")
  if (row && !getSelection()?.toString()) openDetail(row.dataset.row)
})
$("raw").addEventListener("click", () => {
  detail.raw = !detail.raw
  if (detail.shown) renderDetail(detail.shown)
})
$("detail-close").addEventListener("click", () => $("detail").close())
$("detail").addEventListener("close", () => {
  stopFollowing()
  refresh()
})

$("replay").addEventListener("click", async () => {
  const id = detail.id
  if (!(await ask(`Replay ${id}? Its handler runs again, whatever its status.`, "Replay"))) return
  try {
    await api(`delivery/replay?id=${encodeURIComponent(id)}`, "POST")
    say("Replay asked: waiting for its attempt…")
    follow(detail.shown?.attempts ?? 0)
  } catch (error) {
    say(`Could not replay: ${error.message}`)
  }
})

$("discard").addEventListener("click", async () => {
  const id = detail.id
  if (!(await ask(`Discard the dead letter ${id}? It is deleted for good.`, "Discard"))) return
  try {
    await api(`delivery/discard?id=${encodeURIComponent(id)}`, "POST")
    $("detail").close()
    live(`Discarded ${id}.`)
  } catch (error) {
    say(`Could not discard: ${error.message}`)
  }
})

$("recover").addEventListener("submit", async (event) => {
  event.preventDefault()
  const form = event.target
  const since = fromInput(form.elements.since.value)
  const status = form.elements.status.value
  const which = status.replace(",", " and ")
  // Fixed now, so that the count asked about and the recover cover the same window.
  const query = new URLSearchParams({ since: since.toISOString(), until: new Date().toISOString(), status })
  let count
  try {
    count = (await api(`recover?${query}`)).count
  } catch (error) {
    $("recover-result").textContent = `Could not count what to recover: ${error.message}`
    return
  }
  if (count === 0) {
    $("recover-result").textContent = `Nothing ${which} was received since ${utc(since.getTime())}: nothing to recover.`
    return
  }
  const many = count === 1 ? "1 delivery" : `${count} deliveries`
  if (!(await ask(`Replay ${many} (${which}) received since ${utc(since.getTime())}?`, "Recover"))) return
  try {
    const { recovered } = await api(`recover?${query}`, "POST")
    $("recover-result").textContent = `Recovered ${recovered} ${recovered === 1 ? "delivery" : "deliveries"}: ` +
      "each is replayed within seconds."
    refresh()
  } catch (error) {
    $("recover-result").textContent = `Could not recover: ${error.message}`
  }
})

setInterval(() => {
  if (!paused()) refresh()
}, REFRESH_MS)
restoreFilters()
refresh()
