"""Imported last by the render workers' fork server, after the modules in PRELOAD.

Freezing the preloaded heap keeps the garbage collector off it: forked workers do not
rescan (and copy-on-write) the SDK's objects, and the server exits in 0.04 s instead of
0.7 s of finalisation, which a caller capturing the CLI's output would otherwise wait for.
"""

import gc

gc.freeze()
