// The playground page: sends what the person does to /action/<name> and swaps in the
// parts of the page the server renders whenever its World changes (/state, long poll).
// No framework and no build step; all HTML comes from the server, already escaped.
"use strict";

(() => {
  let version = document.body.dataset.version;
  let pane = "channel";
  let receivedAt = Date.now();
  const seen = { channel: 0, dm: 0 };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  function toast(text) {
    const box = $("[data-testid=toast]");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  async function act(name, data = {}) {
    document.body.classList.add("pg-busy");
    try {
      const response = await fetch(`/action/${name}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(data),
      });
      const answer = await response.json().catch(() => ({ ok: false, error: "no answer" }));
      if (!answer.ok) toast(`That did not work: ${answer.error}`);
    } catch (error) {
      toast("The playground is not answering. Is `make run` still running?");
    } finally {
      document.body.classList.remove("pg-busy");
    }
  }

  function atBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function swap(fragments) {
    const open = new Set($$("details[open][data-key]").map((d) => d.dataset.key));
    const follow = {};
    for (const name of ["channel", "dm"]) follow[name] = atBottom($(`[data-fragment=${name}]`));
    for (const [name, html] of Object.entries(fragments)) {
      const holder = $(`[data-fragment="${name}"]`);
      if (holder) holder.innerHTML = html;
    }
    $$("details[data-key]").forEach((d) => { if (open.has(d.dataset.key)) d.open = true; });
    for (const name of ["channel", "dm"]) {
      const box = $(`[data-fragment=${name}]`);
      if (follow[name]) box.scrollTop = box.scrollHeight;
    }
    receivedAt = Date.now();
    showBadges();
  }

  function showBadges() {
    for (const name of ["channel", "dm"]) {
      const count = $$(`[data-fragment=${name}] [data-testid=message]`).length;
      if (pane === name || count < seen[name]) seen[name] = count;
      const badge = $(`[data-pane-link=${name}] .pg-badge`);
      badge.hidden = count <= seen[name];
      badge.textContent = String(count - seen[name]);
    }
  }

  function showPane(name) {
    pane = ["channel", "dm", "home"].includes(name) ? name : "channel";
    $$("[data-pane]").forEach((section) => { section.hidden = section.dataset.pane !== pane; });
    $$("[data-pane-link]").forEach((link) => {
      link.classList.toggle("is-current", link.dataset.paneLink === pane);
    });
    if (pane === "home") act("home");  // Slack sends app_home_opened each time the tab opens
    const box = $(`[data-fragment=${pane}]`);
    box.scrollTop = box.scrollHeight;
    showBadges();
    const composer = $(`[data-pane-composer=${pane}] input`);
    if (composer) composer.focus();
  }

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(`/state?since=${encodeURIComponent(version)}`);
        if (!response.ok) throw new Error(String(response.status));
        const state = await response.json();
        if (state.version !== version) {
          version = state.version;
          swap(state.fragments);
        }
      } catch (error) {
        await sleep(1000);
      }
    }
  }

  function tickClock() {
    const clock = $("[data-testid=clock]");
    if (!clock) return;
    const now = new Date(Number(clock.dataset.now) + (Date.now() - receivedAt));
    const shown = new Intl.DateTimeFormat("en-GB", {
      timeZone: clock.dataset.zone, weekday: "short", day: "2-digit", month: "short",
      year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    }).format(now);
    if (clock.textContent !== shown) clock.textContent = shown;
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const link = target.closest("[data-pane-link]");
    if (link) {
      event.preventDefault();
      history.replaceState(null, "", `#${link.dataset.paneLink}`);
      showPane(link.dataset.paneLink);
      return;
    }
    const button = target.closest("button[data-action-id]");
    if (button) {
      const holder = button.closest("[data-message-id]");
      if (!holder) return;
      button.disabled = true;
      act("click", {
        message: holder.dataset.messageId,
        action_id: button.dataset.actionId || "",
        value: button.dataset.value || "",
        block_id: button.dataset.blockId || "",
        label: button.textContent.trim().slice(0, 75),
      });
      return;
    }
    const hint = target.closest("[data-hint]");
    if (hint) {
      if (hint.dataset.send) {
        showPane("channel");
        act("type", { text: hint.dataset.hint, pane: "channel" });
      } else {
        const into = pane === "home" ? "channel" : pane;
        if (into !== pane) showPane(into);
        const composer = $(`[data-pane-composer=${into}] input`);
        composer.value = hint.dataset.hint;
        composer.focus();
      }
      return;
    }
    const control = target.closest("[data-action]");
    if (!control) return;
    const name = control.dataset.action;
    if (name === "as") act("as", { role: control.dataset.role }).then(() => { if (pane === "home") act("home"); });
    else if (name === "clock") act("clock", { step: control.dataset.step });
    else if (name === "reset" && confirm("Start again with an empty channel and a fresh database?")) act("reset");
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-pane-composer]");
    if (!form) return;
    event.preventDefault();
    const input = $("input", form);
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    act("type", { text, pane: form.dataset.paneComposer });
  });

  showPane(location.hash.slice(1) || "channel");
  setInterval(tickClock, 1000);
  poll();
})();
