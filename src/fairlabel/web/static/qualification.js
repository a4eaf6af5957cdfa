// The qualification test page: the attempt's time on the page goes with the answers (the
// time is paid), counted from when the page was shown.
"use strict";

(() => {
  const started = Date.now();
  const form = document.getElementById("attempt");
  if (!form) return;
  form.addEventListener("submit", () => {
    document.getElementById("time-spent").value = String(Date.now() - started);
  });
})();
