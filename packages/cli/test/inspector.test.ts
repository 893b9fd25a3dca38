/**
 * The inspector page in a real browser: Debian's Chromium driven by playwright-core, against the receiver composed
 * as `npm start` composes it (in this process, with a handler the test makes fail and succeed, its inbox on a SQLite
 * file). Screenshots at phone and desktop width go to the test's temporary folder, and with SAVE_SCREENSHOT=1 the
 * desktop one to docs/inspector.png too (the README's).
 */
import { copyFile, mkdir } from "node:fs/promises"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { WebhookTesting } from "effect4-openai-webhooks"
import { type Inspected, SECRET, startInspected } from "./support/inspector.js"
import { root } from "../../engine/test/support/process.js"

const CHROMIUM = "/usr/bin/chromium"
const TOKEN = "inspector-token-for-the-browser-0123"

let browser: Browser
let receiver: Inspected
/** While true, the handler fails, as a handler whose downstream is down, with `failure` as its error. */
let failing = false
let failure = "the downstream API answered 503"
/** Errors thrown in any page: each test ends asserting there were none. */
const pageErrors: Array<string> = []

beforeAll(async () => {
  // CI installs it (.ci/run): a missing browser is a failure, said plainly, never a silent skip.
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the inspector's tests need it (apt-get install chromium)`
    )
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
  })
  receiver = await startInspected(
    () => failing ? Effect.fail(new Error(failure)) : Effect.void,
    { WEBHOOK_INSPECTOR_TOKEN: TOKEN }
  )
})

afterAll(async () => {
  await browser?.close()
  await receiver?.close()
})

/** A page signed in as a person does: the printed address, which trades the token for the cookie. */
const signIn = async (context: BrowserContext): Promise<Page> => {
  const page = await context.newPage()
  page.on("pageerror", (error) => pageErrors.push(error.message))
  const response = await page.goto(`${receiver.origin}/inbox?token=${TOKEN}`)
  assert.strictEqual(response?.status(), 200)
  // The token left the address bar (and so the history).
  assert.strictEqual(page.url(), `${receiver.origin}/inbox`)
  return page
}

/** A body holding markup that would run if it were ever inserted as HTML. */
const hostile = (() => {
  const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: SECRET })
  const event = JSON.parse(signed.body)
  return JSON.stringify({ ...event, data: { ...event.data, id: "<script>window.__pwned = 1</script>" } })
})()

