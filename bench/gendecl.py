#!/usr/bin/env python3
"""bench/gendecl.py: N realistic, valid declarations as JSON Lines, for benchmarks and imports.

    bench/gendecl.py N [--seed S] [--prefix P] > catalogue.jsonl

Deterministic for a seed. Each declaration has the fields a real manufacturer fills in (about
1.3 KB as JSON, like schema/examples/valid/acme-cam-2-complete.json): a unique ID and a unique,
check-digit-correct GTIN-13, names, support dates spread over past and future (some ended,
some ending soon), contact, markets, update and password details, sensor data. Every line
passes `seclabel validate`. Only the standard library: it runs before the virtualenv exists.

The declarations are those of one manufacturer, MAKER_SLUG named MAKER_NAME (the account
bench/run imports them as), and follow the registry's identity rules for it: IDs begin with
"<P>-" (P is MAKER_SLUG unless --prefix says otherwise), manufacturer_name is the account's
name, and the GTINs lie in its GS1 Company Prefix GS1_PREFIX, which the registry operator must
record for the maker (`seclabel admin manufacturer prefix add`). A 6-digit prefix numbers
1,000,000 GTINs: declarations past that many have none (stderr says so).
"""
import argparse
import datetime
import json
import random
import sys

MAKER_SLUG = "gen"
MAKER_NAME = "Generated Devices Ltd"
GS1_PREFIX = "400000"  # GTIN-13 form; GS1_CAPACITY item references follow it
GS1_CAPACITY = 10 ** (12 - len(GS1_PREFIX))

KINDS = ["Camera", "Doorbell", "Smart Plug", "Thermostat", "Speaker", "Hub", "Lock", "Light Bulb",
         "Baby Monitor", "Robot Vacuum", "Router", "Smoke Alarm", "Air Purifier", "Kettle"]
# The brands the maker sells under (product names, web domains).
BRANDS = ["Acme", "Nordlicht", "Pacific", "Lumen", "Brightway", "Maple"]
MARKETS = ["GB", "DE", "FR", "NL", "US", "SG", "IE", "ES", "IT", "PL"]
UPDATES = ["Automatic - may opt out", "Automatic - may not opt out", "Manual"]
SENSING = ["audio", "images", "position"]


def gtin13(body):
    """A GTIN-13 with a correct GS1 check digit, from its first 12 digits."""
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - s % 10) % 10)


def gtin_of(i):
    """The i-th GTIN in the maker's GS1 Company Prefix, or None past its capacity."""
    if i >= GS1_CAPACITY:
        return None
    return gtin13(GS1_PREFIX + "%0*d" % (12 - len(GS1_PREFIX), i))


def declaration(i, rng, prefix, today):
    kind = rng.choice(KINDS)
    brand = BRANDS[i % len(BRANDS)]
    domain = brand.lower() + ".example"
    model = "%s-%d" % ("".join(w[0] for w in kind.split()).upper(), 100 + i % 900)
    start = today - datetime.timedelta(days=rng.randint(30, 3000))
    end = start + datetime.timedelta(days=rng.randint(365, 365 * 9))
    d = {
        "id": "%s-%07d" % (prefix, i),
        "product_name": "%s %s %d" % (brand, kind, 1 + i % 7),
        "product_model": model,
        "manufacturer_name": MAKER_NAME,
        "version_and_model_numbers": ["%s hardware revision %s" % (model, "ABC"[i % 3]),
                                      "%s firmware %d.%d" % (model, 1 + i % 4, i % 10)],
        "gtin": gtin_of(i),
        "support_date": end.isoformat(),
        "support_start": start.isoformat(),
        "security_contact": "security@" + domain,
        "vulnerability_disclosure_policy": "https://%s/security/disclosure" % domain,
        "default_password": rng.choice(["unique_per_device", "user_defined", "no_password",
                                        "unique_per_device"]),
        "markets": rng.sample(MARKETS, rng.randint(1, 4)),
        "security_update_information": {"update_default": UPDATES[i % 3],
                                        "update_options": sorted({UPDATES[i % 3], "Manual"})},
        "access_control": {
            "password_type": "factory_default", "user_changeable": True,
            "password_change": {"text": "In the app: Settings, Device, Change password.",
                                "url": "https://%s/help/%s/password" % (domain, model.lower())}},
        "sensor_data_collection": [
            {"sensing": s, "has": rng.random() < 0.6,
             "description": "Kept on the device and sent only when you ask for it."}
            for s in rng.sample(SENSING, 2)],
        "securing_this_product": {"text": "Keep automatic updates on and set a strong password.",
                                  "url": "https://%s/help/secure-setup" % domain},
        "general_user_information": {"url": "https://%s/support/%s" % (domain, model.lower())},
    }
    if d["gtin"] is None:
        del d["gtin"]
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default=MAKER_SLUG,
                    help="IDs begin with PREFIX- (default: the maker's slug, %(default)s)")
    a = ap.parse_args()
    if a.n > GS1_CAPACITY:
        print("gendecl: GS1 Company Prefix %s numbers %d GTINs; declarations past that have none"
              % (GS1_PREFIX, GS1_CAPACITY), file=sys.stderr)
    rng = random.Random(a.seed)
    today = datetime.date.today()
    out = sys.stdout
    for i in range(a.n):
        out.write(json.dumps(declaration(i, rng, a.prefix, today), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
