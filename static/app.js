// Progressive enhancement only: every form and page works without this file.
document.documentElement.classList.add("js");

// The language checklist (203 languages): the chosen languages as chips (a button each
// removes one) and a filter box; only the languages matching the filter are listed, so
// the keyboard passes a few boxes, not 203. Without JS the whole list is there.
function enhanceLanguages(root) {
  var list = root.querySelector("#languages[data-filter-label]");
  if (!list || list.getAttribute("data-enhanced")) { return; }
  list.setAttribute("data-enhanced", "1");
  var labels = list.querySelectorAll("label");
  var chips = document.createElement("ul");
  chips.className = "chips";
  chips.id = "languages-chosen";
  chips.setAttribute("aria-label", list.getAttribute("data-chosen-label") || "");
  var search = document.createElement("input");
  search.type = "search";
  search.id = "languages-filter";
  search.setAttribute("aria-label", list.getAttribute("data-filter-label"));
  search.placeholder = list.getAttribute("data-filter-label");
  search.setAttribute("aria-controls", "languages");
  var removeLabel = list.getAttribute("data-remove-label") || "{name}";
  var sync = function () {
    var q = search.value.trim().toLowerCase();
    while (chips.firstChild) { chips.removeChild(chips.firstChild); }
    for (var i = 0; i < labels.length; i++) {
      var box = labels[i].querySelector("input");
      var name = labels[i].textContent.trim();
      var match = q !== "" && name.toLowerCase().indexOf(q) >= 0;
      labels[i].hidden = !match;
      if (box.checked) {
        var li = document.createElement("li");
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "chip";
        btn.setAttribute("data-for", box.id);
        btn.setAttribute("aria-label", removeLabel.replace("{name}", name));
        btn.textContent = name + " \u00d7";
        li.appendChild(btn);
        chips.appendChild(li);
      }
    }
    chips.hidden = !chips.firstChild;
    list.hidden = !list.querySelector("label:not([hidden])");
  };
  chips.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-for]");
    if (!btn) { return; }
    var box = document.getElementById(btn.getAttribute("data-for"));
    var next = btn.parentNode.nextElementSibling || btn.parentNode.previousElementSibling;
    var nextFor = next && next.querySelector("button").getAttribute("data-for");
    if (box) { box.checked = false; box.dispatchEvent(new Event("change", { bubbles: true })); }
    sync();
    var again = nextFor && chips.querySelector("button[data-for='" + nextFor + "']");
    (again || search).focus();
  });
  list.addEventListener("change", sync);
  search.addEventListener("input", sync);
  search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); } });
  list.parentNode.insertBefore(chips, list);
  list.parentNode.insertBefore(search, list);
  sync();
}

// A long select (the fee page's scope: every service) gets a filter box: the options
// that do not match are hidden, and a single match is chosen. Without JS, the select.
function enhanceSelectFilters(root) {
  var selects = root.querySelectorAll("select[data-filter-label]");
  for (var i = 0; i < selects.length; i++) {
    (function (select) {
      if (select.options.length < 12) { return; }
      var box = document.createElement("input");
      box.type = "search";
      box.id = select.id + "-filter";
      box.className = "select-filter";
      box.setAttribute("aria-label", select.getAttribute("data-filter-label"));
      box.placeholder = select.getAttribute("data-filter-label");
      box.setAttribute("aria-controls", select.id);
      box.addEventListener("input", function () {
        var q = box.value.trim().toLowerCase(), shown = [];
        for (var k = 0; k < select.options.length; k++) {
          var o = select.options[k];
          var match = q === "" || o.text.toLowerCase().indexOf(q) >= 0 || o.value.toLowerCase().indexOf(q) >= 0;
          o.hidden = !match && !o.selected;
          if (match) { shown.push(o); }
        }
        if (shown.length === 1) { select.value = shown[0].value; }
      });
      box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); select.focus(); } });
      select.parentNode.insertBefore(box, select);
    })(selects[i]);
  }
}

// Character counters ("12 of 50 characters"), announced politely.
function enhanceCounters(root) {
  var counted = root.querySelectorAll("input[data-counter]");
  for (var k = 0; k < counted.length; k++) {
    (function (input) {
      var out = root.querySelector("#" + input.getAttribute("data-counter"));
      if (!out) { return; }
      var tpl = out.getAttribute("data-template") || "";
      var show = function () { out.textContent = tpl.replace("{count}", String(input.value.length)); };
      input.addEventListener("input", show);
      show();
    })(counted[k]);
  }
}

