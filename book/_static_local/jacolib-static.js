// On the book's static pages a live panel's controls other than its
// frame slider cannot redraw anything (there is no kernel): make them
// inert, so that they take no focus, clicks or keys, and say why on
// hover. The widgets are rendered after the page loads, so watch for
// them. Under Live Code (thebe) a kernel runs them: leave those alone.
(function () {
  "use strict";
  var TITLE = "Needs a running kernel: run the page (Binder, Colab or " +
              "Live Code) to use this control";
  function deactivate(root) {
    var controls = root.querySelectorAll
      ? root.querySelectorAll(".jacolib-kernel-only") : [];
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.inert ||
          control.closest(".thebe-cell, .thebelab-cell")) { continue; }
      control.inert = true;
      control.setAttribute("aria-disabled", "true");
      control.setAttribute("title", TITLE);
    }
  }
  function start() {
    deactivate(document);
    // The widget library adds a control's classes after it is in the
    // page, so watch attributes too; one pass per frame is enough.
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        deactivate(document);
      });
    }).observe(document.body, { childList: true, subtree: true,
                                attributes: true,
                                attributeFilter: ["class"] });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
