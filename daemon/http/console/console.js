// The classifyd web console: classifies the text in the form through
// POST /v1/classify and polls the classifier table. Plain DOM, no library;
// text from the server or the user only ever goes into textContent.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

async function getJson(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok && body.error) {
    throw new Error(`${body.error.code}: ${body.error.message}`);
  }
  return body;
}

// Every evidence string of every label (and of the classifiers that also
// gave it), longest first so a longer match wins over its parts.
function evidenceTerms(labels) {
  const terms = new Set();
  for (const label of labels) {
    for (const e of label.evidence || []) terms.add(e);
    for (const vote of label.alsoFrom || []) {
      for (const e of vote.evidence || []) terms.add(e);
    }
  }
  return [...terms].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
}

// The text as nodes, with each occurrence of a term in a <mark>.
function highlight(text, terms) {
  const nodes = [];
  let plain = "";
  for (let i = 0; i < text.length;) {
    const term = terms.find((t) => text.startsWith(t, i));
    if (term === undefined) { plain += text[i]; i += 1; continue; }
    if (plain) { nodes.push(document.createTextNode(plain)); plain = ""; }
    nodes.push(el("mark", { textContent: term }));
    i += term.length;
  }
  if (plain) nodes.push(document.createTextNode(plain));
  return nodes;
}

function labelItem(label) {
  const score = label.score || 0;
  const by = `${label.plugin} (generation ${label.generation})` +
    (label.lowConfidence ? ", best guess below the minimum score" : "");
  const item = el("li", {}, [
    el("span", { className: "label-name", textContent: label.name }),
    el("span", { className: "bar", style: `width:${Math.round(score * 8)}rem` }),
    el("span", { className: "score", textContent: score.toFixed(3) }),
    el("div", { className: "by", textContent: `by ${by}` }),
  ]);
  for (const vote of label.alsoFrom || []) {
    item.append(el("div", { className: "by",
      textContent: `also ${vote.plugin}: ${(vote.score || 0).toFixed(3)}` }));
  }
  const evidence = (label.evidence || []).join(", ");
  if (evidence) item.append(el("div", { className: "by", textContent: `evidence: ${evidence}` }));
  return item;
}

async function classify(event) {
  event.preventDefault();
  const text = $("article").value;
  $("classify-error").hidden = true;
  try {
    const response = await getJson("/v1/classify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    $("labels").replaceChildren(...response.labels.map(labelItem));
    if (response.labels.length === 0) {
      $("labels").append(el("li", { textContent: "No label." }));
    }
    $("language").textContent = response.language ? `(language: ${response.language})` : "";
    $("highlighted").replaceChildren(...highlight(text, evidenceTerms(response.labels)));
    $("result").hidden = false;
  } catch (error) {
    $("classify-error").textContent = error.message;
    $("classify-error").hidden = false;
  }
}

function classifierRow(info, stats) {
  const row = el("tr");
  row.dataset.name = info.name;
  const s = stats || {};
  const mean = s.batches ? `${s.meanBatchMs.toFixed(2)} ms` : "–";
  row.append(
    el("th", { scope: "row" }, [info.name,
      el("div", { className: "labels",
                  textContent: info.labels.length ? info.labels.join(", ") : "no labels" })]),
    el("td", { className: `state-${info.state}` }, [info.state,
      ...(info.error ? [el("div", { className: "error-detail", textContent: info.error })] : [])]),
    el("td", { className: "num", textContent: info.generation }),
    el("td", { className: "num", textContent: s.documents ?? "–" }),
    el("td", { className: "num", textContent: s.errors ?? "–" }),
    el("td", { className: "num", textContent: mean }));
  return row;
}

async function refresh() {
  try {
    const [list, stats, ready] = await Promise.all([
      getJson("/v1/classifiers"), getJson("/console/stats"),
      fetch("/readyz").then((r) => r.ok),
    ]);
    const rows = list.plugins.map((info) => classifierRow(info, stats.classifiers[info.name]));
    $("classifiers").tBodies[0].replaceChildren(...rows);
    $("readiness").textContent = ready ? "ready" : "not ready: no classifier can answer";
  } catch (error) {
    $("readiness").textContent = `cannot reach the daemon (${error.message})`;
  }
}

function acceptDrops(area) {
  area.addEventListener("dragover", (e) => { e.preventDefault(); area.classList.add("dragging"); });
  area.addEventListener("dragleave", () => area.classList.remove("dragging"));
  area.addEventListener("drop", async (e) => {
    area.classList.remove("dragging");
    const file = e.dataTransfer.files[0];
    if (!file) return;
    e.preventDefault();
    area.value = await file.text();
  });
}

$("classify-form").addEventListener("submit", classify);
$("article").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("classify-form").requestSubmit();
});
acceptDrops($("article"));
refresh();
setInterval(refresh, 1000);
