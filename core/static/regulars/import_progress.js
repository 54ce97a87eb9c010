/* The import run page: ask how far the run got every second and move the progress bar; when the
   run is over, reload so the server renders the report. Without JavaScript the page refreshes
   itself (a <noscript> meta refresh), so this is only the smoother way. */
(function () {
  "use strict";
  var page = document.getElementById("import-run");
  if (!page || !page.getAttribute("data-progress-url") || !window.fetch) { return; }
  var url = page.getAttribute("data-progress-url");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var template = page.getAttribute("data-rows-text") || "{done} of {total} rows";

  function show(state) {
    page.setAttribute("data-status", state.status);
    if (bar) {
      bar.style.width = state.percent + "%";
      bar.setAttribute("aria-valuenow", state.percent);
      bar.textContent = state.percent + " %";
    }
    if (text && state.total !== null) {
      text.textContent = template.replace("{done}", state.done).replace("{total}", state.total);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // Signed out, or the server is restarting: the full page says what happened.
        window.setTimeout(function () { window.location.reload(); }, 3000);
      });
  }

  window.setTimeout(poll, 1000);
}());
