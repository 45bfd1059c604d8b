"""SQLite storage: schema, connections, and the deterministic seed.

One connection per request (see `get_db`); WAL mode and a busy timeout let the
thread pool's requests read while one of them writes.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import Request

from toollib.passwords import hash_password

DB_NAME = "toollib.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tools (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    tags TEXT NOT NULL,            -- JSON list of strings
    search_text TEXT NOT NULL      -- lower-case name, description and tags
);
CREATE INDEX IF NOT EXISTS tools_category ON tools (category);
CREATE INDEX IF NOT EXISTS tools_name ON tools (name);
CREATE TABLE IF NOT EXISTS reservations (
    id INTEGER PRIMARY KEY,
    tool_id INTEGER NOT NULL REFERENCES tools (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id),
    days INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_tool ON reservations (tool_id);
CREATE INDEX IF NOT EXISTS reservations_member ON reservations (member_id);
CREATE TABLE IF NOT EXISTS loans (
    id INTEGER PRIMARY KEY,
    tool_id INTEGER NOT NULL REFERENCES tools (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id),
    borrowed_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    returned_at TEXT
);
CREATE INDEX IF NOT EXISTS loans_tool ON loans (tool_id);
CREATE INDEX IF NOT EXISTS loans_member ON loans (member_id);
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    plan TEXT NOT NULL,
    description TEXT NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    gst_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid')),
    created_at TEXT NOT NULL,
    paid_at TEXT
);
CREATE INDEX IF NOT EXISTS invoices_member ON invoices (member_id);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path) -> sqlite3.Connection:
    """Autocommit: every statement is its own transaction unless `transaction()` says
    otherwise, so a write is durable before its response goes out."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, and much faster
    return conn


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """FastAPI dependency: a connection for this request."""
    conn = connect(request.app.state.settings.db_path)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Statements that must see and change the database as one (takes the write lock)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def init(path: Path) -> None:
    """Create the schema; seed an empty database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        with transaction(conn):
            if conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0:
                seed(conn)
    finally:
        conn.close()


def search_text(name: str, description: str, tags: list[str]) -> str:
    return " ".join([name, description, *tags]).lower()


def insert_tool(conn: sqlite3.Connection, name: str, category: str, description: str,
                tags: list[str]) -> int:
    cur = conn.execute(
        "INSERT INTO tools (name, category, description, tags, search_text) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, category, description, json.dumps(tags), search_text(name, description, tags)),
    )
    return int(cur.lastrowid or 0)


# --- the seed -------------------------------------------------------------------

SEED_MEMBERS = (
    ("admin@toollib.test", "Library Admin", "admin", "admin-pass-123"),
    ("alice@toollib.test", "Alice Nguyen", "member", "alice-pass-123"),
    ("bob@toollib.test", "Bob Fraser", "member", "bob-pass-123"),
)

# category -> (tool kind, tags, what it is for)
CATALOG: dict[str, list[tuple[str, list[str], str]]] = {
    "Power tools": [
        ("cordless drill", ["drill", "battery", "18v"], "drilling holes and driving screws"),
        ("hammer drill", ["drill", "masonry", "corded"], "drilling into brick and concrete"),
        ("impact driver", ["driver", "battery", "screws"], "driving long screws and bolts"),
        ("circular saw", ["saw", "timber", "cutting"], "straight cuts in timber sheets"),
        ("jigsaw", ["saw", "curves", "cutting"], "curved cuts in timber and plastic"),
        ("angle grinder", ["grinder", "metal", "cutting"], "cutting and grinding metal"),
        ("orbital sander", ["sander", "finishing", "timber"], "smoothing timber before painting"),
        ("heat gun", ["paint", "stripping", "heat"], "stripping old paint and bending plastic"),
    ],
    "Hand tools": [
        ("claw hammer", ["hammer", "nails"], "driving and pulling nails"),
        ("socket set", ["sockets", "spanner", "metric"], "nuts and bolts on cars and bikes"),
        ("pipe wrench", ["wrench", "plumbing"], "gripping round pipes"),
        ("hand saw", ["saw", "timber"], "quick cuts without power"),
        ("chisel set", ["chisel", "woodwork"], "cleaning out joints and mortises"),
        ("rivet gun", ["rivets", "sheet metal"], "joining sheet metal"),
        ("bolt cutters", ["cutting", "chain", "padlock"], "cutting chain, wire and bolts"),
        ("screwdriver set", ["screwdriver", "phillips", "flat"], "everyday screws"),
    ],
    "Garden": [
        ("lawn mower", ["mower", "lawn", "petrol"], "mowing medium and large lawns"),
        ("hedge trimmer", ["hedge", "trimming", "battery"], "shaping hedges and shrubs"),
        ("line trimmer", ["edges", "lawn", "whipper snipper"], "edges and long grass"),
        ("leaf blower", ["leaves", "blower", "battery"], "clearing paths and gutters"),
        ("garden mulcher", ["mulch", "branches", "electric"], "turning prunings into mulch"),
        ("post hole digger", ["digging", "fence", "posts"], "digging holes for fence posts"),
        ("pruning saw", ["saw", "pruning", "trees"], "cutting branches up to 10 cm"),
        ("wheelbarrow", ["barrow", "soil", "carrying"], "moving soil, mulch and rubble"),
    ],
    "Ladders & access": [
        ("step ladder", ["ladder", "indoor"], "painting ceilings and changing lights"),
        ("extension ladder", ["ladder", "roof", "gutters"], "reaching gutters and roofs"),
        ("platform ladder", ["ladder", "platform"], "standing safely while working at height"),
        ("scaffold tower", ["scaffold", "height"], "long jobs at height"),
        ("trestle set", ["trestles", "plank"], "a stable work platform"),
        ("ladder stabiliser", ["ladder", "safety"], "keeping a ladder off the gutter"),
    ],
    "Measuring": [
        ("laser level", ["level", "laser", "alignment"], "hanging shelves and tiles level"),
        ("spirit level", ["level", "bubble"], "checking level and plumb"),
        ("stud finder", ["studs", "wall", "detector"], "finding studs behind plasterboard"),
        ("moisture meter", ["moisture", "timber", "walls"], "checking damp walls and timber"),
        ("laser distance meter", ["distance", "laser", "measure"], "measuring rooms quickly"),
        ("multimeter", ["electrical", "voltage", "testing"], "testing batteries and circuits"),
    ],
    "Plumbing": [
        ("drain snake", ["drain", "blocked", "auger"], "clearing blocked drains"),
        ("plunger kit", ["drain", "toilet", "sink"], "unblocking sinks and toilets"),
        ("pipe cutter", ["pipe", "copper", "cutting"], "clean cuts in copper pipe"),
        ("tap reseating tool", ["tap", "washer", "leak"], "fixing dripping taps"),
        ("pipe bender", ["pipe", "copper", "bending"], "bending copper pipe without kinks"),
        ("drain camera", ["drain", "inspection", "camera"], "looking inside drains"),
    ],
    "Woodworking": [
        ("drill press", ["drill", "bench", "precise"], "accurate holes at exact angles"),
        ("router", ["router", "edges", "joinery"], "shaping edges and cutting grooves"),
        ("mitre saw", ["saw", "mitre", "angles"], "accurate angled cuts in timber"),
        ("bench planer", ["planer", "thickness", "timber"], "bringing boards to thickness"),
        ("biscuit joiner", ["joinery", "biscuits"], "joining boards edge to edge"),
        ("sash clamps", ["clamps", "glue-up"], "holding panels while glue sets"),
        ("dowel jig", ["dowels", "joinery", "drill"], "lining up dowel holes"),
        ("lathe", ["turning", "bowls", "spindles"], "turning bowls and chair legs"),
    ],
    "Cleaning": [
        ("pressure washer", ["washer", "high pressure", "driveway"], "cleaning drives and decks"),
        ("carpet cleaner", ["carpet", "steam", "upholstery"], "deep cleaning carpets"),
        ("wet and dry vacuum", ["vacuum", "workshop", "water"], "workshop dust and spills"),
        ("window vacuum", ["windows", "squeegee"], "streak-free windows"),
        ("floor polisher", ["floor", "polish", "timber"], "polishing timber and vinyl floors"),
        ("gutter cleaning kit", ["gutters", "leaves", "roof"], "clearing gutters from the ground"),
    ],
}

BRANDS = ("Ironbark", "Kestrel", "Wattle", "Banksia", "Tern", "Corella", "Jarrah", "Quoll")
VARIANTS = ("compact", "heavy-duty", "standard", "professional", "lightweight")
CONDITIONS = (
    ("Like new.", "like new"),
    ("Good condition, light wear.", "good condition"),
    ("Well used but fully serviced.", "serviced"),
)
TARGET_TOOLS = 300


def seed(conn: sqlite3.Connection) -> None:
    """The same library every time: ~300 tools in 8 categories, 3 members, a few loans."""
    rng = random.Random(20261120)  # nosec B311 - a repeatable catalog, not a secret
    for email, name, role, password in SEED_MEMBERS:
        conn.execute(
            "INSERT INTO members (email, name, role, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (email, name, role, hash_password(password), "2026-11-01T09:00:00+00:00"),
        )
    kinds = [(cat, kind) for cat, kinds in CATALOG.items() for kind in kinds]
    n = 0
    while n < TARGET_TOOLS:
        for category, (kind, tags, purpose) in kinds:
            if n >= TARGET_TOOLS:
                break
            brand = BRANDS[rng.randrange(len(BRANDS))]
            variant = VARIANTS[rng.randrange(len(VARIANTS))]
            condition, condition_tag = CONDITIONS[rng.randrange(len(CONDITIONS))]
            name = f"{brand} {variant} {kind}"
            description = (f"A {variant} {kind} from {brand}, good for {purpose}. {condition} "
                           f"Comes with a case and the manual.")
            insert_tool(conn, name, category, description, [*tags, condition_tag])
            n += 1
    # a few loans so that dashboards and owner checks have something to show
    base = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    for tool_id, member_id, days_ago, returned in (
        (3, 2, 2, False), (41, 2, 5, False), (77, 3, 1, False), (120, 2, 20, True),
    ):
        borrowed = base - timedelta(days=days_ago)
        conn.execute(
            "INSERT INTO loans (tool_id, member_id, borrowed_at, due_at, returned_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (tool_id, member_id, borrowed.isoformat(), (borrowed + timedelta(days=7)).isoformat(),
             (borrowed + timedelta(days=6)).isoformat() if returned else None),
        )
