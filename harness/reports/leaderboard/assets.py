"""Inline CSS and JavaScript of the leaderboard pages (no external resources: they work from file://).

Sorting: a click on a header cell with ``data-col="N"`` sorts the table body by column N (paper
tables have two header rows: leg groups, then metrics); numbers compare as numbers (``data-sort``
holds the raw value), empty cells always go last; the first click on a numeric column sorts
descending (best first), on a text column ascending, and a second click reverses.

Filter: the ``#reportable-only`` checkbox hides not-reportable rows (``tr.nonreportable``).
"""

from __future__ import annotations

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em auto;max-width:1200px;
  padding:0 1em;color:#1b1b1b}
nav a{margin-right:.8em}
h1{font-size:1.4em;margin:.4em 0}
p.lead{color:#444}
table.board{border-collapse:collapse;width:100%;margin:1em 0}
table.board th,table.board td{padding:.3em .55em;border-bottom:1px solid #ddd;text-align:left;
  vertical-align:top}
table.board td.num,table.board th.num{text-align:right;font-variant-numeric:tabular-nums}
table.board thead th{border-top:2px solid #222;border-bottom:1px solid #222;cursor:pointer;user-select:none;
  white-space:nowrap;background:#fafafa}
table.board thead th[aria-sort=ascending]::after{content:' \\25B2'}
table.board thead th[aria-sort=descending]::after{content:' \\25BC'}
table.board tbody tr:last-child td{border-bottom:2px solid #222}
tr.measured td{background:#eef6ff}
tr.measured td.method{border-left:3px solid #0072B2}
tr.nonreportable td{background:#fff4e5;color:#555}
tr.nonreportable td.method{border-left:3px dashed #E69F00}
body.reportable-only tr.nonreportable{display:none}
table.paper th.group{text-align:center;border-bottom:1px solid #999;cursor:default;white-space:normal;
  font-weight:600;font-size:13px}
table.paper td.num{white-space:nowrap}
table.paper td.num a{color:#005a8c;text-decoration:none}
table.paper td.num a:hover{text-decoration:underline}
table.paper .gs{border-left:1px solid #ccc}
table.paper td.method{white-space:nowrap}
.dagger{color:#b35900;font-weight:700;margin-left:.15em}
.badge{display:inline-block;padding:0 .45em;border-radius:.6em;font-size:11px;font-weight:600}
.badge.reported{background:#e6e6e6;color:#333}
.badge.measured{background:#0072B2;color:#fff}
.badge.nonreportable{background:#E69F00;color:#222}
td.detail{font-size:12px;color:#555;max-width:28em}
table.board td:nth-child(2){white-space:nowrap}
"""

JS = """
(function(){
  function key(cell){
    if(!cell) return {empty:true};
    var raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
    if(raw === '') return {empty:true};
    var n = Number(raw);
    return isNaN(n) ? {text:raw.toLowerCase()} : {num:n};
  }
  function sortTable(table, col, th){
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = th.classList.contains('num');
    var dir = th.getAttribute('aria-sort') === (numeric ? 'descending' : 'ascending')
      ? (numeric ? 'ascending' : 'descending') : (numeric ? 'descending' : 'ascending');
    var sign = dir === 'ascending' ? 1 : -1;
    rows.sort(function(a, b){
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if(x.empty || y.empty) return (x.empty ? 1 : 0) - (y.empty ? 1 : 0);
      if('num' in x && 'num' in y) return sign * (x.num - y.num);
      var s = String('num' in x ? x.num : x.text), t = String('num' in y ? y.num : y.text);
      return sign * s.localeCompare(t);
    });
    rows.forEach(function(r){ body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.querySelectorAll('th[data-col]'), function(h){
      h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.board'), function(table){
    Array.prototype.forEach.call(table.tHead.querySelectorAll('th[data-col]'), function(th){
      th.addEventListener('click', function(){ sortTable(table, Number(th.getAttribute('data-col')), th); });
    });
  });
  var only = document.getElementById('reportable-only');
  if(only){
    only.addEventListener('change', function(){
      document.body.classList.toggle('reportable-only', only.checked); });
  }
})();
"""
