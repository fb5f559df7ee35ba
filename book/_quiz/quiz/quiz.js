/* The microgpt book's end-of-chapter quizzes (book/_ext/quiz.py renders the questions as HTML forms).
   Checks one answer per "Check" button, shows right or wrong and the explanation, and announces the
   result in the question's aria-live status line. No dependencies, no network. */
(function () {
  "use strict";
  function parseNumber(text) {
    var t = String(text).trim().replace(/,/g, "").replace(/\s+/g, "");
    if (t === "" || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
    return Number(t);
  }
  function check(q) {
    var feedback = q.querySelector(".mgpt-feedback");
    var explanation = q.querySelector(".mgpt-explanation");
    var ok, given;
    if (q.dataset.type === "choice") {
      var picked = q.querySelector("input[type=radio]:checked");
      if (!picked) { feedback.textContent = "Pick one of the answers first."; q.className = "mgpt-q"; return; }
      ok = Number(picked.value) === Number(q.dataset.answer);
    } else {
      given = parseNumber(q.querySelector("input").value);
      if (given === null) { feedback.textContent = "Type a number first (for example 3.3)."; q.className = "mgpt-q"; return; }
      ok = Math.abs(given - Number(q.dataset.answer)) <= Number(q.dataset.tolerance) + 1e-12;
    }
    q.className = "mgpt-q " + (ok ? "mgpt-right" : "mgpt-wrong");
    feedback.textContent = ok ? "Correct." : "Not quite: try again, or read the explanation.";
    explanation.hidden = false;
  }
  function init() {
    var qs = document.querySelectorAll(".mgpt-quiz .mgpt-q");
    Array.prototype.forEach.call(qs, function (q) {
      q.querySelector(".mgpt-check").addEventListener("click", function () { check(q); });
      var input = q.querySelector("input[type=text]");
      if (input) input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(q); } });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