document.addEventListener("DOMContentLoaded", function () {
  enhanceLanguages(document);
  enhanceCounters(document);
  enhanceSelectFilters(document);
  // The language switcher submits on change.
  var select = document.getElementById("lang-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }

  // Copy buttons (hidden without JS, and where the clipboard is not available).
  var copies = document.querySelectorAll("[data-copy]");
  for (var c = 0; c < copies.length; c++) {
    (function (btn) {
      var src = document.getElementById(btn.getAttribute("data-copy"));
      if (!src || !navigator.clipboard) { return; }
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.clipboard.writeText(src.textContent).then(function () {
          btn.textContent = btn.getAttribute("data-copied");
        });
      });
    })(copies[c]);
  }

  // Sign-up: the certificate field is for business members; it is shown when "business
  // member" is chosen (without JS it is always there, with its hint saying so).
  var cert = document.getElementById("certificate");
  var types = document.querySelectorAll("input[name=member_type]");
  if (cert && types.length) {
    var field = cert.closest(".field");
    var sync = function () {
      var business = document.getElementById("member_type_business");
      field.hidden = !(business && business.checked);
    };
    for (var i = 0; i < types.length; i++) { types[i].addEventListener("change", sync); }
    sync();
  }

  // "Add service" opens its form in a dialog; without JS it is a page of its own.
  var add = document.getElementById("add-service");
  if (add && window.fetch && window.DOMParser && typeof HTMLDialogElement === "function") {
    add.addEventListener("click", function (ev) {
      ev.preventDefault();
      fetch(add.href, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var form = doc.querySelector("main form");
          if (!form) { window.location.href = add.href; return; }
          var dialog = document.createElement("dialog");
          dialog.className = "modal";
          dialog.setAttribute("aria-label", add.textContent);
          var close = document.createElement("button");
          close.type = "button";
          close.className = "link close";
          close.textContent = "\u00d7";
          close.setAttribute("aria-label", add.getAttribute("data-close-label") || "");
          close.addEventListener("click", function () { dialog.close(); });
          // Closed by the button or Escape, it leaves the page (no duplicate IDs later).
          dialog.addEventListener("close", function () { dialog.remove(); add.focus(); });
          var title = document.createElement("h2");
          title.id = "add-service-dialog-title";
          title.textContent = add.textContent;
          dialog.removeAttribute("aria-label");
          dialog.setAttribute("aria-labelledby", title.id);
          dialog.appendChild(close);
          dialog.appendChild(title);
          dialog.appendChild(document.importNode(form, true));
          document.body.appendChild(dialog);
          enhanceLanguages(dialog);
          enhanceCounters(dialog);
          dialog.showModal();
        })
        .catch(function () { window.location.href = add.href; });
    });
  }

  // The contract form refreshes its estimated cost as the user changes it (the server
  // computes it; the "update the estimate" button does the same without JS).
  var contract = document.querySelector("form[data-estimate]");
  if (contract && window.fetch && window.DOMParser) {
    var pending = null;
    contract.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        var data = new URLSearchParams(new FormData(contract));
        data.set("action", "estimate");
        // Not `contract.action`: the form has a button named "action".
        fetch(contract.getAttribute("action"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: data.toString()
        })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("estimate");
            var mine = document.getElementById("estimate");
            if (fresh && mine) { mine.textContent = fresh.textContent; }
          })
          .catch(function () {});
      }, 250);
    });
  }

  // The phone widget's timer counts on from the server's figure.
  var timer = document.getElementById("widget-timer");
  if (timer) {
    var base = parseInt(timer.getAttribute("data-elapsed"), 10) || 0;
    var t0 = Date.now();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    setInterval(function () {
      var s = base + Math.floor((Date.now() - t0) / 1000);
      timer.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    }, 1000);
  }

  // My performance opens as a dialog that refreshes itself while open; without JS it is
  // a page (refreshed by its meta refresh).
  var perf = document.getElementById("nav-performance");
  if (perf && window.fetch && window.DOMParser && typeof HTMLDialogElement === "function") {
    perf.addEventListener("click", function (ev) {
      ev.preventDefault();
      var dialog = document.createElement("dialog");
      dialog.className = "modal";
      dialog.setAttribute("aria-label", perf.textContent);
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link close";
      close.textContent = "\u00d7";
      close.setAttribute("aria-label", perf.getAttribute("data-close-label") || "");
      var body = document.createElement("div");
      dialog.appendChild(close);
      dialog.appendChild(body);
      var poll = null;
      var load = function () {
        fetch(perf.href, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var main = doc.querySelector("main");
            if (main) { body.innerHTML = main.innerHTML; }
          })
          .catch(function () {});
      };
      close.addEventListener("click", function () { dialog.close(); });
      dialog.addEventListener("close", function () { clearInterval(poll); dialog.remove(); perf.focus(); });
      document.body.appendChild(dialog);
      load();
      poll = setInterval(load, 15000);
      dialog.showModal();
    });
  }

  // A summary link moves the focus to its field (without JS the page scrolls there).
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest(".error-summary a[href^='#']");
    var field = a && document.getElementById(a.getAttribute("href").slice(1));
    if (field) { ev.preventDefault(); field.focus(); }
  });

  // After a failed submit: a summary of the messages above the first form with errors,
  // each linking to its field, and the focus on it (the messages stay by their fields).
  var errs = document.querySelectorAll("main .field-error");
  var served = document.getElementById("error-summary");
  if (served) { served.focus(); }
  if (errs.length && !served) {
    var box = document.createElement("div");
    box.className = "error-summary";
    box.id = "error-summary";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var h = document.createElement("h2");
    h.textContent = document.body.getAttribute("data-error-summary") || "";
    box.appendChild(h);
    var list = document.createElement("ul");
    for (var e = 0; e < errs.length; e++) {
      var field = errs[e].closest(".field");
      var input = document.querySelector("[aria-describedby~='" + errs[e].id + "']") ||
        (field && field.querySelector("input, select, textarea"));
      var li = document.createElement("li");
      if (input && input.id) {
        var a = document.createElement("a");
        a.href = "#" + input.id;
        a.textContent = errs[e].textContent;
        li.appendChild(a);
      } else {
        li.textContent = errs[e].textContent;
      }
      list.appendChild(li);
    }
    box.appendChild(list);
    var form = errs[0].closest("form");
    var at = form || document.querySelector("main");
    at.parentNode.insertBefore(box, at);
    box.focus();
  }


});
