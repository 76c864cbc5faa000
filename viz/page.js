// Pan (drag), zoom (wheel, buttons) and search for a kiln graph page.
// The view is the SVG's viewBox: (x, y) is the graph point at the top
// left corner, s the screen pixels per graph unit.
(function () {
  "use strict";
  var view = document.getElementById("view");
  var svg = view.querySelector("svg");
  if (!svg) { return; }
  var box = svg.viewBox.baseVal;
  var X0 = box.x, Y0 = box.y, W = box.width, H = box.height;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  var x = X0, y = Y0, s = 1;

  function apply() {
    var w = view.clientWidth || 1, h = view.clientHeight || 1;
    svg.setAttribute("viewBox", x + " " + y + " " + (w / s) + " " + (h / s));
  }
  function fit() {
    var w = view.clientWidth || 1, h = view.clientHeight || 1;
    s = Math.min(w / W, h / H);
    x = X0 - (w / s - W) / 2;
    y = Y0 - (h / s - H) / 2;
    apply();
  }
  // graphPoint returns the graph coordinates of the centre of element el.
  function graphPoint(el) {
    var r = el.getBoundingClientRect(), v = view.getBoundingClientRect();
    return { x: x + (r.left + r.width / 2 - v.left) / s, y: y + (r.top + r.height / 2 - v.top) / s };
  }
  // centerOn centres element el at scale scale (the current one when
  // absent). The element's place is read before the scale changes.
  function centerOn(el, scale) {
    var p = graphPoint(el), w = view.clientWidth, h = view.clientHeight;
    if (scale) { s = scale; }
    x = p.x - w / s / 2;
    y = p.y - h / s / 2;
    apply();
  }
  // The first view: the whole graph when its text stays readable, else
  // the top of the graph at a readable scale, centred on the first input.
  function start() {
    var w = view.clientWidth || 1, h = view.clientHeight || 1;
    s = Math.min(w / W, h / H);
    if (s >= 0.7) { fit(); return; }
    s = Math.max(Math.min(1, w / W), 0.8);
    x = X0 + (W - w / s) / 2;
    y = Y0;
    apply();
    var first = svg.querySelector("g.node");
    if (first && W * s > w) {
      var p = graphPoint(first);
      x = Math.max(X0, Math.min(p.x - w / s / 2, X0 + W - w / s));
      apply();
    }
  }
  function zoom(f, px, py) {
    var gx = x + px / s, gy = y + py / s;
    s = Math.max(0.02, Math.min(8, s * f));
    x = gx - px / s;
    y = gy - py / s;
    apply();
  }

  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    var v = view.getBoundingClientRect();
    zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - v.left, e.clientY - v.top);
  }, { passive: false });
  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    drag = { px: e.clientX, py: e.clientY, x: x, y: y };
    view.setPointerCapture(e.pointerId);
    view.classList.add("drag");
  });
  view.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    x = drag.x - (e.clientX - drag.px) / s;
    y = drag.y - (e.clientY - drag.py) / s;
    apply();
  });
  function endDrag() { drag = null; view.classList.remove("drag"); }
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointercancel", endDrag);
  window.addEventListener("resize", apply);

  document.getElementById("fit").onclick = fit;
  document.getElementById("top").onclick = start;
  document.getElementById("zin").onclick = function () { zoom(1.25, view.clientWidth / 2, view.clientHeight / 2); };
  document.getElementById("zout").onclick = function () { zoom(0.8, view.clientWidth / 2, view.clientHeight / 2); };

  // Search: a node matches when its label or tooltip (op name, location,
  // value names, types) contains the query, ignoring case.
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node"));
  var texts = nodes.map(function (n) {
    var t = "";
    n.querySelectorAll("text").forEach(function (e) { t += e.textContent + "\n"; });
    n.querySelectorAll("a").forEach(function (a) {
      t += (a.getAttribute("xlink:title") || "") + "\n";
    });
    return t.toLowerCase();
  });
  var hits = [], cur = -1;
  var input = document.getElementById("q"), count = document.getElementById("count");
  function show(i) {
    if (cur >= 0 && hits[cur]) { hits[cur].classList.remove("current"); }
    cur = i;
    hits[cur].classList.add("current");
    centerOn(hits[cur], Math.max(s, 1));
    count.textContent = (cur + 1) + " / " + hits.length;
  }
  function search() {
    hits.forEach(function (n) { n.classList.remove("hit", "current"); });
    hits = [];
    cur = -1;
    var q = input.value.trim().toLowerCase();
    if (q === "") { count.textContent = ""; return; }
    nodes.forEach(function (n, i) { if (texts[i].indexOf(q) >= 0) { hits.push(n); n.classList.add("hit"); } });
    if (hits.length === 0) { count.textContent = "no match"; return; }
    show(0);
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && hits.length > 0) {
      e.preventDefault();
      show((cur + (e.shiftKey ? hits.length - 1 : 1)) % hits.length);
    }
  });

  // page.html#fit opens on the whole graph, page.html#find=TEXT on the
  // first node matching TEXT.
  start();
  if (location.hash === "#fit") {
    fit();
  } else if (location.hash.indexOf("#find=") === 0) {
    input.value = decodeURIComponent(location.hash.slice(6));
    search();
  }
})();
