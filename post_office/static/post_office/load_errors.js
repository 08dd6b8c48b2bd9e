// A console part that htmx fails to load says so in place, instead of a spinner that never ends,
// figures that silently stop changing, or the login page drawn inside a panel once the session has
// ended. The part's element carries the words (data-po-error, translated by the server); the next
// good answer replaces the notice along with the rest of the part.
(function () {
  "use strict";

  const NOTICE_CLASSES = "po-load-error mb-2 px-3 py-2 rounded-default text-sm " +
    "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400";

  function hostOf(event) {
    const target = event.detail.target;
    return target && target.closest ? target.closest("[data-po-error]") : null;
  }

  function show(host, reason) {
    let notice = host.querySelector(":scope > .po-load-error");
    if (!notice) {
      notice = document.createElement("p");
      notice.className = NOTICE_CLASSES;
      notice.setAttribute("role", "alert");
      host.prepend(notice);
    }
    const text = host.dataset.poError.replace("{reason}", () => reason);
    if (notice.textContent !== text) {  // a screen reader announces each change of an alert
      notice.textContent = text;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    const host = hostOf(event);
    if (host) {
      const xhr = event.detail.xhr;
      show(host, xhr && xhr.status ? "HTTP " + xhr.status : host.dataset.poNoAnswer);
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    const host = hostOf(event);
    if (host) {
      show(host, host.dataset.poNoAnswer);
    }
  });

  // The parts are fragments: a whole page in their place, after a successful answer, is the login
  // page that a redirect led to.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const host = hostOf(event);
    const xhr = event.detail.xhr;
    if (host && xhr && xhr.status < 400 && /<html[\s>]/i.test(xhr.responseText || "")) {
      event.detail.shouldSwap = false;
      show(host, host.dataset.poSignedOut);
    }
  });
})();
