/* The driver's page: today's route as a list and a map, reports queued while offline.
 *
 * Every tap makes a report with a fresh Idempotency-Key and writes it to localStorage
 * before anything is sent. The queue is sent in order; a report leaves it only after a
 * 2xx answer (201, or a replay), or after a refusal that can never succeed (a 4xx other
 * than 401, 408, 429 and the CSRF error), which is shown to the driver. A network error
 * or a 5xx keeps it for the next try: on the `online` event, every 20 s, and on the next
 * page load. Since the key travels with the report, a report sent twice (the answer was
 * lost) is stored once by the server.
 */
(function () {
  "use strict";

  var root = document.getElementById("driver");
  if (!root) return;
  var T = JSON.parse(document.getElementById("driver-strings").textContent);
  var eventsUrl = root.dataset.eventsUrl; // .../route-stops/0/events
  var routesUrl = root.dataset.routesUrl;
  var serviceDate = root.dataset.date;
  var csrf = root.dataset.csrf;
  var QUEUE = "wastebank.driver.queue." + root.dataset.user;
  var CACHE = "wastebank.driver.routes." + root.dataset.user + "." + (serviceDate || "today");
  var RETRY_MS = 20000;

  var routes = [];
  var flushing = false;
  var map = null;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; a LAN server over http has none.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // -- storage ---------------------------------------------------------------------
  function readJson(key, fallback) {
    try {
      var raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }
  function queue() { return readJson(QUEUE, []); }
  function saveQueue(items) { localStorage.setItem(QUEUE, JSON.stringify(items)); }
  function removeFromQueue(key) {
    saveQueue(queue().filter(function (item) { return item.key !== key; }));
  }

  // -- status ----------------------------------------------------------------------
  function showError(text) {
    var box = document.getElementById("driver-error");
    box.textContent = text;
    box.hidden = !text;
  }
  function showStatus() {
    var online = navigator.onLine;
    var connection = document.getElementById("connection");
    connection.textContent = online ? T.online : T.offline;
    connection.classList.toggle("is-offline", !online);
    var n = queue().length;
    var pending = document.getElementById("pending");
    pending.textContent = fmt(T.pending, { n: n });
    pending.hidden = n === 0;
    pending.dataset.count = String(n);
  }

  // -- sending ---------------------------------------------------------------------
  function send(item) {
    return fetch(eventsUrl.replace("/0/", "/" + item.stop + "/"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify(item.body),
    });
  }

  var flushAgain = false;

  function flush() {
    if (flushing) {
      flushAgain = true; // e.g. `online` while a request hangs: one more round after it
      return Promise.resolve();
    }
    flushing = true;
    flushAgain = false;
    var sentAny = false;
    function next() {
      var items = queue();
      if (!items.length) return Promise.resolve();
      var item = items[0];
      return send(item).then(function (response) {
        if (response.ok) {
          removeFromQueue(item.key);
          sentAny = true;
          showStatus();
          return next();
        }
        return response.json().catch(function () { return {}; }).then(function (body) {
          var status = response.status;
          if (status === 401) {
            showError(T.session_ended);
            return; // keep everything until the driver logs in again
          }
          if (status === 400 && body.type === "csrf_error") {
            showError(body.message || T.session_ended);
            return;
          }
          if (status === 408 || status === 429 || status >= 500) return; // try later
          // Refused for good (422, 404, 409...): tell the driver, do not retry forever.
          removeFromQueue(item.key);
          sentAny = true;
          showError(fmt(T.refused, { message: body.message || status }));
          showStatus();
          return next();
        });
      });
    }
    return next()
      .catch(function () { /* no signal: the reports wait in the queue */ })
      .then(function () {
        flushing = false;
        showStatus();
        if (flushAgain && queue().length) return flush();
        if (sentAny && !queue().length) loadRoutes();
      });
  }

  function report(stop, body) {
    body.occurred_at = new Date().toISOString();
    var items = queue();
    items.push({ key: uuid(), stop: stop.id, body: body, queued_at: body.occurred_at });
    var warning = photoWarning; // shown after the report is queued, not wiped by it
    photoWarning = "";
    try {
      saveQueue(items); // stored before sending: a closed tab loses nothing
    } catch (e) {
      if (!body.photo) throw e;
      delete body.photo; // the storage is full: keep the report, drop its photo
      saveQueue(items);
      warning = T.photo_no_space;
    }
    showError(warning);
    render();
    showStatus();
    flush();
  }

  // -- routes ----------------------------------------------------------------------
  function loadRoutes() {
    var url = routesUrl + (serviceDate ? "?date=" + encodeURIComponent(serviceDate) : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          showError(T.session_ended);
          throw new Error("session");
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        routes = data;
        localStorage.setItem(CACHE, JSON.stringify(data));
        render();
      })
      .catch(function (error) {
        routes = readJson(CACHE, []);
        if (error.message !== "session" && routes.length) showError(T.load_failed);
        render();
      });
  }

  /** The stop's state with the reports still in the queue applied on top. */
  function stateOf(stop, pendingByStop) {
    var waiting = pendingByStop[stop.id];
    return waiting ? waiting.body.kind : stop.state;
  }

  function render() {
    document.getElementById("loading").hidden = true;
    var list = document.getElementById("stops");
    var template = document.getElementById("stop-template");
    var stops = [];
    routes.forEach(function (route) { stops = stops.concat(route.stops); });
    document.getElementById("no-route").hidden = stops.length > 0;
    var summary = routes.map(function (route) {
      return fmt(T.summary, { date: route.service_date, truck: route.plate_no || route.truck, count: route.stops.length });
    });
    document.getElementById("route-summary").textContent = summary.join(" | ");
    var pendingByStop = {};
    queue().forEach(function (item) { pendingByStop[item.stop] = item; });

    // Keep what the driver is typing: re-use a stop's element when it exists.
    var existing = {};
    Array.prototype.forEach.call(list.children, function (li) { existing[li.dataset.stop] = li; });
    list.textContent = "";
    stops.forEach(function (stop) {
      var li = existing[stop.id] || buildStop(template, stop);
      var state = stateOf(stop, pendingByStop);
      li.dataset.state = state;
      li.classList.toggle("is-pending", !!pendingByStop[stop.id]);
      var badge = li.querySelector(".state");
      var reason = state === "skipped" ? reasonOf(stop, pendingByStop) : "";
      badge.textContent = T[state] + (reason ? " · " + T["reason_" + reason] : "");
      list.appendChild(li);
    });
    drawMap(stops, pendingByStop);
  }

  function reasonOf(stop, pendingByStop) {
    var waiting = pendingByStop[stop.id];
    if (waiting) return waiting.body.reason || "";
    return stop.last_event ? stop.last_event.reason || "" : "";
  }

  function buildStop(template, stop) {
    var li = template.content.firstElementChild.cloneNode(true);
    li.dataset.stop = String(stop.id);
    li.dataset.kind = stop.kind;
    li.querySelector(".seq").textContent = String(stop.seq);
    var isBin = stop.kind === "stop";
    li.querySelector(".stop-name").textContent = isBin ? stop.name : fmt(T.unload_at, { facility: stop.facility_name });
    li.querySelector(".stop-code").textContent = isBin ? fmt(T.bin, { code: stop.bin }) : stop.facility;
    li.querySelector(".stop-address").textContent = [stop.address, stop.district].filter(Boolean).join(", ");
    var facts = [fmt(T.arrival, { time: (stop.arrival_at || "").slice(11, 16) })];
    if (isBin && stop.expected_fill_pct !== null) {
      facts.push(fmt(T.fill, { pct: Math.round(stop.expected_fill_pct) }));
    }
    li.querySelector(".stop-facts").textContent = facts.join(" · ");
    li.querySelector(".nav-link").href =
      "https://www.google.com/maps/dir/?api=1&destination=" + stop.lat + "," + stop.lon;
    li.querySelector(".bin-actions").hidden = !isBin;
    var unload = li.querySelector(".unload-form");
    unload.hidden = isBin;
    li.querySelector(".photo").addEventListener("change", function () { showPhotoChoice(li); });
    var note = function () {
      var text = li.querySelector(".note").value.trim();
      return text ? { note: text } : {};
    };
    li.querySelector(".do-collect").addEventListener("click", function () {
      var body = Object.assign({ kind: "collected" }, note());
      li.querySelector(".note").value = "";
      li.querySelector(".skip-form").hidden = true;
      withPhoto(li, body).then(function (b) { report(stop, b); });
    });
    li.querySelector(".do-skip-open").addEventListener("click", function () {
      var form = li.querySelector(".skip-form");
      form.hidden = !form.hidden;
    });
    li.querySelector(".do-skip").addEventListener("click", function () {
      var body = Object.assign({ kind: "skipped", reason: li.querySelector(".reason").value }, note());
      li.querySelector(".note").value = "";
      li.querySelector(".skip-form").hidden = true;
      withPhoto(li, body).then(function (b) { report(stop, b); });
    });
    unload.addEventListener("submit", function (event) {
      event.preventDefault();
      var ticket = unload.querySelector(".ticket").value.trim();
      var weight = unload.querySelector(".weight").value.trim().replace(",", ".");
      if (!ticket || !weight) {
        showError(T.ticket_needed);
        return;
      }
      var body = { kind: "unloaded", ticket_no: ticket, net_weight_kg: weight };
      unload.reset();
      withPhoto(li, body).then(function (b) { report(stop, b); });
    });
    return li;
  }

  // -- photos --------------------------------------------------------------------
  // A phone photo is several MB: shrink it to at most 1280 px and about 450 KB of JPEG
  // (the server takes 512 KB), so that it fits the offline queue and a weak signal.
  var PHOTO_SIDE = 1280;
  var PHOTO_MAX_CHARS = 600000; // base64
  var photoWarning = "";

  function shrink(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        var quality = 0.7;
        var data = canvas.toDataURL("image/jpeg", quality);
        while (data.length > PHOTO_MAX_CHARS && quality > 0.25) {
          quality -= 0.15;
          data = canvas.toDataURL("image/jpeg", quality);
        }
        if (data.length > PHOTO_MAX_CHARS) reject(new Error("too large"));
        else resolve(data.slice(data.indexOf(",") + 1));
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("unreadable"));
      };
      img.src = url;
    });
  }

  /** The photo button says whether a photo waits for the next report. */
  function showPhotoChoice(li) {
    var input = li.querySelector(".photo");
    var chosen = !!(input && input.files && input.files.length);
    var field = li.querySelector(".photo-field");
    if (!field) return;
    field.classList.toggle("has-photo", chosen);
    field.querySelector(".photo-label").textContent = chosen ? T.photo_chosen : T.photo_label;
  }

  /** The report body with the chosen photo, if any, shrunk and base64-encoded. */
  function withPhoto(li, body) {
    var input = li.querySelector(".photo");
    var file = input && input.files && input.files[0];
    if (!file) return Promise.resolve(body);
    input.value = "";
    showPhotoChoice(li);
    return shrink(file).then(
      function (data) { body.photo = data; return body; },
      function () { photoWarning = T.photo_failed; return body; }
    );
  }

  // -- map (optional: the list works without Leaflet or tiles) --------------------
  function drawMap(stops, pendingByStop) {
    var box = document.getElementById("map");
    if (!window.L || !stops.length || !root.dataset.tileUrl) return;
    try {
      if (!map) {
        box.hidden = false;
        map = L.map(box, { tap: true });
        L.tileLayer(root.dataset.tileUrl, {
          maxZoom: 19,
          attribution: root.dataset.tileAttribution,
        }).addTo(map);
        map.markers = L.layerGroup().addTo(map);
        map.fitBounds(L.latLngBounds(stops.map(function (s) { return [s.lat, s.lon]; })), { padding: [24, 24] });
      }
      map.markers.clearLayers();
      L.polyline(stops.map(function (s) { return [s.lat, s.lon]; }), { color: "#1b7a43", weight: 3 }).addTo(map.markers);
      stops.forEach(function (stop) {
        var state = stateOf(stop, pendingByStop);
        // DOM nodes and attributes, never HTML strings: a facility's name is typed by
        // people, and Leaflet puts a string icon in as HTML.
        var pin = document.createElement("span");
        pin.textContent = String(stop.seq);
        L.marker([stop.lat, stop.lon], {
          title: stop.seq + ". " + (stop.bin || stop.facility_name),
          icon: L.divIcon({ className: "stop-pin state-" + state, html: pin, iconSize: [32, 32] }),
        }).addTo(map.markers);
      });
    } catch (e) {
      box.hidden = true; // a broken map must not take the list with it
    }
  }

  window.addEventListener("online", function () { showStatus(); flush(); });
  window.addEventListener("offline", showStatus);
  setInterval(function () { if (queue().length) flush(); }, RETRY_MS);
  showStatus();
  loadRoutes().then(flush);
})();
