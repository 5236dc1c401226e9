// Pull requests, and one PR's diff (the local forge keeps the diff itself).
import { get } from "../api.js";
import { h, mount, empty } from "../ui.js";

export async function prsView() {
  const { items } = await get("/v1/prs");
  mount(h("h1", {}, "Pull requests"),
    items.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["#", "Title", "Branch", "State"].map((c) => h("th", {}, c)))),
      h("tbody", {}, items.map((p) => h("tr", {},
        h("td", {}, `#${p.number}`),
        h("td", {}, h("a", { href: `#/prs/${p.job_id}` }, p.title || p.branch)),
        h("td", { class: "mono" }, `${p.branch} → ${p.base}`),
        h("td", {}, p.state)))))
      : empty("No pull requests yet."));
}

function renderDiff(diff) {
  const files = [];
  let current = null;
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git")) {
      current = { name: line.split(" b/").pop(), lines: [] };
      files.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith("index ") || line.startsWith("--- ") || line.startsWith("+++ ")) continue;
    current.lines.push(line);
  }
  return files.map((f) => {
    let added = 0;
    let removed = 0;
    const rows = f.lines.map((line) => {
      const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
      if (kind === "add") added += 1;
      if (kind === "del") removed += 1;
      return h("div", { class: `dl ${kind}` }, line || " ");
    });
    return h("section", { class: "diff-file card", "data-file": f.name },
      h("header", {}, h("span", { class: "mono" }, f.name), h("span", { class: "stat" },
        h("span", { class: "add" }, `+${added}`), " ", h("span", { class: "del" }, `−${removed}`))),
      h("div", { class: "diff" }, rows));
  });
}

export async function prView(jobId) {
  const pr = await get(`/v1/prs/${jobId}`);
  mount(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", { id: "pr-title" }, `#${pr.number} ${pr.title || ""}`),
        h("div", { class: "muted" }, h("span", { class: "mono" }, `${pr.branch} → ${pr.base}`), " · ", pr.state, " · ",
          h("a", { href: `#/jobs/${jobId}` }, "job timeline"))),
      pr.url && pr.url.startsWith("http") ? h("a", { class: "button secondary", href: pr.url, target: "_blank", rel: "noopener" }, "Open on the forge") : null),
    pr.body ? h("details", { class: "card" }, h("summary", {}, "Description"), h("pre", { class: "pre" }, pr.body)) : null,
    h("div", { id: "diff" }, pr.diff ? renderDiff(pr.diff) : empty("The forge shows this diff.")),
  );
}
