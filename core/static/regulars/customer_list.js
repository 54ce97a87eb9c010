// The customer list: filter as you type (results replace the table in place, the URL stays
// shareable) and the column choice, remembered in this browser.
(function () {
  // Filter as you type: results replace the table in place; the URL stays shareable.
  var form = document.getElementById('customer-search');
  var box = document.getElementById('q');
  var target = document.getElementById('customer-results');
  var timer = null, seq = 0;
  var exportLink = document.getElementById('export-csv');
  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    for (var [k, v] of Array.from(params.entries())) { if (!v) params.delete(k); }
    var mine = ++seq;
    history.replaceState(null, '', form.action + (params.toString() ? '?' + params : ''));
    if (exportLink) { exportLink.href = exportLink.href.split('?')[0] + (params.toString() ? '?' + params : ''); }
    params.set('partial', '1');
    fetch(form.action + '?' + params, {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (mine === seq) target.innerHTML = html; })
      .catch(function () {});
  }
  box.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.querySelectorAll('select, input[type=date], #tag').forEach(function (s) { s.addEventListener('change', refresh); });
  // Column choice, remembered in this browser: hidden columns are classes on the results box,
  // so rows loaded in place keep the choice.
  var KEY = 'regulars.customers.hiddenColumns';
  var hidden = [];
  try { hidden = JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { hidden = []; }
  function applyColumns() {
    form.querySelectorAll('input[data-column]').forEach(function (box) {
      var col = box.getAttribute('data-column');
      box.checked = hidden.indexOf(col) < 0;
      target.classList.toggle('hide-col-' + col, !box.checked);
    });
  }
  form.querySelectorAll('input[data-column]').forEach(function (box) {
    box.addEventListener('change', function () {
      var col = box.getAttribute('data-column');
      hidden = hidden.filter(function (c) { return c !== col; });
      if (!box.checked) hidden.push(col);
      try { localStorage.setItem(KEY, JSON.stringify(hidden)); } catch (e) {}
      applyColumns();
    });
  });
  applyColumns();
})();
