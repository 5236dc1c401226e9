// Small DOM helpers. Text always goes in as text (never as HTML): job titles, tool output and
// diffs come from users and models.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Like replaceChildren, but skips null / false (conditional parts) instead of writing "null".
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function mount(...children) {
  return fill(document.getElementById("view"), ...children);
}

let flashTimer = null;
export function flash(message, kind = "error") {
  const el = document.getElementById("flash");
  el.textContent = message;
  el.className = `flash ${kind}`;
  el.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

const STATUS_TONE = {
  submitted: "info", accepted: "info", planned: "info", awaiting_plan_approval: "warn",
  in_progress: "busy", in_qa: "busy", publishing: "busy", completed: "ok",
  rejected: "bad", failed: "bad", cancelled: "muted",
};
export function statusBadge(status) {
  const label = (status || "unknown").replaceAll("_", " ");
  return h("span", { class: `badge ${STATUS_TONE[status] || "muted"}`, "data-status": status }, label);
}

const VERDICT_TONE = { allow: "ok", approved: "ok", deny: "bad", denied: "bad", needs_approval: "warn", awaiting: "warn" };
export function verdictBadge(verdict) {
  return h("span", { class: `badge ${VERDICT_TONE[verdict] || "muted"}`, "data-verdict": verdict },
    verdict.replaceAll("_", " "));
}

export function when(value) {
  if (!value) return "";
  const date = new Date(value);
  const delta = Math.round((Date.now() - date.getTime()) / 1000);
  const seconds = Math.abs(delta);
  let span;
  if (seconds < 60) span = `${seconds}s`;
  else if (seconds < 3600) span = `${Math.round(seconds / 60)}m`;
  else if (seconds < 86400) span = `${Math.round(seconds / 3600)}h`;
  const text = !span ? date.toLocaleDateString() : delta >= 0 ? `${span} ago` : `in ${span}`;
  return h("time", { datetime: date.toISOString(), title: date.toLocaleString() }, text);
}

export function money(usd) {
  const value = Number(usd || 0);
  return value < 0.01 && value > 0 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function empty(text) {
  return h("div", { class: "empty" }, text);
}
