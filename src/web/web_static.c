/*
 * The console's only static files, compiled in: one stylesheet and one
 * small script. No build step, no font, no CDN; every page works without
 * the script (it only refreshes the dashboard while a sync runs and asks
 * before approving removals). Read-only data; any thread.
 */
#include <string.h>

#include "web_internal.h"

static const char web_css[] =
":root{--fg:#1b1f24;--muted:#5b6470;--bg:#f6f7f9;--card:#fff;"
"--line:#d9dde3;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700;"
"--err:#c62828}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
"Roboto,sans-serif;color:var(--fg);background:var(--bg)}\n"
"header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.2rem;"
"padding:.6rem 1rem;background:#12263f;color:#fff}\n"
"header a{color:#dbe7f5;text-decoration:none}\n"
"header a[aria-current=page]{color:#fff;font-weight:600;"
"border-bottom:2px solid #fff}\n"
".brand{font-weight:700;color:#fff!important;font-size:1.1rem}\n"
"nav{display:flex;flex-wrap:wrap;gap:.4rem 1rem;flex:1}\n"
".logout{margin:0}\n.logout button{background:none;border:1px solid "
"#6d84a3;color:#dbe7f5;padding:.2rem .6rem;border-radius:4px}\n"
"main{max-width:1100px;margin:0 auto;padding:1rem}\n"
"h1{font-size:1.5rem;margin:.4rem 0 1rem}\nh2{font-size:1.15rem;"
"margin:1.4rem 0 .6rem}\n"
"footer{max-width:1100px;margin:2rem auto;padding:0 1rem;"
"color:var(--muted);font-size:.85rem}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fit,"
"minmax(190px,1fr));gap:.8rem}\n"
".card{background:var(--card);border:1px solid var(--line);"
"border-radius:6px;padding:.8rem 1rem}\n"
".card .k{color:var(--muted);font-size:.85rem}\n"
".card .v{font-size:1.3rem;font-weight:600}\n"
"table{border-collapse:collapse;width:100%;background:var(--card);"
"border:1px solid var(--line)}\n"
"th,td{text-align:left;padding:.35rem .55rem;border-bottom:1px solid "
"var(--line);vertical-align:top;overflow-wrap:anywhere}\n"
"th{background:#eef1f5;font-weight:600;font-size:.9rem}\n"
".scroll{overflow-x:auto}\n"
"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
".note{padding:.6rem .8rem;border-radius:5px;border:1px solid}\n"
".note.ok{background:#e9f6ec;border-color:#9fd3ad}\n"
".note.error{background:#fdecec;border-color:#f0a9a9}\n"
".note.info{background:#eef4fb;border-color:#a9c5e8}\n"
".st-ok,.st-done{color:var(--ok)}.st-failed,.st-error{color:var(--err)}"
".st-held,.st-partial,.st-warning,.st-quiet{color:var(--warn)}\n"
"form.inline{display:inline}\n"
"label{display:block;margin:.6rem 0 .2rem;font-weight:600}\n"
"input[type=text],input[type=password],input[type=number],"
"input[type=search],select{width:100%;max-width:36rem;padding:.4rem;"
"border:1px solid #aab2bd;border-radius:4px;font:inherit}\n"
".hint{color:var(--muted);font-size:.85rem;margin:.15rem 0}\n"
"button,.button{display:inline-block;padding:.45rem .9rem;"
"border-radius:4px;border:1px solid var(--accent);background:"
"var(--accent);color:#fff;font:inherit;cursor:pointer;"
"text-decoration:none}\n"
"button.secondary{background:#fff;color:var(--accent)}\n"
"button.danger{background:var(--err);border-color:var(--err)}\n"
"progress{width:100%;height:1rem}\n"
"fieldset{border:1px solid var(--line);border-radius:6px;"
"background:var(--card);margin:1rem 0;padding:.4rem 1rem 1rem}\n"
"legend{font-weight:700;padding:0 .3rem}\n"
"code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;"
"font-size:.88rem}\npre{white-space:pre-wrap;word-break:break-word}\n"
".diff{color:var(--warn);font-weight:600}\n"
"@media (max-width:640px){main{padding:.6rem}th,td{padding:.3rem}"
"table{font-size:.88rem}}\n";

/* Refreshes the dashboard's figures while a sync runs, from
 * /status.json; asks before approving held removals. */
static const char web_js[] =
"'use strict';\n"
"document.addEventListener('DOMContentLoaded',function(){\n"
" document.querySelectorAll('form[data-confirm]').forEach(function(f){\n"
"  f.addEventListener('submit',function(e){\n"
"   if(!window.confirm(f.getAttribute('data-confirm')))e.preventDefault();"
"});});\n"
" var live=document.getElementById('live');\n"
" if(!live)return;\n"
" var was=live.getAttribute('data-state');\n"
" function set(id,t){var e=document.getElementById(id);"
"if(e)e.textContent=t;}\n"
" function tick(){\n"
"  fetch('/status.json',{credentials:'same-origin'}).then(function(r){"
"return r.ok?r.json():null;}).then(function(s){\n"
"   if(!s)return;\n"
"   set('state',s.state);\n"
"   set('queue',String(s.queue||0));\n"
"   var p=document.getElementById('progress');\n"
"   var run=s.running;\n"
"   if(run&&p){p.hidden=false;\n"
"    var bar=document.getElementById('progress-bar');\n"
"    if(run.total){bar.max=run.total;bar.value=run.done||0;}"
"else{bar.removeAttribute('value');}\n"
"    set('progress-text',run.stage+(run.total?': '+run.done+' of '+"
"run.total+' operations'+(run.rate?', '+run.rate.toFixed(1)+'/s':'')+"
"(run.eta_seconds!=null?', about '+run.eta_seconds+' s left':''):''));}\n"
"   if(was==='syncing'&&s.state!=='syncing'){window.location.reload();"
"return;}\n"
"   was=s.state;\n"
"  }).catch(function(){});\n"
" }\n"
" setInterval(tick,1000);\n"
"});\n";

const char *
web_static(const char *url, const char **ctype)
{
	if (strcmp(url, "/static/console.css") == 0) {
		*ctype = "text/css; charset=utf-8";
		return web_css;
	}
	if (strcmp(url, "/static/console.js") == 0) {
		*ctype = "text/javascript; charset=utf-8";
		return web_js;
	}
	return NULL;
}
