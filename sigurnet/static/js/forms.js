/* Sigurnet: small enhancements for forms. Every page works without this file. */
(function () {
  "use strict";
  // Take keyboard and screen-reader users straight to the list of problems.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
  // A slow phone connection invites a second tap on "Send": send only once.
  document.querySelectorAll("form[method='post']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      var submitter = event.submitter;
      if (submitter && submitter.classList.contains("button")) {
        submitter.setAttribute("aria-disabled", "true");
      }
    });
  });
  // Show how much room is left in long text boxes that the server limits (data-maxlength):
  // "N characters left", in the page's words (data-counter-* / data-over-*, one per plural
  // form). The visible count is tied to the box with aria-describedby and is not live; a
  // separate polite live region speaks only near the limit, once typing pauses.
  var plurals = window.Intl && Intl.PluralRules ?
    new Intl.PluralRules(document.documentElement.lang || "en") : null;
  var words = function (box, kind, n) {
    var form = plurals ? plurals.select(n) : (n === 1 ? "one" : "other");
    var text = box.getAttribute("data-" + kind + "-" + form) ||
      box.getAttribute("data-" + kind + "-other") || "{n}";
    return text.replace("{n}", String(n));
  };
  document.querySelectorAll("textarea[data-maxlength][data-counter-other]").forEach(function (box) {
    var limit = parseInt(box.getAttribute("data-maxlength"), 10);
    if (!(limit > 0)) {
      return;
    }
    var note = document.createElement("p");
    note.className = "hint counter";
    note.id = box.id + "_counter";
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    var near = Math.max(20, Math.round(limit / 10));
    var timer = null;
    var message = function () {
      var left = limit - box.value.length;
      return left >= 0 ? words(box, "counter", left) : words(box, "over", -left);
    };
    var update = function () {
      var left = limit - box.value.length;
      note.textContent = message();
      note.classList.toggle("error-message", left < 0);
      window.clearTimeout(timer);
      if (left <= near) {
        timer = window.setTimeout(function () { live.textContent = message(); }, 1000);
      } else {
        live.textContent = "";
      }
    };
    box.insertAdjacentElement("afterend", note);
    note.insertAdjacentElement("afterend", live);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    box.addEventListener("input", update);
    note.textContent = message();
  });
})();
