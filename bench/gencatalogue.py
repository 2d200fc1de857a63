#!/usr/bin/env python3
"""bench/gencatalogue.py: a market's catalogue for the search benchmark (bench/search): N valid
declarations of several makers, one JSON Lines file per maker, with a realistic name vocabulary.

    bench/gencatalogue.py N OUTDIR [--seed S]    # OUTDIR/<slug>.jsonl, OUTDIR/makers.json

The fields a maker fills in come from bench/gendecl.py (declaration()); this sibling gives each
product one of MAKERS (sizes skewed: the first sells a third of everything), a name
"<brand> [<line>] <kind> <n>" from the vocabularies below (a few words common to many products,
brands and kinds in between, accented and German words), a model that is nearly unique (the
rare name a shopper types from a box: "KT-4821A"), a GTIN in the maker's GS1 Company Prefix and
markets. makers.json lists (slug, name, prefix) for the operator's `admin manufacturer` steps.
Only the standard library.
"""
import argparse
import datetime
import json
import pathlib
import random
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gendecl  # noqa: E402

# (slug, account name, GS1 Company Prefix in GTIN-13 form (6 digits: 1M GTINs), share)
MAKERS = [("hausmann", "Hausmann Elektrogeräte GmbH", "401234", 0.33),
          ("brightway", "Brightway Home Ltd", "501234", 0.2),
          ("lumen", "Lumen Lighting BV", "871234", 0.15),
          ("pacifica", "Pacifica Devices Inc", "036123", 0.12),
          ("nordlys", "Nordlys Smarthjem AS", "701234", 0.1),
          ("cafe", "Café Électrique SA", "301234", 0.06),
          ("straube", "Straße & Söhne KG", "409876", 0.04)]
BRANDS = ["Aero", "Vista", "Nova", "Kiro", "Brava", "Lumo", "Qubo", "Terra", "Sola", "Mira",
          "Zenta", "Oria", "Pulse", "Haven", "Ember", "Fjord", "Kestrel", "Tide", "Ardent",
          "Wasserfall", "Sécure", "Größe"]
LINES = ["", "", "", "Mini", "Max", "Pro", "Lite", "Plus", "Ultra", "Eco", "Indoor", "Outdoor"]
KINDS = ["Camera", "Doorbell", "Smart Plug", "Thermostat", "Speaker", "Hub", "Lock",
         "Light Bulb", "Baby Monitor", "Robot Vacuum", "Router", "Smoke Alarm", "Air Purifier",
         "Kettle", "Wasserkocher", "Türklingel", "Caméra", "Sensor", "Switch", "Light Strip"]
MARKETS = ["GB", "DE", "FR", "NL", "US", "SG", "IE", "ES", "IT", "PL", "SE", "NO"]


def maker_of(i, n):
    """The maker of product i: contiguous blocks by share, so IDs stay in the maker's space."""
    x, acc = i / n, 0.0
    for m in MAKERS:
        acc += m[3]
        if x < acc:
            return m
    return MAKERS[-1]


def declaration(i, n, rng, today):
    slug, name, prefix, _ = maker_of(i, n)
    d = gendecl.declaration(i, rng, slug, today)
    kind = rng.choice(KINDS)
    words = [rng.choice(BRANDS), rng.choice(LINES), kind, str(1 + rng.randrange(9))]
    d["product_name"] = " ".join(w for w in words if w)
    d["product_model"] = "%s-%04d%s" % ("".join(w[0] for w in kind.split()).upper(),
                                        rng.randrange(10000), "ABCDEFGHJK"[i % 10])
    d["manufacturer_name"] = name
    d["gtin"] = gendecl.gtin13(prefix + "%0*d" % (12 - len(prefix), i))
    d["markets"] = rng.sample(MARKETS, rng.randint(1, 4))
    if rng.random() < 0.05:
        d["default_password"] = "universal"
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("outdir", type=pathlib.Path)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    a.outdir.mkdir(parents=True, exist_ok=True)
    rng, today = random.Random(a.seed), datetime.date.today()
    files = {m[0]: open(a.outdir / (m[0] + ".jsonl"), "w") for m in MAKERS}
    for i in range(a.n):
        d = declaration(i, a.n, rng, today)
        files[maker_of(i, a.n)[0]].write(json.dumps(d, separators=(",", ":")) + "\n")
    for f in files.values():
        f.close()
    (a.outdir / "makers.json").write_text(json.dumps([m[:3] for m in MAKERS]))


if __name__ == "__main__":
    main()
