"""Illustrative demo returns: fictional organisations reporting over the real districts of the boundary set.

The demo has to show what Stocktake is for, so it is shaped like a real stocktaking exercise: a few
districts where several partners run unconditional cash transfers (overlaps), sectors and provinces that
nobody covers (gaps), most returns clean, some in messy layouts that ingest must still read, and two or
three with genuine mistakes so the validation report has something to show. Every name is invented and
every file says so. A fixed seed and fixed file timestamps give identical bytes on every run.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font

from mapping.returns.schema import load_vocabularies
from mapping.returns.template import build_template, stable_xlsx

SEED = 20240601
LABEL = "ILLUSTRATIVE DEMO DATA — fictional organisations"
# (name, acronym, type, sectors it works in, aliases)
ORGS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("United Agency for Child Futures (fictional)", "UACF", "UN agency",
     ("Nutrition", "Child protection", "Education", "Social protection"), ("United Agency for Child Futures",)),
    ("World Nutrition and Food Office (fictional)", "WNFO", "UN agency",
     ("Agriculture and food security", "Nutrition", "Social protection"), ("World Nutrition and Food Office",)),
    ("Decent Work and Protection Office (fictional)", "DWPO", "UN agency",
     ("Social protection", "Governance and social protection systems"), ()),
    ("United Programme for Resilient Development (fictional)", "UPRD", "UN agency",
     ("Disaster risk and climate", "Governance and social protection systems"), ()),
    ("Northland Development Cooperation (fictional)", "NLDC", "Donor",
     ("Social protection", "Financial inclusion"), ("Northland Development Cooperation",)),
    ("Westmark Aid Agency (fictional)", "WMAA", "Donor", ("Health", "Education"), ()),
    ("Eastvale International Partnership Fund (fictional)", "EIPF", "Donor", ("Gender", "Social protection"), ()),
    ("Bank for Inclusive Growth (fictional)", "BFIG", "Development bank",
     ("Governance and social protection systems", "Social protection"), ()),
    ("Multilateral Fund for Social Resilience (fictional)", "MFSR", "Development bank",
     ("Social protection", "Disaster risk and climate"), ()),
    ("Northern Alliance for Child Welfare (fictional)", "NACW", "International NGO",
     ("Child protection", "Education", "Nutrition"), ()),
    ("Hands Across Borders International (fictional)", "HABI", "International NGO", ("Health", "Nutrition", "WASH"), ()),
    ("Clearwater Promise International (fictional)", "CWPI", "International NGO", ("WASH", "Health"), ()),
    ("Seedline International (fictional)", "SDLI", "International NGO",
     ("Agriculture and food security", "Social protection"), ()),
    ("Open Hearth Relief (fictional)", "OHRL", "International NGO", ("Social protection", "Disaster risk and climate"), ()),
    ("Indus Relief Partners (fictional)", "IRP", "National NGO", ("Social protection", "Health", "Nutrition"), ()),
    ("Karakoram Community Foundation (fictional)", "KRCF", "National NGO",
     ("Education", "Agriculture and food security"), ()),
    ("Thar Desert Women's Collective (fictional)", "TDWC", "National NGO", ("Gender", "Social protection"), ()),
    ("Sulaiman Rural Support Trust (fictional)", "SRST", "National NGO",
     ("Social protection", "Agriculture and food security", "Financial inclusion"), ()),
    ("Five Rivers Education Society (fictional)", "FRES", "National NGO", ("Education",), ()),
    ("Federation of Social Protection Agencies (fictional)", "FSPA", "Government",
     ("Social protection", "Governance and social protection systems"), ()),
    ("Provincial Cash Assistance Authority (fictional)", "PCAA", "Government", ("Social protection",), ()),
    ("Highlands Social Welfare Directorate (fictional)", "HSWD", "Government",
     ("Social protection", "Child protection"), ()),
    ("Mobile Money Collective (fictional)", "MMCO", "Private sector", ("Financial inclusion",), ()),
    ("Crescent Valley Health Trust (fictional)", "CVHT", "National NGO", ("Health", "Nutrition"), ()),
)
# layout of each return, by position in ORGS; everything else is the clean template
MESSY = {9: "title-merged", 14: "hxl-french", 17: "title-merged", 22: "hxl-french"}
MISTAKES = {5: "unknown-sector", 12: "unmatched-district", 19: "end-before-start"}
MODALITY = {"Unconditional cash transfers": "Cash", "Conditional cash transfers": "Cash", "Social pensions": "Cash",
            "Food and in-kind transfers": "In-kind", "School feeding": "In-kind", "Public works": "Cash",
            "Policy and technical assistance": "Technical assistance"}
FIXED_NOW = dt.date(2025, 6, 30)


def demo_orgs() -> list[dict]:
    """The fictional organisations, as the store registers them (name, acronym, type, aliases)."""
    return [{"name": n, "acronym": a, "type": t, "aliases": list(al)} for n, a, t, _, al in ORGS]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _activities(rng: random.Random, org: tuple, units: pd.DataFrame, hot: list[dict],
                homes: list[str]) -> list[dict[str, Any]]:
    """One organisation's activities: mostly in its home provinces, cash transfers piling up in hot districts."""
    vocab = load_vocabularies()
    name, acronym, otype, sectors, _ = org
    rows = []
    home_units = units[units["adm1_name"].isin(homes)].to_dict("records") or units.to_dict("records")
    for i in range(rng.randint(5, 14)):
        sector = rng.choice(sectors)
        subs = vocab.subsectors_of(sector)
        sub = rng.choice(subs) if subs else None
        if sector == "Social protection" and rng.random() < 0.6:
            sub = "Unconditional cash transfers" if "Unconditional cash transfers" in subs else sub
            place = rng.choice(hot)
        else:
            place = rng.choice(home_units)
        start = dt.date(rng.choice((2023, 2024, 2024, 2025)), rng.randint(1, 12), 1)
        months = rng.choice((6, 12, 18, 24, 36))
        end_year, end_month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
        end = dt.date(end_year, end_month, 1) - dt.timedelta(days=1)
        status = "completed" if end < FIXED_NOW else ("planned" if start > FIXED_NOW else "ongoing")
        if status == "ongoing" and rng.random() < 0.08:
            status = "suspended"
        targeted = rng.choice((500, 1000, 2500, 5000, 12500, 20000, 45000))
        reached = 0 if status == "planned" else int(targeted * rng.choice((0.3, 0.5, 0.8, 1.0)))
        rows.append({
            "org_name": name, "org_acronym": acronym, "org_type": otype,
            "org_funder": rng.choice(("Northland Development Cooperation (fictional)", "Westmark Aid Agency (fictional)",
                                      "Eastvale International Partnership Fund (fictional)", None)),
            "project": f"{acronym} {sector.split()[0]} programme {rng.randint(1, 3)}",
            "sector": sector, "subsector": sub,
            "activity": f"{sub or sector} for {rng.choice(('poor households', 'women', 'children under 5', 'older people', 'flood-affected families'))}",
            "modality": MODALITY.get(sub or "", rng.choice(("Service delivery", "Technical assistance", "Cash"))),
            "adm1_name": place["adm1_name"], "adm2_name": place["adm2_name"], "scope": "district",
            "status": status, "start_date": start, "end_date": end, "targeted": targeted,
            "reached": reached, "beneficiary_group": rng.choice(("Women", "Children", "Households", "Older people")),
            "budget": rng.choice((50_000, 120_000, 250_000, 800_000, 1_500_000)), "currency": "USD",
            "contact_name": f"Demo focal point {acronym}", "contact_email": f"focal@{_slug(acronym)}.demo",
            "activity_id": f"{acronym}-{i + 1:03d}",
            "strategy": _strategy(sub or sector),
        })
    return rows


