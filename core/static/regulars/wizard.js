/* The Create / Edit Customer wizard: the business-only step and field follow the Type field
   (the server checks everything anyway), "Reveal" for identity numbers, tag suggestions. */
(function () {
  'use strict';

  // The step bar numbers the steps this type of customer goes through, 1..n.
  var kind = document.getElementById('kind');
  function followType() {
    var business = kind.value === 'business';
    document.querySelectorAll('.step-business, .business-only').forEach(function (el) {
      el.hidden = !business;
    });
    var n = 0;
    document.querySelectorAll('.wizard-steps .wizard-step').forEach(function (li) {
      var number = li.querySelector('.step-number');
      if (!li.hidden) n += 1;
      if (number) number.textContent = li.hidden ? '' : String(n);
    });
  }
  if (kind) {
    kind.addEventListener('change', followType);
    followType();
  }

  var csrf = document.querySelector('input[name=csrf_token]');
  document.querySelectorAll('.reveal-button').forEach(function (button) {
    button.addEventListener('click', function () {
      var body = new FormData();
      if (csrf) body.append('csrf_token', csrf.value);
      fetch(button.getAttribute('data-url'), {method: 'POST', body: body, credentials: 'same-origin'})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          button.parentNode.querySelector('.masked').textContent = data.value;
          button.remove();
        })
        .catch(function () { button.textContent = button.getAttribute('data-refused'); });
    });
  });

  var tags = document.getElementById('tags');
  var list = document.getElementById('tag-suggestions');
  var timer;
  if (tags && list) tags.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var last = tags.value.split(',').pop().trim();
      fetch(list.getAttribute('data-url') + '?q=' + encodeURIComponent(last), {credentials: 'same-origin'})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var head = tags.value.split(',').slice(0, -1)
            .map(function (t) { return t.trim(); }).filter(Boolean);
          list.innerHTML = '';
          data.result.forEach(function (name) {
            var option = document.createElement('option');
            option.value = head.concat([name]).join(', ');
            list.appendChild(option);
          });
        });
    }, 200);
  });
})();
