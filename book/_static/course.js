// An inline formula wider than its line cannot wrap (MathJax 3 does not break inline math): mark it so that
// course.css lets it scroll in its own box instead of sticking out of the column. Re-checked when the width changes.
(function () {
  function mark() {
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
      startup.promise.then(mark);
    }
  });
  window.addEventListener("resize", mark);
})();
