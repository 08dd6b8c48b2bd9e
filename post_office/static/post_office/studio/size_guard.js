// A form larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE gets a bare "400 Bad Request" page: the
// CSRF check reads the body before any view could explain, and the edits are gone from the screen.
// This says so before anything is sent, naming the largest field, and keeps the page as it is.
(function () {
  "use strict";

  // What Django counts of one field, as the browser will send it: the whole urlencoded body, or
  // for multipart the name and the raw bytes of each field that is not a file. Browsers send
  // line breaks as CRLF, whatever the textarea holds.
  function fieldSize(name, value, multipart) {
    const sent = value.replace(/\r\n|\r|\n/g, "\r\n");
    if (multipart) {
      return name.length + 2 + new TextEncoder().encode(sent).length;
    }
    return new URLSearchParams([[name, sent]]).toString().length + 1;  // and its "&"
  }

  // Sizes round away from the limit, so that a form just over it never reads as equal.
  function readableSize(bytes, round) {
    const kilobyte = 1024;
    const megabyte = 1024 * kilobyte;
    if (bytes < megabyte) {
      return round(bytes / kilobyte) + " KB";
    }
    return (round(bytes / megabyte * 100) / 100).toFixed(2) + " MB";
  }

  // "Indonesian (id): HTML content" for a translation tab's field, "HTML content" for the default.
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
    const limit = guard ? Number(guard.dataset.limit) : NaN;
    if (event.defaultPrevented || !Number.isFinite(limit)) {
      return;  // not ours, already stopped, or no limit we can read: let Django decide
    }
    const multipart = form.enctype === "multipart/form-data";
    let total = multipart ? 0 : -1;  // urlencoded: no "&" after the last field
    let largest = null;
    let largestSize = -1;
    for (const [name, value] of new FormData(form, event.submitter)) {
      if (typeof value !== "string") {
        continue;  // files are not counted against the limit
      }
      const size = fieldSize(name, value, multipart);
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
    const parts = {
      size: readableSize(total, Math.ceil),
      limit: readableSize(limit, Math.floor),
      field: fieldTitle(form, guard, largest),
    };
    alert.textContent = guard.dataset.message.replace(/\{(size|limit|field)\}/g, (_, key) => parts[key]);
    alert.hidden = false;
    form.prepend(alert);
    alert.focus();
    alert.scrollIntoView({block: "center"});
  }, true);
})();
