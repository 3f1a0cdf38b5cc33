import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")
application = get_wsgi_application()
# What is loaded by now (modules, settings, URL patterns: some 150,000 objects) lives as long as the
# process: the garbage collector stops scanning it, so a full collection stops costing ~50 ms on a
# request thread (every thread waits for it).
gc.freeze()
