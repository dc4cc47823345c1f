// filler ui: plain JavaScript, no build step. Every call goes to the server this page came
// from, with the run's token in a header; the server does the work through filler.api.
"use strict";

const TOKEN = document.querySelector('meta[name="filler-token"]').content;
const $ = (id) => document.getElementById(id);
const SETTINGS = ["provider", "model", "base_url", "replies", "max_rounds", "samples", "jobs",
  "temperature", "test_timeout", "sandbox"];

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function call(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Filler-Token": TOKEN},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) {
    showError(data.error || response.statusText);
    throw new Error(data.error);
  }
  showError("");
  return data;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// The settings fields, remembered for the next page of this tab; the key never is.
function settings() {
  const given = {};
  for (const name of SETTINGS) {
    if ($(name)) given[name] = $(name).value;
  }
  sessionStorage.setItem("filler-settings", JSON.stringify(given));
  if ($("key")) given.key = $("key").value;
  return given;
}

function restoreSettings() {
  const saved = JSON.parse(sessionStorage.getItem("filler-settings") || "{}");
  for (const [name, value] of Object.entries(saved)) {
    if ($(name) && !$(name).value) $(name).value = value;
  }
}

const project = () => ($("project") ? $("project").value : "");
const query = (params) => new URLSearchParams(params).toString();

// --- live units: the Fill and Update pages, and a re-fill on the Review page -----------------

function tests(row) {
  return row.tests_total ? `${row.tests_passed}/${row.tests_total}` : "-";
}

function unitRow(row) {
  const tr = el("tr");
  tr.id = `unit-${row.unit}`;
  tr.append(el("td", row.unit), el("td", row.label, `state ${row.label}`), el("td", tests(row)),
    el("td", ""), el("td", row.tokens ? String(row.tokens) : "-"), el("td", "-"),
    el("td", row.seconds ? row.seconds.toFixed(1) : "-"), el("td", row.reason || ""));
  return tr;
}

async function showStatus() {
  const body = $("units") && $("units").tBodies[0];
  if (!body || !project()) return;
  const data = await call(`/api/status?${query({project: project()})}`);
  body.replaceChildren(...data.rows.map(unitRow));
}

function markQueued() {
  for (const tr of document.querySelectorAll("#units tbody tr")) {
    const state = tr.children[1];
    if (["stub", "stale"].includes(state.textContent)) {
      state.textContent = "queued";
      state.className = "state queued";
    }
  }
}

// After a job: a row still queued was not tried (failed before with this model, or the job
// stopped first); it shows its state from the lock again. Rows the job reported keep its figures.
async function settleQueued() {
  const data = await call(`/api/status?${query({project: project()})}`);
  for (const row of data.rows) {
    const tr = document.getElementById(`unit-${row.unit}`);
    if (tr && tr.children[1].textContent === "queued") tr.replaceWith(unitRow(row));
  }
}

// What a unit is doing until it ends: asking, repairing (a call with feedback), testing.
const ENDED = ["filled", "stub", "dry-run"];
function unitState(data) {
  const tr = document.getElementById(`unit-${data.unit}`);
  if (!tr || ENDED.includes(tr.children[1].textContent)) return;
  tr.children[1].textContent = data.state;
  tr.children[1].className = `state ${data.state}`;
}

function unitDone(record) {
  const tr = document.getElementById(`unit-${record.unit}`);
  if (!tr) return;
  const cost = record.stats.cost_usd;
  const cells = [record.outcome, tests(record), String(record.rounds), String(record.tokens),
    cost === null ? "-" : `$${cost.toFixed(4)}`, record.seconds.toFixed(1), record.reason];
  cells.forEach((text, i) => { tr.children[i + 1].textContent = text; });
  tr.children[1].className = `state ${record.outcome}`;
}

function summaryText(data) {
  const cost = data.cost_usd === null || data.cost_usd === undefined ? "" : `, $${data.cost_usd.toFixed(4)}`;
  return `${data.filled} filled and verified, ${data.stubs} left as stubs, ${data.calls} calls, ` +
    `${data.tokens} tokens${cost}, ${data.seconds.toFixed(1)} s`;
}

// Follow one job's events until it ends; `done` gets the last event's data.
function follow(job, since, done) {
  const state = $("job-state");
  const stop = $("stop");
  if (stop) stop.disabled = false;
  state.textContent = "running";
  const source = new EventSource(`/api/events?since=${since}`);
  const mine = (handler) => (event) => {
    const data = JSON.parse(event.data);
    if (data.job === job) handler(data, event.type);
  };
  source.addEventListener("started", mine(() => markQueued()));
  source.addEventListener("total", mine((data) => { state.textContent = `filling ${data.total} units`; }));
  source.addEventListener("state", mine(unitState));
  source.addEventListener("unit", mine(unitDone));
  for (const end of ["done", "stopped", "failed"]) {
    source.addEventListener(end, mine((data, type) => {
      source.close();
      if (stop) stop.disabled = true;
      state.textContent = type === "done" ? "done" : data.message;
      state.className = type;
      if (data.filled !== undefined && $("summary")) $("summary").textContent = summaryText(data);
      done(data, type);
    }));
  }
}

async function startJob(path, body, done) {
  const started = await call(path, body);
  follow(started.job, started.since, done);
}

// --- pages ---------------------------------------------------------------------------------

