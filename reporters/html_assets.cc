// The html format's stylesheet and script: hand-written, small, no framework, no network.
// Both are hashed into the page's Content-Security-Policy (html_report.cc), so any byte
// changed here changes the hash automatically; nothing else may run or style the page.
// Contract with html_report.cc: the script reads only data-* attributes and ids the
// reporter writes (cards in #cards, controls in #controls, copy buttons with data-copy), and
// the page is complete without it (the controls start hidden; JS reveals them).
#include "reporters/html_report.h"

namespace glpatrol {

namespace {

constexpr std::string_view kCss = R"CSS(
:root{--fg:#1b1f24;--muted:#4d5661;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--crit:#a40e26;--high:#b93d00;--med:#7a5a00;--low:#0b5c8a;--info:#4d5661;--live:#a40e26;--ok:#116329}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0 auto;max-width:72rem;padding:1rem 1.25rem 3rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:0 0 .35rem;display:flex;flex-wrap:wrap;gap:.4rem;align-items:baseline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
a{color:#0550ae}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #0969da;outline-offset:2px}
table{border-collapse:collapse;margin:.3rem 0}th,td{text-align:left;padding:.15rem .7rem .15rem 0;vertical-align:top}
th{font-weight:600;color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:.5rem 1.5rem;align-items:start}
caption{text-align:left;font-weight:600;padding-bottom:.2rem}
.status{padding:.5rem .8rem;border-radius:6px;border:1px solid var(--line);background:var(--card)}
.status.bad{border-color:var(--crit);background:#fff0f0}.status.good{border-color:var(--ok);background:#effaf1}
.sev{display:inline-block;min-width:4.6rem;text-align:center;border-radius:4px;padding:0 .35rem;color:#fff;font-weight:600;font-size:.85rem;text-transform:uppercase}
.s4{background:var(--crit)}.s3{background:var(--high)}.s2{background:var(--med)}.s1{background:var(--low)}.s0{background:var(--info)}
.badge{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 .35rem;font-size:.85rem;background:#fff}
.badge.live{background:var(--live);border-color:var(--live);color:#fff;font-weight:700}
.badge.warn{border-color:var(--high);color:var(--high)}
.card{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:6px;padding:.7rem .9rem;margin:.7rem 0;background:var(--card)}
.card.c4{border-left-color:var(--crit)}.card.c3{border-left-color:var(--high)}.card.c2{border-left-color:var(--med)}.card.c1{border-left-color:var(--low)}
.card.supp{border-left-style:dashed}
.card,#more{content-visibility:auto;contain-intrinsic-size:auto 420px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}
.card dt{color:var(--muted);font-weight:600}.card dd{margin:0}
.places{margin:.2rem 0;padding-left:1.2rem}.places li{margin:.15rem 0}
.meta{color:var(--muted);font-size:.9rem}
.next{border-top:1px solid var(--line);margin-top:.5rem;padding-top:.4rem}
.next ol{margin:.2rem 0;padding-left:1.3rem}
.ign{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
button{font:inherit;font-size:.85rem;padding:.1rem .6rem;border:1px solid #8c959f;border-radius:4px;background:#fff;color:var(--fg);cursor:pointer}
#controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;padding:.6rem .8rem;border:1px solid var(--line);border-radius:6px;background:var(--card);position:sticky;top:0;z-index:1}
#controls label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
#controls label.chk{flex-direction:row;gap:.3rem;align-items:center}
#controls input,#controls select{font:inherit;font-size:.9rem;padding:.1rem .3rem;color:var(--fg)}
.tl{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
.tl text{font:11px system-ui,sans-serif;fill:var(--fg)}.tl .ax{fill:var(--muted)}
.tl .b4{fill:var(--crit)}.tl .b3{fill:var(--high)}.tl .b2{fill:var(--med)}.tl .b1{fill:var(--low)}.tl .b0{fill:var(--info)}
.tl .gone{fill-opacity:.35}.tl .gl{stroke:var(--line)}.tl .exp{fill:#fff;stroke:var(--fg);stroke-width:1.5}
.tl .cm{fill:#fff;stroke:var(--fg)}
.legend{font-size:.85rem;color:var(--muted)}
@media print{
 #controls,button{display:none!important}
 body{max-width:none;padding:0;font-size:11pt}
 .card{break-inside:avoid;background:#fff}
 a{color:inherit;text-decoration:none}
 .tl{break-inside:avoid}
 .card,#more{content-visibility:visible}
}
)CSS";

// Filtering hides cards with the `hidden` property (no inline styles: the CSP forbids them);
// sorting re-appends the same elements. No data from the page is ever evaluated or written
// as HTML (textContent only).
constexpr std::string_view kJs = R"JS(
(function(){"use strict";
var list=document.getElementById("cards"),form=document.getElementById("controls");
if(!list||!form)return;
var cards=Array.prototype.slice.call(list.querySelectorAll("article.card"));
function $(id){return document.getElementById(id);}
var sev=$("f-sev"),kind=$("f-kind"),live=$("f-live"),path=$("f-path"),supp=$("f-supp"),sort=$("f-sort"),count=$("f-count");
function key(c,k){var d=c.dataset;
 if(k==="severity")return[-(+d.sev),-(+d.live),+d.i];
 if(k==="kind")return[d.kind,+d.i];
 if(k==="path")return[d.first,+d.i];
 if(k==="date")return[d.date||"~",+d.i];
 return[+d.i];}
function cmp(a,b){for(var i=0;i<a.length;i++){if(a[i]<b[i])return -1;if(a[i]>b[i])return 1;}return 0;}
var sorted="triage";
function apply(){
 var min=+sev.value,k=kind.value,l=live.checked,p=path.value.toLowerCase(),s=supp.checked,n=0,sk=sort.value;
 cards.forEach(function(c){var d=c.dataset;
  var ok=+d.sev>=min&&(!k||d.kind===k)&&(!l||d.live==="1")&&(!p||d.paths.toLowerCase().indexOf(p)>=0)&&(s||d.supp!=="1");
  if(c.hidden===ok)c.hidden=!ok;if(ok)n++;});
 if(sk!==sorted){sorted=sk;var f=document.createDocumentFragment();
  cards.slice().sort(function(a,b){return cmp(key(a,sk),key(b,sk));}).forEach(function(c){f.appendChild(c);});list.appendChild(f);}
 count.textContent=n+" of "+cards.length+" token cards shown";}
form.addEventListener("submit",function(e){e.preventDefault();});
[sev,kind,live,supp,sort].forEach(function(e){e.addEventListener("change",apply);});
path.addEventListener("input",apply);
form.hidden=false;apply();
Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"),function(b){
 b.hidden=false;
 b.addEventListener("click",function(){var el=$(b.dataset.copy);if(!el)return;var t=el.textContent;
  function done(ok){b.textContent=ok?"Copied":"Select and copy";}
  if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(t).then(function(){done(true);},function(){sel();});}else sel();
  function sel(){var r=document.createRange();r.selectNodeContents(el);var s=window.getSelection();s.removeAllRanges();s.addRange(r);
   var ok=false;try{ok=document.execCommand("copy");}catch(e){}done(ok);}});});
})();
)JS";

}  // namespace

std::string_view html_stylesheet() { return kCss; }
std::string_view html_script() { return kJs; }

}  // namespace glpatrol
