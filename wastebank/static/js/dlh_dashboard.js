/* The DLH diversion dashboard's charts: Chart.js (static/vendor/chartjs) draws the rows
 * the page embeds as JSON (#dashboard-data); no API call. Labels come from
 * #dashboard-strings, translated on the server. Masses arrive in kg and are drawn in t. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var t = JSON.parse(document.getElementById("dashboard-strings").textContent);
  var GREEN = "#2e7d4f", AMBER = "#e0a100", GREY = "#8a948f", BLUE = "#2f6db5", RED = "#c62828";
  var PALETTE = [GREEN, BLUE, AMBER, RED, "#7b4fa0", "#1b9aa0", GREY, "#a0522d"];

  function tonnes(kg) { return kg === null || kg === undefined ? null : kg / 1000; }
  function column(key, convert) {
    return data.months.map(function (month) {
      var value = month.figures[key].value;
      return convert ? convert(value) : value;
    });
  }
  function draw(id, config) {
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    return new Chart(document.getElementById(id), config);
  }

  var months = data.months.map(function (month) { return month.month; });

  draw("chart-month-tonnes", {
    type: "bar",
    data: {
      labels: months,
      datasets: [
        { label: t.bank_intake, data: column("bank_intake_kg", tonnes), backgroundColor: GREEN, yAxisID: "y" },
        { label: t.diverted, data: column("diverted_kg", tonnes), backgroundColor: BLUE, yAxisID: "y" },
        { label: t.tpa, data: column("tpa_delivered_kg", tonnes), backgroundColor: GREY, yAxisID: "tpa" }
      ]
    },
    options: {
      scales: {
        y: { beginAtZero: true, position: "left", title: { display: true, text: "t" } },
        tpa: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: t.tpa } }
      }
    }
  });

  draw("chart-month-rates", {
    type: "line",
    data: {
      labels: months,
      datasets: [
        { label: t.diversion_rate, data: column("diversion_rate_pct"), borderColor: GREEN, backgroundColor: GREEN, spanGaps: true },
        { label: t.jakstranas_reduction, data: column("jakstranas_reduction_pct"), borderColor: AMBER, backgroundColor: AMBER, spanGaps: true }
      ]
    },
    options: { scales: { y: { beginAtZero: true } } }
  });

  var j = data.jakstranas;
  draw("chart-jakstranas", {
    type: "bar",
    data: {
      labels: [t.reduction, t.handling],
      datasets: [
        { label: t.achieved, data: [j.jakstranas_reduction_pct, j.jakstranas_handling_pct], backgroundColor: GREEN },
        { label: t.target, data: [j.jakstranas_reduction_target_pct, j.jakstranas_handling_target_pct], backgroundColor: GREY }
      ]
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, max: 100 } } }
  });

  draw("chart-materials", {
    type: "doughnut",
    data: {
      labels: data.materials.map(function (item) { return item.label; }),
      datasets: [{
        data: data.materials.map(function (item) { return tonnes(item.value); }),
        backgroundColor: data.materials.map(function (_, i) { return PALETTE[i % PALETTE.length]; })
      }]
    },
    options: { plugins: { legend: { position: "right" } } }
  });

  // Bank intake (measured) next to truck collection (estimated from stop demand).
  draw("chart-districts", {
    type: "bar",
    data: {
      labels: data.districts.map(function (row) { return row.label; }),
      datasets: [
        { label: t.bank_intake, data: data.districts.map(function (row) { return tonnes(row.bank_intake_kg); }), backgroundColor: GREEN },
        { label: t.truck_collected, data: data.districts.map(function (row) { return tonnes(row.truck_collected_kg); }), backgroundColor: GREY }
      ]
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "t" } } } }
  });
})();
