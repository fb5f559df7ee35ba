// Loaded after require.js and before embed-amd.js (see nb_ipywidgets_js in _config.yml).
// embed-amd.js looks for its font files next to the URL that RequireJS gives its
// module ("@jupyter-widgets/html-manager/dist/libembed-amd"), which by default is
// relative to the page. Point that module path at this folder, wherever the page is.
(function () {
  var here = document.currentScript.src.replace(/[?#].*$/, "").replace(/\/[^\/]*$/, "");
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": here } });
})();
