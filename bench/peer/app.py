"""The peer of bench/api.sh (issue #15): a small FastAPI + asyncpg service that answers
GET /v1/suppliers/{id} from the same tables with the same SQL as the Rust service's anonymous
read (bench/sql/document.sql; asyncpg prepares it per connection), as a verified supplier's
document without contacts, with its ETag; 404 otherwise. No auth, no rate limit, no metrics:
what a lean Python service does for the same read.

    DATABASE_URL=postgres://... uvicorn --app-dir bench/peer app:app --port 18090
"""

import json
import os
import uuid

import asyncpg
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

SQL = (
    open(os.path.join(os.path.dirname(__file__), "..", "sql", "document.sql"))
    .read()
    .split("\n", 1)[1]
    .replace("ANY(ARRAY[:id::uuid])", "$1")
)

app = FastAPI()
pool: asyncpg.Pool | None = None


@app.on_event("startup")
async def startup() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=16, max_size=16
    )


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@app.get("/v1/suppliers/{id}")
async def get_supplier(id: uuid.UUID) -> Response:
    assert pool is not None
    row = await pool.fetchrow(SQL, id)
    if row is None or row["status"] != "verified":
        return JSONResponse({"title": "Not Found", "status": 404}, status_code=404)
    sales = None
    if row["annual_sales_amount"] is not None:
        sales = {"amount": str(row["annual_sales_amount"]), "currency": row["annual_sales_currency"]}
    location = None
    if row["lat"] is not None:
        location = {"lat": row["lat"], "lon": row["lon"]}
    doc = {
        "id": str(row["id"]),
        "legal_name": row["legal_name"],
        "trade_name": row["trade_name"],
        "tax_id": row["tax_id"],
        "country": row["country"],
        "subdivision": row["subdivision"],
        "city": row["city"],
        "address": row["address"],
        "location": location,
        "website": row["website"],
        "founded_year": row["founded_year"],
        "sector": row["sector"],
        "employees": row["employees"],
        "annual_sales": sales,
        "size_class": row["size_class"],
        "size_rule": row["size_rule"],
        "capabilities": json.loads(row["capabilities"]),
        "certifications": json.loads(row["certifications"]),
        "status": row["status"],
        "status_reason": row["status_reason"],
        "verified_at": iso(row["verified_at"]),
        "external_refs": json.loads(row["external_refs"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "version": row["version"],
    }
    return JSONResponse(doc, headers={"ETag": f'"{row["version"]}"'})
