// Swagger UI for the OpenAPI description named by #swagger-ui's data-url, sending the page's
// CSRF token with each call it makes, so "Try it out" works for a signed-in browser as it does
// with a token.
(function () {
  var target = document.getElementById('swagger-ui');
  var csrfToken = document.querySelector('meta[name="csrf-token"]');
  if (!target || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: target.getAttribute('data-url'),
    dom_id: '#swagger-ui',
    presets: [window.SwaggerUIBundle.presets.apis,
              window.SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: 'BaseLayout',
    requestInterceptor: function (req) {
      if (csrfToken) { req.headers['X-CSRFToken'] = csrfToken.content; }
      return req;
    }
  });
})();
