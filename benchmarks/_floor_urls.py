"""The product's URLs plus the benchmarks' floor endpoints: the cheapest authenticated DRF requests.

Both floor views have DRF's default authentication (JWT, session), permission
(IsAuthenticated) and throttle classes, like every product endpoint. They
exist only in the benchmark's server (benchmarks._bench_settings).

- `GET bench/floor/` returns a constant body: what any API request costs
  before its own work (benchmarks/quotes.py).
- `POST bench/floor/insert/` parses a JSON body and inserts one row through
  the ORM (`FloorRow.objects.create`, autocommit) into FLOOR_INSERT_TABLE, a
  scratch table the benchmark creates (floor_insert_table_create), and returns
  the new id: the framework's floor for a write, the one benchmarks/orders.py
  judges against.
- `POST bench/floor/insert-sql/` does the same with a hand-written INSERT on a
  raw cursor, below the ORM: reported beside it for information.
- `POST bench/risk-checks/` turns the pre-trade checks off or on in the
  server (benchmarks/_risk_switch.py).
"""

from django.db import connection, models
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks._risk_switch import RiskChecksApi
from trading.urls import handler400, handler404, handler500  # noqa: F401 (error views, as in the product)
from trading.urls import urlpatterns as product_urlpatterns

FLOOR_BODY = {"ok": True, "source": "benchmarks floor endpoint"}
FLOOR_INSERT_TABLE = "bench_floor_insert"


def floor_insert_table_create(conn=connection) -> None:
    """Create the floor's scratch table (the benchmark calls this on its scratch database)."""
    if conn.vendor == "postgresql":
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {FLOOR_INSERT_TABLE} (id bigserial PRIMARY KEY, user_id bigint NOT NULL, "
            "note varchar(64) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    else:
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {FLOOR_INSERT_TABLE} (id integer PRIMARY KEY AUTOINCREMENT, "
            "user_id integer NOT NULL, note varchar(64) NOT NULL, "
            "created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
    with conn.cursor() as cursor:
        cursor.execute(ddl)


class FloorRow(models.Model):
    """The floor table as a model (unmanaged: it exists only in the benchmark's scratch database)."""

    user_id = models.BigIntegerField()
    note = models.CharField(max_length=64)

    class Meta:
        app_label = "monitoring"  # any installed app: the model lives only in the benchmark's server
        managed = False
        db_table = FLOOR_INSERT_TABLE

    def __str__(self) -> str:
        return f"floor row {self.id}"


def _note(request) -> str:
    body = request.data
    return str(body.get("symbol", ""))[:64] if isinstance(body, dict) else ""


class FloorApi(APIView):
    def get(self, request):
        return Response(FLOOR_BODY)


class FloorInsertApi(APIView):
    def post(self, request):
        row = FloorRow.objects.create(user_id=request.user.pk, note=_note(request))
        return Response({"ok": True, "id": row.id}, status=201)


class FloorInsertSqlApi(APIView):
    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_INSERT_TABLE} (user_id, note) VALUES (%s, %s) RETURNING id",
                [request.user.pk, _note(request)],
            )
            row_id = cursor.fetchone()[0]
        return Response({"ok": True, "id": row_id}, status=201)


urlpatterns = [
    path("bench/risk-checks/", RiskChecksApi.as_view(), name="bench-risk-checks"),
    path("bench/floor/", FloorApi.as_view(), name="bench-floor"),
    path("bench/floor/insert/", FloorInsertApi.as_view(), name="bench-floor-insert"),
    path("bench/floor/insert-sql/", FloorInsertSqlApi.as_view(), name="bench-floor-insert-sql"),
    *product_urlpatterns,
]
