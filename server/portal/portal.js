// portal.js - the portal's live pages: the request list and the open
// request's conversation follow the helpdesk as it works, from the
// server's event stream (GET /events, docs/portal.md), and the open
// request says which of the agency's staff is writing a reply.  Without
// this script (or without EventSource) every page is whole as it is
// served.  Everything written into the page goes through textContent or
// setAttribute, never as HTML.
(function () {
  "use strict";

  var main = document.querySelector("main[data-events]");
  if (!main || !window.EventSource) {
    return;
  }
  var base = main.getAttribute("data-events");
  // The page's own words, in its language (layout.c's live_texts()).
  var text = JSON.parse(main.getAttribute("data-text") || "{}");
  var ticket = main.getAttribute("data-ticket");
  var lastId = null;
  var failures = 0;
  var source = null;
  var replying = {};

  function el(name, attrs, text) {
    var e = document.createElement(name);
    var k;
    for (k in attrs || {}) {
      e.setAttribute(k, attrs[k]);
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function time(iso, text) {
    return el("time", { datetime: iso }, text);
  }

  // A line under the heading for what the page has to say about itself.
  function notice(text, link) {
    var p = document.getElementById("live-notice");
    if (!p) {
      p = el("p", { id: "live-notice", "class": "flash", role: "status" });
      var h1 = main.querySelector("h1");
      main.insertBefore(p, h1 ? h1.nextSibling : main.firstChild);
    }
    p.textContent = text + " ";
    if (link) {
      p.appendChild(el("a", { href: window.location.pathname +
                                    window.location.search }, link));
    }
  }

  function setStatus(span, t) {
    span.textContent = t.status;
    span.className = t.closed ? "status closed" : "status";
  }

  // ---- the list ------------------------------------------------------

  // A text with one %s (or %lld) filled in.
  function fill(format, value) {
    // A function, not a string: "$&" in a name stays "$&".
    return String(format).replace(/%(s|lld)/, function () {
      return String(value);
    });
  }

  // Would the list as it is filtered show t?
  function listed(t) {
    var q = new URLSearchParams(window.location.search);
    var status = q.get("status") || "open";
    if ((q.get("q") || "").trim() !== "") {
      return false; // a search's answer: only the server knows
    }
    if (q.get("view") !== "company" && !t.mine) {
      return false;
    }
    return status === "all" || (status === "closed") === t.closed;
  }

  function row(t) {
    var tr = el("tr", { "data-ticket": String(t.id) });
    var subject = el("td", { "class": "subject" });
    var status = el("span", {});
    var label = text.labels;
    tr.appendChild(el("td", { "data-label": label[0] }, "#" + t.id));
    subject.appendChild(el("a", { href: "/tickets/" + t.id }, t.subject));
    tr.appendChild(subject);
    tr.appendChild(el("td", { "data-label": label[2] }));
    tr.lastChild.appendChild(time(t.created, t.created_text));
    tr.appendChild(el("td", { "data-label": label[3] }));
    tr.lastChild.appendChild(time(t.last_activity, t.last_activity_text));
    tr.appendChild(el("td", { "data-label": label[4] }));
    setStatus(status, t);
    tr.lastChild.appendChild(status);
    return tr;
  }

  function tableBody() {
    var body = main.querySelector("table.tickets tbody");
    var table, head, labels, i;
    if (body) {
      return body;
    }
    // The list was empty: it gets the table the server would have made.
    table = el("table", { "class": "tickets" });
    head = el("tr");
    labels = text.labels;
    for (i = 0; i < labels.length; i++) {
      head.appendChild(el("th", { scope: "col" }, labels[i]));
    }
    table.appendChild(el("thead")).appendChild(head);
    body = table.appendChild(el("tbody"));
    var empty = main.querySelector("p.empty");
    if (empty) {
      empty.parentNode.replaceChild(table, empty);
    } else {
      main.appendChild(table);
    }
    return body;
  }

  function listChanged(t) {
    var tr = main.querySelector('tr[data-ticket="' + t.id + '"]');
    if (!listed(t)) {
      if (tr) {
        tr.parentNode.removeChild(tr);
      }
      return;
    }
    var body = tableBody();
    var fresh = row(t);
    if (tr) {
      tr.parentNode.removeChild(tr);
    }
    // Newest activity first, as the server orders it.
    body.insertBefore(fresh, body.firstChild);
  }

  // ---- one request ---------------------------------------------------

  function message(m) {
    var li = el("li", { "class": m.direction === "out" ? "out" : "in",
                        "data-message": String(m.id) });
    var from = el("p", { "class": "from" }, m.author + ", ");
    var files, i, a;
    from.appendChild(time(m.created, m.created_text));
    li.appendChild(from);
    li.appendChild(el("p", { "class": "body" }, m.body));
    if (m.files && m.files.length) {
      files = el("ul", { "class": "files" });
      for (i = 0; i < m.files.length; i++) {
        a = el("a", { href: "/attachments/" + m.files[i].id },
               m.files[i].filename);
        files.appendChild(el("li")).appendChild(a);
        files.lastChild.appendChild(document.createTextNode(
          " (" + fill(text.bytes, m.files[i].size) + ")"));
      }
      li.appendChild(files);
    }
    return li;
  }

  function conversation() {
    var ol = main.querySelector("ol.conversation");
    var after;
    if (ol) {
      return ol;
    }
    ol = el("ol", { "class": "conversation" });
    after = document.getElementById("live-replying") ||
      document.getElementById("reply") || main.querySelector("h2 + p");
    if (after) {
      main.insertBefore(ol, after);
    } else {
      main.appendChild(ol);
    }
    return ol;
  }

  function ticketChanged(t) {
    if (String(t.id) !== ticket) {
      return;
    }
    var status = main.querySelector("p.meta .status");
    var last = main.querySelectorAll("p.meta time")[1];
    if (status) {
      setStatus(status, t);
    }
    if (last) {
      last.setAttribute("datetime", t.last_activity);
      last.textContent = t.last_activity_text;
    }
    if (t.message &&
        !main.querySelector('li[data-message="' + t.message.id + '"]')) {
      conversation().appendChild(message(t.message));
    }
  }

  function showReplying() {
    var p = document.getElementById("live-replying");
    var names = Object.keys(replying);
    if (!p) {
      p = el("p", { id: "live-replying", "class": "meta", "aria-live": "polite" });
      var form = document.getElementById("reply");
      main.insertBefore(p, form || null);
    }
    p.textContent = !names.length ? "" :
      fill(names.length > 1 ? text.replying_many : text.replying_one,
           names.join(", "));
  }

  // ---- the stream ----------------------------------------------------

  function url() {
    if (lastId === null) {
      return base;
    }
    return base.replace(/since=[0-9]*/, "since=" + encodeURIComponent(lastId));
  }

  function connect() {
    source = new EventSource(url());
    source.onopen = function () {
      // Said on the page (and seen by the tests): the stream is up.
      main.setAttribute("data-live", "on");
      failures = 0;
      replying = {}; // the server says again who is replying
      if (ticket) {
        showReplying();
      }
    };
    source.addEventListener("ticket", function (e) {
      var t;
      try {
        t = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      lastId = e.lastEventId;
      if (ticket) {
        ticketChanged(t);
      } else {
        listChanged(t);
      }
    });
    source.addEventListener("presence", function (e) {
      var p;
      try {
        p = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (p.replying) {
        replying[p.name] = true;
      } else {
        delete replying[p.name];
      }
      showReplying();
    });
    source.addEventListener("reload", function () {
      notice(text.stale, text.reload);
    });
    source.onerror = function () {
      // EventSource comes back by itself after a dropped connection; an
      // answer that was not a stream (the session ended, the helpdesk
      // was busy) closes it for good, and it is tried again a few times.
      main.setAttribute("data-live", "off");
      if (source.readyState !== EventSource.CLOSED) {
        return;
      }
      failures++;
      if (failures > 5) {
        notice(text.stopped, text.reload);
        return;
      }
      window.setTimeout(connect, 5000 * failures);
    };
  }

  connect();
})();
