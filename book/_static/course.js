// Math on narrow screens (MathJax 3 does not break lines). Re-checked when the width changes.
// - A display equation up to a quarter too wide for the column is typeset smaller so that it fits; a wider one
//   scrolls inside its own box (course.css).
// - An inline formula wider than its line is marked so that course.css lets it scroll in its own box instead of
//   sticking out of the column.
(function () {
  var SMALLEST = 0.75;   // the least a display equation is scaled down: below that, it scrolls
  function fit() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (math) {
      // MathJax sets the container's font size itself (to match the text's): scale from that one.
      if (!math.dataset.courseFontSize) {
        math.dataset.courseFontSize = String(parseFloat(math.style.fontSize) || 100);
      }
      var size = parseFloat(math.dataset.courseFontSize);
      math.style.fontSize = size + "%";
      var box = math.closest("div.math") || math;
      var content = math.querySelector("mjx-math");
      var ratio = content ? box.clientWidth / content.getBoundingClientRect().width : 1;
      if (ratio < 1 && ratio >= SMALLEST) {
        math.style.fontSize = Math.floor(size * ratio - 1) + "%";
      }
    });
    document.querySelectorAll('mjx-container:not([display="true"])').forEach(function (math) {
      math.classList.remove("course-wide-math");
      var block = math.parentElement && math.parentElement.closest("p, li, td, th, dd, dt, div, figcaption");
      if (block && math.getBoundingClientRect().width > block.clientWidth) {
        math.classList.add("course-wide-math");
      }
    });
  }
  window.addEventListener("load", function () {
    var startup = window.MathJax && window.MathJax.startup;
    if (startup && startup.promise) {
      startup.promise.then(fit);
    }
  });
  window.addEventListener("resize", fit);
})();
