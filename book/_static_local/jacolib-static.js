// On the book's static pages a live panel's controls other than its
// frame slider cannot redraw anything (there is no kernel): hide them
// (the panel's note names them) and take them out of the keyboard's
// reach; give the panels' images their alt text; repair the theme's
// markup for screen readers. The widgets are rendered after the page
// loads, so watch for them. Under Live Code (thebe) a kernel runs the
// controls: leave those alone.
(function () {
  "use strict";
  function deactivate(root) {
    var controls = root.querySelectorAll
      ? root.querySelectorAll(".jacolib-kernel-only") : [];
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.inert ||
          control.closest(".thebe-cell, .thebelab-cell")) { continue; }
      control.inert = true;
      control.style.setProperty("display", "none", "important");
    }
  }
  // A panel's image carries its text alternative as a tooltip (the
  // widget library has no alt): make it the image's alt, and drop the
  // tooltip, which would cover the figure on hover.
  function describeImages(root) {
    var images = root.querySelectorAll
      ? root.querySelectorAll("img.widget-image[title]") : [];
    for (var i = 0; i < images.length; i++) {
      images[i].alt = images[i].title;
      images[i].removeAttribute("title");
    }
  }
  // A slider's handle is the element that takes the keys: name it
  // after the slider's label (the widget library leaves it unnamed).
  function nameSliders(root) {
    var handles = root.querySelectorAll
      ? root.querySelectorAll(".widget-slider [role=slider]:not([aria-label])")
      : [];
    for (var i = 0; i < handles.length; i++) {
      var slider = handles[i].closest(".widget-slider");
      var label = slider && slider.querySelector(".widget-label");
      if (label && label.textContent.trim()) {
        handles[i].setAttribute("aria-label", label.textContent.trim());
      }
    }
  }
  // The theme's and Sphinx's markup, repaired for screen readers (the
  // audit in tests/test_reader.py): buttons whose label hides their
  // visible text, and a reference list whose items use a role that a
  // list may not hold.
  function repairMarkup() {
    var buttons = document.querySelectorAll(
      ".search-button-field[aria-label]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].removeAttribute("aria-label");  // name = visible text
    }
    // Font Awesome may have turned the icons into SVGs, each titled.
    var icons = document.querySelectorAll(".theme-switch-button .theme-switch");
    for (var j = 0; j < icons.length; j++) {
      icons[j].removeAttribute("title");
      icons[j].setAttribute("aria-hidden", "true");
      var titles = icons[j].querySelectorAll("title");
      for (var t = 0; t < titles.length; t++) { titles[t].remove(); }
    }
    // The side menu's expander of a chapter's sections is an icon.
    var toggles = document.querySelectorAll(
      ".bd-sidebar-primary li > details > summary:not([aria-label])");
    for (var m = 0; m < toggles.length; m++) {
      var link = toggles[m].parentElement.parentElement.querySelector("a");
      toggles[m].setAttribute("aria-label", "Sections of " +
        (link ? link.textContent.trim() : "this chapter"));
    }
    var entries = document.querySelectorAll(
      ".citation-list > [role=doc-biblioentry]");
    for (var k = 0; k < entries.length; k++) {
      entries[k].setAttribute("role", "listitem");
    }
  }
  function refresh() {
    repairMarkup();
    deactivate(document);
    describeImages(document);
    nameSliders(document);
  }
  function start() {
    refresh();
    // The widget library adds a control's classes after it is in the
    // page, so watch attributes too; one pass per frame is enough.
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        refresh();
      });
    }).observe(document.body, { childList: true, subtree: true,
                                attributes: true,
                                attributeFilter: ["class", "title"] });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
