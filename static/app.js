// Progressive enhancement only: every form works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("lang-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
