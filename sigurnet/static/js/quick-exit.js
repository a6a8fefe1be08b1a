/* Sigurnet: "Exit this page". Without this file the link still works (it is a plain link). */
(function () {
  "use strict";
  var link = document.querySelector("a[data-quick-exit]");
  if (!link) {
    return;
  }
  var exit = function () {
    // Hide the page at once, then replace this history entry, so Back does not return to it.
    document.documentElement.classList.add("quick-exiting");
    window.location.replace(link.href);
  };
  // The hints about the Escape key are true only when this script runs: shown, and the one
  // next to the link added to its description.
  document.querySelectorAll("[data-quick-exit-keys]").forEach(function (hint) {
    hint.hidden = false;
  });
  var keys = document.getElementById("quick-exit-keys");
  if (keys) {
    var described = link.getAttribute("aria-describedby");
    link.setAttribute("aria-describedby", (described ? described + " " : "") + keys.id);
  }
  link.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    exit();
  });
  // Escape pressed three times within two seconds.
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    if (event.repeat) {
      return;
    }
    var now = Date.now();
    presses = presses.filter(function (time) { return now - time < 2000; });
    presses.push(now);
    if (presses.length >= 3) {
      presses = [];
      exit();
    }
  });
  // A page shown again from the browser's cache is not left hidden.
  window.addEventListener("pageshow", function () {
    document.documentElement.classList.remove("quick-exiting");
  });
})();
