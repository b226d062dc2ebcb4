// The web console in a real browser: starts the real daemon on loopback
// ports with the bundled Chinese classifiers, drives Debian's Chromium
// headless through playwright-core, classifies an article, checks the
// labels and the highlighted evidence, drops a new manifest into the
// plugin directory and waits for its classifier to appear in the table
// without reloading the page, checks the page on a phone-sized screen, and
// saves a screenshot.
//
//   node console_test.js DAEMON PLUGIN_LIB_DIR SOURCE_DIR SCREENSHOT [CHROMIUM]
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const [daemonBinary, pluginLibDir, sourceDir, screenshotPath,
       browserPath = "/usr/bin/chromium"] = process.argv.slice(2);
const patience = 30_000;

const ARTICLE = "台风“杜苏芮”在福建晋江沿海登陆，登陆时中心附近最大风力15级。" +
  "受其影响，福建、浙江多地出现暴雨到大暴雨，部分地区发生洪水，" +
  "当地已紧急转移群众3万余人。气象台继续发布台风红色预警。";

// A bundled manifest with its relative paths made absolute.
function manifest(name) {
  const dir = path.join(sourceDir, "models", "plugins.d");
  return fs.readFileSync(path.join(dir, `${name}.toml`), "utf8")
    .replace(/"\.\.\//g, `"${path.join(sourceDir, "models")}/`);
}

async function waitForFile(file, daemon) {
  const deadline = Date.now() + patience;
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null) throw new Error("classifyd exited early");
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8").trim()) {
      return fs.readFileSync(file, "utf8").trim();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`classifyd never wrote ${file}`);
}

async function startDaemon(work) {
  const plugins = path.join(work, "plugins");
  fs.mkdirSync(plugins, { mode: 0o755 });
  for (const name of ["lexicon", "news-topics"]) {
    fs.writeFileSync(path.join(plugins, `${name}.toml`), manifest(name));
  }
  const log = fs.openSync(path.join(work, "daemon.log"), "w");
  const daemon = spawn(daemonBinary, [
    "--listen", "127.0.0.1:0", "--port-file", path.join(work, "port"),
    "--http-listen", "127.0.0.1:0", "--http-port-file", path.join(work, "http"),
    "--plugin-dir", plugins, "--plugin-lib-dir", pluginLibDir,
    "--runtime-dir", work, "--reload-debounce-ms", "50",
  ], { stdio: ["ignore", log, log] });
  await waitForFile(path.join(work, "port"), daemon);
  const port = await waitForFile(path.join(work, "http"), daemon);
  return { daemon, plugins, url: `http://127.0.0.1:${port}/` };
}

async function classifyAndSeeEvidence(page) {
  // Labelled, so reachable by its label as a screen reader would.
  await page.getByLabel(/Article text/).fill(ARTICLE);
  await page.getByLabel(/Article text/).press("Control+Enter");
  await page.locator("#labels li").first().waitFor({ timeout: patience });
  const labels = await page.locator("#labels .label-name").allTextContents();
  assert.ok(labels.includes("disaster"), `labels: ${labels}`);
  const by = await page.locator("#labels .by").allTextContents();
  assert.ok(by.some((t) => /by (lexicon|news-topics) \(generation \d+\)/.test(t)), `by: ${by}`);
  const marks = await page.locator("#highlighted mark").allTextContents();
  for (const term of ["台风", "暴雨", "洪水"]) {
    assert.ok(marks.some((m) => m.includes(term)), `${term} not in highlighted: ${marks}`);
  }
  const text = await page.locator("#highlighted").textContent();
  assert.equal(text, ARTICLE, "the highlighted copy keeps the whole text");
}

async function seeHotLoadedClassifier(page, plugins) {
  const names = () => page.locator("#classifiers tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.dataset.name));
  await page.locator('#classifiers tr[data-name="news-topics"]').waitFor({ timeout: patience });
  assert.deepEqual(await names(), ["lexicon", "news-topics"]);
  // The call figures come from the daemon's metrics: the article above
  // was one document for each classifier.
  await page.waitForFunction(
    () => document.querySelectorAll('tr[data-name="lexicon"] td.num')[1]?.textContent === "1",
    null, { timeout: patience });
  fs.writeFileSync(path.join(plugins, "lexicon-copy.toml"), manifest("lexicon"));
  const row = page.locator('#classifiers tr[data-name="lexicon-copy"]');
  await row.waitFor({ timeout: patience });
  await page.waitForFunction(
    () => document.querySelector('tr[data-name="lexicon-copy"] td.state-READY') !== null,
    null, { timeout: patience });
  // And a broken one shows as FAILED, with its error.
  fs.writeFileSync(path.join(plugins, "broken.toml"), 'plugin = "/nonexistent/nothing.so"\n');
  await page.locator('#classifiers tr[data-name="broken"] .state-FAILED').waitFor({ timeout: patience });
}

async function fitsAPhone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "classifyd-console-"));
  const { daemon, plugins, url } = await startDaemon(work);
  const browser = await chromium.launch({
    executablePath: browserPath, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const failures = [];
    page.on("pageerror", (e) => failures.push(e.message));
    await page.goto(url);
    await classifyAndSeeEvidence(page);
    await seeHotLoadedClassifier(page, plugins);
    assert.deepEqual(failures, [], "no script errors");
    await page.screenshot({ path: screenshotPath, fullPage: true });
    await fitsAPhone(page);
    console.log(`console test passed; screenshot in ${screenshotPath}`);
  } catch (error) {
    console.error(fs.readFileSync(path.join(work, "daemon.log"), "utf8"));
    throw error;
  } finally {
    await browser.close();
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.once("exit", resolve));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
