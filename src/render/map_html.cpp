#include <memmap/render/map_html.hpp>
#include <memmap/render/json.hpp>

#include <memmap/render/format.hpp>
#include <memmap/render/map_svg.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <sstream>

namespace memmap::render {

namespace {

constexpr model::RegionKind k_all_kinds[] = {
  model::RegionKind::system_ram,      model::RegionKind::reserved,
  model::RegionKind::acpi_tables,     model::RegionKind::acpi_nvs,
  model::RegionKind::persistent_memory, model::RegionKind::soft_reserved,
  model::RegionKind::unusable,        model::RegionKind::kernel_image,
  model::RegionKind::crash_kernel,    model::RegionKind::rom,
  model::RegionKind::pci_host_bridge, model::RegionKind::pci_bridge_window,
  model::RegionKind::pci_device,      model::RegionKind::pci_ecam,
  model::RegionKind::ioapic,          model::RegionKind::local_apic,
  model::RegionKind::hpet,            model::RegionKind::cxl,
  model::RegionKind::pnp,             model::RegionKind::driver,
  model::RegionKind::other,
};

constexpr const char* k_css = R"CSS(
body{font:13px/1.35 "DejaVu Sans",sans-serif;margin:0;color:#212121;background:#fff}
header{padding:10px 16px 6px;border-bottom:1px solid #ddd}
h1{font-size:17px;margin:0 0 4px}
.hint{color:#555;margin:2px 0}
#crumbs{font-family:"DejaVu Sans Mono",monospace;margin:4px 0}
#crumbs a{color:#1565c0;cursor:pointer;text-decoration:underline}
main{display:flex;align-items:flex-start;gap:24px;padding:12px 16px}
#map{position:relative;font:11px/1 "DejaVu Sans Mono",monospace;flex:none}
#map .box,#map .hole{position:absolute;box-sizing:border-box;border:1px solid;overflow:hidden;
  cursor:zoom-in;border-radius:2px}
#map .hole{border-style:dashed;background:#fff;border-color:#a0a0a0;color:#666;cursor:default}
#map .box:hover{outline:2px solid #ff6f00;z-index:5}
#map .clip-top{border-top:3px double}
#map .clip-bottom{border-bottom:3px double}
#map .lab{position:absolute;left:6px;right:6px;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis;height:14px;line-height:14px}
#map .lab .r{float:right;margin-left:8px}
#map .lab.t{font-weight:bold}
#map .lab.d{color:#555}
#map .ax{position:absolute;text-align:right;color:#333;white-space:nowrap}
#map .brk{position:absolute;color:#777}
#map .colhead{position:absolute;top:-18px;color:#333;font-weight:bold}
#map .link{position:absolute;border-top:1px dashed #1565c0;height:0}
#legend{flex:none;width:280px}
#legend h2{font-size:14px;margin:0 0 6px}
#legend .sw{display:inline-block;width:22px;height:12px;border:1px solid;margin-right:8px;
  vertical-align:middle}
#legend div{margin:3px 0}
#legend p{color:#555;margin:8px 0 0}
#tip{position:fixed;z-index:10;background:#fffde7;border:1px solid #9e9e9e;padding:6px 8px;
  font:12px/1.35 "DejaVu Sans Mono",monospace;white-space:pre;pointer-events:none;
  box-shadow:2px 2px 6px rgba(0,0,0,.2)}
)CSS";

// Draws #map from the JSON layout; zoom = draw one item's subtree at full width with taller
// lines; hover = #tip with the item's facts.
constexpr const char* k_script = R"JS(
(function () {
  'use strict';
  var L = JSON.parse(document.getElementById('layout').textContent);
  var items = L.items;
  var map = document.getElementById('map');
  var tip = document.getElementById('tip');
  var crumbs = document.getElementById('crumbs');
  var LINE = 18, INDENT = 14, COL = 620, GAP = 60, CH = 6.6;
  var AXIS = Math.round((String(L.axis.length ? (L.axis[0].cpu_label || '') : '').length || 9) * CH + 20);
  var kids = items.map(function () { return []; });
  items.forEach(function (it, i) { if (it.parent >= 0) kids[it.parent].push(i); });
  var root = -1;

  function inView(i) {
    if (root < 0) return true;
    for (var j = i; j >= 0; j = items[j].parent) { if (j === root) return true; }
    return false;
  }
  function path(i) {
    var p = [];
    for (var j = items[i].parent; j >= 0; j = items[j].parent) p.unshift(items[j].title);
    return p.join(' > ');
  }
  function facts(it, i) {
    var f = [it.title, 'range: ' + it.range + '  (' + it.size + ')'];
    if (it.type === 'box') {
      f.push('kind: ' + (L.kinds.filter(function (k) { return k.kind === it.kind; })[0] || {label: it.kind}).label);
      if (it.owner) f.push('owner: ' + it.owner);
    } else if (it.type === 'elided') {
      f.push(it.hidden + ' region(s) left out by --filter');
    } else {
      f.push('no region claims these addresses (drawn 1 line high: not to scale)');
    }
    if (it.parent >= 0) f.push('inside: ' + path(i));
    if (it.device) {
      var d = it.device;
      f.push('device: ' + d.bdf + (d.name ? '  ' + d.name : ''));
      f.push('driver: ' + (d.driver || (d.name === null ? 'unknown (no sysfs in this source)' : '(none bound)')));
      f.push('BAR: ' + (d.bar === null ? 'unknown' : (d.bar <= 5 ? d.bar : d.bar_name)));
      f.push('NUMA node: ' + (d.numa_node === null ? 'unknown' : d.numa_node));
      f.push('IOMMU group: ' + (d.iommu_group === null ? 'unknown' : d.iommu_group));
    }
    if (it.bus_start !== null) f.push('PCI bus: ' + it.bus_start + '-' + it.bus_end);
    if (it.line) f.push('source: ' + L.source + ':' + it.line);
    return f.join('\n');
  }
  function el(cls, x, y, w, h, parent) {
    var e = document.createElement('div');
    e.className = cls;
    e.style.left = x + 'px'; e.style.top = y + 'px';
    if (w !== null) e.style.width = w + 'px';
    if (h !== null) e.style.height = h + 'px';
    (parent || map).appendChild(e);
    return e;
  }
  function label(box, cls, y, left, right) {
    var e = el('lab ' + cls, 6, y, null, null, box);
    e.style.left = ''; 
    if (right) { var r = document.createElement('span'); r.className = 'r'; r.textContent = right; e.appendChild(r); }
    e.appendChild(document.createTextNode(left));
  }
  function draw() {
    map.textContent = '';
    var r = root < 0 ? null : items[root];
    var top0 = r ? r.top : 0, depth0 = r ? r.depth : 0;
    var lines = r ? r.bottom - r.top + 1 : L.lines;
    var avail = Math.max(window.innerHeight - 170, 300);
    var unit = r ? Math.max(LINE, Math.min(54, Math.floor(avail / lines))) : LINE;
    var cols = [{x: AXIS, bus: false}];
    if (L.bus_differs) cols.push({x: AXIS + COL + GAP + AXIS, bus: true});
    map.style.width = (cols[cols.length - 1].x + COL + 4) + 'px';
    map.style.height = (lines * unit + 4) + 'px';
    map.style.marginTop = '20px';
    el('colhead', AXIS, -18, null, null).textContent = 'CPU physical';
    if (L.bus_differs) el('colhead', cols[1].x, -18, null, null).textContent = 'PCI bus';
    L.axis.forEach(function (a) {
      if (a.line < top0 || a.line >= top0 + lines) return;
      var y = (a.line - top0 + 0.5) * unit;
      if (a.cpu_label) el('ax', 0, y - 6, AXIS - 8, null).textContent = a.cpu_label;
      else if (a['break']) el('brk', AXIS - 18, y - 7, null, null).textContent = '\u2248';
      if (a.bus_label && L.bus_differs) el('ax', cols[1].x - AXIS, y - 6, AXIS - 8, null).textContent = a.bus_label;
    });
    cols.forEach(function (col) {
      items.forEach(function (it, i) {
        if (!inView(i) || (col.bus && it.bus_start === null)) return;
        var d = it.depth - depth0;
        var indent = Math.min(d * INDENT, (COL - 160) / 2);
        var y0 = (it.top - top0 + 0.5) * unit, h = (it.bottom - it.top) * unit;
        var cls = it.type === 'box' ? 'box k-' + it.kind : 'hole';
        if (it.clipped_above) cls += ' clip-top';
        if (it.clipped_below) cls += ' clip-bottom';
        var b = el(cls, col.x + indent, y0, COL - 2 * indent, h);
        b.dataset.idx = i; b.dataset.name = it.name || it.title; b.dataset.kind = it.kind || it.type;
        b.dataset.start = it.start; b.dataset.end = it.end;
        if (col.bus) b.dataset.view = 'bus';
        var n = it.has_children ? 1 : Math.max(1, Math.floor((it.bottom - it.top - 1) * unit / 15));
        var size = it.size, range = col.bus ? it.bus_start + '-' + it.bus_end : it.range;
        var dev = it.device ? (it.device.name || '') + (it.device.driver && it.claims.indexOf(it.device.driver) < 0 ? ' [' + it.device.driver + ']' : '') : '';
        var bar = it.device && it.device.bar !== null ? ' ' + it.device.bar_name : '';
        var ly = unit / 2 + unit * 0.5 - 7;
        if (n === 1) {
          label(b, it.type === 'box' ? 't' : 'd', ly, it.title + (dev ? '  ' + dev : ''), (it.type === 'box' ? range + bar + '  ' : '') + size);
        } else {
          label(b, 't', ly, it.title, size);
          label(b, '', ly + 15, range + bar, '');
          if (dev && n > 2) label(b, 'd', ly + 30, dev, '');
        }
        b.addEventListener('mousemove', function (ev) {
          ev.stopPropagation();
          tip.textContent = facts(it, i); tip.hidden = false;
          var x = ev.clientX + 14, y = ev.clientY + 14;
          if (x + tip.offsetWidth > window.innerWidth) x = ev.clientX - tip.offsetWidth - 8;
          if (y + tip.offsetHeight > window.innerHeight) y = ev.clientY - tip.offsetHeight - 8;
          tip.style.left = x + 'px'; tip.style.top = y + 'px';
        });
        b.addEventListener('mouseleave', function () { tip.hidden = true; });
        if (it.type === 'box') {
          b.addEventListener('click', function (ev) { ev.stopPropagation(); zoom(i === root ? it.parent : i); });
        }
      });
      if (col.bus && r === null) {
        items.forEach(function (it) {
          if (it.depth !== 0 || it.bus_start === null) return;
          el('link', AXIS + COL, (it.top + 1.5) * unit, GAP + AXIS - 0, null);
        });
      }
    });
    crumbs.textContent = '';
    var chain = [];
    for (var j = root; j >= 0; j = items[j].parent) chain.unshift(j);
    chain.unshift(-1);
    chain.forEach(function (j, k) {
      if (k > 0) crumbs.appendChild(document.createTextNode(' > '));
      var name = j < 0 ? 'whole map' : items[j].title + ' (' + items[j].range + ')';
      if (j === root) { crumbs.appendChild(document.createTextNode(name)); return; }
      var a = document.createElement('a'); a.textContent = name;
      a.addEventListener('click', function () { zoom(j); });
      crumbs.appendChild(a);
    });
  }
  function zoom(i) {
    root = i; tip.hidden = true; draw(); window.scrollTo(0, 0);
    var h = i < 0 ? '' : '#zoom=' + i;
    if (location.hash === h) return;
    history.replaceState(null, '', h || location.pathname);
  }
  items.forEach(function (it, i) { it.has_children = kids[i].length > 0; });
  map.addEventListener('click', function () { if (root >= 0) zoom(items[root].parent); });
  document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') zoom(-1); });
  // Links: #zoom=N draws box N alone; #detail=N shows box N's details (also #zoom=N&detail=M).
  var z = /zoom=(\d+)/.exec(location.hash), t = /detail=(\d+)/.exec(location.hash);
  if (z && +z[1] < items.length && items[+z[1]].type === 'box') root = +z[1];
  draw();
  if (t && +t[1] < items.length) {
    var b = map.querySelector('[data-idx="' + t[1] + '"]');
    if (b) {
      var rc = b.getBoundingClientRect();
      tip.textContent = facts(items[+t[1]], +t[1]); tip.hidden = false;
      tip.style.left = Math.max(0, rc.left + 40) + 'px';
      tip.style.top = Math.max(0, rc.bottom + 4) + 'px';
    }
  }
})();
)JS";

