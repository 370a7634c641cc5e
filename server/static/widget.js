// Partenaires Santé — the website widget's loader.
//
// A site embeds the assistant with one tag and a one-line init, no build step:
//   <script src="https://ASSISTANT/widget.js"></script>
//   <script>PartenairesSante.init();</script>          (or init({ mode: "staff" }))
// It loads rasa-webchat 1.0.1 (served by the front door, unmodified), connects
// it to the front door's socket.io channel and adds an « Effacer la conversation »
// control. Everything is inserted as text, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href).origin : window.location.origin;
  var STORAGE_KEY = "chat_session"; // where rasa-webchat keeps the conversation
  var LABELS = {
    title: "Partenaires Santé",
    subtitle: "Vos droits, le partenariat patient",
    hint: "Écrivez votre question…",
    connecting: "Connexion en cours…",
    clear: "Effacer la conversation",
    clearConfirm: "Effacer cette conversation ? Elle sera aussi supprimée de nos serveurs.",
    open: "Ouvrir ou fermer l'assistant Partenaires Santé",
    close: "Fermer l'assistant",
    input: "Votre message",
    send: "Envoyer"
  };

  function storedSessionId() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      return stored && typeof stored.session_id === "string" ? stored.session_id : null;
    } catch (e) {
      return null;
    }
  }

  // Erase the transcript on the server, forget it in the browser, start afresh.
  function clear(options) {
    var sessionId = storedSessionId();
    var done = function () {
      window.localStorage.removeItem(STORAGE_KEY);
      window.location.reload();
    };
    if (!(options && options.confirmed) && !window.confirm(LABELS.clearConfirm)) return;
    if (!sessionId) { done(); return; }
    fetch(base + "/api/chat/forget", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: sessionId })
    }).then(done, done);
  }

  function label(selector, text) {
    var element = document.querySelector(selector);
    if (element && element.getAttribute("aria-label") !== text) element.setAttribute("aria-label", text);
  }

  // The widget draws its quick replies as <div>s: make them keyboard buttons.
  function keyboardReplies() {
    document.querySelectorAll(".rw-reply:not([tabindex])").forEach(function (reply) {
      reply.setAttribute("tabindex", "0");
      reply.setAttribute("role", "button");
      reply.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          reply.click();
        }
      });
    });
  }

  // What the widget lacks, added once it is drawn: French accessible names,
  // keyboard access to the quick replies, a live region for new messages, and
  // an « Effacer la conversation » control in its header.
  function enhance() {
    keyboardReplies();
    var log = document.querySelector(".rw-messages-container");
    if (log && log.getAttribute("role") !== "log") {
      log.setAttribute("role", "log"); // new messages are read out by screen readers
      log.setAttribute("aria-live", "polite");
    }
    label(".rw-launcher", LABELS.open);
    label(".rw-close-button", LABELS.close);
    label(".rw-new-message", LABELS.input);
    label(".rw-send", LABELS.send);
    var header = document.querySelector(".rw-header");
    if (!header || header.querySelector(".ps-clear")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ps-clear";
    button.textContent = LABELS.clear;
    button.addEventListener("click", function () { clear(); });
    header.appendChild(button);
  }

  function start(options) {
    var mode = options && options.mode === "staff" ? "staff" : "patient";
    window.WebChat.default({
      socketUrl: base,
      socketPath: "/socket.io/",
      initPayload: "/session_start_webchat",
      customData: { language: "fr", mode: mode },
      title: LABELS.title,
      subtitle: LABELS.subtitle,
      inputTextFieldHint: LABELS.hint,
      connectingText: LABELS.connecting,
      showMessageDate: false,
      params: { storage: "local" }
    }, options && options.element ? options.element : null);
    new MutationObserver(enhance).observe(document.body, { childList: true, subtree: true });
    enhance();
  }

  function init(options) {
    if (window.WebChat && window.WebChat.default) { start(options); return; }
    var bundle = document.createElement("script");
    bundle.src = base + "/vendor/webchat.js";
    bundle.async = true;
    bundle.addEventListener("load", function () { start(options); });
    document.head.appendChild(bundle);
  }

  window.PartenairesSante = { init: init, clear: clear };
})();
