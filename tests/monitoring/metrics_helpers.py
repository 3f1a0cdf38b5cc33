"""Read /metrics the way Prometheus does and pick out one sample."""

from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient


def scrape(client=None) -> dict[tuple[str, frozenset], float]:
    """Every sample of GET /metrics, keyed by (sample name, its labels)."""
    response = (client or APIClient()).get("/metrics")
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 when there are none yet)."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


class Watch:
    """Scrape before and after: `watch.moved(name, **labels)` is how much a sample rose in between."""

    def __init__(self) -> None:
        self.before = scrape()
        self.after: dict = {}

    def moved(self, name: str, **labels) -> float:
        if not self.after:
            self.after = scrape()
        return value(self.after, name, **labels) - value(self.before, name, **labels)