# which policy action of the illustrative framework (data/strategy.csv) a demo activity supports; left empty
# for the rest, so the demo shows actions nobody supports and activities that name no strategy item
DEMO_STRATEGY = {"Unconditional cash transfers": "P1.1.a", "Social pensions": "P1.1", "Conditional cash transfers":
                 "P2.1.a", "Food and in-kind transfers": "P1.2.b", "Anticipatory action": "P1.2.a",
                 "Treatment of acute malnutrition": "P2.1.b", "Micronutrient supplementation": "P2.1.c",
                 "Girls' education": "P2.2.a", "School feeding": "P2.2.b", "Access and enrolment": "P2.2.c",
                 "Labour market and livelihoods": "P3.1", "Public works": "P3.1.b",
                 "Digital payments and accounts": "P3.2.a", "Social registry and targeting": "P4.1.a"}


def _strategy(key: str | None) -> str | None:
    from mapping.returns.strategy import load_framework

    framework = load_framework()
    code = DEMO_STRATEGY.get(key or "")
    if framework is None or code not in framework.by_code:
        return None
    return framework.by_code[code].label


def _clean_file(org: tuple, rows: list[dict], units: pd.DataFrame) -> bytes:
    """The template, pre-filled the way a focal point would fill it."""
    return build_template(units=units, org=org[0], activities=pd.DataFrame(rows), title=LABEL)


