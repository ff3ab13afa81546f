"""The canonical 3W record: one activity of one organisation in one place.

Field names are the contract between ingest, store, analysis, exports and `--json` output.
Vocabularies (sectors, organisation types, statuses, modalities) are data files in `data/`
so a deployment edits a CSV, not code.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from mapping import config

# One rule for the template's instructions, the pre-filled download's help and the confirm step.
REPLACEMENT_RULE = ("Each return is your organisation's complete list for the round: it replaces every activity "
                    "you reported before. Keep the rows of activities that still run or finished this round (set "
                    "finished ones to completed); a row you leave out disappears from the map and matrices.")


@dataclass(frozen=True)
class Field:
    name: str
    hxl: str
    header: str
    kind: str  # text | vocab | date | int | number | email | pcode
    required: bool = False
    personal: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""


FIELDS: tuple[Field, ...] = (
    Field("org_name", "#org+name", "Organisation", "text", True, aliases=(
        "organisation", "organization", "organisation name", "organization name", "reporting organisation",
        "reporting organization", "partner", "partner name", "agency", "agency name", "org", "development partner",
        "dp", "organisme", "organisation déclarante", "nom de l'organisation", "organización", "socio", "agencia",
        "organização", "nome da organização", "organisation name (full)", "#org+reporting"),
        description="The organisation reporting the activity (full name or acronym)."),
    Field("org_acronym", "#org+acronym", "Acronym", "text", aliases=(
        "acronym", "org acronym", "organisation acronym", "abbreviation", "sigle", "acronyme", "acrónimo", "siglas", "sigla", "acrônimo", "short name"),
        description="Short name of the reporting organisation."),
    Field("org_type", "#org+type", "Organisation type", "vocab", aliases=(
        "organisation type", "organization type", "org type", "type of organisation", "type of organization",
        "partner type", "agency type", "type d'organisation", "tipo de organización"),
        description="UN agency, donor, INGO, NGO, government, ... (pick from the drop-down list)."),
    Field("org_impl", "#org+impl", "Implementing partner", "text", aliases=(
        "implementing partner", "implementing partners", "implementing organisation", "implementing organization",
        "implementer", "ip", "partenaire de mise en oeuvre", "partenaire d'exécution", "socio implementador"),
        description="Who delivers on the ground, when it is not the reporting organisation."),
    Field("org_funder", "#org+funder", "Donor", "text", aliases=(
        "donor", "donors", "funding organisation", "funding organization", "funder", "funding source", "source of funding",
        "bailleur", "bailleur de fonds", "donante", "#org+funding"),
        description="Who funds the activity."),
    Field("project", "#activity+project", "Programme / project", "text", aliases=(
        "programme", "program", "project", "project name", "programme name", "program name", "projet", "programa",
        "proyecto", "project title"),
        description="Programme or project the activity belongs to."),
    Field("sector", "#sector", "Sector", "vocab", True, aliases=(
        "sector", "cluster", "sector/cluster", "thematic area", "secteur", "sector name", "área", "theme"),
        description="Sector (pick from the drop-down list)."),
    Field("subsector", "#subsector", "Sub-sector", "vocab", aliases=(
        "sub-sector", "subsector", "sub sector", "sub-type", "programme type", "sous-secteur", "subsector name",
        "activity type", "type of activity", "sous secteur", "subsector/activity type"),
        description="Sub-sector or programme type within the sector (drop-down list, once the sector is chosen)."),
    Field("activity", "#activity+name", "Activity", "text", aliases=(
        "activity", "activity description", "activity name", "description", "activities", "intervention",
        "activité", "description de l'activité", "actividad", "#activity", "#activity+description"),
        description="What is done, in a few words."),
    Field("modality", "#modality", "Modality", "vocab", aliases=(
        "modality", "delivery modality", "transfer modality", "modalité", "modalidad"),
        description="Cash, in-kind, voucher, service delivery, technical assistance ... (drop-down list)."),
    Field("adm1_name", "#adm1+name", "Province", "text", aliases=(
        "province", "province name", "admin 1", "admin1", "adm1", "admin1 name", "region", "state", "state/province",
        "provinces", "région", "departement", "département", "provincia", "departamento", "estado"),
        description="Province or territory (admin level 1)."),
    Field("adm1_pcode", "#adm1+code", "Province p-code", "pcode", aliases=(
        "province pcode", "province p-code", "admin1 pcode", "admin 1 pcode", "adm1_pcode", "admin1 p-code",
        "province code", "pcode province", "code province"),
        description="P-code of the province (filled in by Stocktake when empty)."),
    Field("adm2_name", "#adm2+name", "District", "text", aliases=(
        "district", "district name", "admin 2", "admin2", "adm2", "admin2 name", "districts", "location",
        "district/agency", "commune", "municipio", "localité", "préfecture", "cercle", "distrito", "distritos",
        "município", "comuna"),
        description="District (admin level 2). Leave empty for province-wide or national activities."),
    Field("adm2_pcode", "#adm2+code", "District p-code", "pcode", aliases=(
        "district pcode", "district p-code", "admin2 pcode", "admin 2 pcode", "adm2_pcode", "admin2 p-code",
        "district code", "pcode", "p-code", "code district"),
        description="P-code of the district (filled in by Stocktake when empty)."),
    Field("scope", "#loc+scope", "Location scope", "vocab", aliases=(
        "scope", "location scope", "coverage", "geographic scope", "level", "portée"),
        description="district, province-wide or national."),
    Field("status", "#status", "Status", "vocab", True, aliases=(
        "status", "activity status", "project status", "current status", "statut", "état", "estado de la actividad"),
        description="planned, ongoing, completed or suspended."),
    Field("start_date", "#date+start", "Start date", "date", aliases=(
        "start date", "start", "starting date", "date start", "from", "date de début", "début", "fecha de inicio",
        "fecha inicio"),
        description="When the activity started or will start (day/month/year)."),
    Field("end_date", "#date+end", "End date", "date", aliases=(
        "end date", "end", "ending date", "date end", "to", "completion date", "date de fin", "fin",
        "fecha de finalización", "fecha fin"),
        description="When it ends; leave empty when open-ended."),
    Field("targeted", "#targeted", "Beneficiaries targeted", "int", aliases=(
        "beneficiaries targeted", "targeted", "target", "targeted beneficiaries", "# targeted", "people targeted",
        "no. of beneficiaries targeted", "target beneficiaries", "bénéficiaires ciblés", "cible",
        "beneficiarios previstos", "#targeted+total", "people targeted individuals", "individuals targeted",
        "personnes ciblées", "personas previstas", "pessoas previstas", "beneficiários previstos",
        "pessoas alvo"),
        description="People (individuals, never households) the activity plans to reach."),
    Field("reached", "#reached", "Beneficiaries reached", "int", aliases=(
        "beneficiaries reached", "reached", "people reached", "# reached", "achieved", "beneficiaries",
        "no. of beneficiaries reached", "bénéficiaires atteints", "atteints", "beneficiarios alcanzados",
        "#reached+total", "people reached individuals", "individuals reached", "personnes atteintes",
        "personas alcanzadas", "pessoas alcançadas", "beneficiários alcançados", "pessoas atingidas"),
        description="People (individuals, never households) reached so far."),
    Field("beneficiary_group", "#beneficiary", "Beneficiary group", "text", aliases=(
        "beneficiary group", "target group", "beneficiary type", "population group", "groupe cible",
        "grupo beneficiario", "beneficiary category"),
        description="Who is served: women, children under 5, older people, ..."),
    Field("budget", "#value", "Budget", "number", aliases=(
        "budget", "budget amount", "amount", "funding", "value", "total budget", "budget (usd)", "budget usd",
        "montant", "presupuesto", "#value+budget"),
        description="Budget of the activity, in the currency column's currency."),
    Field("currency", "#currency", "Currency", "text", aliases=(
        "currency", "devise", "moneda", "ccy"),
        description="ISO currency code (USD, PKR, ...)."),
    Field("contact_name", "#contact+name", "Focal point name", "text", personal=True, aliases=(
        "focal point", "focal point name", "contact", "contact name", "contact person", "point focal", "contacto"),
        description="Who to ask about this activity (shown to signed-in users only)."),
    Field("contact_email", "#contact+email", "Focal point e-mail", "email", personal=True, aliases=(
        "email", "e-mail", "contact email", "focal point email", "focal point e-mail", "courriel", "correo"),
        description="Focal point's e-mail (shown to signed-in users only)."),
    Field("contact_phone", "#contact+phone", "Focal point phone", "text", personal=True, aliases=(
        "phone", "telephone", "contact phone", "phone number", "mobile", "téléphone", "teléfono"),
        description="Focal point's phone (shown to signed-in users only)."),
    Field("remarks", "#description+remarks", "Remarks", "text", aliases=(
        "remarks", "comments", "notes", "comment", "remarques", "observations", "observaciones"),
        description="Anything else."),
    Field("activity_id", "#activity+id", "Activity ID", "text", aliases=(
        "#activity+code", "activity id", "activity code", "id", "code", "project id", "project code", "ref",
        "reference"),
        description="Stable ID kept from round to round; leave empty for a new activity."),
    Field("targeted_hh", "#targeted+hh", "Households targeted", "int", aliases=(
        "households targeted", "targeted households", "hh targeted", "ménages ciblés", "hogares previstos",
        "agregados previstos", "agregados familiares previstos", "famílias previstas", "familias previstas"),
        description="Households (not people) the activity plans to reach; never added to people."),
    Field("reached_hh", "#reached+hh", "Households reached", "int", aliases=(
        "households reached", "reached households", "hh reached", "ménages atteints", "hogares alcanzados",
        "agregados alcançados", "agregados familiares alcançados", "famílias alcançadas", "familias alcanzadas"),
        description="Households (not people) reached so far; never added to people."),
    Field("org_lead", "#org+lead", "Lead organisation", "text", aliases=(
        "lead organisation", "lead organization", "lead agency", "lead partner", "programme partner",
        "program partner", "agence chef de file", "chef de file", "organisation principale", "agencia líder",
        "agência líder", "organização líder", "#org+prog"),
        description="The agency that leads or funds the programme through the implementing partner."),
    Field("strategy", "#activity+strategy", "Strategy objective / action", "text", aliases=(
        "strategy", "strategy objective", "strategic objective", "policy action", "pillar", "pillar / objective",
        "strategy pillar", "national strategy", "objectif stratégique", "axe stratégique", "objetivo estratégico",
        "eje estratégico", "#activity+strategy+code"),
        description="The objective or policy action of the government's strategy the activity supports "
                    "(data/strategy.csv; pick from the list)."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
CONTACT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.personal)
SCOPES: tuple[str, ...] = ("district", "province", "national")
# Header words that look like a location column but are not a district.
NOT_DISTRICT_HEADERS: tuple[str, ...] = ("tehsil", "taluka", "union council", "uc", "village", "sub-district",
                                         "subdistrict", "admin 3", "admin3", "adm3")


@dataclass
class Issue:
    """One problem found in a return, precise enough for a focal point to fix without help."""

    file: str
    sheet: str | None
    row: int | None  # as Excel numbers it
    column: str | None  # the column's header as written in the file (and its letter)
    value: str | None
    severity: str  # "error" | "warning"
    message: str
    suggestion: str | None = None
    field: str | None = None  # canonical field, when known

    def to_dict(self) -> dict:
        d = asdict(self)
        return d


ISSUE_KEYS: tuple[str, ...] = ("file", "sheet", "row", "column", "value", "severity", "message", "suggestion")


# The controlled lists: field -> (file under data/, the column holding the value).
VOCABULARY_FILES: dict[str, tuple[str, str]] = {
    "sector": ("sectors.csv", "sector"), "org_type": ("org_types.csv", "org_type"),
    "status": ("statuses.csv", "status"), "modality": ("modalities.csv", "modality"),
    "target_group": ("target_groups.csv", "target_group"),  # the programmes' groups (returns.programmes)
}


def vocabulary_path(name: str, data_dir: Path | None = None) -> Path:
    """Where a list is read from: the deployment's edited copy in STOCKTAKE_DATA_DIR, else the shipped one.

    Edits are always written to the deployment's copy (`data_dir / name`), so the shipped file stays the
    default a new deployment starts from.
    """
    path = (data_dir or config.data_dir()) / name
    return path if path.exists() else config.PROJECT_ROOT / "data" / name


def _read_csv(name: str, data_dir: Path | None = None) -> list[dict[str, str]]:
    path = vocabulary_path(name, data_dir)
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


@dataclass(frozen=True)
class Vocabularies:
    """The controlled lists a return is checked against."""

    sectors: tuple[tuple[str, str, str], ...]  # (sector, subsector, code)
    org_types: tuple[str, ...]
    statuses: tuple[str, ...]
    modalities: tuple[str, ...]
    # per vocabulary ("status", "org_type", "modality"): lower-cased alias -> canonical value
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def sector_names(self) -> list[str]:
        return list(dict.fromkeys(s for s, _, _ in self.sectors))

    def subsectors_of(self, sector: str) -> list[str]:
        return [sub for s, sub, _ in self.sectors if s == sector and sub]

    def listed(self, field: str) -> frozenset[str]:
        """The lower-cased spellings `field`'s list knows (its values and their aliases; empty for a field
        without a list): a stored value outside them was kept as written, not yet mapped, and is shown as not on
        the list."""
        if field == "sector":
            values: tuple[str, ...] | list[str] = self.sector_names
        elif field == "subsector":
            values = [sub for _, sub, _ in self.sectors if sub]
        else:
            values = {"status": self.statuses, "org_type": self.org_types, "modality": self.modalities}.get(field, ())
        return frozenset(v.lower() for v in values) | frozenset(self.aliases.get(field, {}))


# Fields checked against a list whose off-list values are kept as written, and how such a value is shown.
LISTED_FIELDS: tuple[str, ...] = ("sector", "subsector", "status", "org_type", "modality")
NOT_ON_LIST = "not on the list"


def not_on_list_label(value: str) -> str:
    """'Seguridad alimentaria (not on the list)': a value kept as written, in matrices and exports."""
    return f"{value} ({NOT_ON_LIST})"


@lru_cache(maxsize=4)
def load_vocabularies(data_dir: str | None = None) -> Vocabularies:
    d = Path(data_dir) if data_dir else None
    sectors = tuple((r["sector"], r.get("subsector", ""), r.get("code", "")) for r in _read_csv("sectors.csv", d))
    aliases: dict[str, dict[str, str]] = {}
    values: dict[str, tuple[str, ...]] = {}
    for name, fname in (("org_type", "org_types.csv"), ("status", "statuses.csv"), ("modality", "modalities.csv")):
        rows = _read_csv(fname, d)
        values[name] = tuple(r[name] for r in rows)
        table = {r[name].lower(): r[name] for r in rows}
        for r in rows:
            for alias in (r.get("aliases") or "").split("|"):
                if alias.strip():
                    table.setdefault(alias.strip().lower(), r[name])
        aliases[name] = table
    return Vocabularies(sectors, values["org_type"], values["status"], values["modality"], aliases)
