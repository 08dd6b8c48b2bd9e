// A form larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE gets a bare "400 Bad Request" page: the
// CSRF check reads the body before any view could explain, and the edits are gone from the screen.
// This says so before anything is sent, naming the largest field, and keeps the page as it is.
(function () {
  "use strict";

  // The length of text in an application/x-www-form-urlencoded body (what the browser sends).
  function encodedLength(text) {
    return encodeURIComponent(text).replace(/%20/g, "+").length;
  }

  function readableSize(bytes) {
    const megabyte = 1024 * 1024;
    return bytes < megabyte ? Math.round(bytes / 1024) + " KB" : (bytes / megabyte).toFixed(1) + " MB";
  }

  // "Indonesian (id): Html content" for a translation tab's field, "Html content" for the default.
  function fieldTitle(form, guard, name) {
    const field = form.elements.namedItem(name);
    const id = field && field.id;
    const label = id ? form.querySelector('label[for="' + CSS.escape(id) + '"]') : null;
    const text = label ? label.textContent.replace(/[:*]\s*$/, "").trim() : name;
    // The longest prefix: one inline's prefix may begin another's ("translated_templates-2").
    let tab = null;
    for (const section of guard.querySelectorAll("[data-prefix]")) {
      const prefix = section.dataset.prefix + "-";
      if (name.startsWith(prefix) && (!tab || prefix.length > tab.prefix.length)) {
        tab = {prefix: prefix, title: section.textContent.trim()};
      }
    }
    return tab ? tab.title + ": " + text : text;
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    const guard = form.querySelector("[data-po-size-guard]");
    if (!guard) {
      return;
    }
    const limit = Number(guard.dataset.limit);
    let total = 0;
    let largest = null;
    let largestSize = -1;
    for (const [name, value] of new FormData(form, event.submitter)) {
      if (typeof value !== "string") {
        continue;  // files are not counted against the limit
      }
      const size = encodedLength(name) + encodedLength(value) + 2;  // "=" and "&"
      total += size;
      if (size > largestSize) {
        largest = name;
        largestSize = size;
      }
    }
    const alert = document.getElementById("po-size-alert");
    if (total <= limit) {
      alert.hidden = true;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    alert.textContent = guard.dataset.message
      .replace("{size}", readableSize(total))
      .replace("{limit}", readableSize(limit))
      .replace("{field}", fieldTitle(form, guard, largest));
    alert.hidden = false;
    form.prepend(alert);
    alert.scrollIntoView({block: "center"});
  }, true);
})();
