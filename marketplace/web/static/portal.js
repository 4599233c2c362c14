// The seller portal's progressive enhancement: an import still running is re-read until it is done.
// Without this file the page offers a "Check again" link (a <meta> refresh would fail WCAG 2.2.1).
(function () {
  "use strict";
  var POLL_MILLISECONDS = 2000;

  function poll(report) {
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("import-report");
          if (!fresh) { return; }
          report.replaceWith(fresh);
          if (fresh.hasAttribute("data-running")) { poll(fresh); }
        })
        .catch(function () { poll(report); });  // a hiccup: try again later
    }, POLL_MILLISECONDS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var report = document.getElementById("import-report");
    if (report && report.hasAttribute("data-running")) { poll(report); }
  });
})();