def _misspell(name: str, i: int) -> str:
    """How districts get written in real returns: old names, abbreviations, a dropped letter."""
    known = {"Dera Ghazi Khan": "D.G Khan", "Shaheed Benazirabad": "Nawabshah", "Shaheed Benazir Abad": "Nawabshah",
             "Dera Ismail Khan": "D.I. Khan"}
    if name in known:
        return known[name]
    if i % 2 and len(name) >= 8 and " " not in name:
        return name[:-2] + name[-1]  # Hafizabad -> Hafizabd: matched by close spelling, with a warning
    return name.upper()


def _title_merged_file(org: tuple, rows: list[dict]) -> bytes:
    """Title rows, a two-row header with merged group headings, text dates and '12,500' numbers, a blank row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "3W return"
    ws["A1"] = f"{org[0]} — stocktaking return ({LABEL})"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "Reporting period: January to June 2025"
    top = ["Organisation", "Sector", "Sub-sector", "Activity description", "Location", None, "Status", "Dates", None,
           "Beneficiaries", None, "Budget (USD)", "Remarks", "Activity ID"]
    sub = [None, None, None, None, "Province", "District", None, "Start", "End", "Targeted", "Reached", None, None,
           None]
    ws.append([])
    ws.append(top)
    ws.append(sub)
    for rng_ in ("E4:F4", "H4:I4", "J4:K4"):
        ws.merge_cells(rng_)
    for rng_ in ("A4:A5", "B4:B5", "C4:C5", "D4:D5", "G4:G5", "L4:L5", "M4:M5", "N4:N5"):
        ws.merge_cells(rng_)
    for cell in (*ws[4], *ws[5]):
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for i, rec in enumerate(rows):
        if i == 2:
            ws.append([])  # a blank row in the middle
        district = _misspell(rec["adm2_name"], i) if i % 3 == 0 else rec["adm2_name"]
        scope_district = "Province-wide" if i == len(rows) - 1 else district
        ws.append([org[1] if i % 2 else org[0], rec["sector"], rec["subsector"], rec["activity"], rec["adm1_name"],
                   scope_district, rec["status"].capitalize(), rec["start_date"].strftime("%d %B %Y"),
                   rec["end_date"].strftime("%b-%Y"), f"{rec['targeted']:,}",
                   int(rec["targeted"] * 1.2) if i == 1 else rec["reached"],
                   f"{rec['budget']:,}", "Figures provisional" if i == 0 else None, rec["activity_id"]])
    for col, width in zip("ABCDEFGHIJKLMN", (34, 24, 28, 36, 18, 20, 12, 16, 12, 12, 12, 14, 22, 12), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.title = LABEL
    return stable_xlsx(wb)


def _hxl_french_file(org: tuple, rows: list[dict]) -> bytes:
    """OCHA-style 3W: French headers, an HXL row, dates as day/month/year text, an extra 'Tehsil' column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "3W"
    cols = [("Organisation", "#org+name"), ("Sigle", "#org+acronym"), ("Secteur", "#sector"),
            ("Sous-secteur", "#subsector"), ("Activité", "#activity+name"), ("Région", "#adm1+name"),
            ("District", "#adm2+name"), ("Tehsil", "#adm3+name"), ("Statut", "#status"),
            ("Date de début", "#date+start"), ("Date de fin", "#date+end"), ("Bénéficiaires ciblés", "#targeted"),
            ("Bénéficiaires atteints", "#reached"), ("Bailleur", "#org+funder"), ("Remarques", "#description+remarks"),
            ("Code", "#activity+id")]
    ws.append([h for h, _ in cols])
    ws.append([t for _, t in cols])
    statut = {"planned": "Prévu", "ongoing": "En cours", "completed": "Terminé", "suspended": "Suspendu"}
    for i, rec in enumerate(rows):
        ws.append([org[0], org[1], rec["sector"], rec["subsector"], rec["activity"], rec["adm1_name"],
                   _misspell(rec["adm2_name"], i) if i % 4 in (0, 1) else rec["adm2_name"], None, statut[rec["status"]],
                   rec["start_date"].strftime("%d/%m/%Y"), rec["end_date"].strftime("%d/%m/%Y"),
                   rec["targeted"], rec["reached"], rec["org_funder"], LABEL if i == 0 else None,
                   rec["activity_id"]])
    wb.properties.title = LABEL
    return stable_xlsx(wb)


