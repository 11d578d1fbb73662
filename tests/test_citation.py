"""CITATION.cff is valid Citation File Format 1.2.0 and names the version being released.

The key lists below are those of the CFF 1.2.0 JSON schema (citation-file-format/citation-file-format,
schema.json): the required keys, every key allowed at the top level, in a person, an entity and a
reference, and the formats of dates and DOIs.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from iopsim import __version__

CFF = Path(__file__).resolve().parent.parent / "CITATION.cff"

TOP = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
       "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
       "repository-artifact", "repository-code", "title", "type", "url", "version"}
REQUIRED = {"cff-version", "message", "title", "authors"}
PERSON = {"address", "affiliation", "alias", "city", "country", "email", "family-names", "fax", "given-names",
          "name-particle", "name-suffix", "orcid", "post-code", "region", "tel", "website"}
ENTITY = {"address", "alias", "city", "country", "date-end", "date-start", "email", "fax", "location", "name",
          "orcid", "post-code", "region", "tel", "website"}
REFERENCE_REQUIRED = {"type", "title", "authors"}
REFERENCE_TYPES = {"article", "book", "software", "report", "website", "generic", "data", "manual", "standard"}
DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$")
DOI = re.compile(r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-\.\(\)\[\]\\]+$")


def _authors_ok(authors: object) -> None:
    assert isinstance(authors, list) and authors
    for a in authors:
        assert isinstance(a, dict)
        if "name" in a:
            assert set(a) <= ENTITY, set(a) - ENTITY
        else:
            assert set(a) <= PERSON and ("family-names" in a or "given-names" in a), a


def test_citation_file_is_valid_cff_1_2_for_this_version():
    text = CFF.read_text(encoding="utf-8")
    cff = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as a string, as the schema reads them
    assert isinstance(cff, dict)
    assert REQUIRED <= set(cff) <= TOP, set(cff) - TOP
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == __version__
    assert cff["type"] in ("software", "dataset")
    assert DATE.match(cff["date-released"])
    assert cff["license"] == "MIT"  # as pyproject.toml
    assert cff["message"].strip() and cff["title"].strip()
    _authors_ok(cff["authors"])
    assert all(isinstance(k, str) and k for k in cff["keywords"])
    for ref in cff.get("references", []):
        assert REFERENCE_REQUIRED <= set(ref), ref
        assert ref["type"] in REFERENCE_TYPES
        _authors_ok(ref["authors"])
        if "doi" in ref:
            assert DOI.match(ref["doi"])
    # and the typed reading (dates and numbers as YAML types) parses too
    assert yaml.safe_load(text)["cff-version"] == "1.2.0"