const PAGES = {
  spec() {
    let timer = null;
    const showProblems = (problems) => {
      $("spec-problems").replaceChildren(...problems.map((p) => el("li", p)));
      $("spec-valid").hidden = problems.length > 0;
    };
    const load = (data) => {
      $("spec-path").value = data.path;
      $("spec-text").value = data.text;
      showProblems(data.problems);
    };
    $("spec-text").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        showProblems((await call("/api/spec/check", {text: $("spec-text").value})).problems);
      }, 250);
    });
    $("plan").addEventListener("click", async () => {
      $("plan-state").textContent = "asking the model…";
      try {
        const data = await call("/api/plan", {idea: $("idea").value, features: $("features").value,
          output: $("output").value, force: $("force").checked, ...settings()});
        load(data);
        $("plan-state").textContent = `drafted by ${data.provider}/${data.model} in ${data.rounds} call(s)`;
      } catch (error) {
        $("plan-state").textContent = "";
      }
    });
    $("open").addEventListener("click", async () => load(await call("/api/spec/open", {path: $("open-path").value})));
    const save = async () => load(await call("/api/spec/save", {path: $("spec-path").value, text: $("spec-text").value}));
    $("save").addEventListener("click", save);
    $("render").addEventListener("click", async () => {
      await save();
      $("render-state").textContent = "rendering…";
      try {
        const data = await call("/api/new", {spec: $("spec-path").value, dest: $("dest").value});
        const link = el("a", `rendered into ${data.project}: fill it`);
        link.id = "rendered";
        link.href = `/fill?${query({project: data.project})}`;
        $("render-state").replaceChildren(link);
      } catch (error) {
        $("render-state").textContent = "";
      }
    });
  },

  fill() {
    showStatus();
    $("project").addEventListener("change", showStatus);
    $("start").addEventListener("click", async () => {
      await showStatus();
      $("summary").textContent = "";
      await startJob("/api/fill", {project: project(), only: $("only").value,
        force: $("force-units").value, retry: $("retry").checked, ...settings()}, settleQueued);
    });
    $("stop").addEventListener("click", () => call("/api/stop", {}));
  },

  review() {
    let units = [];
    const open = (unit) => {
      $("detail").hidden = false;
      $("detail").dataset.unit = unit.unit;
      $("detail-unit").textContent = unit.unit;
      const run = unit.run;
      $("detail-facts").textContent = `${unit.file} · ${unit.state} · ${tests(unit)} tests passed` +
        (run && run.reason ? ` · ${run.reason}` : "");
      const diff = $("detail-diff");
      diff.replaceChildren(...(unit.diff || "a stub: nothing written yet\n").split("\n").map((line) => {
        const kind = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
        return el("span", `${line}\n`, kind);
      }));
      $("detail-rejections").replaceChildren(...(run ? run.rejections : []).map(
        (r) => el("li", r.gate ? `${r.gate}: ${r.reason}` : r.reason)));
    };
    const load = async () => {
      const data = await call(`/api/review?${query({project: project(), run: $("run").value})}`);
      units = data.units;
      const run = data.run;
      $("run-summary").textContent = run.started_at
        ? `${run.path}: ${run.started_at} · ${run.provider}/${run.model} · ${run.seconds.toFixed(1)} s`
        : `${run.path}: no run yet`;
      $("review-units").tBodies[0].replaceChildren(...units.map((unit) => {
        const tr = el("tr");
        const link = el("a", unit.unit);
        link.href = "#";
        link.id = `review-${unit.unit}`;
        link.addEventListener("click", (event) => { event.preventDefault(); open(unit); });
        const cell = el("td");
        cell.append(link);
        const run = unit.run;
        tr.append(cell, el("td", unit.state, `state ${unit.state}`), el("td", run ? run.outcome : "-"),
          el("td", tests(unit)), el("td", run ? String(run.rounds) : "-"),
          el("td", run ? String(run.tokens) : "-"), el("td", unit.model));
        return tr;
      }));
      const shown = $("detail").dataset.unit;
      const again = units.find((unit) => unit.unit === shown);
      if (again) open(again);
    };
    $("load").addEventListener("click", load);
    $("refill").addEventListener("click", async () => {
      const unit = $("detail").dataset.unit;
      await startJob("/api/fill", {project: project(), only: unit, force: unit, ...settings()}, load);
    });
    $("manual").addEventListener("click", async () => {
      await call("/api/manual", {project: project(), unit: $("detail").dataset.unit});
      await load();
    });
    if (project()) load();
  },

  update() {
    const link = () => {
      $("download").href = `/api/download?${query({project: project(), internals: $("internals").checked ? "1" : "0"})}`;
    };
    link();
    $("project").addEventListener("input", link);
    $("internals").addEventListener("change", link);
    $("start").addEventListener("click", async () => {
      await showStatus();
      $("update-result").replaceChildren();
      await startJob("/api/update", {project: project(), data_file: $("data_file").value,
        vcs_ref: $("vcs_ref").value, ...settings()}, (data, type) => {
        if (type !== "done") return;
        const labels = {failing: "tests fail, yours to fix"};
        for (const name of ["added", "refilled", "kept", "edited_stale", "removed", "needs_review", "failing", "set_aside"]) {
          $("update-result").append(el("dt", labels[name] || name.replace("_", " ")), el("dd", data[name].join(", ") || "-"));
        }
        settleQueued();
      });
    });
    $("stop").addEventListener("click", () => call("/api/stop", {}));
  },
};

document.addEventListener("DOMContentLoaded", () => {
  restoreSettings();
  PAGES[document.body.dataset.page]();
});
