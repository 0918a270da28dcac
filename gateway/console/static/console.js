// Loaded on every console page. A form with data-confirm asks before it is sent (revoking
// an app, deleting an endpoint, removing a person cannot be undone); without script the
// form is sent as is.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
