/* Starts Swagger UI on /api/v1/docs (templates/swagger_ui.html) with flask-smorest's
 * OPENAPI_SWAGGER_UI_CONFIG, without the inline script of flask-smorest's own page. */
(function () {
  "use strict";

  var box = document.getElementById("swagger-ui-container");
  var config = {
    url: box.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    validatorUrl: null, // the validator badge would load an image from swagger.io
  };
  var extra = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  Object.keys(extra).forEach(function (name) { config[name] = extra[name]; });
  window.ui = window.SwaggerUIBundle(config);
})();
