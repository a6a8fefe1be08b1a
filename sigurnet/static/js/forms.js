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
  // Show how much room is left in long text boxes.
  document.querySelectorAll("textarea[maxlength]").forEach(function (box) {
    var note = document.createElement("p");
    note.className = "hint counter";
    note.setAttribute("aria-live", "polite");
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    var update = function () {
      note.textContent = (limit - box.value.length) + " / " + limit;
    };
    box.insertAdjacentElement("afterend", note);
    box.addEventListener("input", update);
    update();
  });
})();
