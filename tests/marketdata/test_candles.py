from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from marketdata.models import Candle
from tests.marketdata.factories import CandleFactory, InstrumentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/candles/"
T0 = datetime(2026, 11, 24, 3, 45, tzinfo=UTC)  # 09:15 IST


@pytest.fixture
def sbin():
    return InstrumentFactory(symbol="SBIN-EQ", token="3045")


def test_candles_come_in_time_order_with_decimal_strings(auth_client, sbin):
    for minute in (2, 0, 1):
        CandleFactory(instrument=sbin, start=T0 + timedelta(minutes=minute), close=Decimal("100.5") + minute)
    body = auth_client.get(
        URL,
        {"symbol": "NSE:SBIN-EQ", "interval": "1m", "start": "2026-11-24T09:15:00+05:30", "end": "2026-11-24T09:20"},
    ).json()
    assert body["interval"] == "1m" and body["symbol"] == "SBIN-EQ"
    assert [c["start"] for c in body["candles"]] == [
        "2026-11-24T03:45:00Z",
        "2026-11-24T03:46:00Z",
        "2026-11-24T03:47:00Z",
    ]
    assert [c["close"] for c in body["candles"]] == ["100.50", "101.50", "102.50"]
    assert body["candles"][0] == {
        "start": "2026-11-24T03:45:00Z",
        "open": "100.00",
        "high": "101.00",
        "low": "99.00",
        "close": "100.50",
        "volume": 10,
    }


def test_the_default_range_ends_now_and_includes_the_forming_candle(auth_client, sbin):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    CandleFactory(instrument=sbin, start=now)
    CandleFactory(instrument=sbin, start=now - timedelta(minutes=400))  # outside the default 300
    starts = [c["start"] for c in auth_client.get(URL, {"symbol": "NSE:SBIN-EQ", "interval": "1m"}).json()["candles"]]
    assert starts == [now.isoformat().replace("+00:00", "Z")]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"interval": "1m"}, 400, "validation_error"),
        ({"symbol": "SBIN", "interval": "1m"}, 400, "invalid_symbol"),
        ({"symbol": "NSE:NOPE-EQ", "interval": "1m"}, 404, "unknown_symbol"),
        ({"symbol": "NSE:SBIN-EQ", "interval": "2m"}, 400, "invalid_interval"),
        ({"symbol": "NSE:SBIN-EQ", "interval": "1m", "start": "yesterday"}, 400, "invalid_datetime"),
        (
            {"symbol": "NSE:SBIN-EQ", "interval": "1m", "start": "2026-11-24T10:00", "end": "2026-11-24T09:00"},
            422,
            "invalid_range",
        ),
        (
            {"symbol": "NSE:SBIN-EQ", "interval": "1m", "start": "2020-01-01", "end": "2026-01-01"},
            422,
            "range_too_large",
        ),
    ],
)
def test_bad_candle_requests_are_4xx_with_a_code(auth_client, sbin, params, status, code):
    response = auth_client.get(URL, params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_long_range_is_fine_at_a_longer_interval(auth_client, sbin):
    response = auth_client.get(
        URL, {"symbol": "NSE:SBIN-EQ", "interval": "1d", "start": "2020-01-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200


# --- load_candles ---------------------------------------------------------------------

PANDAS_CSV = """,Open,HIGH,low,Close,Volume,OI
2026-11-20 09:15:00,955.05,957.4,954.1,956.123456,1200,0
2026-11-20 09:16:00,956.1,956.2,955,955.5,800.0,0
"""


def test_load_candles_reads_a_pandas_csv_with_an_unnamed_time_column(tmp_path, sbin, capsys):
    path = tmp_path / "sbin.csv"
    path.write_text(PANDAS_CSV)
    call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1m")
    rows = list(Candle.objects.filter(instrument=sbin).order_by("start"))
    assert [r.start for r in rows] == [
        datetime(2026, 11, 20, 3, 45, tzinfo=UTC),
        datetime(2026, 11, 20, 3, 46, tzinfo=UTC),
    ]  # naive times are IST
    assert rows[0].close == Decimal("956.123456")  # kept exactly, not forced onto the 0.05 tick
    assert (rows[1].volume, rows[1].low) == (800, Decimal("955"))
    assert "Imported 2 1m candles for NSE:SBIN-EQ" in capsys.readouterr().out


def test_reimporting_updates_instead_of_duplicating(tmp_path, sbin):
    path = tmp_path / "sbin.csv"
    path.write_text(PANDAS_CSV)
    call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1m")
    path.write_text(PANDAS_CSV.replace("956.123456", "956.5"))
    call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1m")
    assert Candle.objects.filter(instrument=sbin).count() == 2
    assert Candle.objects.get(instrument=sbin, start=datetime(2026, 11, 20, 3, 45, tzinfo=UTC)).close == Decimal(
        "956.5"
    )


def test_daily_csv_with_dates_and_a_timestamp_header(tmp_path, sbin):
    path = tmp_path / "daily.csv"
    path.write_text(
        "Timestamp,open,high,low,close,volume\n2026-11-19,950,960,940,955,100000\n2026-11-20,955,962,951,958,90000\n"
    )
    call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1d")
    starts = list(Candle.objects.filter(instrument=sbin, interval="1d").values_list("start", flat=True))
    assert starts == [datetime(2026, 11, 18, 18, 30, tzinfo=UTC), datetime(2026, 11, 19, 18, 30, tzinfo=UTC)]


def test_invalid_lines_are_reported_with_numbers_and_nothing_is_imported(tmp_path, sbin, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,open,high,low,close,volume\n"
        "2026-11-20 09:15:00,955,957,954,956,10\n"
        "2026-11-20 09:16:00,abc,957,954,956,10\n"
        "2026-11-20 09:17:30,955,957,954,956,10\n"
        "2026-11-20 09:18:00,955,950,954,956,10\n"
        "2026-11-20 09:19:00,955,957,954,956,-5\n"
    )
    with pytest.raises(CommandError, match="4 invalid lines; nothing imported"):
        call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1m")
    err = capsys.readouterr().err
    assert "line 3: open 'abc' is not a number" in err
    assert "line 4: '2026-11-20 09:17:30' is not on a 1m boundary" in err
    assert "line 5: prices are inconsistent" in err
    assert "line 6: volume '-5' must be a whole number, zero or more" in err
    assert not Candle.objects.exists()
    call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1m", "--skip-invalid")
    assert Candle.objects.count() == 1


def test_a_file_without_the_needed_columns_is_refused(tmp_path, sbin):
    path = tmp_path / "bad.csv"
    path.write_text("when,price\n2026-11-20,1\n")
    with pytest.raises(CommandError, match="lacks date/timestamp, open, high, low, close, volume"):
        call_command("load_candles", str(path), "--symbol", "NSE:SBIN-EQ", "--interval", "1d")


def test_an_unknown_symbol_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(PANDAS_CSV)
    with pytest.raises(CommandError, match="No listed instrument NSE:NOPE-EQ"):
        call_command("load_candles", str(path), "--symbol", "NSE:NOPE-EQ", "--interval", "1m")
