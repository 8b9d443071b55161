/*
 * Cerebro's customer chat widget. A site includes it with one tag:
 *
 *   <script src="https://cerebro.example.com/widget.js" data-lang="es" defer></script>
 *
 * It talks to the Cerebro that served it (the script's own origin), keeps the conversation's id
 * and token in sessionStorage (a reload keeps the chat; closing the tab ends it), and only ever
 * sends the conversation's own token. Plain JavaScript, no framework; it draws itself inside a
 * shadow root so the site's CSS and the widget's never meet. See docs/widget.md.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__cerebroWidget) return;
  window.__cerebroWidget = true;

  const API = new URL(script.src, location.href).origin;
  const STORE_KEY = "cerebro-widget:" + API;
  const RETRY_MS = 1500;

  const STRINGS = {
    en: {
      open: "Chat with us",
      close: "Close chat",
      title: "Customer support",
      ai: "You're chatting with an AI assistant.",
      waiting: "Waiting for a person from our team. They will answer here.",
      human: "A person from our team is answering you now.",
      humanNamed: "{name}, a person from our team, is answering you now.",
      intro: "Hi! Ask me about your orders, deliveries, returns or refunds.",
      label: "Your message",
      placeholder: "Type your message…",
      send: "Send",
      talkToHuman: "Talk to a human",
      humanRequest: "I want to talk to a human",
      alreadyHuman: "A person from our team will answer in this chat.",
      typing: "The assistant is typing…",
      you: "You",
      assistant: "AI assistant",
      agent: "{name} (team)",
      agentUnnamed: "Support team",
      failed: "Your message could not be sent. Please try again.",
      busy: "Still answering your previous message; please send this one again in a moment.",
      lost: "This chat has ended. Send a message to start a new one.",
    },
    es: {
      open: "Chatea con nosotros",
      close: "Cerrar el chat",
      title: "Atención al cliente",
      ai: "Estás hablando con un asistente de IA.",
      waiting: "Esperando a una persona de nuestro equipo. Te responderá aquí.",
      human: "Ahora te atiende una persona de nuestro equipo.",
      humanNamed: "Ahora te atiende {name}, una persona de nuestro equipo.",
      intro: "¡Hola! Pregúntame por tus pedidos, envíos, devoluciones o reembolsos.",
      label: "Tu mensaje",
      placeholder: "Escribe tu mensaje…",
      send: "Enviar",
      talkToHuman: "Hablar con una persona",
      humanRequest: "Quiero hablar con una persona",
      alreadyHuman: "Una persona de nuestro equipo te responderá en este chat.",
      typing: "El asistente está escribiendo…",
      you: "Tú",
      assistant: "Asistente de IA",
      agent: "{name} (equipo)",
      agentUnnamed: "Equipo de atención",
      failed: "No se pudo enviar tu mensaje. Inténtalo de nuevo.",
      busy: "Aún estoy respondiendo a tu mensaje anterior; envía este de nuevo en un momento.",
      lost: "Este chat ha terminado. Escribe un mensaje para empezar otro.",
    },
  };

  function chooseLanguage() {
    const asked = (script.getAttribute("data-lang") || "").toLowerCase();
    if (asked in STRINGS) return { lang: asked, fixed: true };
    const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
    return { lang: browser.toLowerCase().startsWith("es") ? "es" : "en", fixed: false };
  }

  const language = chooseLanguage();
  const t = STRINGS[language.lang];

  // --- saved conversation ----------------------------------------------------------------------

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    } catch (_error) {
      return null;
    }
  }

  function save() {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(saved));
  }

  let saved = load() || { conversation: null, open: false };

  // --- the DOM ---------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const host = el("div", { id: "cerebro-widget" });
  const root = host.attachShadow({ mode: "open" });
  root.append(el("link", { rel: "stylesheet", href: API + "/widget/widget.css" }));

  const launcher = el("button", {
    type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "panel",
  }, t.open);
  const panel = el("section", {
    id: "panel", class: "panel", role: "dialog", "aria-label": t.title, lang: language.lang,
  });
  panel.hidden = true;

  const header = el("header");
  const title = el("h2", {}, t.title);
  const closeButton = el("button", { type: "button", class: "close", "aria-label": t.close }, "×");
  const status = el("p", { class: "status", role: "status" }, t.ai);
  header.append(title, closeButton, status);

  const log = el("div", {
    class: "log", role: "log", "aria-live": "polite", "aria-label": t.title, tabindex: "0",
  });
  log.append(el("p", { class: "intro" }, t.intro));
  const typing = el("p", { class: "typing", "aria-hidden": "true" }, t.typing);
  typing.hidden = true;

  const notice = el("p", { class: "notice", role: "alert" });
  notice.hidden = true;

  const humanButton = el("button", { type: "button", class: "human" }, t.talkToHuman);
  const form = el("form", { class: "composer" });
  const input = el("input", {
    id: "message", type: "text", name: "message", autocomplete: "off", maxlength: "2000",
    placeholder: t.placeholder, "aria-label": t.label,
  });
  const sendButton = el("button", { type: "submit", class: "send" }, t.send);
  form.append(input, sendButton);

  panel.append(header, log, typing, notice, humanButton, form);
  root.append(launcher, panel);

  // --- rendering -------------------------------------------------------------------------------

  const shown = new Set();
  let lastOffset = -1;
  let mode = "ai";
  let agentName = null;

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (_m, key) => values[key]);
  }

  function showStatus() {
    let text = t.ai;
    if (mode === "human") {
      text = agentName === null ? t.waiting : agentName ? format(t.humanNamed, { name: agentName }) : t.human;
    }
    status.textContent = text;
    panel.dataset.mode = mode === "human" && agentName !== null ? "person" : mode;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addTurn(turn) {
    if (shown.has(turn.offset)) return;
    shown.add(turn.offset);
    lastOffset = Math.max(lastOffset, turn.offset);
    if (turn.source === "customer") removePending(turn.text);
    if (turn.source === "human_agent") {
      agentName = turn.author || "";
      mode = "human";
    } else if (turn.source === "system" && turn.mode === "ai") {
      agentName = null;
    }
    if (turn.mode) mode = turn.mode;
    if (turn.kind === "status") {
      log.append(el("p", { class: "event", "data-offset": String(turn.offset) }, turn.text));
    } else {
      const who = {
        customer: t.you,
        ai_agent: t.assistant,
        human_agent: turn.author ? format(t.agent, { name: turn.author }) : t.agentUnnamed,
      }[turn.source] || "";
      const bubble = el("div", {
        class: "message " + turn.source, "data-offset": String(turn.offset),
      });
      bubble.append(el("span", { class: "who" }, who), el("p", {}, turn.text));
      log.append(bubble);
    }
    showStatus();
    scrollDown();
  }

  function addPending(text) {
    const bubble = el("div", { class: "message customer pending" });
    bubble.append(el("span", { class: "who" }, t.you), el("p", {}, text));
    bubble.dataset.text = text;
    log.append(bubble);
    scrollDown();
  }

  function removePending(text) {
    for (const bubble of log.querySelectorAll(".pending")) {
      if (text === undefined || bubble.dataset.text === text) {
        bubble.remove();
        return;
      }
    }
  }

  function warn(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  // --- the API ---------------------------------------------------------------------------------

  function headers() {
    return {
      "content-type": "application/json",
      authorization: "Bearer " + saved.conversation.token,
    };
  }

  async function startConversation() {
    const body = language.fixed ? { language: language.lang } : {};
    const response = await fetch(API + "/v1/conversations", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error("create " + response.status);
    const created = await response.json();
    saved.conversation = { id: created.id, token: created.token };
    save();
    listen();
  }

  function forget() {
    saved.conversation = null;
    save();
    stopListening();
    warn(t.lost);
  }

  let sending = false;

  async function send(text) {
    if (sending || !text) return;
    sending = true;
    warn("");
    addPending(text);
    typing.hidden = mode !== "ai";
    try {
      if (!saved.conversation) await startConversation();
      const response = await fetch(
        API + "/v1/conversations/" + encodeURIComponent(saved.conversation.id) + "/messages",
        { method: "POST", headers: headers(), body: JSON.stringify({ text: text }) },
      );
      if (response.status === 401 || response.status === 404) {
        removePending(text);
        forget();
        return;
      }
      if (!response.ok) {
        removePending(text);
        warn(response.status === 409 ? t.busy : t.failed);
        return;
      }
      const reply = await response.json();
      reply.turns.forEach(addTurn);
      mode = reply.mode;
      showStatus();
    } catch (_error) {
      removePending(text);
      warn(t.failed);
    } finally {
      typing.hidden = true;
      sending = false;
    }
  }

  async function restore() {
    const conversation = saved.conversation;
    const response = await fetch(
      API + "/v1/conversations/" + encodeURIComponent(conversation.id) + "/transcript",
      { headers: headers() },
    ).catch(() => null);
    if (response && (response.status === 401 || response.status === 404)) {
      saved.conversation = null;
      save();
      return;
    }
    if (response && response.ok) {
      const transcript = await response.json();
      transcript.turns.forEach(addTurn);
      mode = transcript.mode;
      showStatus();
    }
    listen();
  }

  // The events are read with fetch, not EventSource, because they need the Authorization header.
  let stream = null;

  function stopListening() {
    if (stream) stream.abort();
    stream = null;
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
    if (!data) return;
    const payload = JSON.parse(data);
    if (name === "turn") addTurn(payload);
    else if (name === "mode") {
      mode = payload.mode;
      showStatus();
    }
  }

  async function listen() {
    stopListening();
    const conversation = saved.conversation;
    if (!conversation) return;
    const controller = new AbortController();
    stream = controller;
    while (stream === controller) {
      try {
        const response = await fetch(
          API + "/v1/conversations/" + encodeURIComponent(conversation.id) +
            "/events?max_seconds=300&after=" + lastOffset,
          { headers: { authorization: "Bearer " + conversation.token }, signal: controller.signal },
        );
        if (response.status === 401 || response.status === 404) return forget();
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
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  // --- behaviour -------------------------------------------------------------------------------

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.hidden = open;
    saved.open = open;
    save();
    if (open) {
      input.focus();
      scrollDown();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", () => setOpen(true));
  closeButton.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || sending) return;
    input.value = "";
    send(text);
  });
  humanButton.addEventListener("click", () => {
    if (mode === "human") {
      warn(t.alreadyHuman);
      return;
    }
    send(t.humanRequest);
  });

  function mount() {
    document.body.append(host);
    if (saved.open) setOpen(true);
    if (saved.conversation) restore();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
