/**
 * How the `inbox` commands show the log: aligned tables for people, one JSON document for scripts.
 *
 * Everything shown comes from the wire (a `webhook-id`, an event type, a body, a handler's error): control
 * characters are escaped before they reach a terminal, so that no delivery can move the cursor, retitle the
 * window or hide a line. Colours only on a terminal, and never with `NO_COLOR` set (https://no-color.org).
 */
import type { WebhookInbox } from "effect4-openai-webhooks"

/** C0 and C1 controls and DEL, except the line breaks and tabs `keep` allows. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`

/** `text` with every control character escaped; line breaks and tabs kept when `multiline`. */
export const printable = (text: string, multiline = false): string =>
  text.replace(CONTROLS, (c) => multiline && (c === "\n" || c === "\t") ? c : escape(c))

/** The first line of `text`, printable, cut at `max` characters. */
export const firstLine = (text: string, max = 60): string => {
  const line = printable(text.trimStart().split("\n", 1)[0]!.trimEnd())
  return line.length > max ? `${line.slice(0, max - 3)}...` : line
}

/** An instant for a person: ISO 8601 in UTC to the second. */
export const iso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

/** A span of milliseconds for a person: `850 ms`, `12.3 s`, `4m 05s`, `3h 12m`, `2d 4h`. */
export const span = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`
  const seconds = Math.floor(ms / 1_000)
  const [big, small, unit, next, width] = seconds < 3_600
    ? [Math.floor(seconds / 60), seconds % 60, "m", "s", 2]
    : seconds < 86_400
    ? [Math.floor(seconds / 3_600), Math.floor(seconds / 60) % 60, "h", "m", 2]
    : [Math.floor(seconds / 86_400), Math.floor(seconds / 3_600) % 24, "d", "h", 1]
  return `${big}${unit} ${String(small).padStart(width, "0")}${next}`
}

/** `date` relative to `now`: `3m 05s ago`, or `in 10.0 s` for a time to come. */
export const ago = (date: Date, now: number): string => {
  const ms = now - date.getTime()
  return ms >= 0 ? `${span(ms)} ago` : `in ${span(-ms)}`
}

const useColour = (): boolean => process.stdout.isTTY === true && (process.env["NO_COLOR"] ?? "") === ""

const STATUS_COLOURS: Readonly<Record<WebhookInbox.Status, string>> = {
  processing: "36", // cyan
  done: "32", // green
  failed: "33", // yellow
  pending: "34", // blue
  dead: "31" // red
}

/** The status, in its colour on a terminal. */
export const status = (value: WebhookInbox.Status): Cell => ({
  text: value,
  paint: (padded) => useColour() ? `\u001b[${STATUS_COLOURS[value]}m${padded}\u001b[0m` : padded
})

/** A cell: its text, and how to colour it once padded (so that escapes never count in a column's width). */
export type Cell = string | { readonly text: string; readonly paint: (padded: string) => string }

const textOf = (cell: Cell) => typeof cell === "string" ? cell : cell.text

/**
 * Rows under a header, columns aligned (numbers in `right` to the right), two spaces apart, no trailing
 * spaces; one string ending in a line break.
 */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  right: ReadonlyArray<number> = []
): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => textOf(row[column] ?? "").length))
  )
  const line = (cells: ReadonlyArray<Cell>) =>
    cells.map((cell, column) => {
      const text = textOf(cell)
      const last = column === cells.length - 1
      const padded = right.includes(column)
        ? text.padStart(widths[column]!)
        : last
        ? text
        : text.padEnd(widths[column]!)
      return typeof cell === "string" ? padded : cell.paint(padded)
    }).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n") + "\n"
}

/** A list page for people: newest first, and how to ask for the next page. */
export const listTable = (page: WebhookInbox.ListPage): string => {
  if (page.deliveries.length === 0) return "no deliveries\n"
  const rows = page.deliveries.map((delivery) => [
    iso(delivery.receivedAt),
    printable(delivery.webhookId),
    printable(delivery.eventType ?? "-"),
    status(delivery.status),
    String(delivery.attempts),
    delivery.lastError === null ? "" : firstLine(delivery.lastError)
  ])
  const more = page.next === null ? "" : `more: add --after ${page.next}\n`
  return table(["RECEIVED", "WEBHOOK-ID", "TYPE", "STATUS", "ATTEMPTS", "LAST ERROR"], rows, [4]) + more
}

/** The body as people read it: JSON pretty-printed, anything else as received; escaped either way. */
export const body = (raw: string | null): string => {
  if (raw === null) return "(not stored: this delivery was received before the inbox kept bodies)"
  try {
    return printable(JSON.stringify(JSON.parse(raw), null, 2), true)
  } catch {
    return printable(raw, true)
  }
}

/** One delivery for people: its fields, its body, its attempts. */
export const detail = (delivery: WebhookInbox.DeliveryDetail, now: number): string => {
  const fields: Array<readonly [string, Cell]> = [
    ["webhook-id", printable(delivery.webhookId)],
    ["type", printable(delivery.eventType ?? "-")],
    ["status", status(delivery.status)],
    ["attempts", String(delivery.attempts)],
    ["timestamp", `${iso(delivery.timestamp)} (webhook-timestamp)`],
    ["received", `${iso(delivery.receivedAt)} (${ago(delivery.receivedAt, now)})`],
    ["updated", `${iso(delivery.updatedAt)} (${ago(delivery.updatedAt, now)})`]
  ]
  if (delivery.nextAttemptAt !== null) {
    fields.push(["next attempt", `${iso(delivery.nextAttemptAt)} (${ago(delivery.nextAttemptAt, now)})`])
  }
  if (delivery.lastError !== null) fields.push(["last error", firstLine(delivery.lastError, 100)])
  const width = Math.max(...fields.map(([name]) => name.length))
  const head = fields.map(([name, value]) => {
    const text = textOf(value)
    return `${name.padEnd(width)}  ${typeof value === "string" ? text : value.paint(text)}`
  }).join("\n")
  const attempts = delivery.history.length === 0 ? "no attempts recorded\n" : table(
    ["#", "STARTED", "DURATION", "OUTCOME", "ERROR"],
    delivery.history.map((attempt) => [
      String(attempt.attempt),
      iso(attempt.startedAt),
      attempt.durationMs === null ? "-" : span(attempt.durationMs),
      attempt.outcome ?? (attempt.endedAt === null ? "running" : "-"),
      attempt.error === null ? "" : firstLine(attempt.error)
    ]),
    [0, 2]
  )
  return `${head}\n\nbody\n${body(delivery.body)}\n\nattempts\n${attempts}`
}

/** Counts for people: by status, the oldest waiting delivery, then by event type (one column per status). */
export const statsTable = (stats: WebhookInbox.Stats, statuses: ReadonlyArray<WebhookInbox.Status>): string => {
  const byStatus = table(
    ["STATUS", "COUNT"],
    statuses.map((name) => [status(name), String(stats.byStatus[name])]),
    [1]
  )
  const oldest = stats.oldestPendingAgeMs === null
    ? "oldest pending or failed: none\n"
    : `oldest pending or failed: received ${span(stats.oldestPendingAgeMs)} ago\n`
  const types = new Map<string, Record<WebhookInbox.Status, number>>()
  for (const { count, eventType, status: name } of stats.byEventType) {
    const key = eventType ?? "-"
    const counts = types.get(key) ??
      Object.fromEntries(statuses.map((s) => [s, 0])) as Record<WebhookInbox.Status, number>
    counts[name] += count
    types.set(key, counts)
  }
  const byType = types.size === 0 ? "" : "\n" + table(
    ["TYPE", ...statuses.map((name) => name.toUpperCase())],
    [...types].sort(([a], [b]) => a.localeCompare(b)).map(([type, counts]) => [
      printable(type),
      ...statuses.map((name) => String(counts[name]))
    ]),
    statuses.map((_, i) => i + 1)
  )
  return byStatus + oldest + byType
}

// For scripts: the shapes' own field names, Dates as ISO strings, every field present (null when empty), in a
// fixed order, so that a field a later version adds to a shape appears here only when it is added here too.

const recordJson = (delivery: WebhookInbox.DeliveryRecord) => ({
  webhookId: delivery.webhookId,
  eventType: delivery.eventType,
  status: delivery.status,
  attempts: delivery.attempts,
  timestamp: delivery.timestamp.toISOString(),
  receivedAt: delivery.receivedAt.toISOString(),
  updatedAt: delivery.updatedAt.toISOString(),
  nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
  lastError: delivery.lastError
})

const attemptJson = (attempt: WebhookInbox.Attempt) => ({
  attempt: attempt.attempt,
  startedAt: attempt.startedAt.toISOString(),
  endedAt: attempt.endedAt?.toISOString() ?? null,
  outcome: attempt.outcome,
  durationMs: attempt.durationMs,
  error: attempt.error
})

/** `{ "deliveries": [...], "next": "..." | null }`. */
export const listJson = (page: WebhookInbox.ListPage) => ({
  deliveries: page.deliveries.map(recordJson),
  next: page.next
})

/** A delivery's fields, `body` (the raw text, or null) and `history` (its attempts, oldest first). */
export const detailJson = (delivery: WebhookInbox.DeliveryDetail) => ({
  ...recordJson(delivery),
  body: delivery.body,
  history: delivery.history.map(attemptJson)
})

/** `{ "byStatus": {...}, "byEventType": [...], "oldestPendingAgeMs": n | null }`. */
export const statsJson = (stats: WebhookInbox.Stats, statuses: ReadonlyArray<WebhookInbox.Status>) => ({
  byStatus: Object.fromEntries(statuses.map((name) => [name, stats.byStatus[name]])),
  byEventType: stats.byEventType.map(({ count, eventType, status }) => ({ eventType, status, count })),
  oldestPendingAgeMs: stats.oldestPendingAgeMs
})

/** One JSON document, one line break: what `--json` prints. */
export const json = (value: unknown): string => JSON.stringify(value, null, 2) + "\n"
