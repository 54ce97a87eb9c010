/* The email template screen: as the subject, HTML, plain text or preview customer change, send
   the unsaved wording to the preview endpoint (after a short pause in typing) and show what it
   renders, or what is wrong with it, beside the form. The HTML preview is a sandboxed iframe:
   nothing in it can run. */
(function () {
  "use strict";
  var form = document.getElementById("email-template-form");
  if (!form || !form.getAttribute("data-preview-url") || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var subject = document.getElementById("email-preview-subject");
  var frame = document.getElementById("email-preview-html");
  var text = document.getElementById("email-preview-text");
  var errors = document.getElementById("email-preview-errors");
  var section = document.getElementById("email-preview");
  var watched = ["email-subject", "email-html", "email-text", "email-customer"];
  var timer = null;
  var latest = 0;

  function showErrors(found) {
    while (errors.firstChild) { errors.removeChild(errors.firstChild); }
    Object.keys(found || {}).forEach(function (field) {
      var item = document.createElement("li");
      item.setAttribute("data-field", field);
      var label = document.querySelector("label[for='email-" + field + "']");
      item.textContent = (label ? label.textContent.replace("*", "").trim() + ": " : "") +
        found[field];
      errors.appendChild(item);
    });
  }

  function show(result) {
    subject.textContent = result.subject || "";
    frame.srcdoc = result.html || "";
    text.textContent = result.text || "";
    showErrors(result.errors);
    section.setAttribute("data-state", Object.keys(result.errors || {}).length ? "errors" : "ok");
  }

  function refresh() {
    var mine = ++latest;
    section.setAttribute("data-state", "loading");
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (result) { if (mine === latest) { show(result); } })
      .catch(function () {
        if (mine === latest) { section.setAttribute("data-state", "unavailable"); }
      });
  }

  watched.forEach(function (id) {
    var field = document.getElementById(id);
    if (!field) { return; }
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 350);
    });
  });
}());
