// The spec panel's browser checks, run in order on one page by run.mjs. Each check throws
// on failure and may return a short detail for its report line.
import path from "node:path";

const STAGES = ["requirements", "design", "tasks", "implement", "review"];
const ICONS = { passed: "✓", failed: "✗", none: "○" };

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  assert(a === e, `${what}: expected ${e}, got ${a}`);
}

function copy(value) {
  return JSON.parse(JSON.stringify(value));
}

async function collectViolations(run) {
  const found = await run.page.evaluate(() => window.__violations ?? []).catch(() => []);
  run.violations = [...(run.violations ?? []), ...found];
}

/** Loads the harness page; `feed: false` lets the panel draw only what it restored. */
async function open(run, { feed = true } = {}) {
  await collectViolations(run);
  await run.page.goto(`${run.server.origin}/${feed ? "" : "?feed=0"}`);
  if (feed) await run.page.locator("spec-panel main[data-spec]").waitFor();
  await settle(run);
}

async function settle(run) {
  await run.page.evaluate(() => window.__settle());
}

async function feed(run, spec) {
  await run.page.evaluate((value) => window.__feed(value), spec);
  await run.page.waitForFunction((title) => document.querySelector("spec-panel")?.shadowRoot?.querySelector("h1")?.textContent === title, spec.title);
  await settle(run);
}

async function posted(run) {
  return run.page.evaluate(() => window.__posted);
}

async function lastPosted(run) {
  return (await posted(run)).at(-1);
}

async function clearPosted(run) {
  await run.page.evaluate(() => { window.__posted.length = 0; });
}

/** What has the keyboard focus, looking through shadow roots. */
async function focused(run) {
  return run.page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    if (!active || active === document.body) return null;
    const host = active.getRootNode().host;
    const owner = host && host.tagName !== "SPEC-PANEL" ? host : active;
    const name = (owner.getAttribute("aria-label") || active.getAttribute("aria-label") || owner.textContent || "").trim();
    // A focus ring: an outline on the element or inside it, or (text fields) the focus border colour.
    const probe = document.createElement("span");
    probe.style.color = "var(--vscode-focusBorder)";
    document.body.append(probe);
    const focusColour = getComputedStyle(probe).color;
    probe.remove();
    const inside = (element) => [element, ...(element.shadowRoot ? element.shadowRoot.querySelectorAll("*") : [])];
    const rings = inside(active).some((element) => getComputedStyle(element).outlineStyle !== "none")
      || inside(owner).some((element) => getComputedStyle(element).borderTopColor === focusColour);
    return {
      tag: owner.tagName.toLowerCase(),
      className: active.className || "",
      action: owner.dataset?.action ?? null,
      task: owner.dataset?.task ?? null,
      section: owner.dataset?.section ?? null,
      name,
      ring: rings,
    };
  });
}

/** Presses Tab (or Shift+Tab) until `match(focus)` holds; returns every stop passed on the way. */
async function tabTo(run, match, { back = false, limit = 200 } = {}) {
  const stops = [];
  for (let step = 0; step < limit; step += 1) {
    await run.page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const focus = await focused(run);
    if (focus) stops.push(focus);
    if (focus && match(focus)) return stops;
  }
  throw new Error(`Tab never reached the target after ${limit} presses`);
}

const panel = (run, selector) => run.page.locator(`spec-panel ${selector}`);

function moveTasks(spec, moves) {
  const next = copy(spec);
  for (const task of next.tasks) if (moves[task.id]) task.state = moves[task.id];
  return next;
}

async function columnOf(run, task) {
  return run.page.evaluate((id) => {
    const card = document.querySelector("spec-panel").shadowRoot.querySelector(`li.task[data-task="${id}"]`);
    return card?.closest("[data-column]")?.dataset.column ?? null;
  }, task);
}

