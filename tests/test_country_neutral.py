"""Programmes and the strategy framework work for any country: the code names no province, district, p-code,
currency or programme of the country the demo uses; vocabularies, the framework and the demo are data."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
# the code of issue 17: programme records, the forum's page, the strategy framework and the pages reading it
CODE = sorted({*ROOT.glob("mapping/*/programmes.py"), *ROOT.glob("mapping/*/strategy.py"), ROOT / "pages/programmes.py",
               ROOT / "views/programmes.py", ROOT / "pages/gaps.py", ROOT / "pages/matrices.py"})
# words that would tie the code to Pakistan: the country, its currency, identity card, real programmes
WORDS = ("Pakistan", "PAK", "PKR", "CNIC", "BISP", "Ehsaas", "Benazir", "Kafaalat", "Nashonuma", "Taleemi", "Sehat")


def test_no_place_code_currency_or_programme_of_one_country_in_the_programmes_and_strategy_code(shared_boundaries):
    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    places = set(adm2["adm2_name"]) | set(adm2["adm1_name"])
    assert len(CODE) == 12 and len(places) > 150
    found = []
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        found += [(path.name, p) for p in places if re.search(rf"\b{re.escape(p)}\b", text)]
        found += [(path.name, w) for w in WORDS if re.search(rf"\b{w}\b", text, re.IGNORECASE)]
        found += [(path.name, m) for m in re.findall(r"\bPK-?\d+", text)]
    assert found == []


def test_the_vocabularies_and_the_framework_are_data_files():
    for name in ("target_groups.csv", "strategy.csv", "sectors.csv"):
        assert (ROOT / "data" / name).exists(), name
    code = "\n".join(p.read_text(encoding="utf-8") for p in CODE)
    assert "Pregnant and lactating women" not in code and "Protecting the poorest" not in code
