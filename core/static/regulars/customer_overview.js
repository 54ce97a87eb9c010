// The customer overview: tabs loaded from their own URLs, and the audited Reveal button.
(function () {
  // Each tab is loaded from its own URL, so one slow or broken tab never blocks the page.
  var overview = document.getElementById('customer-overview');
  if (!overview) return;
  var loaded = {};
  function show(link) {
    var key = link.getAttribute('data-tab');
    document.querySelectorAll('.nav-tabs li').forEach(function (li) { li.classList.remove('active'); });
    document.querySelectorAll('.tab-pane').forEach(function (p) { p.classList.remove('active'); });
    link.parentNode.classList.add('active');
    var pane = document.getElementById('tab-' + key);
    pane.classList.add('active');
    var url = new URL(location.href); url.searchParams.set('tab', key); history.replaceState(null, '', url);
    if (loaded[key]) return;
    loaded[key] = true;
    fetch(link.getAttribute('data-url'), {credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { pane.innerHTML = html; })
      .catch(function () {
        loaded[key] = false;
        var error = document.createElement('p');
        error.className = 'tab-error';
        error.textContent = overview.getAttribute('data-tab-error');
        pane.replaceChildren(error);
      });
  }
  document.querySelectorAll('.nav-tabs a[data-tab]').forEach(function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); show(a); });
  });
  var first = document.querySelector('.nav-tabs li.active a[data-tab]') || document.querySelector('.nav-tabs a[data-tab]');
  if (first) show(first);
  // "Reveal" on the Details tab (loaded later, so listen on the document): an audited POST.
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('.reveal-button');
    if (!button) return;
    var body = new FormData(), token = document.querySelector('input[name=csrf_token]');
    if (token) body.append('csrf_token', token.value);
    fetch(button.getAttribute('data-url'), {method: 'POST', body: body, credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { button.parentNode.querySelector('.masked').textContent = data.value; button.remove(); })
      .catch(function () { button.disabled = true; });
  });
})();
