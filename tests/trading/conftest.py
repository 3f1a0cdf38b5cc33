from tests.brokers.conftest import fake, fake_server  # noqa: F401 - the fake Angel One on loopback
