// Starts Swagger UI on /docs from a file (no inline script, for a strict Content-Security-Policy).
window.ui = SwaggerUIBundle({
  url: document.body.dataset.openapiUrl,
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
