import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from marketdata.demo import DEMO_SCRIP_MASTER
from marketdata.models import Instrument
from marketdata.scripmaster import ScripMasterError
from marketdata.services import instruments_import

pytestmark = pytest.mark.django_db


def row(token: str, symbol: str, **overrides) -> dict:
    base = {
        "token": token,
        "symbol": symbol,
        "name": symbol.split("-")[0],
        "expiry": "",
        "strike": "-1.000000",
        "lotsize": "1",
        "instrumenttype": "",
        "exch_seg": "NSE",
        "tick_size": "5.000000",
    }
    return {**base, **overrides}


def master(*rows: dict) -> bytes:
    return json.dumps(list(rows)).encode()


def many(n: int, start: int = 1) -> list[dict]:
    return [row(str(1000 + i), f"S{i}-EQ") for i in range(start, start + n)]


def test_the_demo_file_imports_with_rupee_units_and_types():
    report = instruments_import(data=DEMO_SCRIP_MASTER.read_bytes())
    assert report.applied and report.created == report.rows and not report.errors
    sbin = Instrument.objects.get(exchange="NSE", symbol="SBIN-EQ")
    assert (sbin.token, sbin.tick_size, sbin.lot_size, sbin.instrument_type) == ("3045", Decimal("0.05"), 1, "EQ")
    assert sbin.is_cash_equity and not sbin.is_derivative
    nifty = Instrument.objects.get(exchange="NSE", token="99926000")
    assert nifty.is_index and nifty.symbol == "Nifty 50"
    option = Instrument.objects.get(exchange="NFO", symbol="NIFTY29DEC2626000CE")
    assert option.strike == Decimal("26000") and option.expiry == date(2026, 12, 29) and option.lot_size == 65
    assert option.is_derivative and option.instrument_type == "OPTIDX"


def test_importing_the_same_file_again_changes_nothing():
    instruments_import(data=DEMO_SCRIP_MASTER.read_bytes())
    again = instruments_import(data=DEMO_SCRIP_MASTER.read_bytes())
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)
    assert again.unchanged == again.rows


def test_a_truncated_file_changes_nothing():
    instruments_import(data=master(*many(20)))
    data = master(*many(30))
    with pytest.raises(ScripMasterError, match="not valid JSON"):
        instruments_import(data=data[: len(data) // 2])
    assert Instrument.objects.filter(is_active=True).count() == 20


def test_a_file_that_is_not_an_array_changes_nothing():
    with pytest.raises(ScripMasterError, match="JSON array"):
        instruments_import(data=b'{"token": "1"}')


def test_bad_rows_are_reported_by_row_number_and_the_rest_imports():
    rows = many(200)
    rows[9]["lotsize"] = "zero"
    rows[19]["exch_seg"] = "XYZ"
    report = instruments_import(data=master(*rows), max_error_ratio=0.05)
    assert report.applied
    assert [(e.row, e.message) for e in report.errors] == [
        (10, "lotsize 'zero' is not a whole number"),
        (20, "unknown exch_seg 'XYZ'"),
    ]
    assert Instrument.objects.count() == 198


def test_too_many_bad_rows_import_nothing():
    instruments_import(data=master(*many(10)))
    rows = many(10) + [row(str(9000 + i), f"BAD{i}-EQ", tick_size="abc") for i in range(5)]
    report = instruments_import(data=master(*rows))
    assert not report.applied and "invalid" in report.reason
    assert not Instrument.objects.filter(symbol__startswith="BAD").exists()


def test_duplicate_tokens_and_symbols_are_rejected_rows():
    rows = [*many(100), row("1001", "OTHER-EQ"), row("77777", "S2-EQ")]
    report = instruments_import(data=master(*rows), max_error_ratio=0.05)
    messages = [str(e) for e in report.errors]
    assert messages == [
        "row 101: duplicate token NSE:1001 (first at row 1)",
        "row 102: duplicate symbol NSE:S2-EQ (first at row 2)",
    ]


def test_a_much_smaller_file_is_refused_unless_allowed():
    instruments_import(data=master(*many(100)))
    report = instruments_import(data=master(*many(50)))
    assert not report.applied and "deactivate 50 of 100" in report.reason
    assert Instrument.objects.filter(is_active=True).count() == 100
    allowed = instruments_import(data=master(*many(50)), allow_shrink=True)
    assert allowed.applied and allowed.deactivated == 50
    assert Instrument.objects.filter(is_active=True).count() == 50
    assert Instrument.objects.count() == 100  # delisted rows stay for history, inactive


def test_a_symbol_moving_to_a_new_token_deactivates_the_old_row():
    instruments_import(data=master(*many(30), row("500", "MOVED-EQ")))
    report = instruments_import(data=master(*many(30), row("501", "MOVED-EQ")))
    assert report.applied and (report.created, report.deactivated) == (1, 1)
    assert Instrument.objects.get(symbol="MOVED-EQ", is_active=True).token == "501"
    assert not Instrument.objects.get(token="500").is_active


def test_two_tokens_swapping_symbols_import_cleanly():
    instruments_import(data=master(*many(30), row("600", "AAA-EQ"), row("601", "BBB-EQ")))
    report = instruments_import(data=master(*many(30), row("600", "BBB-EQ"), row("601", "AAA-EQ")))
    assert report.applied and report.updated == 2
    assert Instrument.objects.get(token="600").symbol == "BBB-EQ"
    assert Instrument.objects.get(token="601").symbol == "AAA-EQ"


def test_a_dry_run_reports_but_changes_nothing():
    report = instruments_import(data=master(*many(10)), dry_run=True)
    assert report.created == 10 and not report.applied
    assert not Instrument.objects.exists()


def test_the_command_imports_a_file_and_prints_the_summary(tmp_path, capsys):
    path = tmp_path / "master.json"
    path.write_bytes(DEMO_SCRIP_MASTER.read_bytes())
    call_command("import_instruments", str(path))
    assert "67 rows, 67 valid, 0 rejected; created 67" in capsys.readouterr().out


def test_the_command_fails_clearly_on_a_truncated_file(tmp_path):
    path = tmp_path / "master.json"
    path.write_bytes(DEMO_SCRIP_MASTER.read_bytes()[:500])
    with pytest.raises(CommandError, match=r"not valid JSON .* nothing changed"):
        call_command("import_instruments", str(path))


def test_the_command_downloads_from_a_url(live_server, tmp_path, settings, capsys):
    # The live server serves the demo file as a static file: a real HTTP download.
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, ("demo", str(DEMO_SCRIP_MASTER.parent))]
    call_command("import_instruments", f"{live_server.url}/static/demo/scrip_master.json")
    assert "created 67" in capsys.readouterr().out