def _add_mistake(kind: str, rows: list[dict]) -> None:
    if kind == "unknown-sector":
        rows[1]["sector"], rows[1]["subsector"] = "Peacebuilding", None
    elif kind == "unmatched-district":
        rows[0]["adm2_name"] = "Newtown Valley"
    elif kind == "end-before-start":
        rows[2]["start_date"], rows[2]["end_date"] = rows[2]["end_date"], rows[2]["start_date"]


def _showcase(rows: list[dict], units: pd.DataFrame, districts: tuple[str, ...]) -> None:
    """Put a district with a well-known other spelling (D.G Khan, Nawabshah) in the first row, when the
    boundary set has it, so the messy returns show the gazetteer at work."""
    hit = units[units["adm2_name"].isin(districts)]
    if len(hit):
        rows[0]["adm1_name"], rows[0]["adm2_name"] = str(hit["adm1_name"].iloc[0]), str(hit["adm2_name"].iloc[0])


def write_demo_returns(out_dir: Path, units: pd.DataFrame) -> list[dict]:
    """Write the demo returns (.xlsx) into `out_dir`; one dict per file: path, org, org_acronym, org_type."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    units = units.dropna(subset=["adm1_name", "adm2_name"]).sort_values(["adm1_pcode", "adm2_pcode"])
    units = units.reset_index(drop=True)
    provinces = list(dict.fromkeys(units["adm1_name"]))
    sizes = units.groupby("adm1_name").size().sort_values(ascending=False)
    # most work goes to the three largest provinces; the smallest get little or nothing (gaps)
    busy = list(sizes.index[:3]) or provinces
    quiet = [p for p in provinces if p not in busy]
    hot = units[units["adm1_name"].isin(busy)].sample(n=min(6, len(units)), random_state=SEED).to_dict("records")
    out: list[dict] = []
    for i, org in enumerate(ORGS):
        homes = rng.sample(busy, k=min(2, len(busy)))
        if quiet and rng.random() < 0.25:
            homes.append(rng.choice(quiet))
        rows = _activities(rng, org, units, hot, homes)
        if i in MISTAKES:
            _add_mistake(MISTAKES[i], rows)
        layout = MESSY.get(i, "clean")
        if layout != "clean":
            _showcase(rows, units, ("Dera Ghazi Khan",) if layout == "title-merged"
                      else ("Shaheed Benazir Abad", "Shaheed Benazirabad"))
        if layout == "title-merged":
            data = _title_merged_file(org, rows)
        elif layout == "hxl-french":
            data = _hxl_french_file(org, rows)
        else:
            data = _clean_file(org, rows, units)
        path = out_dir / f"{i + 1:02d}_{_slug(org[1])}_return.xlsx"
        path.write_bytes(data)
        out.append({"path": str(path), "org": org[0], "org_acronym": org[1], "org_type": org[2],
                    "layout": layout, "mistake": MISTAKES.get(i)})
    return out


# fictional programmes for the forum's page: (name, owner, provinces, type, groups, benefit, amount, frequency,
# districts, beneficiaries, start year, eligibility)
DEMO_PROGRAMMES = (
    ("Mother and Child Cash Support (fictional)", "Provincial Cash Assistance Authority (fictional)", "Punjab",
     "Conditional cash transfers", "Pregnant and lactating women; Children under 2", "Cash", 2000, "monthly",
     "Lahore; Kasur; Okara; Multan; Bahawalpur; Rajanpur; Dera Ghazi Khan; Muzaffargarh; Layyah; Bhakkar; Khushab; "
     "Mianwali; Jhang; Lodhran; Vehari", 182000, 2022,
     "Registered pregnant women and mothers of children under two in the poorest households; health visits "
     "required."),
    ("National Nutrition Stipend (fictional)", "Federation of Social Protection Agencies (fictional)", "",
     "Conditional cash transfers", "Pregnant and lactating women; Children under 2", "Cash", 2500, "quarterly",
     "", 910000, 2020, "Households in the national registry below the poverty score cut-off; growth monitoring."),
    ("Sindh Mother and Infant Support (fictional)", "Indus Relief Partners (fictional)", "Sindh",
     "Conditional cash transfers", "Pregnant and lactating women; Children under 2", "Cash", 1800, "monthly",
     "Tharparkar; Umerkot; Mirpur Khas; Sanghar; Badin; Thatta", 64000, 2023,
     "Mothers registered at a basic health unit of the six districts."),
    ("Highlands Elderly Pension (fictional)", "Highlands Social Welfare Directorate (fictional)",
     "Khyber Pakhtunkhwa", "Social pensions", "Elderly", "Cash", 3000, "monthly", "", 120000, 2019,
     "People aged 65 or more without a pension."),
    ("Highlands Disability Allowance (fictional)", "Highlands Social Welfare Directorate (fictional)",
     "Khyber Pakhtunkhwa", "Unconditional cash transfers", "Persons with disabilities", "Cash", 2500, "monthly",
     "Peshawar; Swat; Mardan; Abbottabad", 21000, 2021, "A disability certificate from the district board."),
    ("National School Stipend (fictional)", "Federation of Social Protection Agencies (fictional)", "",
     "Conditional cash transfers", "Out-of-school children; School-age children", "Cash", 1500, "quarterly", "",
     1400000, 2021, "Children of registered households enrolled and attending 70 % of school days."),
    ("Thar Women's Livelihood Grants (fictional)", "Thar Desert Women's Collective (fictional)", "Sindh",
     "Labour market and livelihoods", "Women", "Cash grant", 40000, "one-off", "Tharparkar; Umerkot", 3500, 2024,
     "Women heading households, chosen by village committees."),
    ("Punjab Elderly Care Grant (fictional)", "Provincial Cash Assistance Authority (fictional)", "Punjab",
     "Social pensions", "Elderly", "Cash", 2500, "monthly", "Lahore; Multan; Faisalabad; Rawalpindi", 54000, 2024,
     "People aged 65 or more in the provincial registry."),
)


# what the demo returns write in their Programme column for some of these (the rest stay unlinked, to show)
DEMO_PROGRAMME_NAMES = {"Mother and Child Cash Support (fictional)": "PCAA Social programme 1",
                        "Punjab Elderly Care Grant (fictional)": "PCAA Social programme 2",
                        "National Nutrition Stipend (fictional)": "FSPA Social programme 1",
                        "National School Stipend (fictional)": "FSPA Social programme 2",
                        "Sindh Mother and Infant Support (fictional)": "IRP Social programme 1",
                        "Highlands Elderly Pension (fictional)": "HSWD Social programme 1"}


def demo_programmes_csv() -> bytes:
    """The fictional programmes as the programmes sheet a secretariat would upload (illustrative only)."""
    import csv
    import io

    from mapping.returns.programmes import COLUMNS

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(COLUMNS))
    for (name, owner, provinces, kind, groups, benefit, amount, freq, districts, people, year,
         eligibility) in DEMO_PROGRAMMES:
        row = {"Programme": name, "Owner": owner, "Provinces": provinces, "Type": kind, "Target groups": groups,
               "Benefit": benefit, "Benefit amount": amount, "Currency": "PKR", "Frequency": freq,
               "Eligibility": eligibility, "Districts": districts, "Beneficiaries": people,
               "Beneficiaries as of": "2026-06-30", "Source of the figure": "Illustrative demo data",
               "Start year": year, "Other names": DEMO_PROGRAMME_NAMES.get(name, "")}
        w.writerow([row.get(h, "") for h in COLUMNS])
    return buf.getvalue().encode("utf-8")
