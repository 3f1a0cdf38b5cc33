"""The ASGI application: the live stream (/ws/v1/stream/, Channels) and, on the same server, the pages.

Production and `make run` serve the pages with gunicorn (trading.wsgi) and the stream with uvicorn on this
module; a proxy (or, in `make run`, the stream's own port) sends WebSocket traffic here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")
django_application = get_asgi_application()  # sets Django up before the consumers are imported

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from stream.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_application, "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))}
)
