// The ipywidgets front end typesets labels through the MathJax 2 API
// (MathJax.Hub.Queue); this book loads MathJax 3. Keep a small Hub on
// whatever window.MathJax becomes (MathJax 3 replaces its config object
// with itself when it loads) and route it to MathJax 3's typesetPromise.
(function () {
  "use strict";
  function typeset(args) {
    var element = args && args[2];
    var mj = window.MathJax;
    if (mj && typeof mj.typesetPromise === "function") {
      mj.typesetPromise(element ? [element] : undefined).catch(function () {});
    }
  }
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      value.Hub = { Queue: function () {
        for (var i = 0; i < arguments.length; i++) { typeset(arguments[i]); }
      } };
    }
    return value;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
