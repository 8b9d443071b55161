/*
 * Cerebro's agent console: the queue of escalations, a case's summary, the live conversation
 * and the takeover. Plain JavaScript against the console API (/v1/console) and the conversation
 * API, always with the admin token (held in sessionStorage, sent as a Bearer token).
 */
(function () {
  "use strict";

  const TOKEN_KEY = "cerebro-console-token";
  const AGENT_KEY = "cerebro-console-agent";
  const REFRESH_MS = 5000;
  const RETRY_MS = 1500;

  const $ = (id) => document.getElementById(id);
  const statusLine = $("status");

  let agents = [];
  let current = null; // the open handoff
  let stream = null;
  let refreshTimer = null;
  const shownTurns = new Set();

  // --- small helpers ---------------------------------------------------------------------------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function note(text) {
    $("case-note").textContent = text || "";
    $("case-note").hidden = !text;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function me() {
    return agents.find((a) => a.id === $("agent").value) || agents[0];
  }

  function waited(seconds) {
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "waiting < 1 min";
    if (minutes < 60) return "waiting " + minutes + " min";
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return "waiting " + hours + " h " + (minutes % 60) + " min";
    return "waiting " + Math.floor(hours / 24) + " days";
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const response = await fetch(path, {
      method: method,
      headers: Object.assign(
        { authorization: "Bearer " + token() },
        body ? { "content-type": "application/json" } : {},
      ),
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.ok) return response.json();
    let detail = response.status + " " + response.statusText;
    try {
      detail = (await response.json()).detail || detail;
    } catch (_error) { /* not a problem body */ }
    throw new ApiError(response.status, detail);
  }

  function refused(error) {
    if (error.status === 403) {
      signOut("The agent console is disabled on this server: CEREBRO_ADMIN_TOKEN is not set. " +
        "Ask an administrator to set it and restart Cerebro.");
      return true;
    }
    if (error.status === 401) {
      signOut("That admin token was refused. Check it and sign in again.");
      return true;
    }
    return false;
  }

  // --- signing in ------------------------------------------------------------------------------

  async function signIn() {
    try {
      agents = await api("GET", "/v1/console/agents");
    } catch (error) {
      if (!refused(error)) signOut("Could not reach Cerebro: " + error.message);
      return;
    }
    const select = $("agent");
    select.replaceChildren(...agents.map((a) => el("option", { value: a.id }, a.name + " (" + a.id + ")")));
    const saved = sessionStorage.getItem(AGENT_KEY);
    if (saved && agents.some((a) => a.id === saved)) select.value = saved;
    sessionStorage.setItem(AGENT_KEY, select.value);
    $("signin").hidden = true;
    $("session").hidden = false;
    $("desk").hidden = false;
    say("Signed in. " + (agents.length ? "" : "No active agents are defined."));
    await refreshQueue();
    clearInterval(refreshTimer);
    refreshTimer = setInterval(refreshQueue, REFRESH_MS);
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    clearInterval(refreshTimer);
    stopStream();
    current = null;
    $("desk").hidden = true;
    $("session").hidden = true;
    $("signin").hidden = false;
    $("token").value = "";
    say(message || "Signed out.", Boolean(message));
    $("token").focus();
  }

  // --- the queue -------------------------------------------------------------------------------

  async function refreshQueue() {
    let queue;
    try {
      queue = await api("GET", "/v1/console/queue");
    } catch (error) {
      if (!refused(error)) say("Could not load the queue: " + error.message, true);
      return;
    }
    const list = $("queue");
    const items = queue.entries.map((entry) => {
      const button = el("button", { type: "button", class: "entry", "data-handoff": entry.handoff_id });
      if (current && current.id === entry.handoff_id) button.setAttribute("aria-current", "true");
      const top = el("span", { class: "line" });
      top.append(
        el("strong", {}, entry.customer_name),
        entry.verified
          ? el("span", { class: "badge tier-" + entry.customer_tier }, entry.customer_tier)
          : el("span", { class: "badge unverified" }, "unverified visitor"),
        el("span", { class: "badge" }, entry.language.toUpperCase()),
        el("span", { class: "badge priority p" + entry.priority }, "P" + entry.priority),
      );
      const reason = entry.reason.replace(/_/g, " ");
      const skills = entry.skills.length ? " · skills: " + entry.skills.join(", ") : "";
      const holder = entry.status === "assigned"
        ? " · with " + agentName(entry.assigned_agent_id)
        : "";
      button.append(
        top,
        el("span", { class: "line muted" }, reason + skills),
        el("span", { class: "line muted" }, waited(entry.waiting_seconds) + holder),
      );
      button.addEventListener("click", () => open(entry.handoff_id));
      const item = el("li");
      item.append(button);
      return item;
    });
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.handoff : undefined;
    list.replaceChildren(...items);
    if (focused) {
      const again = list.querySelector('[data-handoff="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
    $("queue-count").textContent = "(" + queue.entries.length + ")";
    $("queue-empty").hidden = queue.entries.length > 0;
  }

  function agentName(id) {
    const found = agents.find((a) => a.id === id);
    return found ? found.name : id;
  }

  // --- one case --------------------------------------------------------------------------------

  async function open(handoffId) {
    let handoff;
    try {
      handoff = await api("GET", "/v1/console/handoffs/" + encodeURIComponent(handoffId));
    } catch (error) {
      if (!refused(error)) say(error.message, true);
      return;
    }
    current = handoff;
    note("");
    for (const button of document.querySelectorAll("#queue .entry")) {
      button.toggleAttribute("aria-current", button.dataset.handoff === handoffId);
    }
    showCase();
    startStream(handoff.conversation_id);
  }

  function showCase() {
    const h = current;
    const s = h.summary;
    $("pick").hidden = true;
    $("case").hidden = false;
    $("detail-title").textContent = s.customer_name;
    const holder = h.assigned_agent_id ? " · with " + agentName(h.assigned_agent_id) : "";
    $("case-meta").textContent = [
      ...(h.customer_id ? [h.customer_id, s.customer_tier] : ["unverified visitor: check identity before any account"]),
      h.language.toUpperCase(), "priority " + h.priority,
      h.reason.replace(/_/g, " "), h.id, h.status + (h.outcome ? " (" + h.outcome.replace(/_/g, " ") + ")" : "") + holder,
    ].join(" · ");
    $("request").textContent = s.request;
    $("trend").textContent = s.sentiment_trend;
    $("trend").className = "badge trend-" + s.sentiment_trend;
    $("attempts").replaceChildren(...s.attempts.map((a) => {
      const item = el("li");
      item.append(el("strong", {}, a.action), document.createTextNode(" → " + a.outcome));
      return item;
    }));
    const rows = s.order_facts.map((f) => {
      const row = el("tr");
      row.append(el("td", {}, f.order_id), el("td", {}, f.status), el("td", {}, f.detail));
      return row;
    });
    $("orders").querySelector("tbody").replaceChildren(...rows);
    $("orders").hidden = rows.length === 0;
    $("no-orders").hidden = rows.length > 0;
    $("last-messages").replaceChildren(...s.last_messages.map((m) => {
      const item = el("li", { class: m.role });
      item.append(el("strong", {}, m.role + ": "), document.createTextNode(m.text));
      return item;
    }));
    const closed = h.status === "closed";
    const mine = h.status === "assigned" && h.assigned_agent_id === me().id;
    $("claim").disabled = closed || mine;
    $("claim").textContent = mine ? "You have this chat" : "Take over";
    $("handback").disabled = closed;
    $("resolve").disabled = closed;
    $("reply").querySelector("button").disabled = closed;
    $("reply-text").disabled = closed;
  }

  // --- the live conversation -------------------------------------------------------------------

  function stopStream() {
    if (stream) stream.abort();
    stream = null;
  }

  function addTurn(turn) {
    if (shownTurns.has(turn.offset)) return;
    shownTurns.add(turn.offset);
    const log = $("transcript");
    if (turn.kind === "status") {
      log.append(el("p", { class: "event" }, turn.text));
    } else {
      const who = { customer: "Customer", ai_agent: "AI assistant", human_agent: (turn.author || "Agent") + " (agent)" }[turn.source];
      const item = el("div", { class: "turn " + turn.source });
      const meta = el("span", { class: "who" }, who);
      if (turn.sentiment && turn.source === "customer") {
        meta.append(el("span", { class: "badge sentiment-" + turn.sentiment.label }, turn.sentiment.label));
      }
      item.append(meta, el("p", {}, turn.text));
      log.append(item);
    }
    log.scrollTop = log.scrollHeight;
  }

  function handleEvent(block) {
    let name = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data += (data ? "\n" : "") + value;
    }
    if (name === "turn" && data) addTurn(JSON.parse(data));
  }

  // fetch, not EventSource: the stream needs the Authorization header.
  async function startStream(conversationId) {
    stopStream();
    shownTurns.clear();
    $("transcript").replaceChildren();
    const controller = new AbortController();
    stream = controller;
    while (stream === controller) {
      const after = shownTurns.size ? Math.max(...shownTurns) : -1;
      try {
        const response = await fetch(
          "/v1/conversations/" + encodeURIComponent(conversationId) + "/events?max_seconds=300&after=" + after,
          { headers: { authorization: "Bearer " + token() }, signal: controller.signal },
        );
        if (response.status === 404) {
          $("transcript").replaceChildren(el("p", { class: "muted" },
            "This escalation has no chat on this Cerebro (it came from another channel); " +
            "the summary is all there is."));
          $("reply-text").disabled = true;
          $("reply").querySelector("button").disabled = true;
          return;
        }
        if (response.status === 401 || response.status === 403) return;
        if (!response.ok || !response.body) throw new Error("events " + response.status);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            handleEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (_error) {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  // --- actions ---------------------------------------------------------------------------------

  async function act(label, run) {
    if (!current) return;
    note("");
    try {
      await run();
    } catch (error) {
      if (!refused(error)) note(label + ": " + error.message);
      return;
    }
    refreshQueue();
  }

  async function claim() {
    if (current.status === "assigned" && current.assigned_agent_id === me().id) return;
    current = await api("POST", "/v1/console/handoffs/" + current.id + "/claim", { agent_id: me().id });
    showCase();
  }

  async function close(kind, done) {
    const result = await api("POST", "/v1/console/handoffs/" + current.id + "/" + kind, { agent_id: me().id });
    current = result.handoff;
    showCase();
    say(done);
  }

  $("claim").addEventListener("click", () => act("Take over", async () => {
    await claim();
    const whose = current.customer_id ? current.summary.customer_name + "'s" : "the unverified visitor's";
    say("You have " + whose + " chat. Your replies go to the customer.");
    $("reply-text").focus();
  }));
  $("handback").addEventListener("click", () => act("Hand back", () =>
    close("handback", "Handed back to the assistant.")));
  $("resolve").addEventListener("click", () => act("Resolve", () =>
    close("resolve", "Resolved. The assistant answers the customer's next message.")));
  $("reply").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    act("Reply", async () => {
      await claim();
      const result = await api(
        "POST", "/v1/conversations/" + encodeURIComponent(current.conversation_id) + "/agent/messages",
        { text: text, author: me().name },
      );
      result.turns.forEach(addTurn);
      $("reply-text").value = "";
    });
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply").requestSubmit();
    }
  });
  $("agent").addEventListener("change", () => {
    sessionStorage.setItem(AGENT_KEY, $("agent").value);
    if (current) showCase();
  });
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    say("Signing in…");
    signIn();
  });
  $("signout").addEventListener("click", () => signOut());

  if (token()) signIn();
})();
