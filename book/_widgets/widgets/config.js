// Loaded after require.js and before embed-amd.js (see nb_ipywidgets_js in _config.yml).
// embed-amd.js looks for its font files next to the URL that RequireJS gives its
// module ("@jupyter-widgets/html-manager/dist/libembed-amd"), which by default is
// relative to the page. Point those module paths at this folder, wherever the page is.
(function () {
  var here = document.currentScript.src.replace(/[?#].*$/, "").replace(/\/[^\/]*$/, "");
  // The other bundled modules find their files (e.g. the FontAwesome fonts of
  // button icons) the same way, next to their own module URL: map them here too.
  window.require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": here,
      "@jupyter-widgets/html-manager": here + "/html-manager",
      "@jupyter-widgets/controls": here + "/controls",
      "@jupyter-widgets/base": here + "/base",
      "@jupyter-widgets/output": here + "/output",
    },
  });
})();

// The widget library typesets widget labels with the MathJax 2 API
// (MathJax.Hub.Queue), but the book loads MathJax 3, which has no Hub: every
// widget page then threw "Cannot read properties of undefined (reading 'Queue')".
// Give whatever object is assigned to window.MathJax (the inline config, then
// MathJax 3 itself) a small Hub that forwards to MathJax 3's typesetPromise.
(function () {
  function withHub(mj) {
    if (mj && typeof mj === "object" && !mj.Hub) {
      Object.defineProperty(mj, "Hub", {
        enumerable: false,
        value: {
          Queue: function (job) {
            var element = job && job[2];
            if (element && window.MathJax && window.MathJax.typesetPromise) {
              window.MathJax.typesetPromise([element]).catch(function () {});
            }
          },
        },
      });
    }
    return mj;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
})();
