// Plain chat box on POST /api/chat. Text is always inserted as text, never as HTML.
(function () {
  "use strict";
  var KEY = "partenaires-sante-session";
  var log = document.getElementById("log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("message");
  var error = document.getElementById("error");

  function add(kind, text, buttons) {
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    (buttons || []).forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { send(b.payload, b.title); });
      item.appendChild(document.createElement("br"));
      item.appendChild(button);
    });
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  // "Utile ?" buttons under an answer about a topic: POST /api/feedback.
  function askFeedback(sessionId, topic, answer) {
    var item = document.createElement("li");
    item.className = "feedback";
    item.appendChild(document.createTextNode("Cette réponse vous a-t-elle été utile ? "));
    [["Oui", true], ["Non", false]].forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = choice[0];
      button.addEventListener("click", function () {
        fetch("/api/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ session_id: sessionId, topic: topic, useful: choice[1], message: answer })
        }).then(function (response) { return response.json(); }).then(function (body) {
          item.textContent = body.detail || "";
        }).catch(function () { item.textContent = "Votre avis n'a pas pu être envoyé."; });
      });
      item.appendChild(button);
    });
    log.appendChild(item);
  }

  function send(text, shown) {
    error.textContent = "";
    add("user", shown || text);
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: text, session_id: localStorage.getItem(KEY) })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) { error.textContent = result.body.detail || "Erreur"; return; }
      localStorage.setItem(KEY, result.body.session_id);
      result.body.messages.forEach(function (m) { add("bot", m.text, m.buttons); });
      if (result.body.topic) {
        var answer = result.body.messages.map(function (m) { return m.text; }).join("\n");
        askFeedback(result.body.session_id, result.body.topic, answer);
      }
    }).catch(function () {
      error.textContent = "Connexion impossible. Réessayez dans quelques instants.";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
