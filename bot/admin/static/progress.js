// Import progress: poll the task once a second and update the bar; reload when it finishes.
// Without JavaScript the page still works through its "刷新进度" link.
(function () {
  var box = document.getElementById("task");
  if (!box || box.dataset.status !== "running") return;
  var bar = document.getElementById("task-progress");
  var status = document.getElementById("task-status");  // a live region: changed only per stage
  var count = document.getElementById("task-count");
  function tick() {
    fetch(box.dataset.poll, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (t) {
        if (t.finished) { window.location.reload(); return; }
        bar.value = t.percent;
        bar.textContent = t.percent + "%";
        count.textContent = t.done + " / " + t.total + " 行";
        var stage = "正在" + (t.stage || "准备");
        if (status.textContent !== stage) status.textContent = stage;
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
})();
