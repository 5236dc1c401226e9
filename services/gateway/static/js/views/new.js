// The new-ticket form: a repository of the tenant, a title and a description.
import { get, post } from "../api.js";
import { h, mount, flash, empty } from "../ui.js";

export async function newTicketView() {
  const { items } = await get("/v1/repos");
  if (!items.length) {
    mount(h("h1", {}, "New ticket"), empty("Your tenant has no repository yet; an admin connects one first."));
    return;
  }
  const repo = h("select", { id: "ticket-repo", name: "repo", required: true },
    items.map((r) => h("option", { value: r.name }, `${r.name} — ${r.url}`)));
  const title = h("input", { id: "ticket-title", name: "title", required: true, maxlength: 200, placeholder: "What should change?" });
  const body = h("textarea", { id: "ticket-body", name: "body", rows: 10, maxlength: 20000,
    placeholder: "Describe the behaviour you want, the acceptance criteria, and anything the crew should know." });
  const send = h("button", { class: "primary", type: "submit", id: "ticket-submit" }, "Submit ticket");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  mount(
    h("h1", {}, "New ticket"),
    h("form", {
      class: "card stack wide",
      onsubmit: async (event) => {
        event.preventDefault();
        send.disabled = true;
        error.hidden = true;
        try {
          const job = await post("/v1/jobs", { repo: repo.value, title: title.value.trim(), body: body.value });
          flash("Ticket submitted: the crew is on it.", "ok");
          location.hash = `#/jobs/${job.job_id}`;
        } catch (e) {
          error.textContent = e.message;
          error.hidden = false;
          send.disabled = false;
        }
      },
    },
    h("label", { for: "ticket-repo" }, "Repository"), repo,
    h("label", { for: "ticket-title" }, "Title"), title,
    h("label", { for: "ticket-body" }, "Description"), body,
    h("p", { class: "muted small" }, "Tickets are scanned for secrets before anything else sees them."),
    error, send),
  );
}
