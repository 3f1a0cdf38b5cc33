import logging

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from marketdata.feeds import FeedRunner, ReplaySource, SimulatedSource
from marketdata.intervals import INTERVALS
from marketdata.management.commands.load_candles import parse_when
from marketdata.selectors import instrument_refs_resolve, parse_symbol_key
from marketdata.sources import feed_source_create, feed_source_names


class Command(BaseCommand):
    help = "Run a market data feed: ticks -> quotes, candles and listeners (paper exchange, strategies)."

    def add_arguments(self, parser):
        parser.add_argument("--source", choices=["simulated", "replay", *feed_source_names()], default="simulated")
        parser.add_argument(
            "--symbols", default="", help="EXCH:SYMBOL,... to feed besides what is watched, ordered or held."
        )
        parser.add_argument("--seed", type=int, default=42, help="simulated: random seed (same seed, same prices).")
        parser.add_argument("--rate", type=float, default=4.0, help="simulated: ticks per second per instrument.")
        parser.add_argument("--interval", choices=INTERVALS, default="1m", help="replay: which stored candles.")
        parser.add_argument("--start", help="replay: from this time (ISO; naive = IST).")
        parser.add_argument("--end", help="replay: until this time (ISO; naive = IST).")
        parser.add_argument("--speed", type=float, default=60.0, help="replay: times faster than real time.")
        parser.add_argument("--loop", action="store_true", help="replay: start again at the end.")
        parser.add_argument("--duration", type=float, help="stop after this many seconds.")

    def handle(self, *args, **opts):
        logging.getLogger("marketdata.feed").setLevel(logging.INFO)
        explicit = set()
        if opts["symbols"]:
            try:
                keys = [parse_symbol_key(k, field="symbols") for k in opts["symbols"].split(",") if k.strip()]
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            refs = instrument_refs_resolve(keys)
            unknown = [f"{e}:{s}" for e, s in keys if (e, s) not in refs]
            if unknown:
                raise CommandError(f"unknown symbols: {', '.join(unknown)}")
            explicit = {ref.id for ref in refs.values()}
        if opts["source"] == "simulated":
            if opts["rate"] <= 0 or opts["rate"] > 50:
                raise CommandError("--rate must be between 0 and 50 ticks per second")
            source = SimulatedSource(seed=opts["seed"], ticks_per_second=opts["rate"])
        elif opts["source"] != "replay":
            try:
                source = feed_source_create(opts["source"], opts)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        else:
            if opts["speed"] <= 0:
                raise CommandError("--speed must be positive")
            source = ReplaySource(
                interval=opts["interval"],
                start=parse_when(opts["start"]) if opts["start"] else None,
                end=parse_when(opts["end"]) if opts["end"] else None,
                speed=opts["speed"],
                loop=opts["loop"],
            )
        self.stdout.write(f"feed: {source.name} source starting (Ctrl-C stops)")
        FeedRunner(source, symbols=explicit).run(duration=opts["duration"])
        self.stdout.write("feed: stopped")