// JSON inside <script type="application/json">: "</" must not close the element.
std::string
script_safe(const std::string& json)
{
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += json[i];
    }
  }
  return out;
}

} // namespace

void
render_map_html(const MapLayout& layout, std::ostream& out)
{
  const std::string title = xml_escape(
    "CPU physical address map: " + layout.source
    + (layout.range ? fmt::format(", {}-{}", hex(layout.range->start), hex(layout.range->end))
                    : std::string()));
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"generator\" content=\"memmap map --html\">\n"
      << "<title>" << title << "</title>\n<style>" << k_css;
  for (auto k : k_all_kinds) {
    const MapPaint p = map_paint(k);
    out << fmt::format(".k-{0}{{background:{1};border-color:{2}}}", model::to_string(k), p.fill,
                       p.stroke);
  }
  out << "\n</style>\n</head>\n<body>\n<header>\n<h1>" << title << "</h1>\n"
      << "<nav id=\"crumbs\"></nav>\n"
      << "<p class=\"hint\">Click a box to zoom into it; click outside the boxes to zoom out one "
         "level, Escape for the whole map. Hover a box for its details.</p>\n</header>\n<main>\n"
      << "<div id=\"map\"></div>\n<aside id=\"legend\">\n<h2>Legend</h2>\n";
  std::vector<std::string> seen;
  for (auto k : layout.kinds) {
    const std::string label = map_kind_label(k);
    if (std::find(seen.begin(), seen.end(), label) != seen.end()) {
      continue;
    }
    seen.push_back(label);
    out << fmt::format("<div><span class=\"sw k-{}\"></span>{}</div>\n", model::to_string(k),
                       xml_escape(label));
  }
  out << "<div><span class=\"sw\" style=\"border-style:dashed;border-color:#a0a0a0\"></span>"
         "unclaimed / not shown</div>\n"
      << "<p>&#8776; on the axis: a scale break. Box height grows with log16(size): 1 line "
         "below 16M, then 16M 2, 256M 3, 4G 4, 64G 5, 1T 6. Holes and spans not shown take "
         "1 line whatever their size. Addresses grow downward.</p>\n";
  if (layout.bus_differs) {
    out << "<p>The PCI bus column shows windows and BARs at the addresses devices see, where a "
           "host bridge translates them.</p>\n";
  }
  out << "</aside>\n</main>\n<div id=\"tip\" hidden></div>\n<noscript>\n";
  std::ostringstream svg;
  render_map_svg(layout, svg);
  std::string s = svg.str();
  const auto decl_end = s.find("?>\n");
  if (decl_end != std::string::npos) {
    s.erase(0, decl_end + 3);  // no XML declaration inside HTML
  }
  out << s << "</noscript>\n<script id=\"layout\" type=\"application/json\">"
      << script_safe(json_text(map_to_json(layout), JsonLayout::line)) << "</script>\n<script>" << k_script
      << "</script>\n</body>\n</html>\n";
}

} // namespace memmap::render
