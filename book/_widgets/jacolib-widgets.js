// Loaded on a page with widgets, after require.js and before the widget
// manager (embed-amd.js), all from the book's own widgets/ folder. It
// points require.js at that folder, so that the manager finds anywidget
// (the front end of chapter 5's field) there and nothing is fetched from
// a CDN: a file missing here fails on the book's own server, loudly.
(function () {
  "use strict";
  var script = document.currentScript;
  var folder = script.src.slice(0, script.src.lastIndexOf("/") + 1);
  window.requirejs.config({
    baseUrl: folder,
    paths: { anywidget: folder + "anywidget" }
  });
  // The manager's fallback for an unknown module is this base URL.
  script.setAttribute("data-jupyter-widgets-cdn", folder);
})();
