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
import { WebhookTesting } from "effect-openai-webhooks"
import { type Inspected, SECRET, startInspected } from "./support/inspector.js"
import { root } from "../../../test/support/process.js"

const CHROMIUM = "/usr/bin/chromium"
const TOKEN = "inspector-token-for-the-browser-0123"

let browser: Browser
let receiver: Inspected
/** While true, the handler fails, as a handler whose downstream is down. */
let failing = false
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
    () => failing ? Effect.fail(new Error("the downstream API answered 503")) : Effect.void,
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
    assert.include(await confirm.textContent(), `Replay 1 delivery (failed) received since ${hourAgo.replace("T", " ")} UTC?`)
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
