#!/usr/bin/env python3
"""bench/gendecl.py: N realistic, valid declarations as JSON Lines, for benchmarks and imports.

    bench/gendecl.py N [--seed S] [--prefix P] > catalogue.jsonl

Deterministic for a seed. Each declaration has the fields a real manufacturer fills in (about
1.3 KB as JSON, like schema/examples/valid/acme-cam-2-complete.json): a unique ID and a unique,
check-digit-correct GTIN-13, names, support dates spread over past and future (some ended,
some ending soon), contact, markets, update and password details, sensor data. Every line
passes `seclabel validate`. Only the standard library: it runs before the virtualenv exists.
"""
import argparse
import datetime
import json
import random
import sys

KINDS = ["Camera", "Doorbell", "Smart Plug", "Thermostat", "Speaker", "Hub", "Lock", "Light Bulb",
         "Baby Monitor", "Robot Vacuum", "Router", "Smoke Alarm", "Air Purifier", "Kettle"]
MAKERS = ["Acme Devices Ltd", "Nordlicht Elektronik GmbH", "Pacific Home Tech Inc",
          "Lumen Living BV", "Shenzhen Brightway Co Ltd", "Maple Smart Home Corp"]
MARKETS = ["GB", "DE", "FR", "NL", "US", "SG", "IE", "ES", "IT", "PL"]
UPDATES = ["Automatic - may opt out", "Automatic - may not opt out", "Manual"]
SENSING = ["audio", "images", "position"]


def gtin13(n):
    """A GTIN-13 with a correct GS1 check digit, from a 12-digit number."""
    body = "%012d" % n
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - s % 10) % 10)


def declaration(i, rng, prefix, today):
    kind = rng.choice(KINDS)
    maker = MAKERS[i % len(MAKERS)]
    domain = maker.split()[0].lower() + ".example"
    model = "%s-%d" % ("".join(w[0] for w in kind.split()).upper(), 100 + i % 900)
    start = today - datetime.timedelta(days=rng.randint(30, 3000))
    end = start + datetime.timedelta(days=rng.randint(365, 365 * 9))
    d = {
        "id": "%s-%07d" % (prefix, i),
        "product_name": "%s %s %d" % (maker.split()[0], kind, 1 + i % 7),
        "product_model": model,
        "manufacturer_name": maker,
        "version_and_model_numbers": ["%s hardware revision %s" % (model, "ABC"[i % 3]),
                                      "%s firmware %d.%d" % (model, 1 + i % 4, i % 10)],
        "gtin": gtin13(400000000000 + i),
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
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default="gen")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    today = datetime.date.today()
    out = sys.stdout
    for i in range(a.n):
        out.write(json.dumps(declaration(i, rng, a.prefix, today), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
