// Behaviour every Regulars page shares. Pages carry no inline script (the Content-Security-Policy
// refuses it): markup says what it wants with data- attributes, and this file acts on them.
(function () {
  // <form data-confirm="Delete this group?">: ask before sending it.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
