/* A test email being sent: ask how it went every second and a half, and reload the page once it
   was sent or failed, so the server shows the outcome. Without JavaScript the page refreshes
   itself (a <noscript> meta refresh). */
(function () {
  "use strict";
  var box = document.getElementById("email-test-result");
  if (!box || !box.getAttribute("data-status-url") || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var tries = 0;

  function poll() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        if (state.status !== "queued") {
          window.location.reload();
        } else if (tries < 200) {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(function () { window.location.reload(); }, 5000);
      });
  }

  window.setTimeout(poll, 1000);
}());