export const CHECKS = [
  ["the page loads, posts ready and draws the fixture", async (run) => {
    await run.page.goto(`${run.server.origin}/?feed=0`);
    await run.page.evaluate(() => sessionStorage.clear());
    await open(run);
    const first = (await posted(run))[0];
    equal(first, { type: "ready" }, "first message");
    const title = await panel(run, "h1").textContent();
    equal(title, run.fixture.title, "title");
    return `webview.js ${(run.server.webviewBytes / 1024).toFixed(0)} KB`;
  }],

  ["the stepper shows the five stages, the current one and the gate icons", async (run) => {
    const steps = await run.page.evaluate(() => [...document.querySelector("spec-panel").shadowRoot.querySelectorAll(".stepper .step")]
      .map((step) => ({ stage: step.dataset.stage, gate: step.dataset.gate, current: step.getAttribute("aria-current"),
        icon: step.querySelector(".gate-icon").textContent, run: step.querySelector("vscode-button[data-action=runStage]")?.textContent.trim() })));
    equal(steps.map((step) => step.stage), STAGES, "stages in order");
    const expected = STAGES.map((stage) => {
      const gate = run.fixture.gates.find((item) => item.stage === stage);
      return !gate || gate.passed === null ? "none" : gate.passed ? "passed" : "failed";
    });
    equal(steps.map((step) => step.gate), expected, "gate states");
    equal(steps.map((step) => step.icon), expected.map((state) => ICONS[state]), "gate icons");
    equal(steps.filter((step) => step.current === "step").map((step) => step.stage), [run.fixture.stage], "current stage");
    equal(steps.map((step) => step.run), STAGES.map((stage) => `Run ${stage}`), "run buttons");
    await clearPosted(run);
    await panel(run, `.step[data-stage=${run.fixture.stage}] vscode-button`).click();
    equal(await lastPosted(run), { type: "runStage", stage: run.fixture.stage }, "Run posts");
    return `current: ${run.fixture.stage}`;
  }],

  ["each gate lists its failing checks before the passing ones, forced ones marked", async (run) => {
    const gates = await run.page.evaluate(() => [...document.querySelector("spec-panel").shadowRoot.querySelectorAll(".gate")]
      .map((gate) => ({ stage: gate.dataset.gateStage, checks: [...gate.querySelectorAll(".check")]
        .map((check) => ({ passed: check.dataset.passed === "true", forced: check.classList.contains("forced"),
          badge: Boolean(check.querySelector(".forced-badge")), text: check.querySelector(".check-text").textContent })) })));
    equal(gates.map((gate) => gate.stage), run.fixture.gates.map((gate) => gate.stage), "gates shown");
    let failing = 0;
    for (const gate of gates) {
      const firstPass = gate.checks.findIndex((check) => check.passed);
      assert(firstPass === -1 || gate.checks.slice(firstPass).every((check) => check.passed), `${gate.stage}: a failing check after a passing one`);
      const source = run.fixture.gates.find((item) => item.stage === gate.stage).checks;
      equal(gate.checks.map((check) => check.text).sort(), source.map((check) => check.text).sort(), `${gate.stage} checks`);
      for (const check of gate.checks) assert(check.forced === check.badge, `${gate.stage}: "${check.text}" forced mark`);
      equal(gate.checks.filter((check) => check.forced).length, source.filter((check) => check.forced).length, `${gate.stage} forced`);
      failing += gate.checks.filter((check) => !check.passed).length;
    }
    return `${failing} failing checks listed first`;
  }],

  ["clarity shows each requirement's score and its open questions", async (run) => {
    const shown = await run.page.evaluate(() => [...document.querySelector("spec-panel").shadowRoot.querySelectorAll("article.requirement")]
      .map((item) => ({ id: item.dataset.requirement, score: item.querySelector(".score").textContent, meter: item.querySelector("meter")?.value ?? null,
        questions: [...item.querySelectorAll(".question")].map((question) => question.dataset.question) })));
    equal(shown, run.fixture.requirements.map((item) => ({
      id: item.id, score: item.clarity === null ? "not scored" : `${Math.round(item.clarity * 100)}%`, meter: item.clarity,
      questions: item.questions.map((question) => question.id) })), "requirements");
  }],

  ["typing an answer and pressing Enter posts it (and Send does too; an empty one is not sent)", async (run) => {
    await clearPosted(run);
    const field = panel(run, "#answer-R2-Q2 input");
    await field.fill("Print the header row even when there are no results.");
    await field.press("Enter");
    equal(await lastPosted(run), { type: "answer", requirement: "R2", question: "Q2", answer: "Print the header row even when there are no results." }, "answer on Enter");
    await settle(run);
    equal(await field.inputValue(), "", "the sent answer's box is emptied");
    await panel(run, "#answer-R2-Q1 input").fill("  Quote the field; keep commas.  ");
    await panel(run, ".question[data-question=Q1] vscode-button.send").click();
    equal(await lastPosted(run), { type: "answer", requirement: "R2", question: "Q1", answer: "Quote the field; keep commas." }, "answer on Send");
    const count = (await posted(run)).length;
    await panel(run, "#answer-R3-Q3 input").press("Enter");
    equal((await posted(run)).length, count, "messages after Enter in an empty box");
  }],

  ["Run and Mark done post runTask/markDone; an updated spec moves the tasks on the board", async (run) => {
    await clearPosted(run);
    await panel(run, "vscode-button[data-action=runTask][data-task=T4]").click();
    equal(await lastPosted(run), { type: "runTask", task: "T4" }, "Run T4");
    await panel(run, "vscode-button[data-action=markDone][data-task=T3]").click();
    equal(await lastPosted(run), { type: "markDone", task: "T3" }, "Mark T3 done");
    await panel(run, "vscode-button[data-action=showDiff][data-task=T1]").click();
    equal(await lastPosted(run), { type: "showDiff", task: "T1" }, "Show diff of T1");
    assert(await panel(run, "li.task[data-task=T1] pre.diff").count() === 1, "T1's diff is shown inline");
    equal([await columnOf(run, "T4"), await columnOf(run, "T3")], ["todo", "in_progress"], "columns before");
    const moved = moveTasks(run.fixture, { T4: "in_progress", T3: "done" });
    moved.title = `${run.fixture.title} `;
    await feed(run, moved);
    equal([await columnOf(run, "T4"), await columnOf(run, "T3")], ["in_progress", "done"], "columns after the update");
    assert(await panel(run, "vscode-button[data-action=showDiff][data-task=T3]").count() === 1, "T3 now offers Show diff");
  }],

  ["busy disables the actions and says what runs; an error is shown", async (run) => {
    await feed(run, run.fixture);
    await run.page.evaluate(() => window.__update({ type: "busy", action: "running T4" }));
    await settle(run);
    equal((await panel(run, ".banner.busy").textContent()).trim(), "Running T4…", "busy banner");
    const enabled = await run.page.evaluate(() => [...document.querySelector("spec-panel").shadowRoot
      .querySelectorAll("vscode-button[data-action]")].filter((button) => !button.hasAttribute("disabled")).length);
    equal(enabled, 0, "enabled action buttons while busy");
    await clearPosted(run);
    await panel(run, "vscode-button[data-action=runTask][data-task=T5]").click({ force: true });
    equal(await posted(run), [], "messages posted while busy");
    await run.page.evaluate(() => window.__update({ type: "busy", action: null }));
    await run.page.evaluate(() => window.__update({ type: "error", message: "spec clarify failed: R9 is not a requirement" }));
    await settle(run);
    assert(await panel(run, ".banner.busy").count() === 0, "the busy banner is gone");
    equal((await panel(run, "[role=alert] .grow").textContent()).trim(), "spec clarify failed: R9 is not a requirement", "error banner");
    await panel(run, "[role=alert] vscode-button").click();
    await settle(run);
    assert(await panel(run, "[role=alert]").count() === 0, "the error is dismissed");
  }],

  ["keyboard only: Tab reaches every action, each stop named and visibly focused; Space and Enter act", async (run) => {
    await feed(run, run.fixture);
    await clearPosted(run);
    await run.page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    const header = await tabTo(run, (focus) => focus.className === "collapsible-header");
    const gates = header.at(-1);
    await run.page.keyboard.press("Space");
    const closed = await panel(run, "vscode-collapsible[data-section=gates]").evaluate((element) => element.open);
    await run.page.keyboard.press("Enter");
    const reopened = await panel(run, "vscode-collapsible[data-section=gates]").evaluate((element) => element.open);
    equal([gates.section ?? "gates", closed, reopened], ["gates", false, true], "Space closes and Enter opens the Gates section");
    const stops = [...header, ...await tabTo(run, (focus) => focus.action === "markDone" && focus.task === "T5")];
    await run.page.keyboard.press("Space");
    equal(await lastPosted(run), { type: "markDone", task: "T5" }, "Space on Mark done T5");
    await tabTo(run, (focus) => focus.action === "runTask" && focus.task === "T5", { back: true, limit: 3 });
    await run.page.keyboard.press("Enter");
    equal(await lastPosted(run), { type: "runTask", task: "T5" }, "Enter on Run T5");
    stops.push(...await tabTo(run, (focus) => focus.action === "open" && focus.name.includes("cli_search.py:47")));
    await run.page.keyboard.press("Enter");
    equal((await lastPosted(run)).type, "open", "Enter on a drift link");
    equal((await lastPosted(run)).place.line, 47, "drift link line");
    const unnamed = stops.filter((stop) => !stop.name);
    assert(unnamed.length === 0, `unnamed tab stops: ${JSON.stringify(unnamed)}`);
    const noRing = stops.filter((stop) => !stop.ring);
    assert(noRing.length === 0, `no visible focus on: ${noRing.map((stop) => stop.name).join(", ")}`);
    const kinds = new Set(stops.map((stop) => stop.action ?? stop.tag));
    for (const kind of ["runStage", "answer", "vscode-textfield", "runTask", "markDone", "showDiff", "open"]) {
      assert(kinds.has(kind), `no ${kind} control in the tab order`);
    }
    return `${stops.length} tab stops, all named, all with a focus ring`;
  }],

  ["the review matrix highlights gaps; drift warnings are listed", async (run) => {
    const rows = await run.page.evaluate(() => [...document.querySelector("spec-panel").shadowRoot.querySelectorAll(".matrix tbody tr")]
      .map((row) => ({ requirement: row.dataset.requirement, gap: row.classList.contains("gap"), background: getComputedStyle(row).backgroundColor })));
    equal(rows.map((row) => [row.requirement, row.gap]), run.fixture.review.map((row) => [row.requirement, row.gap !== null]), "rows and gaps");
    const gap = rows.find((row) => row.gap);
    const complete = rows.find((row) => !row.gap);
    assert(gap.background !== complete.background, "gap rows look different");
    equal(await panel(run, ".drift-item").count(), run.fixture.drift.length, "drift warnings");
  }],

  ["state survives a reload: the spec, an unsent draft, a closed section and the scroll position", async (run) => {
    await feed(run, run.fixture);
    const draft = "10 000 results in under 2 seconds";
    await panel(run, "#answer-R3-Q3 input").fill(draft);
    await panel(run, "vscode-collapsible[data-section=review] .collapsible-header").click();
    await run.page.evaluate(() => window.scrollTo(0, 400));
    await run.page.waitForFunction(() => {
      const state = JSON.parse(sessionStorage.getItem("specpilot-panel-state") ?? "{}");
      return state.scrollY === 400 && state.open?.review === false && Object.keys(state.drafts ?? {}).length > 0;
    });
    await open(run, { feed: false });
    await run.page.locator("spec-panel main[data-spec]").waitFor();
    equal(await panel(run, "h1").textContent(), run.fixture.title, "restored title");
    equal(await panel(run, "#answer-R3-Q3 input").inputValue(), draft, "restored draft");
    equal(await panel(run, "vscode-collapsible[data-section=review]").evaluate((element) => element.open), false, "review section stays closed");
    await run.page.waitForFunction(() => Math.abs(window.scrollY - 400) <= 2, null, { timeout: 2000 });
    equal((await posted(run))[0], { type: "ready" }, "ready after the reload");
    await feed(run, run.fixture);
    equal(await panel(run, "#answer-R3-Q3 input").inputValue(), draft, "draft after a fresh spec");
  }],

  ["render time of the fixture (median of 10)", async (run) => {
    const blank = { ...copy(run.fixture), gates: [], requirements: [], tasks: [], review: [], drift: [] };
    const updates = [];
    const frames = [];
    for (let round = 0; round < 10; round += 1) {
      await run.page.evaluate((spec) => window.__measure(spec), blank);
      const timing = await run.page.evaluate((spec) => window.__measure(spec), run.fixture);
      updates.push(timing.update);
      frames.push(timing.frame);
    }
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      return (sorted[4] + sorted[5]) / 2;
    };
    run.renderTime = { update: median(updates), frame: median(frames) };
    assert(await panel(run, "li.task").count() === run.fixture.tasks.length, "the fixture is drawn");
    return `render: median ${run.renderTime.update.toFixed(1)} ms to the updated DOM, ${run.renderTime.frame.toFixed(1)} ms to the next drawn frame`;
  }],

  ["a screenshot is saved", async (run) => {
    await run.page.evaluate(() => sessionStorage.clear());
    await open(run);
    const file = path.join(run.artifacts, "spec-panel.png");
    await run.page.screenshot({ path: file, fullPage: true });
    return path.relative(process.cwd(), file);
  }],

  ["no CSP violation, no console error, no request outside 127.0.0.1", async (run) => {
    await collectViolations(run);
    equal(run.violations, [], "CSP violations");
    equal(run.consoleErrors, [], "console errors");
    // The policy is in force: a script without the nonce is refused and reported.
    const policy = await run.page.locator("meta[http-equiv=Content-Security-Policy]").getAttribute("content");
    assert(policy.startsWith("default-src 'none'; script-src 'nonce-"), `policy: ${policy}`);
    const control = await run.page.evaluate(async () => {
      const script = document.createElement("script");
      script.textContent = "window.__inlineRan = true;";
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { ran: window.__inlineRan === true, violations: window.__violations.splice(0) };
    });
    equal(control.ran, false, "a script without the nonce ran");
    assert(control.violations.some((violation) => violation.startsWith("script-src")), "the refused script was not reported");
    run.consoleErrors.length = 0;
    equal(run.outside, [], "requests outside the harness");
    equal(run.server.unknown, [], "unknown paths asked of the harness");
    return "a script without the nonce is refused";
  }],
];
