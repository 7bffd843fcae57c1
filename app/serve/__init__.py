"""`workflow-canvas serve`: the app in a browser tab, guarded against the other pages a browser has open.

textual-serve starts one app process per websocket and trusts whoever opens it. A page on any site
the student visits can open a websocket to 127.0.0.1 too (cross-site websocket hijacking), and a
DNS-rebinding name can make the browser send that page's requests to the served port. So:

* `guard`: every request's Host must name the served address and every Origin must be it
  (a websocket must carry one, as every browser's does); the terminal size a tab asks for is
  bounded (the URL's width/height and each "resize" frame);
* `server.CanvasServer`: textual-serve's Server with that guard, a `--max-sessions` limit (a
  clear page past it), and app processes that always go when their tab or the server goes;
* `session`: the command each tab runs, which exits by itself if the server process dies.
"""
