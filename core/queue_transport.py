"""The embedded Celery broker: kombu's filesystem transport, with atomic message files.

kombu writes a message under its final name and then fills it, while a
consumer may list the folder, take the file and read it half-written: the
worker then dies on a JSON error. Here a message is written to a hidden
temporary file and renamed into place, which is atomic on POSIX, so a consumer
only ever sees whole messages.
"""

import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".part-{uuid.uuid4()}")
        try:
            with open(temporary, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = driver_name = "filesystem"


TRANSPORT_ALIASES.setdefault("atomicfs", "core.queue_transport:Transport")
