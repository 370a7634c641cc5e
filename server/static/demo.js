// The demo page's one-line init (a hospital page does the same in an inline script).
(function () {
  "use strict";
  window.PartenairesSante.init();
})();
