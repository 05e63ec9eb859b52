"""The 上报 hub (server side): offices, offers and uploads, commits, feeds, returns and paths over
a database and a blob directory (`core.Hub`), served over HTTP by `web`.

The client side is `zcreview.sync`; what both speak is `zcreview.protocol`.
"""
