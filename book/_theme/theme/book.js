// The book's small page helpers (loaded with `defer` on every page, before the theme's scripts).
(function () {
  "use strict";

  // Touch screens: a tapped button keeps the focus, so Bootstrap's hover/focus tooltip stayed
  // open over the header after the tap. Tooltips repeat the button's name; drop them there.
  function dropTooltips() {
    document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      var tip = window.bootstrap && window.bootstrap.Tooltip && window.bootstrap.Tooltip.getInstance(el);
      if (tip) tip.dispose();
      el.removeAttribute("data-bs-toggle");
      if (!el.getAttribute("aria-label") && el.title) el.setAttribute("aria-label", el.title);
      el.removeAttribute("title");
    });
  }
  if (window.matchMedia("(hover: none)").matches) dropTooltips();
  document.addEventListener("pointerdown", function (e) {
    if (e.pointerType === "touch") dropTooltips();
  }, { capture: true, passive: true });
  // Mouse: the clicked button keeps the focus and the pointer, so its tooltip would show (or stay)
  // over what the click opened. Silence it until the pointer leaves the button, and (a mouse click
  // only: e.detail > 0; keyboard users keep their focus) let go of the focus that would show it again.
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest('[data-bs-toggle="tooltip"]');
    var Tooltip = window.bootstrap && window.bootstrap.Tooltip;
    var tip = el && Tooltip && Tooltip.getInstance(el);
    if (!tip) return;
    tip.disable();
    tip.hide();
    if (e.detail > 0) el.blur();
    el.addEventListener("mouseleave", function () { tip.enable(); }, { once: true });
  }, { capture: true });

  // Keyboard users must be able to scroll every block that scrolls (code, outputs, tables,
  // the playground's logs): give each one that overflows a tab stop and a name.
  var SCROLLERS = "pre, div.highlight, .output, .cell_output, .table-wrapper, " +
    ".pst-scrollable-table-container, .mg-scroll, .mg-pg [style*='overflow'], div.math";
  function markScrollable() {
    document.querySelectorAll(SCROLLERS).forEach(function (el) {
      var style = window.getComputedStyle(el);
      var scrolls = /(auto|scroll)/.test(style.overflowX + style.overflowY) &&
        (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
      if (!scrolls || el.hasAttribute("tabindex")) return;
      // Skip blocks inside a block that already scrolls and has a tab stop.
      var outer = el.parentElement && el.parentElement.closest("[data-mg-scroll]");
      if (outer) return;
      el.setAttribute("tabindex", "0");
      el.setAttribute("data-mg-scroll", "");
      if (!el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) {
        if (!el.getAttribute("role")) el.setAttribute("role", "region");
        el.setAttribute("aria-label", el.matches("pre, div.highlight") ? "Code (scrollable)"
          : el.matches("div.math") ? "Equation (scrollable)" : "Scrollable output");
      }
    });
  }
  // ipywidgets' sliders draw their handle as a <div role="slider"> that carries no name, although
  // the widget has a visible description ("temperature"): name the handle after it.
  function nameSliderHandles() {
    document.querySelectorAll(".widget-slider, .widget-hslider, .widget-vslider").forEach(function (w) {
      var label = w.querySelector(".widget-label");
      var text = label && label.textContent.trim();
      w.querySelectorAll('.noUi-handle[role="slider"], [role="slider"]').forEach(function (handle) {
        if (text && !handle.getAttribute("aria-label") && !handle.getAttribute("aria-labelledby")) {
          handle.setAttribute("aria-label", text);
        }
      });
    });
  }

  var pending = null;
  function later() {
    if (pending === null) pending = window.setTimeout(function () { pending = null; markScrollable(); nameSliderHandles(); }, 200);
  }
  function start() {
    markScrollable();
    nameSliderHandles();
    window.addEventListener("resize", later);
    window.addEventListener("load", later);
    // Content that appears later (widgets, the playground's samples) is checked too.
    new MutationObserver(later).observe(document.body, { childList: true, subtree: true, characterData: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.mgMarkScrollable = markScrollable;
})();
