/* The DLH control room: the city's bins on a map, open alerts, plan, preview, dispatch.
 *
 * Every call goes to the JSON API with the login session; writes carry the session's
 * CSRF token in X-CSRFToken. Errors come back in the API's envelope and are shown in
 * the page's language (Indonesian first), naming the bins or fields at fault.
 */
(function () {
  "use strict";

  var root = document.getElementById("dlh");
  if (!root) return;
  var T = JSON.parse(document.getElementById("dlh-strings").textContent);
  var city = root.dataset.city;
  var csrf = root.dataset.csrf;
  var ROUTE_COLOURS = ["#1f77b4", "#d62728", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#2ca02c"];

  var map = null;
  var binLayer = null;
  var planLayer = null;
  var plan = null;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function showError(text) {
    var box = document.getElementById("dlh-error");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function showNotice(text) {
    var box = document.getElementById("dlh-notice");
    box.textContent = text || "";
    box.hidden = !text;
  }

  /** A readable Indonesian sentence for an API error envelope. */
  function describe(status, body, retryAfter) {
    body = body || {};
    var errors = body.errors || {};
    if (status === 401) return T.error_session;
    if (body.type === "infeasible_problem") {
      if (errors.bins && errors.bins.length) return fmt(T.error_infeasible, { bins: errors.bins.join(", ") });
      return fmt(T.error_infeasible_trucks, { message: body.message || status });
    }
    if (body.type === "driver_busy") return fmt(T.error_driver_busy, { message: body.message });
    if (body.type === "replan_refused") return fmt(T.error_replan, { message: body.message });
    if (body.type === "distance_source_unavailable") return fmt(T.error_osrm, { message: body.message });
    if (body.type === "planner_busy") return fmt(T.error_planner_busy, { seconds: retryAfter || "30" });
    if (body.type === "planner_failed") return T.error_planner_failed;
    var fields = Object.keys(errors);
    if (status === 422 && fields.length) {
      return fmt(T.error_fields, {
        fields: fields.map(function (f) { return f + ": " + [].concat(errors[f]).join(" "); }).join("; "),
      });
    }
    return fmt(T.error, { message: body.message || status });
  }

  /** fetch() the API; resolves with the JSON body, rejects with a readable message. */
  function api(url, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrf;
    }
    return fetch(url, {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }).then(
      function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            throw new Error(describe(response.status, body, response.headers.get("Retry-After")));
          }
          return { body: body, headers: response.headers };
        });
      },
      function () { throw new Error(T.error_network); }
    );
  }

  /** A timestamp in the city's zone, whatever the PC's, in the page's language
   * ("08/12/26, 01.16 WIT" in Indonesian). */
  function localTime(iso) {
    if (!iso) return "";
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang || undefined, {
        day: "2-digit", month: "2-digit", year: "2-digit", hour: "2-digit", minute: "2-digit",
        timeZone: root.dataset.timezone || undefined, timeZoneName: "short",
      });
    } catch (e) {
      return iso.slice(0, 16).replace("T", " ");
    }
  }

  // -- map ---------------------------------------------------------------------------
  function ensureMap() {
    if (map || !window.L) return map;
    try {
      map = L.map(document.getElementById("map"));
      if (root.dataset.tileUrl) {
        L.tileLayer(root.dataset.tileUrl, { maxZoom: 19, attribution: root.dataset.tileAttribution }).addTo(map);
      }
      binLayer = L.layerGroup().addTo(map);
      planLayer = L.layerGroup().addTo(map);
    } catch (e) {
      map = null; // the lists and forms work without a map
    }
    return map;
  }

  function fillClass(bin, threshold) {
    if (bin.alerts && bin.alerts.length) return "high";
    if (bin.fill_pct === null || bin.fill_pct === undefined) return "none";
    if (bin.fill_pct >= threshold) return "high";
    if (bin.fill_pct >= 50) return "mid";
    return "low";
  }
  var FILL_COLOURS = { low: "#2e9d4f", mid: "#e0a100", high: "#c62828", none: "#8a948f" };

  function currentThreshold() {
    var value = parseFloat(document.querySelector("#plan-form [name=threshold_pct]").value);
    return isNaN(value) ? 80 : value;
  }

  // -- bins and alerts ---------------------------------------------------------------
  var bins = [];

  function loadBins(page) {
    page = page || 1;
    var url = root.dataset.binsUrl + "?city=" + encodeURIComponent(city) + "&page_size=1000&page=" + page;
    return api(url).then(function (result) {
      if (page === 1) bins = [];
      bins = bins.concat(result.body);
      var pagination = JSON.parse(result.headers.get("X-Pagination") || "{}");
      if (pagination.next_page) return loadBins(pagination.next_page);
      renderBins();
    }).catch(function (error) { showError(error.message); });
  }

  function renderBins() {
    var threshold = currentThreshold();
    var alerts = [];
    bins.forEach(function (bin) {
      (bin.alerts || []).forEach(function (alert) { alerts.push({ bin: bin, alert: alert }); });
    });
    document.getElementById("bins-summary").textContent =
      fmt(T.bins_summary, { count: bins.length, alerts: alerts.length });
    renderAlerts(alerts);
    if (!ensureMap()) return;
    binLayer.clearLayers();
    var points = [];
    bins.forEach(function (bin) {
      var level = fillClass(bin, threshold);
      var fill = bin.fill_pct === null || bin.fill_pct === undefined
        ? T.no_reading : fmt(T.fill, { pct: Math.round(bin.fill_pct) });
      var marker = L.circleMarker([bin.lat, bin.lon], {
        radius: 8,
        color: "#ffffff",
        weight: 2,
        fillColor: FILL_COLOURS[level],
        fillOpacity: 0.95,
        className: "bin-marker fill-" + level,
      });
      // A DOM node, never a string: Leaflet puts a string tooltip in as HTML, and a
      // bin's name is typed by people (a name with markup would run in this page).
      var tip = document.createElement("span");
      tip.textContent = bin.code + " · " + bin.name + " · " + fill;
      marker.bindTooltip(tip);
      marker.addTo(binLayer);
      points.push([bin.lat, bin.lon]);
    });
    if (points.length && !map.fitted) {
      map.fitBounds(L.latLngBounds(points), { padding: [24, 24] });
      map.fitted = true;
    }
  }

  function renderAlerts(alerts) {
    var list = document.getElementById("alerts");
    list.textContent = "";
    document.getElementById("no-alerts").hidden = alerts.length > 0;
    alerts.forEach(function (item) {
      var alert = item.alert;
      var li = document.createElement("li");
      li.className = "alert severity-" + alert.severity;
      li.dataset.alert = String(alert.id);
      li.dataset.bin = item.bin.code;
      var text = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = item.bin.code + " · " + item.bin.name;
      var message = document.createElement("span");
      message.className = "muted";
      // The kind and the bin's level in the page's language; the server's sentence is
      // English, so it is shown on an English page and kept as the tooltip otherwise.
      var detail = document.documentElement.lang === "en" ? alert.message
        : (item.bin.fill_pct === null || item.bin.fill_pct === undefined ? ""
          : fmt(T.fill, { pct: Math.round(item.bin.fill_pct) }));
      message.textContent = (T["kind_" + alert.kind] || alert.kind) + (detail ? " · " + detail : "") +
        " (" + localTime(alert.opened_at) + ")";
      message.title = alert.message;
      text.appendChild(title);
      text.appendChild(document.createElement("br"));
      text.appendChild(message);
      li.appendChild(text);
      if (alert.acknowledged_at) {
        var done = document.createElement("span");
        done.className = "acknowledged";
        done.textContent = fmt(T.acknowledged, { user: alert.acknowledged_by || "" });
        li.appendChild(done);
      } else {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "acknowledge";
        button.textContent = T.acknowledge;
        button.addEventListener("click", function () { acknowledge(alert, button); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  }

  function acknowledge(alert, button) {
    button.disabled = true;
    showError("");
    api(root.dataset.ackUrl.replace("/0/", "/" + alert.id + "/"), { method: "POST", body: {} })
      .then(function (result) {
        alert.acknowledged_at = result.body.acknowledged_at;
        alert.acknowledged_by = result.body.acknowledged_by;
        renderBins();
      })
      .catch(function (error) {
        button.disabled = false;
        showError(error.message);
      });
  }

  // -- planning ----------------------------------------------------------------------
  function planRequest(form) {
    var trucks = Array.prototype.map.call(
      form.querySelectorAll("[name=trucks]:checked"), function (box) { return box.value; });
    return {
      city: city,
      date: form.elements.date.value,
      trucks: trucks,
      threshold_pct: parseFloat(form.elements.threshold_pct.value),
      time_limit_s: parseFloat(form.elements.time_limit_s.value),
    };
  }

  function submitPlan(event) {
    event.preventDefault();
    var form = event.target;
    var body = planRequest(form);
    showError("");
    showNotice("");
    if (!body.trucks.length) {
      showError(T.choose_trucks);
      return;
    }
    document.getElementById("plan-button").disabled = true;
    document.getElementById("planning").hidden = false;
    api(root.dataset.plansUrl, { method: "POST", body: body })
      .then(function (result) {
        plan = result.body;
        renderPlan();
        return drawPlan(plan.id);
      })
      .catch(function (error) { showError(error.message); })
      .then(function () {
        document.getElementById("plan-button").disabled = false;
        document.getElementById("planning").hidden = true;
      });
  }

  function renderPlan() {
    var section = document.getElementById("plan-result");
    section.hidden = false;
    section.dataset.plan = String(plan.id);
    document.getElementById("plan-title").textContent = plan.replans
      ? fmt(T.replan_title, { id: plan.id, old: plan.replans, date: plan.service_date })
      : fmt(T.plan_title, { id: plan.id, date: plan.service_date });
    var suggested = {};
    (plan.suggested_assignments || []).forEach(function (item) { suggested[item.route] = item.driver; });
    document.getElementById("plan-summary").textContent = plan.routes.length ? fmt(T.plan_summary, {
      routes: plan.routes.length,
      km: plan.distance_km.toFixed(1),
      hours: plan.duration_h.toFixed(1),
      kg: Math.round(parseFloat(plan.collected_kg)),
    }) : T.no_routes;
    var left = (plan.left_out || []).map(function (skip) { return skip.bin; });
    document.getElementById("plan-left-out").textContent = left.length ? fmt(T.left_out, { bins: left.join(", ") }) : "";
    var tbody = document.querySelector("#plan-routes tbody");
    tbody.textContent = "";
    var template = document.getElementById("driver-select-template");
    plan.routes.forEach(function (route, index) {
      var tr = document.createElement("tr");
      tr.dataset.route = String(route.id);
      var bins = route.stops.filter(function (stop) { return stop.kind === "stop"; }).length;
      var cells = [
        String(index + 1),
        route.truck,
        String(bins),
        route.distance_km.toFixed(1),
        (route.duration_s / 3600).toFixed(1),
        String(Math.round(parseFloat(route.collected_kg))),
      ];
      cells.forEach(function (value, i) {
        var td = document.createElement("td");
        if (i === 0) {
          // The colour through the DOM: the page's policy allows no style="" attribute.
          var swatch = document.createElement("span");
          swatch.className = "route-swatch";
          swatch.style.background = ROUTE_COLOURS[index % ROUTE_COLOURS.length];
          td.appendChild(swatch);
        }
        td.appendChild(document.createTextNode(value));
        td.className = ["route-no", "truck", "stops", "km", "hours", "kg"][i];
        tr.appendChild(td);
      });
      var driverCell = document.createElement("td");
      var select = template.content.firstElementChild.cloneNode(true);
      select.setAttribute("aria-label", select.getAttribute("aria-label") + " " + route.truck);
      if (route.driver) select.value = route.driver;
      else if (suggested[route.id]) select.value = suggested[route.id]; // the truck's driver today
      driverCell.appendChild(select);
      if (route.dispatched_at) {
        var sent = document.createElement("span");
        sent.className = "dispatched muted";
        sent.textContent = " " + fmt(T.dispatched_to, { driver: route.driver });
        driverCell.appendChild(sent);
      }
      tr.appendChild(driverCell);
      tbody.appendChild(tr);
    });
    document.getElementById("dispatch-button").hidden = plan.routes.length === 0;
  }

  function drawPlan(planId) {
    if (!ensureMap()) return Promise.resolve();
    return api(root.dataset.geojsonUrl.replace("/0.geojson", "/" + planId + ".geojson"))
      .then(function (result) {
        planLayer.clearLayers();
        var colourOf = {};
        plan.routes.forEach(function (route, index) { colourOf[route.id] = ROUTE_COLOURS[index % ROUTE_COLOURS.length]; });
        var lines = L.geoJSON(result.body, {
          filter: function (feature) { return feature.geometry.type === "LineString"; },
          style: function (feature) {
            var id = feature.properties.route_id || feature.properties.route;
            return { color: colourOf[id] || "#333", weight: 4, opacity: 0.85, className: "plan-route" };
          },
        }).addTo(planLayer);
        var bounds = lines.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24] });
      })
      .catch(function (error) { showError(error.message); });
  }

  function dispatch() {
    if (!plan) return;
    var assignments = [];
    var missing = false;
    document.querySelectorAll("#plan-routes tbody tr").forEach(function (tr) {
      var driver = tr.querySelector("select.driver").value;
      if (!driver) missing = true;
      assignments.push({ route: parseInt(tr.dataset.route, 10), driver: driver });
    });
    showError("");
    showNotice("");
    if (missing) {
      showError(T.choose_drivers);
      return;
    }
    var button = document.getElementById("dispatch-button");
    button.disabled = true;
    api(root.dataset.dispatchUrl.replace("/0/", "/" + plan.id + "/"), { method: "POST", body: { assignments: assignments } })
      .then(function (result) {
        plan = result.body;
        renderPlan();
        showNotice(T.dispatched);
      })
      .catch(function (error) { showError(error.message); })
      .then(function () { button.disabled = false; });
  }

  /** Re-plan the rest of today's dispatched plan; the proposal shows like a new plan. */
  function replan(event) {
    var button = event.currentTarget;
    showError("");
    showNotice("");
    button.disabled = true;
    var status = document.getElementById("planning");
    status.textContent = T.replanning;
    status.hidden = false;
    var form = document.getElementById("plan-form");
    api(root.dataset.replanUrl.replace("/0/", "/" + button.dataset.plan + "/"), {
      method: "POST",
      body: {
        time_limit_s: parseFloat(form.elements.time_limit_s.value),
        add_full_bins: document.getElementById("replan-add-full").checked,
      },
    })
      .then(function (result) {
        plan = result.body;
        renderPlan();
        document.getElementById("plan-result").scrollIntoView();
        return drawPlan(plan.id);
      })
      .catch(function (error) { showError(error.message); })
      .then(function () {
        button.disabled = false;
        status.hidden = true;
      });
  }

  document.getElementById("plan-form").addEventListener("submit", submitPlan);
  document.querySelectorAll(".replan-button").forEach(function (button) {
    button.addEventListener("click", replan);
  });
  document.getElementById("dispatch-button").addEventListener("click", dispatch);
  document.querySelector("#plan-form [name=threshold_pct]").addEventListener("change", renderBins);
  loadBins(1);
})();