describe("the inspector page", () => {
  it("finds a failed delivery by filter, replays it after the fix, and shows it done", async () => {
    for (let i = 1; i <= 3; i++) {
      const event = WebhookTesting.sample(i === 2 ? "batch.completed" : "response.completed")
      assert.strictEqual((await receiver.deliver({ id: `msg_page_done_${i}`, event })).status, 200)
    }
    failing = true
    const failed = await receiver.deliver({ id: "msg_page_failed", event: WebhookTesting.sample("video.completed") })
    assert.strictEqual(failed.status, 500)
    // Another that failed, left failed: the filter shows both, the replay changes one.
    const other = await receiver.deliver({ id: "msg_page_other", event: WebhookTesting.sample("eval.run.failed") })
    assert.strictEqual(other.status, 500)

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await signIn(context)
    await page.locator("#live", { hasText: "shown" }).waitFor()

    // Filter to failed: the list holds failed deliveries only, ours among them.
    await page.getByRole("checkbox", { name: "failed", exact: true }).check()
    await page.waitForFunction(() => {
      const badges = [...document.querySelectorAll("#list tbody .badge")]
      return badges.length > 0 && badges.every((badge) => badge.textContent === "failed") &&
        document.querySelector("#list button[data-id='msg_page_failed']") !== null
    })

    // Open it from the keyboard.
    await page.locator("#list button[data-id='msg_page_failed']").focus()
    await page.keyboard.press("Enter")
    const status = page.locator("#detail-status")
    await status.filter({ hasText: /^failed$/ }).waitFor()
    assert.include(await page.locator("#detail-attempts").textContent(), "the downstream API answered 503")
    assert.include(await page.locator("#detail-headers").textContent(), "webhook-id: msg_page_failed")
    assert.notInclude(await page.locator("#detail-headers").textContent(), "v1,")
    assert.strictEqual(JSON.parse((await page.locator("#detail-body").textContent())!).type, "video.completed")
    assert.isFalse(await page.locator("#discard").isVisible(), "Discard is for dead letters only")

    // The fix, then Replay, confirmed once.
    failing = false
    await page.getByRole("button", { name: "Replay…" }).click()
    const confirm = page.locator("#confirm")
    await confirm.waitFor({ state: "visible" })
    assert.include(await confirm.textContent(), "msg_page_failed")
    await confirm.getByRole("button", { name: "Replay" }).click()
    await status.filter({ hasText: /^done$/ }).waitFor()
    await page.locator("#detail-message", { hasText: "Replayed: done." }).waitFor()
    assert.strictEqual(await page.locator("#detail-attempts li").count(), 2)
    // The replay's attempt says so; the first does not.
    assert.notInclude(await page.locator("#detail-attempts li").nth(0).textContent(), "replayed")
    assert.include(await page.locator("#detail-attempts li").nth(1).textContent(), "Attempt 2: processed replayed")

    // Closed, the list refreshes on its own: only the other one is left failed.
    await page.keyboard.press("Escape")
    await page.locator("#list tbody tr", { hasText: "msg_page_other" }).waitFor()
    // The refresh comes on its own: wait for the replayed row to leave the failed list (a row still there when the
    // wait runs out fails the test), rather than counting rows at a moment that may precede the refresh.
    await page.locator("#list tbody tr", { hasText: "msg_page_failed" }).waitFor({ state: "detached" })
    assert.strictEqual(await page.locator("#list tbody tr", { hasText: "msg_page_failed" }).count(), 0)
    await page.getByRole("checkbox", { name: "failed", exact: true }).uncheck()
    await page.locator("#list tbody tr", { hasText: "msg_page_failed" }).filter({ hasText: "done" }).waitFor()
    await page.locator("#counts li", { hasText: "failed" }).filter({ hasText: /^1 failed$/ }).waitFor()
    assert.include(await page.locator("#chart svg title").first().textContent(), "deliveries received in the last hour")

    await page.screenshot({ path: join(receiver.dir, "inspector-desktop.png") })
    if (process.env["SAVE_SCREENSHOT"] === "1") {
      await mkdir(join(root, "docs"), { recursive: true })
      await copyFile(join(receiver.dir, "inspector-desktop.png"), join(root, "docs", "inspector.png"))
    }
    await page.setViewportSize({ width: 375, height: 812 })
    // At phone width nothing is wider than the screen.
    assert.isAtMost(await page.evaluate(() => document.documentElement.scrollWidth), 375)
    await page.screenshot({ path: join(receiver.dir, "inspector-phone.png"), fullPage: true })

    // Recover since an hour ago, confirmed once: the other one is replayed, and nothing failed is left.
    // The page reads its times as UTC, as it shows them.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19)
    const recover = page.locator("#recover")
    await recover.getByLabel("Received since").fill(hourAgo)
    await recover.getByLabel("Which").selectOption("failed")
    await recover.getByRole("button", { name: "Recover…" }).click()
    await confirm.waitFor({ state: "visible" })
    // It says how many before the confirmation, and when since, in UTC.
    assert.include(
      await confirm.textContent(),
      `Replay 1 delivery (failed) received since ${hourAgo.replace("T", " ")} UTC?`
    )
    await confirm.getByRole("button", { name: "Recover" }).click()
    await page.locator("#recover-result", { hasText: "Recovered 1 delivery" }).waitFor()
    await page.locator("#list tbody tr", { hasText: "msg_page_other" }).filter({ hasText: "done" }).waitFor()
    await page.locator("#counts li", { hasText: "failed" }).filter({ hasText: /^0 failed$/ }).waitFor()
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("shows a body holding <script> as text, and runs nothing of it", async () => {
    assert.strictEqual((await receiver.deliver({ id: "msg_page_script", payload: hostile })).status, 200)
    const context = await browser.newContext()
    const page = await signIn(context)
    await page.locator("#list button[data-id='msg_page_script']").click()
    await page.locator("#detail-status", { hasText: "done" }).waitFor()
    assert.include(await page.locator("#detail-body").textContent(), "\"id\": \"<script>window.__pwned = 1</script>\"")
    assert.strictEqual(await page.locator("#detail-body script").count(), 0)
    assert.isUndefined(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned))
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("opens and replays deliveries whose ids a browser takes for path steps: . and ..", async () => {
    for (const id of [".", ".."]) {
      failing = true
      assert.strictEqual((await receiver.deliver({ id, event: WebhookTesting.sample("batch.failed") })).status, 500)
    }
    failing = false
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await signIn(context)
    for (const id of [".", ".."]) {
      await page.locator(`#list button[data-id="${id}"]`).click()
      await page.locator("#detail-title", { hasText: new RegExp(`^${id.replaceAll(".", "\\.")}$`) }).waitFor()
      await page.locator("#detail-status", { hasText: /^failed$/ }).waitFor()
      assert.include(await page.locator("#detail-headers").textContent(), `webhook-id: ${id}\n`)
      await page.getByRole("button", { name: "Replay…" }).click()
      await page.locator("#confirm").getByRole("button", { name: "Replay" }).click()
      await page.locator("#detail-status", { hasText: /^done$/ }).waitFor()
      await receiver.waitForLine({ message: "inspector: replayed", webhook_id: id })
      await page.keyboard.press("Escape")
    }
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("shows every time in UTC and says so, whatever the browser's zone; a click on a row opens it", async () => {
    assert.strictEqual((await receiver.deliver({ id: "msg_page_utc", event: WebhookTesting.sample("batch.completed") }))
      .status, 200)
    const context = await browser.newContext({
      timezoneId: "America/Los_Angeles",
      viewport: { width: 1100, height: 900 }
    })
    const page = await signIn(context)
    const row = page.locator("#list tbody tr", { hasText: "msg_page_utc" })
    const shown = (await row.locator("time").textContent())!
    assert.match(shown, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    // The instant it names is the one received, read as UTC (the browser's zone is 7 or 8 hours away).
    const instant = (await row.locator("time").getAttribute("datetime"))!
    assert.strictEqual(shown, `${instant.slice(0, 19).replace("T", " ")} UTC`)
    // A click on the row's type (not on its id) opens it.
    await row.locator("td").nth(1).click()
    await page.locator("#detail-title", { hasText: "msg_page_utc" }).waitFor()
    assert.match((await page.locator("#detail-fields time").first().textContent())!, / UTC$/)
    assert.match((await page.locator("#detail-headers").textContent())!, /\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/)
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("keeps its filters in the address: a reload or a shared link shows the same list", async () => {
    const context = await browser.newContext()
    const page = await signIn(context)
    await page.locator("#live", { hasText: "shown" }).waitFor()
    await page.getByRole("checkbox", { name: "done", exact: true }).check()
    await page.getByLabel("Event type").fill("batch.")
    await page.getByRole("button", { name: "Apply" }).click()
    await page.waitForURL((url) =>
      url.searchParams.get("status") === "done" && url.searchParams.get("type") === "batch."
    )
    const shared = page.url()
    const other = await context.newPage()
    await other.goto(shared)
    assert.isTrue(await other.getByRole("checkbox", { name: "done", exact: true }).isChecked())
    assert.strictEqual(await other.getByLabel("Event type").inputValue(), "batch.")
    await other.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#list tbody tr[data-row]")]
      return rows.length > 0 &&
        rows.every((row) => /done/.test(row.textContent ?? "") && /batch\./.test(row.textContent ?? ""))
    })
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("shows the body raw, byte for byte, on request", async () => {
    // Spacing, key order and escapes of the sender's own: what the signature was computed over.
    const sample = WebhookTesting.sample("batch.completed")
    const event = JSON.parse(WebhookTesting.unsafeSign({ event: sample, secret: SECRET }).body)
    const payload = `{ "type":"batch.completed",\n  "id" : ${JSON.stringify(event.id)}, "object":"event", ` +
      `"created_at":${event.created_at},\t"data":{"id":"batch_\\u00e9"} }`
    assert.strictEqual((await receiver.deliver({ id: "msg_page_raw", payload })).status, 200)
    const context = await browser.newContext()
    const page = await signIn(context)
    await page.locator("#list button[data-id='msg_page_raw']").click()
    await page.locator("#detail-status", { hasText: "done" }).waitFor()
    assert.notStrictEqual(await page.locator("#detail-body").textContent(), payload)
    await page.getByRole("button", { name: "Show raw" }).click()
    await page.locator("#raw[aria-pressed=true]").waitFor()
    assert.strictEqual(await page.locator("#detail-body").textContent(), payload)
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("fits a long id and a long error: in the dialog at 375 px, and the Last error column on a desktop", async () => {
    const id = `msg_${"0123456789abcdef".repeat(12)}`
    failing = true
    failure = `the downstream API answered 503: ${"upstream_connect_error_or_disconnect_before_headers ".repeat(4)}`
    assert.strictEqual((await receiver.deliver({ id, event: WebhookTesting.sample("batch.failed") })).status, 500)
    failing = false
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await signIn(context)
    const row = page.locator(`#list tr[data-row="${id}"]`)
    await row.waitFor()
    // The whole table within its box (nothing cut at its edge), the error's cell inside it and showing its words.
    const fits = await page.evaluate(() => {
      const box = document.querySelector("#list")!.parentElement!
      return box.scrollWidth <= box.clientWidth
    })
    assert.isTrue(fits, "the list is wider than its box: its last column is cut")
    const cell = row.locator("td.error")
    const [cellBox, listBox] = [await cell.boundingBox(), await page.locator("#list").locator("xpath=..").boundingBox()]
    assert.isAtMost(cellBox!.x + cellBox!.width, listBox!.x + listBox!.width + 1)
    assert.include(await cell.textContent(), "upstream_connect_error_or_disconnect_before_headers")
    await page.setViewportSize({ width: 375, height: 812 })
    await row.click()
    await page.locator("#detail-status", { hasText: "failed" }).waitFor()
    const overflow = await page.evaluate(() => {
      const dialog = document.querySelector("#detail")!
      return { dialog: dialog.scrollWidth - dialog.clientWidth, right: dialog.getBoundingClientRect().right }
    })
    assert.isAtMost(overflow.dialog, 0, "the dialog scrolls sideways")
    assert.isAtMost(overflow.right, 375)
    assert.isAtMost(await page.evaluate(() => document.documentElement.scrollWidth), 375)
    await page.screenshot({ path: join(receiver.dir, "inspector-phone-dialog.png") })
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("shows the endpoint's refused answers per minute, which the inbox never stores", async () => {
    const forged = WebhookTesting.unsafeSign({
      event: WebhookTesting.sample("batch.completed"),
      secret: `whsec_${Buffer.alloc(32, 9).toString("base64")}`
    })
    const rejected = await fetch(`${receiver.origin}/webhooks/openai`, {
      method: "POST",
      body: forged.body,
      headers: forged.headers
    })
    assert.strictEqual(rejected.status, 401)
    // And a copy of a delivery handled already, answered 200 without running the handler again.
    for (let copy = 0; copy < 2; copy++) {
      const event = WebhookTesting.sample("batch.completed")
      assert.strictEqual((await receiver.deliver({ id: "msg_page_copy", event })).status, 200)
    }
    const context = await browser.newContext()
    const page = await signIn(context)
    await page.locator("#answers-summary", { hasText: /refused in the last hour: .*\b1 rejected \(401\)/ }).waitFor()
    assert.match((await page.locator("#answers-summary").textContent())!, /\b1 copy was answered duplicate \(200\)\.$/)
    await page.locator("#answers-title + p + details summary").click()
    const minute = page.locator("#answers-table tbody tr").first()
    assert.match((await minute.locator("th").textContent())!, /^\d\d:\d\d$/)
    assert.strictEqual(await minute.locator("td.answer-rejected").textContent(), "1")
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("says plainly when the receiver stopped answering, and greys the numbers it can no longer vouch for", async () => {
    const other = await startInspected(() => Effect.void, { WEBHOOK_INSPECTOR_TOKEN: TOKEN })
    const context = await browser.newContext()
    const page = await context.newPage()
    page.on("pageerror", (error) => pageErrors.push(error.message))
    await page.goto(`${other.origin}/inbox?token=${TOKEN}`)
    await page.locator("#live", { hasText: "shown" }).waitFor()
    assert.isTrue(await page.locator("#stale").isHidden())
    await other.close()
    await page.locator("#stale", { hasText: /^The receiver stopped answering: nothing below is newer than .* UTC\./ })
      .waitFor()
    const opacity = await page.evaluate(() => Number(getComputedStyle(document.querySelector("main")!).opacity))
    assert.isBelow(opacity, 1)
    await context.close()
    assert.deepStrictEqual(pageErrors, [])
  })

  it("answers 401 and nothing else without the token: the page, its files and its API", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    for (const path of ["/inbox", "/inbox/app.js", "/inbox/style.css", "/inbox/api/deliveries", "/inbox/api/stats"]) {
      const response = await page.goto(`${receiver.origin}${path}`)
      assert.strictEqual(response?.status(), 401, path)
      assert.deepStrictEqual(await response?.json(), { error: { type: "Unauthorized" } })
    }
    const wrong = await page.goto(`${receiver.origin}/inbox?token=not-the-token-0123456`)
    assert.strictEqual(wrong?.status(), 401)
    assert.deepStrictEqual(await context.cookies(), [])
    await context.close()
  })
})
