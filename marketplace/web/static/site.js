// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // The viewer's time zone, so that the server prints times in it (marketplace/web/formatting.py).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (ignored) { /* old browser: times stay in UTC */ }

  // Forms asking to be confirmed (`data-confirm`): a destructive action needs a second click.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
