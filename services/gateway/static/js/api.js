// The one way the dashboard talks to the gateway: the public /v1 API with a bearer header.
import { currentToken, signOut, operatorTenant } from "./auth.js";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  const token = currentToken();
  if (token) out.Authorization = `Bearer ${token}`;
  const tenant = operatorTenant();
  if (tenant) out["X-DevForge-Tenant"] = tenant;
  return out;
}

async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    return JSON.stringify(body);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) {
    const detail = await detailOf(response);
    signOut(`Signed out: ${detail}`);
    throw new ApiError(401, detail);
  }
  if (!response.ok) throw new ApiError(response.status, await detailOf(response));
  return response.status === 204 ? null : response.json();
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});

// Server-sent events over fetch (EventSource cannot send an Authorization header). Resumes from
// the last id it saw after a dropped connection; stops when the server ends the stream.
export function follow(path, onEvent, { onEnd = () => {}, onState = () => {} } = {}) {
  const controller = new AbortController();
  let lastId = null;
  let stopped = false;

  async function once() {
    const extra = { Accept: "text/event-stream" };
    if (lastId !== null) extra["Last-Event-ID"] = String(lastId);
    const response = await fetch(path, { headers: headers(extra), signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, await detailOf(response));
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame = { id: null, event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const at = line.indexOf(":");
          const field = at < 0 ? line : line.slice(0, at);
          const text = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
          if (field === "id") frame.id = Number(text);
          else if (field === "event") frame.event = text;
          else if (field === "data") frame.data += (frame.data ? "\n" : "") + text;
        }
        if (frame.id === null && !frame.data) continue;
        if (frame.id !== null) lastId = frame.id;
        onEvent(frame.event, frame.data ? JSON.parse(frame.data) : {}, frame.id);
      }
    }
  }

  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        await once();
        stopped = true;  // the server ends the stream after the job's last event
        onState("ended");
        onEnd();
      } catch (error) {
        if (stopped || error.name === "AbortError") return;
        if (error instanceof ApiError && error.status < 500) { onState("error"); return; }
        onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 8000);
      }
    }
  })();

  return () => { stopped = true; controller.abort(); };
}
