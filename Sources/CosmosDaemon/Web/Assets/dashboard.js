// cosmos-worker dashboard: live updates from the event stream, actions through the control API.
// No framework and nothing fetched from elsewhere: the daemon serves this file from its binary.
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const live = document.getElementById("live");
  const flash = document.getElementById("flash");
  const content = document.getElementById("content");

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function showError(text) {
    flash.textContent = text;
    flash.hidden = false;
  }

  // Re-reads the page's content from the server (the same URL with fragment=1) and swaps it in,
  // keeping open <details> open. Refreshes never overlap; one asked for during another runs after it.
  let refreshing = false;
  let pending = false;
  let timer = null;
  async function refresh() {
    if (refreshing) { pending = true; return; }
    refreshing = true;
    try {
      const url = new URL(location.href);
      url.searchParams.set("fragment", "1");
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { setLive("stale", "stale, reload"); return; }
      if (!response.ok) return;
      const html = await response.text();
      const open = [...content.querySelectorAll("details[open]")].map((d) => d.id).filter(Boolean);
      content.innerHTML = html;
      for (const id of open) { const d = document.getElementById(id); if (d) d.open = true; }
      content.dispatchEvent(new CustomEvent("refreshed"));
    } catch (error) {
      // The stream's state says what is wrong; the next event or reconnect refreshes again.
    } finally {
      refreshing = false;
      if (pending) { pending = false; schedule(); }
    }
  }
  function schedule() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; refresh(); }, 300);
  }

  // The event stream. EventSource reconnects by itself and resumes with Last-Event-ID; after a
  // reconnect the page re-reads its state, so nothing that happened meanwhile is missed.
  const names = (document.body.dataset.events || "").split(" ").filter(Boolean);
  let source = null;
  let downSince = null;
  function connect() {
    source = new EventSource("/v1/events?follow=true&since=" + encodeURIComponent(document.body.dataset.seq || "0"));
    source.onopen = () => {
      const wasDown = downSince !== null || live.dataset.state !== "connecting";
      downSince = null;
      setLive("live", "live");
      if (wasDown) refresh();
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive("stale", "stale, reload");
      } else {
        if (downSince === null) downSince = Date.now();
        setLive("reconnecting", "reconnecting…");
      }
    };
    for (const name of names) {
      source.addEventListener(name, (event) => {
        if (event.lastEventId) document.body.dataset.seq = event.lastEventId;
        if (name !== "cursor") schedule();
      });
    }
    source.addEventListener("resync", () => refresh());
  }
  // A stream that cannot come back within a minute is stale: say so rather than show old numbers.
  setInterval(() => {
    if (downSince !== null && Date.now() - downSince > 60000) setLive("stale", "stale, reload");
  }, 5000);

  async function send(method, path, body) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : body,
    });
    if (!response.ok) {
      let text = response.status + " " + response.statusText;
      try { const answer = await response.json(); if (answer.error) text = answer.error.message; } catch (e) {}
      showError(text);
      return false;
    }
    flash.hidden = true;
    return true;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-post], button[data-delete]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    let body = button.dataset.body;
    if (button.dataset.bodyMixed) {
      body = JSON.stringify({ mixed: document.getElementById(button.dataset.bodyMixed).checked });
    }
    button.disabled = true;
    const ok = button.dataset.post
      ? await send("POST", button.dataset.post, body)
      : await send("DELETE", button.dataset.delete);
    button.disabled = false;
    if (ok) refresh();
  });

  document.addEventListener("change", async (event) => {
    if (event.target.id !== "pause-switch") return;
    const ok = await send("POST", event.target.checked ? "/v1/pause" : "/v1/resume");
    if (!ok) event.target.checked = !event.target.checked;
    refresh();
  });

  // A job's log, followed as it grows; read again from the start when the connection drops.
  const log = document.getElementById("log");
  async function followLog() {
    try {
      const response = await fetch(log.dataset.log, { credentials: "same-origin" });
      if (!response.ok) { log.textContent = "(no log: " + response.status + ")"; return; }
      log.textContent = "";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent += decoder.decode(value, { stream: true });
        if (atEnd) log.scrollTop = log.scrollHeight;
      }
      if (document.body.dataset.jobDone !== "true") refresh();
    } catch (error) {
      setTimeout(followLog, 2000);
    }
  }
  if (log) followLog();

  connect();
})();
